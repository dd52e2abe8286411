//! OpenID Connect endpoints (see [`crate::oidc`]): discovery, JWKS, PAR, the consent screen,
//! the holder's answer, token and userinfo, and a platform's client settings.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use netid_proto::{OidcClientSettings, OidcDecision, OidcDecisionResponse, ProfileField};
use serde_json::{Value, json};

use super::Route;
use super::error::ApiError;
use super::extract::{Json, Platform};
use crate::oidc::flow::{self, OauthError, Params};
use crate::oidc::page::{self, Lang, Screen};
use crate::state::AppState;
use crate::tls::Peer;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/.well-known/openid-configuration",
            handler: get(
                |State(state): State<AppState>| async move { Json(state.oidc.discovery()) },
            ),
        },
        Route {
            method: Method::GET,
            path: "/oidc/jwks",
            handler: get(
                |State(state): State<AppState>| async move { jwk_set(state.oidc.jwks(false)) },
            ),
        },
        Route {
            method: Method::GET,
            path: "/oidc/jwks/sm2",
            handler: get(
                |State(state): State<AppState>| async move { jwk_set(state.oidc.jwks(true)) },
            ),
        },
        Route {
            method: Method::POST,
            path: "/oidc/par",
            handler: post(par),
        },
        Route {
            method: Method::GET,
            path: "/oidc/authorize",
            handler: get(authorize),
        },
        Route {
            method: Method::POST,
            path: "/oidc/authorize/continue",
            handler: post(continue_authorization),
        },
        Route {
            method: Method::POST,
            path: "/oidc/token",
            handler: post(token),
        },
        // OpenID Connect Core §5.3: userinfo answers GET and POST.
        Route {
            method: Method::GET,
            path: "/oidc/userinfo",
            handler: get(userinfo),
        },
        Route {
            method: Method::POST,
            path: "/oidc/userinfo",
            handler: post(userinfo),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/oidc/decision",
            handler: post(decide),
        },
        Route {
            method: Method::POST,
            path: "/v1/platform/oidc-client",
            handler: post(set_client),
        },
    ]
}

impl IntoResponse for OauthError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(json!({ "error": self.error, "error_description": self.description })),
        )
            .into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(super::error::DATABASE_RETRY_SECONDS),
            );
        }
        if self.status == StatusCode::UNAUTHORIZED && self.error != "invalid_client" {
            // RFC 9449 §7.1: the scheme, the error and the algorithms accepted.
            let challenge = format!(
                "DPoP error=\"{}\", error_description=\"{}\", algs=\"ES256 SM2SM3\"",
                self.error,
                self.description.replace('"', "'")
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

fn jwk_set(keys: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/jwk-set+json")],
        keys.to_string(),
    )
        .into_response()
}

/// A successful OAuth JSON response: never cached.
pub(super) fn oauth_json(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

fn form(headers: &HeaderMap, body: &Bytes) -> Result<Params, OauthError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(OauthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send the parameters as application/x-www-form-urlencoded",
        ));
    }
    Params::parse(body)
}

pub(super) fn dpop_header(headers: &HeaderMap) -> Result<Option<&str>, OauthError> {
    let mut proofs = headers.get_all("dpop").iter();
    let first = proofs.next();
    if proofs.next().is_some() {
        return Err(OauthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_dpop_proof",
            "send one DPoP header",
        ));
    }
    first
        .map(|value| {
            value.to_str().map_err(|_| {
                OauthError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_dpop_proof",
                    "the DPoP header is not text",
                )
            })
        })
        .transpose()
}

/// The other end of the connection (absent only under `Router::oneshot`).
type TlsPeer = Option<Extension<ConnectInfo<Peer>>>;

fn peer_of(peer: &TlsPeer) -> Option<&Peer> {
    peer.as_ref().map(|peer| &peer.0.0)
}

async fn par(
    State(state): State<AppState>,
    peer: TlsPeer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let params = form(&headers, &body)?;
        let dpop = dpop_header(&headers)?;
        flow::push(&state.oidc, &params, dpop, peer_of(&peer)).await
    }
    .await;
    match result {
        Ok(body) => oauth_json(StatusCode::CREATED, body),
        Err(error) => error.into_response(),
    }
}

async fn token(
    State(state): State<AppState>,
    peer: TlsPeer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let params = form(&headers, &body)?;
        let dpop = dpop_header(&headers)?;
        flow::token(&state.oidc, &params, dpop, peer_of(&peer)).await
    }
    .await;
    match result {
        Ok(body) => oauth_json(StatusCode::OK, body),
        Err(error) => error.into_response(),
    }
}

async fn userinfo(State(state): State<AppState>, method: Method, headers: HeaderMap) -> Response {
    let result = async {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        flow::userinfo(
            &state.oidc,
            method.as_str(),
            authorization,
            dpop_header(&headers)?,
        )
        .await
    }
    .await;
    match result {
        Ok(body) => oauth_json(StatusCode::OK, body),
        Err(error) => error.into_response(),
    }
}

/// The consent screen for `client_id` and `request_uri`, or a page saying the request is gone.
async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes()).ok();
    let lang = Lang::from_param(params.as_ref().and_then(|p| p.get("lang")));
    match params {
        Some(params) => screen(&state, &headers, &params, lang, None).await,
        None => gone(lang),
    }
}

/// The browser's "continue": to the platform once the holder answered, else the screen again.
async fn continue_authorization(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(params) = form(&headers, &body) else {
        return gone(Lang::Zh);
    };
    let lang = Lang::from_param(params.get("lang"));
    let (Some(client_id), Some(request_uri)) = (params.get("client_id"), params.get("request_uri"))
    else {
        return gone(lang);
    };
    let request = match flow::pending(&state.oidc, client_id, request_uri).await {
        Ok(Some(request)) => request,
        Ok(None) => return gone(lang),
        Err(error) => return ApiError::from(error).into_response(),
    };
    if let Some(redirect_to) = request.redirect_to {
        // Once answered, the request is done: the browser goes to the platform once.
        if let Err(error) = state.oidc.requests.remove(request_uri).await {
            return ApiError::from(error).into_response();
        }
        return Redirect::to(&redirect_to).into_response();
    }
    let not_yet = match lang {
        Lang::Zh => "您还没有用钱包回答这个请求。",
        Lang::En => "You have not answered this request with your wallet yet.",
    };
    screen(&state, &headers, &params, lang, Some(not_yet)).await
}

async fn screen(
    state: &AppState,
    headers: &HeaderMap,
    params: &Params,
    lang: Lang,
    notice: Option<&'static str>,
) -> Response {
    let (Some(client_id), Some(request_uri)) = (params.get("client_id"), params.get("request_uri"))
    else {
        return gone(lang);
    };
    let request = match flow::pending(&state.oidc, client_id, request_uri).await {
        Ok(Some(request)) => request,
        Ok(None) => return gone(lang),
        Err(error) => return ApiError::from(error).into_response(),
    };
    let Ok(Some(platform)) = state.deps.store.platform(client_id).await else {
        return gone(lang);
    };
    let Ok(profile) = crate::grants::profile(&state.deps, &platform).await else {
        return gone(lang);
    };
    let fields: Vec<ProfileField> = profile
        .fields
        .into_iter()
        .filter(|field| field.status == "approved" && request.scopes.contains(&field.field))
        .collect();
    let signed_in = match super::web::session_token(headers) {
        Some(token) => matches!(crate::web::holder_of(&state.web, token).await, Ok(Some(_))),
        None => false,
    };
    let html = page::consent_screen(&Screen {
        signed_in,
        lang,
        platform_name: &platform.name,
        request_uri,
        client_id,
        request: &request,
        fields: &fields,
        commitments: profile.commitments.as_ref(),
        notice,
    });
    // The form posts here, and the answer sends the browser on to the platform: those two
    // destinations only (browsers check a form's redirects against form-action too).
    let platform_origin = url::Url::parse(&request.redirect_uri)
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_default();
    let policy = format!(
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self' {platform_origin}"
    );
    let mut response = ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response();
    if let Ok(policy) = axum::http::HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

fn gone(lang: Lang) -> Response {
    (StatusCode::BAD_REQUEST, Html(page::error_page(lang))).into_response()
}

async fn decide(
    State(state): State<AppState>,
    Json(decision): Json<OidcDecision>,
) -> Result<Json<OidcDecisionResponse>, ApiError> {
    Ok(Json(flow::decide(&state.oidc, decision).await?))
}

async fn set_client(
    State(state): State<AppState>,
    Platform(platform): Platform,
    Json(settings): Json<OidcClientSettings>,
) -> Result<Json<OidcClientSettings>, ApiError> {
    Ok(Json(
        flow::set_client(&state.oidc, &platform, settings).await?,
    ))
}
