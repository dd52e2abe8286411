//! The privacy invariants of `shared/design.md`, one test each, named after it, through the
//! real HTTP interface. Invariant 5 is `privacy::invariant_5_*` and invariant 6
//! `net_certificates::invariant_6_*`; the others are here.

use base64ct::Encoding as _;
use netid_crypto::Suite;
use netid_log::{EntryKind, MerkleHasher};
use netid_proto::Predicate;
use netid_testkit::Wallet;
use reqwest::StatusCode;

use crate::client::{Client, World};
use crate::transparency::{all_entries, checkpoint, kinds, verifier};

/// The whole public log, audited: every checkpoint signature and the Merkle root.
pub(crate) async fn audited_log(client: &Client) -> Vec<EntryKind> {
    let verifier = verifier(client).await;
    let note = checkpoint(client).await;
    let signed = verifier.verify(&note).unwrap();
    let leaves = all_entries(client, signed.size).await;
    let report =
        netid_log::audit(&MerkleHasher::new(Suite::gm()), &verifier, &[note], &leaves).unwrap();
    assert_eq!(report.entries, signed.size);
    kinds(&leaves)
}

/// 1. A platform never receives the global Net ID, a document number, a name or a birth date
/// unless its profile grants that field with a legal basis and a live separate consent
/// exists. Without a grant the verification answer has exactly the result, the predicates
/// asked and the pseudonym (the granted and consented case is `grants::a_field_goes_*`).
#[tokio::test]
async fn invariant_1_a_platform_never_receives_identifying_fields_without_a_grant() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("invariant-1").await;
    let wallet = Wallet::generate();
    let enrolled = client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let answer = client
        .verify(
            &platform,
            &wallet,
            "nonce-invariant-1-0001",
            &[Predicate::AgeOver14, Predicate::AgeOver18],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let body: serde_json::Value = answer.json();
    let mut fields: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        vec![
            "age_over_14",
            "age_over_18",
            "real_name_verified",
            "subject"
        ]
    );
    let adult = &world.people.adult;
    for secret in [
        enrolled.net_id.as_str(),
        &enrolled.net_id.replace('-', ""),
        adult.document_number.as_str(),
        adult.name.as_str(),
        adult.birth_date.as_str(),
    ] {
        assert!(!answer.body.contains(secret), "{}", answer.body);
    }
}

/// 2. Two platforms get different subject identifiers for the same holder (and one platform
/// the same one each time).
#[tokio::test]
async fn invariant_2_two_platforms_get_different_subjects_for_one_holder() {
    let world = World::new().await;
    let client = &world.client;
    let first = client.register_platform("invariant-2-first").await;
    let second = client.register_platform("invariant-2-second").await;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let subject = |answer: netid_proto::VerifyResponse| answer.subject;
    let a1 = subject(
        client
            .verify_ok(&first, &wallet, "nonce-invariant-2-a-0001", &[])
            .await,
    );
    let a2 = subject(
        client
            .verify_ok(&first, &wallet, "nonce-invariant-2-a-0002", &[])
            .await,
    );
    let b = subject(
        client
            .verify_ok(&second, &wallet, "nonce-invariant-2-b-0001", &[])
            .await,
    );
    assert_eq!(a1, a2);
    assert_ne!(a1, b);
}

/// A group of platforms the operator declares one sector (OpenID Connect's sector identifier)
/// shares one pseudonym; every platform outside it still gets its own.
#[tokio::test]
async fn platforms_of_a_declared_sector_share_a_subject_and_no_one_else_does() {
    let world = World::new().await;
    let client = &world.client;
    let first = client.register_platform("sector-first").await;
    let join = |sector_of: &str| netid_proto::RegisterPlatformRequest {
        name: "sector-second".to_owned(),
        sector_of: Some(sector_of.to_owned()),
    };
    let answer = client
        .post(
            "/v1/operator/platforms",
            Some(&client.bearer()),
            &join(&first.client_id),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let second: netid_proto::RegisterPlatformResponse = answer.json();
    assert_eq!(second.sector, first.sector);
    assert_ne!(second.client_id, first.client_id);
    let outsider = client.register_platform("sector-outsider").await;
    client
        .post(
            "/v1/operator/platforms",
            Some(&client.bearer()),
            &join("pl-no-such-platform"),
        )
        .await
        .problem(StatusCode::NOT_FOUND, "unknown_platform");

    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let subject = |platform, nonce| client.verify_ok(platform, &wallet, nonce, &[]);
    let in_first = subject(&first, "nonce-sector-first-001").await.subject;
    let in_second = subject(&second, "nonce-sector-second-01").await.subject;
    let outside = subject(&outsider, "nonce-sector-outside-1").await.subject;
    assert_eq!(in_first, in_second);
    assert_ne!(in_first, outside);
    // The shared sector is public: each member's signed profile names the others.
    for (member, other) in [(&first, &second), (&second, &first)] {
        let published: netid_proto::ServiceSigned = client
            .get(&format!("/v1/platforms/{}/profile", member.client_id))
            .await
            .json();
        let payload: netid_proto::Profile = serde_json::from_slice(
            &base64ct::Base64UrlUnpadded::decode_vec(&published.payload).unwrap(),
        )
        .unwrap();
        assert_eq!(
            payload.shares_pseudonyms_with,
            vec![other.client_id.clone()]
        );
    }
}

/// 3. Every disclosure appears both in the holder's history and in the audit log. Today a
/// platform's online verification (the result and the predicates it asked for) is the
/// disclosure there is; each one is a `verification` entry naming the platform, in both.
#[tokio::test]
async fn invariant_3_every_disclosure_is_in_the_holders_history_and_the_audit_log() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("invariant-3").await;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    for nonce in ["nonce-invariant-3-0001", "nonce-invariant-3-0002"] {
        client
            .verify_ok(&platform, &wallet, nonce, &[Predicate::AgeOver18])
            .await;
    }
    let history: netid_proto::HolderLogResponse = client
        .post("/v1/holders/log", None, &wallet.log_request())
        .await
        .json();
    let own: Vec<netid_log::Entry> = history
        .entries
        .iter()
        .map(|entry| netid_log::Entry::from_leaf(entry.leaf.as_bytes()).unwrap())
        .filter(|entry| entry.kind == EntryKind::Verification)
        .collect();
    assert_eq!(own.len(), 2);
    assert!(
        own.iter()
            .all(|entry| entry.platform.as_deref() == Some(&*platform.client_id))
    );
    let public = audited_log(client).await;
    assert_eq!(
        public
            .iter()
            .filter(|kind| **kind == EntryKind::Verification)
            .count(),
        2
    );
}

/// 4. After deletion, the holder's personal data cannot be decrypted (the data key is gone
/// from the store), and the audit log still verifies, with the deletion in it.
#[tokio::test]
async fn invariant_4_after_deletion_the_data_cannot_be_decrypted_and_the_log_verifies() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let answer = client
        .post("/v1/holders/delete", None, &wallet.deletion_request())
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let kinds = audited_log(client).await;
    assert_eq!(kinds.last(), Some(&EntryKind::Deletion));
    let data_dir = world.server.data_dir.clone();
    let store = netid_testkit::RawStore::of(&data_dir);
    assert_eq!(store.integer("SELECT COUNT(*) FROM holders"), 1);
    let keys = store.blobs("SELECT wrapped_data_key, sealed_personal FROM holders", 2);
    assert_eq!(keys, vec![Vec::<u8>::new(); 2]);
}

/// 7. No verification for a holder under 14 succeeds without a guardian's consent on record:
/// once the guardian is deleted (which ends the guardianship), the child's verifications and
/// Net Certificates are refused.
#[tokio::test]
async fn invariant_7_no_verification_under_14_without_a_guardian_on_record() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("invariant-7").await;
    let (guardian, child, enrolled) = world.enroll_child().await;
    client
        .approve_platform(&guardian, &enrolled.net_id, &platform.client_id)
        .await;
    client
        .verify_ok(&platform, &child, "nonce-invariant-7-0001", &[])
        .await;
    let answer = client
        .post("/v1/holders/delete", None, &guardian.deletion_request())
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    client
        .verify(&platform, &child, "nonce-invariant-7-0002", &[])
        .await
        .problem(StatusCode::FORBIDDEN, "guardian_required");
    let keys = [Suite::intl().generate_signing_key().unwrap()];
    client
        .post(
            "/v1/holders/net-certificates",
            None,
            &child.net_certificate_request(&keys),
        )
        .await
        .problem(StatusCode::FORBIDDEN, "guardian_required");
    // The child is not stuck with their data: with no guardian on record they delete alone.
    let answer = client
        .post("/v1/holders/delete", None, &child.deletion_request())
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

/// 8. An operator's read of personal data is an audit entry that the holder can see. The one
/// read path (`POST /v1/operator/holders/read`) writes an `operator_read` entry of the holder's,
/// shown in their history with its legal basis; no other operator endpoint answers with
/// personal data (every operator GET of the OpenAPI document is called and scanned).
#[tokio::test]
async fn invariant_8_an_operator_read_is_an_audit_entry_the_holder_sees() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    let enrolled = client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let adult = &world.people.adult;
    let read = client
        .post(
            "/v1/operator/holders/read",
            Some(&client.bearer()),
            &netid_proto::OperatorReadRequest {
                net_id: Some(enrolled.net_id.clone()),
                platform_subject: None,
                certificate_serial: None,
                history: None,
                fields: vec!["name".to_owned()],
                basis_kind: netid_proto::LegalBasisKind::CriminalInvestigation,
                legal_basis: "Synthetic Act, art. 8 (test)".to_owned(),
                reference: "INVARIANT-8".to_owned(),
                defer_notice: None,
            },
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert!(
        client
            .log_kinds(&wallet)
            .await
            .contains(&EntryKind::OperatorRead)
    );
    let history: netid_proto::HolderLogResponse = client
        .post("/v1/holders/log", None, &wallet.log_request())
        .await
        .json();
    assert_eq!(history.operator_reads.len(), 1);
    assert_eq!(history.operator_reads[0].reference, "INVARIANT-8");
    assert!(audited_log(client).await.contains(&EntryKind::OperatorRead));

    let openapi: serde_json::Value = client.get("/v1/openapi.json").await.json();
    let mut checked = 0;
    for (path, operations) in openapi["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/operator/") || operations.get("get").is_none() {
            continue;
        }
        let answer = client
            .send(
                client
                    .http
                    .get(format!("{}{path}", client.base_url))
                    .bearer_auth(&client.operator),
            )
            .await;
        checked += 1;
        for secret in [
            enrolled.net_id.as_str(),
            adult.document_number.as_str(),
            adult.name.as_str(),
            adult.birth_date.as_str(),
        ] {
            assert!(!answer.body.contains(secret), "{path}: {}", answer.body);
        }
    }
    assert!(
        checked >= 3,
        "the operator's read endpoints were found: {checked}"
    );
}
