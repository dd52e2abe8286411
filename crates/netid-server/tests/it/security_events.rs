//! Security events (issue 23): kept as a hash chain, read by auditors and security
//! administrators, with no personal data, for the stated retention.

use std::sync::atomic::AtomicI64;

use netid_proto::{OperatorRole, RegisterPlatformRequest, SecurityEventPage};
use netid_store::{SecurityEventRow, Timestamp, chain_break};
use reqwest::StatusCode;

use crate::client::{Answer, Client, World};

const EVENTS: &str = "/v1/operator/security-events";

async fn read_as(client: &Client, role: OperatorRole, after: u64) -> Answer {
    let mut answer = None;
    for _ in 0..25 {
        let sent = client
            .send(
                client
                    .http
                    .get(client.url(&format!("{EVENTS}?after={after}")))
                    .header(reqwest::header::AUTHORIZATION, client.as_operator(role, 0)),
            )
            .await;
        // A test may limit requests per address: the administration listener's too.
        if sent.status != StatusCode::TOO_MANY_REQUESTS {
            return sent;
        }
        answer = Some(sent);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    answer.unwrap()
}

/// Every event, read by the auditor; waits (a bounded number of times) until `wanted` holds,
/// as other nodes write theirs within a second.
pub(crate) async fn events_until(
    client: &Client,
    wanted: impl Fn(&[SecurityEventRow]) -> bool,
) -> Vec<SecurityEventRow> {
    let mut events = Vec::new();
    for _ in 0..50 {
        let page: SecurityEventPage = read_as(client, OperatorRole::Auditor, 0).await.json();
        events = page
            .events
            .into_iter()
            .map(|event| SecurityEventRow {
                seq: event.seq,
                at: Timestamp(event.at),
                kind: event.kind,
                detail: event.detail,
                prev_hash: hex::decode(event.prev_hash).unwrap(),
                hash: hex::decode(event.hash).unwrap(),
            })
            .collect();
        if wanted(&events) {
            return events;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the events never showed what was wanted: {events:?}");
}

pub(crate) fn kinds(events: &[SecurityEventRow]) -> Vec<&str> {
    events.iter().map(|event| event.kind.as_str()).collect()
}

#[tokio::test]
async fn refusals_and_failed_sign_ins_are_kept_as_a_chain_that_auditors_read() {
    let world = World::with_env(&[("NETID_RATE_LIMIT_PER_ADDRESS", "5")]).await;
    let client = &world.client;
    let platform = RegisterPlatformRequest {
        name: "events".to_owned(),
        sector_of: None,
    };
    // A retired bearer credential, a wrong role, an operator endpoint on the public listener.
    client
        .post(
            "/v1/operator/platforms",
            Some("Bearer netid-op-0123456789abcdef0123456789abcdef"),
            &platform,
        )
        .await
        .problem(StatusCode::UNAUTHORIZED, "bearer_credential_retired");
    client
        .post(
            "/v1/operator/platforms",
            Some(&client.as_operator(OperatorRole::Auditor, 0)),
            &platform,
        )
        .await
        .problem(StatusCode::FORBIDDEN, "wrong_role");
    client
        .send(
            client
                .http
                .post(format!("{}/v1/operator/platforms", client.base_url))
                .json(&platform),
        )
        .await
        .problem(StatusCode::FORBIDDEN, "administration_elsewhere");
    // Rate-limit refusals: counted, not listed one by one.
    let mut refused = 0;
    for _ in 0..40 {
        let answer = client
            .send(client.http.get(format!("{}/healthz", client.base_url)))
            .await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        }
    }
    assert!(refused > 0);
    // Only auditors and security administrators read them.
    read_as(client, OperatorRole::SystemAdministrator, 0)
        .await
        .problem(StatusCode::FORBIDDEN, "wrong_role");
    let auditor = client.team(OperatorRole::Auditor, 0).id.clone();
    // Each node writes what it counted within a second: wait for every refusal.
    let counted = |events: &[SecurityEventRow]| -> u64 {
        events
            .iter()
            .filter(|event| event.kind == "rate_limited")
            .map(|event| {
                serde_json::from_str::<serde_json::Value>(&event.detail).unwrap()["count"]
                    .as_u64()
                    .unwrap()
            })
            .sum()
    };
    let events = events_until(client, |events| {
        let kinds = kinds(events);
        kinds.contains(&"operator_authentication_failed")
            && kinds.contains(&"operator_act_refused")
            && kinds.contains(&"operator_endpoint_on_public_listener")
            && counted(events) >= refused
    })
    .await;
    assert_eq!(chain_break(&netid_store::GENESIS, &events), None);
    assert_eq!(events[0].seq, 1);
    // The set-up of the team and the start come first.
    assert_eq!(
        kinds(&events)
            .iter()
            .filter(|kind| **kind == "operator_set_up")
            .count(),
        netid_testkit::SETUP_ENTRIES
    );
    assert!(kinds(&events).contains(&"service_started"));
    let refusal = events
        .iter()
        .find(|event| event.kind == "operator_act_refused")
        .unwrap();
    let detail: serde_json::Value = serde_json::from_str(&refusal.detail).unwrap();
    assert_eq!(detail["operator"], auditor);
    assert_eq!(detail["reason"], "wrong_role");
    // (The administration listener's own refusals of these reads count too.)
    assert!(counted(&events) >= refused);
    let page = read_as(client, OperatorRole::SecurityAdministrator, events[2].seq).await;
    assert_eq!(page.status, StatusCode::OK);
    let page: SecurityEventPage = page.json();
    assert_eq!(page.retention_days, 365);
    assert_eq!(page.events[0].seq, events[2].seq + 1);
}

/// The chain is sealed in the public log (a `security_events_sealed` entry vouching for its
/// newest hash: once an hour a node, or when an auditor asks): a row changed shows in the
/// chain, and a chain rewritten whole no longer matches the seals.
#[tokio::test]
async fn the_chain_is_sealed_in_the_public_log_and_a_rewrite_shows() {
    let world = World::new().await;
    // The set-up and the start are events; the auditor has the chain sealed.
    events_until(&world.client, |events| {
        kinds(events).contains(&"service_started")
    })
    .await;
    let sealed = seal(&world.client).await;
    client_refuses_to_seal(&world.client).await;
    // Each seal in the public log vouches for an event's hash (nodes seal what they wrote).
    let seals = sealed_digests(&world.client).await;
    assert!(seals.contains(&sealed), "{seals:?}");
    let hashes = |events: &[SecurityEventRow]| -> Vec<String> {
        events
            .iter()
            .map(|event| hex::encode(&event.hash))
            .collect()
    };
    events_until(&world.client, |events| {
        seals.iter().all(|seal| hashes(events).contains(seal))
    })
    .await;

    // Changed behind the service's back: the chain shows where.
    let world = world
        .restart_after(
            netid_server::Clock::System,
            async |data: &std::path::Path| {
                let store = netid_testkit::RawStore::of(data);
                let changed = store.execute(
                    "UPDATE security_events SET detail = '{\"role\":\"x\"}' WHERE seq = 3",
                );
                assert_eq!(changed, 1);
            },
        )
        .await;
    let events = events_until(&world.client, |events| events.len() > 3).await;
    assert_eq!(chain_break(&netid_store::GENESIS, &events), Some(3));

    // Rewritten with every later hash made again, the chain checks; the seals do not.
    let mut previous = netid_store::GENESIS.to_vec();
    let mut rewritten = Vec::new();
    for event in &events {
        let hash =
            netid_store::chain_hash(&previous, event.seq, event.at, &event.kind, &event.detail);
        rewritten.push((event.seq, previous.clone(), hash.clone()));
        previous = hash;
    }
    let world = world
        .restart_after(
            netid_server::Clock::System,
            async |data: &std::path::Path| {
                let store = netid_testkit::RawStore::of(data);
                let blob = |bytes: &[u8]| {
                    if store.is_postgres() {
                        format!("decode('{}', 'hex')", hex::encode(bytes))
                    } else {
                        format!("x'{}'", hex::encode(bytes))
                    }
                };
                for (seq, prev_hash, hash) in &rewritten {
                    store.execute(&format!(
                        "UPDATE security_events SET prev_hash = {}, hash = {} WHERE seq = {seq}",
                        blob(prev_hash),
                        blob(hash)
                    ));
                }
            },
        )
        .await;
    let events = events_until(&world.client, |events| events.len() > 3).await;
    assert_eq!(chain_break(&netid_store::GENESIS, &events), None);
    let seals = sealed_digests(&world.client).await;
    assert!(
        seals.iter().any(|seal| !hashes(&events).contains(seal)),
        "a rewrite must leave a seal that matches no event"
    );
}

/// The auditor seals the chain now; the sealed hash.
async fn seal(client: &Client) -> String {
    let sealed = client
        .post(
            "/v1/operator/security-events/seal",
            Some(&client.as_operator(OperatorRole::Auditor, 0)),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(sealed.status, StatusCode::OK, "{}", sealed.body);
    sealed.json::<serde_json::Value>()["sealed"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Only auditors and security administrators seal.
async fn client_refuses_to_seal(client: &Client) {
    client
        .post(
            "/v1/operator/security-events/seal",
            Some(&client.as_operator(OperatorRole::SystemAdministrator, 0)),
            &serde_json::json!({}),
        )
        .await
        .problem(StatusCode::FORBIDDEN, "wrong_role");
}

/// The digests of the `security_events_sealed` entries of the public log.
async fn sealed_digests(client: &Client) -> Vec<String> {
    let signed = crate::transparency::verifier(client)
        .await
        .verify(&crate::transparency::checkpoint(client).await)
        .unwrap();
    crate::transparency::all_entries(client, signed.size)
        .await
        .iter()
        .map(|leaf| netid_log::Entry::from_leaf(leaf).unwrap())
        .filter(|entry| entry.kind == netid_log::EntryKind::SecurityEventsSealed)
        .map(|entry| entry.digest.unwrap())
        .collect()
}

static AHEAD: AtomicI64 = AtomicI64::new(0);

#[tokio::test]
async fn events_past_their_retention_are_removed_and_a_shorter_retention_is_refused() {
    let error = netid_testkit::TestServer::start_with_env(
        tempfile::tempdir().unwrap().path(),
        vec![(
            "NETID_SECURITY_EVENT_RETENTION_DAYS".to_owned(),
            "90".to_owned(),
        )],
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("180"), "{error}");

    let dir = tempfile::tempdir().unwrap();
    let env = vec![(
        "NETID_SECURITY_EVENT_RETENTION_DAYS".to_owned(),
        "180".to_owned(),
    )];
    let clock = netid_server::Clock::Ahead(&AHEAD);
    let server = netid_testkit::TestServer::start_with_clock(dir.path(), env.clone(), clock)
        .await
        .unwrap();
    let client = Client::new(&server);
    let first = events_until(&client, |events| kinds(events).contains(&"service_started")).await;
    server.stop().await;
    // 181 days later: the start removes what is older than 180 days.
    AHEAD.store(181 * 86_400, std::sync::atomic::Ordering::SeqCst);
    let server = netid_testkit::TestServer::start_with_clock(dir.path(), env, clock)
        .await
        .unwrap();
    let client = Client::new(&server);
    let restarted = client.clock.now().0;
    let later = events_until(&client, |events| {
        events.iter().any(|event| event.at.0 >= restarted)
    })
    .await;
    // The set-up's events are gone; of all the events from before, at most the newest may
    // stay (the chain goes on from it).
    assert!(
        later.iter().all(|event| event.seq > first[0].seq),
        "{later:?}"
    );
    let old = later
        .iter()
        .filter(|event| event.at.0 < restarted - 86_400)
        .count();
    assert!(old <= 1, "{later:?}");
    // What remains still checks, from the link its first event keeps.
    assert_eq!(chain_break(&later[0].prev_hash, &later), None);
    server.stop().await;
}
