//! The CA inside the service, through the real API: the operator certifies the issuing CA
//! with an offline root, a holder gets a pseudonymous signing certificate, and stock OpenSSL
//! checks the chain and CRL and asks the live OCSP responder, before and after revocation.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64ct::{Base64, Encoding};
use netid_ca::{
    Certificate, CertificateStatus, CertificateTemplate, Profile, RevocationReason, RevokedEntry,
    verify_ocsp_response,
};
use netid_crypto::{SigningKey, Suite};
use netid_log::EntryKind;
use netid_proto::{
    CaStatus, CertifyCaRequest, HolderCertificateResponse, RevokeCertificateResponse,
};
use netid_testkit::{TestServer, Wallet};
use reqwest::StatusCode;

use crate::client::{Client, People};

pub(crate) const DAY: u64 = 86_400;

pub(crate) fn now() -> u64 {
    u64::try_from(netid_testkit::now()).unwrap()
}

/// The offline root, which only the operator's machine holds.
pub(crate) struct Root {
    pub(crate) key: SigningKey,
    pub(crate) certificate: Certificate,
}

impl Root {
    pub(crate) fn generate(suite: &Suite) -> Self {
        Self::named(suite, "CN=netid test offline root,O=netid test")
    }

    pub(crate) fn named(suite: &Suite, subject: &str) -> Self {
        let key = suite.generate_signing_key().unwrap();
        let certificate = netid_ca::issue(
            &CertificateTemplate::new(
                subject,
                Profile::Root,
                [0x11; 16],
                now() - DAY,
                now() + 3650 * DAY,
            ),
            key.verifying_key(),
            None,
            &key,
        )
        .unwrap();
        Self { key, certificate }
    }

    /// Certifies the service's issuing key (SPKI PEM) as an issuing CA.
    pub(crate) fn certify(&self, suite: &Suite, issuing_key_pem: &str) -> Certificate {
        self.certify_numbered(suite, issuing_key_pem, 0x22)
    }

    /// Certifies an issuing key with the serial number `serial` repeated: one per certificate
    /// the root issues (a renewal, the next key of a rollover).
    pub(crate) fn certify_numbered(
        &self,
        suite: &Suite,
        issuing_key_pem: &str,
        serial: u8,
    ) -> Certificate {
        netid_ca::issue(
            &CertificateTemplate::new(
                "CN=netid test issuing ca,O=netid test",
                Profile::IssuingCa,
                [serial; 16],
                now() - DAY,
                now() + 1825 * DAY,
            ),
            &suite.verifying_key_from_spki_pem(issuing_key_pem).unwrap(),
            Some(&self.certificate),
            &self.key,
        )
        .unwrap()
    }
}

/// A server with the CA of `suite`, an authority and the synthetic roster, and an enrolled
/// adult.
pub(crate) async fn world(suite: &str) -> (TestServer, tempfile::TempDir, Client, Wallet) {
    let (server, dir, client, wallet, _) = world_with_authority(suite).await;
    (server, dir, client, wallet)
}

pub(crate) async fn world_with_authority(
    suite: &str,
) -> (
    TestServer,
    tempfile::TempDir,
    Client,
    Wallet,
    netid_testkit::Authority,
) {
    world_at(suite, netid_server::Clock::System).await
}

/// [`world_with_authority`] on a server whose clock is `clock`.
async fn world_at(
    suite: &str,
    clock: netid_server::Clock,
) -> (
    TestServer,
    tempfile::TempDir,
    Client,
    Wallet,
    netid_testkit::Authority,
) {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![("NETID_CA_SUITE".to_owned(), suite.to_owned())];
    let server = TestServer::start_with_clock(dir.path(), env, clock)
        .await
        .unwrap();
    let client = Client::new(&server);
    let authority = netid_testkit::Authority::generate("test-authority");
    client.register_authority(&authority).await;
    let people = People::new();
    client.load_roster(&authority.sign(people.all())).await;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&people.adult))
        .await;
    (server, dir, client, wallet, authority)
}

pub(crate) async fn ca_status(client: &Client) -> CaStatus {
    let answer = client
        .send(
            client
                .http
                .get(format!("{}/v1/operator/ca", client.admin_url))
                .bearer_auth(&client.operator),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()
}

/// Certifies the service's CA with a fresh root of `suite`; returns the root and the issuing
/// CA certificate.
pub(crate) async fn certify_with_new_root(client: &Client, suite: &Suite) -> (Root, Certificate) {
    let status = ca_status(client).await;
    let root = Root::generate(suite);
    let issuing = root.certify(suite, &status.issuing_public_key);
    let answer = certify(client, &root, &issuing).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    (root, issuing)
}

/// A signing certificate for a fresh key of `suite`, asked for with `wallet`.
pub(crate) async fn holder_certificate(
    client: &Client,
    wallet: &Wallet,
    suite: &Suite,
) -> HolderCertificateResponse {
    let key = suite.generate_signing_key().unwrap();
    let csr = netid_ca::build_request("CN=ignored", &key).unwrap();
    client
        .post(
            "/v1/holders/certificates",
            None,
            &wallet.certificate_request(&csr),
        )
        .await
        .json()
}

pub(crate) async fn certify(
    client: &Client,
    root: &Root,
    issuing: &Certificate,
) -> crate::client::Answer {
    let request = CertifyCaRequest {
        root_certificate: netid_ca::to_pem(&root.certificate).unwrap(),
        issuing_certificate: netid_ca::to_pem(issuing).unwrap(),
    };
    client
        .post("/v1/operator/ca/certify", Some(&client.bearer()), &request)
        .await
}

pub(crate) fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

pub(crate) fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl").args(args).output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

pub(crate) fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// An OCSP request (DER) that OpenSSL writes for the certificate at `certificate`.
fn openssl_ocsp_request(dir: &Path, issuer: &Path, certificate: &Path) -> Vec<u8> {
    let request = dir.join("request.der");
    let (ok, out) = openssl(&[
        "ocsp",
        "-issuer",
        s(issuer),
        "-cert",
        s(certificate),
        "-reqout",
        s(&request),
    ]);
    assert!(ok, "{out}");
    std::fs::read(request).unwrap()
}

/// The CRL the service serves now, as PEM for OpenSSL.
async fn crl_pem(client: &Client) -> String {
    let (status, _, der) = client.get_bytes("/v1/ca/crl").await;
    assert_eq!(status, StatusCode::OK);
    let crl = <netid_ca::CertificateList as der::Decode>::from_der(&der).unwrap();
    netid_ca::crl_to_pem(&crl).unwrap()
}

// OpenSSL runs synchronously here while the server answers it: a second worker thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p256_ca_passes_stock_openssl_chain_crl_and_live_ocsp_checks() {
    let suite = Suite::intl();
    let (server, _data, client, wallet) = world("intl").await;
    let files = tempfile::tempdir().unwrap();

    // Not certified yet: every CA answer says so.
    let (status, _, _) = client.get_bytes("/v1/ca/crl").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, _, answer) = client.get_bytes("/v1/ca/ocsp/MAA=").await;
    assert_eq!(status, StatusCode::OK, "OCSP failures are OCSP responses");
    assert_eq!(
        verify_ocsp_response(&answer, &Root::generate(&suite).certificate, now()),
        Err(netid_ca::Error::OcspUnsuccessful { status: 3 }),
        "tryLater until the CA is certified"
    );
    let certificate_key = suite.generate_signing_key().unwrap();
    let csr = netid_ca::build_request("CN=ignored", &certificate_key).unwrap();
    client
        .post(
            "/v1/holders/certificates",
            None,
            &wallet.certificate_request(&csr),
        )
        .await
        .problem(StatusCode::SERVICE_UNAVAILABLE, "ca_not_certified");

    let before = ca_status(&client).await;
    assert_eq!((before.suite.as_str(), before.certified), ("intl", false));
    let root = Root::generate(&suite);
    // A certificate for another key, or from another root, is refused.
    let stranger = suite.generate_signing_key().unwrap();
    let wrong_key = root.certify(&suite, &stranger.verifying_key().to_spki_pem().unwrap());
    certify(&client, &root, &wrong_key)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_certificate");
    let other_root = Root::generate(&suite);
    let other_issuing = other_root.certify(&suite, &before.issuing_public_key);
    certify(&client, &root, &other_issuing)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_certificate");
    let issuing = root.certify(&suite, &before.issuing_public_key);
    let answer = certify(&client, &root, &issuing).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let after: CaStatus = answer.json();
    assert!(after.certified && after.chain.is_some());

    // A holder's certificate: pseudonymous subject, CRL and OCSP locations.
    let answer = client
        .post(
            "/v1/holders/certificates",
            None,
            &wallet.certificate_request(&csr),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let issued: HolderCertificateResponse = answer.json();
    let root_path = write(
        files.path(),
        "root.pem",
        netid_ca::to_pem(&root.certificate).unwrap(),
    );
    let issuing_path = write(
        files.path(),
        "issuing.pem",
        netid_ca::to_pem(&issuing).unwrap(),
    );
    let holder_path = write(files.path(), "holder.pem", &issued.certificate);
    let (_, text) = openssl(&["x509", "-in", s(&holder_path), "-noout", "-text"]);
    assert!(text.contains("O = netid holder"), "{text}");
    assert!(!text.contains("测试"), "the subject is a pseudonym: {text}");
    assert!(
        text.contains("/v1/ca/crl") && text.contains("/v1/ca/ocsp"),
        "{text}"
    );
    assert!(issued.chain.contains("BEGIN CERTIFICATE"));

    let verify_with_crl = |crl: &Path| {
        openssl(&[
            "verify",
            "-x509_strict",
            "-crl_check",
            "-CAfile",
            s(&root_path),
            "-untrusted",
            s(&issuing_path),
            "-CRLfile",
            s(crl),
            s(&holder_path),
        ])
    };
    let ocsp = || {
        openssl(&[
            "ocsp",
            "-url",
            &format!("{}/v1/ca/ocsp", server.base_url),
            "-issuer",
            s(&issuing_path),
            "-cert",
            s(&holder_path),
            "-CAfile",
            s(&root_path),
            "-verify_other",
            s(&issuing_path),
        ])
    };
    let crl = write(files.path(), "crl-1.pem", crl_pem(&client).await);
    let (ok, out) = verify_with_crl(&crl);
    assert!(ok, "{out}");
    let (ok, out) = ocsp();
    assert!(ok && out.contains("Response verify OK"), "{out}");
    assert!(out.contains("holder.pem: good"), "{out}");

    // A platform's client certificate for mutual TLS, checked for that purpose by OpenSSL.
    let platform = client.register_platform("mtls platform").await;
    let platform_key = suite.generate_signing_key().unwrap();
    let platform_csr = netid_proto::PlatformCertificateRequest {
        csr: base64ct::Base64UrlUnpadded::encode_string(
            &netid_ca::build_request("CN=ignored", &platform_key).unwrap(),
        ),
    };
    client
        .post("/v1/platform/certificates", None, &platform_csr)
        .await
        .problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    let answer = client
        .post(
            "/v1/platform/certificates",
            Some(&crate::client::basic(&platform)),
            &platform_csr,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let platform_certificate: HolderCertificateResponse = answer.json();
    let platform_path = write(
        files.path(),
        "platform.pem",
        &platform_certificate.certificate,
    );
    let (ok, out) = openssl(&[
        "verify",
        "-x509_strict",
        "-purpose",
        "sslclient",
        "-CAfile",
        s(&root_path),
        "-untrusted",
        s(&issuing_path),
        s(&platform_path),
    ]);
    assert!(ok, "{out}");
    let (_, text) = openssl(&["x509", "-in", s(&platform_path), "-noout", "-subject"]);
    assert!(text.contains(&platform.client_id), "{text}");

    // Certificates near expiry, for renewal: none within 30 days, all three within 400.
    let expiring = |days: u32| {
        client.send(
            client
                .http
                .get(format!(
                    "{}/v1/operator/ca/expiring?days={days}",
                    client.admin_url
                ))
                .bearer_auth(&client.operator),
        )
    };
    let soon: netid_proto::ExpiringCertificates = expiring(30).await.json();
    assert!(soon.certificates.is_empty());
    let later: netid_proto::ExpiringCertificates = expiring(400).await.json();
    let mut profiles: Vec<&str> = later
        .certificates
        .iter()
        .map(|certificate| certificate.profile.as_str())
        .collect();
    profiles.sort_unstable();
    assert_eq!(
        profiles,
        vec![
            "holder-signing",
            "net-certificate-issuer",
            "ocsp-responder",
            "platform-client"
        ]
    );
    expiring(4000)
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_query");

    // Revocation by the holder, once; another holder cannot.
    let other = Wallet::generate();
    client
        .enroll_ok(&other.enroll_request(&People::new().teen))
        .await;
    client
        .post(
            "/v1/holders/certificates/revoke",
            None,
            &other.revocation_request(&issued.serial, None),
        )
        .await
        .problem(StatusCode::NOT_FOUND, "certificate_not_found");
    let revoke = || async {
        let revocation = wallet.revocation_request(&issued.serial, Some("key_compromise"));
        client
            .post("/v1/holders/certificates/revoke", None, &revocation)
            .await
    };
    let first: RevokeCertificateResponse = revoke().await.json();
    let again: RevokeCertificateResponse = revoke().await.json();
    assert_eq!((first.revoked, again.revoked), (true, false));

    let crl = write(files.path(), "crl-2.pem", crl_pem(&client).await);
    let (ok, out) = verify_with_crl(&crl);
    assert!(!ok && out.contains("certificate revoked"), "{out}");
    let (ok, out) = ocsp();
    assert!(ok && out.contains("Response verify OK"), "{out}");
    assert!(out.contains("holder.pem: revoked"), "{out}");
    assert!(out.contains("Reason: keyCompromise"), "{out}");

    // OCSP by GET (RFC 6960 A.1), with a request OpenSSL wrote.
    let request = openssl_ocsp_request(files.path(), &issuing_path, &holder_path);
    let encoded = Base64::encode_string(&request);
    let path = format!(
        "/v1/ca/ocsp/{}",
        encoded.replace('/', "%2F").replace('+', "%2B")
    );
    let (status, _, response) = client.get_bytes(&path).await;
    assert_eq!(status, StatusCode::OK);
    let checked = verify_ocsp_response(&response, &issuing, now()).unwrap();
    assert!(matches!(
        checked.statuses[0].1,
        CertificateStatus::Revoked {
            reason: RevocationReason::KeyCompromise,
            ..
        }
    ));

    // Issuance and revocation are the holder's log entries.
    assert_eq!(
        client.log_kinds(&wallet).await,
        vec![
            EntryKind::Enrollment,
            EntryKind::CertificateIssued,
            EntryKind::CertificateRevoked
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn sm2_ca_issues_checks_and_survives_a_restart() {
    let suite = Suite::gm();
    let (server, data, client, wallet) = world("gm").await;
    let operator = client.operator.clone();
    let files = tempfile::tempdir().unwrap();
    let status = ca_status(&client).await;
    assert_eq!(status.suite, "gm", "SM2 is the default");
    let root = Root::generate(&suite);
    let issuing = root.certify(&suite, &status.issuing_public_key);
    assert_eq!(
        certify(&client, &root, &issuing).await.status,
        StatusCode::OK
    );

    // A request for a key of the other suite, or garbage, is refused.
    let p256 = Suite::intl().generate_signing_key().unwrap();
    let wrong = netid_ca::build_request("CN=x", &p256).unwrap();
    client
        .post(
            "/v1/holders/certificates",
            None,
            &wallet.certificate_request(&wrong),
        )
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    client
        .post(
            "/v1/holders/certificates",
            None,
            &wallet.certificate_request(b"garbage"),
        )
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    let mut forged = wallet.certificate_request(&wrong);
    forged.signature = Wallet::generate().certificate_request(&wrong).signature;
    client
        .post("/v1/holders/certificates", None, &forged)
        .await
        .problem(StatusCode::FORBIDDEN, "bad_wallet_signature");

    let issued = holder_certificate(&client, &wallet, &suite).await;
    let holder_path = write(files.path(), "holder.pem", &issued.certificate);
    let issuing_path = write(
        files.path(),
        "issuing.pem",
        netid_ca::to_pem(&issuing).unwrap(),
    );
    // OpenSSL 3.0 checks SM2 links one at a time with the standard distinguishing ID.
    let (ok, out) = openssl(&[
        "verify",
        "-partial_chain",
        "-vfyopt",
        "distid:1234567812345678",
        "-CAfile",
        s(&issuing_path),
        s(&holder_path),
    ]);
    assert!(ok, "{out}");
    server.stop().await;

    // After a restart the CA is still certified and its responder still answers.
    let server = TestServer::start_with_env(
        data.path(),
        vec![("NETID_CA_SUITE".to_owned(), "gm".to_owned())],
    )
    .await
    .unwrap();
    let request = openssl_ocsp_request(files.path(), &issuing_path, &holder_path);
    let response = reqwest::Client::new()
        .post(format!("{}/v1/ca/ocsp", server.base_url))
        .header(reqwest::header::CONTENT_TYPE, "application/ocsp-request")
        .body(request)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()[reqwest::header::CONTENT_TYPE],
        "application/ocsp-response"
    );
    let checked = verify_ocsp_response(&response.bytes().await.unwrap(), &issuing, now()).unwrap();
    assert_eq!(checked.statuses[0].1, CertificateStatus::Good);
    // A serial this CA never issued is unknown; garbage is a malformed request.
    let garbage = reqwest::Client::new()
        .post(format!("{}/v1/ca/ocsp", server.base_url))
        .body(b"garbage".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(
        verify_ocsp_response(&garbage.bytes().await.unwrap(), &issuing, now()),
        Err(netid_ca::Error::OcspUnsuccessful { status: 1 })
    );
    server.stop().await;

    // Switching the CA's suite later starts the service uncertified, not broken.
    let server = TestServer::start_with_env(
        data.path(),
        vec![("NETID_CA_SUITE".to_owned(), "intl".to_owned())],
    )
    .await
    .unwrap();
    let mut client = Client::new(&server);
    client.operator = operator;
    let status = ca_status(&client).await;
    assert_eq!((status.suite.as_str(), status.certified), ("intl", false));
    server.stop().await;
}

/// The OCSP responder's certificate (one year) is renewed when less than 30 days remain; the
/// service's clock is moved forward by opening its data directory with a fixed clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ocsp_responder_certificate_is_renewed_before_it_expires() {
    use tower::ServiceExt;
    let suite = Suite::gm();
    let (server, data, client, _wallet) = world("gm").await;
    let (_, issuing) = certify_with_new_root(&client, &suite).await;
    server.stop().await;
    // A request about any serial of this issuer: an unknown serial is answered `unknown`.
    let files = tempfile::tempdir().unwrap();
    let issuing_path = write(
        files.path(),
        "issuing.pem",
        netid_ca::to_pem(&issuing).unwrap(),
    );
    let request_path = files.path().join("request.der");
    let (ok, out) = openssl(&[
        "ocsp",
        "-issuer",
        s(&issuing_path),
        "-serial",
        "0x4444",
        "-reqout",
        s(&request_path),
    ]);
    assert!(ok, "{out}");
    let request = std::fs::read(&request_path).unwrap();

    let ask = |days_later: u64| {
        let data = data.path().to_owned();
        let request = request.clone();
        let issuing = issuing.clone();
        async move {
            let at = now() + days_later * DAY;
            let config = netid_testkit::test_config(
                &data,
                vec![("NETID_CA_SUITE".to_owned(), "gm".to_owned())],
            );
            let clock =
                netid_server::Clock::Fixed(netid_store::Timestamp(i64::try_from(at).unwrap()));
            let state = netid_server::open(config, clock).await.unwrap();
            let renewed = state.renew_certificates().await.unwrap();
            let response = netid_server::app(state)
                .oneshot(
                    axum::http::Request::post("/v1/ca/ocsp")
                        .body(axum::body::Body::from(request))
                        .unwrap(),
                )
                .await
                .unwrap();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            (renewed, verify_ocsp_response(&body, &issuing, at))
        }
    };
    // A month from now nothing is due, and the responder answers.
    let (renewed, answer) = ask(30).await;
    assert!(!renewed);
    assert!(answer.is_ok(), "{answer:?}");
    // 350 days on, less than 30 days remain: the responder's certificate is renewed.
    let (renewed, answer) = ask(350).await;
    assert!(renewed);
    assert!(answer.is_ok(), "{answer:?}");
    // 380 days on, the first certificate has expired; the renewed one answers, and is not
    // renewed again.
    let (renewed, answer) = ask(380).await;
    assert!(!renewed, "renewed once, not on every start");
    assert!(answer.is_ok(), "{answer:?}");
}

/// Recovery moves the Net ID to a new wallet and revokes the holder's signing certificates
/// (superseded): the lost device may have held their keys.
#[tokio::test]
async fn recovery_revokes_the_holders_certificates() {
    let suite = Suite::gm();
    let (server, _data, client, wallet, authority) = world_with_authority("gm").await;
    let (_, issuing) = certify_with_new_root(&client, &suite).await;
    let issued = holder_certificate(&client, &wallet, &suite).await;

    let mut renewed = People::new().adult;
    renewed.enrollment_code = Some("CODE-A-RENEWED".to_owned());
    let mut roster = People::new().all();
    roster[0] = renewed.clone();
    assert_eq!(
        client.load_roster(&authority.sign(roster)).await.status,
        StatusCode::OK
    );
    let new_wallet = Wallet::generate();
    client.enroll_ok(&new_wallet.enroll_request(&renewed)).await;

    assert_eq!(
        client.log_kinds(&new_wallet).await,
        vec![
            EntryKind::Enrollment,
            EntryKind::CertificateIssued,
            EntryKind::Recovery,
            EntryKind::CertificateRevoked
        ]
    );
    let (_, _, crl) = client.get_bytes("/v1/ca/crl").await;
    let crl = <netid_ca::CertificateList as der::Decode>::from_der(&crl).unwrap();
    let entries = crl.tbs_cert_list.revoked_certificates.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        hex::encode(entries[0].serial_number.as_bytes()),
        issued.serial
    );

    // The filing package counts it, and its signature is the issuing CA's over the payload.
    let answer = client
        .send(
            client
                .http
                .get(format!("{}/v1/operator/ca/filing", client.admin_url))
                .bearer_auth(&client.operator),
        )
        .await;
    let signed: netid_proto::SignedPackage = answer.json();
    let payload = base64ct::Base64UrlUnpadded::decode_vec(&signed.payload).unwrap();
    let filing: netid_proto::Filing = serde_json::from_slice(&payload).unwrap();
    let holder_counts = filing
        .counts
        .iter()
        .find(|count| count.profile == "holder-signing")
        .unwrap();
    assert_eq!((holder_counts.issued, holder_counts.revoked), (1, 1));
    assert_eq!(filing.fingerprints.len(), 2);
    let spki = der::Encode::to_der(issuing.tbs_certificate().subject_public_key_info()).unwrap();
    let key = suite.verifying_key_from_spki_der(&spki).unwrap();
    let signature = suite
        .signature_from_der(&base64ct::Base64UrlUnpadded::decode_vec(&signed.signature).unwrap())
        .unwrap();
    assert!(key.verify(&payload, &signature).is_ok());
    let mut tampered = payload.clone();
    tampered[10] ^= 1;
    assert!(key.verify(&tampered, &signature).is_err());
    server.stop().await;
}

/// Foreign CAs: recognised with documentation and a scope, their certificates trusted only
/// within it, and not at all once the recognition is withdrawn; netid's own certificates are
/// trusted for any scenario until revoked.
#[tokio::test]
async fn foreign_cas_are_trusted_within_their_recognised_scope_until_withdrawn() {
    let suite = Suite::gm();
    let (server, _data, client, wallet) = world("gm").await;
    let (_, issuing) = certify_with_new_root(&client, &suite).await;

    // A foreign CA (P-256) and a certificate it issued.
    let foreign = Root::named(&Suite::intl(), "CN=foreign test root,O=foreign test");
    let foreign_leaf = netid_ca::issue(
        &CertificateTemplate::new(
            "CN=foreign signer,O=foreign test",
            Profile::HolderSigning,
            [0x55; 16],
            now() - DAY,
            now() + 30 * DAY,
        ),
        Suite::intl()
            .generate_signing_key()
            .unwrap()
            .verifying_key(),
        Some(&foreign.certificate),
        &foreign.key,
    )
    .unwrap();
    let recognise =
        |certificate: &Certificate, scenarios: Vec<&str>| netid_proto::RecogniseForeignCaRequest {
            name: "foreign-test-ca".to_owned(),
            certificate: netid_ca::to_pem(certificate).unwrap(),
            qualification: "licence TEST-0001 of a foreign test supervisor".to_owned(),
            certificate_type: "electronic signature".to_owned(),
            technical_standard: "RFC 5280, ECDSA P-256".to_owned(),
            scenarios: scenarios.into_iter().map(str::to_owned).collect(),
        };
    let recognise_path = "/v1/operator/ca/foreign";
    client
        .post(
            recognise_path,
            Some(&client.bearer()),
            &recognise(&foreign_leaf, vec!["e-signature"]),
        )
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_certificate");
    client
        .post(
            recognise_path,
            Some(&client.bearer()),
            &recognise(&foreign.certificate, vec![]),
        )
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    client
        .post(
            recognise_path,
            None,
            &recognise(&foreign.certificate, vec!["e-signature"]),
        )
        .await
        .problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    let answer = client
        .post(
            recognise_path,
            Some(&client.bearer()),
            &recognise(&foreign.certificate, vec!["e-signature"]),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let listed: netid_proto::ForeignCaList = client.get("/v1/ca/foreign").await.json();
    assert_eq!(listed.foreign_cas.len(), 1);
    assert_eq!(listed.foreign_cas[0].scenarios, vec!["e-signature"]);

    let verify_with_crls =
        |certificate: &Certificate, scenario: Option<&str>, crls: &[&netid_ca::CertificateList]| {
            netid_proto::VerifyCertificateRequest {
                chain: vec![netid_ca::to_pem(certificate).unwrap()],
                scenario: scenario.map(str::to_owned),
                crls: crls
                    .iter()
                    .map(|crl| netid_ca::crl_to_pem(crl).unwrap())
                    .collect(),
            }
        };
    let verify = |certificate: &Certificate, scenario: Option<&str>| {
        verify_with_crls(certificate, scenario, &[])
    };
    let trusted: netid_proto::VerifyCertificateResponse = client
        .post(
            "/v1/ca/verify",
            None,
            &verify(&foreign_leaf, Some("e-signature")),
        )
        .await
        .json();
    assert_eq!(trusted.anchor, "foreign-test-ca");
    assert!(!trusted.revocation_checked, "no CRL was sent");

    // With the foreign CA's CRLs, which the caller fetched: checked, and a listed
    // certificate is refused; a CRL that is not the foreign CA's is refused too.
    let foreign_crl = |revoked: &[RevokedEntry], key: &netid_crypto::SigningKey| {
        netid_ca::issue_crl(
            &foreign.certificate,
            key,
            1,
            now() - 60,
            now() + DAY,
            revoked,
        )
        .unwrap()
    };
    let clean = foreign_crl(&[], &foreign.key);
    let checked: netid_proto::VerifyCertificateResponse = client
        .post(
            "/v1/ca/verify",
            None,
            &verify_with_crls(&foreign_leaf, Some("e-signature"), &[&clean]),
        )
        .await
        .json();
    assert!(checked.revocation_checked);
    let listing = foreign_crl(
        &[RevokedEntry {
            serial: foreign_leaf.tbs_certificate().serial_number().clone(),
            revoked_at: now() - 120,
            reason: RevocationReason::KeyCompromise,
        }],
        &foreign.key,
    );
    let problem = client
        .post(
            "/v1/ca/verify",
            None,
            &verify_with_crls(&foreign_leaf, Some("e-signature"), &[&listing]),
        )
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "certificate_not_trusted");
    assert!(problem.detail.contains("revoked"), "{}", problem.detail);
    let forged = foreign_crl(&[], &Suite::intl().generate_signing_key().unwrap());
    client
        .post(
            "/v1/ca/verify",
            None,
            &verify_with_crls(&foreign_leaf, Some("e-signature"), &[&forged]),
        )
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "certificate_not_trusted");
    for scenario in [Some("online-banking"), None] {
        client
            .post("/v1/ca/verify", None, &verify(&foreign_leaf, scenario))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "outside_recognised_scope");
    }

    // netid's own holder certificate: trusted for any scenario, until revoked.
    let issued = holder_certificate(&client, &wallet, &suite).await;
    let own = netid_proto::VerifyCertificateRequest {
        chain: vec![
            issued.certificate.clone(),
            netid_ca::to_pem(&issuing).unwrap(),
        ],
        scenario: Some("anything".to_owned()),
        crls: Vec::new(),
    };
    let trusted: netid_proto::VerifyCertificateResponse =
        client.post("/v1/ca/verify", None, &own).await.json();
    assert_eq!(trusted.anchor, "netid");
    client
        .post(
            "/v1/holders/certificates/revoke",
            None,
            &wallet.revocation_request(&issued.serial, Some("key_compromise")),
        )
        .await;
    let problem = client
        .post("/v1/ca/verify", None, &own)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "certificate_not_trusted");
    assert!(problem.detail.contains("revoked"), "{}", problem.detail);

    // Withdrawal: once, and then the foreign certificate is not trusted at all.
    let withdraw = netid_proto::WithdrawForeignCaRequest {
        name: "foreign-test-ca".to_owned(),
    };
    let first: netid_proto::WithdrawForeignCaResponse = client
        .post(
            "/v1/operator/ca/foreign/withdraw",
            Some(&client.bearer()),
            &withdraw,
        )
        .await
        .json();
    let again: netid_proto::WithdrawForeignCaResponse = client
        .post(
            "/v1/operator/ca/foreign/withdraw",
            Some(&client.bearer()),
            &withdraw,
        )
        .await
        .json();
    assert_eq!((first.withdrawn, again.withdrawn), (true, false));
    client
        .post(
            "/v1/ca/verify",
            None,
            &verify(&foreign_leaf, Some("e-signature")),
        )
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "certificate_not_trusted");
    let listed: netid_proto::ForeignCaList = client.get("/v1/ca/foreign").await.json();
    assert!(listed.foreign_cas.is_empty());
    server.stop().await;
}

/// The CRL number OpenSSL reads from the CRL at `path`.
fn openssl_crl_number(path: &Path) -> u128 {
    let (ok, out) = openssl(&["crl", "-in", s(path), "-noout", "-crlnumber"]);
    assert!(ok, "{out}");
    let hex = out
        .trim()
        .strip_prefix("crlNumber=0x")
        .unwrap_or_else(|| panic!("{out}"));
    u128::from_str_radix(hex, 16).unwrap()
}

/// Issue 20: two different CRLs made within one second carried the same CRL number, so a
/// client keeping the highest-numbered CRL missed a revocation (RFC 5280 §5.2.3). With the
/// clock held still, the CRL after a revocation has a higher number, as OpenSSL reads it.
#[tokio::test]
async fn issue_20_crls_made_in_one_second_have_increasing_numbers() {
    let suite = Suite::gm();
    let clock = netid_server::Clock::Fixed(netid_store::Timestamp(netid_testkit::now()));
    let (_server, _data, client, wallet, _) = world_at("gm", clock).await;
    certify_with_new_root(&client, &suite).await;
    let issued = holder_certificate(&client, &wallet, &suite).await;
    let files = tempfile::tempdir().unwrap();
    let before = openssl_crl_number(&write(files.path(), "before.pem", crl_pem(&client).await));
    let revoked = client
        .post(
            "/v1/holders/certificates/revoke",
            None,
            &wallet.revocation_request(&issued.serial, None),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    let after = openssl_crl_number(&write(files.path(), "after.pem", crl_pem(&client).await));
    assert!(after > before, "{after} after {before}");
}
