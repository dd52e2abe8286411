//! Every statutory document type through the real API, one person holding two documents,
//! and a minor's recovery.

use netid_core::{Date, DocumentType};
use netid_proto::{EnrollOutcome, Predicate};
use netid_testkit::{Authority, TestServer, Wallet, roster_entry, synthetic_gb11643};
use reqwest::StatusCode;

use crate::client::{Client, World};

/// One synthetic person per document type, all adults; the foreign residents have
/// transliterated names with the middle dot.
fn one_of_each(birth: Date) -> Vec<netid_proto::RosterEntry> {
    use DocumentType as T;
    let gb = |document, address| synthetic_gb11643(document, address, birth, false);
    // The 2017 permanent resident card encodes the birth date as YYMMDD after the office code.
    let fpr_2017_birth = Date::from_ymd(1990, 3, 7).unwrap();
    vec![
        roster_entry(
            T::ResidentId,
            &gb(T::ResidentId, "110101"),
            "测试一",
            birth,
            "CHN",
            "D-1",
            None,
        ),
        roster_entry(
            T::Passport,
            "E99999901",
            "测试二",
            birth,
            "CHN",
            "D-2",
            None,
        ),
        roster_entry(
            T::HkMacaoTravelPermit,
            "C99999903",
            "测试三",
            birth,
            "CHN",
            "D-3",
            None,
        ),
        roster_entry(
            T::MainlandTravelPermitHkm,
            "H99999904",
            "测试四",
            birth,
            "CHN",
            "D-4",
            None,
        ),
        roster_entry(
            T::MainlandTravelPermitTw,
            "99999905",
            "测试五",
            birth,
            "CHN",
            "D-5",
            None,
        ),
        roster_entry(
            T::ResidencePermitHkm,
            &gb(T::ResidencePermitHkm, "810000"),
            "测试六",
            birth,
            "CHN",
            "D-6",
            None,
        ),
        roster_entry(
            T::ResidencePermitTw,
            &gb(T::ResidencePermitTw, "830000"),
            "测试七",
            birth,
            "CHN",
            "D-7",
            None,
        ),
        roster_entry(
            T::ForeignPermanentResidentId,
            &gb(T::ForeignPermanentResidentId, "911156"),
            "TEST·EIGHT",
            birth,
            "USA",
            "D-8",
            None,
        ),
        roster_entry(
            T::ForeignPermanentResidentId,
            "USA110090030796",
            "TEST·NINE",
            fpr_2017_birth,
            "USA",
            "D-9",
            None,
        ),
    ]
}

#[tokio::test]
async fn every_document_type_enrolls_and_verifies_over_http() {
    let (server, _dir) = TestServer::start().await;
    let client = Client::new(&server);
    let authority = Authority::generate("test-authority");
    client.register_authority(&authority).await;
    let birth = netid_testkit::years_ago(30, netid_testkit::today());
    let people = one_of_each(birth);
    let answer = client.load_roster(&authority.sign(people.clone())).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let platform = client.register_platform("documents").await;

    let mut net_ids = std::collections::HashSet::new();
    let mut subjects = std::collections::HashSet::new();
    for (n, person) in people.iter().enumerate() {
        let wallet = Wallet::generate();
        let enrolled = client.enroll_ok(&wallet.enroll_request(person)).await;
        assert_eq!(
            enrolled.outcome,
            EnrollOutcome::Enrolled,
            "{}",
            person.document_type
        );
        net_ids.insert(enrolled.net_id);
        let verified = client
            .verify_ok(
                &platform,
                &wallet,
                &format!("nonce-document-{n:04}"),
                &[Predicate::AgeOver18],
            )
            .await;
        assert_eq!(verified.age_over_18, Some(true), "{}", person.document_type);
        subjects.insert(verified.subject);
    }
    assert_eq!(net_ids.len(), people.len());
    assert_eq!(subjects.len(), people.len());
    server.stop().await;
}

/// A person holds a resident ID and a passport: both roster records carry the same person
/// reference, so either document leads to the one Net ID.
#[tokio::test]
async fn one_person_with_two_documents_has_one_net_id() {
    let world = World::new().await;
    let client = &world.client;
    let adult = &world.people.adult;
    let birth: Date = adult.birth_date.parse().unwrap();
    let passport = roster_entry(
        DocumentType::Passport,
        "E99999911",
        &adult.name,
        birth,
        "CHN",
        &adult.person_ref,
        Some("CODE-PASSPORT"),
    );
    let mut roster = world.people.all();
    roster.push(passport.clone());
    let answer = client.load_roster(&world.authority.sign(roster)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let platform = client.register_platform("two documents").await;

    let wallet = Wallet::generate();
    let first = client.enroll_ok(&wallet.enroll_request(adult)).await;
    let before = client
        .verify_ok(&platform, &wallet, "nonce-two-docs-01", &[])
        .await;

    // The same wallet with the other document: no second Net ID (and nothing changes).
    let same = client.enroll_ok(&wallet.enroll_request(&passport)).await;
    assert_eq!(
        (same.outcome, &same.net_id),
        (EnrollOutcome::Enrolled, &first.net_id)
    );

    // Another wallet with the passport and its one-time code: the recovery path, same Net ID.
    let new_wallet = Wallet::generate();
    let recovered = client
        .enroll_ok(&new_wallet.enroll_request(&passport))
        .await;
    assert_eq!(
        (recovered.outcome, &recovered.net_id),
        (EnrollOutcome::Recovered, &first.net_id)
    );
    let after = client
        .verify_ok(&platform, &new_wallet, "nonce-two-docs-02", &[])
        .await;
    assert_eq!(after.subject, before.subject);
}

/// A minor who lost their wallet recovers only with a fresh code and the guardian's consent.
#[tokio::test]
async fn a_minor_recovers_only_with_a_new_code_and_the_guardians_consent() {
    let world = World::new().await;
    let client = &world.client;
    let (guardian, _, enrolled) = world.enroll_child().await;

    let mut renewed = world.people.child.clone();
    renewed.enrollment_code = Some("CODE-C-RENEWED".to_owned());
    let roster: Vec<_> = world
        .people
        .all()
        .into_iter()
        .map(|entry| {
            if entry.person_ref == renewed.person_ref {
                renewed.clone()
            } else {
                entry
            }
        })
        .collect();
    let answer = client.load_roster(&world.authority.sign(roster)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    let new_wallet = Wallet::generate();
    let unaccompanied = new_wallet.enroll_request(&renewed);
    client
        .enroll(&unaccompanied)
        .await
        .problem(StatusCode::FORBIDDEN, "guardian_required");
    let mut request = new_wallet.enroll_request(&renewed);
    request.guardian = Some(guardian.guardian_consent(&request));
    let recovered = client.enroll_ok(&request).await;
    assert_eq!(
        (recovered.outcome, &recovered.net_id),
        (EnrollOutcome::Recovered, &enrolled.net_id)
    );
}

/// A document that expires after its holder enrolled: validity is checked at every use, so
/// the service stops vouching for it the day after it expires (issue 24).
#[tokio::test]
async fn a_document_that_expires_after_enrollment_is_verified_no_more() {
    static AHEAD: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    let world = World::with_clock(netid_server::Clock::Ahead(&AHEAD)).await;
    let client = &world.client;
    let today = netid_testkit::today();
    let last_day = Date::from_days_since_unix_epoch(today.days_since_unix_epoch() + 10).unwrap();
    let mut soon = netid_testkit::resident(
        "110106",
        "测试己",
        netid_testkit::years_ago(25, today),
        "P-0006",
        Some("CODE-F-2026"),
    );
    soon.expiry = last_day.to_string();
    let mut roster = world.people.all();
    roster.push(soon.clone());
    let loaded = client.load_roster(&world.authority.sign(roster)).await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    let mut wallet = Wallet::generate();
    client.enroll_ok(&wallet.enroll_request(&soon)).await;
    let platform = client.register_platform("测试平台").await;
    client
        .verify_ok(&platform, &wallet, "nonce-before-the-expiry", &[])
        .await;

    // Eleven days on, the document has expired: no verification, no new Net Certificate.
    AHEAD.fetch_add(11 * 86_400, std::sync::atomic::Ordering::SeqCst);
    wallet.sign_at(client.clock.now().0);
    client
        .verify(&platform, &wallet, "nonce-after-the-expiry", &[])
        .await
        .problem(StatusCode::FORBIDDEN, "document_no_longer_valid");
    client
        .ask_net_certificate(&wallet)
        .await
        .problem(StatusCode::FORBIDDEN, "document_no_longer_valid");
    // The holder still reads their history.
    assert!(!client.log_kinds(&wallet).await.is_empty());
}

/// The authority's roster renews, corrects and replaces a holder's document, and the holder
/// keeps their Net ID; each update is in their history (issue 24).
#[tokio::test]
async fn the_roster_renews_corrects_and_replaces_a_record_and_the_net_id_stays() {
    static AHEAD: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    let world = World::with_clock(netid_server::Clock::Ahead(&AHEAD)).await;
    let client = &world.client;
    let today = netid_testkit::today();
    let day = |offset: i64| {
        Date::from_days_since_unix_epoch(today.days_since_unix_epoch() + offset)
            .unwrap()
            .to_string()
    };
    let born = netid_testkit::years_ago(30, today);
    let mut person =
        netid_testkit::resident("110106", "测试庚", born, "P-0007", Some("CODE-G-2026"));
    person.expiry = day(5);
    let load = async |extra: netid_proto::RosterEntry| {
        let mut roster = world.people.all();
        roster.push(extra);
        let loaded = client.load_roster(&world.authority.sign(roster)).await;
        assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    };
    load(person.clone()).await;
    let mut wallet = Wallet::generate();
    let enrolled = client.enroll_ok(&wallet.enroll_request(&person)).await;
    let platform = client.register_platform("测试平台").await;
    let record = async |wallet: &Wallet| -> netid_proto::HolderRecord {
        let answer = client
            .post("/v1/holders/record", None, &wallet.record_request())
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.json()
    };

    // Expired: refused, until the authority renews it (a later expiry, the name corrected
    // on the way); the Net ID is the same.
    AHEAD.fetch_add(6 * 86_400, std::sync::atomic::Ordering::SeqCst);
    wallet.sign_at(client.clock.now().0);
    client
        .verify(&platform, &wallet, "nonce-renewal-00001", &[])
        .await
        .problem(StatusCode::FORBIDDEN, "document_no_longer_valid");
    let mut renewed = person.clone();
    renewed.expiry = day(3650);
    renewed.name = "测试庚乙".to_owned();
    load(renewed.clone()).await;
    client
        .verify_ok(&platform, &wallet, "nonce-renewal-00002", &[])
        .await;
    let held = record(&wallet).await;
    assert_eq!(
        (
            held.net_id.as_str(),
            held.name.as_str(),
            held.expiry.as_str()
        ),
        (
            enrolled.net_id.as_str(),
            "测试庚乙",
            renewed.expiry.as_str()
        )
    );
    assert!(held.document_valid);
    let kinds = client.log_kinds(&wallet).await;
    assert!(
        kinds.contains(&netid_log::EntryKind::RecordUpdated),
        "{kinds:?}"
    );

    // A replaced document (another number, the same person): the record follows it.
    let replacement =
        netid_testkit::resident("110108", "测试庚乙", born, "P-0007", Some("CODE-H-2026"));
    assert_ne!(replacement.document_number, person.document_number);
    load(replacement.clone()).await;
    let held = record(&wallet).await;
    assert_eq!(
        (held.net_id.as_str(), held.document_number.as_str()),
        (
            enrolled.net_id.as_str(),
            replacement.document_number.as_str()
        )
    );
    // A roster that changes nothing of the record adds no entry.
    let updates = |kinds: Vec<netid_log::EntryKind>| {
        kinds
            .into_iter()
            .filter(|kind| *kind == netid_log::EntryKind::RecordUpdated)
            .count()
    };
    let before = updates(client.log_kinds(&wallet).await);
    load(replacement).await;
    assert_eq!(updates(client.log_kinds(&wallet).await), before);
    assert_eq!(before, 2);
}

/// A holder asks for a correction; only their authority reads it (with the record held), once
/// per signed request; the authority's corrected roster closes it (issue 24).
#[tokio::test]
async fn a_correction_goes_to_the_authority_and_its_roster_closes_it() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    let adult = &world.people.adult;
    client.enroll_ok(&wallet.enroll_request(adult)).await;
    let record = async || -> netid_proto::HolderRecord {
        let answer = client
            .post("/v1/holders/record", None, &wallet.record_request())
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.json()
    };

    // Bad messages change nothing.
    for message in ["", "  ", "two\nlines", &"长".repeat(501)] {
        client
            .post(
                "/v1/holders/corrections",
                None,
                &wallet.correction_request(message),
            )
            .await
            .problem(StatusCode::BAD_REQUEST, "invalid_field");
    }
    let message = "My name is 测试甲乙, not 测试甲 (synthetic)";
    let asked = client
        .post(
            "/v1/holders/corrections",
            None,
            &wallet.correction_request(message),
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    let asked: netid_proto::CorrectionStatus = asked.json();
    assert_eq!(asked.authority, world.authority.name);
    assert_eq!(record().await.corrections, vec![asked.clone()]);
    let kinds = client.log_kinds(&wallet).await;
    assert!(
        kinds.contains(&netid_log::EntryKind::CorrectionRequested),
        "{kinds:?}"
    );

    // The authority reads it, signed with its roster key; another key, or the same request
    // again, reads nothing.
    let request = world.authority.corrections_request();
    let answer = client
        .http
        .post(format!("{}/v1/authority/corrections", client.base_url))
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let open: Vec<netid_proto::OpenCorrection> = answer.json().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(
        (
            open[0].reference.as_str(),
            open[0].document_number.as_str(),
            open[0].name.as_str(),
            open[0].message.as_str()
        ),
        (
            asked.reference.as_str(),
            adult.document_number.as_str(),
            adult.name.as_str(),
            message
        )
    );
    client
        .post("/v1/authority/corrections", None, &request)
        .await
        .problem(StatusCode::CONFLICT, "request_replayed");
    let impostor = Authority::generate(&world.authority.name);
    client
        .post(
            "/v1/authority/corrections",
            None,
            &impostor.corrections_request(),
        )
        .await
        .problem(StatusCode::FORBIDDEN, "bad_authority_signature");

    // The corrected roster corrects the record and closes the request.
    let mut corrected = adult.clone();
    corrected.name = "测试甲乙".to_owned();
    let mut roster: Vec<_> = world
        .people
        .all()
        .into_iter()
        .filter(|entry| entry.person_ref != adult.person_ref)
        .collect();
    roster.push(corrected);
    let loaded = client.load_roster(&world.authority.sign(roster)).await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    let held = record().await;
    assert_eq!(held.name, "测试甲乙");
    assert!(held.corrections[0].closed_at.is_some());
    let open: Vec<netid_proto::OpenCorrection> = client
        .post(
            "/v1/authority/corrections",
            None,
            &world.authority.corrections_request(),
        )
        .await
        .json();
    assert!(open.is_empty());
}
