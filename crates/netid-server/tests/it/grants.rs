//! Platform grants and consents (Art. 7-10) through the real API: a plaintext field goes to a
//! platform only under an approved grant with a legal basis and a live separate consent;
//! each disclosure is in the holder's history and the log; withdrawal takes effect at once.

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::Suite;
use netid_log::EntryKind;
use netid_proto::{FieldRequest, Notice, Profile, ProfileDecision, ProfileRequest, ServiceSigned};
use netid_testkit::{TestServer, Wallet};
use reqwest::StatusCode;

use crate::client::{Client, World, basic};

pub(crate) fn field(name: &str, legal_basis: &str) -> FieldRequest {
    FieldRequest {
        field: name.to_owned(),
        legal_basis: legal_basis.to_owned(),
        purpose: "real-name registration of accounts (synthetic test)".to_owned(),
        retention_days: 180,
    }
}

/// The payload of a service-signed document, once its SM2 signature checks.
fn signed_payload(signed: &ServiceSigned) -> serde_json::Value {
    let suite = Suite::gm();
    let key = suite.verifying_key_from_spki_pem(&signed.key).unwrap();
    let payload = Base64UrlUnpadded::decode_vec(&signed.payload).unwrap();
    let signature = suite
        .signature_from_der(&Base64UrlUnpadded::decode_vec(&signed.signature).unwrap())
        .unwrap();
    key.verify(&payload, &signature).unwrap();
    serde_json::from_slice(&payload).unwrap()
}

/// Has `platform` ask for `fields` and the operator approve them.
pub(crate) async fn grant(
    client: &Client,
    platform: &netid_proto::RegisterPlatformResponse,
    fields: &[&str],
) {
    let asked = client
        .post(
            "/v1/platform/profile",
            Some(&basic(platform)),
            &ProfileRequest {
                fields: fields
                    .iter()
                    .map(|name| field(name, "Synthetic Act, art. 2"))
                    .collect(),
            },
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    let decided = client
        .post(
            "/v1/operator/platforms/profile",
            Some(&client.bearer()),
            &ProfileDecision {
                client_id: platform.client_id.clone(),
                approve: fields.iter().map(|name| (*name).to_owned()).collect(),
                refuse: Vec::new(),
                valid_days: None,
            },
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.body);
}

async fn history(client: &Client, wallet: &Wallet) -> Vec<EntryKind> {
    client.log_kinds(wallet).await
}

#[tokio::test]
async fn a_field_goes_to_a_platform_only_under_a_grant_and_a_live_consent() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("grants-platform").await;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let as_platform = |request: &ProfileRequest| {
        let request = request.clone();
        let platform = platform.clone();
        async move {
            client
                .send(
                    client
                        .http
                        .post(format!("{}/v1/platform/profile", client.base_url))
                        .header("authorization", basic(&platform))
                        .json(&request),
                )
                .await
        }
    };
    // Bad profiles are refused whole.
    for fields in [
        vec![field("religion", "none")],
        vec![field("name", "x"), field("name", "y")],
        vec![FieldRequest {
            retention_days: 0,
            ..field("name", "x")
        }],
        vec![field("name", "")],
    ] {
        as_platform(&ProfileRequest { fields })
            .await
            .problem(StatusCode::BAD_REQUEST, "invalid_field");
    }
    let asked = as_platform(&ProfileRequest {
        fields: vec![
            field(
                "name",
                "Cybersecurity Law of the PRC, art. 24 (synthetic test basis)",
            ),
            field("document_number", "none given"),
            field("net_id", "Measures art. 8 (synthetic test basis)"),
        ],
    })
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    let published = |client_id: String| async move {
        client
            .get(&format!("/v1/platforms/{client_id}/profile"))
            .await
            .json::<ServiceSigned>()
    };
    let before = signed_payload(&published(platform.client_id.clone()).await);
    assert_eq!(before["fields"], serde_json::json!([]));

    // The operator approves the name and the Net ID, refuses the document number.
    let decided: Profile = client
        .post(
            "/v1/operator/platforms/profile",
            Some(&client.bearer()),
            &ProfileDecision {
                client_id: platform.client_id.clone(),
                approve: vec!["name".to_owned(), "net_id".to_owned()],
                refuse: vec!["document_number".to_owned()],
                valid_days: None,
            },
        )
        .await
        .json();
    let statuses: Vec<(&str, &str)> = decided
        .fields
        .iter()
        .map(|field| (field.field.as_str(), field.status.as_str()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("document_number", "refused"),
            ("name", "approved"),
            ("net_id", "approved")
        ]
    );
    let after = signed_payload(&published(platform.client_id.clone()).await);
    let names: Vec<&str> = after["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|field| field["field"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["name", "net_id"]);
    assert!(after.to_string().contains("Cybersecurity Law"));
    client
        .get("/v1/platforms/no-such-platform/profile")
        .await
        .problem(StatusCode::NOT_FOUND, "unknown_platform");

    // Granted but not consented: nothing plaintext.
    let verified = client
        .verify(&platform, &wallet, "nonce-grants-0000001", &[])
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    assert!(!verified.body.contains("claims"), "{}", verified.body);

    // Consent: only under the current notice, only to approved fields.
    let notice: Notice = client.get("/v1/notice").await.json();
    assert!(!notice.data_types.is_empty() && !notice.rights.is_empty());
    client
        .post(
            "/v1/holders/consents",
            None,
            &wallet.consent_request(&platform.client_id, &["name"], "an-old-notice"),
        )
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    client
        .post(
            "/v1/holders/consents",
            None,
            &wallet.consent_request(&platform.client_id, &["document_number"], &notice.version),
        )
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    let receipt: ServiceSigned = client
        .post(
            "/v1/holders/consents",
            None,
            &wallet.consent_request(&platform.client_id, &["name"], &notice.version),
        )
        .await
        .json();
    let receipt = signed_payload(&receipt);
    assert_eq!(receipt["client_id"], serde_json::json!(platform.client_id));
    assert_eq!(receipt["notice_version"], serde_json::json!(notice.version));
    assert_eq!(receipt["fields"][0]["field"], serde_json::json!("name"));
    assert!(
        receipt["fields"][0]["legal_basis"]
            .as_str()
            .unwrap()
            .contains("Cybersecurity Law")
    );

    // Now the name goes to this platform, and only it; the disclosure is logged for the holder.
    let verified: netid_proto::VerifyResponse = client
        .verify_ok(&platform, &wallet, "nonce-grants-0000002", &[])
        .await;
    assert_eq!(
        verified.claims.into_iter().collect::<Vec<_>>(),
        vec![("name".to_owned(), world.people.adult.name.clone())]
    );
    // Another platform granted the same field, without this holder's consent for it: nothing.
    let other = client.register_platform("grants-other").await;
    let asked_other = client
        .send(
            client
                .http
                .post(format!("{}/v1/platform/profile", client.base_url))
                .header("authorization", basic(&other))
                .json(&ProfileRequest {
                    fields: vec![field(
                        "name",
                        "Cybersecurity Law of the PRC, art. 24 (synthetic)",
                    )],
                }),
        )
        .await;
    assert_eq!(asked_other.status, StatusCode::OK, "{}", asked_other.body);
    client
        .post(
            "/v1/operator/platforms/profile",
            Some(&client.bearer()),
            &ProfileDecision {
                client_id: other.client_id.clone(),
                approve: vec!["name".to_owned()],
                refuse: vec![],
                valid_days: None,
            },
        )
        .await;
    let elsewhere = client
        .verify(&other, &wallet, "nonce-grants-0000003", &[])
        .await;
    assert_eq!(elsewhere.status, StatusCode::OK, "{}", elsewhere.body);
    assert!(!elsewhere.body.contains("claims"), "{}", elsewhere.body);
    assert!(
        crate::invariants::audited_log(client)
            .await
            .contains(&EntryKind::Disclosure)
    );
    let kinds = history(client, &wallet).await;
    assert!(kinds.contains(&EntryKind::ConsentGiven));
    assert_eq!(
        kinds
            .iter()
            .filter(|kind| **kind == EntryKind::Disclosure)
            .count(),
        1
    );

    // Withdrawal: at once, and once.
    let withdraw = || async {
        client
            .post(
                "/v1/holders/consents/withdraw",
                None,
                &wallet.withdrawal_request(&platform.client_id, &["name"]),
            )
            .await
            .json::<netid_proto::WithdrawConsentResponse>()
            .withdrawn
    };
    assert_eq!(withdraw().await, 1);
    assert_eq!(withdraw().await, 0);
    // A field list that is not one is refused.
    client
        .post(
            "/v1/holders/consents/withdraw",
            None,
            &wallet.withdrawal_request(&platform.client_id, &["name", "name"]),
        )
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    let verified = client
        .verify(&platform, &wallet, "nonce-grants-0000004", &[])
        .await;
    assert_eq!(verified.status, StatusCode::OK);
    assert!(!verified.body.contains("claims"), "{}", verified.body);
    assert!(
        history(client, &wallet)
            .await
            .contains(&EntryKind::ConsentWithdrawn)
    );
}

#[tokio::test]
async fn a_child_consents_only_with_the_guardians_consent() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("grants-child").await;
    let (guardian, child, _) = world.enroll_child().await;
    let notice: Notice = client.get("/v1/notice").await.json();
    let request = child.consent_request(&platform.client_id, &["name"], &notice.version);
    client
        .post("/v1/holders/consents", None, &request)
        .await
        .problem(StatusCode::FORBIDDEN, "guardian_required");
    // A stranger's approval, or the guardian's approval of another act, is not it (each
    // attempt a request of its own: a signed request is used by its first arrival).
    let stranger = Wallet::generate();
    client
        .enroll_ok(&stranger.enroll_request(&world.people.adult))
        .await;
    for (approver, act) in [(&stranger, "consent"), (&guardian, "deletion")] {
        let mut request = child.consent_request(&platform.client_id, &["name"], &notice.version);
        request.guardian = Some(approver.guardian_approval(act, &request.signature));
        client
            .post("/v1/holders/consents", None, &request)
            .await
            .problem(StatusCode::FORBIDDEN, "guardian_not_recognised");
    }
    // With the guardian's consent it reaches the grant check (no field is approved here).
    let mut request = child.consent_request(&platform.client_id, &["name"], &notice.version);
    request.guardian = Some(guardian.guardian_approval("consent", &request.signature));
    client
        .post("/v1/holders/consents", None, &request)
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
}

#[tokio::test]
async fn the_notice_names_the_configured_operator_and_a_changed_notice_needs_a_new_consent() {
    let dir = tempfile::tempdir().unwrap();
    let operator = |text: &str| vec![("NETID_NOTICE_OPERATOR".to_owned(), text.to_owned())];
    let server = TestServer::start_with_env(
        dir.path(),
        operator("测试运营中心 (synthetic), privacy@netid.example"),
    )
    .await
    .unwrap();
    let client = Client::new(&server);
    let notice: Notice = client.get("/v1/notice").await.json();
    assert_eq!(
        notice.operator,
        "测试运营中心 (synthetic), privacy@netid.example"
    );
    assert!(
        notice.version.starts_with("2026-12-07.2+"),
        "{}",
        notice.version
    );
    server.stop().await;

    // Another contact is another notice, with another version.
    let server = TestServer::start_with_env(
        dir.path(),
        operator("测试运营中心 (synthetic), rights@netid.example"),
    )
    .await
    .unwrap();
    let client = Client::new(&server);
    let changed: Notice = client.get("/v1/notice").await.json();
    assert_eq!(
        changed.operator,
        "测试运营中心 (synthetic), rights@netid.example"
    );
    assert_ne!(changed.version, notice.version);
    let platform = client.register_platform("notice-platform").await;
    grant(&client, &platform, &["name"]).await;
    let authority = netid_testkit::Authority::generate("notice-authority");
    client.register_authority(&authority).await;
    let people = crate::client::People::new();
    client.load_roster(&authority.sign(people.all())).await;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request_under(&people.adult, Some(&changed.version)))
        .await;
    let stale = client
        .post(
            "/v1/holders/consents",
            None,
            &wallet.consent_request(&platform.client_id, &["name"], &notice.version),
        )
        .await;
    let problem = stale.problem(StatusCode::BAD_REQUEST, "invalid_field");
    assert!(
        problem.detail.contains(&changed.version),
        "{}",
        problem.detail
    );
    let current = client
        .post(
            "/v1/holders/consents",
            None,
            &wallet.consent_request(&platform.client_id, &["name"], &changed.version),
        )
        .await;
    assert_eq!(current.status, StatusCode::OK, "{}", current.body);
    server.stop().await;
}

#[tokio::test]
async fn a_guardian_withdraws_a_childs_consent_without_the_childs_wallet() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("grants-ward").await;
    grant(client, &platform, &["name"]).await;
    let (guardian, child, enrolled) = world.enroll_child().await;
    let notice: Notice = client.get("/v1/notice").await.json();
    let mut request = child.consent_request(&platform.client_id, &["name"], &notice.version);
    request.guardian = Some(guardian.guardian_approval("consent", &request.signature));
    let given = client.post("/v1/holders/consents", None, &request).await;
    assert_eq!(given.status, StatusCode::OK, "{}", given.body);
    client
        .approve_platform(&guardian, &enrolled.net_id, &platform.client_id)
        .await;
    let verified = client
        .verify_ok(&platform, &child, "nonce-ward-consent-0001", &[])
        .await;
    assert_eq!(verified.claims["name"], world.people.child.name);

    // Not a stranger, and not with the signature of another child's Net ID.
    let stranger = Wallet::generate();
    client
        .enroll_ok(&stranger.enroll_request(&world.people.adult))
        .await;
    let withdraw = "/v1/holders/consents/withdraw";
    client
        .post(
            withdraw,
            None,
            &stranger.ward_withdrawal_request(&enrolled.net_id, &platform.client_id, &["name"]),
        )
        .await
        .problem(StatusCode::FORBIDDEN, "guardian_not_recognised");
    let mut forged =
        guardian.ward_withdrawal_request(&enrolled.net_id, &platform.client_id, &["name"]);
    forged.ward_net_id = None;
    client
        .post(withdraw, None, &forged)
        .await
        .problem(StatusCode::FORBIDDEN, "bad_wallet_signature");

    let answer = client
        .post(
            withdraw,
            None,
            &guardian.ward_withdrawal_request(&enrolled.net_id, &platform.client_id, &["name"]),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer
            .json::<netid_proto::WithdrawConsentResponse>()
            .withdrawn,
        1
    );
    let verified = client
        .verify_ok(&platform, &child, "nonce-ward-consent-0002", &[])
        .await;
    assert!(verified.claims.is_empty());
    assert_eq!(
        history(client, &child).await.last(),
        Some(&EntryKind::Verification)
    );
    assert!(
        history(client, &child)
            .await
            .contains(&EntryKind::ConsentWithdrawn)
    );
}
