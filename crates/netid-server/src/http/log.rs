//! The public transparency-log endpoints (no authentication: anyone may audit), and the
//! holder's own-entries endpoint (authenticated by the wallet signature in the body).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use netid_proto::{
    ConsistencyProof, DeferralCounts, HolderLogRequest, HolderLogResponse, InclusionProof,
    LogEntries,
};

use super::Route;
use super::error::ApiError;
use super::extract::Json;
use crate::error::Refusal;
use crate::state::AppState;
use crate::transparency::TileRequest;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/v1/log/key",
            handler: get(key),
        },
        Route {
            method: Method::GET,
            path: "/v1/log/checkpoint",
            handler: get(checkpoint),
        },
        Route {
            method: Method::GET,
            path: "/v1/log/entries",
            handler: get(entries),
        },
        Route {
            method: Method::GET,
            path: "/v1/log/proof/inclusion",
            handler: get(inclusion),
        },
        Route {
            method: Method::GET,
            path: "/v1/log/proof/consistency",
            handler: get(consistency),
        },
        Route {
            method: Method::GET,
            path: "/v1/log/tile/{*tile}",
            handler: get(tile),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/log",
            handler: post(holder_log),
        },
        Route {
            method: Method::GET,
            path: "/v1/transparency/deferrals",
            handler: get(deferrals),
        },
    ]
}

/// The public counts of operator reads and deferred notices (Art. 11).
async fn deferrals(State(state): State<AppState>) -> Result<Json<DeferralCounts>, ApiError> {
    Ok(Json(crate::operator_read::counts(&state).await?))
}

const TEXT: &str = "text/plain; charset=utf-8";

async fn key(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    Ok(([(header::CONTENT_TYPE, TEXT)], state.deps.log.vkey()?))
}

/// The latest checkpoint, after sequencing what is committed: an act acknowledged before this
/// request is covered by the checkpoint it returns.
async fn checkpoint(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let (_, note) = state.sequence_log().await?;
    Ok(([(header::CONTENT_TYPE, TEXT)], note))
}

async fn entries(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<LogEntries>, ApiError> {
    let start = number(&query, "start")?;
    let end = number(&query, "end")?;
    Ok(Json(
        state
            .deps
            .log
            .entries(state.deps.store.as_ref(), start, end)
            .await?,
    ))
}

async fn inclusion(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<InclusionProof>, ApiError> {
    let index = number(&query, "index")?;
    let size = number(&query, "size")?;
    Ok(Json(
        state
            .deps
            .log
            .inclusion_proof(state.deps.store.as_ref(), index, size)
            .await?,
    ))
}

async fn consistency(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    let old = number(&query, "old")?;
    let new = number(&query, "new")?;
    Ok(Json(
        state
            .deps
            .log
            .consistency_proof(state.deps.store.as_ref(), old, new)
            .await?,
    ))
}

/// C2SP tlog-tiles under the prefix `/v1/log` (whose `checkpoint` is the one above). Full
/// tiles never change and may be cached forever; partial tiles grow into full ones.
async fn tile(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    let Some(request) = TileRequest::parse(&path) else {
        return Ok(super::error::problem_for_status(StatusCode::NOT_FOUND));
    };
    match state
        .deps
        .log
        .tile(state.deps.store.as_ref(), request)
        .await?
    {
        None => Ok(super::error::problem_for_status(StatusCode::NOT_FOUND)),
        Some(bytes) => {
            let cache = if request.is_immutable() {
                "public, max-age=31536000, immutable"
            } else {
                "public, max-age=60"
            };
            Ok((
                [
                    (header::CONTENT_TYPE, "application/octet-stream"),
                    (header::CACHE_CONTROL, cache),
                ],
                bytes,
            )
                .into_response())
        }
    }
}

async fn holder_log(
    State(state): State<AppState>,
    Json(request): Json<HolderLogRequest>,
) -> Result<Json<HolderLogResponse>, ApiError> {
    Ok(Json(crate::holder_log::holder_log(&state, request).await?))
}

/// A required non-negative integer query parameter.
fn number(query: &HashMap<String, String>, name: &'static str) -> Result<u64, Refusal> {
    query
        .get(name)
        .and_then(|value| value.parse().ok())
        .ok_or(Refusal::InvalidQuery {
            parameter: name,
            expected: "a non-negative integer",
        })
}
