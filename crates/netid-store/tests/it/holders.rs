//! Service keys, holders, enrollment codes, rosters and wallet requests, on both backends.

use super::*;

pub(crate) async fn service_key_names_are_unique(store: &dyn Store) {
    assert!(!store.has_service_keys().await.unwrap());
    store.insert_service_key("k", vec![1], T0).await.unwrap();
    let error = store
        .insert_service_key("k", vec![2], T0)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        Error::AlreadyExists {
            what: Conflict::ServiceKey
        }
    ));
    assert_eq!(store.service_key("k").await.unwrap(), Some(vec![1]));
    assert_eq!(store.service_key("missing").await.unwrap(), None);
}

pub(crate) async fn holders_are_found_by_person_and_by_current_wallet_key(store: &dyn Store) {
    let id = store
        .enroll_holder(new_holder(1), Some(index(0xc1)), vec![], leaf(), T0)
        .await
        .unwrap();
    let by_person = store.holder_by_person(&index(1)).await.unwrap().unwrap();
    assert_eq!(by_person.id, id);
    assert_eq!(by_person.net_id, net_id(1));
    assert_eq!(by_person.sealed_personal, vec![1; 100]);
    let by_key = store.holder_by_wallet_key(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(by_key.id, id);
    assert_eq!(store.holder_by_person(&index(2)).await.unwrap(), None);
}

pub(crate) async fn net_id_collision_person_and_wallet_key_conflicts_store_nothing(
    store: &dyn Store,
) {
    store
        .enroll_holder(new_holder(1), None, vec![], leaf(), T0)
        .await
        .unwrap();

    let mut same_net_id = new_holder(2);
    same_net_id.net_id = net_id(1);
    let error = store
        .enroll_holder(same_net_id, Some(index(0xc2)), vec![], leaf(), T0)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        Error::AlreadyExists {
            what: Conflict::NetId
        }
    ));

    let mut same_person = new_holder(3);
    same_person.person_index = index(1);
    let error = store
        .enroll_holder(same_person, None, vec![], leaf(), T0)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        Error::AlreadyExists {
            what: Conflict::Person
        }
    ));

    let mut same_key = new_holder(4);
    same_key.wallet_key = wallet_key(1);
    let error = store
        .enroll_holder(same_key, None, vec![], leaf(), T0)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        Error::AlreadyExists {
            what: Conflict::WalletKey
        }
    ));

    assert_eq!(store.holder_count().await.unwrap(), 1);
    // The code of the failed enrollment was rolled back: another person can still use it.
    store
        .enroll_holder(new_holder(5), Some(index(0xc2)), vec![], leaf(), T0)
        .await
        .unwrap();
}

pub(crate) async fn enrollment_code_used_by_another_person_is_refused_and_nothing_is_stored(
    store: &dyn Store,
) {
    let first = store
        .enroll_holder(new_holder(1), Some(index(0xcc)), vec![], leaf(), T0)
        .await
        .unwrap();
    let error = store
        .enroll_holder(new_holder(2), Some(index(0xcc)), vec![], leaf(), T0)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::EnrollmentCodeClaimed));
    assert_eq!(store.holder_count().await.unwrap(), 1);
    // Codes are one-time, even for the same person: a used code recovers nobody.
    let error = store
        .replace_wallet_key(
            Recovery {
                holder: first,
                new_key: wallet_key(9),
                code_index: Some(index(0xcc)),
                guardians: vec![],
                log_entry: leaf(),
                revocations: vec![],
                notice_version: None,
                signals: Vec::new(),
            },
            T0,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::EnrollmentCodeClaimed));
    assert!(store.retired_wallet_keys(first).await.unwrap().is_empty());
}

/// The notice a holder accepted is recorded with their enrollment, with a recovery that
/// accepts one, and by an acceptance; never for a holder who is gone.
pub(crate) async fn the_accepted_notice_is_recorded_with_each_acceptance(store: &dyn Store) {
    let id = store
        .enroll_holder(new_holder(1), None, vec![], leaf(), T0)
        .await
        .unwrap();
    let accepted = || async { store.holder(id).await.unwrap().unwrap().notice_version };
    assert_eq!(accepted().await.as_deref(), Some("notice-v1"));
    store
        .accept_notice(id, "notice-v2".to_owned(), T0)
        .await
        .unwrap();
    assert_eq!(accepted().await.as_deref(), Some("notice-v2"));
    let recovery = |notice_version: Option<&str>| Recovery {
        holder: id,
        new_key: wallet_key(1),
        code_index: None,
        guardians: vec![],
        log_entry: leaf(),
        revocations: vec![],
        notice_version: notice_version.map(str::to_owned),
        signals: Vec::new(),
    };
    store
        .replace_wallet_key(recovery(Some("notice-v3")), T0)
        .await
        .unwrap();
    assert_eq!(accepted().await.as_deref(), Some("notice-v3"));
    store.replace_wallet_key(recovery(None), T0).await.unwrap();
    assert_eq!(accepted().await.as_deref(), Some("notice-v3"));
    let error = store
        .accept_notice(netid_store::HolderId(99), "notice-v2".to_owned(), T0)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
}

/// A roster load replaces the records of the holders it updates, with an entry of each, in
/// its transaction; a holder who is gone is not updated.
pub(crate) async fn a_roster_load_updates_the_records_of_enrolled_holders(store: &dyn Store) {
    store
        .upsert_authority(
            AuthorityRow {
                name: "test-authority".to_owned(),
                suite: netid_crypto::SuiteId::Gm,
                public_key_spki: vec![4; 91],
                registered_at: T0,
            },
            leaf(),
        )
        .await
        .unwrap();
    let id = store
        .enroll_holder(new_holder(1), None, vec![], leaf(), T0)
        .await
        .unwrap();
    let update = |holder, sealed: u8| netid_store::RecordUpdate {
        holder,
        sealed_personal: vec![sealed; 100],
        log_entry: b"{\"n\":\"updated\"}".to_vec(),
    };
    store
        .replace_roster(
            roster_load(
                "test-authority",
                "2026-11-01",
                vec![],
                vec![update(id, 7), update(netid_store::HolderId(99), 8)],
            ),
            T0,
        )
        .await
        .unwrap();
    let holder = store.holder(id).await.unwrap().unwrap();
    assert_eq!(holder.sealed_personal, vec![7; 100]);
    assert_eq!(store.holder_log_indexes(id).await.unwrap().len(), 2);
    // The registration's, the enrollment's, the roster's and the one holder's update: none
    // for a holder who is not there.
    assert_eq!(store.log_size().await.unwrap(), 4);
}

/// A roster load of `records` by `authority`, dated `issued_at`, with `updates`.
fn roster_load(
    authority: &str,
    issued_at: &str,
    records: Vec<RosterRow>,
    updates: Vec<netid_store::RecordUpdate>,
) -> netid_store::RosterLoad {
    netid_store::RosterLoad {
        authority: authority.to_owned(),
        issued_at: issued_at.to_owned(),
        records,
        updates,
        guardianships: Vec::new(),
        log_entry: leaf(),
    }
}

pub(crate) async fn replacing_a_wallet_key_retires_the_old_one(store: &dyn Store) {
    let id = store
        .enroll_holder(new_holder(1), None, vec![], leaf(), T0)
        .await
        .unwrap();
    store
        .replace_wallet_key(
            Recovery {
                holder: id,
                new_key: wallet_key(2),
                code_index: None,
                guardians: vec![],
                log_entry: leaf(),
                revocations: vec![],
                notice_version: None,
                signals: Vec::new(),
            },
            Timestamp(T0.0 + 1),
        )
        .await
        .unwrap();
    assert_eq!(store.holder_by_wallet_key(&[1; 32]).await.unwrap(), None);
    let holder = store.holder_by_wallet_key(&[2; 32]).await.unwrap().unwrap();
    assert_eq!(holder.id, id);
    assert_eq!(holder.net_id, net_id(1));
    assert_eq!(
        store.retired_wallet_keys(id).await.unwrap(),
        vec![wallet_key(1)]
    );
    let error = store
        .replace_wallet_key(
            Recovery {
                holder: HolderId(999),
                new_key: wallet_key(3),
                code_index: None,
                guardians: vec![],
                log_entry: leaf(),
                revocations: vec![],
                notice_version: None,
                signals: Vec::new(),
            },
            T0,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotFound { what: "holder" }));
}

pub(crate) async fn guardianship_is_recorded_with_the_enrollment(store: &dyn Store) {
    let guardian = store
        .enroll_holder(new_holder(1), None, vec![], leaf(), T0)
        .await
        .unwrap();
    let minor = store
        .enroll_holder(new_holder(2), None, vec![guardian], leaf(), T0)
        .await
        .unwrap();
    assert_eq!(store.guardians_of(minor).await.unwrap(), vec![guardian]);
    assert_eq!(store.guardians_of(guardian).await.unwrap(), vec![]);
}

pub(crate) async fn roster_load_replaces_the_authority_roster_and_needs_a_known_authority(
    store: &dyn Store,
) {
    let row = |byte| RosterRow {
        document_index: index(byte),
        person_index: index(byte + 100),
        sealed: vec![byte; 10],
        code_failures: None,
    };
    let error = store
        .replace_roster(
            roster_load("test-authority", "2026-11-01", vec![row(1)], vec![]),
            T0,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotFound { what: "authority" }));
    assert_eq!(store.roster_record(&index(1)).await.unwrap(), None);

    let authority = AuthorityRow {
        name: "test-authority".to_owned(),
        suite: netid_crypto::SuiteId::Gm,
        public_key_spki: vec![4; 91],
        registered_at: T0,
    };
    store
        .upsert_authority(authority.clone(), leaf())
        .await
        .unwrap();
    assert_eq!(
        store.authority("test-authority").await.unwrap(),
        Some(authority)
    );
    store
        .replace_roster(
            roster_load("test-authority", "2026-11-01", vec![row(1), row(2)], vec![]),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(store.roster_record(&index(2)).await.unwrap(), Some(row(2)));
    store
        .replace_roster(
            roster_load("test-authority", "2026-11-02", vec![row(3)], vec![]),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(store.roster_record(&index(1)).await.unwrap(), None);
    assert_eq!(store.roster_record(&index(3)).await.unwrap(), Some(row(3)));

    // An older roster cannot be replayed over the newer one, and changes nothing.
    let error = store
        .replace_roster(
            roster_load("test-authority", "2026-10-31", vec![row(1)], vec![]),
            T0,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::StaleRoster), "{error:?}");
    assert_eq!(store.roster_record(&index(1)).await.unwrap(), None);
    assert_eq!(store.roster_record(&index(3)).await.unwrap(), Some(row(3)));
}

/// Wrong codes are counted against a record's current code, kept when the roster is loaded
/// again, and counted afresh for a new code; a document on no roster counts nothing.
pub(crate) async fn wrong_codes_are_counted_per_record_and_code_across_roster_loads(
    store: &dyn Store,
) {
    let row = |byte| RosterRow {
        document_index: index(byte),
        person_index: index(byte + 100),
        sealed: vec![byte; 10],
        code_failures: None,
    };
    let authority = AuthorityRow {
        name: "code-authority".to_owned(),
        suite: netid_crypto::SuiteId::Gm,
        public_key_spki: vec![4; 91],
        registered_at: T0,
    };
    store.upsert_authority(authority, leaf()).await.unwrap();
    store
        .replace_roster(
            roster_load("code-authority", "2026-11-01", vec![row(1)], vec![]),
            T0,
        )
        .await
        .unwrap();
    let (code, new_code) = (index(50), index(51));
    for expected in 1..=3 {
        assert_eq!(
            store
                .count_code_failure(index(1), code.clone())
                .await
                .unwrap(),
            expected
        );
    }
    assert_eq!(
        store
            .roster_record(&index(1))
            .await
            .unwrap()
            .unwrap()
            .code_failures,
        Some((code.clone(), 3))
    );
    // Not listed: nothing counted, nothing stored.
    assert_eq!(
        store
            .count_code_failure(index(9), code.clone())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .count_code_failure(index(9), code.clone())
            .await
            .unwrap(),
        0
    );
    // Loading the roster again keeps the count.
    store
        .replace_roster(
            roster_load("code-authority", "2026-11-02", vec![row(1)], vec![]),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .roster_record(&index(1))
            .await
            .unwrap()
            .unwrap()
            .code_failures,
        Some((code.clone(), 3))
    );
    // A new code starts from one.
    assert_eq!(
        store
            .count_code_failure(index(1), new_code.clone())
            .await
            .unwrap(),
        1
    );
}

/// A wallet-signed request is used once: a second use is a nonce conflict until it expires.
pub(crate) async fn wallet_requests_cannot_be_used_twice_until_they_expire(store: &dyn Store) {
    let expires = Timestamp(T0.0 + 600);
    store
        .use_wallet_request(index(1), expires, T0)
        .await
        .unwrap();
    assert!(matches!(
        store
            .use_wallet_request(index(1), expires, Timestamp(T0.0 + 599))
            .await
            .unwrap_err(),
        Error::AlreadyExists {
            what: Conflict::Nonce
        }
    ));
    store
        .use_wallet_request(index(2), expires, T0)
        .await
        .unwrap();
    // Past its expiry the index may be used again.
    store
        .use_wallet_request(index(1), Timestamp(T0.0 + 1200), Timestamp(T0.0 + 601))
        .await
        .unwrap();
    // The purge forgets what expired (index 2) and keeps what is in use (index 1, to its end).
    let end = Timestamp(T0.0 + 1200);
    assert_eq!(store.purge_used_values(end).await.unwrap(), 1);
    assert!(matches!(
        store
            .use_wallet_request(index(1), end, end)
            .await
            .unwrap_err(),
        Error::AlreadyExists {
            what: Conflict::Nonce
        }
    ));
    assert_eq!(store.purge_used_values(end).await.unwrap(), 0);
}

/// An interrupted or failed first run stores nothing: the next start simply runs it again.
pub(crate) async fn first_run_initialisation_is_all_or_nothing(store: &dyn Store) {
    // A repeated key name fails the transaction half-way: nothing may remain.
    let error = store
        .initialise(
            vec![("a".to_owned(), vec![1]), ("a".to_owned(), vec![2])],
            T0,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::AlreadyExists { .. }), "{error:?}");
    assert!(!store.has_service_keys().await.unwrap());

    store
        .initialise(
            vec![("a".to_owned(), vec![1]), ("b".to_owned(), vec![2])],
            T0,
        )
        .await
        .unwrap();
    assert_eq!(store.service_key("b").await.unwrap(), Some(vec![2]));
}

pub(crate) async fn a_lock_is_set_once_by_the_current_key_and_revokes_net_certificates(
    store: &dyn Store,
) {
    let id = store
        .enroll_holder(new_holder(0x61), None, vec![], leaf(), T0)
        .await
        .unwrap();
    store
        .issue_credentials(
            NewCredentials {
                holder: id,
                wallet_key: vec![0x61; 32],
                credentials: vec![super::credential("gm", 61, T0.0 + 1000)],
                log_entry: leaf(),
            },
            10,
            T0,
            T0,
        )
        .await
        .unwrap();
    let logged = || async { store.holder_log_indexes(id).await.unwrap().len() };
    let before = logged().await;
    // Only the current wallet key locks; the lock is the holder row's, and logged once.
    assert!(matches!(
        store
            .set_holder_lock(id, vec![0x62; 32], true, leaf(), Vec::new(), T0)
            .await,
        Err(Error::NotFound { .. })
    ));
    let locked = store
        .set_holder_lock(
            id,
            vec![0x61; 32],
            true,
            leaf(),
            Vec::new(),
            Timestamp(T0.0 + 5),
        )
        .await
        .unwrap();
    assert!(locked);
    let holder = store
        .holder_by_wallet_key(&[0x61; 32])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(holder.locked_at, Some(Timestamp(T0.0 + 5)));
    assert!(
        !store
            .set_holder_lock(id, vec![0x61; 32], true, leaf(), Vec::new(), T0)
            .await
            .unwrap()
    );
    assert_eq!(logged().await, before + 1);
    // Its Net Certificates are revoked with the lock, and stay so after the unlock.
    assert_eq!(
        store
            .revoked_credentials(netid_crypto::SuiteId::Gm, T0)
            .await
            .unwrap(),
        vec![61]
    );
    assert!(
        store
            .set_holder_lock(id, vec![0x61; 32], false, leaf(), Vec::new(), T0)
            .await
            .unwrap()
    );
    let holder = store
        .holder_by_wallet_key(&[0x61; 32])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(holder.locked_at, None);
    assert_eq!(logged().await, before + 2);
}
