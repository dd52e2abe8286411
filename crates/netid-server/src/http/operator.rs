//! Operator endpoints: trust a document authority, load a roster, register a platform, and
//! the audited read of a holder's personal data.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::post;
use netid_proto::{
    LoadRosterResponse, OperatorReadRequest, OperatorReadResponse, RegisterAuthorityRequest,
    RegisterAuthorityResponse, RegisterPlatformRequest, RegisterPlatformResponse, SignedRoster,
};

use super::Route;
use super::error::ApiError;
use super::extract::{Json, Operator};
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
    ]
}

async fn read_holder(
    State(state): State<AppState>,
    _operator: Operator,
    Json(request): Json<OperatorReadRequest>,
) -> Result<Json<OperatorReadResponse>, ApiError> {
    Ok(Json(crate::operator_read::read(&state, request).await?))
}

async fn register_authority(
    State(state): State<AppState>,
    _operator: Operator,
    Json(request): Json<RegisterAuthorityRequest>,
) -> Result<Json<RegisterAuthorityResponse>, ApiError> {
    Ok(Json(
        crate::operator::register_authority(&state, request).await?,
    ))
}

async fn load_roster(
    State(state): State<AppState>,
    _operator: Operator,
    Json(request): Json<SignedRoster>,
) -> Result<Json<LoadRosterResponse>, ApiError> {
    Ok(Json(crate::operator::load_roster(&state, request).await?))
}

async fn register_platform(
    State(state): State<AppState>,
    _operator: Operator,
    Json(request): Json<RegisterPlatformRequest>,
) -> Result<(StatusCode, Json<RegisterPlatformResponse>), ApiError> {
    let response = crate::operator::register_platform(&state, request).await?;
    Ok((StatusCode::CREATED, Json(response)))
}
