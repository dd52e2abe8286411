//! Passkeys and operator reads, on both backends.

use super::*;
use netid_ca::RevocationReason;

pub(crate) async fn passkeys_sign_in_their_holder_and_go_with_deletion(store: &dyn Store) {
    let holder = store
        .enroll_holder(new_holder(1), None, vec![], leaf(), T0)
        .await
        .unwrap();
    let passkey = PasskeyRow {
        credential_id: vec![7; 16],
        holder,
        spki: vec![3; 91],
        sign_count: 0,
        created_at: T0,
    };
    store.add_passkey(passkey.clone(), leaf()).await.unwrap();
    assert_eq!(
        store.passkey(&[7; 16]).await.unwrap(),
        Some(passkey.clone())
    );
    assert!(matches!(
        store
            .add_passkey(passkey.clone(), leaf())
            .await
            .unwrap_err(),
        Error::AlreadyExists {
            what: Conflict::Passkey
        }
    ));
    // Listed for the holder; a removal takes only the holder's own, and logs it.
    let logged = store.log_size().await.unwrap();
    assert_eq!(
        store.passkeys_of(holder).await.unwrap(),
        vec![passkey.clone()]
    );
    assert!(
        !store
            .remove_passkey(HolderId(holder.0 + 1), vec![7; 16], leaf())
            .await
            .unwrap()
    );
    assert_eq!(store.log_size().await.unwrap(), logged);
    let second = PasskeyRow {
        credential_id: vec![6; 16],
        ..passkey.clone()
    };
    store.add_passkey(second.clone(), leaf()).await.unwrap();
    assert!(
        store
            .remove_passkey(holder, vec![6; 16], leaf())
            .await
            .unwrap()
    );
    assert_eq!(store.log_size().await.unwrap(), logged + 2);
    assert_eq!(
        store.passkeys_of(holder).await.unwrap(),
        vec![passkey.clone()]
    );
    store.use_passkey(&[7; 16], 5).await.unwrap();
    assert_eq!(
        store.passkey(&[7; 16]).await.unwrap().unwrap().sign_count,
        5
    );
    // A counter that does not grow is refused (a clone, or a race of two sign-ins).
    assert!(matches!(
        store.use_passkey(&[7; 16], 5).await.unwrap_err(),
        Error::NotFound { .. }
    ));
    assert!(matches!(
        store.use_passkey(&[8; 16], 1).await.unwrap_err(),
        Error::NotFound { .. }
    ));
    assert_eq!(store.passkey(&[8; 16]).await.unwrap(), None);
    // A recovery with a new wallet key forgets the passkeys (the lost wallet's holder may
    // have added one); the holder adds them again.
    store
        .replace_wallet_key(
            Recovery {
                holder,
                new_key: wallet_key(2),
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
        .unwrap();
    assert_eq!(store.passkey(&[7; 16]).await.unwrap(), None);
    store.add_passkey(passkey.clone(), leaf()).await.unwrap();
    store
        .delete_holder(
            holder,
            vec![2; 32],
            RevocationReason::CessationOfOperation,
            leaf(),
            Vec::new(),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(store.passkey(&[7; 16]).await.unwrap(), None);
    // A deleted holder gets no new passkey.
    assert!(matches!(
        store
            .add_passkey(
                PasskeyRow {
                    credential_id: vec![9; 16],
                    ..passkey
                },
                leaf()
            )
            .await
            .unwrap_err(),
        Error::NotFound { .. }
    ));
}

pub(crate) async fn operator_reads_are_logged_with_the_holder_counted_and_unlinked_on_deletion(
    store: &dyn Store,
) {
    let holder = store
        .enroll_holder(new_holder(1), None, vec![], leaf(), T0)
        .await
        .unwrap();
    assert_eq!(
        store
            .holder_by_net_id(&net_id(1).index)
            .await
            .unwrap()
            .map(|row| row.id),
        Some(holder)
    );
    assert_eq!(
        store.holder_by_net_id(&net_id(2).index).await.unwrap(),
        None
    );
    let read = |deferral: Option<NoticeDeferralRow>| OperatorReadRow {
        log_index: 0,
        holder,
        fields: vec!["name".to_owned(), "birth_date".to_owned()],
        legal_basis: "Synthetic Act, art. 1".to_owned(),
        basis_kind: Some("court_order".to_owned()),
        reference: "REF-1".to_owned(),
        read_at: T0,
        deferral,
    };
    let plain = store
        .record_operator_read(read(None), leaf(), None)
        .await
        .unwrap();
    assert_eq!(plain, 1);
    let deferral = NoticeDeferralRow {
        ground: "emergency".to_owned(),
        legal_basis: "Synthetic Emergency".to_owned(),
        ends_at: Timestamp(T0.0 + 86_400),
        sealed_tag_key: vec![7; 48],
    };
    let deferred = store
        .record_operator_read(read(Some(deferral.clone())), leaf(), Some(leaf()))
        .await
        .unwrap();
    // The read's entry is the holder's; the deferral's entry after it is about no one.
    assert_eq!(deferred, 2);
    assert_eq!(store.log_size().await.unwrap(), 4);
    assert_eq!(
        store.holder_log_indexes(holder).await.unwrap(),
        vec![0, 1, 2]
    );
    let reads = store.operator_reads(holder).await.unwrap();
    assert_eq!(reads.len(), 2);
    assert_eq!(reads[0].fields, ["name", "birth_date"]);
    assert_eq!(reads[0].deferral, None);
    assert_eq!(reads[1].log_index, 2);
    assert_eq!(reads[1].deferral, Some(deferral));
    let counts = |deferred_now| DeferralCountsRow {
        operator_reads: 2,
        deferred: 1,
        deferred_now,
    };
    assert_eq!(store.deferral_counts(T0).await.unwrap(), counts(1));
    assert_eq!(
        store.reads_by_basis().await.unwrap(),
        vec![(Some("court_order".to_owned()), 2)]
    );
    assert_eq!(
        store
            .deferral_counts(Timestamp(T0.0 + 86_400))
            .await
            .unwrap(),
        counts(0)
    );
    // The holder is alerted of the deferred read once, when its notice comes due; the plain
    // read is alerted when it is made, not here.
    let due = Timestamp(T0.0 + 86_400);
    assert!(store.take_due_read_alerts(T0).await.unwrap().is_empty());
    assert_eq!(store.take_due_read_alerts(due).await.unwrap(), vec![holder]);
    assert!(store.take_due_read_alerts(due).await.unwrap().is_empty());

    store
        .delete_holder(
            holder,
            vec![1; 32],
            RevocationReason::CessationOfOperation,
            leaf(),
            Vec::new(),
            T0,
        )
        .await
        .unwrap();
    assert!(store.operator_reads(holder).await.unwrap().is_empty());
    assert_eq!(store.deferral_counts(T0).await.unwrap(), counts(1));
    let error = store
        .record_operator_read(read(None), leaf(), None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
    assert_eq!(store.log_size().await.unwrap(), 5);
}
