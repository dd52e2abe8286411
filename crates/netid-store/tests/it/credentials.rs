//! Net Certificates and deletion, on both backends.

use super::*;
use netid_ca::RevocationReason;

pub(crate) fn credential(suite: &str, index: u64, expires_at: i64) -> CredentialRow {
    CredentialRow {
        suite: suite.parse().unwrap(),
        status_index: index,
        issued_at: T0,
        expires_at: Timestamp(expires_at),
    }
}

/// Net Certificates: a batch lands whole or not at all (a taken index, a replaced wallet key
/// or the per-holder limit refuses it), indexes are per suite, a recovery revokes every one
/// of the holder's, and expired ones drop out of the revoked list and are forgotten.
pub(crate) async fn net_certificates_are_issued_in_batches_and_revoked_on_recovery(
    store: &dyn Store,
) {
    let holder = store
        .enroll_holder(new_holder(1), None, vec![], leaf(), T0)
        .await
        .unwrap();
    let other = store
        .enroll_holder(new_holder(2), None, vec![], leaf(), T0)
        .await
        .unwrap();
    let later = T0.0 + 1000;
    let issue = |holder: HolderId, key: u8, rows: Vec<CredentialRow>, now: i64| async move {
        store
            .issue_credentials(
                NewCredentials {
                    holder,
                    wallet_key: vec![key; 32],
                    credentials: rows,
                    log_entry: leaf(),
                },
                4,
                Timestamp(now),
                Timestamp(now - 50),
            )
            .await
    };
    issue(
        holder,
        1,
        vec![
            credential("intl", 5, later),
            credential("intl", 6, T0.0 + 10),
            credential("gm", 5, later),
        ],
        T0.0,
    )
    .await
    .unwrap();
    issue(other, 2, vec![credential("intl", 7, later)], T0.0)
        .await
        .unwrap();
    let size = store.log_size().await.unwrap();
    let clash = issue(
        other,
        2,
        vec![credential("intl", 8, later), credential("intl", 6, later)],
        T0.0,
    )
    .await
    .unwrap_err();
    assert!(matches!(
        clash,
        Error::AlreadyExists {
            what: Conflict::StatusIndex
        }
    ));
    // Another wallet key than the holder's current one; more than the limit of 4.
    assert!(matches!(
        issue(other, 9, vec![credential("intl", 9, later)], T0.0).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        issue(
            holder,
            1,
            vec![credential("intl", 10, later), credential("intl", 11, later)],
            T0.0
        )
        .await,
        Err(Error::CredentialLimit { limit: 4 })
    ));
    assert_eq!(store.log_size().await.unwrap(), size);
    assert!(
        store
            .revoked_credentials(netid_crypto::SuiteId::Intl, T0)
            .await
            .unwrap()
            .is_empty()
    );

    store
        .replace_wallet_key(
            Recovery {
                holder,
                new_key: wallet_key(9),
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
    let mut revoked = store
        .revoked_credentials(netid_crypto::SuiteId::Intl, T0)
        .await
        .unwrap();
    revoked.sort_unstable();
    assert_eq!(revoked, vec![5, 6]);
    assert_eq!(
        store
            .revoked_credentials(netid_crypto::SuiteId::Gm, T0)
            .await
            .unwrap(),
        vec![5]
    );
    // Index 6 expired at T0 + 10: no longer listed after that. The old wallet key issues
    // nothing more.
    assert_eq!(
        store
            .revoked_credentials(netid_crypto::SuiteId::Intl, Timestamp(T0.0 + 100))
            .await
            .unwrap(),
        vec![5]
    );
    assert!(matches!(
        issue(holder, 1, vec![credential("intl", 12, later)], T0.0).await,
        Err(Error::NotFound { .. })
    ));
    // Issuing at T0 + 100 forgets what expired before T0 + 50 (index 6): it can be drawn again.
    issue(holder, 9, vec![credential("intl", 6, later)], T0.0 + 100)
        .await
        .unwrap();
}

/// Deletion empties the holder's row in one transaction: no lookup finds them, the Net ID's
/// blind index stays taken, guardianships end both ways, Net Certificates and certificates
/// are revoked; only with the current wallet key, and once.
/// The parts of the deletion test every backend runs; each then checks the rows it cannot
/// read through [`Store`] (`deletion_left_no_link_in_*`).
pub(crate) async fn deletion_empties_the_holder_and_revokes_what_was_theirs(store: &dyn Store) {
    let guardian = store
        .enroll_holder(new_holder(1), Some(index(0xcc)), vec![], leaf(), T0)
        .await
        .unwrap();
    let child = store
        .enroll_holder(new_holder(2), None, vec![guardian], leaf(), T0)
        .await
        .unwrap();
    store
        .insert_certificate(certificate(3, Some(guardian), T0.0 + 1000), leaf())
        .await
        .unwrap();
    store
        .issue_credentials(
            NewCredentials {
                holder: guardian,
                wallet_key: vec![1; 32],
                credentials: vec![credential("gm", 77, T0.0 + 1000)],
                log_entry: leaf(),
            },
            10,
            T0,
            T0,
        )
        .await
        .unwrap();
    let deleted = |key: u8| async move {
        store
            .delete_holder(
                guardian,
                vec![key; 32],
                RevocationReason::CessationOfOperation,
                leaf(),
                Vec::new(),
                T0,
            )
            .await
    };
    assert!(matches!(deleted(9).await, Err(Error::NotFound { .. })));
    assert!(store.holder(guardian).await.unwrap().is_some());
    assert!(!store.holder_log_indexes(guardian).await.unwrap().is_empty());
    deleted(1).await.unwrap();
    assert!(matches!(deleted(1).await, Err(Error::NotFound { .. })));
    assert!(store.holder_log_indexes(guardian).await.unwrap().is_empty());

    assert_eq!(store.holder(guardian).await.unwrap(), None);
    assert_eq!(store.holder_by_wallet_key(&[1; 32]).await.unwrap(), None);
    assert_eq!(store.holder_by_person(&index(1)).await.unwrap(), None);
    assert!(store.guardians_of(child).await.unwrap().is_empty());
    assert_eq!(
        store
            .revoked_credentials(netid_crypto::SuiteId::Gm, T0)
            .await
            .unwrap(),
        vec![77]
    );
    let revoked = store.certificate(&[3; 16]).await.unwrap().unwrap().revoked;
    assert_eq!(revoked, Some((T0, RevocationReason::CessationOfOperation)));
    // The Net ID is never issued again: its blind index is still taken.
    let mut again = new_holder(3);
    again.net_id = net_id(1);
    assert!(matches!(
        store.enroll_holder(again, None, vec![], leaf(), T0).await,
        Err(Error::AlreadyExists {
            what: Conflict::NetId
        })
    ));
    // The same person (same person index) can enroll anew.
    let mut returning = new_holder(4);
    returning.person_index = index(1);
    store
        .enroll_holder(returning, None, vec![], leaf(), T0)
        .await
        .unwrap();
}
