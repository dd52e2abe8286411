//! The OpenID4VCI credential issuer over HTTP (see [`crate::oidc::vci`]): its metadata, the
//! authorization server's metadata under RFC 8414's name, the nonce and credential endpoints,
//! and the credential offers a holder asks for (wallet-signed, or from the web app).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use netid_proto::{CredentialOfferRequest, CredentialOfferResponse, signing};
use serde_json::{Value, json};

use super::Route;
use super::error::ApiError;
use super::extract::Json;
use super::oidc::{dpop_header, oauth_json};
use super::web::Session;
use crate::oidc::flow::OauthError;
use crate::oidc::vci;
use crate::state::AppState;
use crate::wallet::authenticate_holder;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/.well-known/openid-credential-issuer",
            handler: get(|State(state): State<AppState>| async move {
                Json(vci::metadata(&state.oidc))
            }),
        },
        // The same authorization server as OpenID Connect discovery describes, under the name
        // OAuth clients (and OpenID4VCI wallets) look for first.
        Route {
            method: Method::GET,
            path: "/.well-known/oauth-authorization-server",
            handler: get(
                |State(state): State<AppState>| async move { Json(state.oidc.discovery()) },
            ),
        },
        Route {
            method: Method::POST,
            path: "/vci/nonce",
            handler: post(nonce),
        },
        Route {
            method: Method::POST,
            path: "/vci/credential",
            handler: post(credential),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/credential-offer",
            handler: post(offer),
        },
        Route {
            method: Method::POST,
            path: "/app/api/credential-offer",
            handler: post(offer_in_app),
        },
    ]
}

/// The OpenAPI paths of the credential issuer.
pub(super) fn paths(public: &Value) -> Value {
    let session = json!([{"holderSession": []}]);
    json!({
        "/.well-known/openid-credential-issuer": {"get": {"summary": "OpenID4VCI 1.0 credential issuer metadata: the Net Certificate (dc+sd-jwt) as net_certificate_es256 and net_certificate_sm2, names in Chinese and English, the nonce and credential endpoints, batches of up to 10", "security": public.clone(), "responses": {"200": {"description": "Credential issuer metadata"}}}},
        "/.well-known/oauth-authorization-server": {"get": {"summary": "The authorization server metadata (RFC 8414), the same document as OpenID Connect discovery", "security": public.clone(), "responses": {"200": {"description": "Authorization server metadata"}}}},
        "/vci/nonce": {"post": {"summary": "A fresh c_nonce for key proofs (valid 300 seconds)", "security": public.clone(), "responses": {"200": {"description": "{c_nonce}"}}}},
        "/vci/credential": {"post": {"summary": "OpenID4VCI credential request: Authorization: DPoP <token from the pre-authorized code grant>, a DPoP proof, {credential_configuration_id, proofs: {jwt: [openid4vci-proof+jwt, one per credential]}}; answers {credentials: [{credential}]}, one Net Certificate per proven key", "security": public.clone(), "responses": {"200": {"description": "The credentials"}, "400": {"description": "OpenID4VCI error (invalid_proof, invalid_nonce, invalid_credential_request, unknown_credential_configuration, credential_request_denied)"}, "401": {"description": "invalid_token or invalid_dpop_proof"}}}},
        "/v1/holders/credential-offer": {"post": {"summary": "A credential offer (pre-authorized code, 5 minutes) to take Net Certificates into a wallet app, with its six-digit transaction code; the wallet signs netid-credential-offer-v1\\nrequest_id\\ntimestamp", "security": public.clone(), "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LockRequest"}}}}, "responses": {"200": {"description": "{offer_uri, tx_code, expires_in}"}, "400": {"description": "Problem details"}, "403": {"description": "Refused (locked, notice not accepted)"}}}},
        "/app/api/credential-offer": {"post": {"summary": "The signed-in holder asks for a credential offer for a wallet app (as /v1/holders/credential-offer answers, with qr: the QR code's rows of modules, 1 dark)", "security": session, "responses": {"200": {"description": "{offer_uri, tx_code, expires_in}"}, "401": {"description": "Not signed in"}}}},
    })
}

async fn nonce(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(oauth_json(StatusCode::OK, vci::nonce(&state.oidc)?))
}

async fn credential(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/json"));
        let request = serde_json::from_slice::<vci::CredentialRequest>(&body)
            .ok()
            .filter(|_| is_json)
            .ok_or_else(|| {
                OauthError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_credential_request",
                    "send a JSON credential request: {credential_configuration_id, proofs: {jwt: [...]}}",
                )
            })?;
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        vci::credential(
            &state.oidc,
            &state.net_certificates,
            (authorization, dpop_header(&headers)?),
            request,
        )
        .await
    }
    .await;
    match result {
        Ok(body) => oauth_json(StatusCode::OK, body),
        Err(error) => error.into_response(),
    }
}

async fn offer(
    State(state): State<AppState>,
    Json(request): Json<CredentialOfferRequest>,
) -> Result<Json<CredentialOfferResponse>, ApiError> {
    let holder = authenticate_holder(
        &state.deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &signing::credential_offer_message(&request.request_id, request.timestamp),
        &request.signature,
    )
    .await?;
    Ok(Json(vci::offer(&state.oidc, &holder).await?))
}

/// The same offer for the web app, with its QR code's modules.
async fn offer_in_app(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Value>, ApiError> {
    let offer = vci::offer(&state.oidc, &session.holder).await?;
    let qr = vci::qr_rows(&offer.offer_uri)?;
    Ok(Json(json!({
        "offer_uri": offer.offer_uri,
        "tx_code": offer.tx_code,
        "expires_in": offer.expires_in,
        "qr": qr,
    })))
}
