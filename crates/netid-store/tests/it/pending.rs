//! Pending values of flows, shared by every node: expiry, quotas, compare-and-swap, one-time
//! takes, and their end with the holder's deletion or recovery; on both backends.

use super::*;
use netid_store::{NewPending, PendingKind};

fn pending(kind: PendingKind, key: &str, owner: &str, holder: Option<HolderId>) -> NewPending {
    NewPending {
        kind,
        key: key.to_owned(),
        owner: owner.to_owned(),
        holder,
        value: key.as_bytes().to_vec(),
        expires_at: Timestamp(T0.0 + 60),
    }
}

pub(crate) async fn pending_values_expire_are_bounded_per_owner_and_change_once(store: &dyn Store) {
    let code = PendingKind::OidcCode;
    let first = pending(code, "k1", "pl-a", None);
    store.put_pending(first.clone(), T0, 2).await.unwrap();
    assert_eq!(
        store.pending_value(code, "k1", T0).await.unwrap(),
        Some(b"k1".to_vec())
    );
    // Another kind under the same key is another value.
    assert_eq!(
        store
            .pending_value(PendingKind::OidcToken, "k1", T0)
            .await
            .unwrap(),
        None
    );
    // Expired at its expiry.
    let end = Timestamp(T0.0 + 60);
    assert_eq!(store.pending_value(code, "k1", end).await.unwrap(), None);

    // Two per owner here: a third is refused and stores nothing; a replacement is not a third.
    store
        .put_pending(pending(code, "k2", "pl-a", None), T0, 2)
        .await
        .unwrap();
    let refused = store
        .put_pending(pending(code, "k3", "pl-a", None), T0, 2)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::PendingLimit { limit: 2 }),
        "{refused:?}"
    );
    assert_eq!(store.pending_value(code, "k3", T0).await.unwrap(), None);
    store.put_pending(first.clone(), T0, 2).await.unwrap();
    // Another owner has a quota of its own; once the first owner's values expire, it may
    // keep new ones again.
    store
        .put_pending(pending(code, "k3", "pl-b", None), T0, 2)
        .await
        .unwrap();
    let k4 = NewPending {
        expires_at: Timestamp(T0.0 + 120),
        ..pending(code, "k4", "pl-a", None)
    };
    store.put_pending(k4, end, 2).await.unwrap();
    assert_eq!(
        store.pending_of_owner(code, "pl-a", end).await.unwrap(),
        vec![("k4".to_owned(), Timestamp(T0.0 + 120))]
    );
    let owned = store.pending_of_owner(code, "pl-b", T0).await.unwrap();
    assert_eq!(owned, vec![("k3".to_owned(), Timestamp(T0.0 + 60))]);

    // Compare-and-swap: only from the value it was.
    assert!(
        store
            .replace_pending(code, "k3", b"k3".to_vec(), b"v2".to_vec(), T0)
            .await
            .unwrap()
    );
    assert!(
        !store
            .replace_pending(code, "k3", b"k3".to_vec(), b"v3".to_vec(), T0)
            .await
            .unwrap()
    );
    assert_eq!(
        store.pending_value(code, "k3", T0).await.unwrap(),
        Some(b"v2".to_vec())
    );
    // A one-time take: once.
    assert_eq!(
        store.take_pending(code, "k3", T0).await.unwrap(),
        Some(b"v2".to_vec())
    );
    assert_eq!(store.take_pending(code, "k3", T0).await.unwrap(), None);
    // An expired value is not taken, but it is gone.
    store
        .put_pending(pending(code, "k5", "pl-c", None), T0, 2)
        .await
        .unwrap();
    assert_eq!(store.take_pending(code, "k5", end).await.unwrap(), None);
    assert_eq!(store.pending_value(code, "k5", T0).await.unwrap(), None);
    store.remove_pending(code, "k4").await.unwrap();
    assert_eq!(store.pending_value(code, "k4", end).await.unwrap(), None);

    // Purging removes what expired, and only that.
    store
        .put_pending(pending(code, "k6", "pl-d", None), T0, 2)
        .await
        .unwrap();
    let later = pending(code, "k7", "pl-d", None);
    store
        .put_pending(
            NewPending {
                expires_at: Timestamp(T0.0 + 600),
                ..later
            },
            T0,
            2,
        )
        .await
        .unwrap();
    assert_eq!(store.purge_pending(end).await.unwrap(), 1);
    assert_eq!(store.pending_value(code, "k6", T0).await.unwrap(), None);
    assert!(
        store
            .pending_value(code, "k7", end)
            .await
            .unwrap()
            .is_some()
    );
}

pub(crate) async fn a_holders_pending_values_go_with_deletion_and_recovery(store: &dyn Store) {
    let session = PendingKind::WebSession;
    let holder = store
        .enroll_holder(new_holder(1), None, vec![], leaf(), T0)
        .await
        .unwrap();
    let other = store
        .enroll_holder(new_holder(2), None, vec![], leaf(), T0)
        .await
        .unwrap();
    for (key, owner) in [("s1", holder), ("s2", other)] {
        store
            .put_pending(pending(session, key, "holder", Some(owner)), T0, 10)
            .await
            .unwrap();
    }
    // A recovery with a new key ends the sessions and links the old key opened.
    store
        .replace_wallet_key(
            Recovery {
                holder,
                new_key: wallet_key(9),
                code_index: None,
                guardians: vec![],
                log_entry: leaf(),
                revocations: Vec::new(),
                notice_version: None,
                signals: Vec::new(),
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(store.pending_value(session, "s1", T0).await.unwrap(), None);
    assert!(
        store
            .pending_value(session, "s2", T0)
            .await
            .unwrap()
            .is_some()
    );
    // Deletion removes the holder's, and only theirs.
    store
        .put_pending(pending(session, "s3", "holder", Some(holder)), T0, 10)
        .await
        .unwrap();
    store
        .delete_holder(
            holder,
            vec![9; 32],
            netid_ca::RevocationReason::CessationOfOperation,
            leaf(),
            Vec::new(),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(store.pending_value(session, "s3", T0).await.unwrap(), None);
    assert!(
        store
            .pending_value(session, "s2", T0)
            .await
            .unwrap()
            .is_some()
    );
}
