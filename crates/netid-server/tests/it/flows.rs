//! The happy paths: enrollment, recovery, guardianship, result-only verification.

use netid_core::NetId;
use netid_crypto::Suite;
use netid_proto::{EnrollOutcome, Predicate};
use netid_testkit::Wallet;
use reqwest::StatusCode;

use crate::client::World;

#[tokio::test]
async fn health_and_openapi_are_served() {
    let world = World::new().await;
    let health = world
        .client
        .send(world.client.http.get(world.server.url("/healthz")))
        .await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, r#"{"status":"ok"}"#);
    let openapi = world
        .client
        .send(world.client.http.get(world.server.url("/v1/openapi.json")))
        .await;
    assert_eq!(openapi.status, StatusCode::OK);
    let document: serde_json::Value = openapi.json();
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["paths"]["/v1/holders/enroll"]["post"].is_object());
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let world = World::new().await;
    let openapi = world
        .client
        .send(world.client.http.get(world.server.url("/v1/openapi.json")))
        .await;
    let document: serde_json::Value = openapi.json();
    for (template, operations) in document["paths"].as_object().unwrap() {
        // A path parameter gets a value that exists (the world's log has two entries).
        let path = &template.replace("{tile}", "entries/000.p/1");
        for method in operations.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let answer = world
                .client
                .send(
                    world
                        .client
                        .http
                        .request(method.clone(), world.server.url(path)),
                )
                .await;
            // A routed endpoint may answer 404 about a resource (an unknown CA key id), never
            // the router's "no such endpoint".
            let unrouted = answer.status == StatusCode::NOT_FOUND
                && answer.body.contains("\"code\":\"not_found\"");
            assert!(!unrouted, "{method} {path}: {}", answer.body);
            assert_ne!(
                answer.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn adult_enrolls_and_reenrollment_recovers_the_same_net_id_with_a_new_key() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("example platform").await;

    let first_wallet = Wallet::generate();
    let enrolled = client
        .enroll_ok(&first_wallet.enroll_request(&world.people.adult))
        .await;
    assert_eq!(enrolled.outcome, EnrollOutcome::Enrolled);
    let net_id: NetId = enrolled.net_id.parse().unwrap();
    assert_eq!(enrolled.net_id, net_id.expose_grouped());
    let before = client
        .verify_ok(&platform, &first_wallet, "nonce-before-0001", &[])
        .await;

    // Recovery needs a fresh one-time code: the authority issues one in a new roster.
    let mut renewed = world.people.adult.clone();
    renewed.enrollment_code = Some("CODE-A-RENEWED".to_owned());
    let mut roster = world.people.all();
    roster[0] = renewed.clone();
    let answer = client.load_roster(&world.authority.sign(roster)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let second_wallet = Wallet::generate();
    let recovered = client
        .enroll_ok(&second_wallet.enroll_request(&renewed))
        .await;
    assert_eq!(recovered.outcome, EnrollOutcome::Recovered);
    assert_eq!(recovered.net_id, enrolled.net_id);

    // The old key is retired: it no longer presents.
    client
        .verify(&platform, &first_wallet, "nonce-after-00001", &[])
        .await
        .problem(StatusCode::FORBIDDEN, "presentation_rejected");
    let after = client
        .verify_ok(&platform, &second_wallet, "nonce-after-00002", &[])
        .await;
    assert_eq!(after.subject, before.subject);
}

#[tokio::test]
async fn child_under_14_enrolls_only_with_the_recorded_guardian_consent() {
    let world = World::new().await;
    let client = &world.client;
    let guardian = Wallet::generate();
    client
        .enroll_ok(&guardian.enroll_request(&world.people.guardian))
        .await;
    let stranger = Wallet::generate();
    client
        .enroll_ok(&stranger.enroll_request(&world.people.adult))
        .await;

    // Each attempt is a request of its own: a signed request is used by its first arrival.
    let child = Wallet::generate();
    client
        .enroll(&child.enroll_request(&world.people.child))
        .await
        .problem(StatusCode::FORBIDDEN, "guardian_required");

    // An enrolled adult who is not the recorded guardian.
    let mut request = child.enroll_request(&world.people.child);
    request.guardian = Some(stranger.guardian_consent(&request));
    client
        .enroll(&request)
        .await
        .problem(StatusCode::FORBIDDEN, "guardian_not_recognised");

    // A guardian signature over another request does not count.
    let other = child.enroll_request(&world.people.teen);
    let mut request = child.enroll_request(&world.people.child);
    request.guardian = Some(guardian.guardian_consent(&other));
    client
        .enroll(&request)
        .await
        .problem(StatusCode::FORBIDDEN, "guardian_not_recognised");

    let mut request = child.enroll_request(&world.people.child);
    request.guardian = Some(guardian.guardian_consent(&request));
    let enrolled = client.enroll_ok(&request).await;
    assert_eq!(enrolled.outcome, EnrollOutcome::Enrolled);

    let platform = client.register_platform("kids platform").await;
    // Each platform a child under 14 uses needs a guardian's approval, result-only included
    // (Art. 5); only a guardian on record gives it.
    client
        .verify(&platform, &child, "nonce-child-00000", &[])
        .await
        .problem(StatusCode::FORBIDDEN, "guardian_approval_required");
    client
        .post(
            "/v1/holders/wards/platforms",
            None,
            &stranger.ward_platform_request(&enrolled.net_id, &platform.client_id),
        )
        .await
        .problem(StatusCode::FORBIDDEN, "guardian_not_recognised");
    client
        .approve_platform(&guardian, &enrolled.net_id, &platform.client_id)
        .await;
    let answer = client
        .verify_ok(
            &platform,
            &child,
            "nonce-child-00001",
            &[Predicate::AgeOver14, Predicate::AgeOver18],
        )
        .await;
    assert!(answer.real_name_verified);
    assert_eq!(answer.age_over_14, Some(false));
    assert_eq!(answer.age_over_18, Some(false));
}

#[tokio::test]
async fn platform_gets_the_result_asked_and_a_pairwise_pseudonym_only() {
    let world = World::new().await;
    let client = &world.client;
    let adult = Wallet::generate();
    let net_id = client
        .enroll_ok(&adult.enroll_request(&world.people.adult))
        .await
        .net_id;
    let teen = Wallet::generate();
    client
        .enroll_ok(&teen.enroll_request(&world.people.teen))
        .await;
    let platform_a = client.register_platform("platform a").await;
    let platform_b = client.register_platform("platform b").await;

    let answer = client
        .verify(
            &platform_a,
            &adult,
            "nonce-a-000000001",
            &[Predicate::AgeOver18],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let body: serde_json::Value = answer.json();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["age_over_18", "real_name_verified", "subject"]);
    assert_eq!(body["real_name_verified"], true);
    assert_eq!(body["age_over_18"], true);
    let subject_a = body["subject"].as_str().unwrap().to_owned();
    assert_eq!(subject_a.len(), 64);
    assert!(subject_a.bytes().all(|b| b.is_ascii_hexdigit()));
    let compact = net_id.replace('-', "");
    assert!(!answer.body.contains(&compact) && !answer.body.contains(&net_id));

    let again = client
        .verify_ok(&platform_a, &adult, "nonce-a-000000002", &[])
        .await;
    assert_eq!(again.subject, subject_a, "stable at one platform");
    assert_eq!(again.age_over_14, None);
    assert_eq!(again.age_over_18, None);

    let at_b = client
        .verify_ok(&platform_b, &adult, "nonce-b-000000001", &[])
        .await;
    assert_ne!(at_b.subject, subject_a, "unlinkable across platforms");

    let teen_answer = client
        .verify_ok(
            &platform_a,
            &teen,
            "nonce-t-000000001",
            &[Predicate::AgeOver18, Predicate::AgeOver14],
        )
        .await;
    assert_eq!(teen_answer.age_over_14, Some(true));
    assert_eq!(teen_answer.age_over_18, Some(false));
    assert_ne!(teen_answer.subject, subject_a);
}

#[tokio::test]
async fn wallet_keys_of_both_suites_in_pem_and_jwk_enroll_and_present() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("suites").await;
    let wallets = [
        (Wallet::generate_in(&Suite::intl()), &world.people.adult),
        (
            Wallet::generate_in(&Suite::intl()).with_jwk(),
            &world.people.teen,
        ),
        (Wallet::generate().with_jwk(), &world.people.guardian),
    ];
    let mut subjects = Vec::new();
    for (index, (wallet, person)) in wallets.iter().enumerate() {
        let enrolled = client.enroll_ok(&wallet.enroll_request(person)).await;
        assert_eq!(enrolled.outcome, EnrollOutcome::Enrolled);
        let nonce = format!("nonce-suites-{index:05}");
        let answer = client
            .verify_ok(&platform, wallet, &nonce, &[Predicate::AgeOver14])
            .await;
        assert_eq!(answer.age_over_14, Some(true));
        subjects.push(answer.subject);
    }
    subjects.sort();
    subjects.dedup();
    assert_eq!(subjects.len(), 3);
}

#[tokio::test]
async fn the_same_wallet_applying_again_gets_the_same_net_id_and_changes_nothing() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("retry platform").await;
    let wallet = Wallet::generate();
    let first = client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let again = client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    assert_eq!(again.outcome, EnrollOutcome::Enrolled);
    assert_eq!(again.net_id, first.net_id);
    client
        .verify_ok(&platform, &wallet, "nonce-retry-000001", &[])
        .await;
}

/// Issue 4 review: number, name and a used code must not move someone's Net ID to an
/// attacker's wallet.
#[tokio::test]
async fn a_used_code_cannot_move_a_net_id_to_another_wallet() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("takeover platform").await;
    let holder = Wallet::generate();
    client
        .enroll_ok(&holder.enroll_request(&world.people.adult))
        .await;

    let attacker = Wallet::generate();
    client
        .enroll(&attacker.enroll_request(&world.people.adult))
        .await
        .problem(StatusCode::FORBIDDEN, "enrollment_code_used");
    client
        .verify(&platform, &attacker, "nonce-attack-0001", &[])
        .await
        .problem(StatusCode::FORBIDDEN, "presentation_rejected");
    client
        .verify_ok(&platform, &holder, "nonce-holder-0001", &[])
        .await;
}
