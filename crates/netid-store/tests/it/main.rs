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
    AuthorityRow, BlindIndex, CaChange, CaGeneration, CaGenerationStatus, CertificateRow,
    ComplaintAction, ComplaintCategory, ComplaintHandling, ComplaintRow, ComplaintStatus, Conflict,
    ConsentChange, CredentialRow, DeferralCountsRow, Error, FieldStatus, HolderId, Integration,
    LogHead, NewCredentials, NewHolder, NewVerification, NoticeDeferralRow, OidcClientRow,
    OperatorReadRow, PasskeyRow, PlatformField, PlatformRow, PlatformStatus, Recovery, RosterRow,
    SqliteStore, Store, StoredNetId, Timestamp, WalletKeyRow,
};

mod ca;
mod consents;
mod credentials;
mod holders;
mod log;
mod migrations;
mod on_postgres;
mod operators;
mod passkeys;
mod pending;
mod platforms;
mod signals;

use ca::*;
use consents::*;
use credentials::*;
use holders::*;
use log::*;
use operators::*;
use passkeys::*;
use pending::*;
use platforms::*;
use signals::*;

/// The schema version this build migrates both backends to.
const LATEST_SCHEMA: u32 = 35;

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
    the_accepted_notice_is_recorded_with_each_acceptance,
    a_roster_load_updates_the_records_of_enrolled_holders,
    guardianship_is_recorded_with_the_enrollment,
    roster_load_replaces_the_authority_roster_and_needs_a_known_authority,
    platforms_are_unique_and_nonces_cannot_be_replayed_until_they_expire,
    wallet_requests_cannot_be_used_twice_until_they_expire,
    wrong_codes_are_counted_per_record_and_code_across_roster_loads,
    first_run_initialisation_is_all_or_nothing,
    log_entries_are_appended_with_their_acts_and_only_with_them,
    uses_are_forgotten_when_their_link_ends,
    integrations_move_the_log_head_only_from_where_it_was,
    one_integrator_holds_the_lease_until_it_lapses,
    certificates_are_issued_revoked_once_and_listed_until_expiry,
    ca_generations_roll_over_recertify_inherit_and_hand_over,
    net_certificates_are_issued_in_batches_and_revoked_on_recovery,
    only_approved_and_consented_fields_are_disclosable,
    grants_end_and_a_removed_platform_loses_its_consents,
    complaints_are_handled_until_closed_and_outlive_their_holder,
    signals_wait_for_their_platform_until_acknowledged_or_expired,
    operator_reads_are_logged_with_the_holder_counted_and_unlinked_on_deletion,
    oidc_clients_are_set_per_platform_and_one_time_values_refuse_replays,
    passkeys_sign_in_their_holder_and_go_with_deletion,
    concurrent_writes_each_get_their_own_answer,
    pending_values_expire_are_bounded_per_owner_and_change_once,
    a_holders_pending_values_go_with_deletion_and_recovery,
    operators_and_their_acts_move_only_from_where_they_were,
    security_events_chain_and_are_purged_from_the_oldest_end,
    an_operators_challenge_code_and_passkey_are_used_once,
    a_lock_is_set_once_by_the_current_key_and_revokes_net_certificates,
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
        suite: netid_crypto::SuiteId::Gm,
    }
}

fn new_holder(seed: u8) -> NewHolder {
    NewHolder {
        net_id: net_id(seed),
        person_index: index(seed),
        wallet_key: wallet_key(seed),
        wrapped_data_key: vec![seed; 44],
        sealed_personal: vec![seed; 100],
        notice_version: Some("notice-v1".to_owned()),
    }
}

async fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("netid.sqlite3"))
        .await
        .unwrap()
}

const T0: Timestamp = Timestamp(1_800_000_000);

/// A log entry; the store treats leaves as opaque bytes.
/// An active platform `client_id`, in a sector of its own.
fn platform_row(client_id: &str) -> PlatformRow {
    PlatformRow {
        client_id: client_id.to_owned(),
        credential_hash: client_id.as_bytes().to_vec(),
        sector: format!("sector-{client_id}"),
        name: "platform".to_owned(),
        registered_at: T0,
        status: PlatformStatus::Active,
        status_since: None,
        status_reason: None,
        commitments_at: None,
    }
}

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
            .enroll_holder(new_holder(7), None, vec![], leaf(), T0)
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

/// A stored value the build does not know (a suite, a field's status) is an error when read,
/// never a default: rows are read strictly.
#[tokio::test]
async fn unknown_stored_values_are_errors_not_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("netid.sqlite3");
    let store = SqliteStore::open(&path).await.unwrap();
    let id = store
        .enroll_holder(new_holder(7), None, vec![], leaf(), T0)
        .await
        .unwrap();
    assert!(store.holder(id).await.unwrap().is_some());
    rusqlite_connection(&path)
        .execute("UPDATE holders SET wallet_key_suite = 'rsa'", [])
        .unwrap();
    assert!(matches!(
        store.holder(id).await,
        Err(Error::Unreadable { .. })
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
