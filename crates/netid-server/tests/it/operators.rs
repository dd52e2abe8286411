//! Named operators (issue 23): each signs with their own key, acts only in their role, never
//! approves their own request; account changes and reads of personal data take two people,
//! and the log and the public operator list let anyone count what each operator did.

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_log::{Entry, EntryKind};
use netid_proto::{
    ActPending, ActQueue, ActStatus, AddOperatorRequest, OperatorAdded, OperatorList,
    OperatorReadRequest, OperatorRole, RegisterPlatformRequest, RetireOperatorRequest,
    ServiceSigned,
};
use netid_testkit::{TestOperator, Wallet};
use reqwest::StatusCode;

use crate::client::{Answer, Client, World};
use crate::transparency::{all_entries, checkpoint, verifier};

const READ: &str = "/v1/operator/holders/read";
const ADD: &str = "/v1/operator/operators";

fn read_request(net_id: &str) -> OperatorReadRequest {
    OperatorReadRequest {
        net_id: Some(net_id.to_owned()),
        platform_subject: None,
        certificate_serial: None,
        history: None,
        fields: vec!["name".to_owned()],
        basis_kind: netid_proto::LegalBasisKind::CriminalInvestigation,
        legal_basis: "Synthetic Public Security Act, art. 99 (test)".to_owned(),
        reference: "TEST-CASE-0023".to_owned(),
        defer_notice: None,
    }
}

fn platform_request(name: &str) -> RegisterPlatformRequest {
    RegisterPlatformRequest {
        name: name.to_owned(),
        sector_of: None,
    }
}

/// POSTs `body` to `path` as the team's `n`th operator of `role`.
async fn post_as(
    client: &Client,
    role: OperatorRole,
    n: usize,
    path: &str,
    body: &impl serde::Serialize,
) -> Answer {
    client
        .post(path, Some(&client.as_operator(role, n)), body)
        .await
}

/// GETs `path` as the team's first operator of `role`.
async fn get_as(client: &Client, role: OperatorRole, path: &str) -> Answer {
    let request = client
        .http
        .get(client.url(path))
        .header(reqwest::header::AUTHORIZATION, client.as_operator(role, 0));
    client.send(request).await
}

/// A step (`approve`, `refuse`, `carry-out`) on the act `id` by the `n`th operator of `role`.
async fn step(client: &Client, role: OperatorRole, n: usize, id: &str, step: &str) -> Answer {
    let path = format!("/v1/operator/acts/{id}/{step}");
    post_as(client, role, n, &path, &serde_json::json!({})).await
}

/// The public log's entries, sequenced.
pub(crate) async fn public_entries(client: &Client) -> Vec<Entry> {
    let signed = verifier(client)
        .await
        .verify(&checkpoint(client).await)
        .unwrap();
    all_entries(client, signed.size)
        .await
        .iter()
        .map(|leaf| Entry::from_leaf(leaf).unwrap())
        .collect()
}

/// A request signed by `operator` once, sent as it is (for replays and forgeries).
async fn send_signed(
    client: &Client,
    path: &str,
    signed_body: &[u8],
    sent_body: &[u8],
    operator: &TestOperator,
) -> Answer {
    let authorization = netid_testkit::operator_authorization(
        operator,
        "POST",
        path,
        signed_body,
        client.clock.now().0,
    );
    send_with(client, path, &authorization, sent_body).await
}

async fn send_with(client: &Client, path: &str, authorization: &str, body: &[u8]) -> Answer {
    client
        .send(
            client
                .http
                .post(client.url(path))
                .header(reqwest::header::AUTHORIZATION, authorization)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec()),
        )
        .await
}

#[tokio::test]
async fn each_role_does_its_own_acts_only_and_a_refusal_changes_nothing() {
    let world = World::new().await;
    let client = &world.client;
    let size = public_entries(client).await.len();
    let platform = platform_request("role-test");
    for role in [
        OperatorRole::CaOfficer,
        OperatorRole::DataProtectionOfficer,
        OperatorRole::Auditor,
        OperatorRole::SecurityAdministrator,
    ] {
        let problem = post_as(client, role, 0, "/v1/operator/platforms", &platform)
            .await
            .problem(StatusCode::FORBIDDEN, "wrong_role");
        assert!(
            problem.detail.contains("system_administrator"),
            "{problem:?}"
        );
    }
    // The CA is the CA officer's; reading personal data the data-protection officer's.
    let answer = get_as(client, OperatorRole::SystemAdministrator, "/v1/operator/ca").await;
    answer.problem(StatusCode::FORBIDDEN, "wrong_role");
    let wallet = Wallet::generate();
    let enrolled = client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let size = size + 1;
    for role in [OperatorRole::SystemAdministrator, OperatorRole::Auditor] {
        post_as(client, role, 0, READ, &read_request(&enrolled.net_id))
            .await
            .problem(StatusCode::FORBIDDEN, "wrong_role");
    }
    assert_eq!(public_entries(client).await.len(), size, "nothing logged");
    // The auditor reads the queue; it is empty.
    let queue: ActQueue = get_as(client, OperatorRole::Auditor, "/v1/operator/acts")
        .await
        .json();
    assert!(queue.acts.is_empty());
}

#[tokio::test]
async fn a_read_needs_a_second_data_protection_officer_and_each_step_names_its_operator() {
    let world = World::new().await;
    let client = &world.client;
    let dpo = OperatorRole::DataProtectionOfficer;
    let wallet = Wallet::generate();
    let enrolled = client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let before = public_entries(client).await.len();

    let asked = post_as(client, dpo, 0, READ, &read_request(&enrolled.net_id)).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);
    let pending: ActPending = asked.json();
    assert_eq!(pending.approver_role, dpo);
    let id = pending.request_id;
    // Nothing is read yet, and the holder sees nothing.
    assert!(client.history(&wallet).await.operator_reads.is_empty());
    step(client, dpo, 1, &id, "carry-out")
        .await
        .problem(StatusCode::CONFLICT, "act_closed");
    step(client, dpo, 0, &id, "approve")
        .await
        .problem(StatusCode::FORBIDDEN, "same_operator");
    step(client, OperatorRole::Auditor, 0, &id, "approve")
        .await
        .problem(StatusCode::FORBIDDEN, "wrong_role");
    let approved = step(client, dpo, 1, &id, "approve").await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    step(client, dpo, 1, &id, "approve")
        .await
        .problem(StatusCode::CONFLICT, "act_closed");
    step(client, dpo, 1, &id, "carry-out")
        .await
        .problem(StatusCode::FORBIDDEN, "not_requester");
    let read = step(client, dpo, 0, &id, "carry-out").await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    let read: netid_proto::OperatorReadResponse = read.json();
    assert_eq!(read.claims["name"], world.people.adult.name);
    step(client, dpo, 0, &id, "carry-out")
        .await
        .problem(StatusCode::CONFLICT, "act_closed");
    assert_eq!(client.history(&wallet).await.operator_reads.len(), 1);

    // Request, approval and read: three entries, each naming its operator.
    let entries = public_entries(client).await;
    let new: Vec<_> = entries[before..]
        .iter()
        .map(|entry| (entry.kind, entry.operator.clone(), entry.act))
        .collect();
    let first = client.team(dpo, 0).id.clone();
    let second = client.team(dpo, 1).id.clone();
    assert_eq!(
        new,
        vec![
            (
                EntryKind::ActRequested,
                Some(first.clone()),
                Some(EntryKind::OperatorRead)
            ),
            (
                EntryKind::ActApproved,
                Some(second),
                Some(EntryKind::OperatorRead)
            ),
            (EntryKind::OperatorRead, Some(first), None),
        ]
    );
    // The queue shows it done, with who asked and who approved; no personal data.
    let queue = get_as(client, OperatorRole::Auditor, "/v1/operator/acts").await;
    assert!(!queue.body.contains(&enrolled.net_id));
    assert!(!queue.body.contains("TEST-CASE-0023"));
    let queue: ActQueue = queue.json();
    assert_eq!(queue.acts[0].status, ActStatus::Done);
}

#[tokio::test]
async fn a_proof_works_once_for_its_own_body_and_path_only() {
    let world = World::new().await;
    let client = &world.client;
    let operator = client.team(OperatorRole::SystemAdministrator, 0);
    let path = "/v1/operator/platforms";
    let body = serde_json::to_vec(&platform_request("proof-once")).unwrap();
    let authorization =
        netid_testkit::operator_authorization(operator, "POST", path, &body, client.clock.now().0);
    let first = send_with(client, path, &authorization, &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    send_with(client, path, &authorization, &body)
        .await
        .problem(StatusCode::UNAUTHORIZED, "operator_proof_replayed");
    // Signed for one body, sent with another.
    let other = serde_json::to_vec(&platform_request("swapped")).unwrap();
    let problem = send_signed(client, path, &body, &other, operator)
        .await
        .problem(StatusCode::UNAUTHORIZED, "invalid_operator_proof");
    assert!(problem.detail.contains("body"), "{problem:?}");
    // Signed for one path, sent to another.
    let authorization = netid_testkit::operator_authorization(
        operator,
        "POST",
        "/v1/operator/rosters",
        &body,
        client.clock.now().0,
    );
    send_with(client, path, &authorization, &body)
        .await
        .problem(StatusCode::UNAUTHORIZED, "invalid_operator_proof");
    // Signed an hour ago.
    let authorization = netid_testkit::operator_authorization(
        operator,
        "POST",
        path,
        &body,
        client.clock.now().0 - 3600,
    );
    send_with(client, path, &authorization, &body)
        .await
        .problem(StatusCode::UNAUTHORIZED, "invalid_operator_proof");
}

#[tokio::test]
async fn two_security_administrators_add_and_retire_operators_and_the_signed_list_names_no_one() {
    let world = World::new().await;
    let client = &world.client;
    let security = OperatorRole::SecurityAdministrator;
    let newcomer = netid_crypto::Suite::gm().generate_signing_key().unwrap();
    let add = AddOperatorRequest {
        name: "测试审计员丙".to_owned(),
        role: OperatorRole::Auditor,
        public_key: netid_authn::jwt::jwk_value(&newcomer.verifying_key().to_jwk()),
    };
    // Nobody gives their own key a second role.
    let mut own_key = add.clone();
    own_key.public_key =
        netid_authn::jwt::jwk_value(&client.team(security, 0).key.verifying_key().to_jwk());
    post_as(client, security, 0, ADD, &own_key)
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    post_as(client, OperatorRole::SystemAdministrator, 0, ADD, &add)
        .await
        .problem(StatusCode::FORBIDDEN, "wrong_role");

    let pending: ActPending = post_as(client, security, 0, ADD, &add).await.json();
    let id = pending.request_id;
    step(client, security, 0, &id, "approve")
        .await
        .problem(StatusCode::FORBIDDEN, "same_operator");
    assert_eq!(
        step(client, security, 1, &id, "approve").await.status,
        StatusCode::OK
    );
    let added: OperatorAdded = step(client, security, 0, &id, "carry-out").await.json();
    assert_eq!(added.role, OperatorRole::Auditor);
    let newcomer = TestOperator {
        id: added.operator_id.clone(),
        role: OperatorRole::Auditor,
        key: newcomer,
    };

    // The public list: ids and roles, signed by the service, no names.
    let signed = client.get("/v1/operators").await;
    assert!(!signed.body.contains("测试"), "{}", signed.body);
    let signed: ServiceSigned = signed.json();
    let payload = Base64UrlUnpadded::decode_vec(&signed.payload).unwrap();
    let key = netid_crypto::Suite::gm()
        .verifying_key_from_spki_pem(&signed.key)
        .unwrap();
    let signature = Base64UrlUnpadded::decode_vec(&signed.signature).unwrap();
    key.verify(
        &payload,
        &netid_crypto::Suite::gm()
            .signature_from_der(&signature)
            .unwrap(),
    )
    .unwrap();
    let list: OperatorList = serde_json::from_slice(&payload).unwrap();
    assert_eq!(list.operators.len(), netid_testkit::SETUP_ENTRIES + 1);
    let listed = list
        .operators
        .iter()
        .find(|operator| operator.operator_id == added.operator_id)
        .unwrap();
    assert_eq!(
        (listed.role, listed.retired_minute),
        (OperatorRole::Auditor, None)
    );

    // The newcomer signs in with their own key.
    let queue = "/v1/operator/acts";
    let ask = |operator: &TestOperator| {
        let authorization = netid_testkit::operator_authorization(
            operator,
            "GET",
            queue,
            b"",
            client.clock.now().0,
        );
        client.send(
            client
                .http
                .get(client.url(queue))
                .header(reqwest::header::AUTHORIZATION, authorization),
        )
    };
    assert_eq!(ask(&newcomer).await.status, StatusCode::OK);

    // Retired by two security administrators: their key opens nothing any more.
    let retire = RetireOperatorRequest {
        operator_id: added.operator_id.clone(),
    };
    let pending: ActPending = post_as(
        client,
        security,
        1,
        "/v1/operator/operators/retire",
        &retire,
    )
    .await
    .json();
    let done = client
        .approve_and_carry_out_as(&pending.request_id, security, (0, 1))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    ask(&newcomer)
        .await
        .problem(StatusCode::UNAUTHORIZED, "unauthenticated");

    // Never fewer than two security administrators.
    let last = RetireOperatorRequest {
        operator_id: client.team(security, 1).id.clone(),
    };
    post_as(client, security, 0, "/v1/operator/operators/retire", &last)
        .await
        .problem(StatusCode::CONFLICT, "too_few_security_administrators");

    // The log counts what each did: the add asked by the first, approved by the second.
    let entries = public_entries(client).await;
    let by = |kind: EntryKind, operator: &str| {
        entries
            .iter()
            .filter(|entry| entry.kind == kind && entry.operator.as_deref() == Some(operator))
            .count()
    };
    let first = &client.team(security, 0).id;
    let second = &client.team(security, 1).id;
    assert_eq!(by(EntryKind::ActRequested, first), 1);
    assert_eq!(by(EntryKind::ActApproved, second), 1);
    assert_eq!(by(EntryKind::ActRequested, second), 1);
    assert_eq!(by(EntryKind::ActApproved, first), 1);
    // The account's own entries name it: added, then retired.
    assert_eq!(by(EntryKind::OperatorAdded, &added.operator_id), 1);
    assert_eq!(by(EntryKind::OperatorRetired, &added.operator_id), 1);
}

#[tokio::test]
async fn set_up_closes_once_two_security_administrators_are_active() {
    let (server, dir) = netid_testkit::TestServer::start().await;
    server.stop().await;
    let key = netid_crypto::Suite::gm().generate_signing_key().unwrap();
    let account = netid_server::operators::NewAccount {
        name: "测试闯入者".to_owned(),
        role: OperatorRole::SecurityAdministrator,
        key: key.verifying_key().clone(),
    };
    let config = netid_testkit::test_config(dir.path(), Vec::new());
    let error = netid_server::operators::setup(&config, &[account])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, netid_server::Error::OperatorSetupRefused { reason } if reason.contains("netid operator add")),
        "{error}"
    );
}

/// A platform's published profile (the signed payload).
async fn published(client: &Client, client_id: &str) -> serde_json::Value {
    let signed: ServiceSigned = client
        .get(&format!("/v1/platforms/{client_id}/profile"))
        .await
        .json();
    let payload = Base64UrlUnpadded::decode_vec(&signed.payload).unwrap();
    serde_json::from_slice(&payload).unwrap()
}

#[tokio::test]
async fn a_grant_and_a_ca_key_act_each_need_a_second_operator_of_their_role() {
    let world = World::new().await;
    let client = &world.client;
    let system = OperatorRole::SystemAdministrator;
    let platform = client.register_platform("grant-two-person").await;
    let asked = client
        .post(
            "/v1/platform/profile",
            Some(&crate::client::basic(&platform)),
            &netid_proto::ProfileRequest {
                fields: vec![crate::grants::field("name", "Synthetic Act, art. 2")],
            },
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    let decision = netid_proto::ProfileDecision {
        client_id: platform.client_id.clone(),
        approve: vec!["name".to_owned()],
        refuse: Vec::new(),
        valid_days: None,
    };
    // A field the platform did not ask for is refused before anyone approves.
    let mut unasked = decision.clone();
    unasked.approve = vec!["birth_date".to_owned()];
    post_as(
        client,
        system,
        0,
        "/v1/operator/platforms/profile",
        &unasked,
    )
    .await
    .problem(StatusCode::BAD_REQUEST, "invalid_field");
    let pending: ActPending = post_as(
        client,
        system,
        0,
        "/v1/operator/platforms/profile",
        &decision,
    )
    .await
    .json();
    let id = pending.request_id;
    // Not granted until approved and carried out.
    assert_eq!(
        published(client, &platform.client_id).await["fields"],
        serde_json::json!([])
    );
    step(client, system, 0, &id, "approve")
        .await
        .problem(StatusCode::FORBIDDEN, "same_operator");
    step(client, OperatorRole::CaOfficer, 0, &id, "approve")
        .await
        .problem(StatusCode::FORBIDDEN, "wrong_role");
    let done = client.approve_and_carry_out_as(&id, system, (1, 0)).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("\"approved\""), "{}", done.body);
    assert_eq!(
        published(client, &platform.client_id).await["fields"][0]["field"],
        "name"
    );

    // A CA key act: a CA officer asks, only a second CA officer approves.
    let ca = OperatorRole::CaOfficer;
    let pending: ActPending = post_as(
        client,
        ca,
        0,
        "/v1/operator/ca/rollover",
        &serde_json::json!({}),
    )
    .await
    .json();
    assert_eq!(pending.approver_role, ca);
    step(client, ca, 0, &pending.request_id, "approve")
        .await
        .problem(StatusCode::FORBIDDEN, "same_operator");
    step(client, system, 1, &pending.request_id, "approve")
        .await
        .problem(StatusCode::FORBIDDEN, "wrong_role");
    // Withdrawn by the one who asked: closed for everyone.
    assert_eq!(
        step(client, ca, 0, &pending.request_id, "refuse")
            .await
            .status,
        StatusCode::OK
    );
    step(client, ca, 1, &pending.request_id, "approve")
        .await
        .problem(StatusCode::CONFLICT, "act_closed");
}

/// A lawful request starts from what a platform or the CA knows: a pseudonym or a serial. The
/// read resolves it to the holder inside the same two-person, logged, holder-visible read.
#[tokio::test]
async fn a_read_may_name_the_holder_by_a_platforms_pseudonym_or_a_certificate_serial() {
    let (server, _dir, client, wallet) = crate::ca::world("gm").await;
    crate::ca::certify_with_new_root(&client, &netid_crypto::Suite::gm()).await;
    // The CA's key act names the CA officer who carried it out.
    let officer = client.team(OperatorRole::CaOfficer, 0).id.clone();
    let certified = public_entries(&client)
        .await
        .into_iter()
        .filter(|entry| entry.operator.as_deref() == Some(officer.as_str()))
        .map(|entry| (entry.kind, entry.act))
        .collect::<Vec<_>>();
    assert_eq!(
        certified,
        vec![
            (EntryKind::OperatorAdded, None),
            (EntryKind::ActRequested, Some(EntryKind::KeyRollover)),
            (EntryKind::CertificateIssued, None),
        ]
    );
    let platform = client.register_platform("lawful-request").await;
    let subject = client
        .verify_ok(&platform, &wallet, "nonce-lawful-0001", &[])
        .await
        .subject;
    // Another platform's holder, so that the pseudonym has to pick the right one.
    let other = client.register_platform("other-platform").await;
    let certificate =
        crate::ca::holder_certificate(&client, &wallet, &netid_crypto::Suite::gm()).await;
    let dpo = OperatorRole::DataProtectionOfficer;
    let client = &client;
    let read = |named: OperatorReadRequest| async move {
        let pending = post_as(client, dpo, 0, READ, &named).await;
        client.approve_and_carry_out(pending, dpo).await
    };
    let by = |platform_subject, certificate_serial| OperatorReadRequest {
        net_id: None,
        platform_subject,
        certificate_serial,
        ..read_request("")
    };
    let named = |client_id: &str, subject: &str| {
        Some(netid_proto::PlatformSubject {
            client_id: client_id.to_owned(),
            subject: subject.to_owned(),
        })
    };
    let answer = read(by(named(&platform.client_id, &subject), None)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let by_pseudonym: netid_proto::OperatorReadResponse = answer.json();
    let answer = read(by(None, Some(certificate.serial.clone()))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let by_serial: netid_proto::OperatorReadResponse = answer.json();
    assert_eq!(by_pseudonym.claims, by_serial.claims);
    assert!(!by_pseudonym.claims["name"].is_empty());
    // Both reads are in the holder's history.
    assert_eq!(client.history(&wallet).await.operator_reads.len(), 2);
    // A CA officer's revocation names them, and stays the holder's entry.
    let revoked = post_as(
        client,
        OperatorRole::CaOfficer,
        0,
        "/v1/operator/ca/revoke",
        &serde_json::json!({"serial": certificate.serial, "reason": "key_compromise"}),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    let entry = public_entries(client)
        .await
        .into_iter()
        .rev()
        .find(|entry| entry.kind == EntryKind::CertificateRevoked)
        .unwrap();
    assert_eq!(entry.operator.as_deref(), Some(officer.as_str()));
    assert!(entry.holder_tag.is_some());

    // Refused before anyone approves: the pseudonym at a platform that never saw the holder,
    // an unknown serial, and two names at once.
    post_as(
        client,
        dpo,
        0,
        READ,
        &by(named(&other.client_id, &subject), None),
    )
    .await
    .problem(StatusCode::NOT_FOUND, "unknown_holder");
    post_as(client, dpo, 0, READ, &by(None, Some("00ff".to_owned())))
        .await
        .problem(StatusCode::NOT_FOUND, "unknown_holder");
    let mut both = by(named(&platform.client_id, &subject), None);
    both.net_id = Some("X".to_owned());
    post_as(client, dpo, 0, READ, &both)
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    server.stop().await;
}

/// A scoped export of one holder's authentication history is a read like any other: two
/// officers, a log entry, and the holder sees that their history was read.
#[tokio::test]
async fn a_holders_authentication_history_is_exported_by_two_officers_and_shown_to_them() {
    let world = World::new().await;
    let client = &world.client;
    let dpo = OperatorRole::DataProtectionOfficer;
    let wallet = Wallet::generate();
    let enrolled = client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let platform = client.register_platform("history-platform").await;
    for nonce in ["nonce-history-0001", "nonce-history-0002"] {
        client.verify_ok(&platform, &wallet, nonce, &[]).await;
    }
    let today = netid_testkit::today();
    let day = |offset: i64| {
        netid_core::Date::from_days_since_unix_epoch(today.days_since_unix_epoch() + offset)
            .unwrap()
            .to_string()
    };
    let export = |from: String, until: String| OperatorReadRequest {
        fields: Vec::new(),
        history: Some(netid_proto::HistoryScope { from, until }),
        ..read_request(&enrolled.net_id)
    };
    // More than 366 days, or backwards: refused before anyone approves.
    post_as(client, dpo, 0, READ, &export(day(-400), day(0)))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    post_as(client, dpo, 0, READ, &export(day(1), day(0)))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    let pending = post_as(client, dpo, 0, READ, &export(day(-1), day(0))).await;
    let answer = client.approve_and_carry_out(pending, dpo).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let read: netid_proto::OperatorReadResponse = answer.json();
    assert!(read.claims.is_empty());
    let platforms: Vec<(&str, &str)> = read
        .history
        .iter()
        .map(|record| (record.kind.as_str(), record.platform.as_str()))
        .collect();
    assert_eq!(
        platforms,
        vec![
            ("verification", platform.client_id.as_str()),
            ("verification", platform.client_id.as_str()),
        ]
    );
    // Yesterday alone holds none of it.
    let pending = post_as(client, dpo, 0, READ, &export(day(-1), day(-1))).await;
    let read: netid_proto::OperatorReadResponse =
        client.approve_and_carry_out(pending, dpo).await.json();
    assert!(read.history.is_empty());
    // The holder sees both exports, as reads of their authentication history.
    let reads = client.history(&wallet).await.operator_reads;
    assert_eq!(reads.len(), 2);
    assert!(
        reads
            .iter()
            .all(|notice| notice.fields == ["authentication_history"]),
        "{reads:?}"
    );
}
