//! SQLite databases left by older builds, migrated on open with their rows and references
//! kept (PostgreSQL databases start at schema 11: `on_postgres` has its own).

use super::*;

/// The schema version this build migrates to.
fn latest_version() -> u32 {
    LATEST_SCHEMA
}

/// A database at `path` migrated to schema `version` only, as an older build left it.
fn database_of_schema(path: &std::path::Path, version: u32) -> rusqlite::Connection {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection
        .execute_batch(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, \
             applied_at INTEGER NOT NULL DEFAULT (unixepoch())) STRICT;",
        )
        .unwrap();
    for version in 1..=version {
        let script = std::fs::read_to_string(format!(
            "{}/migrations/sqlite/{version:02}.sql",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        connection.execute_batch(&script).unwrap();
        connection
            .execute(
                "INSERT INTO schema_version (version) VALUES (?1)",
                [version],
            )
            .unwrap();
    }
    connection
}

/// Migration 11 rebuilds `platforms` without the unique sector; rows and the references
/// to them survive.
#[tokio::test]
async fn migration_11_keeps_platforms_and_their_references_and_lets_sectors_be_shared() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("netid.sqlite3");
    {
        let connection = database_of_schema(&path, 10);
        connection
            .execute_batch(
                "INSERT INTO platforms VALUES ('pl-a', x'01', 'sector-a', 'A', 5); \
                 INSERT INTO used_presentation_nonces VALUES ('pl-a', x'02', 99); \
                 INSERT INTO platform_fields VALUES \
                     ('pl-a', 'name', 'basis', 'purpose', 30, 'approved', 6);",
            )
            .unwrap();
    }
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), latest_version());
    let platform = store.platform("pl-a").await.unwrap().unwrap();
    assert_eq!(platform.sector, "sector-a");
    assert_eq!(store.platform_fields("pl-a").await.unwrap().len(), 1);
    store
        .insert_platform(
            PlatformRow {
                client_id: "pl-b".to_owned(),
                sector: "sector-a".to_owned(),
                ..platform
            },
            b"entry".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.platform("pl-b").await.unwrap().unwrap().sector,
        "sector-a"
    );
}

/// Migration 7 turns the single CA of schema 6 into the current generation, and a
/// database whose CA was never certified into one with no generation.
#[tokio::test]
async fn migration_7_makes_the_installed_ca_the_current_generation() {
    for certified in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("netid.sqlite3");
        {
            let connection = database_of_schema(&path, 6);
            if certified {
                connection
                    .execute_batch(
                        "INSERT INTO ca_certificates VALUES ('root', x'01', 5); \
                         INSERT INTO ca_certificates VALUES ('issuing', x'02', 6); \
                         INSERT INTO ca_certificates VALUES ('ocsp-responder', x'03', 7);",
                    )
                    .unwrap();
            }
        }
        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(store.schema_version().await.unwrap(), latest_version());
        let generations = store.ca_generations().await.unwrap();
        if certified {
            assert_eq!(
                generations,
                vec![CaGeneration {
                    id: 1,
                    key_name: None,
                    root: vec![1],
                    issuing: vec![2],
                    responder: vec![3],
                    status: CaGenerationStatus::Current,
                    final_crl: None,
                    handover: None,
                }]
            );
        } else {
            assert!(generations.is_empty());
        }
    }
}

/// A database of schema 3 with a holder whose Net ID is in clear, a retired key and a
/// guardianship pointing at it: migration 4 rebuilds the table without breaking either
/// reference, and the legacy Net ID can then be sealed once.
#[tokio::test]
async fn migration_4_keeps_rows_and_references_and_legacy_net_ids_are_sealed_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("netid.sqlite3");
    {
        let connection = database_of_schema(&path, 3);
        connection
            .execute_batch(
                "INSERT INTO holders VALUES (7, 'LEGACYNETID01X', zeroblob(32), x'02', x'03', 'gm', \
                 x'04', x'05', 1, 1); \
                 INSERT INTO holders VALUES (8, 'LEGACYNETID02Y', randomblob(32), x'12', x'13', 'gm', \
                 x'14', x'15', 1, 1); \
                 INSERT INTO retired_wallet_keys VALUES (7, x'aa', x'bb', 'gm', 1); \
                 INSERT INTO guardianships VALUES (8, 7, 1);",
            )
            .unwrap();
    }
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), latest_version());
    let mut legacy = store.legacy_net_ids().await.unwrap();
    legacy.sort_by_key(|(id, _)| id.0);
    assert_eq!(
        legacy,
        vec![
            (HolderId(7), "LEGACYNETID01X".to_owned()),
            (HolderId(8), "LEGACYNETID02Y".to_owned())
        ]
    );
    assert_eq!(
        store.guardians_of(HolderId(8)).await.unwrap(),
        vec![HolderId(7)]
    );
    assert_eq!(
        store.retired_wallet_keys(HolderId(7)).await.unwrap().len(),
        1
    );
    // Unsealed rows are not handed out as holders.
    assert!(matches!(
        store.holder_by_wallet_key(&[0x02]).await,
        Err(Error::Corrupt { .. })
    ));

    let sealed = StoredNetId {
        index: BlindIndex::new([9; 32]),
        sealed: vec![1, 2, 3],
    };
    store
        .seal_legacy_net_id(HolderId(7), sealed.clone())
        .await
        .unwrap();
    let holder = store.holder_by_wallet_key(&[0x02]).await.unwrap().unwrap();
    assert_eq!(holder.net_id, sealed);
    assert!(matches!(
        store.seal_legacy_net_id(HolderId(7), sealed.clone()).await,
        Err(Error::NotFound { .. })
    ));
    // The blind index keeps Net IDs unique across old and new rows.
    assert!(matches!(
        store.seal_legacy_net_id(HolderId(8), sealed).await,
        Err(Error::AlreadyExists {
            what: Conflict::NetId
        })
    ));
    // Foreign keys are on again after the migrations.
    assert_eq!(store.pragma("foreign_keys").await.unwrap(), "1");
}
