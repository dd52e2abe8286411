//! Holder endpoints: enrollment (and its recovery path), the lock, and deletion, by the holder
//! or, for a child under 14, by a guardian. The holder
//! authenticates by the wallet signature inside the request.

use axum::extract::State;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::routing::post;
use netid_proto::{
    DeleteRequest, DeleteResponse, EnrollRequest, EnrollResponse, LockRequest, LockResponse,
    WardDeleteRequest,
};

use super::Route;
use super::error::ApiError;
use super::extract::Json;
use crate::state::AppState;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::POST,
            path: "/v1/holders/enroll",
            handler: post(enroll),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/delete",
            handler: post(delete),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/wards/delete",
            handler: post(delete_ward),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/record",
            handler: post(record),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/notice",
            handler: post(accept_notice),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/push",
            handler: post(push_subscribe),
        },
        Route {
            method: Method::GET,
            path: "/v1/push/key",
            handler: axum::routing::get(push_key),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/wards/platforms",
            handler: post(approve_platform),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/corrections",
            handler: post(ask_correction),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/complaints",
            handler: post(complain),
        },
        Route {
            method: Method::POST,
            path: "/v1/authority/corrections",
            handler: post(authority_corrections),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/lock",
            handler: post(lock),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/unlock",
            handler: post(unlock),
        },
    ]
}

async fn record(
    State(state): State<AppState>,
    Json(request): Json<netid_proto::HolderRecordRequest>,
) -> Result<Json<netid_proto::HolderRecord>, ApiError> {
    Ok(Json(crate::lock::record(&state.deps, request).await?))
}

async fn accept_notice(
    State(state): State<AppState>,
    Json(request): Json<netid_proto::NoticeAcceptRequest>,
) -> Result<Json<netid_proto::NoticeAcceptResponse>, ApiError> {
    Ok(Json(crate::notice::accept(&state.deps, request).await?))
}

async fn approve_platform(
    State(state): State<AppState>,
    Json(request): Json<netid_proto::WardPlatformRequest>,
) -> Result<Json<netid_proto::WardPlatformResponse>, ApiError> {
    Ok(Json(
        crate::wards::approve_platform(&state.deps, request).await?,
    ))
}

async fn push_subscribe(
    State(state): State<AppState>,
    Json(request): Json<netid_proto::PushSubscribeRequest>,
) -> Result<Json<netid_proto::PushSubscribed>, ApiError> {
    Ok(Json(crate::push::subscribe(&state.deps, request).await?))
}

/// The VAPID public key, the web app's `applicationServerKey`.
async fn push_key(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "public_key": state.deps.push.public_key() }))
}

async fn complain(
    State(state): State<AppState>,
    Json(request): Json<netid_proto::ComplaintRequest>,
) -> Result<Json<netid_proto::ComplaintView>, ApiError> {
    Ok(Json(crate::complaints::file(&state.deps, request).await?))
}

async fn ask_correction(
    State(state): State<AppState>,
    Json(request): Json<netid_proto::CorrectionRequest>,
) -> Result<Json<netid_proto::CorrectionStatus>, ApiError> {
    Ok(Json(crate::corrections::ask(&state.deps, request).await?))
}

/// Personal data for the authority: never cached.
async fn authority_corrections(
    State(state): State<AppState>,
    Json(request): Json<netid_proto::AuthorityCorrectionsRequest>,
) -> Result<axum::response::Response, ApiError> {
    let open = crate::corrections::for_authority(&state.deps, request).await?;
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(open),
    )
        .into_response())
}

async fn lock(
    State(state): State<AppState>,
    Json(request): Json<LockRequest>,
) -> Result<Json<LockResponse>, ApiError> {
    Ok(Json(crate::lock::set(&state.deps, true, request).await?))
}

async fn unlock(
    State(state): State<AppState>,
    Json(request): Json<LockRequest>,
) -> Result<Json<LockResponse>, ApiError> {
    Ok(Json(crate::lock::set(&state.deps, false, request).await?))
}

async fn enroll(
    State(state): State<AppState>,
    Json(request): Json<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    Ok(Json(crate::enrollment::enroll(&state, request).await?))
}

async fn delete(
    State(state): State<AppState>,
    Json(request): Json<DeleteRequest>,
) -> Result<Json<DeleteResponse>, ApiError> {
    Ok(Json(crate::deletion::delete(&state, request).await?))
}

async fn delete_ward(
    State(state): State<AppState>,
    Json(request): Json<WardDeleteRequest>,
) -> Result<Json<DeleteResponse>, ApiError> {
    Ok(Json(crate::deletion::delete_ward(&state, request).await?))
}
