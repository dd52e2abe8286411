//! Minors (Measures Art. 4, 5) across birthdays, with the server's clock fixed: the guardian
//! is told of each platform a minor uses, decides alone for a child under 14 only, and loses
//! access to the history when the minor turns 18.

use netid_core::Date;
use netid_proto::Predicate;
use netid_server::Clock;
use netid_server::clock::start_of_day;
use netid_store::Timestamp;
use netid_testkit::Wallet;
use reqwest::StatusCode;

use crate::client::{Client, World};

/// The platforms the guardian's one ward has used, in the order of their first use.
async fn ward_platforms(client: &Client, guardian: &Wallet) -> Vec<String> {
    let seen = client.history(guardian).await;
    let [ward] = seen.wards.as_slice() else {
        panic!("one ward: {:?}", seen.wards);
    };
    let firsts: Vec<u64> = ward.platforms.iter().map(|p| p.first_index).collect();
    assert!(
        firsts.is_sorted(),
        "listed in order of first use: {firsts:?}"
    );
    ward.platforms.iter().map(|p| p.client_id.clone()).collect()
}

fn days_after(date: Date, days: i64) -> Date {
    Date::from_days_since_unix_epoch(date.days_since_unix_epoch() + days).unwrap()
}

fn birthday(birth: Date, age: u16) -> Date {
    // A 29 February birthday falls on 1 March in common years (`Date::age_on`).
    Date::from_ymd(birth.year() + age, birth.month(), birth.day())
        .unwrap_or_else(|_| Date::from_ymd(birth.year() + age, 3, 1).unwrap())
}

#[tokio::test]
async fn a_guardian_sees_each_platform_a_minor_uses_until_the_minor_turns_18() {
    let start = netid_testkit::now();
    let today = netid_server::clock::date_of(Timestamp(start)).unwrap();
    // 13 today, 14 in five days.
    let birth = days_after(netid_testkit::years_ago(14, today), 5);
    let world = World::with_clock(Clock::Fixed(Timestamp(start))).await;
    let mut minor =
        netid_testkit::resident("110106", "测试己", birth, "P-0006", Some("CODE-F-2026"));
    minor.guardian_person_ref = Some("P-0002".to_owned());
    let mut roster = world.people.all();
    roster.push(minor.clone());
    let client = &world.client;
    let loaded = client.load_roster(&world.authority.sign(roster)).await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    let first = client.register_platform("minors-first").await;
    let second = client.register_platform("minors-second").await;

    let mut guardian = Wallet::generate();
    let mut child = Wallet::generate();
    guardian.sign_at(start);
    child.sign_at(start);
    client
        .enroll_ok(&guardian.enroll_request(&world.people.guardian))
        .await;
    let mut request = child.enroll_request(&minor);
    request.guardian = Some(guardian.guardian_consent(&request));
    let enrolled = client.enroll_ok(&request).await;
    client
        .approve_platform(&guardian, &enrolled.net_id, &first.client_id)
        .await;
    let at_13 = client
        .verify_ok(
            &first,
            &child,
            "nonce-minor-age-13-0001",
            &[Predicate::AgeOver14],
        )
        .await;
    assert_eq!(at_13.age_over_14, Some(false));
    let platforms = ward_platforms(client, &guardian).await;
    assert_eq!(platforms, vec![first.client_id.clone()]);

    // At 14 the rules change by themselves: the minor's own consent, but the guardian is
    // still told of the new platform; and the guardian no longer deletes for the minor alone.
    let at = start_of_day(birthday(birth, 14)).0 + 3600;
    let world = world.restart_at(Clock::Fixed(Timestamp(at))).await;
    let client = &world.client;
    guardian.sign_at(at);
    child.sign_at(at);
    let at_14 = client
        .verify_ok(
            &second,
            &child,
            "nonce-minor-age-14-0001",
            &[Predicate::AgeOver14],
        )
        .await;
    assert_eq!(at_14.age_over_14, Some(true));
    let platforms = ward_platforms(client, &guardian).await;
    assert_eq!(
        platforms,
        [first.client_id.clone(), second.client_id.clone()]
    );
    let refused = client
        .post(
            "/v1/holders/wards/delete",
            None,
            &guardian.ward_deletion_request(&enrolled.net_id),
        )
        .await;
    let problem = refused.problem(StatusCode::BAD_REQUEST, "invalid_field");
    assert!(problem.detail.contains("own wallet"), "{}", problem.detail);
    let refused = client
        .post(
            "/v1/holders/consents/withdraw",
            None,
            &guardian.ward_withdrawal_request(&enrolled.net_id, &first.client_id, &["name"]),
        )
        .await;
    let problem = refused.problem(StatusCode::BAD_REQUEST, "invalid_field");
    assert!(problem.detail.contains("own wallet"), "{}", problem.detail);

    // The last day before 18, the guardian still sees the history; on the birthday, not.
    let eve = start_of_day(birthday(birth, 18)).0 - 60;
    let world = world.restart_at(Clock::Fixed(Timestamp(eve))).await;
    guardian.sign_at(eve);
    assert_eq!(world.client.history(&guardian).await.wards.len(), 1);
    let adult = start_of_day(birthday(birth, 18)).0 + 60;
    let world = world.restart_at(Clock::Fixed(Timestamp(adult))).await;
    guardian.sign_at(adult);
    assert!(world.client.history(&guardian).await.wards.is_empty());
}

/// A child born on 29 February turns 14 on 1 March in a common year, in Beijing time: the
/// rules change at that midnight, not at UTC's and not a day early.
#[tokio::test]
async fn a_child_born_on_29_february_turns_14_on_1_march_of_a_common_year() {
    let birth = Date::from_ymd(2012, 2, 29).unwrap();
    // 2026-02-28 12:00 in Beijing.
    let noon_before = start_of_day(Date::from_ymd(2026, 2, 28).unwrap()).0 + 12 * 3600;
    let dir = tempfile::tempdir().unwrap();
    let server = netid_testkit::TestServer::start_with_clock(
        dir.path(),
        Vec::new(),
        Clock::Fixed(Timestamp(noon_before)),
    )
    .await
    .unwrap();
    let client = Client::new(&server);
    let authority = netid_testkit::Authority::generate("leap-authority");
    assert_eq!(
        client.register_authority(&authority).await.status,
        StatusCode::OK
    );
    let guardian_entry = netid_testkit::resident(
        "110107",
        "测试庚",
        Date::from_ymd(1990, 5, 1).unwrap(),
        "P-0007",
        None,
    );
    let mut child_entry = netid_testkit::resident("110108", "测试辛", birth, "P-0008", None);
    child_entry.guardian_person_ref = Some("P-0007".to_owned());
    let roster = authority.sign_issued(
        vec![guardian_entry.clone(), child_entry.clone()],
        "2026-02-28",
    );
    let loaded = client.load_roster(&roster).await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    let platform = client.register_platform("leap-platform").await;
    let (mut guardian, mut child) = (Wallet::generate(), Wallet::generate());
    guardian.sign_at(noon_before);
    child.sign_at(noon_before);
    client
        .enroll_ok(&guardian.enroll_request(&guardian_entry))
        .await;
    let mut request = child.enroll_request(&child_entry);
    request.guardian = Some(guardian.guardian_consent(&request));
    let enrolled = client.enroll_ok(&request).await;
    client
        .approve_platform(&guardian, &enrolled.net_id, &platform.client_id)
        .await;
    let age_over_14 = async |client: &Client, child: &Wallet, nonce: &str| {
        client
            .verify_ok(&platform, child, nonce, &[Predicate::AgeOver14])
            .await
            .age_over_14
    };
    assert_eq!(
        age_over_14(&client, &child, "nonce-leap-0000001").await,
        Some(false)
    );
    let operator = client.operator.clone();
    server.stop().await;

    // A minute before midnight in Beijing (16:00 UTC): still 13.
    let midnight = start_of_day(Date::from_ymd(2026, 3, 1).unwrap()).0;
    for (at, nonce, expected) in [
        (midnight - 60, "nonce-leap-0000002", false),
        (midnight + 60, "nonce-leap-0000003", true),
    ] {
        let server = netid_testkit::TestServer::start_with_clock(
            dir.path(),
            Vec::new(),
            Clock::Fixed(Timestamp(at)),
        )
        .await
        .unwrap();
        let client = Client {
            operator: operator.clone(),
            ..Client::new(&server)
        };
        child.sign_at(at);
        assert_eq!(
            age_over_14(&client, &child, nonce).await,
            Some(expected),
            "{at}"
        );
        server.stop().await;
    }
}

/// Guardianships as the authority's roster lists them (issue 24, Art. 4): a 14–17-year-old
/// who enrolls gets the guardians the roster lists, several of them; a later roster changes a
/// child's guardians or ends a minor's guardianships, each change in the minor's history.
#[tokio::test]
async fn guardianships_follow_the_roster() {
    let world = World::new().await;
    let client = &world.client;
    let today = netid_testkit::today();
    let second_guardian = netid_testkit::resident(
        "110109",
        "测试辛",
        netid_testkit::years_ago(40, today),
        "P-0008",
        Some("CODE-I-2026"),
    );
    let mut teen = world.people.teen.clone();
    teen.guardian_person_refs = vec!["P-0002".to_owned(), "P-0008".to_owned()];
    let load = async |teen: &netid_proto::RosterEntry, child: &netid_proto::RosterEntry| {
        let mut roster: Vec<_> = world
            .people
            .all()
            .into_iter()
            .filter(|entry| {
                entry.person_ref != teen.person_ref && entry.person_ref != child.person_ref
            })
            .collect();
        roster.extend([second_guardian.clone(), teen.clone(), child.clone()]);
        let loaded = client.load_roster(&world.authority.sign(roster)).await;
        assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    };
    load(&teen, &world.people.child).await;
    let (first, child, _) = world.enroll_child().await;
    let second = Wallet::generate();
    client
        .enroll_ok(&second.enroll_request(&second_guardian))
        .await;
    // The teen enrolls alone; both guardians the roster lists are on record.
    let teen_wallet = Wallet::generate();
    client.enroll_ok(&teen_wallet.enroll_request(&teen)).await;
    let wards = async |guardian: &Wallet| -> Vec<String> {
        let mut ids: Vec<String> = client
            .history(guardian)
            .await
            .wards
            .into_iter()
            .map(|ward| ward.log_key)
            .collect();
        ids.sort();
        ids
    };
    let teen_key = client.history(&teen_wallet).await.log_key;
    let child_key = client.history(&child).await.log_key;
    let mut both = vec![teen_key.clone(), child_key.clone()];
    both.sort();
    assert_eq!(wards(&first).await, both);
    assert_eq!(wards(&second).await, vec![teen_key.clone()]);

    // The roster moves the child to the second guardian, and ends the teen's guardianships.
    let mut moved = world.people.child.clone();
    moved.guardian_person_ref = None;
    moved.guardian_person_refs = vec!["P-0008".to_owned()];
    let mut alone = teen.clone();
    alone.guardian_person_refs = Vec::new();
    load(&alone, &moved).await;
    assert!(wards(&first).await.is_empty());
    assert_eq!(wards(&second).await, vec![child_key]);
    for wallet in [&child, &teen_wallet] {
        let kinds = client.log_kinds(wallet).await;
        assert!(
            kinds.contains(&netid_log::EntryKind::GuardianshipChanged),
            "{kinds:?}"
        );
    }
    // A roster that changes nothing adds no entry.
    let changes = async |wallet: &Wallet| {
        client
            .log_kinds(wallet)
            .await
            .into_iter()
            .filter(|kind| *kind == netid_log::EntryKind::GuardianshipChanged)
            .count()
    };
    let before = changes(&child).await;
    load(&alone, &moved).await;
    assert_eq!(changes(&child).await, before);
}
