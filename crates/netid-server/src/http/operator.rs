//! Operator endpoints: trust a document authority, load a roster, register a platform; the
//! acts two operators do (the audited read of a holder's personal data, operator accounts):
//! asked, approved, carried out; and the public list of operators.

use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use netid_proto::{
    ActPending, ActQueue, ActView, AddOperatorRequest, LoadRosterResponse, OperatorAccounts,
    OperatorReadRequest, OperatorRole, RegisterAuthorityRequest, RegisterAuthorityResponse,
    RegisterPlatformRequest, RegisterPlatformResponse, RetireOperatorRequest, SecurityEventPage,
    ServiceSigned, SignedRoster,
};

use super::Route;
use super::error::ApiError;
use super::extract::{Json, Operator};
use crate::acts::Act;
use crate::error::Refusal;
use crate::state::AppState;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::POST,
            path: "/v1/operator/authorities",
            handler: post(register_authority),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/rosters",
            handler: post(load_roster),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/platforms",
            handler: post(register_platform),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/holders/read",
            handler: post(read_holder),
        },
        Route {
            method: Method::GET,
            path: "/v1/operator/operators",
            handler: get(accounts),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/operators",
            handler: post(add_operator),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/operators/retire",
            handler: post(retire_operator),
        },
        Route {
            method: Method::GET,
            path: "/v1/operator/acts",
            handler: get(queue),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/acts/{request_id}/approve",
            handler: post(approve),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/acts/{request_id}/refuse",
            handler: post(refuse),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/acts/{request_id}/carry-out",
            handler: post(carry_out),
        },
        Route {
            method: Method::GET,
            path: "/v1/operators",
            handler: get(public_list),
        },
        Route {
            method: Method::GET,
            path: "/v1/operator/security-events",
            handler: get(security_events),
        },
        Route {
            method: Method::GET,
            path: "/v1/operator/me",
            handler: get(me),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/security-events/seal",
            handler: post(seal_security_events),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/me/passkeys/challenge",
            handler: post(passkey_challenge),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/me/passkeys",
            handler: post(add_passkey),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/me/confirm",
            handler: post(confirm),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/operators/{operator_id}/passkey-code",
            handler: post(passkey_code),
        },
    ]
}

/// The passkeys' relying party: the console's origin on the administration listener.
fn console_party(state: &AppState) -> Result<&netid_authn::webauthn::RelyingParty, ApiError> {
    Ok(state
        .admin_party
        .get()
        .ok_or(crate::error::Error::Internal(
            "the administration listener's address is not known yet",
        ))?)
}

async fn passkey_challenge(
    State(state): State<AppState>,
    Operator(operator): Operator,
) -> Result<Json<crate::second_factor::OperatorChallenge>, ApiError> {
    let rp = console_party(&state)?;
    Ok(Json(
        crate::second_factor::challenge(&state.deps, rp, &operator).await?,
    ))
}

async fn add_passkey(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Json(passkey): Json<crate::second_factor::NewOperatorPasskey>,
) -> Result<StatusCode, ApiError> {
    let rp = console_party(&state)?;
    crate::second_factor::enroll(&state.deps, rp, &operator, passkey).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn confirm(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Json(assertion): Json<crate::second_factor::OperatorAssertion>,
) -> Result<Json<crate::second_factor::Confirmed>, ApiError> {
    let rp = console_party(&state)?;
    Ok(Json(
        crate::second_factor::confirm(&state.deps, rp, &operator, assertion).await?,
    ))
}

async fn passkey_code(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Path(operator_id): Path<String>,
) -> Result<Json<crate::second_factor::EnrollmentCode>, ApiError> {
    Ok(Json(
        crate::second_factor::enrollment_code(&state.deps, &operator, &operator_id).await?,
    ))
}

/// An act that waits for a second operator: `202 Accepted`.
pub(super) async fn ask(
    state: &AppState,
    Operator(operator): Operator,
    act: Act,
) -> Result<(StatusCode, Json<ActPending>), ApiError> {
    let pending = crate::acts::request(state, &operator, act).await?;
    Ok((StatusCode::ACCEPTED, Json(pending)))
}

async fn read_holder(
    State(state): State<AppState>,
    operator: Operator,
    Json(request): Json<OperatorReadRequest>,
) -> Result<(StatusCode, Json<ActPending>), ApiError> {
    ask(&state, operator, Act::OperatorRead(request)).await
}

async fn add_operator(
    State(state): State<AppState>,
    operator: Operator,
    Json(request): Json<AddOperatorRequest>,
) -> Result<(StatusCode, Json<ActPending>), ApiError> {
    ask(&state, operator, Act::AddOperator(request)).await
}

async fn retire_operator(
    State(state): State<AppState>,
    operator: Operator,
    Json(request): Json<RetireOperatorRequest>,
) -> Result<(StatusCode, Json<ActPending>), ApiError> {
    ask(&state, operator, Act::RetireOperator(request)).await
}

async fn accounts(
    State(state): State<AppState>,
    Operator(operator): Operator,
) -> Result<Json<OperatorAccounts>, ApiError> {
    operator.require(OperatorRole::SecurityAdministrator)?;
    Ok(Json(crate::operators::accounts(&state.deps).await?))
}

/// Any operator, auditors included, sees the queue.
async fn queue(
    State(state): State<AppState>,
    _operator: Operator,
) -> Result<Json<ActQueue>, ApiError> {
    Ok(Json(crate::acts::queue(&state).await?))
}

async fn approve(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Path(request_id): Path<String>,
) -> Result<Json<ActView>, ApiError> {
    Ok(Json(
        crate::acts::approve(&state, &operator, &request_id).await?,
    ))
}

async fn refuse(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Path(request_id): Path<String>,
) -> Result<Json<ActView>, ApiError> {
    Ok(Json(
        crate::acts::refuse(&state, &operator, &request_id).await?,
    ))
}

async fn carry_out(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Path(request_id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(
        crate::acts::carry_out(&state, &operator, &request_id).await?,
    ))
}

/// Auditors and security administrators seal the security events' chain in the public log
/// now (a node does by itself once an hour): the newest hash, which a
/// `security_events_sealed` entry vouches for.
async fn seal_security_events(
    State(state): State<AppState>,
    Operator(operator): Operator,
) -> Result<Json<serde_json::Value>, ApiError> {
    operator.require_one_of(&[OperatorRole::Auditor, OperatorRole::SecurityAdministrator])?;
    let sealed = state
        .deps
        .security
        .seal(state.deps.store.as_ref(), &state.deps.log)
        .await?;
    Ok(Json(
        serde_json::json!({ "sealed": sealed.map(hex::encode) }),
    ))
}

/// Who signed the request: the operator's id and role, their passkeys and until when their
/// last confirmation holds (the console shows them).
async fn me(
    State(state): State<AppState>,
    Operator(operator): Operator,
) -> Result<Json<serde_json::Value>, ApiError> {
    let store = &state.deps.store;
    let passkeys = store.operator_passkeys(&operator.id).await?.len();
    let verified_until = store.operator_verified_until(&operator.id).await?.0;
    let needed = crate::second_factor::needed(state.second_factor, operator.role, passkeys);
    Ok(Json(serde_json::json!({
        "operator_id": operator.id,
        "role": operator.role,
        "passkeys": passkeys,
        "second_factor_needed": needed,
        "verified_until": verified_until,
    })))
}

/// Auditors and security administrators read the security events, a page after `after`.
async fn security_events(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<SecurityEventPage>, ApiError> {
    operator.require_one_of(&[OperatorRole::Auditor, OperatorRole::SecurityAdministrator])?;
    let after = match query.get("after") {
        None => 0,
        Some(after) => after.parse().map_err(|_| Refusal::InvalidQuery {
            parameter: "after",
            expected: "the number of the last event already read (0 for the first page)",
        })?,
    };
    Ok(Json(
        crate::security_events::page(
            state.deps.store.as_ref(),
            &state.deps.security,
            after,
            &state.deps.log,
        )
        .await?,
    ))
}

async fn public_list(State(state): State<AppState>) -> Result<Json<ServiceSigned>, ApiError> {
    Ok(Json(crate::operators::public_list(&state.deps).await?))
}

async fn register_authority(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Json(request): Json<RegisterAuthorityRequest>,
) -> Result<Json<RegisterAuthorityResponse>, ApiError> {
    operator.require(OperatorRole::SystemAdministrator)?;
    Ok(Json(
        crate::operator::register_authority(&state, request, &operator.id).await?,
    ))
}

async fn load_roster(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Json(request): Json<SignedRoster>,
) -> Result<Json<LoadRosterResponse>, ApiError> {
    operator.require(OperatorRole::SystemAdministrator)?;
    Ok(Json(
        crate::operator::load_roster(&state, request, &operator.id).await?,
    ))
}

async fn register_platform(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Json(request): Json<RegisterPlatformRequest>,
) -> Result<(StatusCode, Json<RegisterPlatformResponse>), ApiError> {
    operator.require(OperatorRole::SystemAdministrator)?;
    let response = crate::operator::register_platform(&state, request, &operator.id).await?;
    Ok((StatusCode::CREATED, Json(response)))
}
