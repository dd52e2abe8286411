//! Platform endpoints: result-only verification of a holder's presentation, and the key a
//! holder's wallet seals presentations to.

use axum::extract::State;
use axum::http::Method;
use axum::routing::{get, post};
use netid_proto::{PresentationKey, VerifyRequest, VerifyResponse};

use super::Route;
use super::error::ApiError;
use super::extract::{Json, Platform};
use crate::state::AppState;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::POST,
            path: "/v1/platform/verify",
            handler: post(verify),
        },
        Route {
            method: Method::GET,
            path: "/v1/presentation-key",
            handler: get(presentation_key),
        },
    ]
}

async fn presentation_key(
    State(state): State<AppState>,
) -> Result<Json<PresentationKey>, ApiError> {
    Ok(Json(PresentationKey {
        alg: "SM2".to_owned(),
        public_key: state
            .deps
            .keys
            .presentation
            .verifying_key()
            .to_spki_pem()
            .map_err(crate::Error::from)?,
    }))
}

async fn verify(
    State(state): State<AppState>,
    Platform(platform): Platform,
    Json(request): Json<VerifyRequest>,
) -> Result<Json<VerifyResponse>, ApiError> {
    Ok(Json(
        crate::verification::verify(&state.deps, &state.metrics, &platform, request).await?,
    ))
}
