//! Operators' second factor (issue 23; GB/T 22239 level 3's two authentication techniques
//! for administrators): a passkey, added with a code another security administrator gave,
//! and a confirmation with it before a sensitive role changes anything.

use std::sync::atomic::{AtomicI64, Ordering};

use netid_proto::{OperatorReadRequest, OperatorRole};
use netid_testkit::passkey::Authenticator;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::{Answer, Client, World};
use crate::security_events::{events_until, kinds};

const DPO: OperatorRole = OperatorRole::DataProtectionOfficer;
const SECURITY: OperatorRole = OperatorRole::SecurityAdministrator;

async fn post_as(
    client: &Client,
    (role, n): (OperatorRole, usize),
    path: &str,
    body: &Value,
) -> Answer {
    client
        .post(path, Some(&client.as_operator(role, n)), body)
        .await
}

/// The console's origin: the administration listener reached as `localhost`.
fn origin(client: &Client) -> String {
    client.admin_url.replace("127.0.0.1", "localhost")
}

/// A challenge for the `n`th operator of `role`.
async fn challenge(client: &Client, who: (OperatorRole, usize)) -> String {
    let answer = post_as(
        client,
        who,
        "/v1/operator/me/passkeys/challenge",
        &json!({}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let challenge: Value = answer.json();
    assert_eq!(challenge["rp_id"], "localhost");
    challenge["challenge"].as_str().unwrap().to_owned()
}

/// Adds `authenticator`'s passkey to the account, with `code` if given.
async fn enroll(
    client: &Client,
    who: (OperatorRole, usize),
    authenticator: &mut Authenticator,
    code: Option<&str>,
) -> Answer {
    let challenge = challenge(client, who).await;
    let mut registration = authenticator.register("localhost", &origin(client), &challenge);
    if let Some(code) = code {
        registration["enrollment_code"] = json!(code);
    }
    post_as(client, who, "/v1/operator/me/passkeys", &registration).await
}

/// A confirmation with `authenticator`, and the assertion it sent.
async fn confirm(
    client: &Client,
    who: (OperatorRole, usize),
    authenticator: &mut Authenticator,
) -> (Answer, Value) {
    let challenge = challenge(client, who).await;
    let assertion = authenticator.assert("localhost", &origin(client), &challenge);
    (
        post_as(client, who, "/v1/operator/me/confirm", &assertion).await,
        assertion,
    )
}

/// An enrollment code for the `n`th operator of `for_role`, asked by `by`.
async fn code_for(
    client: &Client,
    by: (OperatorRole, usize),
    (role, n): (OperatorRole, usize),
) -> Answer {
    let id = client.team(role, n).id.clone();
    post_as(
        client,
        by,
        &format!("/v1/operator/operators/{id}/passkey-code"),
        &json!({}),
    )
    .await
}

fn read_request(net_id: &str) -> Value {
    serde_json::to_value(OperatorReadRequest {
        net_id: Some(net_id.to_owned()),
        platform_subject: None,
        certificate_serial: None,
        history: None,
        fields: vec!["name".to_owned()],
        basis_kind: netid_proto::LegalBasisKind::CriminalInvestigation,
        legal_basis: "Synthetic Public Security Act, art. 99 (test)".to_owned(),
        reference: "TEST-CASE-2FA".to_owned(),
        defer_notice: None,
    })
    .unwrap()
}

const READ: &str = "/v1/operator/holders/read";

#[tokio::test]
async fn an_operator_with_a_passkey_changes_nothing_until_they_confirm_with_it() {
    static AHEAD: AtomicI64 = AtomicI64::new(0);
    let world = World::with_clock(netid_server::Clock::Ahead(&AHEAD)).await;
    let client = &world.client;
    let net_id = client
        .enroll_ok(&netid_testkit::Wallet::generate().enroll_request(&world.people.adult))
        .await
        .net_id;
    let dpo = (DPO, 0);
    let mut authenticator = Authenticator::new();

    // A first passkey needs a code; only another security administrator gives one.
    let refused = enroll(client, dpo, &mut authenticator, None).await;
    refused.problem(StatusCode::FORBIDDEN, "passkey_enrollment_refused");
    code_for(client, (OperatorRole::SystemAdministrator, 0), dpo)
        .await
        .problem(StatusCode::FORBIDDEN, "wrong_role");
    code_for(client, (SECURITY, 0), (SECURITY, 0))
        .await
        .problem(StatusCode::FORBIDDEN, "passkey_enrollment_refused");
    let wrong = enroll(client, dpo, &mut authenticator, Some("not-the-code")).await;
    wrong.problem(StatusCode::FORBIDDEN, "passkey_enrollment_refused");
    let code: Value = code_for(client, (SECURITY, 0), dpo).await.json();
    let code = code["code"].as_str().unwrap().to_owned();
    // Another operator's key cannot use it: the code is for this account.
    let mut stranger = Authenticator::new();
    enroll(client, (DPO, 1), &mut stranger, Some(&code))
        .await
        .problem(StatusCode::FORBIDDEN, "passkey_enrollment_refused");
    let added = enroll(client, dpo, &mut authenticator, Some(&code)).await;
    assert_eq!(added.status, StatusCode::NO_CONTENT, "{}", added.body);
    // Used once: a second passkey needs a code of its own.
    enroll(client, dpo, &mut Authenticator::new(), Some(&code))
        .await
        .problem(StatusCode::FORBIDDEN, "passkey_enrollment_refused");

    // Now the officer's requests that change something wait for the confirmation; reading
    // does not, and an officer without a passkey is not held up (the default policy).
    post_as(client, dpo, READ, &read_request(&net_id))
        .await
        .problem(StatusCode::UNAUTHORIZED, "second_factor_required");
    let me: Value = client
        .send(
            client
                .http
                .get(client.url("/v1/operator/me"))
                .header(reqwest::header::AUTHORIZATION, client.as_operator(DPO, 0)),
        )
        .await
        .json();
    assert_eq!(
        (
            me["passkeys"].as_u64(),
            me["second_factor_needed"].as_bool()
        ),
        (Some(1), Some(true))
    );
    let other = post_as(client, (DPO, 1), READ, &read_request(&net_id)).await;
    assert_eq!(other.status, StatusCode::ACCEPTED, "{}", other.body);

    // A confirmation with another authenticator's key, or replayed, is refused.
    let (forged, _) = confirm(client, dpo, &mut stranger).await;
    forged.problem(StatusCode::UNAUTHORIZED, "passkey_refused");
    let (confirmed, assertion) = confirm(client, dpo, &mut authenticator).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    let until = confirmed.json::<Value>()["verified_until"]
        .as_i64()
        .unwrap();
    assert!(until > client.clock.now().0 + 800, "{until}");
    post_as(client, dpo, "/v1/operator/me/confirm", &assertion)
        .await
        .problem(StatusCode::UNAUTHORIZED, "passkey_refused");
    let asked = post_as(client, dpo, READ, &read_request(&net_id)).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);
    // Even while the confirmation holds, the account's key alone adds no passkey: whoever
    // stole it cannot make the second factor theirs.
    enroll(client, dpo, &mut Authenticator::new(), None)
        .await
        .problem(StatusCode::FORBIDDEN, "passkey_enrollment_refused");

    // The confirmation lapses after fifteen minutes.
    AHEAD.fetch_add(16 * 60, Ordering::SeqCst);
    post_as(client, dpo, READ, &read_request(&net_id))
        .await
        .problem(StatusCode::UNAUTHORIZED, "second_factor_required");

    // Each step is a security event, with no secret in it.
    let events = events_until(client, |events| {
        kinds(events).contains(&"operator_confirmed")
            && kinds(events).contains(&"operator_passkey_added")
    })
    .await;
    let kinds = kinds(&events);
    for kind in ["operator_passkey_code_given", "operator_passkey_refused"] {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
    let text = serde_json::to_string(&events.iter().map(|event| &event.detail).collect::<Vec<_>>())
        .unwrap();
    assert!(!text.contains(&code), "{text}");
}

#[tokio::test]
async fn where_the_second_factor_is_required_an_account_without_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![(
        "NETID_OPERATOR_SECOND_FACTOR".to_owned(),
        "required".to_owned(),
    )];
    let server = netid_testkit::TestServer::start_with_env(dir.path(), env)
        .await
        .unwrap();
    let client = &Client::new(&server);
    let system = (OperatorRole::SystemAdministrator, 0);
    let platform = json!({"name": "测试平台"});
    post_as(client, system, "/v1/operator/platforms", &platform)
        .await
        .problem(StatusCode::UNAUTHORIZED, "no_second_factor");
    post_as(client, (DPO, 0), READ, &read_request("NID-TEST-0000"))
        .await
        .problem(StatusCode::UNAUTHORIZED, "no_second_factor");
    // Reading is not held up; the auditor changes nothing and needs none.
    let me = client
        .send(client.http.get(client.url("/v1/operator/me")).header(
            reqwest::header::AUTHORIZATION,
            client.as_operator(OperatorRole::SystemAdministrator, 0),
        ))
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    // A security administrator without a passkey still gives codes, so that the first
    // accounts can begin; with one, the administrator adds a passkey, confirms and acts.
    let code: Value = code_for(client, (SECURITY, 0), system).await.json();
    let mut authenticator = Authenticator::new();
    let added = enroll(client, system, &mut authenticator, code["code"].as_str()).await;
    assert_eq!(added.status, StatusCode::NO_CONTENT, "{}", added.body);
    let (confirmed, _) = confirm(client, system, &mut authenticator).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    let registered = post_as(client, system, "/v1/operator/platforms", &platform).await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{}",
        registered.body
    );
    // Once the security administrator has a passkey, giving codes needs a confirmation too.
    let security_code: Value = code_for(client, (SECURITY, 1), (SECURITY, 0)).await.json();
    let mut security = Authenticator::new();
    let added = enroll(
        client,
        (SECURITY, 0),
        &mut security,
        security_code["code"].as_str(),
    )
    .await;
    assert_eq!(added.status, StatusCode::NO_CONTENT, "{}", added.body);
    code_for(client, (SECURITY, 0), (DPO, 0))
        .await
        .problem(StatusCode::UNAUTHORIZED, "second_factor_required");
    server.stop().await;
}
