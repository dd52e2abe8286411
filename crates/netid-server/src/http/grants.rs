//! Platform profiles and standing, the notice, and holders' consents over HTTP.

use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use netid_proto::{
    ActPending, CommitmentsRequest, ComplaintCounts, ComplaintView, ConsentRequest,
    HandleComplaintRequest, Notice, OperatorRole, PlatformList, PlatformStatusRequest, Profile,
    ProfileDecision, ProfileRequest, ServiceSigned, WithdrawConsentRequest,
    WithdrawConsentResponse,
};

use super::Route;
use super::error::ApiError;
use super::extract::{Json, Operator, Platform};
use crate::acts::Act;
use crate::state::AppState;

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
            method: Method::POST,
            path: "/v1/platform/commitments",
            handler: post(commitments),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/platforms/status",
            handler: post(set_status),
        },
        Route {
            method: Method::GET,
            path: "/v1/operator/platforms",
            handler: get(platforms),
        },
        Route {
            method: Method::GET,
            path: "/v1/operator/complaints",
            handler: get(complaints),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/complaints/{reference}",
            handler: post(handle_complaint),
        },
        Route {
            method: Method::GET,
            path: "/v1/transparency/complaints",
            handler: get(complaint_counts),
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

/// A grant waits for a second system administrator (`crate::acts`).
async fn decide(
    State(state): State<AppState>,
    operator: Operator,
    Json(decision): Json<ProfileDecision>,
) -> Result<(StatusCode, Json<ActPending>), ApiError> {
    super::operator::ask(&state, operator, Act::GrantDecision(decision)).await
}

async fn commitments(
    State(state): State<AppState>,
    Platform(platform): Platform,
    Json(request): Json<CommitmentsRequest>,
) -> Result<Json<Profile>, ApiError> {
    Ok(Json(
        crate::standing::declare(&state.deps, &platform, &request).await?,
    ))
}

/// A suspension, reinstatement or removal waits for a second system administrator.
async fn set_status(
    State(state): State<AppState>,
    operator: Operator,
    Json(request): Json<PlatformStatusRequest>,
) -> Result<(StatusCode, Json<ActPending>), ApiError> {
    super::operator::ask(&state, operator, Act::PlatformStatus(request)).await
}

/// Any operator, auditors included: platforms and their standing, no personal data.
async fn platforms(
    State(state): State<AppState>,
    Operator(_): Operator,
) -> Result<Json<PlatformList>, ApiError> {
    Ok(Json(crate::standing::list(&state.deps).await?))
}

/// System administrators: the complaints, with the holders' words (never who they are).
async fn complaints(
    State(state): State<AppState>,
    Operator(operator): Operator,
) -> Result<Response, ApiError> {
    operator.require(OperatorRole::SystemAdministrator)?;
    let complaints = crate::complaints::for_operator(&state.deps).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(complaints)).into_response())
}

async fn handle_complaint(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Path(reference): Path<String>,
    Json(request): Json<HandleComplaintRequest>,
) -> Result<Json<ComplaintView>, ApiError> {
    operator.require(OperatorRole::SystemAdministrator)?;
    Ok(Json(
        crate::complaints::handle(&state.deps, &operator.id, &reference, request).await?,
    ))
}

/// Public: each platform's complaints, counted by where they stand.
async fn complaint_counts(
    State(state): State<AppState>,
) -> Result<Json<ComplaintCounts>, ApiError> {
    Ok(Json(crate::complaints::counts(&state.deps).await?))
}

async fn published(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
) -> Result<Json<ServiceSigned>, ApiError> {
    Ok(Json(
        crate::grants::published(&state.deps, &client_id).await?,
    ))
}

/// `GET /v1/notice?lang=en`: the notice in English; in Chinese otherwise.
async fn notice(State(state): State<AppState>, Query(query): Query<NoticeQuery>) -> Json<Notice> {
    let language = crate::notice::Language::from_param(query.lang.as_deref());
    Json(state.deps.notice.get(language).clone())
}

#[derive(serde::Deserialize)]
struct NoticeQuery {
    lang: Option<String>,
}

async fn consent(
    State(state): State<AppState>,
    Json(request): Json<ConsentRequest>,
) -> Result<Json<ServiceSigned>, ApiError> {
    Ok(Json(crate::grants::consent(&state.deps, request).await?))
}

async fn withdraw(
    State(state): State<AppState>,
    Json(request): Json<WithdrawConsentRequest>,
) -> Result<Json<WithdrawConsentResponse>, ApiError> {
    Ok(Json(crate::grants::withdraw(&state.deps, request).await?))
}
