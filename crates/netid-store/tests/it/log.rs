//! The transparency log's entries and checkpoints, and concurrent writes, on both backends.

use super::*;

/// Each act appends its entry in its own transaction: a refused act leaves no entry, indexes
/// have no gaps, and a holder's entries are found by holder.
pub(crate) async fn log_entries_are_appended_with_their_acts_and_only_with_them(store: &dyn Store) {
    assert_eq!(store.log_size().await.unwrap(), 0);
    let entry = |n: u8| format!("{{\"n\":{n}}}").into_bytes();
    let first = store
        .enroll_holder(new_holder(1), Some(index(0xc1)), vec![], entry(0), T0)
        .await
        .unwrap();
    // Refused: the code is used. Its entry must not appear.
    store
        .enroll_holder(new_holder(2), Some(index(0xc1)), vec![], entry(99), T0)
        .await
        .unwrap_err();
    let second = store
        .enroll_holder(new_holder(3), None, vec![], entry(1), T0)
        .await
        .unwrap();
    store
        .replace_wallet_key(
            Recovery {
                holder: first,
                new_key: wallet_key(9),
                code_index: None,
                guardians: vec![],
                log_entry: entry(2),
                revocations: vec![],
                notice_version: None,
                signals: Vec::new(),
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(store.log_size().await.unwrap(), 3);
    assert_eq!(
        store.log_entries(0, 10).await.unwrap(),
        vec![entry(0), entry(1), entry(2)]
    );
    assert_eq!(store.log_entries(1, 2).await.unwrap(), vec![entry(1)]);
    assert_eq!(store.holder_log_indexes(first).await.unwrap(), vec![0, 2]);
    assert_eq!(store.holder_log_indexes(second).await.unwrap(), vec![1]);
}

/// A use's entries stay linked to their holder until their link ends: then the store no
/// longer answers them as the holder's, and forgetting drops the link and destroys the day
/// key their tags were made with, while the entries stay in the log (issue 24).
pub(crate) async fn uses_are_forgotten_when_their_link_ends(store: &dyn Store) {
    let end = Timestamp(T0.0 + 100);
    let holder = store
        .enroll_holder(new_holder(1), None, vec![], b"{\"n\":0}".to_vec(), T0)
        .await
        .unwrap();
    let platform = PlatformRow {
        client_id: "p-1".to_owned(),
        credential_hash: vec![9; 32],
        sector: "sector-1".to_owned(),
        name: "example".to_owned(),
        registered_at: T0,
        status: PlatformStatus::Active,
        status_since: None,
        status_reason: None,
        commitments_at: None,
    };
    store
        .insert_platform(platform, b"{\"n\":1}".to_vec())
        .await
        .unwrap();
    // One day key for every use whose link ends at `end`: the first stored wins.
    assert_eq!(
        store.use_link_key(end, vec![1; 48]).await.unwrap(),
        vec![1; 48]
    );
    assert_eq!(
        store.use_link_key(end, vec![2; 48]).await.unwrap(),
        vec![1; 48]
    );
    let verification = NewVerification {
        client_id: "p-1".to_owned(),
        nonce_index: index(5),
        expires_at: Timestamp(T0.0 + 300),
        holder,
        wallet_key: new_holder(1).wallet_key.fingerprint,
        log_entry: b"{\"n\":2,\"platform\":\"p-1\"}".to_vec(),
        disclosure_entry: b"{\"n\":3}".to_vec(),
        linked_until: end,
        asked: None,
    };
    store.record_verification(verification, T0).await.unwrap();
    assert_eq!(
        store.holder_entries(holder, T0).await.unwrap(),
        vec![(0, None), (2, Some(end))]
    );
    assert_eq!(store.holders_seen_by("p-1").await.unwrap(), vec![holder]);
    // At its end the use is no longer the holder's, even before it is forgotten.
    assert_eq!(
        store.holder_entries(holder, end).await.unwrap(),
        vec![(0, None)]
    );
    assert_eq!(
        store.forget_use_links(Timestamp(end.0 - 1)).await.unwrap(),
        0
    );
    assert_eq!(store.forget_use_links(end).await.unwrap(), 1);
    assert_eq!(store.holder_log_indexes(holder).await.unwrap(), vec![0]);
    assert!(store.use_link_keys(vec![end]).await.unwrap().is_empty());
    assert!(store.all_use_link_keys().await.unwrap().is_empty());
    assert!(store.holders_seen_by("p-1").await.unwrap().is_empty());
    // The public entry stays.
    assert_eq!(
        store.log_entries(2, 3).await.unwrap(),
        vec![b"{\"n\":2,\"platform\":\"p-1\"}".to_vec()]
    );
}

/// Writes sent at once (which SQLite commits together, each in its own savepoint) each get
/// their own answer: a replayed nonce, a holder whose wallet key changed or an enrollment of
/// a person already enrolled is refused and leaves nothing, not even what it wrote before it
/// failed, while the others are stored with one log entry each.
pub(crate) async fn concurrent_writes_each_get_their_own_answer(store: &dyn Store) {
    store
        .insert_platform(
            PlatformRow {
                client_id: "p-1".to_owned(),
                credential_hash: vec![9; 32],
                sector: "sector-1".to_owned(),
                name: "example".to_owned(),
                registered_at: T0,
                status: PlatformStatus::Active,
                status_since: None,
                status_reason: None,
                commitments_at: None,
            },
            leaf(),
        )
        .await
        .unwrap();
    let holder = store
        .enroll_holder(new_holder(1), None, vec![], leaf(), T0)
        .await
        .unwrap();
    let before = store.log_size().await.unwrap();
    let expires = Timestamp(T0.0 + 300);
    // Nonce n % 40 for n in 0..80: each of 40 nonces twice. Every fifth call names a wallet
    // key the holder does not have.
    let calls = (0u8..80).map(|n| {
        let wallet = if n % 5 == 4 { vec![7; 32] } else { vec![1; 32] };
        store.record_verification(
            NewVerification {
                client_id: "p-1".to_owned(),
                nonce_index: index(n % 40),
                expires_at: expires,
                holder,
                wallet_key: wallet,
                log_entry: vec![n],
                disclosure_entry: leaf(),
                linked_until: Timestamp(T0.0 + 86_400),
                asked: None,
            },
            T0,
        )
    });
    let answers = futures_util::future::join_all(calls).await;
    let mut stored = Vec::new();
    for (n, answer) in (0u8..80).zip(answers) {
        match answer {
            Ok(disclosed) => {
                assert!(disclosed.is_empty());
                stored.push(n);
            }
            Err(Error::AlreadyExists {
                what: Conflict::Nonce,
            }) => assert!(n >= 40, "call {n} used its nonce first but was refused"),
            Err(Error::NotFound { .. }) => assert_eq!(n % 5, 4),
            Err(other) => panic!("call {n}: {other}"),
        }
    }
    // Each nonce is stored once, by its first call (the second names the same wallet key).
    let expected: Vec<u8> = (0u8..40).filter(|n| n % 5 != 4).collect();
    assert_eq!(stored, expected);
    let size = store.log_size().await.unwrap();
    let mut leaves = store.log_entries(before, size).await.unwrap();
    leaves.sort();
    assert_eq!(
        leaves,
        stored.iter().map(|n| vec![*n]).collect::<Vec<_>>(),
        "one entry for each stored call, and none for the others"
    );

    // The second enrollment claims code 0xc2 for person 2, then fails on person 2's
    // conflict: its claim must go with it, so person 3 may use the code after.
    let mut again = new_holder(2);
    again.net_id = net_id(0x22);
    again.wallet_key = wallet_key(0x22);
    let (first, second) = tokio::join!(
        store.enroll_holder(new_holder(2), None, vec![], leaf(), T0),
        store.enroll_holder(again, Some(index(0xc2)), vec![], leaf(), T0),
    );
    first.unwrap();
    assert!(matches!(
        second.unwrap_err(),
        Error::AlreadyExists {
            what: Conflict::Person
        }
    ));
    store
        .enroll_holder(new_holder(3), Some(index(0xc2)), vec![], leaf(), T0)
        .await
        .unwrap();
}

pub(crate) async fn integrations_move_the_log_head_only_from_where_it_was(store: &dyn Store) {
    let head = store.log_head().await.unwrap();
    assert_eq!(
        head,
        LogHead {
            integrated: 0,
            checkpoint: None
        }
    );
    let integration = |from: u64, to: u64, fill: u8, note: &str| Integration {
        from,
        to,
        tiles: vec![((0, 0), vec![fill; 32 * usize::try_from(to).unwrap()])],
        note: note.to_owned(),
        at: T0,
    };
    store.integrate(integration(0, 1, 1, "one")).await.unwrap();
    store.integrate(integration(1, 5, 2, "five")).await.unwrap();
    // An integrator that read the head at 1 is too late: nothing of it is stored.
    let error = store
        .integrate(integration(1, 3, 9, "three"))
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        Error::AlreadyExists {
            what: Conflict::Checkpoint
        }
    ));
    assert_eq!(
        store.log_head().await.unwrap(),
        LogHead {
            integrated: 5,
            checkpoint: Some((5, "five".to_owned()))
        }
    );
    assert_eq!(
        store.log_tiles(vec![(0, 0), (0, 1)]).await.unwrap(),
        vec![((0, 0), vec![2; 160])]
    );
}

pub(crate) async fn one_integrator_holds_the_lease_until_it_lapses(store: &dyn Store) {
    let at = |seconds: i64| Timestamp(T0.0 + seconds);
    let take =
        |holder: &str, now: i64| store.take_log_lease(holder.to_owned(), at(now), at(now + 5));
    assert!(take("node-a", 0).await.unwrap());
    assert!(!take("node-b", 1).await.unwrap());
    assert!(take("node-a", 4).await.unwrap(), "renewed by its holder");
    assert!(!take("node-b", 8).await.unwrap(), "renewed until 9");
    assert!(take("node-b", 10).await.unwrap(), "lapsed");
    assert!(!take("node-a", 10).await.unwrap());
}
