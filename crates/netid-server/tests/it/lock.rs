//! The holder's lock (issue 24): while their Net ID is locked nothing is verified, signed in,
//! consented to or issued with it; their history stays readable, and both steps are in it.

use netid_log::EntryKind;
use netid_proto::{LockResponse, Predicate};
use netid_testkit::Wallet;
use reqwest::StatusCode;

use crate::client::World;

#[tokio::test]
async fn a_locked_net_id_is_used_for_nothing_until_its_holder_unlocks_it() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let platform = client.register_platform("测试平台").await;
    client
        .verify_ok(
            &platform,
            &wallet,
            "nonce-before-the-lock",
            &[Predicate::AgeOver18],
        )
        .await;

    let holder = &wallet;
    let lock = |locked: bool| async move {
        let path = if locked {
            "/v1/holders/lock"
        } else {
            "/v1/holders/unlock"
        };
        client.post(path, None, &holder.lock_request(locked)).await
    };
    // The holder reads what the service holds about them; no one else can.
    let record: netid_proto::HolderRecord = client
        .post("/v1/holders/record", None, &wallet.record_request())
        .await
        .json();
    assert_eq!(
        (record.name.as_str(), record.locked, record.document_valid),
        ("测试甲", false, true)
    );
    assert_eq!(record.document_number, world.people.adult.document_number);
    let mut forged = wallet.record_request();
    forged.wallet_key = Wallet::generate().public_key();
    client
        .post("/v1/holders/record", None, &forged)
        .await
        .problem(StatusCode::FORBIDDEN, "bad_wallet_signature");
    let locked: LockResponse = lock(true).await.json();
    assert_eq!(
        locked,
        LockResponse {
            locked: true,
            changed: true
        }
    );
    // Locked again: nothing changes, nothing is logged.
    let again: LockResponse = lock(true).await.json();
    assert_eq!(
        again,
        LockResponse {
            locked: true,
            changed: false
        }
    );
    let record: netid_proto::HolderRecord = client
        .post("/v1/holders/record", None, &wallet.record_request())
        .await
        .json();
    assert!(record.locked);

    // Nothing is verified, issued or consented to while it is locked.
    client
        .verify(&platform, &wallet, "nonce-while-locked", &[])
        .await
        .problem(StatusCode::FORBIDDEN, "net_id_locked");
    client
        .ask_net_certificate(&wallet)
        .await
        .problem(StatusCode::FORBIDDEN, "net_id_locked");
    let consent = wallet.consent_request(&platform.client_id, &["name"], "any-notice");
    client
        .post("/v1/holders/consents", None, &consent)
        .await
        .problem(StatusCode::FORBIDDEN, "net_id_locked");

    // A request signed to unlock does not lock, and the other way round.
    let mut swapped = wallet.lock_request(false);
    swapped.request_id = wallet.lock_request(true).request_id;
    client
        .post("/v1/holders/unlock", None, &swapped)
        .await
        .problem(StatusCode::FORBIDDEN, "bad_wallet_signature");
    // A replayed request is refused.
    let request = wallet.lock_request(false);
    let unlocked: LockResponse = client
        .post("/v1/holders/unlock", None, &request)
        .await
        .json();
    assert_eq!(
        unlocked,
        LockResponse {
            locked: false,
            changed: true
        }
    );
    client
        .post("/v1/holders/unlock", None, &request)
        .await
        .problem(StatusCode::CONFLICT, "request_replayed");

    // Unlocked, it serves again; the history, readable all along, has both steps once.
    client
        .verify_ok(&platform, &wallet, "nonce-after-the-unlock", &[])
        .await;
    let kinds = client.log_kinds(&wallet).await;
    let count = |kind| kinds.iter().filter(|seen| **seen == kind).count();
    assert_eq!(
        (
            count(EntryKind::NetIdLocked),
            count(EntryKind::NetIdUnlocked)
        ),
        (1, 1),
        "{kinds:?}"
    );
}
