//! Operator accounts and requested acts: a decision moves an act only from where it was.

use super::*;
use netid_store::{ActChange, ActRow, OperatorRow};

pub(crate) fn operator(id: &str, role: &str) -> OperatorRow {
    OperatorRow {
        operator_id: id.to_owned(),
        name: format!("测试{id}"),
        role: role.to_owned(),
        public_key: "{}".to_owned(),
        key_thumbprint: format!("thumbprint-{id}"),
        added_at: T0,
        retired_at: None,
    }
}

pub(crate) fn act(id: &str, by: &str) -> ActRow {
    ActRow {
        request_id: id.to_owned(),
        act: "operator_read".to_owned(),
        sealed_body: vec![7; 40],
        requested_by: by.to_owned(),
        requested_at: T0,
        status: "pending".to_owned(),
        decided_by: None,
        decided_at: None,
        expires_at: Timestamp(T0.0 + 100),
    }
}

fn change(status: &str, by: Option<&str>, at: i64, forget: bool) -> ActChange {
    ActChange {
        status: status.to_owned(),
        decided_by: by.map(str::to_owned),
        at: Timestamp(at),
        expires_at: Timestamp(at + 100),
        forget_body: forget,
    }
}

pub(crate) async fn operators_and_their_acts_move_only_from_where_they_were(store: &dyn Store) {
    let entries = || b"{\"v\":1}".to_vec();
    store
        .add_operator(operator("op-a", "data_protection_officer"), entries())
        .await
        .unwrap();
    store
        .add_operator(operator("op-b", "data_protection_officer"), entries())
        .await
        .unwrap();
    // One key, one account.
    let mut twin = operator("op-c", "auditor");
    twin.key_thumbprint = "thumbprint-op-a".to_owned();
    assert!(matches!(
        store.add_operator(twin, entries()).await.unwrap_err(),
        Error::AlreadyExists {
            what: Conflict::OperatorKey
        }
    ));
    assert_eq!(store.operators().await.unwrap().len(), 2);
    let found = store
        .operator_with_key("thumbprint-op-b")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.operator_id, "op-b");

    store
        .request_act(act("act-1", "op-a"), entries())
        .await
        .unwrap();
    // Approved once: a second approval (or a refusal) of the same pending act finds it moved.
    let approve = || change("approved", Some("op-b"), T0.0 + 10, false);
    assert!(
        store
            .decide_act("act-1", "pending", approve(), Some(entries()))
            .await
            .unwrap()
    );
    assert!(
        !store
            .decide_act("act-1", "pending", approve(), Some(entries()))
            .await
            .unwrap()
    );
    let approved = store.act("act-1").await.unwrap().unwrap();
    assert_eq!(approved.status, "approved");
    assert_eq!(approved.decided_by.as_deref(), Some("op-b"));
    assert_eq!(approved.sealed_body, vec![7; 40]);
    // Carried out once; what was asked is forgotten, who decided is kept.
    let done = || change("done", None, T0.0 + 20, true);
    assert!(
        store
            .decide_act("act-1", "approved", done(), None)
            .await
            .unwrap()
    );
    assert!(
        !store
            .decide_act("act-1", "approved", done(), None)
            .await
            .unwrap()
    );
    let done = store.act("act-1").await.unwrap().unwrap();
    assert_eq!((done.status.as_str(), done.sealed_body.len()), ("done", 0));
    assert_eq!(done.decided_by.as_deref(), Some("op-b"));

    // An act past its expiry cannot be decided, and the minute job forgets its body.
    store
        .request_act(act("act-2", "op-a"), entries())
        .await
        .unwrap();
    let late = change("approved", Some("op-b"), T0.0 + 100, false);
    assert!(
        !store
            .decide_act("act-2", "pending", late, None)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .forget_expired_acts(Timestamp(T0.0 + 100))
            .await
            .unwrap(),
        1
    );
    assert!(
        store
            .act("act-2")
            .await
            .unwrap()
            .unwrap()
            .sealed_body
            .is_empty()
    );
    let queue = store.acts(10).await.unwrap();
    assert_eq!(queue.len(), 2);

    // Retired once; nothing is logged the second time.
    let before = store.log_size().await.unwrap();
    assert!(
        store
            .retire_operator("op-b", Timestamp(T0.0 + 30), entries())
            .await
            .unwrap()
    );
    assert!(
        !store
            .retire_operator("op-b", Timestamp(T0.0 + 31), entries())
            .await
            .unwrap()
    );
    assert_eq!(store.log_size().await.unwrap(), before + 1);
    let retired = store
        .operator_with_key("thumbprint-op-b")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retired.retired_at, Some(Timestamp(T0.0 + 30)));
}

fn event(at: i64, kind: &str) -> netid_store::NewSecurityEvent {
    netid_store::NewSecurityEvent {
        at: Timestamp(at),
        kind: kind.to_owned(),
        detail: r#"{"role":"operator"}"#.to_owned(),
    }
}

pub(crate) async fn security_events_chain_and_are_purged_from_the_oldest_end(store: &dyn Store) {
    use netid_store::{GENESIS, chain_break};
    let first = vec![event(T0.0, "a"), event(T0.0 + 1, "b")];
    assert_eq!(store.append_security_events(first, None).await.unwrap(), 2);
    assert_eq!(
        store
            .append_security_events(vec![event(T0.0 + 100, "c")], None)
            .await
            .unwrap(),
        3
    );
    let events = store.security_events(0, 10).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(chain_break(&GENESIS, &events), None);
    // A changed detail, a removed row, a row moved to another place: each breaks the chain.
    let mut changed = events.clone();
    changed[1].detail = r#"{"role":"platform"}"#.to_owned();
    assert_eq!(chain_break(&GENESIS, &changed), Some(2));
    let removed = vec![events[0].clone(), events[2].clone()];
    assert_eq!(chain_break(&GENESIS, &removed), Some(3));
    let reordered = vec![events[1].clone(), events[0].clone()];
    assert_eq!(chain_break(&GENESIS, &reordered), Some(2));
    // Paging: after 1, from 2 on, checked from the hash of 1.
    let rest = store.security_events(1, 10).await.unwrap();
    assert_eq!(chain_break(&events[0].hash, &rest), None);

    // The retention keeps the newest; what remains still checks from its first row's link.
    assert_eq!(
        store
            .purge_security_events(Timestamp(T0.0 + 50))
            .await
            .unwrap(),
        2
    );
    let kept = store.security_events(0, 10).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(chain_break(&kept[0].prev_hash, &kept), None);
    assert_eq!(kept[0].prev_hash, events[1].hash);
    // The newest is never removed: the chain goes on from it.
    assert_eq!(
        store
            .purge_security_events(Timestamp(T0.0 + 1000))
            .await
            .unwrap(),
        0
    );
    // A seal: the log entry made of the newest hash, in the same transaction.
    let size = store.log_size().await.unwrap();
    let seal: netid_store::Seal = Box::new(|digest: &[u8]| Ok(digest.to_vec()));
    assert_eq!(
        store
            .append_security_events(vec![event(T0.0 + 200, "d")], Some(seal))
            .await
            .unwrap(),
        4
    );
    let newest = store.security_events(3, 10).await.unwrap();
    assert_eq!(chain_break(&kept[0].hash, &newest), None);
    let leaf = store.log_entries(size, size + 1).await.unwrap();
    assert_eq!(leaf, vec![newest[0].hash.clone()]);
}

pub(crate) async fn an_operators_challenge_code_and_passkey_are_used_once(store: &dyn Store) {
    use netid_store::OperatorPasskeyRow;
    store
        .add_operator(operator("op-f", "ca_officer"), b"{\"v\":1}".to_vec())
        .await
        .unwrap();
    let later = |seconds: i64| Timestamp(T0.0 + seconds);
    assert_eq!(
        store.operator_verified_until("op-f").await.unwrap(),
        Timestamp(0)
    );
    // A challenge is taken once, only while unexpired, and a new one replaces the old.
    store
        .set_operator_challenge("op-f", "first", later(60))
        .await
        .unwrap();
    store
        .set_operator_challenge("op-f", "second", later(60))
        .await
        .unwrap();
    assert!(
        !store
            .take_operator_challenge("op-f", "first", T0)
            .await
            .unwrap()
    );
    assert!(
        !store
            .take_operator_challenge("op-f", "second", later(60))
            .await
            .unwrap()
    );
    assert!(
        store
            .take_operator_challenge("op-f", "second", T0)
            .await
            .unwrap()
    );
    assert!(
        !store
            .take_operator_challenge("op-f", "second", T0)
            .await
            .unwrap()
    );
    // So is an enrollment code, which a challenge does not disturb.
    store
        .set_operator_enrollment_code("op-f", "digest", later(60))
        .await
        .unwrap();
    store
        .set_operator_challenge("op-f", "third", later(60))
        .await
        .unwrap();
    assert!(
        !store
            .take_operator_enrollment_code("op-f", "other", T0)
            .await
            .unwrap()
    );
    assert!(
        store
            .take_operator_enrollment_code("op-f", "digest", T0)
            .await
            .unwrap()
    );
    assert!(
        !store
            .take_operator_enrollment_code("op-f", "digest", T0)
            .await
            .unwrap()
    );
    assert!(
        store
            .take_operator_challenge("op-f", "third", T0)
            .await
            .unwrap()
    );
    // A passkey's counter only grows; each use says until when the confirmation holds.
    let passkey = OperatorPasskeyRow {
        credential_id: vec![9; 16],
        operator_id: "op-f".to_owned(),
        spki: vec![4; 91],
        sign_count: 5,
        added_at: T0,
    };
    store.add_operator_passkey(passkey.clone()).await.unwrap();
    assert!(matches!(
        store
            .add_operator_passkey(passkey.clone())
            .await
            .unwrap_err(),
        Error::AlreadyExists {
            what: Conflict::Passkey
        }
    ));
    assert_eq!(
        store.operator_passkeys("op-f").await.unwrap(),
        vec![passkey]
    );
    assert!(matches!(
        store
            .use_operator_passkey("op-f", &[9; 16], 5, later(900))
            .await
            .unwrap_err(),
        Error::NotFound { .. }
    ));
    assert!(
        store
            .use_operator_passkey("op-a", &[9; 16], 6, later(900))
            .await
            .is_err()
    );
    assert_eq!(
        store.operator_verified_until("op-f").await.unwrap(),
        Timestamp(0)
    );
    store
        .use_operator_passkey("op-f", &[9; 16], 6, later(900))
        .await
        .unwrap();
    assert_eq!(
        store.operator_verified_until("op-f").await.unwrap(),
        later(900)
    );
    assert_eq!(
        store.operator_passkeys("op-f").await.unwrap()[0].sign_count,
        6
    );
}
