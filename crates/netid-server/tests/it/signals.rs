//! Signals to platforms (issue 25), checked by a receiver written apart on the `jose` package
//! (`tests/oidc/node/ssf-receiver.mjs`): it creates a push stream from netid's Shared Signals
//! metadata, gets its verification event, refuses the first SET (netid tries again after
//! its backoff), takes a withdrawn consent addressed by its own pseudonym for the holder
//! (the acknowledgement in the holder's history), a lock (CAEP session-revoked) and a recovery
//! (CAEP credential-change), then polls for a deletion.

use std::sync::atomic::{AtomicI64, Ordering};

use netid_log::EntryKind;
use netid_proto::Notice;
use netid_testkit::Wallet;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::client::{World, basic};
use crate::grants::grant;

const NODE_PROJECT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc/node");

/// The receiver script, and its line-by-line channel.
struct Receiver {
    _child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Receiver {
    fn spawn(issuer: &str, client_id: &str, credential: &str) -> Self {
        assert!(
            std::path::Path::new(&format!("{NODE_PROJECT}/node_modules/jose")).is_dir(),
            "jose is not installed: run `npm ci` in {NODE_PROJECT} (scripts/test does)"
        );
        let mut child = tokio::process::Command::new("node")
            .arg(format!("{NODE_PROJECT}/ssf-receiver.mjs"))
            .env("NETID_ISSUER", issuer)
            .env("RP_CLIENT_ID", client_id)
            .env("RP_CREDENTIAL", credential)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        Self {
            stdin: child.stdin.take().unwrap(),
            lines: BufReader::new(child.stdout.take().unwrap()).lines(),
            _child: child,
        }
    }

    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(std::time::Duration::from_secs(60), self.lines.next_line())
            .await
            .expect("the receiver went on within 60 seconds")
            .unwrap()
            .expect("the receiver stopped early (see its stderr above)");
        serde_json::from_str(&line).unwrap()
    }

    async fn tell(&mut self, what: &str) {
        self.stdin
            .write_all(format!("{what}\n").as_bytes())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_receiver_written_apart_gets_withdrawals_and_deletions_as_signed_events() {
    static AHEAD: AtomicI64 = AtomicI64::new(0);
    let world = World::with_clock(netid_server::Clock::Ahead(&AHEAD)).await;
    let client = &world.client;
    let platform = client.register_platform("signals-platform").await;
    grant(client, &platform, &["name"]).await;
    let mut wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let subject = client
        .verify_ok(&platform, &wallet, "nonce-signals-000001", &[])
        .await
        .subject;
    let notice: Notice = client.get("/v1/notice").await.json();
    let consented = client
        .post(
            "/v1/holders/consents",
            None,
            &wallet.consent_request(&platform.client_id, &["name"], &notice.version),
        )
        .await;
    assert_eq!(consented.status, StatusCode::OK, "{}", consented.body);

    // Streams are the platform's own: no credential, no stream.
    let anonymous = client
        .send(client.http.get(format!("{}/ssf/streams", client.base_url)))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let mut receiver = Receiver::spawn(&client.base_url, &platform.client_id, &platform.credential);
    let stream = receiver.next().await;
    assert_eq!(stream["event"], "stream", "{stream}");
    let configuration = &stream["configuration"];
    assert_eq!(configuration["aud"], platform.client_id.as_str());
    assert_eq!(configuration["delivery"]["method"], "urn:ietf:rfc:8935");
    assert_eq!(
        configuration["events_delivered"].as_array().unwrap().len(),
        4
    );
    let again = client
        .send(
            client
                .http
                .post(format!("{}/ssf/streams", client.base_url))
                .header("authorization", basic(&platform))
                .json(&json!({})),
        )
        .await;
    again.problem(StatusCode::CONFLICT, "stream_exists");
    let verified = receiver.next().await;
    assert_eq!(
        verified,
        json!({"event": "verified", "state": "state-0001"})
    );

    // The holder withdraws: the receiver refuses the first push; netid tries again after its
    // backoff (30 s, here on a clock moved ahead), and the SET names the platform's own
    // pseudonym for the holder and the field.
    wallet.sign_at(client.clock.now().0);
    let withdrawn = client
        .post(
            "/v1/holders/consents/withdraw",
            None,
            &wallet.withdrawal_request(&platform.client_id, &["name"]),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.body);
    let refused = receiver.next().await;
    assert_eq!(refused["event"], "refused", "{refused}");
    AHEAD.fetch_add(31, Ordering::SeqCst);
    let set = receiver.next().await;
    assert_eq!(set["event"], "set", "{set}");
    assert_eq!(set["jti"], refused["jti"], "the same SET, sent again");
    assert_eq!(
        set["type"],
        "urn:netid:secevent:event-type:consent-withdrawn"
    );
    assert_eq!(
        set["sub_id"],
        json!({"format": "iss_sub", "iss": client.base_url, "sub": subject})
    );
    assert_eq!(set["payload"]["fields"], json!(["name"]));
    // Acknowledged (a 202): an entry in the holder's history.
    let mut acknowledged = false;
    for _ in 0..50 {
        wallet.sign_at(client.clock.now().0);
        if client
            .log_kinds(&wallet)
            .await
            .contains(&EntryKind::SignalAcknowledged)
        {
            acknowledged = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        acknowledged,
        "the acknowledgement is in the holder's history"
    );

    // The platform says what it deleted: once, for its own acknowledged signal; the holder
    // reads it in their record.
    let withdrawal_jti = set["jti"].as_str().unwrap().to_owned();
    let other = client.register_platform("signals-other").await;
    receipt(client, &other, &withdrawal_jti, &["name"])
        .await
        .problem(StatusCode::NOT_FOUND, "unknown_receipt");
    receipt(client, &platform, &withdrawal_jti, &[])
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    let given = receipt(client, &platform, &withdrawal_jti, &["name"]).await;
    assert_eq!(given.status, StatusCode::CREATED, "{}", given.body);
    receipt(client, &platform, &withdrawal_jti, &["name", "more"])
        .await
        .problem(StatusCode::CONFLICT, "receipt_given");
    wallet.sign_at(client.clock.now().0);
    let record: Value = client
        .post("/v1/holders/record", None, &wallet.record_request())
        .await
        .json();
    assert_eq!(
        (
            &record["receipts"][0]["reference"],
            &record["receipts"][0]["event"],
            &record["receipts"][0]["deleted"]
        ),
        (
            &json!(withdrawal_jti),
            &json!("consent_withdrawn"),
            &json!(["name"])
        ),
        "{record}"
    );
    wallet.sign_at(client.clock.now().0);
    assert!(
        client
            .log_kinds(&wallet)
            .await
            .contains(&EntryKind::DeletionReceipt)
    );

    // The holder locks their Net ID: the platform is told to end their sessions (CAEP).
    wallet.sign_at(client.clock.now().0);
    let locked = client
        .post("/v1/holders/lock", None, &wallet.lock_request(true))
        .await;
    assert_eq!(locked.status, StatusCode::OK, "{}", locked.body);
    let revoked = receiver.next().await;
    assert_eq!(
        revoked["type"], "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
        "{revoked}"
    );
    assert_eq!(revoked["sub_id"]["sub"], subject.as_str());
    assert_eq!(revoked["payload"]["initiating_entity"], "user");

    // The holder recovers their Net ID with a new wallet (a fresh code from the authority):
    // the platform is told the old wallet's credentials are gone (CAEP), under the same
    // pseudonym.
    let mut renewed = world.people.adult.clone();
    renewed.enrollment_code = Some("CODE-SIGNALS-RENEWED".to_owned());
    let mut roster = world.people.all();
    roster[0] = renewed.clone();
    let loaded = client.load_roster(&world.authority.sign(roster)).await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    let mut wallet = Wallet::generate();
    client.enroll_ok(&wallet.enroll_request(&renewed)).await;
    let changed = receiver.next().await;
    assert_eq!(
        changed["type"], "https://schemas.openid.net/secevent/caep/event-type/credential-change",
        "{changed}"
    );
    assert_eq!(changed["sub_id"]["sub"], subject.as_str());
    assert_eq!(changed["payload"]["credential_type"], "app");
    assert_eq!(changed["payload"]["change_type"], "update");

    // The platform polls instead; the holder deletes their data; the SET waits for the poll.
    receiver.tell("poll").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    wallet.sign_at(client.clock.now().0);
    let deleted = client
        .post("/v1/holders/delete", None, &wallet.deletion_request())
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    // The deleted holder keeps the references their deletion answered with: what each
    // platform does with it is public by its reference.
    let references: Vec<String> =
        serde_json::from_value(deleted.json::<Value>()["receipts"].clone()).unwrap();
    assert_eq!(references.len(), 1, "{}", deleted.body);
    let path = format!("/v1/transparency/receipts/{}", references[0]);
    let sent: Value = client.get(&path).await.json();
    assert_eq!(sent["event"], "account_purged", "{sent}");
    assert_eq!(sent.get("acknowledged_at"), None, "not acknowledged yet");
    receiver.tell("deleted").await;
    let polled = receiver.next().await;
    assert_eq!(polled["event"], "polled", "{polled}");
    let sets = polled["sets"].as_array().unwrap();
    assert_eq!(sets.len(), 1, "{polled}");
    assert_eq!(
        sets[0]["type"],
        "https://schemas.openid.net/secevent/risc/event-type/account-purged"
    );
    assert_eq!(sets[0]["sub_id"]["sub"], subject.as_str());
    assert_eq!(polled["after"], 0, "acknowledged SETs are gone");

    assert_eq!(
        references,
        vec![sets[0]["jti"].as_str().unwrap().to_owned()]
    );
    let waiting: Value = client.get(&path).await.json();
    assert!(waiting["acknowledged_at"].is_i64(), "{waiting}");
    assert_eq!(waiting.get("deleted"), None, "not said yet");
    let given = receipt(
        client,
        &platform,
        &references[0],
        &["account", "order history"],
    )
    .await;
    assert_eq!(given.status, StatusCode::CREATED, "{}", given.body);
    let read: Value = client.get(&path).await.json();
    assert_eq!(
        read["deleted"],
        json!(["account", "order history"]),
        "{read}"
    );
    client
        .send(client.http.get(format!(
            "{}/v1/transparency/receipts/set-unknown",
            client.base_url
        )))
        .await
        .problem(StatusCode::NOT_FOUND, "unknown_receipt");
}

/// `platform` says it deleted `deleted` after the signal `jti`.
async fn receipt(
    client: &crate::client::Client,
    platform: &netid_proto::RegisterPlatformResponse,
    jti: &str,
    deleted: &[&str],
) -> crate::client::Answer {
    client
        .send(
            client
                .http
                .post(format!("{}/ssf/receipts", client.base_url))
                .header("authorization", basic(platform))
                .json(&json!({ "jti": jti, "deleted": deleted })),
        )
        .await
}
