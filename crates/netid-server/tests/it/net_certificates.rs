//! Net Certificates end to end: a holder gets a batch through the real API, presents one to a
//! platform, and the platform verifies it offline with netid-verify; every rejection the SDK
//! owns; revocation on recovery through the status list; and a count of the requests the
//! service sees while a platform verifies a thousand presentations.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::{SigningKey, Suite};
use netid_log::EntryKind;
use netid_proto::NetCertificateResponse;
use netid_sdjwt::{Binding, present};
use netid_testkit::Wallet;
use netid_verify::{Error, Policy, Request, Verifier};
use reqwest::StatusCode;
use serde_json::json;

use crate::client::{Client, People, World};

const PLATFORM: &str = "platform-net-certificate-test";

fn now() -> i64 {
    netid_testkit::now()
}

fn keys(suite: &Suite, count: usize) -> Vec<SigningKey> {
    (0..count)
        .map(|_| suite.generate_signing_key().unwrap())
        .collect()
}

async fn net_certificates(
    client: &Client,
    wallet: &Wallet,
    holder_keys: &[SigningKey],
) -> Vec<String> {
    let answer = client
        .post(
            "/v1/holders/net-certificates",
            None,
            &wallet.net_certificate_request(holder_keys),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json::<NetCertificateResponse>().credentials
}

fn presentation(credential: &str, holder: &SigningKey, nonce: &str, claims: &[&str]) -> String {
    presentation_for(PLATFORM, credential, holder, nonce, claims)
}

fn presentation_for(
    audience: &str,
    credential: &str,
    holder: &SigningKey,
    nonce: &str,
    claims: &[&str],
) -> String {
    present(
        credential,
        claims,
        holder,
        Binding {
            audience,
            nonce,
            issued_at: now(),
        },
    )
    .unwrap()
}

/// A platform's verifier with the issuer's metadata loaded.
async fn verifier(client: &Client) -> Verifier {
    let mut verifier = Verifier::new(&client.base_url, Policy::default());
    let metadata = client.get("/.well-known/jwt-vc-issuer").await;
    assert_eq!(metadata.status, StatusCode::OK);
    assert_eq!(verifier.load_issuer_metadata(&metadata.body).unwrap(), 2);
    verifier
}

/// Verifies, fetching a status list the first time the SDK asks for it.
async fn verify(
    client: &Client,
    verifier: &mut Verifier,
    presentation: &str,
    request: &Request,
) -> Result<netid_verify::Disclosed, Error> {
    match verifier.verify(presentation, request, now()) {
        Err(Error::StatusUnavailable { uri }) => {
            let path = uri.strip_prefix(&client.base_url).unwrap();
            let token = client.get(path).await;
            assert_eq!(token.status, StatusCode::OK);
            assert!(token.content_type.starts_with("application/statuslist+jwt"));
            verifier.load_status_list(&uri, &token.body, now()).unwrap();
            verifier.verify(presentation, request, now())
        }
        other => other,
    }
}

#[tokio::test]
async fn a_batch_is_issued_and_each_certificate_discloses_only_what_is_asked() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    for suite in [Suite::intl(), Suite::gm()] {
        let holder_keys = keys(&suite, 10);
        let batch = net_certificates(client, &wallet, &holder_keys).await;
        assert_eq!(batch.len(), 10);
        // Each its own: no two share an issuer signature, digests or status index.
        let jwts: Vec<&str> = batch.iter().map(|c| c.split('~').next().unwrap()).collect();
        let payloads: Vec<serde_json::Value> = jwts
            .iter()
            .map(|jwt| {
                let part = jwt.split('.').nth(1).unwrap();
                serde_json::from_slice(&Base64UrlUnpadded::decode_vec(part).unwrap()).unwrap()
            })
            .collect();
        let mut indexes: Vec<u64> = payloads
            .iter()
            .map(|p| p["status"]["status_list"]["idx"].as_u64().unwrap())
            .collect();
        indexes.sort_unstable();
        indexes.dedup();
        assert_eq!(indexes.len(), 10);
        for payload in &payloads {
            // Whole Beijing days, the same for the whole batch (and everyone that day).
            assert_eq!(payload["iat"], payloads[0]["iat"]);
            assert_eq!(payload["exp"], payloads[0]["exp"]);
            assert_eq!(payload["nbf"], payload["iat"]);
            assert_eq!((payload["iat"].as_i64().unwrap() + 8 * 3600) % 86_400, 0);
            assert_eq!(payload["_sd"].as_array().unwrap().len(), 16);
            assert_eq!(payload["real_name_verified"], json!(true));
            assert!(payload.get("name").is_none() && payload.get("net_id").is_none());
            assert_eq!(payload["vct"], json!(netid_verify::NET_CERTIFICATE_VCT));
        }
        assert_ne!(payloads[0]["_sd"], payloads[1]["_sd"]);

        let mut verifier = verifier(client).await;
        // Only age_over_18: that is all the platform learns.
        let request = Request::new(PLATFORM, "nonce-0001-age-only", &["age_over_18"]);
        let shown = presentation(&batch[0], &holder_keys[0], &request.nonce, &["age_over_18"]);
        let disclosed = verify(client, &mut verifier, &shown, &request)
            .await
            .unwrap();
        assert!(disclosed.real_name_verified);
        assert_eq!(
            disclosed.claims.into_iter().collect::<Vec<_>>(),
            vec![("age_over_18".to_owned(), json!(true))]
        );
        // `real_name_verified` alone.
        let bare = Request::new(PLATFORM, "nonce-0002-bare", &[]);
        let shown = presentation(&batch[1], &holder_keys[1], &bare.nonce, &[]);
        let disclosed = verify(client, &mut verifier, &shown, &bare).await.unwrap();
        assert!(disclosed.real_name_verified && disclosed.claims.is_empty());
        // The name, when asked for and disclosed.
        let named = Request::new(PLATFORM, "nonce-0003-name", &["name"]);
        let shown = presentation(&batch[2], &holder_keys[2], &named.nonce, &["name"]);
        let disclosed = verify(client, &mut verifier, &shown, &named).await.unwrap();
        assert_eq!(disclosed.claims["name"], json!(world.people.adult.name));

        // More than asked; replayed; for another platform; with another holder key.
        let asked = Request::new(PLATFORM, "nonce-0004-more", &["age_over_18"]);
        let shown = presentation(
            &batch[3],
            &holder_keys[3],
            &asked.nonce,
            &["age_over_18", "name"],
        );
        assert_eq!(
            verify(client, &mut verifier, &shown, &asked).await,
            Err(Error::DisclosedMoreThanAsked {
                claim: "name".to_owned()
            })
        );
        let replay = Request::new(PLATFORM, "nonce-0001-age-only", &["age_over_18"]);
        let shown = presentation(&batch[4], &holder_keys[4], &replay.nonce, &["age_over_18"]);
        assert_eq!(
            verify(client, &mut verifier, &shown, &replay).await,
            Err(Error::ReplayedNonce)
        );
        let elsewhere = Request::new("another-platform", "nonce-0005", &[]);
        let shown = presentation_for(
            "another-platform",
            &batch[5],
            &holder_keys[5],
            &elsewhere.nonce,
            &[],
        );
        assert_eq!(
            verify(
                client,
                &mut verifier,
                &shown,
                &Request::new(PLATFORM, "nonce-0005", &[])
            )
            .await,
            Err(Error::Credential(netid_sdjwt::Error::WrongAudience))
        );
        let thief = suite.generate_signing_key().unwrap();
        let stolen = Request::new(PLATFORM, "nonce-0006", &[]);
        let shown = presentation(&batch[6], &thief, &stolen.nonce, &[]);
        assert_eq!(
            verify(client, &mut verifier, &shown, &stolen).await,
            Err(Error::Credential(netid_sdjwt::Error::BadKeyBinding {
                reason: "signature"
            }))
        );
        // A verifier that trusts another issuer.
        let mut other = Verifier::new("https://not-netid.example", Policy::default());
        assert!(
            other
                .load_issuer_metadata(&client.get("/.well-known/jwt-vc-issuer").await.body)
                .is_err()
        );
    }
    assert!(
        client
            .log_kinds(&wallet)
            .await
            .contains(&EntryKind::CredentialIssued)
    );
}

#[tokio::test]
async fn bad_requests_are_refused_and_recovery_revokes_every_net_certificate() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let suite = Suite::intl();
    for count in [0, 51] {
        client
            .post(
                "/v1/holders/net-certificates",
                None,
                &wallet.net_certificate_request(&keys(&suite, count)),
            )
            .await
            .problem(StatusCode::BAD_REQUEST, "invalid_field");
    }
    let mut forged = wallet.net_certificate_request(&keys(&suite, 2));
    forged.holder_keys.swap(0, 1);
    assert_eq!(
        client
            .post("/v1/holders/net-certificates", None, &forged)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let stranger = Wallet::generate();
    assert_eq!(
        client
            .post(
                "/v1/holders/net-certificates",
                None,
                &stranger.net_certificate_request(&keys(&suite, 1)),
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // At most 200 unexpired per holder.
    for _ in 0..4 {
        net_certificates(client, &wallet, &keys(&suite, 49)).await;
    }
    let holder_keys = keys(&suite, 2);
    let batch = net_certificates(client, &wallet, &holder_keys).await;
    client
        .post(
            "/v1/holders/net-certificates",
            None,
            &wallet.net_certificate_request(&keys(&suite, 3)),
        )
        .await
        .problem(StatusCode::CONFLICT, "net_certificate_limit");
    let mut verifier = verifier(client).await;
    let first = Request::new(PLATFORM, "nonce-before-recovery", &[]);
    let shown = presentation(&batch[0], &holder_keys[0], &first.nonce, &[]);
    verify(client, &mut verifier, &shown, &first).await.unwrap();

    // Recovery to a new wallet: the lost wallet's Net Certificates are revoked.
    let mut renewed = People::new().adult;
    renewed.enrollment_code = Some("CODE-A-RENEWED".to_owned());
    let mut roster = People::new().all();
    roster[0] = renewed.clone();
    assert_eq!(
        client
            .load_roster(&world.authority.sign(roster))
            .await
            .status,
        StatusCode::OK
    );
    client
        .enroll_ok(&Wallet::generate().enroll_request(&renewed))
        .await;
    let uri = format!("{}/v1/status/intl", client.base_url);
    let token = client.get("/v1/status/intl").await;
    verifier.load_status_list(&uri, &token.body, now()).unwrap();
    let after = Request::new(PLATFORM, "nonce-after-recovery", &[]);
    let shown = presentation(&batch[1], &holder_keys[1], &after.nonce, &[]);
    assert_eq!(verifier.verify(&shown, &after, now()), Err(Error::Revoked));
    client
        .get("/v1/status/nosuch")
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
}

/// Offline means offline: once a platform holds the issuer's keys and status list, verifying
/// a thousand presentations makes no request to the service at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invariant_6_verifying_a_thousand_presentations_makes_no_request_to_the_service() {
    let data = tempfile::tempdir().unwrap();
    let config = netid_testkit::test_config(data.path(), Vec::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let mut config = config;
    config.public_url = Some(base_url.clone());
    let operators = std::sync::Arc::new(
        netid_testkit::TestOperators::of(
            data.path(),
            &netid_testkit::test_config(data.path(), Vec::new()),
        )
        .await,
    );
    let state = netid_server::open(config, netid_server::Clock::System)
        .await
        .unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    // Every request to the service counts, on either listener.
    let counted = |app: axum::Router| {
        let counter = Arc::clone(&requests);
        app.layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                counter.fetch_add(1, Ordering::SeqCst);
                next.run(request)
            },
        ))
    };
    // The operator endpoints, for the set-up, on a listener of their own.
    let admin_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin_url = format!("http://{}", admin_listener.local_addr().unwrap());
    let admin = counted(netid_server::admin_app(state.clone()));
    let admin_served = tokio::spawn(async move { axum::serve(admin_listener, admin).await });
    let app = counted(netid_server::app(state));
    let served = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = Client {
        http: reqwest::Client::new(),
        base_url: base_url.clone(),
        admin_url,
        operator: "netid-test-operator".to_owned(),
        operators,
        clock: netid_server::Clock::System,
    };
    let authority = netid_testkit::Authority::generate("test-authority");
    client.register_authority(&authority).await;
    let people = People::new();
    client.load_roster(&authority.sign(people.all())).await;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&people.adult))
        .await;
    let suite = Suite::intl();
    let holder_keys = keys(&suite, 10);
    let batch = net_certificates(&client, &wallet, &holder_keys).await;
    let mut verifier = verifier(&client).await;
    let uri = format!("{base_url}/v1/status/intl");
    let token = client.get("/v1/status/intl").await;
    verifier.load_status_list(&uri, &token.body, now()).unwrap();

    let presentations: Vec<(Request, String)> = (0..1000)
        .map(|n| {
            let request =
                Request::new(PLATFORM, &format!("offline-nonce-{n:04}"), &["age_over_18"]);
            let shown = presentation(
                &batch[n % 10],
                &holder_keys[n % 10],
                &request.nonce,
                &["age_over_18"],
            );
            (request, shown)
        })
        .collect();
    let before = requests.load(Ordering::SeqCst);
    for (request, shown) in &presentations {
        let disclosed = verifier.verify(shown, request, now()).unwrap();
        assert_eq!(disclosed.claims["age_over_18"], json!(true));
    }
    assert_eq!(requests.load(Ordering::SeqCst) - before, 0);
    assert!(
        before >= 6,
        "the counter sees the setup's requests: {before}"
    );
    served.abort();
    admin_served.abort();
}

/// Once netid's CA is certified, the issuer key of its suite is published with an `x5c`
/// chain: a certificate for exactly that key (digitalSignature) under the issuing CA, which
/// validates to the root; the other suite's key has none.
#[tokio::test]
async fn the_issuer_key_is_published_with_its_x5c_chain_under_netids_ca() {
    let suite = Suite::intl();
    let (server, _data, client, _wallet) = crate::ca::world("intl").await;
    let before: serde_json::Value = client.get("/.well-known/jwt-vc-issuer").await.json();
    assert!(
        before["jwks"]["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|key| key.get("x5c").is_none())
    );
    let (root, issuing) = crate::ca::certify_with_new_root(&client, &suite).await;
    let metadata: serde_json::Value = client.get("/.well-known/jwt-vc-issuer").await.json();
    let keys = metadata["jwks"]["keys"].as_array().unwrap();
    let intl = keys.iter().find(|key| key["crv"] == "P-256").unwrap();
    let gm = keys.iter().find(|key| key["crv"] == "SM2").unwrap();
    assert!(gm.get("x5c").is_none());
    let chain: Vec<netid_ca::Certificate> = intl["x5c"]
        .as_array()
        .unwrap()
        .iter()
        .map(|der| {
            let der = base64ct::Base64::decode_vec(der.as_str().unwrap()).unwrap();
            <netid_ca::Certificate as der::Decode>::from_der(&der).unwrap()
        })
        .collect();
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[1], issuing);
    let jwk: netid_crypto::Jwk = serde_json::from_value(intl.clone()).unwrap();
    let key = netid_sdjwt::key_of_jwk(&jwk).unwrap();
    assert_eq!(
        der::Encode::to_der(chain[0].tbs_certificate().subject_public_key_info()).unwrap(),
        key.to_spki_der().unwrap()
    );
    let now = u64::try_from(now()).unwrap();
    netid_ca::validate_path(
        &chain[0],
        &chain[1..],
        std::slice::from_ref(&root.certificate),
        now,
        &[],
    )
    .unwrap();
    server.stop().await;
}
