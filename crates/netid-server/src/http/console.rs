//! The operator console (`/console/`): pages served on the administration listener only (the
//! public listener refuses them as it refuses every operator path). The page signs each API
//! request with the operator's own key, in the browser; it holds no session of its own.

use axum::http::{Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::Route;

const ASSETS: [(&str, &str, &str); 3] = [
    (
        "/console/",
        "text/html; charset=utf-8",
        include_str!("../console/index.html"),
    ),
    (
        "/console/console.js",
        "text/javascript; charset=utf-8",
        include_str!("../console/console.js"),
    ),
    (
        "/console/console.css",
        "text/css; charset=utf-8",
        include_str!("../console/console.css"),
    ),
];

pub(super) fn routes() -> Vec<Route> {
    let mut routes = vec![Route {
        method: Method::GET,
        path: "/console",
        handler: get(|| async { Redirect::permanent("/console/") }),
    }];
    routes.extend(ASSETS.map(|(path, content_type, body)| Route {
        method: Method::GET,
        path,
        handler: get(move || async move { asset(content_type, body) }),
    }));
    routes
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            // Scripts and requests to this origin only; no frames, forms or plug-ins.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
            ),
        ],
        body,
    )
        .into_response()
}
