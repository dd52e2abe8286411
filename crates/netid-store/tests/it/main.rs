//! netid-store on real SQLite files in temporary directories and, when
//! `NETID_TEST_DATABASE_URL` names a PostgreSQL server (`scripts/postgres-for-tests` starts
//! one), on a fresh PostgreSQL database per test.
//!
//! Each backend-neutral test is an `async fn name(store: &dyn Store)`, listed once in
//! [`on_both_backends!`], which runs it as `sqlite::name` and `postgresql::name`. Tests that
//! read SQLite's files or pragmas stay SQLite-only; `on_postgres` has PostgreSQL's own.

// A test binary: helpers outside `#[test]` functions should fail loudly too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::as_conversions
)]

use netid_store::prelude::*;
use netid_store::{
    AuthorityRow, BlindIndex, CaChange, CaGeneration, CaGenerationStatus, CertificateRow, Conflict,
    CredentialRow, DeferralCountsRow, Error, HolderId, NewHolder, NoticeDeferralRow, OidcClientRow,
    OperatorReadRow, PasskeyRow, PlatformField, PlatformRow, RosterRow, SqliteStore, Store,
    StoredNetId, Timestamp, WalletKeyRow,
};

mod on_postgres;

/// The schema version this build migrates both backends to.
const LATEST_SCHEMA: u32 = 17;

/// Runs each listed `async fn name(store: &dyn Store)` on both backends: `sqlite::name` on a
/// temporary file, `postgresql::name` on a fresh database (skipped when
/// `NETID_TEST_DATABASE_URL` is not set).
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let store = super::open(&dir).await;
                    super::$name(&store).await;
                }
            )*
        }
        mod postgresql {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(database) = super::on_postgres::TestDatabase::create().await else {
                        return;
                    };
                    super::$name(&database.store).await;
                }
            )*
        }
    };
}

on_both_backends!(
    service_key_names_are_unique,
    holders_are_found_by_person_and_by_current_wallet_key,
    net_id_collision_person_and_wallet_key_conflicts_store_nothing,
    enrollment_code_used_by_another_person_is_refused_and_nothing_is_stored,
    replacing_a_wallet_key_retires_the_old_one,
    guardianship_is_recorded_with_the_enrollment,
    roster_load_replaces_the_authority_roster_and_needs_a_known_authority,
    platforms_are_unique_and_nonces_cannot_be_replayed_until_they_expire,
    wallet_requests_cannot_be_used_twice_until_they_expire,
    wrong_codes_are_counted_per_record_and_code_across_roster_loads,
    first_run_initialisation_is_all_or_nothing,
    log_entries_are_appended_with_their_acts_and_only_with_them,
    checkpoints_are_stored_once_per_size_and_the_latest_is_found,
    certificates_are_issued_revoked_once_and_listed_until_expiry,
    ca_generations_roll_over_recertify_inherit_and_hand_over,
    net_certificates_are_issued_in_batches_and_revoked_on_recovery,
    only_approved_and_consented_fields_are_disclosable,
    operator_reads_are_logged_with_the_holder_counted_and_unlinked_on_deletion,
    oidc_clients_are_set_per_platform_and_one_time_values_refuse_replays,
    passkeys_sign_in_their_holder_and_go_with_deletion,
    concurrent_writes_each_get_their_own_answer,
);

fn index(byte: u8) -> BlindIndex {
    BlindIndex::new([byte; BlindIndex::LEN])
}

/// A stored Net ID: the store sees only its blind index and sealed bytes.
fn net_id(seed: u8) -> StoredNetId {
    StoredNetId {
        index: index(seed.wrapping_add(0x80)),
        sealed: vec![seed; 40],
    }
}

fn wallet_key(byte: u8) -> WalletKeyRow {
    WalletKeyRow {
        fingerprint: vec![byte; 32],
        spki: vec![byte; 91],
        suite: "gm".to_owned(),
    }
}

fn new_holder(seed: u8) -> NewHolder {
    NewHolder {
        net_id: net_id(seed),
        person_index: index(seed),
        wallet_key: wallet_key(seed),
        wrapped_data_key: vec![seed; 44],
        sealed_personal: vec![seed; 100],
    }
}

async fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("netid.sqlite3"))
        .await
        .unwrap()
}

const T0: Timestamp = Timestamp(1_800_000_000);

/// A log entry; the store treats leaves as opaque bytes.
fn leaf() -> Vec<u8> {
    b"{\"v\":1,\"kind\":\"test\"}".to_vec()
}

#[tokio::test]
async fn open_uses_wal_and_full_synchronous_commits_and_migrates() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    assert_eq!(store.pragma("journal_mode").await.unwrap(), "wal");
    // 2 = FULL.
    assert_eq!(store.pragma("synchronous").await.unwrap(), "2");
    assert_eq!(store.pragma("foreign_keys").await.unwrap(), "1");
    assert_eq!(store.pragma("secure_delete").await.unwrap(), "1");
    assert_eq!(store.schema_version().await.unwrap(), LATEST_SCHEMA);
}

#[tokio::test]
async fn data_survives_reopening_and_migrations_are_not_rerun() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir).await;
        store
            .insert_service_key("mac-pairwise", vec![1, 2, 3], T0)
            .await
            .unwrap();
        store
            .enroll_holder(new_holder(7), None, None, leaf(), T0)
            .await
            .unwrap();
    }
    let store = open(&dir).await;
    assert_eq!(store.schema_version().await.unwrap(), LATEST_SCHEMA);
    assert_eq!(
        store.service_key("mac-pairwise").await.unwrap(),
        Some(vec![1, 2, 3])
    );
    assert!(store.has_service_keys().await.unwrap());
    assert_eq!(store.holder_count().await.unwrap(), 1);
}

#[tokio::test]
async fn database_of_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("netid.sqlite3");
    drop(SqliteStore::open(&path).await.unwrap());
    let connection = rusqlite_connection(&path);
    connection
        .execute("INSERT INTO schema_version (version) VALUES (99)", [])
        .unwrap();
    drop(connection);
    let error = SqliteStore::open(&path).await.unwrap_err();
    assert!(matches!(
        error,
        Error::SchemaTooNew {
            found: 99,
            supported: LATEST_SCHEMA
        }
    ));
}

fn rusqlite_connection(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// After [`deletion_empties_the_holder_and_revokes_what_was_theirs`]: the used code stays
/// used, but no longer names the person or the time, and no certificate names a holder.
#[tokio::test]
async fn deletion_left_no_link_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    deletion_empties_the_holder_and_revokes_what_was_theirs(&store).await;
    let connection = rusqlite_connection(&dir.path().join("netid.sqlite3"));
    let (person, used_at): (Vec<u8>, i64) = connection
        .query_row(
            "SELECT person_index, used_at FROM used_enrollment_codes",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_ne!(person, index(1).as_bytes().to_vec());
    assert_eq!(person.len(), 32);
    assert_eq!(used_at, 0);
    let linked: i64 = connection
        .query_row(
            "SELECT COUNT(*) FROM certificates WHERE holder_id IS NOT NULL",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(linked, 0);
}

async fn service_key_names_are_unique(store: &dyn Store) {
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

async fn holders_are_found_by_person_and_by_current_wallet_key(store: &dyn Store) {
    let id = store
        .enroll_holder(new_holder(1), Some(index(0xc1)), None, leaf(), T0)
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

async fn net_id_collision_person_and_wallet_key_conflicts_store_nothing(store: &dyn Store) {
    store
        .enroll_holder(new_holder(1), None, None, leaf(), T0)
        .await
        .unwrap();

    let mut same_net_id = new_holder(2);
    same_net_id.net_id = net_id(1);
    let error = store
        .enroll_holder(same_net_id, Some(index(0xc2)), None, leaf(), T0)
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
        .enroll_holder(same_person, None, None, leaf(), T0)
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
        .enroll_holder(same_key, None, None, leaf(), T0)
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
        .enroll_holder(new_holder(5), Some(index(0xc2)), None, leaf(), T0)
        .await
        .unwrap();
}

async fn enrollment_code_used_by_another_person_is_refused_and_nothing_is_stored(
    store: &dyn Store,
) {
    let first = store
        .enroll_holder(new_holder(1), Some(index(0xcc)), None, leaf(), T0)
        .await
        .unwrap();
    let error = store
        .enroll_holder(new_holder(2), Some(index(0xcc)), None, leaf(), T0)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::EnrollmentCodeClaimed));
    assert_eq!(store.holder_count().await.unwrap(), 1);
    // Codes are one-time, even for the same person: a used code recovers nobody.
    let error = store
        .replace_wallet_key(
            first,
            wallet_key(9),
            Some(index(0xcc)),
            None,
            leaf(),
            vec![],
            T0,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::EnrollmentCodeClaimed));
    assert!(store.retired_wallet_keys(first).await.unwrap().is_empty());
}

async fn replacing_a_wallet_key_retires_the_old_one(store: &dyn Store) {
    let id = store
        .enroll_holder(new_holder(1), None, None, leaf(), T0)
        .await
        .unwrap();
    store
        .replace_wallet_key(
            id,
            wallet_key(2),
            None,
            None,
            leaf(),
            vec![],
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
        .replace_wallet_key(HolderId(999), wallet_key(3), None, None, leaf(), vec![], T0)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotFound { what: "holder" }));
}

async fn guardianship_is_recorded_with_the_enrollment(store: &dyn Store) {
    let guardian = store
        .enroll_holder(new_holder(1), None, None, leaf(), T0)
        .await
        .unwrap();
    let minor = store
        .enroll_holder(new_holder(2), None, Some(guardian), leaf(), T0)
        .await
        .unwrap();
    assert_eq!(store.guardians_of(minor).await.unwrap(), vec![guardian]);
    assert_eq!(store.guardians_of(guardian).await.unwrap(), vec![]);
}

async fn roster_load_replaces_the_authority_roster_and_needs_a_known_authority(store: &dyn Store) {
    let row = |byte| RosterRow {
        document_index: index(byte),
        person_index: index(byte + 100),
        sealed: vec![byte; 10],
        code_failures: None,
    };
    let error = store
        .replace_roster("test-authority", "2026-11-01", vec![row(1)], leaf(), T0)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotFound { what: "authority" }));
    assert_eq!(store.roster_record(&index(1)).await.unwrap(), None);

    let authority = AuthorityRow {
        name: "test-authority".to_owned(),
        suite: "gm".to_owned(),
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
            "test-authority",
            "2026-11-01",
            vec![row(1), row(2)],
            leaf(),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(store.roster_record(&index(2)).await.unwrap(), Some(row(2)));
    store
        .replace_roster("test-authority", "2026-11-02", vec![row(3)], leaf(), T0)
        .await
        .unwrap();
    assert_eq!(store.roster_record(&index(1)).await.unwrap(), None);
    assert_eq!(store.roster_record(&index(3)).await.unwrap(), Some(row(3)));

    // An older roster cannot be replayed over the newer one, and changes nothing.
    let error = store
        .replace_roster("test-authority", "2026-10-31", vec![row(1)], leaf(), T0)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::StaleRoster), "{error:?}");
    assert_eq!(store.roster_record(&index(1)).await.unwrap(), None);
    assert_eq!(store.roster_record(&index(3)).await.unwrap(), Some(row(3)));
}

async fn platforms_are_unique_and_nonces_cannot_be_replayed_until_they_expire(store: &dyn Store) {
    let platform = PlatformRow {
        client_id: "p-1".to_owned(),
        credential_hash: vec![9; 32],
        sector: "sector-1".to_owned(),
        name: "example".to_owned(),
        registered_at: T0,
    };
    store
        .insert_platform(platform.clone(), leaf())
        .await
        .unwrap();
    assert_eq!(store.platform("p-1").await.unwrap(), Some(platform.clone()));
    let error = store.insert_platform(platform, leaf()).await.unwrap_err();
    assert!(matches!(
        error,
        Error::AlreadyExists {
            what: Conflict::Platform
        }
    ));

    let holder = store
        .enroll_holder(new_holder(1), None, None, leaf(), T0)
        .await
        .unwrap();
    let expires = Timestamp(T0.0 + 300);
    store
        .record_verification(
            "p-1",
            index(5),
            expires,
            holder,
            vec![1; 32],
            leaf(),
            leaf(),
            None,
            T0,
        )
        .await
        .unwrap();
    let error = store
        .record_verification(
            "p-1",
            index(5),
            expires,
            holder,
            vec![1; 32],
            leaf(),
            leaf(),
            None,
            T0,
        )
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        Error::AlreadyExists {
            what: Conflict::Nonce
        }
    ));
    // After expiry the row is purged; freshness checks reject such old presentations anyway.
    store
        .record_verification(
            "p-1",
            index(5),
            Timestamp(T0.0 + 900),
            holder,
            vec![1; 32],
            leaf(),
            leaf(),
            None,
            Timestamp(T0.0 + 301),
        )
        .await
        .unwrap();
}

async fn oidc_clients_are_set_per_platform_and_one_time_values_refuse_replays(store: &dyn Store) {
    let mut client = OidcClientRow {
        client_id: "p-oidc".to_owned(),
        redirect_uris: vec!["https://rp.example/cb".to_owned()],
        jwks: r#"{"keys":[]}"#.to_owned(),
        id_token_alg: "ES256".to_owned(),
        auth_method: "private_key_jwt".to_owned(),
        updated_at: T0,
    };
    // Only a registered platform has client settings.
    assert!(matches!(
        store.set_oidc_client(client.clone()).await.unwrap_err(),
        Error::NotFound { .. }
    ));
    assert_eq!(store.oidc_client("p-oidc").await.unwrap(), None);
    let platform = PlatformRow {
        client_id: "p-oidc".to_owned(),
        credential_hash: vec![9; 32],
        sector: "sector-oidc".to_owned(),
        name: "example".to_owned(),
        registered_at: T0,
    };
    store.insert_platform(platform, leaf()).await.unwrap();
    store.set_oidc_client(client.clone()).await.unwrap();
    assert_eq!(
        store.oidc_client("p-oidc").await.unwrap(),
        Some(client.clone())
    );
    // Setting again replaces.
    client.redirect_uris = vec![
        "https://rp.example/a".to_owned(),
        "https://rp.example/b".to_owned(),
    ];
    client.id_token_alg = "SM2SM3".to_owned();
    client.auth_method = "tls_client_auth".to_owned();
    client.updated_at = Timestamp(T0.0 + 1);
    store.set_oidc_client(client.clone()).await.unwrap();
    assert_eq!(store.oidc_client("p-oidc").await.unwrap(), Some(client));

    let expires = Timestamp(T0.0 + 60);
    store
        .use_nonce("p-oidc", index(7), expires, T0)
        .await
        .unwrap();
    assert!(matches!(
        store
            .use_nonce("p-oidc", index(7), expires, T0)
            .await
            .unwrap_err(),
        Error::AlreadyExists {
            what: Conflict::Nonce
        }
    ));
    // Another value, and the same value once it has expired, are fine.
    store
        .use_nonce("p-oidc", index(8), expires, T0)
        .await
        .unwrap();
    store
        .use_nonce(
            "p-oidc",
            index(7),
            Timestamp(T0.0 + 200),
            Timestamp(T0.0 + 61),
        )
        .await
        .unwrap();
}

/// Wrong codes are counted against a record's current code, kept when the roster is loaded
/// again, and counted afresh for a new code; a document on no roster counts nothing.
async fn wrong_codes_are_counted_per_record_and_code_across_roster_loads(store: &dyn Store) {
    let row = |byte| RosterRow {
        document_index: index(byte),
        person_index: index(byte + 100),
        sealed: vec![byte; 10],
        code_failures: None,
    };
    let authority = AuthorityRow {
        name: "code-authority".to_owned(),
        suite: "gm".to_owned(),
        public_key_spki: vec![4; 91],
        registered_at: T0,
    };
    store.upsert_authority(authority, leaf()).await.unwrap();
    store
        .replace_roster("code-authority", "2026-11-01", vec![row(1)], leaf(), T0)
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
        .replace_roster("code-authority", "2026-11-02", vec![row(1)], leaf(), T0)
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
async fn wallet_requests_cannot_be_used_twice_until_they_expire(store: &dyn Store) {
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
    // Past its expiry the row is purged, and the index may be used again.
    store
        .use_wallet_request(index(1), Timestamp(T0.0 + 1200), Timestamp(T0.0 + 601))
        .await
        .unwrap();
}

/// An interrupted or failed first run stores nothing: the next start simply runs it again.
async fn first_run_initialisation_is_all_or_nothing(store: &dyn Store) {
    // A repeated key name fails the transaction half-way: nothing may remain.
    let error = store
        .initialise(
            vec![("a".to_owned(), vec![1]), ("a".to_owned(), vec![2])],
            vec![9; 32],
            T0,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::AlreadyExists { .. }), "{error:?}");
    assert!(!store.has_service_keys().await.unwrap());
    assert!(store.operator_credentials().await.unwrap().is_empty());

    store
        .initialise(
            vec![("a".to_owned(), vec![1]), ("b".to_owned(), vec![2])],
            vec![9; 32],
            T0,
        )
        .await
        .unwrap();
    assert_eq!(store.service_key("b").await.unwrap(), Some(vec![2]));
    assert_eq!(
        store.operator_credentials().await.unwrap(),
        vec![vec![9; 32]]
    );
}

/// Each act appends its entry in its own transaction: a refused act leaves no entry, indexes
/// have no gaps, and a holder's entries are found by holder.
async fn log_entries_are_appended_with_their_acts_and_only_with_them(store: &dyn Store) {
    assert_eq!(store.log_size().await.unwrap(), 0);
    let entry = |n: u8| format!("{{\"n\":{n}}}").into_bytes();
    let first = store
        .enroll_holder(new_holder(1), Some(index(0xc1)), None, entry(0), T0)
        .await
        .unwrap();
    // Refused: the code is used. Its entry must not appear.
    store
        .enroll_holder(new_holder(2), Some(index(0xc1)), None, entry(99), T0)
        .await
        .unwrap_err();
    let second = store
        .enroll_holder(new_holder(3), None, None, entry(1), T0)
        .await
        .unwrap();
    store
        .replace_wallet_key(first, wallet_key(9), None, None, entry(2), vec![], T0)
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

/// Writes sent at once (which SQLite commits together, each in its own savepoint) each get
/// their own answer: a replayed nonce, a holder whose wallet key changed or an enrollment of
/// a person already enrolled is refused and leaves nothing, not even what it wrote before it
/// failed, while the others are stored with one log entry each.
async fn concurrent_writes_each_get_their_own_answer(store: &dyn Store) {
    store
        .insert_platform(
            PlatformRow {
                client_id: "p-1".to_owned(),
                credential_hash: vec![9; 32],
                sector: "sector-1".to_owned(),
                name: "example".to_owned(),
                registered_at: T0,
            },
            leaf(),
        )
        .await
        .unwrap();
    let holder = store
        .enroll_holder(new_holder(1), None, None, leaf(), T0)
        .await
        .unwrap();
    let before = store.log_size().await.unwrap();
    let expires = Timestamp(T0.0 + 300);
    // Nonce n % 40 for n in 0..80: each of 40 nonces twice. Every fifth call names a wallet
    // key the holder does not have.
    let calls = (0u8..80).map(|n| {
        let wallet = if n % 5 == 4 { vec![7; 32] } else { vec![1; 32] };
        store.record_verification(
            "p-1",
            index(n % 40),
            expires,
            holder,
            wallet,
            vec![n],
            leaf(),
            None,
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
        store.enroll_holder(new_holder(2), None, None, leaf(), T0),
        store.enroll_holder(again, Some(index(0xc2)), None, leaf(), T0),
    );
    first.unwrap();
    assert!(matches!(
        second.unwrap_err(),
        Error::AlreadyExists {
            what: Conflict::Person
        }
    ));
    store
        .enroll_holder(new_holder(3), Some(index(0xc2)), None, leaf(), T0)
        .await
        .unwrap();
}

async fn checkpoints_are_stored_once_per_size_and_the_latest_is_found(store: &dyn Store) {
    assert_eq!(store.latest_checkpoint().await.unwrap(), None);
    store
        .insert_checkpoint(1, "one".to_owned(), T0)
        .await
        .unwrap();
    store
        .insert_checkpoint(5, "five".to_owned(), T0)
        .await
        .unwrap();
    let error = store
        .insert_checkpoint(5, "other five".to_owned(), T0)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        Error::AlreadyExists {
            what: Conflict::Checkpoint
        }
    ));
    assert_eq!(
        store.latest_checkpoint().await.unwrap(),
        Some((5, "five".to_owned()))
    );
}

fn certificate(serial: u8, holder: Option<HolderId>, not_after: i64) -> CertificateRow {
    CertificateRow {
        serial: vec![serial; 16],
        holder,
        profile: "holder-signing".to_owned(),
        der: vec![0x30, serial],
        not_after: Timestamp(not_after),
        issued_at: T0,
        revoked: None,
    }
}

/// Certificates: issued with their entry, revoked once (by their holder only), listed for the
/// CRL until they expire; the CA's own certificates are installed in one transaction.
async fn certificates_are_issued_revoked_once_and_listed_until_expiry(store: &dyn Store) {
    let holder = store
        .enroll_holder(new_holder(1), None, None, leaf(), T0)
        .await
        .unwrap();
    let other = store
        .enroll_holder(new_holder(2), None, None, leaf(), T0)
        .await
        .unwrap();
    assert_eq!(store.holder(other).await.unwrap().unwrap().id, other);
    assert_eq!(store.holder(HolderId(999)).await.unwrap(), None);
    store
        .change_ca(
            CaChange::Install(generation(Some("ca-issuing-gm"), 1)),
            vec![certificate(9, None, T0.0 + 1000)],
            leaf(),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(store.ca_generations().await.unwrap().len(), 1);
    let size = store.log_size().await.unwrap();
    store
        .insert_certificate(certificate(1, Some(holder), T0.0 + 1000), leaf())
        .await
        .unwrap();
    let error = store
        .insert_certificate(certificate(1, Some(holder), T0.0 + 1000), leaf())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        Error::AlreadyExists {
            what: Conflict::Certificate
        }
    ));
    store
        .insert_certificate(certificate(2, Some(holder), T0.0 + 10), leaf())
        .await
        .unwrap();
    assert_eq!(store.holder_log_indexes(holder).await.unwrap().len(), 3);

    // Another holder cannot revoke it; its holder can, once.
    let refused = store
        .revoke_certificate(&[1; 16], Some(other), "key-compromise", leaf(), T0)
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::NotFound { .. }));
    let at = Timestamp(T0.0 + 5);
    assert!(
        store
            .revoke_certificate(&[1; 16], Some(holder), "key-compromise", leaf(), at)
            .await
            .unwrap()
    );
    assert!(
        !store
            .revoke_certificate(&[1; 16], Some(holder), "key-compromise", leaf(), at)
            .await
            .unwrap()
    );
    assert!(
        store
            .revoke_certificate(&[2; 16], None, "superseded", leaf(), at)
            .await
            .unwrap()
    );
    assert_eq!(store.log_size().await.unwrap(), size + 4);
    let stored = store.certificate(&[1; 16]).await.unwrap().unwrap();
    assert_eq!(stored.revoked, Some((at, "key-compromise".to_owned())));
    assert_eq!(store.certificate(&[7; 16]).await.unwrap(), None);

    // Certificate 2 expires at T0 + 10: it leaves the CRL then.
    for (now, expected) in [(T0.0 + 6, vec![1, 2]), (T0.0 + 11, vec![1])] {
        let listed: Vec<u8> = store
            .revoked_certificates(Timestamp(now))
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.serial[0])
            .collect();
        assert_eq!(listed, expected);
    }
}

fn generation(key_name: Option<&str>, tag: u8) -> CaGeneration {
    CaGeneration {
        id: 0,
        key_name: key_name.map(str::to_owned),
        root: vec![tag, 1],
        issuing: vec![tag, 2],
        responder: vec![tag, 3],
        status: CaGenerationStatus::Current,
        final_crl: None,
        handover: None,
    }
}

/// Rollover retires the current CA; recertifying replaces a generation's certificates; an
/// inheritance and its records land together or not at all; a handover keeps each final CRL.
async fn ca_generations_roll_over_recertify_inherit_and_hand_over(store: &dyn Store) {
    let statuses = |generations: &[CaGeneration]| {
        generations
            .iter()
            .map(|generation| (generation.id, generation.status))
            .collect::<Vec<_>>()
    };
    store
        .change_ca(
            CaChange::Install(generation(Some("ca-issuing-intl"), 1)),
            vec![],
            leaf(),
            T0,
        )
        .await
        .unwrap();
    store
        .change_ca(
            CaChange::Install(generation(Some("ca-issuing-intl-2"), 2)),
            vec![],
            leaf(),
            T0,
        )
        .await
        .unwrap();
    let generations = store.ca_generations().await.unwrap();
    assert_eq!(
        statuses(&generations),
        vec![
            (1, CaGenerationStatus::Retired),
            (2, CaGenerationStatus::Current)
        ]
    );
    // The same key cannot start a second generation.
    assert!(
        store
            .change_ca(
                CaChange::Install(generation(Some("ca-issuing-intl-2"), 3)),
                vec![],
                leaf(),
                T0,
            )
            .await
            .is_err()
    );

    store
        .change_ca(
            CaChange::Recertify {
                id: 1,
                root: vec![7],
                issuing: vec![8],
                responder: vec![9],
            },
            vec![],
            leaf(),
            T0,
        )
        .await
        .unwrap();
    let first = store.ca_generations().await.unwrap().remove(0);
    assert_eq!(
        (first.root, first.issuing, first.responder),
        (vec![7], vec![8], vec![9])
    );
    assert!(matches!(
        store
            .change_ca(
                CaChange::Recertify {
                    id: 99,
                    root: vec![],
                    issuing: vec![],
                    responder: vec![],
                },
                vec![],
                leaf(),
                T0,
            )
            .await,
        Err(Error::NotFound { .. })
    ));

    // An inheritance whose records clash with a known serial changes nothing.
    store
        .insert_certificate(certificate(5, None, T0.0 + 1000), leaf())
        .await
        .unwrap();
    let log_size = store.log_size().await.unwrap();
    let inherited = || CaChange::Inherit(vec![generation(None, 4)]);
    assert!(matches!(
        store
            .change_ca(
                inherited(),
                vec![
                    certificate(6, None, T0.0 + 1000),
                    certificate(5, None, T0.0)
                ],
                leaf(),
                T0,
            )
            .await,
        Err(Error::AlreadyExists {
            what: Conflict::Certificate
        })
    ));
    assert_eq!(store.ca_generations().await.unwrap().len(), 2);
    assert_eq!(store.certificate(&[6; 16]).await.unwrap(), None);
    assert_eq!(store.log_size().await.unwrap(), log_size);
    store
        .change_ca(
            inherited(),
            vec![certificate(6, None, T0.0 + 1000)],
            leaf(),
            T0,
        )
        .await
        .unwrap();
    assert!(store.certificate(&[6; 16]).await.unwrap().is_some());

    store
        .change_ca(
            CaChange::HandOver {
                final_crls: vec![(1, vec![0xc1]), (2, vec![0xc2])],
                package: b"signed package".to_vec(),
            },
            vec![],
            leaf(),
            T0,
        )
        .await
        .unwrap();
    let generations = store.ca_generations().await.unwrap();
    assert_eq!(
        statuses(&generations),
        vec![
            (1, CaGenerationStatus::HandedOver),
            (2, CaGenerationStatus::HandedOver),
            (3, CaGenerationStatus::Inherited)
        ]
    );
    assert_eq!(generations[1].final_crl, Some(vec![0xc2]));
    // Neither a handed-over nor an inherited generation can be handed over or recertified.
    for id in [1, 3] {
        let again = CaChange::HandOver {
            final_crls: vec![(id, vec![0xc4])],
            package: vec![],
        };
        assert!(matches!(
            store.change_ca(again, vec![], leaf(), T0).await,
            Err(Error::NotFound { .. })
        ));
        let recertify = CaChange::Recertify {
            id,
            root: vec![],
            issuing: vec![],
            responder: vec![],
        };
        assert!(matches!(
            store.change_ca(recertify, vec![], leaf(), T0).await,
            Err(Error::NotFound { .. })
        ));
    }
    assert_eq!(generations[1].handover, Some(b"signed package".to_vec()));
    assert_eq!(generations[0].handover, None);
    assert_eq!(
        store
            .certificates()
            .await
            .unwrap()
            .iter()
            .map(|row| row.serial[0])
            .collect::<Vec<_>>(),
        vec![5, 6]
    );
    // An inherited CA is not this service's to hand over.
    assert_eq!(generations[2].final_crl, None);
}

fn credential(suite: &str, index: u64, expires_at: i64) -> CredentialRow {
    CredentialRow {
        suite: suite.to_owned(),
        status_index: index,
        issued_at: T0,
        expires_at: Timestamp(expires_at),
    }
}

/// Net Certificates: a batch lands whole or not at all (a taken index, a replaced wallet key
/// or the per-holder limit refuses it), indexes are per suite, a recovery revokes every one
/// of the holder's, and expired ones drop out of the revoked list and are forgotten.
async fn net_certificates_are_issued_in_batches_and_revoked_on_recovery(store: &dyn Store) {
    let holder = store
        .enroll_holder(new_holder(1), None, None, leaf(), T0)
        .await
        .unwrap();
    let other = store
        .enroll_holder(new_holder(2), None, None, leaf(), T0)
        .await
        .unwrap();
    let later = T0.0 + 1000;
    let issue = |holder: HolderId, key: u8, rows: Vec<CredentialRow>, now: i64| async move {
        store
            .issue_credentials(
                holder,
                vec![key; 32],
                rows,
                leaf(),
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
            .revoked_credentials("intl", T0)
            .await
            .unwrap()
            .is_empty()
    );

    store
        .replace_wallet_key(
            holder,
            wallet_key(9),
            None,
            None,
            leaf(),
            vec![],
            Timestamp(T0.0 + 1),
        )
        .await
        .unwrap();
    let mut revoked = store.revoked_credentials("intl", T0).await.unwrap();
    revoked.sort_unstable();
    assert_eq!(revoked, vec![5, 6]);
    assert_eq!(store.revoked_credentials("gm", T0).await.unwrap(), vec![5]);
    // Index 6 expired at T0 + 10: no longer listed after that. The old wallet key issues
    // nothing more.
    assert_eq!(
        store
            .revoked_credentials("intl", Timestamp(T0.0 + 100))
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
async fn deletion_empties_the_holder_and_revokes_what_was_theirs(store: &dyn Store) {
    let guardian = store
        .enroll_holder(new_holder(1), Some(index(0xcc)), None, leaf(), T0)
        .await
        .unwrap();
    let child = store
        .enroll_holder(new_holder(2), None, Some(guardian), leaf(), T0)
        .await
        .unwrap();
    store
        .insert_certificate(certificate(3, Some(guardian), T0.0 + 1000), leaf())
        .await
        .unwrap();
    store
        .issue_credentials(
            guardian,
            vec![1; 32],
            vec![credential("gm", 77, T0.0 + 1000)],
            leaf(),
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
                "cessation_of_operation".to_owned(),
                leaf(),
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
    assert_eq!(store.revoked_credentials("gm", T0).await.unwrap(), vec![77]);
    let revoked = store.certificate(&[3; 16]).await.unwrap().unwrap().revoked;
    assert_eq!(revoked, Some((T0, "cessation_of_operation".to_owned())));
    // The Net ID is never issued again: its blind index is still taken.
    let mut again = new_holder(3);
    again.net_id = net_id(1);
    assert!(matches!(
        store.enroll_holder(again, None, None, leaf(), T0).await,
        Err(Error::AlreadyExists {
            what: Conflict::NetId
        })
    ));
    // The same person (same person index) can enroll anew.
    let mut returning = new_holder(4);
    returning.person_index = index(1);
    store
        .enroll_holder(returning, None, None, leaf(), T0)
        .await
        .unwrap();
}

/// Grants and consents: a platform's fields are requested, then approved or refused; a
/// consent is only to an approved field; a field is disclosable only while approved and
/// consented; a replayed request changes nothing; withdrawal, a new request, a refusal and
/// deletion end consents, and a re-approval does not bring them back.
async fn only_approved_and_consented_fields_are_disclosable(store: &dyn Store) {
    let holder = store
        .enroll_holder(new_holder(1), None, None, leaf(), T0)
        .await
        .unwrap();
    store
        .insert_platform(
            PlatformRow {
                client_id: "p-1".to_owned(),
                credential_hash: vec![1],
                sector: "s-1".to_owned(),
                name: "platform".to_owned(),
                registered_at: T0,
            },
            leaf(),
        )
        .await
        .unwrap();
    let field = |name: &str| PlatformField {
        field: name.to_owned(),
        legal_basis: "Test Law art. 1".to_owned(),
        purpose: "testing".to_owned(),
        retention_days: 30,
        status: "requested".to_owned(),
    };
    let request = |fields: Vec<PlatformField>| async move {
        store
            .request_platform_fields("p-1", fields, T0)
            .await
            .unwrap()
    };
    let decide = |decisions: Vec<(&str, bool)>| {
        let decisions: Vec<(String, bool)> = decisions
            .into_iter()
            .map(|(field, approve)| (field.to_owned(), approve))
            .collect();
        async move {
            store
                .decide_platform_fields("p-1", decisions, leaf(), T0)
                .await
        }
    };
    let consent = |fields: &[&str], signed_at: i64| {
        let fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        async move {
            store
                .give_consents(
                    holder,
                    "p-1",
                    fields,
                    "v1".to_owned(),
                    Timestamp(signed_at),
                    leaf(),
                    T0,
                )
                .await
        }
    };
    let disclosable = || async move { store.disclosable_fields(holder, "p-1").await.unwrap() };
    request(vec![field("name"), field("net_id")]).await;
    assert!(matches!(
        consent(&["name"], T0.0 + 1).await,
        Err(Error::NotFound { .. })
    ));
    decide(vec![("name", true), ("net_id", false)])
        .await
        .unwrap();
    assert!(matches!(
        decide(vec![("birth_date", true)]).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        consent(&["net_id"], T0.0 + 2).await,
        Err(Error::NotFound { .. })
    ));
    assert!(disclosable().await.is_empty());
    assert_eq!(consent(&["name"], T0.0 + 10).await.unwrap().len(), 1);
    assert_eq!(disclosable().await, vec!["name"]);
    let statuses: Vec<(String, String)> = store
        .platform_fields("p-1")
        .await
        .unwrap()
        .into_iter()
        .map(|field| (field.field, field.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("name".to_owned(), "approved".to_owned()),
            ("net_id".to_owned(), "refused".to_owned())
        ]
    );
    let withdraw = |signed_at: i64| async move {
        store
            .withdraw_consents(
                holder,
                "p-1",
                vec!["name".to_owned()],
                Timestamp(signed_at),
                leaf(),
                T0,
            )
            .await
            .unwrap()
    };
    // A withdrawal signed before the consent is a replay; one signed in the same second or
    // later withdraws, once.
    assert_eq!(withdraw(T0.0 + 5).await, 0);
    assert_eq!(withdraw(T0.0 + 10).await, 1);
    assert_eq!(withdraw(T0.0 + 21).await, 0);
    assert!(disclosable().await.is_empty());
    // Replaying the old consent brings nothing back; a new one does.
    assert_eq!(consent(&["name"], T0.0 + 10).await.unwrap().len(), 0);
    assert!(disclosable().await.is_empty());
    assert_eq!(consent(&["name"], T0.0 + 30).await.unwrap().len(), 1);
    assert_eq!(disclosable().await, vec!["name"]);
    // A refusal ends it, and re-approval does not revive it.
    decide(vec![("name", false)]).await.unwrap();
    decide(vec![("name", true)]).await.unwrap();
    assert!(disclosable().await.is_empty());
    // A new request (new terms) ends consents too.
    assert_eq!(consent(&["name"], T0.0 + 40).await.unwrap().len(), 1);
    request(vec![field("name")]).await;
    decide(vec![("name", true)]).await.unwrap();
    assert!(disclosable().await.is_empty());
    // A consent signed before the terms it would consent to were set records nothing, even
    // where no consent was ended (issue 20: a delayed or replayed request).
    store
        .request_platform_fields("p-1", vec![field("name")], Timestamp(T0.0 + 100))
        .await
        .unwrap();
    store
        .decide_platform_fields(
            "p-1",
            vec![("name".to_owned(), true)],
            leaf(),
            Timestamp(T0.0 + 100),
        )
        .await
        .unwrap();
    assert_eq!(
        consent(&["name"], T0.0 + 99).await.unwrap(),
        Vec::<String>::new()
    );
    assert!(disclosable().await.is_empty());
    // Deletion ends them.
    assert_eq!(consent(&["name"], T0.0 + 150).await.unwrap(), vec!["name"]);
    let live = store.live_consents(holder).await.unwrap();
    assert_eq!(
        live.iter()
            .map(|row| (row.client_id.as_str(), row.field.as_str()))
            .collect::<Vec<_>>(),
        vec![("p-1", "name")]
    );
    let enrolled = store.holder_count().await.unwrap();
    store
        .delete_holder(
            holder,
            vec![1; 32],
            "cessation_of_operation".to_owned(),
            leaf(),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        store.holder_count().await.unwrap(),
        enrolled - 1,
        "a deleted holder is no longer counted"
    );
    assert!(disclosable().await.is_empty());
    assert!(store.live_consents(holder).await.unwrap().is_empty());
}

async fn passkeys_sign_in_their_holder_and_go_with_deletion(store: &dyn Store) {
    let holder = store
        .enroll_holder(new_holder(1), None, None, leaf(), T0)
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
        .replace_wallet_key(holder, wallet_key(2), None, None, leaf(), vec![], T0)
        .await
        .unwrap();
    assert_eq!(store.passkey(&[7; 16]).await.unwrap(), None);
    store.add_passkey(passkey.clone(), leaf()).await.unwrap();
    store
        .delete_holder(
            holder,
            vec![2; 32],
            "cessation_of_operation".to_owned(),
            leaf(),
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

async fn operator_reads_are_logged_with_the_holder_counted_and_unlinked_on_deletion(
    store: &dyn Store,
) {
    let holder = store
        .enroll_holder(new_holder(1), None, None, leaf(), T0)
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
        store
            .deferral_counts(Timestamp(T0.0 + 86_400))
            .await
            .unwrap(),
        counts(0)
    );

    store
        .delete_holder(
            holder,
            vec![1; 32],
            "cessation_of_operation".to_owned(),
            leaf(),
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
