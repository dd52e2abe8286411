//! The operator console (`/console/`): pages served on the administration listener only (the
//! public listener refuses them as it refuses every operator path). The page signs each API
//! request with the operator's own key, in the browser; it holds no session of its own.

use axum::http::Method;
use axum::response::Redirect;
use axum::routing::get;

use super::Route;
use super::web::asset;

const CSS: &str = "text/css; charset=utf-8";

/// The pages, served from the binary; the web app's styles first, then the console's own.
const ASSETS: [(&str, &str, &str); 4] = [
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
    ("/console/app.css", CSS, include_str!("../web/app.css")),
    (
        "/console/console.css",
        CSS,
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
