//! A round-robin HTTP proxy in front of several netid nodes, as a load balancer stands in
//! front of a deployment: each request goes to the next node, so every step of a flow (a
//! pushed request, the consent, the token, the userinfo; a passkey challenge and its answer)
//! reaches another node than the one before.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::Response;

/// The headers of one hop, which a proxy does not pass on.
const HOP_BY_HOP: [&str; 6] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// A running proxy.
#[derive(Debug)]
pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// How many requests each backend (in the order given) was sent.
    served: Arc<Vec<AtomicUsize>>,
    task: tokio::task::JoinHandle<()>,
}

struct Backends {
    urls: Vec<String>,
    next: AtomicUsize,
    served: Arc<Vec<AtomicUsize>>,
    http: reqwest::Client,
}

impl Proxy {
    /// Binds a loopback port for a proxy whose backends are not known yet (nodes need the
    /// proxy's URL as their public URL before they start).
    pub async fn bind() -> (tokio::net::TcpListener, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        (listener, format!("http://{address}"))
    }

    /// Serves on `listener`, sending request `n` to backend `n % backends.len()`.
    pub fn serve(
        listener: tokio::net::TcpListener,
        base_url: String,
        backends: Vec<String>,
    ) -> Self {
        let served: Arc<Vec<AtomicUsize>> =
            Arc::new(backends.iter().map(|_| AtomicUsize::new(0)).collect());
        let state = Arc::new(Backends {
            urls: backends,
            next: AtomicUsize::new(0),
            served: Arc::clone(&served),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        });
        let app = axum::Router::new().fallback(forward).with_state(state);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base_url,
            served,
            task,
        }
    }

    /// How many requests each backend was sent.
    pub fn served(&self) -> Vec<usize> {
        self.served
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(State(backends): State<Arc<Backends>>, request: Request) -> Response {
    let turn = backends.next.fetch_add(1, Ordering::Relaxed) % backends.urls.len();
    if let Some(count) = backends.served.get(turn) {
        count.fetch_add(1, Ordering::Relaxed);
    }
    let (parts, body) = request.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    let url = format!("{}{path}", backends.urls[turn]);
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return status(StatusCode::BAD_REQUEST);
    };
    let mut outgoing = backends.http.request(parts.method, url).body(body);
    for (name, value) in &parts.headers {
        if !is_hop_by_hop(name) {
            outgoing = outgoing.header(name, value);
        }
    }
    let Ok(answer) = outgoing.send().await else {
        return status(StatusCode::BAD_GATEWAY);
    };
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if !is_hop_by_hop(name) {
            response = response.header(name, value);
        }
    }
    let body: Bytes = answer.bytes().await.unwrap_or_default();
    response
        .body(Body::from(body))
        .unwrap_or_else(|_| status(StatusCode::BAD_GATEWAY))
}

fn is_hop_by_hop(name: &HeaderName) -> bool {
    HOP_BY_HOP.contains(&name.as_str())
}

fn status(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}
