//! Platform profiles, the notice, and holders' consents over HTTP.

use axum::extract::{Path, State};
use axum::http::Method;
use axum::routing::{get, post};
use netid_proto::{
    ConsentRequest, Notice, Profile, ProfileDecision, ProfileRequest, ServiceSigned,
    WithdrawConsentRequest, WithdrawConsentResponse,
};

use super::Route;
use super::error::ApiError;
use super::extract::{Json, Operator, Platform};
use crate::state::AppState;
use netid_proto::OperatorRole;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::POST,
            path: "/v1/platform/profile",
            handler: post(request),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/platforms/profile",
            handler: post(decide),
        },
        Route {
            method: Method::GET,
            path: "/v1/platforms/{client_id}/profile",
            handler: get(published),
        },
        Route {
            method: Method::GET,
            path: "/v1/notice",
            handler: get(notice),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/consents",
            handler: post(consent),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/consents/withdraw",
            handler: post(withdraw),
        },
    ]
}

async fn request(
    State(state): State<AppState>,
    Platform(platform): Platform,
    Json(request): Json<ProfileRequest>,
) -> Result<Json<Profile>, ApiError> {
    Ok(Json(
        crate::grants::request(&state.deps, &platform, request).await?,
    ))
}

async fn decide(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Json(decision): Json<ProfileDecision>,
) -> Result<Json<Profile>, ApiError> {
    operator.require(OperatorRole::SystemAdministrator)?;
    Ok(Json(
        crate::grants::decide(&state.deps, decision, &operator.id).await?,
    ))
}

async fn published(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
) -> Result<Json<ServiceSigned>, ApiError> {
    Ok(Json(
        crate::grants::published(&state.deps, &client_id).await?,
    ))
}

async fn notice(State(state): State<AppState>) -> Json<Notice> {
    Json(state.notice.as_ref().clone())
}

async fn consent(
    State(state): State<AppState>,
    Json(request): Json<ConsentRequest>,
) -> Result<Json<ServiceSigned>, ApiError> {
    Ok(Json(
        crate::grants::consent(&state.deps, &state.notice, request).await?,
    ))
}

async fn withdraw(
    State(state): State<AppState>,
    Json(request): Json<WithdrawConsentRequest>,
) -> Result<Json<WithdrawConsentResponse>, ApiError> {
    Ok(Json(crate::grants::withdraw(&state.deps, request).await?))
}
