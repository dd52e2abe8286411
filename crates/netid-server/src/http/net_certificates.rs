//! Net Certificates over HTTP: the issuer metadata and status lists a platform caches, and
//! the holder's batch issuance.

use axum::extract::{Path, State};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use netid_crypto::SuiteId;
use netid_proto::{NetCertificateRequest, NetCertificateResponse};

use super::Route;
use super::error::ApiError;
use super::extract::Json;
use crate::error::Refusal;
use crate::state::AppState;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/.well-known/jwt-vc-issuer",
            handler: get(metadata),
        },
        Route {
            method: Method::GET,
            path: "/v1/status/{suite}",
            handler: get(status_list),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/net-certificates",
            handler: post(issue),
        },
    ]
}

async fn metadata(State(state): State<AppState>) -> Result<Response, ApiError> {
    state.net_certificates.follow_ca().await?;
    Ok(axum::Json(state.net_certificates.metadata()).into_response())
}

async fn status_list(
    State(state): State<AppState>,
    Path(suite): Path<String>,
) -> Result<Response, ApiError> {
    let suite = suite
        .parse::<SuiteId>()
        .map_err(|_| Refusal::InvalidField {
            field: "suite",
            reason: "expected gm or intl".to_owned(),
        })?;
    Ok((
        [(header::CONTENT_TYPE, "application/statuslist+jwt")],
        state.net_certificates.status_list(suite).await?,
    )
        .into_response())
}

async fn issue(
    State(state): State<AppState>,
    Json(request): Json<NetCertificateRequest>,
) -> Result<Json<NetCertificateResponse>, ApiError> {
    Ok(Json(state.net_certificates.issue(request).await?))
}
