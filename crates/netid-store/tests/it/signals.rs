//! Signals to platforms, on both backends: queued with the act that causes them, only for a
//! stream that asks; claimed by one node at a time; retried later; acknowledged once; a
//! disabled stream keeps nothing; expired ones go.

use super::*;
use netid_store::{Delivery, SignalRow, StreamRow, StreamStatus};

pub(crate) async fn signals_wait_for_their_platform_until_acknowledged_or_expired(
    store: &dyn Store,
) {
    let holder = store
        .enroll_holder(new_holder(4), None, vec![], leaf(), T0)
        .await
        .unwrap();
    let platform = platform_row("p-4");
    store.insert_platform(platform, leaf()).await.unwrap();
    let signal = |jti: &str, event: &str| SignalRow {
        jti: jti.to_owned(),
        client_id: "p-4".to_owned(),
        holder: Some(holder),
        event: event.to_owned(),
        token: format!("token-{jti}"),
        created_at: T0,
        expires_at: Timestamp(T0.0 + 100),
    };
    // No stream: nothing is kept.
    store
        .queue_signals(vec![signal("s-0", "account_purged")])
        .await
        .unwrap();
    assert!(
        store
            .waiting_signals("p-4", T0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let stream = StreamRow {
        client_id: "p-4".to_owned(),
        stream_id: "stream-4".to_owned(),
        delivery: Delivery::Push,
        endpoint_url: Some("https://p4.example/signals".to_owned()),
        sealed_authorization: None,
        events_requested: r#"["account_purged"]"#.to_owned(),
        description: None,
        status: StreamStatus::Enabled,
        updated_at: T0,
    };
    store.set_stream(stream.clone()).await.unwrap();
    assert_eq!(store.stream("p-4").await.unwrap(), Some(stream.clone()));
    store
        .queue_signals(vec![
            signal("s-1", "account_purged"),
            signal("s-2", "consent_withdrawn"),
        ])
        .await
        .unwrap();
    let waiting = store.waiting_signals("p-4", T0, 10).await.unwrap();
    assert_eq!(
        waiting,
        vec![("s-1".to_owned(), "token-s-1".to_owned())],
        "only what the stream asks for"
    );
    assert_eq!(
        store.newest_signal("p-4", "account_purged").await.unwrap(),
        Some(T0)
    );
    assert_eq!(
        store.newest_signal("p-4", "verification").await.unwrap(),
        None
    );
    // One claim at a time; a failure waits for its next attempt.
    let claim = |now: i64| async move {
        store
            .claim_due_signals(Timestamp(now), Timestamp(now + 60), 10)
            .await
            .unwrap()
    };
    assert_eq!(claim(T0.0).await.len(), 1);
    assert!(claim(T0.0 + 1).await.is_empty(), "claimed by another node");
    store
        .signal_failed("s-1", Timestamp(T0.0 + 30))
        .await
        .unwrap();
    assert!(claim(T0.0 + 29).await.is_empty());
    let due = claim(T0.0 + 30).await;
    assert_eq!((due.len(), due[0].attempts), (1, 1));
    assert_eq!(
        store
            .signal_holders("p-4", vec!["s-1".to_owned()])
            .await
            .unwrap(),
        vec![("s-1".to_owned(), Some(holder))]
    );
    // Before its acknowledgement, a deleting signal shows as sent, and takes no receipt.
    let sent = store.receipt("s-1").await.unwrap().unwrap();
    assert_eq!((sent.acknowledged_at, sent.holder), (None, Some(holder)));
    assert!(
        !store
            .record_receipt("p-4", "s-1", "[]".to_owned(), leaf(), T0)
            .await
            .unwrap()
    );
    let acknowledged = vec![("s-1".to_owned(), leaf())];
    let receipts_until = Timestamp(T0.0 + 200);
    assert_eq!(
        store
            .acknowledge_signals("p-4", acknowledged.clone(), T0, receipts_until)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .acknowledge_signals("p-4", acknowledged, T0, receipts_until)
            .await
            .unwrap(),
        0,
        "acknowledged once"
    );
    // The acknowledged deletion waits for its receipt: from its platform alone, once.
    let slot = store.receipt("s-1").await.unwrap().unwrap();
    assert_eq!(
        (
            slot.acknowledged_at,
            slot.deleted.as_deref(),
            slot.expires_at
        ),
        (Some(T0), None, receipts_until)
    );
    let deleted = r#"["name"]"#.to_owned();
    let receipt = |client: &'static str| {
        let deleted = deleted.clone();
        async move {
            store
                .record_receipt(client, "s-1", deleted, leaf(), Timestamp(T0.0 + 10))
                .await
                .unwrap()
        }
    };
    assert!(!receipt("p-other").await, "another platform's signal");
    assert!(receipt("p-4").await);
    assert!(!receipt("p-4").await, "one receipt per signal");
    let mine = store.receipts_of(holder).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].deleted.as_deref(), Some(r#"["name"]"#));
    assert_eq!(mine[0].received_at, Some(Timestamp(T0.0 + 10)));
    // Expired ones go; a disabled stream drops what waits and takes nothing new.
    store
        .queue_signals(vec![signal("s-3", "account_purged")])
        .await
        .unwrap();
    assert_eq!(store.purge_signals(Timestamp(T0.0 + 100)).await.unwrap(), 1);
    assert!(store.receipt("s-1").await.unwrap().is_some(), "kept");
    store.purge_signals(receipts_until).await.unwrap();
    assert!(
        store.receipt("s-1").await.unwrap().is_none(),
        "its time ran out"
    );
    store
        .queue_signals(vec![signal("s-4", "account_purged")])
        .await
        .unwrap();
    store
        .set_stream(StreamRow {
            status: StreamStatus::Disabled,
            ..stream
        })
        .await
        .unwrap();
    assert!(
        store
            .waiting_signals("p-4", T0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .queue_signals(vec![signal("s-5", "account_purged")])
        .await
        .unwrap();
    assert!(
        store
            .waiting_signals("p-4", T0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.delete_stream("p-4").await.unwrap());
    assert!(!store.delete_stream("p-4").await.unwrap());
}
