//! The HTTP API: `app(state)` builds the router from each feature's routes and wraps it in
//! the layers every request goes through (trace span, timeout, body limit, problem bodies).

mod ca;
mod console;
mod error;
mod extract;
mod grants;
mod holder;
mod log;
mod meta;
mod net_certificates;
mod oidc;
mod operator;
mod platform;
mod signals;
mod vci;
mod web;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{Method, StatusCode, header};
use axum::middleware;
use axum::response::Response;
use axum::routing::MethodRouter;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

pub use error::ApiError;

use crate::state::AppState;

use crate::config::MAX_BODY_BYTES;
/// How many requests are handled at once; more wait (within the timeout) for a slot.
pub const MAX_CONCURRENT_REQUESTS: usize = 256;
/// How long a request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a client may take to send a request's body (1 MiB in this time is 100 KiB/s).
pub(crate) const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// One endpoint: method, path and handler. Every feature lists its endpoints as `Route`s so
/// that the OpenAPI test can compare the document with the routes that exist.
pub(crate) struct Route {
    // Only the OpenAPI test reads the method: the handler's `MethodRouter` already routes it.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    pub(crate) handler: MethodRouter<AppState>,
}

/// Every route of the API.
pub(crate) fn routes() -> Vec<Route> {
    let mut routes = meta::routes();
    routes.extend(operator::routes());
    routes.extend(holder::routes());
    routes.extend(platform::routes());
    routes.extend(log::routes());
    routes.extend(ca::routes());
    routes.extend(net_certificates::routes());
    routes.extend(grants::routes());
    routes.extend(oidc::routes());
    routes.extend(web::routes());
    routes.extend(console::routes());
    routes.extend(signals::routes());
    routes.extend(vci::routes());
    routes
}

/// Whether `path` is an operator endpoint or the operator console: served on the
/// administration listener only.
pub(crate) fn is_operator_path(path: &str) -> bool {
    path.starts_with("/v1/operator/") || path == "/console" || path.starts_with("/console/")
}

/// The public application: every route but the operator endpoints, which it refuses, with
/// its layers, over `state`.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new();
    let mut refused = std::collections::HashSet::new();
    for route in routes() {
        if !is_operator_path(route.path) {
            router = router.route(route.path, route.handler);
        } else if refused.insert(route.path) {
            // Once a path: its every method is refused here.
            router = router.route(route.path, axum::routing::any(administration_elsewhere));
        }
    }
    with_layers(router, state)
}

/// The administration application: the operator endpoints alone, with the same layers; its
/// per-address limit keeps buckets of its own, so that operators' requests spend nothing of
/// the public listener's.
pub fn admin_app(mut state: AppState) -> Router {
    state.address_limits = std::sync::Arc::new(state.address_limits.apart());
    state.administration = true;
    let mut router = Router::new();
    for route in routes() {
        if is_operator_path(route.path) {
            router = router.route(route.path, route.handler);
        }
    }
    let router = router.layer(middleware::from_fn_with_state(
        state.clone(),
        extract::authenticate_operator,
    ));
    with_layers(router, state)
}

async fn administration_elsewhere() -> ApiError {
    tracing::info!(target: "netid::security", event = "operator_endpoint_on_public_listener");
    crate::error::Refusal::AdministrationElsewhere.into()
}

/// `router` wrapped in the layers every request goes through.
fn with_layers(router: Router<AppState>, state: AppState) -> Router {
    router
        .fallback(|| async { error::problem_for_status(StatusCode::NOT_FOUND) })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // A request takes a slot only once its body is in: slow senders hold a connection,
        // never a slot that health checks, reads and verifications wait for.
        .layer(GlobalConcurrencyLimitLayer::new(MAX_CONCURRENT_REQUESTS))
        .layer(middleware::from_fn(read_body_first))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::map_response(problem_for_bare_errors))
        .layer(middleware::map_response(security_headers))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limit_by_address,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record_metrics,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(|response: &Response, latency: Duration, span: &Span| {
                    span.record("status", response.status().as_u16());
                    tracing::info!(latency_ms = latency.as_millis(), "request finished");
                })
                .on_failure(()),
        )
        .with_state(state)
}

/// One span per request: a random request id, the method and the matched route (never the
/// raw URI or headers, which may carry credentials).
fn request_span(request: &Request) -> Span {
    let mut id = [0u8; 8];
    if getrandom::fill(&mut id).is_err() {
        id = [0; 8];
    }
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    tracing::info_span!(
        "request",
        request_id = %hex::encode(id),
        method = %request.method(),
        route,
        status = tracing::field::Empty,
    )
}

/// Counts each request by route, method and status, with its latency, for `GET /metrics`.
async fn record_metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: middleware::Next,
) -> Response {
    let started = std::time::Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    // A fixed set of labels: an arbitrary method a client sends must not grow the metrics.
    let method = match *request.method() {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        _ => "OTHER",
    };
    let response = next.run(request).await;
    if response.extensions().get::<error::StoreFailure>().is_some() {
        state.metrics.store_error();
    }
    if let Some(error::Refused(code)) = response.extensions().get::<error::Refused>() {
        record_refusal(&state, &route, code);
    }
    state.metrics.request(
        &route,
        method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// Refuses a request over its source address's rate limit with `429` and `Retry-After`.
/// (Without a peer address, as under `Router::oneshot` in tests, there is nothing to key on.)
async fn limit_by_address(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: Request,
    next: middleware::Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<crate::tls::Peer>>()
        .map(|info| address_key(info.0.address.ip()));
    if let Some(address) = peer {
        if let Err(refusal) = state.address_limits.admit(&address, &state.metrics) {
            return axum::response::IntoResponse::into_response(ApiError::from(refusal));
        }
        // Where addresses are limited, the pending tables keep a quota per address too.
        if state.address_limits.is_on() {
            request.extensions_mut().insert(SourceAddress(address));
        }
    }
    next.run(request).await
}

/// The security events of a refusal the public side sees: rate limits (counted), platforms'
/// failed sign-ins, operator endpoints asked here. The administration app's own refusals are
/// recorded where the operator is known ([`extract::authenticate_operator`]).
fn record_refusal(state: &AppState, route: &str, code: &str) {
    use crate::security_events::SecurityEventKind as Kind;
    let security = &state.deps.security;
    match code {
        "rate_limited" => security.count(Kind::RateLimited),
        "administration_elsewhere" => security.record(
            Kind::OperatorEndpointOnPublicListener,
            serde_json::json!({ "route": route }),
        ),
        "unauthenticated" if route.starts_with("/v1/platform/") || route.starts_with("/oidc/") => {
            security.record(
                Kind::PlatformAuthenticationFailed,
                serde_json::json!({ "route": route }),
            );
        }
        _ => {}
    }
}

/// The source address of a request, as the per-address limits key it; present only where
/// addresses are limited (`NETID_RATE_LIMIT_PER_ADDRESS` not 0).
#[derive(Debug, Clone)]
pub(crate) struct SourceAddress(pub(crate) String);

/// The rate-limit key of an address: an IPv4 address, or an IPv6 address's /64 (one host
/// commonly holds a whole /64, so finer keys would be free to evade).
fn address_key(address: std::net::IpAddr) -> String {
    match address {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
            }
        },
    }
}

/// Headers every answer carries: no page of the service is framed (clickjacking), no content
/// is sniffed into another type, and an answer without a policy of its own (the API's JSON)
/// may load, frame or submit nothing.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("DENY"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(header::HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ));
    response
}

/// Reads the request's body whole, within [`BODY_TIMEOUT`], before the inner layers (and
/// the request slots) see the request: `408` for a body that comes too slowly, `413` for one
/// over the limit (sent in chunks, so that the length was not known up front).
async fn read_body_first(request: Request, next: middleware::Next) -> Response {
    let (parts, body) = request.into_parts();
    match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                .await
        }
        Ok(Err(error)) if is_length_limit(&error) => {
            error::problem_for_status(StatusCode::PAYLOAD_TOO_LARGE)
        }
        Ok(Err(_)) => error::problem_for_status(StatusCode::BAD_REQUEST),
        Err(_) => {
            tracing::info!(target: "netid::security", event = "slow_body", "a request body came too slowly");
            error::problem_for_status(StatusCode::REQUEST_TIMEOUT)
        }
    }
}

/// Whether reading a body failed on its length limit.
fn is_length_limit(error: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = current.source();
    }
    false
}

/// Gives error responses made by layers or axum itself (405, 408, 413) our problem body; the
/// errors our handlers write (problem bodies, OAuth JSON errors, error pages) are left alone.
async fn problem_for_bare_errors(response: Response) -> Response {
    let status = response.status();
    let ours = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value == netid_proto::PROBLEM_CONTENT_TYPE
                || value.starts_with("application/json")
                || value.starts_with("text/html")
        });
    if (status.is_client_error() || status.is_server_error()) && !ours {
        return error::problem_for_status(status);
    }
    response
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn openapi_document_lists_exactly_the_routes_of_the_router() {
        let document = meta::openapi_document();
        let mut documented = BTreeSet::new();
        let paths = document["paths"].as_object().unwrap();
        for (path, operations) in paths {
            for method in operations.as_object().unwrap().keys() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
        let routed: BTreeSet<(String, String)> = routes()
            .iter()
            // OpenAPI has no wildcard segments: `{*tile}` is documented as `{tile}`.
            .map(|route| (route.method.to_string(), route.path.replace("{*", "{")))
            .collect();
        assert_eq!(documented, routed);
        assert_eq!(document["openapi"], "3.1.0");
    }

    #[test]
    fn rate_limits_key_ipv4_by_address_and_ipv6_by_64() {
        let key = |text: &str| address_key(text.parse().unwrap());
        assert_eq!(key("198.51.100.7"), "198.51.100.7");
        assert_eq!(key("::ffff:198.51.100.7"), "198.51.100.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2:aaaa::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
    }

    #[test]
    fn every_route_is_routed_once() {
        let all = routes();
        let routes: BTreeSet<_> = all
            .iter()
            .map(|route| (route.method.to_string(), route.path))
            .collect();
        assert_eq!(routes.len(), all.len());
        // Two methods on one path are merged by the router, not refused.
        let _app = Router::<AppState>::new()
            .route("/x", axum::routing::get(|| async {}))
            .route("/x", axum::routing::post(|| async {}));
    }
}
