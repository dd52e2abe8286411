//! The Shared Signals Framework transmitter over HTTP: its metadata, a platform's stream
//! (create, read, update, replace, delete), the stream's status, verification, the poll
//! endpoint (RFC 8936), and netid's receipts of deletion (a platform's, and their public
//! lookup). A platform authenticates with its client credential (HTTP Basic).

use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use netid_store::{Delivery, StreamRow, StreamStatus};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Route;
use super::error::ApiError;
use super::extract::{Json, Platform};
use crate::error::{Error, Refusal};
use crate::signals::{Event, POLL, PUSH};
use crate::state::AppState;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/.well-known/ssf-configuration",
            handler: get(metadata),
        },
        Route {
            method: Method::POST,
            path: "/ssf/streams",
            handler: post(create),
        },
        Route {
            method: Method::GET,
            path: "/ssf/streams",
            handler: get(read),
        },
        Route {
            method: Method::PATCH,
            path: "/ssf/streams",
            handler: patch(update),
        },
        Route {
            method: Method::PUT,
            path: "/ssf/streams",
            handler: put(replace),
        },
        Route {
            method: Method::DELETE,
            path: "/ssf/streams",
            handler: delete(remove),
        },
        Route {
            method: Method::GET,
            path: "/ssf/status",
            handler: get(status),
        },
        Route {
            method: Method::POST,
            path: "/ssf/status",
            handler: post(set_status),
        },
        Route {
            method: Method::POST,
            path: "/ssf/verify",
            handler: post(verify),
        },
        Route {
            method: Method::POST,
            path: "/ssf/poll",
            handler: post(poll),
        },
        Route {
            method: Method::POST,
            path: "/ssf/receipts",
            handler: post(give_receipt),
        },
        Route {
            method: Method::GET,
            path: "/v1/transparency/receipts/{reference}",
            handler: get(receipt),
        },
    ]
}

/// The OpenAPI paths of the transmitter.
pub(super) fn paths(platform: &Value, public: &Value) -> Value {
    let answer = |summary: &str, code: &str| json!({"summary": summary, "security": platform.clone(), "responses": {code: {"description": "Success"}, "400": {"description": "Invalid request (problem details)"}, "401": {"description": "Not the platform"}, "404": {"description": "No such stream of this platform"}}});
    json!({
        "/.well-known/ssf-configuration": {"get": {"summary": "Shared Signals Framework 1.0 transmitter metadata: spec_version 1_0, issuer, jwks_uri (the ES256 key of /oidc/jwks), push and poll delivery, the stream endpoints; a platform authenticates with HTTP Basic (client id and credential)", "security": public.clone(), "responses": {"200": {"description": "Transmitter metadata", "content": {"application/json": {}}}}}},
        "/ssf/streams": {
            "post": answer("Create the platform's one stream: delivery {method: urn:ietf:rfc:8935 with endpoint_url (https, or http on loopback) and an optional authorization_header, or urn:ietf:rfc:8936 (poll, the default)}, events_requested (RISC account-purged, CAEP session-revoked, urn:netid:secevent:event-type:consent-withdrawn), description; 409 stream_exists if it has one", "201"),
            "get": answer("The platform's stream (?stream_id=), or all of its streams as an array", "200"),
            "patch": answer("Update the receiver-supplied members named (stream_id required)", "200"),
            "put": answer("Replace the receiver-supplied members (stream_id required; missing ones go back to their defaults)", "200"),
            "delete": answer("Delete the stream (?stream_id=) and the signals waiting for it", "204")
        },
        "/ssf/status": {
            "get": answer("The stream's status (?stream_id=): enabled, paused or disabled", "200"),
            "post": answer("Set the stream's status ({stream_id, status, reason}): paused keeps signals until enabled, disabled drops them", "200")
        },
        "/ssf/verify": {"post": answer("Ask for a verification event ({stream_id, state}); it is delivered like any signal, with sub_id opaque = the stream id", "204")},
        "/ssf/poll": {"post": answer("Poll (RFC 8936): {ack: [jti], setErrs, maxEvents (at most 100)}; answers {sets: {jti: SET}, moreAvailable} at once (no long polling); acknowledged SETs are removed, each acknowledgement an entry in the holder's history", "200")},
        "/ssf/receipts": {"post": {"summary": "netid's own: after acknowledging a deletion (account-purged) or a withdrawn consent, say what you deleted ({jti, deleted: [1 to 20 one-line items]}), once; an entry in the holder's history, and public by its reference; 404 unknown_receipt, 409 receipt_given", "security": platform.clone(), "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReceiptRequest"}}}}, "responses": {"201": {"description": "The receipt", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReceiptView"}}}}, "400": {"description": "Invalid receipt"}, "401": {"description": "Not the platform"}, "404": {"description": "No acknowledged signal of this platform waits for a receipt with this jti"}, "409": {"description": "Given already"}}}},
        "/v1/transparency/receipts/{reference}": {"get": {"summary": "A platform's receipt of deletion by its reference (the holder's deletion answer lists them), or the wait for it, while the centre keeps it", "security": public.clone(), "parameters": [{"name": "reference", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "The receipt", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReceiptView"}}}}, "404": {"description": "Unknown, or no longer kept"}}}}
    })
}

async fn metadata(State(state): State<AppState>) -> Json<Value> {
    Json(crate::signals::metadata(&state.deps))
}

/// What a platform sends to create, update or replace its stream (receiver-supplied members;
/// others are ignored, as SSF 1.0 lets the transmitter).
#[derive(Deserialize)]
struct StreamRequest {
    #[serde(default)]
    stream_id: Option<String>,
    #[serde(default)]
    delivery: Option<DeliveryRequest>,
    #[serde(default)]
    events_requested: Option<Vec<String>>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct DeliveryRequest {
    method: String,
    #[serde(default)]
    endpoint_url: Option<String>,
    #[serde(default)]
    authorization_header: Option<String>,
}

#[derive(Deserialize)]
struct StreamQuery {
    #[serde(default)]
    stream_id: Option<String>,
}

fn invalid(field: &'static str, reason: &str) -> ApiError {
    Error::from(Refusal::InvalidField {
        field,
        reason: reason.to_owned(),
    })
    .into()
}

fn not_found() -> ApiError {
    Error::from(Refusal::UnknownStream).into()
}

/// The stream `request` describes for `client_id`, on top of `base` (an update keeps what it
/// does not name; a creation or replacement starts from the defaults).
fn stream_from(
    state: &AppState,
    client_id: &str,
    base: StreamRow,
    request: StreamRequest,
) -> Result<StreamRow, ApiError> {
    let mut stream = base;
    if let Some(delivery) = request.delivery {
        match delivery.method.as_str() {
            PUSH => {
                let endpoint = delivery
                    .endpoint_url
                    .filter(|url| crate::oidc::flow::acceptable_redirect_uri(url))
                    .ok_or_else(|| {
                        invalid(
                            "delivery",
                            "push needs an endpoint_url: https, or http on loopback only",
                        )
                    })?;
                stream.delivery = Delivery::Push;
                stream.endpoint_url = Some(endpoint);
            }
            POLL => {
                stream.delivery = Delivery::Poll;
                stream.endpoint_url = None;
            }
            _ => {
                return Err(invalid(
                    "delivery",
                    "method urn:ietf:rfc:8935 (push) or urn:ietf:rfc:8936 (poll)",
                ));
            }
        }
        stream.sealed_authorization = match delivery.authorization_header {
            Some(header) if header.is_empty() || header.len() > 1000 => {
                return Err(invalid(
                    "delivery",
                    "an authorization_header of 1 to 1000 characters",
                ));
            }
            Some(header) => Some(state.deps.keys.master.seal(
                &crate::signals::authorization_purpose(client_id),
                header.as_bytes(),
            )?),
            None => None,
        };
    }
    if let Some(uris) = request.events_requested {
        // Event types netid does not transmit are ignored (SSF 1.0 §8.1.1).
        let names: Vec<&str> = uris
            .iter()
            .filter_map(|uri| Event::from_uri(uri))
            .map(Event::name)
            .collect();
        stream.events_requested =
            serde_json::to_string(&names).map_err(|_| Error::Internal("events encoding"))?;
    }
    if let Some(description) = request.description {
        if description.chars().count() > 300 {
            return Err(invalid("description", "at most 300 characters"));
        }
        stream.description = Some(description);
    }
    stream.updated_at = state.deps.clock.now();
    Ok(stream)
}

/// A new stream's defaults: poll, every event type, enabled.
fn fresh(state: &AppState, client_id: &str, stream_id: String) -> Result<StreamRow, ApiError> {
    let all: Vec<&str> = Event::REQUESTABLE.map(Event::name).to_vec();
    Ok(StreamRow {
        client_id: client_id.to_owned(),
        stream_id,
        delivery: Delivery::Poll,
        endpoint_url: None,
        sealed_authorization: None,
        events_requested: serde_json::to_string(&all)
            .map_err(|_| Error::Internal("events encoding"))?,
        description: None,
        status: StreamStatus::Enabled,
        updated_at: state.deps.clock.now(),
    })
}

/// The platform's stream, if `stream_id` names it.
async fn own_stream(
    state: &AppState,
    client_id: &str,
    stream_id: Option<&str>,
) -> Result<StreamRow, ApiError> {
    let stream = state.deps.store.stream(client_id).await?;
    stream
        .filter(|stream| Some(stream.stream_id.as_str()) == stream_id)
        .ok_or_else(not_found)
}

async fn create(
    State(state): State<AppState>,
    Platform(platform): Platform,
    Json(request): Json<StreamRequest>,
) -> Result<Response, ApiError> {
    if state
        .deps
        .store
        .stream(&platform.client_id)
        .await?
        .is_some()
    {
        return Err(Error::from(Refusal::StreamExists).into());
    }
    let stream_id = crate::credentials::random_id("stream")?;
    let base = fresh(&state, &platform.client_id, stream_id)?;
    let stream = stream_from(&state, &platform.client_id, base, request)?;
    state.deps.store.set_stream(stream.clone()).await?;
    tracing::info!(target: "netid::security", event = "signal_stream_created", platform_id = %platform.client_id);
    let configuration = crate::signals::configuration(&state.deps, &stream)?;
    Ok((StatusCode::CREATED, Json(configuration)).into_response())
}

async fn read(
    State(state): State<AppState>,
    Platform(platform): Platform,
    Query(query): Query<StreamQuery>,
) -> Result<Json<Value>, ApiError> {
    let Some(stream_id) = query.stream_id else {
        let all = match state.deps.store.stream(&platform.client_id).await? {
            Some(stream) => vec![crate::signals::configuration(&state.deps, &stream)?],
            None => Vec::new(),
        };
        return Ok(Json(Value::from(all)));
    };
    let stream = own_stream(&state, &platform.client_id, Some(&stream_id)).await?;
    Ok(Json(crate::signals::configuration(&state.deps, &stream)?))
}

async fn update(
    State(state): State<AppState>,
    Platform(platform): Platform,
    Json(request): Json<StreamRequest>,
) -> Result<Json<Value>, ApiError> {
    let base = own_stream(&state, &platform.client_id, request.stream_id.as_deref()).await?;
    let stream = stream_from(&state, &platform.client_id, base, request)?;
    state.deps.store.set_stream(stream.clone()).await?;
    Ok(Json(crate::signals::configuration(&state.deps, &stream)?))
}

async fn replace(
    State(state): State<AppState>,
    Platform(platform): Platform,
    Json(request): Json<StreamRequest>,
) -> Result<Json<Value>, ApiError> {
    let existing = own_stream(&state, &platform.client_id, request.stream_id.as_deref()).await?;
    let mut base = fresh(&state, &platform.client_id, existing.stream_id)?;
    base.status = existing.status;
    let stream = stream_from(&state, &platform.client_id, base, request)?;
    state.deps.store.set_stream(stream.clone()).await?;
    Ok(Json(crate::signals::configuration(&state.deps, &stream)?))
}

async fn remove(
    State(state): State<AppState>,
    Platform(platform): Platform,
    Query(query): Query<StreamQuery>,
) -> Result<StatusCode, ApiError> {
    own_stream(&state, &platform.client_id, query.stream_id.as_deref()).await?;
    state.deps.store.delete_stream(&platform.client_id).await?;
    tracing::info!(target: "netid::security", event = "signal_stream_deleted", platform_id = %platform.client_id);
    Ok(StatusCode::NO_CONTENT)
}

async fn status(
    State(state): State<AppState>,
    Platform(platform): Platform,
    Query(query): Query<StreamQuery>,
) -> Result<Json<Value>, ApiError> {
    let stream = own_stream(&state, &platform.client_id, query.stream_id.as_deref()).await?;
    Ok(Json(
        json!({ "stream_id": stream.stream_id, "status": stream.status.as_str() }),
    ))
}

#[derive(Deserialize)]
struct StatusRequest {
    stream_id: String,
    status: String,
    #[serde(default)]
    reason: Option<String>,
}

async fn set_status(
    State(state): State<AppState>,
    Platform(platform): Platform,
    Json(request): Json<StatusRequest>,
) -> Result<Json<Value>, ApiError> {
    let mut stream = own_stream(&state, &platform.client_id, Some(&request.stream_id)).await?;
    stream.status = match request.status.as_str() {
        "enabled" => StreamStatus::Enabled,
        "paused" => StreamStatus::Paused,
        "disabled" => StreamStatus::Disabled,
        _ => return Err(invalid("status", "enabled, paused or disabled")),
    };
    stream.updated_at = state.deps.clock.now();
    state.deps.store.set_stream(stream.clone()).await?;
    let mut answer = json!({ "stream_id": stream.stream_id, "status": stream.status.as_str() });
    if let (Some(reason), Some(map)) = (request.reason, answer.as_object_mut()) {
        map.insert("reason".to_owned(), Value::from(reason));
    }
    Ok(Json(answer))
}

#[derive(Deserialize)]
struct VerifyRequest {
    stream_id: String,
    #[serde(default)]
    state: Option<String>,
}

async fn verify(
    State(state): State<AppState>,
    Platform(platform): Platform,
    Json(request): Json<VerifyRequest>,
) -> Result<StatusCode, ApiError> {
    let stream = own_stream(&state, &platform.client_id, Some(&request.stream_id)).await?;
    if request
        .state
        .as_ref()
        .is_some_and(|given| given.len() > 256)
    {
        return Err(invalid("state", "at most 256 characters"));
    }
    // At most one a minute (`min_verification_interval`), as SSF 1.0 §8.1.4.2 allows.
    let now = state.deps.clock.now();
    if let Some(last) = state
        .deps
        .store
        .newest_signal(
            &platform.client_id,
            crate::signals::Event::Verification.name(),
        )
        .await?
    {
        let wait = last.0 + i64::from(crate::signals::MIN_VERIFICATION_INTERVAL) - now.0;
        if wait > 0 {
            return Err(Error::from(Refusal::RateLimited {
                retry_after_seconds: u64::try_from(wait).unwrap_or(1),
            })
            .into());
        }
    }
    let signal = crate::signals::verification(&state.deps, &stream, request.state.as_deref())?;
    state.deps.store.queue_signals(vec![signal]).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// RFC 8936 §2.4's poll request (`returnImmediately` is accepted and moot: every poll is
/// answered at once).
#[derive(Deserialize)]
struct PollRequest {
    #[serde(default, rename = "maxEvents")]
    max_events: Option<u32>,
    #[serde(default)]
    ack: Vec<String>,
    #[serde(default, rename = "setErrs")]
    set_errs: serde_json::Map<String, Value>,
}

/// Acknowledges what the platform names, and answers the SETs still waiting (at once: no
/// long polling).
async fn poll(
    State(state): State<AppState>,
    Platform(platform): Platform,
    Json(request): Json<PollRequest>,
) -> Result<Json<Value>, ApiError> {
    let stream = state
        .deps
        .store
        .stream(&platform.client_id)
        .await?
        .filter(|stream| stream.delivery == Delivery::Poll)
        .ok_or_else(|| {
            invalid(
                "stream",
                "this platform has no poll stream (POST /ssf/streams with delivery method urn:ietf:rfc:8936)",
            )
        })?;
    if request.ack.len() > 1000 {
        return Err(invalid("ack", "at most 1000 acknowledgements a poll"));
    }
    crate::signals::acknowledge(&state.deps, &platform.client_id, request.ack).await?;
    for (jti, error) in &request.set_errs {
        tracing::info!(platform_id = %platform.client_id, jti = %jti, error = %error, "a platform reported a signal it could not take");
    }
    let wanted = request
        .max_events
        .unwrap_or(crate::signals::MAX_POLL)
        .min(crate::signals::MAX_POLL);
    if wanted == 0 || stream.status != StreamStatus::Enabled {
        return Ok(Json(json!({ "sets": {}, "moreAvailable": false })));
    }
    let now = state.deps.clock.now();
    let mut waiting = state
        .deps
        .store
        .waiting_signals(&platform.client_id, now, wanted + 1)
        .await?;
    let more = waiting.len() > usize::try_from(wanted).unwrap_or(usize::MAX);
    waiting.truncate(usize::try_from(wanted).unwrap_or(usize::MAX));
    let sets: serde_json::Map<String, Value> = waiting
        .into_iter()
        .map(|(jti, token)| (jti, Value::from(token)))
        .collect();
    Ok(Json(json!({ "sets": sets, "moreAvailable": more })))
}

/// A platform says what it deleted after a signal it acknowledged.
async fn give_receipt(
    State(state): State<AppState>,
    Platform(platform): Platform,
    Json(request): Json<netid_proto::ReceiptRequest>,
) -> Result<(StatusCode, Json<netid_proto::ReceiptView>), ApiError> {
    let receipt = crate::signals::give_receipt(&state.deps, &platform.client_id, request).await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

/// A receipt by its reference (public: the reference is the secret).
async fn receipt(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Json<netid_proto::ReceiptView>, ApiError> {
    Ok(Json(
        crate::signals::receipt(&state.deps, &reference).await?,
    ))
}
