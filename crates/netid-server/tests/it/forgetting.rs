//! A centre that forgets (issue 24): a verification stays linked to its holder for the
//! stated retention, then no one at the centre can tell whose it was; the public entry stays.

use std::sync::atomic::{AtomicI64, Ordering};

use netid_crypto::{MacKey, Suite};
use netid_log::{Entry, EntryKind};
use netid_proto::{HolderLogEntry, OperatorReadRequest, OperatorRole};
use netid_testkit::Wallet;
use reqwest::StatusCode;

use crate::client::World;

fn key_of(hex_key: &str) -> MacKey {
    MacKey::from_bytes(&hex::decode(hex_key).unwrap()).unwrap()
}

fn of_kind(entries: &[HolderLogEntry], kind: EntryKind) -> Option<&HolderLogEntry> {
    entries
        .iter()
        .find(|entry| Entry::from_leaf(entry.leaf.as_bytes()).unwrap().kind == kind)
}

/// The lawful read of the holder known to `client_id` as `subject` (asked only: a holder
/// the centre cannot find is refused before a second officer sees it).
fn read_by_pseudonym(client_id: &str, subject: &str) -> OperatorReadRequest {
    OperatorReadRequest {
        net_id: None,
        platform_subject: Some(netid_proto::PlatformSubject {
            client_id: client_id.to_owned(),
            subject: subject.to_owned(),
        }),
        certificate_serial: None,
        history: None,
        fields: vec!["name".to_owned()],
        basis_kind: netid_proto::LegalBasisKind::CriminalInvestigation,
        legal_basis: "Synthetic Public Security Act, art. 99 (test)".to_owned(),
        reference: "TEST-CASE-0024".to_owned(),
        defer_notice: None,
    }
}

#[tokio::test]
async fn a_verification_is_forgotten_after_the_retention_and_its_entry_stays_public() {
    static AHEAD: AtomicI64 = AtomicI64::new(0);
    let world = World::with_clock(netid_server::Clock::Ahead(&AHEAD)).await;
    let client = &world.client;
    let mut wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let platform = client.register_platform("forgetting-platform").await;
    let verified = client
        .verify_ok(&platform, &wallet, "nonce-forgetting-0001", &[])
        .await;

    // Kept: the holder is told until when, and the entry's tag is not made with their log key
    // (which the centre keeps) but with the use's key, which the centre will destroy.
    let history = client.history(&wallet).await;
    assert_eq!(history.use_link_retention_days, 180);
    let today = netid_server::clock::date_of(client.clock.now()).unwrap();
    let last_day =
        netid_core::Date::from_days_since_unix_epoch(today.days_since_unix_epoch() + 181).unwrap();
    let end = netid_server::clock::start_of_day(last_day).0;
    let used = of_kind(&history.entries, EntryKind::Verification).unwrap();
    assert_eq!(used.kept_until, Some(end));
    let leaf = Entry::from_leaf(used.leaf.as_bytes()).unwrap();
    assert!(!leaf.is_about(&Suite::gm(), &key_of(&history.log_key)));
    let use_key = key_of(used.tag_key.as_deref().unwrap());
    assert!(leaf.is_about(&Suite::gm(), &use_key));
    let enrollment = of_kind(&history.entries, EntryKind::Enrollment).unwrap();
    assert_eq!((enrollment.kept_until, &enrollment.tag_key), (None, &None));
    let dpo = OperatorRole::DataProtectionOfficer;
    let ask = |request: OperatorReadRequest| async move {
        client
            .post(
                "/v1/operator/holders/read",
                Some(&client.as_operator(dpo, 0)),
                &request,
            )
            .await
    };
    let asked = ask(read_by_pseudonym(&platform.client_id, &verified.subject)).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);

    // The last day kept, it is still the holder's.
    AHEAD.store(
        end - client.clock.now().0 + AHEAD.load(Ordering::SeqCst) - 60,
        Ordering::SeqCst,
    );
    wallet.sign_at(client.clock.now().0);
    let history = client.history(&wallet).await;
    assert!(of_kind(&history.entries, EntryKind::Verification).is_some());

    // From the next day's start it is no one's: not in the holder's history, not found from
    // the platform's pseudonym once the service has forgotten it (at its start, and every
    // minute), while the entry stays in the public log.
    AHEAD.fetch_add(120, Ordering::SeqCst);
    let world = world.restart_at(netid_server::Clock::Ahead(&AHEAD)).await;
    let client = &world.client;
    wallet.sign_at(client.clock.now().0);
    let history = client.history(&wallet).await;
    assert!(of_kind(&history.entries, EntryKind::Verification).is_none());
    assert!(of_kind(&history.entries, EntryKind::Enrollment).is_some());
    let mut refused = None;
    for _ in 0..50 {
        let asked = client
            .post(
                "/v1/operator/holders/read",
                Some(&client.as_operator(dpo, 0)),
                &read_by_pseudonym(&platform.client_id, &verified.subject),
            )
            .await;
        if asked.status == StatusCode::NOT_FOUND {
            refused = Some(asked);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    refused
        .expect("the pseudonym still leads to the holder")
        .problem(StatusCode::NOT_FOUND, "unknown_holder");
    let leaves = crate::transparency::all_entries(client, used.index + 1).await;
    assert_eq!(
        leaves[usize::try_from(used.index).unwrap()],
        used.leaf.as_bytes()
    );
    // Only a holder who kept the use's key can still tell it was theirs.
    assert!(
        Entry::from_leaf(&leaves[usize::try_from(used.index).unwrap()])
            .unwrap()
            .is_about(&Suite::gm(), &use_key)
    );
}
