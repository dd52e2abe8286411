//! Platform endpoints: result-only verification of a holder's presentation.

use axum::extract::State;
use axum::http::Method;
use axum::routing::post;
use netid_proto::{VerifyRequest, VerifyResponse};

use super::Route;
use super::error::ApiError;
use super::extract::{Json, Platform};
use crate::state::AppState;

pub(super) fn routes() -> Vec<Route> {
    vec![Route {
        method: Method::POST,
        path: "/v1/platform/verify",
        handler: post(verify),
    }]
}

async fn verify(
    State(state): State<AppState>,
    Platform(platform): Platform,
    Json(request): Json<VerifyRequest>,
) -> Result<Json<VerifyResponse>, ApiError> {
    Ok(Json(
        crate::verification::verify(&state, &platform, request).await?,
    ))
}
