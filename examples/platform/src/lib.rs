//! An example platform: it asks whether a visitor is 18 or over with OpenID4VP 1.0 and verifies
//! the answer, a Net Certificate presentation, offline with `netid-verify`. Same device: the
//! visitor opens the `openid4vp://` link in their wallet app, which sends them back to
//! `/done/{id}`. Cross device: the page shows the link as a QR code that their phone scans, and
//! the page asks `/api/status/{id}` until the answer came.
//!
//! At start it makes a key (P-256, or SM2 under a CA of the `gm` suite) and gets its
//! certificate from netid's CA with its client
//! credential (`POST /v1/platform/certificates`): its client identifier is `x509_hash:` that
//! certificate's hash. It loads netid's issuer keys and status list, and loads the list again
//! when the SDK asks; nothing else reaches netid, and nothing per presentation.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::Suite;
use netid_verify::openid4vp::{Identity, PresentationRequest, REQUEST_CONTENT_TYPE, ResponseMode};
use netid_verify::{Policy, Verifier};
use serde_json::{Value, json};

/// What the example needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// netid's public URL.
    pub netid_url: String,
    /// This platform's public URL (where wallets fetch requests and post answers).
    pub public_url: String,
    /// Its client id at netid.
    pub client_id: String,
    /// Its client credential.
    pub credential: String,
}

/// Where one visitor's check stands.
enum Outcome {
    Waiting,
    Verified(BTreeMap<String, Value>),
}

struct Check {
    request: PresentationRequest,
    object: String,
    outcome: Outcome,
}

/// The platform's state: its identity, its verifier and the checks under way.
pub struct Platform {
    config: Config,
    identity: Identity,
    /// The CA certificates of netid (PEM), which a wallet needs to trust this platform.
    pub netid_ca_pem: String,
    verifier: Mutex<Verifier>,
    checks: Mutex<HashMap<String, Check>>,
    http: reqwest::Client,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

fn ders(pem: &str) -> anyhow::Result<Vec<Vec<u8>>> {
    netid_ca::Certificate::load_pem_chain(pem.as_bytes())
        .context("a certificate in netid's answer does not parse")?
        .iter()
        .map(|certificate| Ok(der::Encode::to_der(certificate)?))
        .collect()
}

impl Platform {
    /// Starts: a key, its certificate from netid's CA, and netid's issuer keys.
    pub async fn start(config: Config) -> anyhow::Result<Arc<Self>> {
        let http = reqwest::Client::new();
        // A key of the suite of netid's CA, which certifies keys of its own suite only.
        let chain = http
            .get(format!("{}/v1/ca/chain", config.netid_url))
            .send()
            .await?
            .error_for_status()
            .context("netid's CA is not certified yet")?
            .text()
            .await?;
        let issuing = ders(&chain)?
            .into_iter()
            .next()
            .context("netid's CA chain is empty")?;
        let issuing = <netid_ca::Certificate as der::Decode>::from_der(&issuing)?;
        let key = Suite::new(netid_ca::key_suite(&issuing)?).generate_signing_key()?;
        let csr = netid_ca::build_request("CN=example platform", &key)?;
        let issued: Value = http
            .post(format!("{}/v1/platform/certificates", config.netid_url))
            .basic_auth(&config.client_id, Some(&config.credential))
            .json(&json!({ "csr": Base64UrlUnpadded::encode_string(&csr) }))
            .send()
            .await?
            .error_for_status()
            .context("netid's CA did not certify the platform's key")?
            .json()
            .await?;
        let text = |name: &str| {
            issued
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let chain = [ders(&text("certificate"))?, ders(&text("chain"))?].concat();
        let identity = Identity::x509_hash(key, chain)?;
        let mut verifier = Verifier::new(&config.netid_url, Policy::default());
        let metadata = http
            .get(format!("{}/.well-known/jwt-vc-issuer", config.netid_url))
            .send()
            .await?
            .text()
            .await?;
        verifier.load_issuer_metadata(&metadata)?;
        Ok(Arc::new(Self {
            config,
            identity,
            netid_ca_pem: text("chain"),
            verifier: Mutex::new(verifier),
            checks: Mutex::new(HashMap::new()),
            http,
        }))
    }

    /// Verifies `presentation` for `request`, loading a status list when the SDK asks.
    async fn verify(
        &self,
        presentation: &str,
        request: &PresentationRequest,
    ) -> Result<BTreeMap<String, Value>, String> {
        for _ in 0..2 {
            let uri = match self
                .lock_verifier()
                .verify(presentation, &request.expected(), now())
            {
                Ok(disclosed) => return Ok(disclosed.claims),
                // Only netid's own lists: the platform fetches no address a presentation names.
                Err(netid_verify::Error::StatusUnavailable { uri })
                    if uri.starts_with(&format!("{}/", self.config.netid_url)) =>
                {
                    uri
                }
                Err(error) => return Err(error.to_string()),
            };
            let token = self
                .http
                .get(&uri)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status);
            let token = match token {
                Ok(answer) => answer.text().await.map_err(|error| error.to_string())?,
                Err(error) => return Err(format!("the status list: {error}")),
            };
            self.lock_verifier()
                .load_status_list(&uri, &token, now())
                .map_err(|error| error.to_string())?;
        }
        Err("no current status list".to_owned())
    }

    fn lock_verifier(&self) -> std::sync::MutexGuard<'_, Verifier> {
        self.verifier
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_checks(&self) -> std::sync::MutexGuard<'_, HashMap<String, Check>> {
        self.checks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

type Shared = State<Arc<Platform>>;

/// The example's routes.
pub fn router(platform: Arc<Platform>) -> axum::Router {
    axum::Router::new()
        .route("/", axum::routing::get(page))
        .route("/api/start", axum::routing::post(start))
        .route("/api/status/{id}", axum::routing::get(status))
        .route("/request/{id}", axum::routing::get(request_object))
        .route("/response/{id}", axum::routing::post(response))
        .route("/done/{id}", axum::routing::get(done))
        .with_state(platform)
}

/// A new check: the link for a wallet on this device, and the same as a QR code.
async fn start(State(platform): Shared) -> Result<axum::Json<Value>, (StatusCode, String)> {
    let failed =
        |error: &dyn std::fmt::Display| (StatusCode::INTERNAL_SERVER_ERROR, error.to_string());
    let id = netid_crypto::random_token().map_err(|error| failed(&error))?;
    let base = &platform.config.public_url;
    let request = PresentationRequest::new(
        &platform.identity,
        &format!("{base}/response/{id}"),
        &["age_over_18"],
        ResponseMode::DirectPostJwt,
    )
    .map_err(|error| failed(&error))?;
    let object = request
        .request_object(&platform.identity, now())
        .map_err(|error| failed(&error))?;
    let link = request.uri(&format!("{base}/request/{id}"));
    let qr = qrcode::QrCode::new(link.as_bytes()).map_err(|error| failed(&error))?;
    let width = qr.width();
    let rects: String = qr
        .to_colors()
        .iter()
        .enumerate()
        .filter(|(_, color)| **color == qrcode::Color::Dark)
        .map(|(n, _)| {
            format!(
                "<rect x='{}' y='{}' width='1' height='1'/>",
                n % width,
                n / width
            )
        })
        .collect();
    let svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='-4 -4 {0} {0}' width='240' height='240' role='img' aria-label='QR code for your wallet app'><rect x='-4' y='-4' width='{0}' height='{0}' fill='#fff'/>{rects}</svg>",
        width + 8
    );
    platform.lock_checks().insert(
        id.clone(),
        Check {
            request,
            object,
            outcome: Outcome::Waiting,
        },
    );
    Ok(axum::Json(json!({ "id": id, "link": link, "qr": svg })))
}

/// The signed request a wallet fetches.
async fn request_object(State(platform): Shared, Path(id): Path<String>) -> Response {
    match platform.lock_checks().get(&id) {
        Some(check) => (
            [(header::CONTENT_TYPE, REQUEST_CONTENT_TYPE)],
            check.object.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The wallet's answer: opened and verified; the wallet is told where to send its user (same
/// device). A response that does not open or verify leaves the check waiting: anyone can post
/// to this URI, and only the holder's answer ends it.
async fn response(
    State(platform): Shared,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    // Taken out while it is verified: a second answer at the same time finds none.
    let check = {
        let mut checks = platform.lock_checks();
        match checks.get(&id) {
            Some(check) if matches!(check.outcome, Outcome::Waiting) => checks.remove(&id),
            _ => None,
        }
    };
    let Some(mut check) = check else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let verified = match check.request.open_response(&body) {
        Ok(presentation) => platform.verify(&presentation, &check.request).await,
        Err(error) => Err(error.to_string()),
    };
    let answer = match verified {
        Ok(claims) => {
            check.outcome = Outcome::Verified(claims);
            let redirect = format!("{}/done/{id}", platform.config.public_url);
            (
                StatusCode::OK,
                axum::Json(json!({ "redirect_uri": redirect })),
            )
                .into_response()
        }
        Err(reason) => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": "invalid_request", "error_description": reason })),
        )
            .into_response(),
    };
    platform.lock_checks().insert(id, check);
    answer
}

fn outcome_json(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Waiting => json!({ "state": "waiting" }),
        Outcome::Verified(claims) => json!({ "state": "verified", "claims": claims }),
    }
}

/// Where a check stands, for the page that shows the QR code.
async fn status(State(platform): Shared, Path(id): Path<String>) -> Response {
    match platform.lock_checks().get(&id) {
        Some(check) => axum::Json(outcome_json(&check.outcome)).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Where the wallet sends its user back on the same device.
async fn done(State(platform): Shared, Path(id): Path<String>) -> Html<String> {
    let said = match platform.lock_checks().get(&id).map(|check| &check.outcome) {
        Some(Outcome::Verified(claims))
            if claims.get("age_over_18") == Some(&Value::Bool(true)) =>
        {
            "Verified: you are 18 or over. netid did not learn that you were here."
        }
        Some(Outcome::Verified(_)) => "Verified: you are not 18 yet.",
        _ => "No answer yet: your wallet app says why.",
    };
    Html(format!(
        "<!doctype html><html lang='en'><meta charset='utf-8'><title>Example platform</title><h1>{said}</h1><p><a href='/'>Back</a></p></html>"
    ))
}

/// The page: a button that starts a check, then the link and the QR code, then the answer.
async fn page() -> Html<&'static str> {
    Html(include_str!("page.html"))
}
