//! Holder endpoints: enrollment (and its recovery path) and deletion. The holder
//! authenticates by the wallet signature inside the request.

use axum::extract::State;
use axum::http::Method;
use axum::routing::post;
use netid_proto::{DeleteRequest, DeleteResponse, EnrollRequest, EnrollResponse};

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
    ]
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
