//! OpenID4VP (issue 26): a platform verifies a Net Certificate with `netid_verify::openid4vp`,
//! and a wallet written apart on `@openid4vc/openid4vp` 0.4.6 and `dcql`
//! (`tests/oidc/node/vp-wallet.mjs`) answers: the platform's signed request (its certificate
//! from netid's CA, `x509_hash:`), a DCQL query for one claim, `direct_post` and the encrypted
//! `direct_post.jwt`. The service sees no request while the holder presents and the platform
//! verifies (invariant 6).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::{SigningKey, Suite};
use netid_proto::{HolderCertificateResponse, NetCertificateResponse, PlatformCertificateRequest};
use netid_testkit::Wallet;
use netid_verify::openid4vp::{Identity, PresentationRequest, REQUEST_CONTENT_TYPE, ResponseMode};
use netid_verify::{Policy, Verifier};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::{Client, World, basic};

const NODE_PROJECT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc/node");

/// The DER certificates of a PEM text, in order.
fn ders(pem: &str) -> Vec<Vec<u8>> {
    netid_ca::Certificate::load_pem_chain(pem.as_bytes())
        .unwrap()
        .iter()
        .map(|certificate| der::Encode::to_der(certificate).unwrap())
        .collect()
}

/// The platform's key and its certificate from netid's CA (intl suite), with the chain.
async fn platform_identity(
    client: &Client,
    platform: &netid_proto::RegisterPlatformResponse,
    dir: &std::path::Path,
) -> (Identity, String) {
    let key = Suite::intl().generate_signing_key().unwrap();
    let key_file = dir.join("platform.key");
    std::fs::write(&key_file, key.to_pkcs8_pem().unwrap().as_bytes()).unwrap();
    let csr = std::process::Command::new("openssl")
        .args(["req", "-new", "-key"])
        .arg(&key_file)
        .args(["-subj", "/CN=ignored", "-outform", "DER"])
        .output()
        .unwrap();
    assert!(csr.status.success());
    let request = PlatformCertificateRequest {
        csr: Base64UrlUnpadded::encode_string(&csr.stdout),
    };
    let answer = client
        .post(
            "/v1/platform/certificates",
            Some(&basic(platform)),
            &request,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let issued: HolderCertificateResponse = answer.json();
    let chain = [ders(&issued.certificate), ders(&issued.chain)].concat();
    (Identity::x509_hash(key, chain).unwrap(), issued.chain)
}

/// The platform's two endpoints: the signed requests by id, and what wallets post.
#[derive(Clone, Default)]
struct PlatformSide {
    requests: Arc<Mutex<HashMap<String, String>>>,
    responses: Arc<Mutex<Vec<Vec<u8>>>>,
}

async fn serve_platform(side: PlatformSide) -> String {
    let app = axum::Router::new()
        .route(
            "/request/{id}",
            axum::routing::get(
                |State(side): State<PlatformSide>, Path(id): Path<String>| async move {
                    let object = side.requests.lock().unwrap().get(&id).cloned();
                    match object {
                        Some(object) => (
                            StatusCode::OK,
                            [(axum::http::header::CONTENT_TYPE, REQUEST_CONTENT_TYPE)],
                            object,
                        ),
                        None => (
                            StatusCode::NOT_FOUND,
                            [(axum::http::header::CONTENT_TYPE, "text/plain")],
                            String::new(),
                        ),
                    }
                },
            ),
        )
        .route(
            "/response",
            axum::routing::post(
                |State(side): State<PlatformSide>, body: axum::body::Bytes| async move {
                    side.responses.lock().unwrap().push(body.to_vec());
                    axum::Json(json!({}))
                },
            ),
        )
        .with_state(side);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// An enrolled holder's two Net Certificates, one per presentation, each with its own P-256
/// key.
async fn holder_with_certificates(world: &World) -> (Vec<SigningKey>, Vec<String>) {
    let client = &world.client;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let keys: Vec<SigningKey> = (0..2)
        .map(|_| Suite::intl().generate_signing_key().unwrap())
        .collect();
    let issued = client
        .post(
            "/v1/holders/net-certificates",
            None,
            &wallet.net_certificate_request(&keys),
        )
        .await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.body);
    (keys, issued.json::<NetCertificateResponse>().credentials)
}

/// The requests the service counted, its metrics' own reads left out, summed over two reads
/// of `/metrics`: behind the test's round-robin proxy (two nodes) that is one read of each node,
/// and on one node twice its count. Either way it moves only when the service saw a request.
async fn requests_seen(client: &Client) -> u64 {
    let mut seen = 0;
    for _ in 0..2 {
        seen += client
            .get("/metrics")
            .await
            .body
            .lines()
            .filter(|line| line.starts_with("netid_http_requests_total{"))
            .filter(|line| !line.contains("route=\"/metrics\""))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum::<u64>();
    }
    seen
}

#[tokio::test]
async fn a_wallet_written_apart_presents_a_net_certificate_to_a_platform_by_openid4vp() {
    assert!(
        std::path::Path::new(&format!("{NODE_PROJECT}/node_modules/@openid4vc/openid4vp")).is_dir(),
        "@openid4vc/openid4vp is not installed: run `npm ci` in {NODE_PROJECT} (scripts/test does)"
    );
    let world = World::with_env(&[("NETID_CA_SUITE", "intl")]).await;
    let client = &world.client;
    crate::ca::certify_with_new_root(client, &Suite::intl()).await;
    let dir = tempfile::tempdir().unwrap();
    let platform = client.register_platform("OpenID4VP Shop").await;
    let (identity, chain) = platform_identity(client, &platform, dir.path()).await;
    let anchors = dir.path().join("anchors.pem");
    std::fs::write(&anchors, &chain).unwrap();

    let (keys, credentials) = holder_with_certificates(&world).await;

    // The platform's verifier, loaded once: the keys and the status list.
    let mut verifier = Verifier::new(&client.base_url, Policy::default());
    let metadata = client.get("/.well-known/jwt-vc-issuer").await;
    verifier.load_issuer_metadata(&metadata.body).unwrap();
    let status = client.get("/v1/status/intl").await;
    let now = netid_testkit::now();
    verifier
        .load_status_list(
            &format!("{}/v1/status/intl", client.base_url),
            &status.body,
            now,
        )
        .unwrap();

    let side = PlatformSide::default();
    let platform_url = serve_platform(side.clone()).await;
    let before = requests_seen(client).await;
    for (n, mode) in [ResponseMode::DirectPost, ResponseMode::DirectPostJwt]
        .into_iter()
        .enumerate()
    {
        let request = PresentationRequest::new(
            &identity,
            &format!("{platform_url}/response"),
            &["age_over_18"],
            mode,
        )
        .unwrap();
        side.requests.lock().unwrap().insert(
            n.to_string(),
            request.request_object(&identity, now).unwrap(),
        );
        let link = request.uri(&format!("{platform_url}/request/{n}"));
        let said = present(&link, &credentials[n], &keys[n], &anchors).await;
        assert_eq!(said["status"], 200, "{said}");
        assert_eq!(said["client"], "x509_hash", "{said}");
        assert_eq!(said["disclosed"], json!(["age_over_18"]), "{said}");

        let body = side.responses.lock().unwrap().pop().unwrap();
        let presentation = request.open_response(&body).unwrap();
        let disclosed = verifier
            .verify(&presentation, &request.expected(), netid_testkit::now())
            .unwrap();
        assert_eq!(
            disclosed.claims.into_iter().collect::<Vec<_>>(),
            vec![("age_over_18".to_owned(), json!(true))]
        );
        // The same response against another request (another nonce and state) is refused.
        let other = PresentationRequest::new(
            &identity,
            &format!("{platform_url}/response"),
            &["age_over_18"],
            mode,
        )
        .unwrap();
        assert!(other.open_response(&body).is_err());
    }
    // Invariant 6: the holder presented twice and the platform verified twice; the service
    // saw none of it.
    assert_eq!(requests_seen(client).await, before);

    // A request signed by a key its certificate does not certify is refused, and nothing is
    // posted.
    let stranger = Suite::intl().generate_signing_key().unwrap();
    let self_signed = Identity::x509_hash(stranger, ders(&chain)[..1].to_vec()).unwrap();
    let request = PresentationRequest::new(
        &self_signed,
        &format!("{platform_url}/response"),
        &[],
        ResponseMode::DirectPost,
    )
    .unwrap();
    side.requests.lock().unwrap().insert(
        "forged".to_owned(),
        request.request_object(&self_signed, now).unwrap(),
    );
    let link = request.uri(&format!("{platform_url}/request/forged"));
    let said = present(&link, &credentials[0], &keys[0], &anchors).await;
    assert!(said.get("refused").is_some(), "{said}");
    assert!(side.responses.lock().unwrap().is_empty());
}

/// Runs the wallet written apart on the request link `link` with the holder's certificate.
async fn present(
    link: &str,
    credential: &str,
    key: &SigningKey,
    anchors: &std::path::Path,
) -> Value {
    let output = tokio::process::Command::new("node")
        .arg(format!("{NODE_PROJECT}/vp-wallet.mjs"))
        .env("REQUEST_URL", link)
        .env("SD_JWT", credential)
        .env("HOLDER_JWK", key.to_jwk_json().unwrap().as_str())
        .env("TRUST_ANCHOR_PEM", anchors)
        .output()
        .await
        .unwrap();
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)))
}

/// The example platform (`examples/platform`) through its own HTTP interface: a check started
/// as its page starts one, answered by the wallet written apart on the same device (the
/// wallet is sent to the done page) and across devices (the page's poll sees the answer).
#[tokio::test]
async fn the_example_platform_checks_an_age_on_the_same_device_and_across_devices() {
    let world = World::with_env(&[("NETID_CA_SUITE", "intl")]).await;
    let client = &world.client;
    crate::ca::certify_with_new_root(client, &Suite::intl()).await;
    let registered = client.register_platform("Example Platform").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public_url = format!("http://{}", listener.local_addr().unwrap());
    let platform = netid_example_platform::Platform::start(netid_example_platform::Config {
        netid_url: client.base_url.clone(),
        public_url: public_url.clone(),
        client_id: registered.client_id.clone(),
        credential: registered.credential.clone(),
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let anchors = dir.path().join("anchors.pem");
    std::fs::write(&anchors, &platform.netid_ca_pem).unwrap();
    let app = netid_example_platform::router(platform);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let (keys, credentials) = holder_with_certificates(&world).await;
    let http = reqwest::Client::new();
    let start = || async {
        http.post(format!("{public_url}/api/start"))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };

    // Same device: the wallet opens the link and is sent back to the done page.
    let check = start().await;
    assert!(check["qr"].as_str().unwrap().starts_with("<svg"));
    let said = present(
        check["link"].as_str().unwrap(),
        &credentials[0],
        &keys[0],
        &anchors,
    )
    .await;
    assert_eq!(said["status"], 200, "{said}");
    let done = said["redirect_uri"].as_str().unwrap();
    assert_eq!(
        done,
        format!("{public_url}/done/{}", check["id"].as_str().unwrap())
    );
    let page = http.get(done).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Verified: you are 18 or over"), "{page}");

    // Across devices: the page polls while the phone answers.
    let check = start().await;
    let status = format!("{public_url}/api/status/{}", check["id"].as_str().unwrap());
    let waiting: Value = http
        .get(&status)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(waiting["state"], "waiting");
    let said = present(
        check["link"].as_str().unwrap(),
        &credentials[1],
        &keys[1],
        &anchors,
    )
    .await;
    assert_eq!(said["status"], 200, "{said}");
    let answered: Value = http
        .get(&status)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answered,
        json!({"state": "verified", "claims": {"age_over_18": true}})
    );
    // The same certificate and key again, for the first check's link: it is answered already.
    let again = present(
        check["link"].as_str().unwrap(),
        &credentials[1],
        &keys[1],
        &anchors,
    )
    .await;
    assert_eq!(again["status"], 404, "{again}");
}
