//! Platforms answer for what they do (issue 25), through the real API: two system
//! administrators suspend, reinstate or remove a platform, and a suspended one is refused
//! everything; an approval ends after its term and a renewal restores it; a platform declares
//! the commitments of Art. 7. Each is public in the platform's signed profile. A holder
//! complains about a platform and a system administrator answers.

use std::sync::atomic::{AtomicI64, Ordering};

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_log::EntryKind;
use netid_proto::{
    CommitmentsRequest, ComplaintAction, ComplaintCategory, ComplaintCounts, ComplaintStatus,
    ComplaintView, HandleComplaintRequest, Notice, OperatorComplaints, OperatorRole, PlatformList,
    PlatformStatus, PlatformStatusRequest, Profile, ProfileDecision, ProfileRequest, ServiceSigned,
    Standing,
};
use netid_testkit::Wallet;
use reqwest::StatusCode;

use crate::client::{Client, World, basic};
use crate::grants::{field, grant};

/// The published profile of `client_id`, as JSON (its signature is checked in `grants`).
async fn published(client: &Client, client_id: &str) -> serde_json::Value {
    let signed: ServiceSigned = client
        .get(&format!("/v1/platforms/{client_id}/profile"))
        .await
        .json();
    serde_json::from_slice(&Base64UrlUnpadded::decode_vec(&signed.payload).unwrap()).unwrap()
}

fn status_request(client_id: &str, status: PlatformStatus, reason: &str) -> PlatformStatusRequest {
    PlatformStatusRequest {
        client_id: client_id.to_owned(),
        status,
        reason: reason.to_owned(),
    }
}

async fn consent(client: &Client, wallet: &Wallet, client_id: &str) {
    let notice: Notice = client.get("/v1/notice").await.json();
    let answer = client
        .post(
            "/v1/holders/consents",
            None,
            &wallet.consent_request(client_id, &["name"], &notice.version),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn a_suspended_platform_is_refused_everything_and_a_removed_one_for_good() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("standing-platform").await;
    grant(client, &platform, &["name"]).await;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    consent(client, &wallet, &platform.client_id).await;
    let verified = client
        .verify_ok(&platform, &wallet, "nonce-standing-000001", &[])
        .await;
    assert_eq!(verified.claims.len(), 1);
    assert_eq!(
        published(client, &platform.client_id).await["standing"],
        serde_json::json!({"status": "active"})
    );

    // Bad requests are refused before anyone approves.
    let set = |request: PlatformStatusRequest| async move {
        client
            .post(
                "/v1/operator/platforms/status",
                Some(&client.bearer()),
                &request,
            )
            .await
    };
    set(status_request(
        &platform.client_id,
        PlatformStatus::Suspended,
        " ",
    ))
    .await
    .problem(StatusCode::BAD_REQUEST, "invalid_field");
    set(status_request(
        &platform.client_id,
        PlatformStatus::Active,
        "x",
    ))
    .await
    .problem(StatusCode::BAD_REQUEST, "invalid_field");
    set(status_request("pl-none", PlatformStatus::Suspended, "x"))
        .await
        .problem(StatusCode::NOT_FOUND, "unknown_platform");

    // Suspended (by two system administrators): every door shut, with a clear error.
    let reason = "Complaint upheld: asked verified users for their document number (synthetic)";
    let standing: Standing = set(status_request(
        &platform.client_id,
        PlatformStatus::Suspended,
        reason,
    ))
    .await
    .json();
    assert_eq!(standing.status, PlatformStatus::Suspended);
    let refused = client
        .verify(&platform, &wallet, "nonce-standing-000002", &[])
        .await
        .problem(StatusCode::FORBIDDEN, "platform_suspended");
    assert!(refused.detail.contains("reinstated"), "{}", refused.detail);
    client
        .post(
            "/v1/platform/profile",
            Some(&basic(&platform)),
            &ProfileRequest {
                fields: vec![field("name", "Synthetic Act, art. 2")],
            },
        )
        .await
        .problem(StatusCode::FORBIDDEN, "platform_suspended");
    let notice: Notice = client.get("/v1/notice").await.json();
    client
        .post(
            "/v1/holders/consents",
            None,
            &wallet.consent_request(&platform.client_id, &["name"], &notice.version),
        )
        .await
        .problem(StatusCode::FORBIDDEN, "platform_suspended");
    let profile = published(client, &platform.client_id).await;
    assert_eq!(profile["standing"]["status"], "suspended");
    assert_eq!(profile["standing"]["reason"], reason);
    let listed: PlatformList = client
        .send(
            client
                .http
                .get(client.url("/v1/operator/platforms"))
                .header(reqwest::header::AUTHORIZATION, client.bearer()),
        )
        .await
        .json();
    let row = listed
        .platforms
        .iter()
        .find(|row| row.client_id == platform.client_id)
        .unwrap();
    assert_eq!(row.standing.status, PlatformStatus::Suspended);

    // Reinstated: it verifies again, and the holder's consent stood throughout.
    set(status_request(
        &platform.client_id,
        PlatformStatus::Active,
        "Platform corrected its sign-up form (synthetic)",
    ))
    .await
    .json::<Standing>();
    let verified = client
        .verify_ok(&platform, &wallet, "nonce-standing-000003", &[])
        .await;
    assert_eq!(
        verified.claims.len(),
        1,
        "the consent survives a suspension"
    );

    // Removed: for good.
    set(status_request(
        &platform.client_id,
        PlatformStatus::Removed,
        "Repeated breaches (synthetic)",
    ))
    .await
    .json::<Standing>();
    client
        .verify(&platform, &wallet, "nonce-standing-000004", &[])
        .await
        .problem(StatusCode::FORBIDDEN, "platform_removed");
    set(status_request(
        &platform.client_id,
        PlatformStatus::Active,
        "x",
    ))
    .await
    .problem(StatusCode::BAD_REQUEST, "invalid_field");
    assert_eq!(
        published(client, &platform.client_id).await["standing"]["status"],
        "removed"
    );

    // Each change is public, naming the platform and the operator who carried it out.
    let changes: Vec<_> = crate::operators::public_entries(client)
        .await
        .into_iter()
        .filter(|entry| entry.kind == EntryKind::PlatformStatusChanged)
        .collect();
    assert_eq!(changes.len(), 3);
    assert!(changes.iter().all(|entry| {
        entry.platform.as_deref() == Some(platform.client_id.as_str()) && entry.operator.is_some()
    }));
}

#[tokio::test]
async fn a_grant_ends_after_its_term_and_a_renewal_restores_it() {
    static AHEAD: AtomicI64 = AtomicI64::new(0);
    let world = World::with_clock(netid_server::Clock::Ahead(&AHEAD)).await;
    let client = &world.client;
    let platform = client.register_platform("term-platform").await;
    let asked = client
        .post(
            "/v1/platform/profile",
            Some(&basic(&platform)),
            &ProfileRequest {
                fields: vec![field("name", "Synthetic Act, art. 2")],
            },
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    let decide = |valid_days: Option<u32>| {
        let decision = ProfileDecision {
            client_id: platform.client_id.clone(),
            approve: vec!["name".to_owned()],
            refuse: Vec::new(),
            valid_days,
        };
        async move {
            client
                .post(
                    "/v1/operator/platforms/profile",
                    Some(&client.bearer()),
                    &decision,
                )
                .await
        }
    };
    decide(Some(1096))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    let decided: Profile = decide(None).await.json();
    let three_years = client.clock.now().0 + 1095 * 86_400;
    let until = decided.fields[0].approved_until.unwrap();
    assert!((three_years - 5..=three_years).contains(&until), "{until}");
    let decided: Profile = decide(Some(1)).await.json();
    let until = decided.fields[0].approved_until.unwrap();
    assert_eq!(
        published(client, &platform.client_id).await["fields"][0]["approved_until"],
        serde_json::json!(until)
    );
    let mut wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    consent(client, &wallet, &platform.client_id).await;
    let verified = client
        .verify_ok(&platform, &wallet, "nonce-term-0000000001", &[])
        .await;
    assert_eq!(verified.claims.len(), 1);

    // Past its end: the field is no longer published and nothing is released.
    AHEAD.store(
        until - client.clock.now().0 + AHEAD.load(Ordering::SeqCst) + 1,
        Ordering::SeqCst,
    );
    wallet.sign_at(client.clock.now().0);
    assert_eq!(
        published(client, &platform.client_id).await["fields"],
        serde_json::json!([])
    );
    let verified = client
        .verify_ok(&platform, &wallet, "nonce-term-0000000002", &[])
        .await;
    assert!(
        verified.claims.is_empty(),
        "an expired grant releases nothing"
    );

    // Renewed (a new approval, two people again): the consent given to the same terms holds.
    let renewed: Profile = decide(None).await.json();
    assert_eq!(renewed.fields[0].status, "approved");
    let verified = client
        .verify_ok(&platform, &wallet, "nonce-term-0000000003", &[])
        .await;
    assert_eq!(verified.claims.len(), 1);
}

#[tokio::test]
async fn a_platform_declares_the_commitments_of_article_7_in_its_profile() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("commitments-platform").await;
    assert!(
        published(client, &platform.client_id)
            .await
            .get("commitments")
            .is_none()
    );
    let declare = |no_extra_plaintext: bool, equal_service: bool| {
        let platform = platform.clone();
        async move {
            client
                .post(
                    "/v1/platform/commitments",
                    Some(&basic(&platform)),
                    &CommitmentsRequest {
                        no_extra_plaintext,
                        equal_service,
                    },
                )
                .await
        }
    };
    declare(true, false)
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    let profile: Profile = declare(true, true).await.json();
    let commitments = profile.commitments.unwrap();
    assert!(commitments.no_extra_plaintext && commitments.equal_service);
    let public = published(client, &platform.client_id).await;
    assert_eq!(public["commitments"]["equal_service"], true);
    assert_eq!(
        public["commitments"]["declared_at"],
        serde_json::json!(commitments.declared_at)
    );
}

#[tokio::test]
async fn a_holder_complains_and_a_system_administrator_answers() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("complained-platform").await;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let text = "After the Net ID check it asked me for a photo of my ID card (synthetic)";
    let file = |text: &str, client_id: &str| {
        let request = wallet.complaint_request(client_id, ComplaintCategory::ExtraPlaintext, text);
        async move { client.post("/v1/holders/complaints", None, &request).await }
    };
    file("", &platform.client_id)
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    file("two\nlines", &platform.client_id)
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    file(text, "pl-none")
        .await
        .problem(StatusCode::NOT_FOUND, "unknown_platform");
    let mut forged =
        wallet.complaint_request(&platform.client_id, ComplaintCategory::ExtraPlaintext, text);
    forged.category = ComplaintCategory::Other;
    client
        .post("/v1/holders/complaints", None, &forged)
        .await
        .problem(StatusCode::FORBIDDEN, "bad_wallet_signature");
    let filed: ComplaintView = file(text, &platform.client_id).await.json();
    assert_eq!(filed.status, ComplaintStatus::Received);
    assert!(filed.reference.starts_with("cmp-"));
    assert!(
        client
            .log_kinds(&wallet)
            .await
            .contains(&EntryKind::ComplaintFiled)
    );

    // A system administrator reads the words, never who wrote them; others may not.
    let sysadmin = OperatorRole::SystemAdministrator;
    let list = |role: OperatorRole| async move {
        client
            .send(
                client
                    .http
                    .get(client.url("/v1/operator/complaints"))
                    .header(reqwest::header::AUTHORIZATION, client.as_operator(role, 0)),
            )
            .await
    };
    list(OperatorRole::Auditor)
        .await
        .problem(StatusCode::FORBIDDEN, "wrong_role");
    let listed = list(sysadmin).await;
    assert!(
        !listed.body.contains(&world.people.adult.name),
        "{}",
        listed.body
    );
    let listed: OperatorComplaints = listed.json();
    assert_eq!(listed.complaints[0].text.as_deref(), Some(text));
    let handle = |status: ComplaintStatus| {
        let request = HandleComplaintRequest {
            status,
            resolution: "Upheld; the platform was told to stop asking for ID photos (synthetic)"
                .to_owned(),
            action: ComplaintAction::Warning,
        };
        let path = format!("/v1/operator/complaints/{}", filed.reference);
        async move {
            client
                .post(&path, Some(&client.as_operator(sysadmin, 0)), &request)
                .await
        }
    };
    let handled: ComplaintView = handle(ComplaintStatus::Upheld).await.json();
    assert_eq!(handled.action, Some(ComplaintAction::Warning));
    handle(ComplaintStatus::Dismissed)
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");

    // The holder sees the answer; the public sees the count; the platform learns nothing.
    let record: netid_proto::HolderRecord = client
        .post("/v1/holders/record", None, &wallet.record_request())
        .await
        .json();
    assert_eq!(record.complaints[0].status, ComplaintStatus::Upheld);
    assert!(record.complaints[0].resolution.is_some());
    assert!(
        client
            .log_kinds(&wallet)
            .await
            .contains(&EntryKind::ComplaintHandled)
    );
    let counts: ComplaintCounts = client.get("/v1/transparency/complaints").await.json();
    assert_eq!(counts.platforms.len(), 1);
    assert_eq!(
        (
            counts.platforms[0].client_id.as_str(),
            counts.platforms[0].upheld
        ),
        (platform.client_id.as_str(), 1)
    );
}
