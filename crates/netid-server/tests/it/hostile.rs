//! Hostile clients (issue 20): what an attacker on the network tries, each refused.

use netid_crypto::Suite;
use netid_testkit::{Wallet, p256_signature_twin};
use reqwest::StatusCode;

use crate::client::World;

/// Issue 20: a captured wallet-signed request, sent again within the freshness window, was
/// answered again (the history with the holder's log key, Net Certificates with their name and
/// document number). Each is now answered once.
#[tokio::test]
async fn issue_20_a_replayed_wallet_signed_request_is_refused_and_tells_nothing() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;

    let history = wallet.log_request();
    let first = client.post("/v1/holders/log", None, &history).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let again = client.post("/v1/holders/log", None, &history).await;
    let problem = again.problem(StatusCode::CONFLICT, "request_replayed");
    assert!(
        problem.detail.contains("sign a new one"),
        "{}",
        problem.detail
    );
    assert!(!again.body.contains("log_key"));

    let certificates =
        wallet.net_certificate_request(&[Suite::gm().generate_signing_key().unwrap()]);
    let first = client
        .post("/v1/holders/net-certificates", None, &certificates)
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    client
        .post("/v1/holders/net-certificates", None, &certificates)
        .await
        .problem(StatusCode::CONFLICT, "request_replayed");

    // The enrollment itself: its answer carries the Net ID.
    let enrollment = Wallet::generate().enroll_request(&world.people.teen);
    client.enroll_ok(&enrollment).await;
    client
        .enroll(&enrollment)
        .await
        .problem(StatusCode::CONFLICT, "request_replayed");

    // A fresh request from the same wallet is answered as before.
    let fresh = client
        .post("/v1/holders/log", None, &wallet.log_request())
        .await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
}

/// Issue 20: the one-time passkey link was refused a second time by its signature's bytes, so
/// the P-256 twin `(r, n - s)` of a captured request's signature got a second link.
#[tokio::test]
async fn issue_20_the_twin_of_a_p256_signature_gets_no_second_passkey_link() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate_in(&Suite::intl());
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;

    let request = wallet.passkey_link_request();
    let first = client
        .post("/v1/holders/passkeys/link", None, &request)
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let mut twin = request.clone();
    twin.signature = p256_signature_twin(&request.signature);
    assert_ne!(twin.signature, request.signature);
    let answer = client.post("/v1/holders/passkeys/link", None, &twin).await;
    assert!(
        answer.status == StatusCode::FORBIDDEN || answer.status == StatusCode::CONFLICT,
        "{} {}",
        answer.status,
        answer.body
    );
    assert!(!answer.body.contains("#link="));

    // A high-S signature on a request never seen is refused too: one encoding per signature.
    let fresh = wallet.passkey_link_request();
    let high = netid_proto::PasskeyLinkRequest {
        signature: p256_signature_twin(&fresh.signature),
        ..fresh
    };
    client
        .post("/v1/holders/passkeys/link", None, &high)
        .await
        .problem(StatusCode::FORBIDDEN, "bad_wallet_signature");
}

/// A request id that is too short to be unguessable, or not base64url, is a field error.
#[tokio::test]
async fn a_request_id_must_be_16_to_64_base64url_characters() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    for bad in ["short", "has space in it, sixteen+", &"a".repeat(65)] {
        let mut request = wallet.log_request();
        request.request_id = bad.to_owned();
        let problem = client
            .post("/v1/holders/log", None, &request)
            .await
            .problem(StatusCode::BAD_REQUEST, "invalid_field");
        assert!(problem.detail.contains("request_id"), "{}", problem.detail);
    }
}
