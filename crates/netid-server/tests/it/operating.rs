//! Operating the service: `GET /metrics` in the Prometheus text format, and the rate limits
//! per source address and per platform (`429` with `Retry-After`, nothing changed).

use netid_proto::Predicate;
use netid_testkit::Wallet;
use reqwest::StatusCode;

use crate::client::World;

#[tokio::test]
async fn metrics_count_requests_verifications_and_the_log_without_personal_data() {
    let world = World::new().await;
    if world.server.proxy.is_some() {
        eprintln!("skipped: each node counts its own metrics, and requests alternate here");
        return;
    }
    let client = &world.client;
    let platform = client.register_platform("metrics-platform").await;
    let wallet = Wallet::generate();
    let enrolled = client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    client
        .verify_ok(
            &platform,
            &wallet,
            "nonce-metrics-000001",
            &[Predicate::AgeOver18],
        )
        .await;
    let replayed = client
        .verify(
            &platform,
            &wallet,
            "nonce-metrics-000001",
            &[Predicate::AgeOver18],
        )
        .await;
    assert_eq!(replayed.status, StatusCode::FORBIDDEN, "{}", replayed.body);
    // The checkpoint request sequences the log.
    let checkpoint = client.get("/v1/log/checkpoint").await;
    assert_eq!(checkpoint.status, StatusCode::OK);

    let metrics = client.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics
            .content_type
            .starts_with("text/plain; version=0.0.4")
    );
    let text = metrics.body;
    let line = |prefix: &str| {
        text.lines()
            .find(|line| line.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        line(
            "netid_http_requests_total{route=\"/v1/platform/verify\",method=\"POST\",status=\"200\"}"
        ),
        "1"
    );
    assert_eq!(
        line(
            "netid_http_requests_total{route=\"/v1/platform/verify\",method=\"POST\",status=\"403\"}"
        ),
        "1"
    );
    assert_eq!(
        line("netid_http_request_duration_seconds_count{route=\"/v1/platform/verify\"}"),
        "2"
    );
    assert_eq!(
        line(&format!(
            "netid_verifications_total{{platform=\"{}\"}}",
            platform.client_id
        )),
        "1"
    );
    // The operators' set-up, then authority_registered, roster_loaded, grant_changed,
    // enrollment, verification.
    assert_eq!(
        line("netid_log_entries "),
        (netid_testkit::SETUP_ENTRIES + 5).to_string()
    );
    assert_eq!(line("netid_store_errors_total "), "0");
    // The proofs of the three operator requests (authority, roster, grant: each proof's jti
    // is recorded), the enrollment's request id, the enrollment and the verification, one
    // after the other: one transaction each. The replay stored nothing.
    assert_eq!(line("netid_store_group_commits_total "), "6");
    assert_eq!(line("netid_store_grouped_writes_total "), "6");
    let backend = if netid_testkit::RawStore::of(&world.server.data_dir).is_postgres() {
        "postgresql"
    } else {
        "sqlite"
    };
    assert_eq!(
        line(&format!("netid_store_info{{backend=\"{backend}\"}}")),
        "1"
    );
    let adult = &world.people.adult;
    for secret in [
        enrolled.net_id.as_str(),
        &enrolled.net_id.replace(' ', ""),
        adult.name.as_str(),
        adult.document_number.as_str(),
        adult.birth_date.as_str(),
    ] {
        assert!(!text.contains(secret), "{secret} in metrics");
    }
}

#[tokio::test]
async fn a_source_address_over_its_limit_gets_429_and_changes_nothing() {
    let world = World::with_env(&[("NETID_RATE_LIMIT_PER_ADDRESS", "5")]).await;
    let client = &world.client;
    let wallet = Wallet::generate();
    // Spend the burst of 10: until two answers in a row are refused, so that every node's
    // bucket is empty when the tests run as two nodes behind a proxy (each keeps its own).
    let mut limited = None;
    for _ in 0..60 {
        let answer = client
            .send(client.http.get(format!("{}/healthz", client.base_url)))
            .await;
        if answer.status != StatusCode::TOO_MANY_REQUESTS {
            limited = None;
        } else if limited.replace(answer).is_some() {
            break;
        }
    }
    let limited = limited.expect("the limit refuses within 60 requests");
    let problem = limited.problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(
        problem.detail.contains("retry after 1 seconds"),
        "{}",
        problem.detail
    );
    let response = client
        .http
        .post(format!("{}/v1/holders/enroll", client.base_url))
        .json(&wallet.enroll_request(&world.people.adult))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "1");
    // Nothing was stored: no holder, no log entry beyond the set-up's (the operators', then
    // the authority and its roster).
    let store = netid_testkit::RawStore::of(&world.server.data_dir);
    let count = |table: &str| store.integer(&format!("SELECT COUNT(*) FROM {table}"));
    assert_eq!(count("holders"), 0);
    assert_eq!(
        count("log_entries"),
        i64::try_from(netid_testkit::SETUP_ENTRIES).unwrap() + 2
    );
}

#[tokio::test]
async fn a_platform_over_its_limit_gets_429_and_nothing_is_logged() {
    let world = World::with_env(&[
        ("NETID_RATE_LIMIT_PER_ADDRESS", "0"),
        ("NETID_RATE_LIMIT_PER_PLATFORM", "2"),
    ])
    .await;
    let client = &world.client;
    let platform = client.register_platform("limited-platform").await;
    let other = client.register_platform("other-platform").await;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let mut statuses = Vec::new();
    for n in 0..6 {
        let answer = client
            .verify(&platform, &wallet, &format!("nonce-limited-{n:07}"), &[])
            .await;
        statuses.push(answer.status);
    }
    let accepted = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(accepted + refused, 6, "{statuses:?}");
    assert!(
        (4..=5).contains(&accepted),
        "burst of 4 (plus a refill): {statuses:?}"
    );
    // Another platform has its own budget.
    client
        .verify_ok(&other, &wallet, "nonce-other-0000001", &[])
        .await;
    let verifications = client
        .log_kinds(&wallet)
        .await
        .into_iter()
        .filter(|kind| *kind == netid_log::EntryKind::Verification)
        .count();
    assert_eq!(verifications, accepted + 1);
}
