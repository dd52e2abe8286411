//! `netid serve` over TLS, with a second listener for mutual TLS, and platforms that
//! registered `tls_client_auth` authenticating there with the client certificates netid's CA
//! issued them (RFC 8705). The client keys, requests and a self-signed impostor are made by
//! OpenSSL, and the pushed request is sent by curl (on OpenSSL), so that an independent TLS
//! stack is on the other end.

use std::path::{Path, PathBuf};

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_proto::{
    HolderCertificateResponse, PlatformCertificateRequest, RegisterPlatformResponse,
};
use netid_testkit::Wallet;
use netid_testkit::oidc::{RelyingParty, Reply, query, reply};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::ca::{openssl, s, write};
use crate::client::{Client, World};
use crate::oidc::decide;

/// A P-256 key (PKCS#8 PEM) made by OpenSSL, at `dir/name.key`.
fn openssl_key(dir: &Path, name: &str) -> PathBuf {
    let key = dir.join(format!("{name}.key"));
    let (ok, out) = openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        s(&key),
    ]);
    assert!(ok, "{out}");
    key
}

/// A certificate for `key`, self-signed by OpenSSL, for two days, at `out`.
fn self_signed(key: &Path, subject: &str, extensions: &[&str], out: &Path) {
    let mut args = vec![
        "req",
        "-x509",
        "-key",
        s(key),
        "-subj",
        subject,
        "-days",
        "2",
    ];
    for extension in extensions {
        args.extend(["-addext", extension]);
    }
    args.extend(["-out", s(out)]);
    let (ok, printed) = openssl(&args);
    assert!(ok, "{printed}");
}

/// The server's certificate and key: self-signed by OpenSSL for 127.0.0.1.
fn server_identity(dir: &Path) -> (PathBuf, PathBuf) {
    let key = openssl_key(dir, "server");
    let certificate = dir.join("server.pem");
    // An end entity that is its own trust anchor: not a CA (rustls refuses a CA as leaf).
    let extensions = [
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "basicConstraints=critical,CA:FALSE",
        "extendedKeyUsage=serverAuth",
    ];
    self_signed(&key, "/CN=netid test server", &extensions, &certificate);
    (certificate, key)
}

/// A client certificate for `platform` from netid's CA, for a key and PKCS#10 request made by
/// OpenSSL: the certificate's path, its key's, and the CA's answer.
async fn platform_certificate(
    client: &Client,
    dir: &Path,
    platform: &RegisterPlatformResponse,
) -> (PathBuf, PathBuf, HolderCertificateResponse) {
    let key = openssl_key(dir, &platform.client_id);
    let csr = std::process::Command::new("openssl")
        .args([
            "req",
            "-new",
            "-key",
            s(&key),
            "-subj",
            "/CN=ignored",
            "-outform",
            "DER",
        ])
        .output()
        .unwrap();
    assert!(csr.status.success());
    let request = PlatformCertificateRequest {
        csr: Base64UrlUnpadded::encode_string(&csr.stdout),
    };
    let answer = client
        .post(
            "/v1/platform/certificates",
            Some(&crate::client::basic(platform)),
            &request,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let issued: HolderCertificateResponse = answer.json();
    let certificate = write(
        dir,
        &format!("{}.pem", platform.client_id),
        &issued.certificate,
    );
    (certificate, key, issued)
}

/// An HTTP client that trusts the server's certificate and presents `identity` (certificate
/// and key PEM files) when given; it does not follow redirects.
fn tls_client(server_certificate: &Path, identity: Option<(&Path, &Path)>) -> reqwest::Client {
    let root = std::fs::read(server_certificate).unwrap();
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .add_root_certificate(reqwest::Certificate::from_pem(&root).unwrap());
    if let Some((certificate, key)) = identity {
        let mut pem = std::fs::read(certificate).unwrap();
        pem.extend(std::fs::read(key).unwrap());
        builder = builder.identity(reqwest::Identity::from_pem(&pem).unwrap());
    }
    builder.build().unwrap()
}

/// The parameters of a pushed request for `rp` without a client assertion: the certificate
/// authenticates, and `client_id` names the client.
fn without_assertion(params: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
    params
        .into_iter()
        .filter(|(name, _)| !name.starts_with("client_assertion"))
        .collect()
}

/// Posts `params` form-encoded to `url` over `http`, with a fresh DPoP proof of `rp`'s key.
async fn post_form(
    http: &reqwest::Client,
    rp: &RelyingParty,
    url: &str,
    params: &[(&str, String)],
) -> Reply {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().map(|(name, value)| (*name, value.as_str())))
        .finish();
    reply(
        http.post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("dpop", rp.dpop_proof_at(&rp.dpop, "POST", url, None))
            .body(body),
    )
    .await
}

/// The OAuth error of a reply, and its description.
fn oauth_error(reply: &Reply) -> (StatusCode, String, String) {
    let body: Value = reply.json();
    let text = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
    (reply.status, text("error"), text("error_description"))
}

/// Checks that `reply` is `invalid_client` saying `why`.
fn assert_invalid_client(reply: &Reply, why: &str) {
    let (status, error, description) = oauth_error(reply);
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::UNAUTHORIZED, "invalid_client"),
        "{}",
        reply.body
    );
    assert!(description.contains(why), "{description}");
}

// curl and OpenSSL run while the server answers them: a second worker thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_authenticates_with_its_netid_client_certificate_over_mutual_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (server_certificate, server_key) = server_identity(dir.path());
    let world = World::with_env(&[
        ("NETID_TLS_CERT", s(&server_certificate)),
        ("NETID_TLS_KEY", s(&server_key)),
        ("NETID_MTLS_LISTEN", "127.0.0.1:0"),
        ("NETID_CA_SUITE", "intl"),
    ])
    .await;
    let client = &world.client;
    assert!(
        client.base_url.starts_with("https://127.0.0.1:"),
        "{}",
        client.base_url
    );
    crate::ca::certify_with_new_root(client, &netid_crypto::Suite::intl()).await;
    let discovery: Value = client.get("/.well-known/openid-configuration").await.json();
    assert_eq!(
        discovery["token_endpoint_auth_methods_supported"],
        json!(["private_key_jwt", "tls_client_auth"])
    );
    let aliases = &discovery["mtls_endpoint_aliases"];
    let (par_url, token_url) = (
        aliases["pushed_authorization_request_endpoint"]
            .as_str()
            .unwrap()
            .to_owned(),
        aliases["token_endpoint"].as_str().unwrap().to_owned(),
    );
    assert!(
        par_url.starts_with("https://127.0.0.1:") && !par_url.starts_with(&client.base_url),
        "{par_url}"
    );

    // The platform registers tls_client_auth as its one method, and gets its certificate.
    let platform = client.register_platform("mTLS 示例平台").await;
    let other = client.register_platform("Other platform").await;
    let (certificate, key, issued) = platform_certificate(client, dir.path(), &platform).await;
    let (other_certificate, other_key, _) = platform_certificate(client, dir.path(), &other).await;
    let with_certificate = tls_client(&server_certificate, Some((&certificate, &key)));
    let rp = RelyingParty::register_with(
        with_certificate.clone(),
        &client.base_url,
        &platform.client_id,
        &platform.credential,
        "https://platform.example/callback",
    )
    .await;
    let settings = json!({
        "redirect_uris": [rp.redirect_uri],
        "jwks": {"keys": []},
        "token_endpoint_auth_method": "tls_client_auth",
    });
    let answer = client
        .post(
            "/v1/platform/oidc-client",
            Some(&crate::client::basic(&platform)),
            &settings,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    // The other platform stays with private_key_jwt.
    RelyingParty::register_with(
        tls_client(&server_certificate, None),
        &client.base_url,
        &other.client_id,
        &other.credential,
        "https://other.example/callback",
    )
    .await;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;

    // The pushed request from curl, on OpenSSL, with the certificate and no assertion.
    let (params, mut started) = rp.request_params("openid");
    let params = without_assertion(params);
    let mut curl = tokio::process::Command::new("curl");
    curl.args([
        "--silent",
        "--show-error",
        "--cacert",
        s(&server_certificate),
    ])
    .args(["--cert", s(&certificate), "--key", s(&key)])
    .args([
        "--header",
        &format!(
            "DPoP: {}",
            rp.dpop_proof_at(&rp.dpop, "POST", &par_url, None)
        ),
    ]);
    for (name, value) in &params {
        curl.args(["--data-urlencode", &format!("{name}={value}")]);
    }
    let output = curl.arg(&par_url).output().await.unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pushed: Value = serde_json::from_slice(&output.stdout).unwrap();
    started.request_uri = pushed["request_uri"]
        .as_str()
        .expect("a request_uri")
        .to_owned();

    // The holder approves; the code is redeemed with the certificate (rustls on this side).
    let decided = decide(
        client,
        &wallet.oidc_decision(&started.request_uri, rp.client_id(), true, None),
    )
    .await;
    let code = query(&decided.redirect_to)["code"].clone();
    let redeem = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code),
        ("redirect_uri", rp.redirect_uri.clone()),
        ("code_verifier", started.verifier.clone()),
        ("client_id", rp.client_id.clone()),
    ];
    let tokens = post_form(&with_certificate, &rp, &token_url, &redeem).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    let tokens: Value = tokens.json();
    let claims = rp
        .id_token_claims(tokens["id_token"].as_str().unwrap())
        .await;
    assert_eq!(claims["aud"], rp.client_id());
    assert_eq!(claims["real_name_verified"], true);
    let logged = client.log_kinds(&wallet).await;
    assert_eq!(
        logged
            .iter()
            .filter(|kind| **kind == netid_log::EntryKind::Verification)
            .count(),
        1
    );

    // Refused, and nothing recorded. Without a certificate, or at the main listener (which
    // asks for none) with one:
    let (params, _) = rp.request_params("openid");
    let bare = without_assertion(params.clone());
    let none = post_form(&tls_client(&server_certificate, None), &rp, &par_url, &bare).await;
    assert_invalid_client(&none, "present the client certificate");
    let main_par = format!("{}/oidc/par", client.base_url);
    let main = post_form(&with_certificate, &rp, &main_par, &bare).await;
    assert_invalid_client(&main, "authenticate with private_key_jwt");
    // A client assertion, from a client registered for tls_client_auth:
    let asserted = post_form(&with_certificate, &rp, &main_par, &params).await;
    assert_invalid_client(&asserted, "registered tls_client_auth");
    // Another platform's certificate; and that platform's own, which registered private_key_jwt:
    let theirs = tls_client(&server_certificate, Some((&other_certificate, &other_key)));
    assert_invalid_client(
        &post_form(&theirs, &rp, &par_url, &bare).await,
        "another client",
    );
    let mut as_other = bare.clone();
    as_other
        .iter_mut()
        .filter(|(name, _)| *name == "client_id")
        .for_each(|(_, value)| *value = other.client_id.clone());
    assert_invalid_client(
        &post_form(&theirs, &rp, &par_url, &as_other).await,
        "registered private_key_jwt",
    );
    // A certificate netid did not issue, with the right names and key:
    let impostor = dir.path().join("impostor.pem");
    let subject = format!("/O=netid platform/CN={}", platform.client_id);
    self_signed(&key, &subject, &[], &impostor);
    let forged = tls_client(&server_certificate, Some((&impostor, &key)));
    assert_invalid_client(
        &post_form(&forged, &rp, &par_url, &bare).await,
        "netid issued",
    );
    // The platform's own certificate once revoked:
    let revoked = client
        .send(
            client
                .http
                .post(format!("{}/v1/operator/ca/revoke", client.admin_url))
                .bearer_auth(&client.operator)
                .json(&json!({"serial": issued.serial, "reason": "key_compromise"})),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_invalid_client(
        &post_form(&with_certificate, &rp, &par_url, &bare).await,
        "revoked",
    );
    assert_eq!(client.log_kinds(&wallet).await, logged);
}

#[tokio::test]
async fn a_tls_file_that_is_not_pem_stops_the_start_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let (certificate, _) = server_identity(dir.path());
    let not_a_key = write(dir.path(), "not-a-key.pem", "not a key\n");
    let error = netid_testkit::TestServer::start_with_clock(
        &dir.path().join("data"),
        vec![
            ("NETID_TLS_CERT".to_owned(), s(&certificate).to_owned()),
            ("NETID_TLS_KEY".to_owned(), s(&not_a_key).to_owned()),
        ],
        netid_server::Clock::System,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("not-a-key.pem") && error.contains("PEM private key"),
        "{error}"
    );
}

/// A reqwest client trusting the test server's `certificate`, presenting a self-signed client
/// certificate for `key` when given (made as the CLI makes it).
fn admin_client(certificate: &Path, key: Option<&netid_crypto::SigningKey>) -> reqwest::Client {
    let root = reqwest::Certificate::from_pem(&std::fs::read(certificate).unwrap()).unwrap();
    let mut client = reqwest::Client::builder().add_root_certificate(root);
    if let Some(key) = key {
        let template = netid_ca::CertificateTemplate::new(
            "CN=netid operator",
            netid_ca::Profile::PlatformClient,
            [7; 16],
            1_700_000_000,
            4_000_000_000,
        );
        let issued = netid_ca::issue(&template, key.verifying_key(), None, key).unwrap();
        let identity = format!(
            "{}{}",
            netid_ca::to_pem(&issued).unwrap(),
            *key.to_pkcs8_pem().unwrap()
        );
        client = client.identity(reqwest::Identity::from_pem(identity.as_bytes()).unwrap());
    }
    client.build().unwrap()
}

/// Off loopback the administration listener serves TLS and takes a connection only with a
/// client certificate, and a request only if that certificate is for the key that signed it.
#[tokio::test]
async fn over_tls_the_administration_listener_takes_only_the_signing_operators_own_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (certificate, key) = server_identity(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let server = netid_testkit::TestServer::start_with_env(
        &data,
        vec![
            ("NETID_TLS_CERT".to_owned(), s(&certificate).to_owned()),
            ("NETID_TLS_KEY".to_owned(), s(&key).to_owned()),
            ("NETID_ADMIN_TLS".to_owned(), "on".to_owned()),
        ],
    )
    .await
    .unwrap();
    assert!(
        server.admin_url.starts_with("https://"),
        "{}",
        server.admin_url
    );
    let role = netid_proto::OperatorRole::SystemAdministrator;
    let (first, second) = (server.operators.get(role, 0), server.operators.get(role, 1));
    let me = format!("{}/v1/operator/me", server.admin_url);
    let signed_by = |operator: &netid_testkit::TestOperator| {
        netid_testkit::operator_authorization(
            operator,
            "GET",
            "/v1/operator/me",
            b"",
            server.clock.now().0,
        )
    };

    // No certificate, no connection.
    let bare = admin_client(&certificate, None)
        .get(&me)
        .header(reqwest::header::AUTHORIZATION, signed_by(first))
        .send()
        .await;
    assert!(bare.is_err(), "{bare:?}");

    // One operator's certificate carries no other's request.
    let answer = admin_client(&certificate, Some(&first.key))
        .get(&me)
        .header(reqwest::header::AUTHORIZATION, signed_by(second))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let problem: Value = answer.json().await.unwrap();
    assert_eq!(
        problem["code"], "operator_certificate_mismatch",
        "{problem}"
    );

    // Their own certificate and proof: served.
    let answer = admin_client(&certificate, Some(&first.key))
        .get(&me)
        .header(reqwest::header::AUTHORIZATION, signed_by(first))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["operator_id"], first.id.as_str(), "{body}");
    server.shutdown().await.unwrap();
}
