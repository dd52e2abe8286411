//! Enrollment under notice (issue 24, Art. 10): the notice in Chinese and English, accepted
//! with its version at enrollment, and accepted again before the Net ID is used once the
//! version changes.

use netid_proto::{EnrollOutcome, Notice, NoticeAcceptResponse};
use netid_testkit::Wallet;
use reqwest::StatusCode;

use crate::client::World;

#[tokio::test]
async fn the_notice_is_in_chinese_by_default_and_in_english_under_one_version() {
    let world = World::new().await;
    let client = &world.client;
    let zh: Notice = client.get("/v1/notice").await.json();
    let en: Notice = client.get("/v1/notice?lang=en").await.json();
    assert_eq!((zh.language.as_str(), en.language.as_str()), ("zh", "en"));
    assert_eq!(zh.version, en.version);
    assert_eq!(zh.version, netid_proto::NOTICE_TEXT_VERSION);
    // What is held, item by item, and the retention the service runs with.
    assert_eq!(zh.held.len(), en.held.len());
    assert!(
        en.held.iter().any(|item| item.contains("sex")),
        "{:?}",
        en.held
    );
    assert!(en.retention.contains("for 180 days"), "{}", en.retention);
    assert!(zh.retention.contains("180 天"), "{}", zh.retention);
    assert!(!zh.operator.is_empty() && zh.operator != en.operator);
}

#[tokio::test]
async fn an_applicant_enrolls_only_with_the_current_notice_accepted() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    for version in [None, Some("2026-11-27")] {
        let refused = client
            .enroll(&wallet.enroll_request_under(&world.people.adult, version))
            .await;
        let problem = refused.problem(StatusCode::FORBIDDEN, "notice_not_accepted");
        assert!(
            problem.detail.contains(netid_proto::NOTICE_TEXT_VERSION),
            "{}",
            problem.detail
        );
    }
    // Nothing was stored: the same person enrolls afresh, not as a recovery.
    let enrolled = client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    assert_eq!(enrolled.outcome, EnrollOutcome::Enrolled);
    // The version is signed: one changed on the way breaks the signature.
    let mut altered =
        Wallet::generate().enroll_request_under(&world.people.teen, Some("2026-11-27"));
    altered.notice_version = Some(netid_proto::NOTICE_TEXT_VERSION.to_owned());
    client
        .enroll(&altered)
        .await
        .problem(StatusCode::FORBIDDEN, "bad_wallet_signature");
}

#[tokio::test]
async fn a_new_notice_is_accepted_before_the_net_id_is_used_again() {
    let world = World::new().await;
    let wallet = Wallet::generate();
    world
        .client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let platform = world.client.register_platform("notice-platform").await;
    world
        .client
        .verify_ok(&platform, &wallet, "nonce-notice-00001", &[])
        .await;

    // The deployment names its operator: a new notice.
    let world = world
        .restart_with_env(&[(
            "NETID_NOTICE_OPERATOR",
            "测试运营中心 (synthetic), privacy@netid.example",
        )])
        .await;
    let client = &world.client;
    let notice: Notice = client.get("/v1/notice").await.json();
    assert_ne!(notice.version, netid_proto::NOTICE_TEXT_VERSION);
    let refused = client
        .verify(&platform, &wallet, "nonce-notice-00002", &[])
        .await;
    let problem = refused.problem(StatusCode::FORBIDDEN, "notice_not_accepted");
    assert!(
        problem.detail.contains(&notice.version),
        "{}",
        problem.detail
    );
    // The history stays readable; an old version is not accepted.
    assert!(!client.log_kinds(&wallet).await.is_empty());
    client
        .post(
            "/v1/holders/notice",
            None,
            &wallet.notice_request(netid_proto::NOTICE_TEXT_VERSION),
        )
        .await
        .problem(StatusCode::FORBIDDEN, "notice_not_accepted");
    let accepted = client
        .post(
            "/v1/holders/notice",
            None,
            &wallet.notice_request(&notice.version),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    let accepted: NoticeAcceptResponse = accepted.json();
    assert_eq!(accepted.notice_version, notice.version);
    client
        .verify_ok(&platform, &wallet, "nonce-notice-00003", &[])
        .await;
}
