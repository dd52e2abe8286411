//! The operator's one audited read of personal data (design invariant 8) and the deferred
//! notice of Measures Art. 11, through the HTTP API.

use netid_crypto::{MacKey, Suite};
use netid_log::{Entry, EntryKind};
use netid_proto::{DeferralCounts, NoticeDeferral, OperatorReadRequest, OperatorReadResponse};
use netid_server::Clock;
use netid_store::Timestamp;
use netid_testkit::Wallet;
use reqwest::StatusCode;

use crate::client::{Client, World};
use crate::transparency::{all_entries, checkpoint, kinds, verifier};

const READ: &str = "/v1/operator/holders/read";

fn read_request(net_id: &str, fields: &[&str]) -> OperatorReadRequest {
    OperatorReadRequest {
        net_id: Some(net_id.to_owned()),
        platform_subject: None,
        certificate_serial: None,
        history: None,
        fields: fields.iter().map(|field| (*field).to_owned()).collect(),
        basis_kind: netid_proto::LegalBasisKind::CriminalInvestigation,
        legal_basis: "Synthetic Public Security Act, art. 99 (test)".to_owned(),
        reference: "TEST-CASE-0001".to_owned(),
        defer_notice: None,
    }
}

async fn counts(client: &Client) -> DeferralCounts {
    client.get("/v1/transparency/deferrals").await.json()
}

/// The public log's entries, sequenced.
async fn public_entries(client: &Client) -> Vec<Vec<u8>> {
    let signed = verifier(client)
        .await
        .verify(&checkpoint(client).await)
        .unwrap();
    all_entries(client, signed.size).await
}

fn key_of(hex_key: &str) -> MacKey {
    MacKey::from_bytes(&hex::decode(hex_key).unwrap()).unwrap()
}

#[tokio::test]
async fn an_operator_read_is_in_the_holders_history_with_its_legal_basis() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    let enrolled = client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let answer = client
        .post(
            READ,
            Some(&client.bearer()),
            &read_request(&enrolled.net_id, &["name", "document_number"]),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let read: OperatorReadResponse = answer.json();
    assert_eq!(read.claims["name"], world.people.adult.name);
    assert_eq!(
        read.claims["document_number"],
        world.people.adult.document_number
    );
    assert_eq!(read.claims.len(), 2);
    assert_eq!(read.holder_notified_from, "now");

    let history = client.history(&wallet).await;
    let entry = history
        .entries
        .iter()
        .find(|entry| entry.index == read.log_index)
        .expect("the read is in the holder's history");
    let leaf = Entry::from_leaf(entry.leaf.as_bytes()).unwrap();
    assert_eq!(leaf.kind, EntryKind::OperatorRead);
    assert!(leaf.is_about(&Suite::gm(), &key_of(&history.log_key)));
    assert_eq!(entry.tag_key, None);
    let [notice] = history.operator_reads.as_slice() else {
        panic!("one read: {:?}", history.operator_reads);
    };
    assert_eq!(notice.log_index, read.log_index);
    assert_eq!(notice.fields, ["name", "document_number"]);
    assert_eq!(
        notice.legal_basis,
        "Synthetic Public Security Act, art. 99 (test)"
    );
    assert_eq!(notice.reference, "TEST-CASE-0001");
    assert_eq!(notice.deferred, None);

    let public = kinds(&public_entries(client).await);
    assert_eq!(
        public.get(usize::try_from(read.log_index).unwrap()),
        Some(&EntryKind::OperatorRead)
    );
    assert!(!public.contains(&EntryKind::NoticeDeferred));
    assert_eq!(
        counts(client).await,
        DeferralCounts {
            operator_reads: 1,
            deferred: 0,
            deferred_now: 0,
            by_basis: [("criminal_investigation".to_owned(), 1)].into(),
        }
    );
}

#[tokio::test]
async fn a_deferred_notice_hides_the_read_from_the_holder_until_the_day_after_its_end() {
    let start = netid_testkit::now();
    let world = World::with_clock(Clock::Fixed(Timestamp(start))).await;
    let mut wallet = Wallet::generate();
    wallet.sign_at(start);
    let enrolled = world
        .client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let today = netid_server::clock::date_of(Timestamp(start)).unwrap();
    let last_day =
        netid_core::Date::from_days_since_unix_epoch(today.days_since_unix_epoch() + 2).unwrap();
    let mut request = read_request(&enrolled.net_id, &["birth_date"]);
    request.defer_notice = Some(NoticeDeferral {
        ground: "confidentiality".to_owned(),
        legal_basis: "Synthetic Confidentiality Act, art. 7 (test)".to_owned(),
        until: last_day.to_string(),
    });
    let client = &world.client;
    let answer = client.post(READ, Some(&client.bearer()), &request).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let read: OperatorReadResponse = answer.json();
    assert_eq!(read.claims["birth_date"], world.people.adult.birth_date);
    let first_told =
        netid_core::Date::from_days_since_unix_epoch(last_day.days_since_unix_epoch() + 1).unwrap();
    assert_eq!(read.holder_notified_from, first_told.to_string());

    // While it runs: not in the holder's history, not recognisable by the holder's key in the
    // public log, and counted publicly.
    let during = client.history(&wallet).await;
    assert!(
        during
            .entries
            .iter()
            .all(|entry| entry.index != read.log_index)
    );
    assert!(during.operator_reads.is_empty());
    let leaves = public_entries(client).await;
    let holder_key = key_of(&during.log_key);
    let read_leaf = Entry::from_leaf(&leaves[usize::try_from(read.log_index).unwrap()]).unwrap();
    assert_eq!(read_leaf.kind, EntryKind::OperatorRead);
    assert!(!read_leaf.is_about(&Suite::gm(), &holder_key));
    let deferral_leaf =
        Entry::from_leaf(&leaves[usize::try_from(read.log_index).unwrap() + 1]).unwrap();
    assert_eq!(deferral_leaf.kind, EntryKind::NoticeDeferred);
    assert_eq!(deferral_leaf.holder_tag, None);
    assert_eq!(
        counts(client).await,
        DeferralCounts {
            operator_reads: 1,
            deferred: 1,
            deferred_now: 1,
            by_basis: [("criminal_investigation".to_owned(), 1)].into(),
        }
    );

    // On the deferral's last day, still hidden; from the next day on, told, with the key that
    // shows the entry is theirs.
    let end = netid_server::clock::start_of_day(first_told).0;
    let world = world.restart_at(Clock::Fixed(Timestamp(end - 60))).await;
    wallet.sign_at(end - 60);
    let still = world.client.history(&wallet).await;
    assert!(still.operator_reads.is_empty());
    assert!(
        still
            .entries
            .iter()
            .all(|entry| entry.index != read.log_index)
    );
    let world = world.restart_at(Clock::Fixed(Timestamp(end + 60))).await;
    wallet.sign_at(end + 60);
    let after = world.client.history(&wallet).await;
    let entry = after
        .entries
        .iter()
        .find(|entry| entry.index == read.log_index)
        .expect("the read is in the history once the deferral ended");
    let tag_key = key_of(entry.tag_key.as_deref().expect("the one-off tag key"));
    let leaf = Entry::from_leaf(entry.leaf.as_bytes()).unwrap();
    assert!(leaf.is_about(&Suite::gm(), &tag_key));
    let [notice] = after.operator_reads.as_slice() else {
        panic!("one read: {:?}", after.operator_reads);
    };
    assert_eq!(notice.fields, ["birth_date"]);
    assert_eq!(
        notice.deferred,
        Some(NoticeDeferral {
            ground: "confidentiality".to_owned(),
            legal_basis: "Synthetic Confidentiality Act, art. 7 (test)".to_owned(),
            until: last_day.to_string(),
        })
    );
    assert_eq!(
        counts(&world.client).await,
        DeferralCounts {
            operator_reads: 1,
            deferred: 1,
            deferred_now: 0,
            by_basis: [("criminal_investigation".to_owned(), 1)].into(),
        }
    );
}

#[tokio::test]
async fn bad_operator_reads_are_refused_and_change_nothing() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    let enrolled = client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let size_before = public_entries(client).await.len();
    let bearer = client.bearer();

    let answer = client
        .post(READ, None, &read_request(&enrolled.net_id, &["name"]))
        .await;
    answer.problem(StatusCode::UNAUTHORIZED, "unauthenticated");

    // Another holder's well-formed Net ID that nobody holds.
    let stranger = Wallet::generate();
    let other = client
        .enroll_ok(&stranger.enroll_request(&world.people.guardian))
        .await;
    let deleted = client
        .post("/v1/holders/delete", None, &stranger.deletion_request())
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    let size_before = size_before + 2;
    let answer = client
        .post(READ, Some(&bearer), &read_request(&other.net_id, &["name"]))
        .await;
    let problem = answer.problem(StatusCode::NOT_FOUND, "unknown_holder");
    assert!(!problem.detail.contains(&other.net_id));

    let mut cases = vec![
        (read_request("NOT-A-NET-ID", &["name"]), "net id"),
        (read_request(&enrolled.net_id, &["shoe_size"]), "field"),
        (read_request(&enrolled.net_id, &[]), "no field"),
    ];
    let mut no_basis = read_request(&enrolled.net_id, &["name"]);
    no_basis.legal_basis = "  ".to_owned();
    cases.push((no_basis, "blank legal basis"));
    for (ground, until) in [("convenience", "2999-01-01"), ("emergency", "2000-01-01")] {
        let mut request = read_request(&enrolled.net_id, &["name"]);
        request.defer_notice = Some(NoticeDeferral {
            ground: ground.to_owned(),
            legal_basis: "Synthetic Act".to_owned(),
            until: until.to_owned(),
        });
        cases.push((request, "deferral"));
    }
    for (request, case) in cases {
        let answer = client.post(READ, Some(&bearer), &request).await;
        let problem = answer.problem(StatusCode::BAD_REQUEST, "invalid_field");
        assert!(!problem.detail.contains(&enrolled.net_id), "{case}");
    }
    let unknown_member = client
        .post_raw(
            READ,
            Some(&bearer),
            br#"{"net_id":"x","fields":["name"],"legal_basis":"a","reference":"b","why":"c"}"#
                .to_vec(),
        )
        .await;
    assert!(unknown_member.status.is_client_error());

    assert_eq!(public_entries(client).await.len(), size_before);
    assert_eq!(counts(client).await.operator_reads, 0);
    assert!(client.history(&wallet).await.operator_reads.is_empty());
}
