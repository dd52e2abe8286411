//! Backups and restores: what a restore brings back, and what it must not (a holder deleted
//! after the backup was taken).

use netid_crypto::Suite;
use netid_log::MerkleHasher;
use netid_proto::ConsistencyProof;
use netid_testkit::Wallet;
use reqwest::StatusCode;

use crate::client::World;
use crate::transparency::{checkpoint, hashes, verifier};

/// A holder deleted after a backup stays deleted once the backup is restored: the next start
/// replays the deletion journal, which is kept apart from the database. The holder who was not
/// deleted is whole, and the restored log extends the checkpoint published before the backup.
/// On SQLite the backup is `netid backup`'s, taken while the server runs; on PostgreSQL a copy
/// of the stopped database stands in for a base backup.
#[tokio::test]
async fn a_restored_backup_forgets_the_holders_deleted_since_and_extends_the_log() {
    let world = World::new().await;
    let platform = world.client.register_platform("backup-platform").await;
    let (kept, gone) = (Wallet::generate(), Wallet::generate());
    world
        .client
        .enroll_ok(&kept.enroll_request(&world.people.adult))
        .await;
    world
        .client
        .enroll_ok(&gone.enroll_request(&world.people.guardian))
        .await;
    let log = verifier(&world.client).await;
    let before = log.verify(&checkpoint(&world.client).await).unwrap();

    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("netid-backup.sqlite3");
    let postgres = netid_testkit::RawStore::of(world.data_dir()).is_postgres();
    let world = if postgres {
        let copy = backups.path().join("data");
        world
            .restart_after(netid_server::Clock::System, async |data| {
                netid_testkit::copy_data_dir(data, &copy);
            })
            .await
    } else {
        let config = netid_testkit::test_config(world.data_dir(), Vec::new());
        let written = netid_server::backup(&config, &file).await.unwrap();
        assert!(written.bytes > 0);
        // A second backup to the same file is refused: nothing is overwritten.
        assert!(matches!(
            netid_server::backup(&config, &file).await,
            Err(netid_server::Error::BackupRefused { .. })
        ));
        world
    };

    let deleted = world
        .client
        .post("/v1/holders/delete", None, &gone.deletion_request())
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    // A restore is refused while the server runs.
    if !postgres {
        let config = netid_testkit::test_config(world.data_dir(), Vec::new());
        assert!(matches!(
            netid_server::restore(&config, &file).await,
            Err(netid_server::Error::BackupRefused { .. })
        ));
    }

    let world = world
        .restart_after(netid_server::Clock::System, async |data| {
            if postgres {
                // The backup's database in place of the live one; the journal stays.
                let url = backups.path().join("data").join("test-database-url");
                std::fs::copy(url, data.join("test-database-url")).unwrap();
            } else {
                let config = netid_testkit::test_config(data, Vec::new());
                let restored = netid_server::restore(&config, &file).await.unwrap();
                assert_eq!(restored.journaled_deletions, 1);
            }
        })
        .await;

    // Deleted again at start: the deleted holder's wallet is nobody's.
    let history = world
        .client
        .post("/v1/holders/log", None, &gone.log_request())
        .await;
    assert_eq!(history.status, StatusCode::FORBIDDEN, "{}", history.body);
    // The other holder is whole.
    world
        .client
        .verify_ok(&platform, &kept, "nonce-after-restore-1", &[])
        .await;
    // The restored log extends what was published before the backup.
    let after = log.verify(&checkpoint(&world.client).await).unwrap();
    assert!(after.size > before.size);
    let consistency: ConsistencyProof = world
        .client
        .get(&format!(
            "/v1/log/proof/consistency?old={}&new={}",
            before.size, after.size
        ))
        .await
        .json();
    MerkleHasher::new(Suite::gm())
        .verify_consistency(
            before.size,
            after.size,
            &before.root,
            &after.root,
            &hashes(&consistency.proof),
        )
        .unwrap();
}
