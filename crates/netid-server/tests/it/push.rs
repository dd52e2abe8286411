//! Alerts the holder chooses (issue 24): Web Push to a push service the test runs on
//! loopback, with a browser's side written apart (Python, pyca) that checks the VAPID token
//! and decrypts the message.

use netid_proto::{PushSubscribed, PushSubscription};
use netid_testkit::Wallet;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

use crate::client::World;

/// The next JSON line the push service prints (at most 20 s away).
async fn next(lines: &mut Lines<BufReader<ChildStdout>>) -> Value {
    let line = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
        .await
        .expect("the push service said nothing in 20 s")
        .unwrap()
        .expect("the push service stopped");
    serde_json::from_str(&line).unwrap()
}

#[tokio::test]
async fn a_holder_is_told_of_each_use_by_web_push_and_the_message_holds_nothing_personal() {
    let world = World::with_env(&[("NETID_PUSH_HOSTS", "127.0.0.1")]).await;
    let client = &world.client;
    let python = std::env::var("NETID_TEST_OIDC_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut service = Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/oidc/python/push_service.py"
        ))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(service.stdout.take().unwrap()).lines();
    let subscription: PushSubscription =
        serde_json::from_value(next(&mut lines).await["subscription"].clone()).unwrap();

    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    // Bad subscriptions are refused: an endpoint of a push service not trusted, keys that
    // cannot encrypt.
    let mut elsewhere = subscription.clone();
    elsewhere.endpoint = "https://push.attacker.example/x".to_owned();
    let mut bad_keys = subscription.clone();
    bad_keys.keys.p256dh = bad_keys.keys.auth.clone();
    for bad in [elsewhere, bad_keys] {
        client
            .post("/v1/holders/push", None, &wallet.push_request(bad))
            .await
            .problem(StatusCode::BAD_REQUEST, "invalid_field");
    }
    let subscribed = client
        .post("/v1/holders/push", None, &wallet.push_request(subscription))
        .await;
    assert_eq!(subscribed.status, StatusCode::OK, "{}", subscribed.body);
    let _: PushSubscribed = subscribed.json();

    // A verification: the holder's browser is told, by a message that says only that the
    // history has something new, signed by the key the service publishes.
    let platform = client.register_platform("push-platform").await;
    client
        .verify_ok(&platform, &wallet, "nonce-push-000001", &[])
        .await;
    let told = next(&mut lines).await;
    assert!(told.get("error").is_none(), "{told}");
    assert_eq!(told["message"], r#"{"netid":"history"}"#);
    let key: Value = client.get("/v1/push/key").await.json();
    assert_eq!(told["vapid_key"], key["public_key"]);
    assert_eq!(told["headers"]["TTL"], "86400");

    // An operator's read of the holder's data (not deferred): told at once too.
    let net_id = client
        .post("/v1/holders/record", None, &wallet.record_request())
        .await
        .json::<netid_proto::HolderRecord>()
        .net_id;
    let read = netid_proto::OperatorReadRequest {
        net_id: Some(net_id),
        platform_subject: None,
        certificate_serial: None,
        history: None,
        fields: vec!["name".to_owned()],
        basis_kind: netid_proto::LegalBasisKind::CriminalInvestigation,
        legal_basis: "Synthetic Public Security Act, art. 99 (test)".to_owned(),
        reference: "TEST-CASE-PUSH".to_owned(),
        defer_notice: None,
    };
    let answer = client
        .post("/v1/operator/holders/read", Some(&client.bearer()), &read)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let told = next(&mut lines).await;
    assert_eq!(told["message"], r#"{"netid":"history"}"#, "{told}");
    drop(service);
}
