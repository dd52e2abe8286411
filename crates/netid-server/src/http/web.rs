//! The holder web app: its pages (served from the binary, nothing from elsewhere), passkey
//! sign-in, and the session API the pages call. A session is a cookie (`HttpOnly`, `Secure`
//! over https, and `SameSite=Lax`, so that it comes along when a platform sends the holder to
//! the consent screen, but not with another site's POST); a form posted with it must also
//! come from this origin, and the API takes JSON only.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use netid_proto::{PasskeyLinkRequest, PasskeyLinkResponse};
use netid_store::HolderRow;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Route;
use super::error::ApiError;
use super::extract::Json;
use crate::error::EnrollmentRefusal;
use crate::error::Refusal;
use crate::oidc::flow::Params;
use crate::personal;
use crate::state::AppState;
use crate::web::{self, Assertion, Challenge, Registration, SESSION_COOKIE, SESSION_LIFETIME};

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// The page and its assets, served from the binary: path, content type, body. SM3 and SM2, for
/// checking the log in the page, come from sm-crypto (see web/vendor/README.md).
const ASSETS: [(&str, &str, &str); 7] = [
    (
        "/app/",
        "text/html; charset=utf-8",
        include_str!("../web/index.html"),
    ),
    ("/app/app.js", JAVASCRIPT, include_str!("../web/app.js")),
    ("/app/sw.js", JAVASCRIPT, include_str!("../web/sw.js")),
    (
        "/app/logcheck.js",
        JAVASCRIPT,
        include_str!("../web/logcheck.js"),
    ),
    (
        "/app/vendor/sm3.js",
        JAVASCRIPT,
        include_str!("../web/vendor/sm3.js"),
    ),
    (
        "/app/vendor/sm2.js",
        JAVASCRIPT,
        include_str!("../web/vendor/sm2.js"),
    ),
    (
        "/app/app.css",
        "text/css; charset=utf-8",
        include_str!("../web/app.css"),
    ),
];

pub(super) fn routes() -> Vec<Route> {
    let assets = ASSETS.map(|(path, content_type, body)| Route {
        method: Method::GET,
        path,
        handler: get(move || async move { asset(content_type, body) }),
    });
    let mut routes = vec![Route {
        method: Method::GET,
        path: "/app",
        handler: get(|| async { Redirect::permanent("/app/") }),
    }];
    routes.extend(assets);
    routes.extend([
        Route {
            method: Method::POST,
            path: "/v1/holders/passkeys/link",
            handler: post(link),
        },
        Route {
            method: Method::POST,
            path: "/app/api/challenge",
            handler: post(challenge),
        },
        Route {
            method: Method::POST,
            path: "/app/api/passkeys",
            handler: post(register),
        },
        Route {
            method: Method::POST,
            path: "/app/api/passkeys/remove",
            handler: post(remove_passkey),
        },
        Route {
            method: Method::POST,
            path: "/app/api/session",
            handler: post(sign_in),
        },
        Route {
            method: Method::POST,
            path: "/app/api/sessions/remove",
            handler: post(remove_session),
        },
        Route {
            method: Method::POST,
            path: "/app/api/logout",
            handler: post(sign_out),
        },
        Route {
            method: Method::GET,
            path: "/app/api/me",
            handler: get(me),
        },
        Route {
            method: Method::GET,
            path: "/app/api/record",
            handler: get(record),
        },
        Route {
            method: Method::GET,
            path: "/app/api/history",
            handler: get(history),
        },
        Route {
            method: Method::POST,
            path: "/app/api/consents/withdraw",
            handler: post(withdraw),
        },
        Route {
            method: Method::POST,
            path: "/app/api/delete",
            handler: post(delete),
        },
        Route {
            method: Method::POST,
            path: "/app/api/notice",
            handler: post(accept_notice),
        },
        Route {
            method: Method::POST,
            path: "/app/api/corrections",
            handler: post(ask_correction),
        },
        Route {
            method: Method::POST,
            path: "/app/api/complaints",
            handler: post(complain),
        },
        Route {
            method: Method::POST,
            path: "/app/api/wards/platforms",
            handler: post(approve_platform),
        },
        Route {
            method: Method::POST,
            path: "/app/api/push",
            handler: post(push_subscribe),
        },
        Route {
            method: Method::POST,
            path: "/app/api/push/remove",
            handler: post(push_remove),
        },
        Route {
            method: Method::POST,
            path: "/app/api/lock",
            handler: post(lock),
        },
        Route {
            method: Method::POST,
            path: "/app/api/unlock",
            handler: post(unlock),
        },
        Route {
            method: Method::POST,
            path: "/oidc/authorize/decide",
            handler: post(decide),
        },
    ]);
    routes
}

/// A page or asset of the binary's, under a policy that lets it load from this origin only.
pub(super) fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
            ),
        ],
        body,
    )
        .into_response()
}

/// The session token of a request's cookie, if any.
pub(super) fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

/// The holder signed in with a passkey.
pub(super) struct Session {
    pub(super) holder: HolderRow,
    token: String,
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(token) = session_token(&parts.headers) {
            if let Some(holder) = web::holder_of(&state.web, token).await? {
                return Ok(Self {
                    holder,
                    token: token.to_owned(),
                });
            }
        }
        Err(Refusal::Unauthenticated.into())
    }
}

fn cookie(state: &AppState, token: &str, max_age: i64) -> HeaderValue {
    let secure = if state.web.https { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("netid_session=; Max-Age=0"))
}

fn signed_in(state: &AppState, token: &str) -> Response {
    let mut response = Json(json!({ "signed_in": true })).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(state, token, SESSION_LIFETIME));
    response
}

async fn link(
    State(state): State<AppState>,
    Json(request): Json<PasskeyLinkRequest>,
) -> Result<Json<PasskeyLinkResponse>, ApiError> {
    Ok(Json(web::link(&state.web, request).await?))
}

async fn challenge(
    State(state): State<AppState>,
    source: Option<Extension<super::SourceAddress>>,
) -> Result<Json<Challenge>, ApiError> {
    let source = source.as_ref().map(|Extension(address)| address.0.as_str());
    Ok(Json(web::challenge(&state.web, source).await?))
}

async fn register(
    State(state): State<AppState>,
    Json(registration): Json<Registration>,
) -> Result<Response, ApiError> {
    let token = web::register(&state.web, registration).await?;
    Ok(signed_in(&state, &token))
}

async fn sign_in(
    State(state): State<AppState>,
    Json(assertion): Json<Assertion>,
) -> Result<Response, ApiError> {
    let token = web::sign_in(&state.web, assertion).await?;
    Ok(signed_in(&state, &token))
}

async fn sign_out(State(state): State<AppState>, session: Session) -> Result<Response, ApiError> {
    web::sign_out(&state.web, &session.token).await?;
    let mut response = Json(json!({ "signed_in": false })).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(&state, "", 0));
    Ok(response)
}

/// The holder's Net ID, certificates and live consents (each with the platform's name).
async fn me(State(state): State<AppState>, session: Session) -> Result<Json<Value>, ApiError> {
    let holder = &session.holder;
    let net_id = personal::net_id(&state.deps.keys.master, holder)?;
    let mut consents = Vec::new();
    for consent in state.deps.store.live_consents(holder.id).await? {
        let platform = state.deps.store.platform(&consent.client_id).await?;
        consents.push(json!({
            "client_id": consent.client_id,
            "platform": platform.map(|platform| platform.name),
            "field": consent.field,
            "given_at": consent.given_at.0,
        }));
    }
    let certificates: Vec<Value> = state
        .deps
        .store
        .holder_certificates(holder.id)
        .await?
        .into_iter()
        .map(|certificate| {
            json!({
                "serial": hex::encode(&certificate.serial),
                "profile": certificate.profile,
                "issued_at": certificate.issued_at.0,
                "not_after": certificate.not_after.0,
                "revoked": certificate.revoked.is_some(),
            })
        })
        .collect();
    let age = personal::age(&state.deps.keys.master, holder, state.deps.clock.today()?)?;
    let (passkeys, sessions) = web::security(&state.web, holder, &session.token).await?;
    Ok(Json(json!({
        "net_id": net_id.expose_grouped(),
        "minor": age < netid_core::rules::ADULT_AGE,
        "consents": consents,
        "certificates": certificates,
        "passkeys": passkeys,
        "sessions": sessions,
        "locked": holder.locked_at.is_some(),
        "push": state
            .deps
            .store
            .push_subscriptions(holder.id)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect::<Vec<_>>(),
        "notice_version": state.deps.notice.version(),
        "notice_accepted": holder.notice_version.as_deref() == Some(state.deps.notice.version()),
    })))
}

/// The record the service holds about the signed-in holder, never cached.
async fn record(State(state): State<AppState>, session: Session) -> Result<Response, ApiError> {
    let record = crate::lock::record_of(&state.deps, &session.holder).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(record)).into_response())
}

/// The signed-in holder asks their document authority to correct their record.
async fn ask_correction(
    State(state): State<AppState>,
    session: Session,
    Json(asked): Json<CorrectionAsked>,
) -> Result<Json<netid_proto::CorrectionStatus>, ApiError> {
    Ok(Json(
        crate::corrections::ask_for(&state.deps, &session.holder, &asked.message).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorrectionAsked {
    message: String,
}

/// The signed-in holder complains about a platform.
async fn complain(
    State(state): State<AppState>,
    session: Session,
    Json(complaint): Json<Complaint>,
) -> Result<Json<netid_proto::ComplaintView>, ApiError> {
    Ok(Json(
        crate::complaints::file_for(
            &state.deps,
            &session.holder,
            &complaint.client_id,
            complaint.category,
            &complaint.text,
        )
        .await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Complaint {
    client_id: String,
    category: netid_proto::ComplaintCategory,
    text: String,
}

/// The signed-in holder asks to be told of each use through this browser's subscription.
async fn push_subscribe(
    State(state): State<AppState>,
    session: Session,
    Json(subscription): Json<netid_proto::PushSubscription>,
) -> Result<Json<netid_proto::PushSubscribed>, ApiError> {
    Ok(Json(
        crate::push::subscribe_for(&state.deps, &session.holder, &subscription).await?,
    ))
}

/// The signed-in holder stops the alerts of one subscription.
async fn push_remove(
    State(state): State<AppState>,
    session: Session,
    Json(removal): Json<Removal>,
) -> Result<Json<Value>, ApiError> {
    let removed = state
        .deps
        .store
        .remove_push_subscription(session.holder.id, removal.id)
        .await?;
    Ok(Json(json!({ "removed": removed })))
}

/// The signed-in guardian approves a platform for a child under 14 in their care.
async fn approve_platform(
    State(state): State<AppState>,
    session: Session,
    Json(approval): Json<PlatformApproval>,
) -> Result<Json<netid_proto::WardPlatformResponse>, ApiError> {
    Ok(Json(
        crate::wards::approve_platform_for(
            &state.deps,
            &session.holder,
            &approval.ward_net_id,
            &approval.client_id,
        )
        .await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlatformApproval {
    ward_net_id: String,
    client_id: String,
}

/// The signed-in holder accepts the notice of the version they were shown.
async fn accept_notice(
    State(state): State<AppState>,
    session: Session,
    Json(acceptance): Json<NoticeAcceptance>,
) -> Result<Json<netid_proto::NoticeAcceptResponse>, ApiError> {
    Ok(Json(
        crate::notice::accept_for(&state.deps, &session.holder, &acceptance.notice_version).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoticeAcceptance {
    notice_version: String,
}

async fn lock(State(state): State<AppState>, session: Session) -> Result<Json<Value>, ApiError> {
    let answer = crate::lock::set_for(&state.deps, &session.holder, true).await?;
    Ok(Json(json!({ "locked": answer.locked })))
}

async fn unlock(State(state): State<AppState>, session: Session) -> Result<Json<Value>, ApiError> {
    let answer = crate::lock::set_for(&state.deps, &session.holder, false).await?;
    Ok(Json(json!({ "locked": answer.locked })))
}

/// What a removal names: a passkey's credential id, or a session's short id.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Removal {
    id: String,
}

async fn remove_passkey(
    State(state): State<AppState>,
    session: Session,
    Json(removal): Json<Removal>,
) -> Result<Json<Value>, ApiError> {
    web::remove_passkey(&state.web, &session.holder, &removal.id).await?;
    Ok(Json(json!({ "removed": true })))
}

async fn remove_session(
    State(state): State<AppState>,
    session: Session,
    Json(removal): Json<Removal>,
) -> Result<Json<Value>, ApiError> {
    web::remove_session(&state.web, &session.holder, &removal.id).await?;
    Ok(Json(json!({ "removed": true })))
}

async fn history(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<netid_proto::HolderLogResponse>, ApiError> {
    Ok(Json(
        crate::holder_log::log_of(&state, &session.holder).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Withdrawal {
    client_id: String,
    fields: Vec<String>,
}

async fn withdraw(
    State(state): State<AppState>,
    session: Session,
    Json(withdrawal): Json<Withdrawal>,
) -> Result<Json<Value>, ApiError> {
    // A session act is not a signed message that could be replayed; it is ordered after a
    // consent given in the same second, which the store would otherwise take for a replay.
    let live = state.deps.store.live_consents(session.holder.id).await?;
    let given_last = live
        .iter()
        .filter(|consent| consent.client_id == withdrawal.client_id)
        .map(|consent| consent.given_at.0)
        .max()
        .unwrap_or(0);
    let at = state.deps.clock.now().0.max(given_last + 1);
    let withdrawn = crate::grants::withdraw_for(
        &state.deps,
        &session.holder,
        &withdrawal.client_id,
        withdrawal.fields,
        at,
    )
    .await?;
    tracing::info!(target: "netid::security", event = "consent_withdrawn", count = withdrawn, by_guardian = false);
    Ok(Json(json!({ "withdrawn": withdrawn })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Deletion {
    confirm: String,
}

async fn delete(
    State(state): State<AppState>,
    session: Session,
    Json(deletion): Json<Deletion>,
) -> Result<Response, ApiError> {
    if deletion.confirm != "delete my data" {
        return Err(Refusal::InvalidField {
            field: "confirm",
            reason: "type the words shown to confirm".to_owned(),
        }
        .into());
    }
    let age = personal::age(
        &state.deps.keys.master,
        &session.holder,
        state.deps.clock.today()?,
    )?;
    if age < netid_core::rules::GUARDIAN_REQUIRED_BELOW {
        // A child's deletion goes with a guardian's approval, from the wallets.
        return Err(Refusal::Enrollment(EnrollmentRefusal::GuardianRequired).into());
    }
    let receipts = crate::deletion::erase(&state, &session.holder).await?;
    // The deletion ended the holder's sessions with the rest of their data.
    tracing::info!(target: "netid::security", event = "holder_deleted", minor = false);
    let mut response = Json(json!({ "deleted": true, "receipts": receipts })).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(&state, "", 0));
    Ok(response)
}

/// The consent screen's form, for a holder signed in: approve (with a consent for each field
/// ticked) or deny; then on to the platform.
async fn decide(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let same_origin = match (headers.get(header::ORIGIN), &state.web.relying_party) {
        (Some(origin), Some(rp)) => origin.as_bytes() == rp.origin.as_bytes(),
        (None, _) => true,
        (Some(_), None) => false,
    };
    if !same_origin {
        return Err(Refusal::Unauthenticated.into());
    }
    let (params, fields) =
        Params::parse_with_list(&body, "consent").map_err(|_| Refusal::InvalidField {
            field: "form",
            reason: "a parameter is repeated".to_owned(),
        })?;
    let field = |name: &'static str| {
        params.get(name).ok_or(Refusal::InvalidField {
            field: name,
            reason: "required".to_owned(),
        })
    };
    let approve = match field("decision")? {
        "approve" => true,
        "deny" => false,
        _ => {
            return Err(Refusal::InvalidField {
                field: "decision",
                reason: "approve or deny".to_owned(),
            }
            .into());
        }
    };
    let redirect_to = crate::oidc::flow::decide_in_session(
        &state.oidc,
        &session.holder,
        field("request_uri")?,
        field("client_id")?,
        approve,
        fields,
    )
    .await?;
    state.oidc.requests.remove(field("request_uri")?).await?;
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, redirect_to)]).into_response())
}
