//! Extractors: our own `Json` (malformed bodies become our problem body, never echoing the
//! input) and the authenticated callers (operator, platform).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64ct::{Base64, Encoding};
use netid_store::PlatformRow;
use serde::de::DeserializeOwned;

use super::error::{ApiError, Refused, problem, problem_for_status};
use crate::credentials;
use crate::error::{OperatorRefusal, Refusal};
use crate::operators::AuthenticatedOperator;
use crate::security_events::SecurityEventKind;
use crate::state::AppState;

/// A JSON body; rejections are problem bodies that do not repeat the input.
#[derive(Debug)]
pub(crate) struct Json<T>(pub(crate) T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> Response {
    // serde's messages can quote the offending value (personal data): never pass them on.
    match rejection {
        JsonRejection::JsonSyntaxError(_) => problem(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "Invalid JSON",
            "request body is not valid json".to_owned(),
        ),
        JsonRejection::JsonDataError(_) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "Invalid body",
            "request body does not have the fields this endpoint expects; see /v1/openapi.json"
                .to_owned(),
        ),
        JsonRejection::MissingJsonContentType(_) => {
            problem_for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            problem_for_status(StatusCode::PAYLOAD_TOO_LARGE)
        }
        other => problem_for_status(other.status()),
    }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A request of a named operator, whose proof the administration app's
/// [`authenticate_operator`] layer checked.
#[derive(Debug)]
pub(crate) struct Operator(pub(crate) AuthenticatedOperator);

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Whatever the path: an operator is only ever served by the administration app.
        if !state.administration {
            return Err(Refusal::AdministrationElsewhere.into());
        }
        match parts.extensions.get::<AuthenticatedOperator>() {
            Some(operator) => Ok(Self(operator.clone())),
            None => {
                tracing::info!(target: "netid::security", event = "authentication_failed", role = "operator", reason = "no operator proof");
                state.deps.security.record(
                    SecurityEventKind::OperatorAuthenticationFailed,
                    serde_json::json!({ "reason": "no operator proof" }),
                );
                Err(Refusal::Unauthenticated.into())
            }
        }
    }
}

/// The scheme of an operator's signed request: `Authorization: NetID-Operator <proof>`.
pub(crate) const OPERATOR_SCHEME: &str = "NetID-Operator ";

/// The administration app's layer: checks an operator's proof over the request's method,
/// path and body (already read in full) and hands the operator to the handler; refuses the
/// retired bearer credential. A request without an `Authorization` header goes on, and the
/// [`Operator`] extractor refuses it.
pub(crate) async fn authenticate_operator(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(value) = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
    else {
        return next.run(request).await;
    };
    if value.starts_with("Bearer ") {
        tracing::info!(target: "netid::security", event = "authentication_failed", role = "operator", reason = "bearer credential");
        return refused_sign_in(&state, Refusal::from(OperatorRefusal::BearerRetired).into());
    }
    let Some(proof) = value.strip_prefix(OPERATOR_SCHEME).map(str::trim) else {
        return refused_sign_in(&state, Refusal::Unauthenticated.into());
    };
    let proof = proof.to_owned();
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::config::MAX_BODY_BYTES).await else {
        return problem_for_status(StatusCode::PAYLOAD_TOO_LARGE);
    };
    let signed = (parts.method.as_str(), parts.uri.path(), bytes.as_ref());
    let client_certificate = parts
        .extensions
        .get::<axum::extract::ConnectInfo<crate::tls::Peer>>()
        .and_then(|peer| peer.0.client_certificate.clone());
    let authenticated = match crate::operators::authenticate(&state.deps, signed, &proof).await {
        Ok(operator) if state.admin_tls => {
            match crate::operators::check_channel(&operator, client_certificate.as_deref()) {
                Ok(()) => Ok(operator),
                Err(refusal) => Err(refusal.into()),
            }
        }
        other => other,
    };
    let authenticated = match authenticated {
        Ok(operator) => crate::second_factor::check(
            &state.deps,
            state.second_factor,
            &operator,
            (&parts.method, parts.uri.path()),
        )
        .await
        .map(|()| operator),
        Err(error) => Err(error),
    };
    match authenticated {
        Ok(operator) => {
            let id = operator.id.clone();
            parts.extensions.insert(operator);
            let response = next
                .run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                .await;
            if let Some(Refused(code)) = response.extensions().get::<Refused>() {
                if matches!(*code, "wrong_role" | "same_operator" | "not_requester") {
                    state.deps.security.record(
                        SecurityEventKind::OperatorActRefused,
                        serde_json::json!({ "operator": id, "reason": code }),
                    );
                }
            }
            response
        }
        Err(error) => refused_sign_in(&state, error),
    }
}

/// The answer to a failed operator sign-in, recorded as a security event with its reason.
fn refused_sign_in(state: &AppState, error: crate::error::Error) -> Response {
    let response = ApiError::from(error).into_response();
    if let Some(Refused(code)) = response.extensions().get::<Refused>() {
        state.deps.security.record(
            SecurityEventKind::OperatorAuthenticationFailed,
            serde_json::json!({ "reason": code }),
        );
    }
    response
}

/// A request authenticated as a platform (`Authorization: Basic base64(client_id:credential)`).
#[derive(Debug)]
pub(crate) struct Platform(pub(crate) PlatformRow);

impl FromRequestParts<AppState> for Platform {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let pair = header_value(parts)
            .and_then(|value| value.strip_prefix("Basic "))
            .and_then(|encoded| Base64::decode_vec(encoded.trim()).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok());
        if let Some((client_id, credential)) = pair.as_deref().and_then(|p| p.split_once(':')) {
            if let Some(platform) = state.deps.store.platform(client_id).await? {
                if credentials::matches(credential, &platform.credential_hash) {
                    crate::standing::ensure_active(&platform)?;
                    state
                        .platform_limits
                        .admit(&platform.client_id, &state.metrics)?;
                    return Ok(Self(platform));
                }
            }
        }
        tracing::info!(target: "netid::security", event = "authentication_failed", role = "platform");
        Err(Refusal::Unauthenticated.into())
    }
}

fn header_value(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
}
