//! PostgreSQL: a fresh database per test on the server `NETID_TEST_DATABASE_URL` names, and
//! the tests only PostgreSQL needs (migrations on a server, concurrent writers, redaction).

use netid_store::prelude::*;
use std::io::Write as _;
use std::sync::{Arc, Once};

use netid_store::{
    Conflict, Error, PlatformRow, PlatformStatus, PostgresOptions, PostgresStore, Timestamp,
};

use crate::{T0, deletion_empties_the_holder_and_revokes_what_was_theirs, index, leaf};

const URL_VARIABLE: &str = "NETID_TEST_DATABASE_URL";

/// A database created for one test, dropped (with any connection left) when it goes.
pub(crate) struct Database {
    admin_url: String,
    name: String,
    /// The URL of this database.
    pub(crate) url: String,
}

impl Database {
    /// A new empty database, or `None` (and a note, once) if no server is configured.
    pub(crate) async fn create() -> Option<Self> {
        Self::create_with("").await
    }

    /// A new empty database created with `options` (SQL after `CREATE DATABASE name`).
    pub(crate) async fn create_with(options: &str) -> Option<Self> {
        let Ok(admin_url) = std::env::var(URL_VARIABLE) else {
            static SKIPPED: Once = Once::new();
            // Straight to stderr: the test harness captures `eprintln!` of passing tests.
            SKIPPED.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "postgresql tests skipped: {URL_VARIABLE} not set"
                );
            });
            return None;
        };
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).unwrap();
        let name = format!(
            "netid_test_{}",
            random
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect::<String>()
        );
        let url = database_url(&admin_url, &name);
        let (admin, statement) = (
            admin_url.clone(),
            format!("CREATE DATABASE {name} {options}"),
        );
        tokio::task::spawn_blocking(move || admin_client(&admin).batch_execute(&statement))
            .await
            .unwrap()
            .unwrap();
        Some(Self {
            admin_url,
            name,
            url,
        })
    }

    /// A client of this database, outside the store (for rows [`Store`] does not show).
    pub(crate) async fn query<T: Send + 'static>(
        &self,
        call: impl FnOnce(&mut postgres::Client) -> T + Send + 'static,
    ) -> T {
        let url = self.url.clone();
        tokio::task::spawn_blocking(move || call(&mut admin_client(&url)))
            .await
            .unwrap()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // The synchronous client runs its own runtime, which cannot start on a thread that
        // is inside the test's; a plain thread can.
        let _ = std::thread::spawn(move || {
            if let Ok(mut client) = postgres::Client::connect(&url, postgres::NoTls) {
                let _ =
                    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}

/// A store on a fresh database; the store goes before its database.
pub(crate) struct TestDatabase {
    pub(crate) store: PostgresStore,
    pub(crate) database: Database,
}

impl TestDatabase {
    /// A migrated store on a new database, or `None` if no server is configured.
    pub(crate) async fn create() -> Option<Self> {
        let database = Database::create().await?;
        let store = PostgresStore::connect(&database.url, options())
            .await
            .unwrap();
        Some(Self { store, database })
    }
}

fn options() -> PostgresOptions {
    PostgresOptions {
        pool_size: 4,
        ..PostgresOptions::default()
    }
}

fn admin_client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

/// `admin_url` with its database replaced by `name` (URL form only, which the tests use).
fn database_url(admin_url: &str, name: &str) -> String {
    let scheme_end = admin_url.find("://").expect("a postgres:// url") + 3;
    let (base, query) = match admin_url.find('?') {
        Some(at) => admin_url.split_at(at),
        None => (admin_url, ""),
    };
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |at| scheme_end + at);
    format!("{}/{name}{query}", &base[..authority_end])
}

#[test]
fn database_url_replaces_only_the_database() {
    assert_eq!(
        database_url("postgres://netid@127.0.0.1:55432/postgres", "x"),
        "postgres://netid@127.0.0.1:55432/x"
    );
    assert_eq!(
        database_url("postgres://u@h/postgres?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
    assert_eq!(database_url("postgres://u@h", "x"), "postgres://u@h/x");
}

#[tokio::test]
async fn deletion_left_no_link_in_postgresql() {
    let Some(TestDatabase { store, database }) = TestDatabase::create().await else {
        return;
    };
    deletion_empties_the_holder_and_revokes_what_was_theirs(&store).await;
    let (person, used_at, linked) = database
        .query(|client| {
            let row = client
                .query_one(
                    "SELECT person_index, used_at FROM used_enrollment_codes",
                    &[],
                )
                .unwrap();
            let linked: i64 = client
                .query_one(
                    "SELECT COUNT(*) FROM certificates WHERE holder_id IS NOT NULL",
                    &[],
                )
                .unwrap()
                .get(0);
            (row.get::<_, Vec<u8>>(0), row.get::<_, i64>(1), linked)
        })
        .await;
    assert_ne!(person, index(1).as_bytes().to_vec());
    assert_eq!(person.len(), 32);
    assert_eq!(used_at, 0);
    assert_eq!(linked, 0);
}

#[tokio::test]
async fn postgres_migrations_run_once_each_and_a_newer_schema_is_refused() {
    let Some(database) = Database::create().await else {
        return;
    };
    {
        let store = PostgresStore::connect(&database.url, options())
            .await
            .unwrap();
        assert_eq!(store.schema_version().await.unwrap(), super::LATEST_SCHEMA);
        store.insert_service_key("k", vec![1], T0).await.unwrap();
    }
    let store = PostgresStore::connect(&database.url, options())
        .await
        .unwrap();
    assert_eq!(store.schema_version().await.unwrap(), super::LATEST_SCHEMA);
    assert_eq!(store.service_key("k").await.unwrap(), Some(vec![1]));
    let versions: i64 = database
        .query(|client| {
            client
                .query_one("SELECT COUNT(*) FROM schema_version", &[])
                .unwrap()
                .get(0)
        })
        .await;
    // Version 11 (SQLite's first eleven in one), then each later migration once.
    assert_eq!(versions, i64::from(super::LATEST_SCHEMA) - 10);
    drop(store);

    database
        .query(|client| {
            client
                .execute("INSERT INTO schema_version (version) VALUES (99)", &[])
                .unwrap()
        })
        .await;
    let error = PostgresStore::connect(&database.url, options())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::SchemaTooNew {
                found: 99,
                supported: super::LATEST_SCHEMA
            }
        ),
        "{error:?}"
    );
}

/// Two processes starting at once: the writers' lock makes one migrate and the other find
/// the schema in place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_migrations_started_at_once_migrate_once() {
    let Some(database) = Database::create().await else {
        return;
    };
    let (first, second) = tokio::join!(
        PostgresStore::connect(&database.url, options()),
        PostgresStore::connect(&database.url, options()),
    );
    assert_eq!(
        first.unwrap().schema_version().await.unwrap(),
        super::LATEST_SCHEMA
    );
    assert_eq!(
        second.unwrap().schema_version().await.unwrap(),
        super::LATEST_SCHEMA
    );
}

/// Many tasks appending at once: the log's indexes are 0..n with no gap, and each task's
/// entries are in the order its calls returned (commit order is index order).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_append_log_entries_without_gaps_in_commit_order() {
    const TASKS: u8 = 8;
    const EACH: u8 = 50;
    let Some(TestDatabase {
        store,
        database: _database,
    }) = TestDatabase::create().await
    else {
        return;
    };
    let store = Arc::new(store);
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            for call in 0..EACH {
                store
                    .insert_platform(
                        PlatformRow {
                            client_id: format!("p-{task}-{call}"),
                            credential_hash: vec![task, call],
                            sector: format!("sector-{task}"),
                            name: "P".to_owned(),
                            registered_at: T0,
                            status: PlatformStatus::Active,
                            status_since: None,
                            status_reason: None,
                            commitments_at: None,
                        },
                        vec![task, call],
                    )
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let n = u64::from(TASKS) * u64::from(EACH);
    assert_eq!(store.log_size().await.unwrap(), n);
    let entries = store.log_entries(0, n + 10).await.unwrap();
    assert_eq!(entries.len(), usize::try_from(n).unwrap());
    let mut next = [0u8; TASKS as usize];
    for entry in &entries {
        let (task, call) = (entry[0], entry[1]);
        assert_eq!(
            call,
            next[usize::from(task)],
            "task {task}'s entries out of order"
        );
        next[usize::from(task)] += 1;
    }
    assert!(next.iter().all(|count| *count == EACH));
}

/// A unique violation names its constraint, which picks the [`Conflict`].
#[tokio::test]
async fn postgres_unique_violations_map_to_their_conflict() {
    let Some(TestDatabase {
        store,
        database: _database,
    }) = TestDatabase::create().await
    else {
        return;
    };
    let platform = PlatformRow {
        client_id: "p".to_owned(),
        credential_hash: vec![1],
        sector: "s".to_owned(),
        name: "P".to_owned(),
        registered_at: T0,
        status: PlatformStatus::Active,
        status_since: None,
        status_reason: None,
        commitments_at: None,
    };
    store
        .insert_platform(platform.clone(), leaf())
        .await
        .unwrap();
    assert!(matches!(
        store.insert_platform(platform, leaf()).await,
        Err(Error::AlreadyExists {
            what: Conflict::Platform
        })
    ));
    // The failed inserts appended nothing.
    assert_eq!(store.log_size().await.unwrap(), 1);
}

/// PostgreSQL's DETAIL quotes the row (`Key (request_id)=(act-abab..)`): no message of ours
/// carries it.
#[tokio::test]
async fn postgres_errors_do_not_quote_stored_values() {
    let Some(TestDatabase {
        store,
        database: _database,
    }) = TestDatabase::create().await
    else {
        return;
    };
    store
        .add_operator(
            crate::operators::operator("op-a", "auditor"),
            b"{}".to_vec(),
        )
        .await
        .unwrap();
    let act = crate::operators::act("act-abababab", "op-a");
    store
        .request_act(act.clone(), b"{}".to_vec())
        .await
        .unwrap();
    let error = store.request_act(act, b"{}".to_vec()).await.unwrap_err();
    let Error::Postgres { source, .. } = &error else {
        panic!("expected a postgres error, got {error:?}");
    };
    assert_eq!(
        source.code(),
        Some(&postgres::error::SqlState::UNIQUE_VIOLATION)
    );
    assert!(
        source
            .unredacted()
            .as_db_error()
            .unwrap()
            .detail()
            .unwrap()
            .contains("abab")
    );
    for shown in [error.to_string(), format!("{error:?}"), format!("{source}")] {
        assert!(!shown.contains("abab"), "{shown}");
        assert!(!shown.contains("DETAIL"), "{shown}");
        assert!(shown.contains("operator_acts_pkey"), "{shown}");
    }
    assert!(std::error::Error::source(source).is_none());
}

/// The test cluster's server certificate, its own trust anchor (`scripts/postgres-for-tests
/// ca`); set with the URL.
const CA_VARIABLE: &str = "NETID_TEST_DATABASE_CA_FILE";

#[tokio::test]
async fn with_sslmode_require_every_connection_is_tls_to_a_verified_server() {
    let Some(database) = Database::create().await else {
        return;
    };
    let ca_file = std::env::var(CA_VARIABLE).unwrap_or_else(|_| {
        panic!("{CA_VARIABLE} must name the test cluster's certificate when {URL_VARIABLE} is set (scripts/test sets both)")
    });
    let separator = if database.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}sslmode=require", database.url);
    let with_ca = |ca_file: Option<std::path::PathBuf>| PostgresOptions {
        ca_file,
        ..options()
    };
    let store = PostgresStore::connect(&url, with_ca(Some(ca_file.clone().into())))
        .await
        .unwrap();
    assert_eq!(store.schema_version().await.unwrap(), super::LATEST_SCHEMA);
    // The store's sessions (the one that migrated is pooled) are TLS, and none is not.
    let sessions: Vec<bool> = database
        .query(|client| {
            client
                .query(
                    "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                     WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()",
                    &[],
                )
                .unwrap()
                .iter()
                .map(|row| row.get(0))
                .collect()
        })
        .await;
    assert!(
        !sessions.is_empty() && sessions.iter().all(|ssl| *ssl),
        "{sessions:?}"
    );

    // A server whose certificate chains to another CA, or to none of the public roots: no
    // connection.
    let files = tempfile::tempdir().unwrap();
    let other = files.path().join("other-ca.pem");
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args([
            "-keyout",
            "/dev/null",
            "-subj",
            "/CN=another test CA",
            "-days",
            "1",
            "-out",
        ])
        .arg(&other)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    for options in [with_ca(Some(other)), with_ca(None)] {
        let error = PostgresStore::connect(&url, options).await.unwrap_err();
        assert!(matches!(error, Error::Connect { .. }), "{error:?}");
    }
    // A CA file without sslmode=require is refused rather than left unused.
    let plain = PostgresStore::connect(&database.url, with_ca(Some(ca_file.into())))
        .await
        .unwrap_err();
    assert!(
        matches!(plain, Error::DatabaseCaFileWithoutTls),
        "{plain:?}"
    );
    // A CA file without a certificate in it is named.
    let empty = files.path().join("empty.pem");
    std::fs::write(&empty, "no certificate here\n").unwrap();
    let error = PostgresStore::connect(&url, with_ca(Some(empty)))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("empty.pem"), "{error}");
}

/// Text sorts by bytes, as SQLite's BINARY collation sorts it, even in a database whose
/// default collation puts `a` before `B`.
#[tokio::test]
async fn text_is_ordered_by_bytes_whatever_the_database_collation() {
    let Some(database) = Database::create_with(
        "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'",
    )
    .await
    else {
        return;
    };
    let store = PostgresStore::connect(&database.url, options())
        .await
        .unwrap();
    for name in ["b", "B", "a"] {
        store
            .recognise_foreign_ca(
                netid_store::ForeignCaRow {
                    name: name.to_owned(),
                    der: vec![1],
                    qualification: "q".to_owned(),
                    certificate_type: "t".to_owned(),
                    technical_standard: "s".to_owned(),
                    scenarios: vec![],
                    recognised_at: T0,
                },
                leaf(),
            )
            .await
            .unwrap();
    }
    let names: Vec<String> = store
        .foreign_cas()
        .await
        .unwrap()
        .into_iter()
        .map(|ca| ca.name)
        .collect();
    assert_eq!(names, ["B", "a", "b"]);
}

/// While another session holds the writers' lock, a write waits for it no longer than the
/// statement timeout, and reads do not wait at all.
#[tokio::test]
async fn writers_queue_on_the_lock_until_the_statement_timeout_and_readers_do_not() {
    let Some(database) = Database::create().await else {
        return;
    };
    let store = impatient_store(&database.url).await;
    store.insert_service_key("k", vec![1], T0).await.unwrap();
    let holder = LockHolder::take(&database.url, "pg_advisory_lock").await;

    let error = store
        .insert_service_key("other", vec![2], T0)
        .await
        .unwrap_err();
    let Error::Postgres { source, .. } = &error else {
        panic!("expected a postgres error, got {error:?}");
    };
    assert_eq!(
        source.code(),
        Some(&postgres::error::SqlState::QUERY_CANCELED)
    );
    assert_eq!(store.service_key("k").await.unwrap(), Some(vec![1]));

    holder.release().await;
    store
        .insert_service_key("other", vec![2], T0)
        .await
        .unwrap();
    assert_eq!(store.service_key("other").await.unwrap(), Some(vec![2]));
}

#[tokio::test]
async fn an_unreachable_server_is_a_connect_error() {
    // Port 1 on loopback refuses at once; no server is needed.
    let error = PostgresStore::connect(
        "postgres://netid@127.0.0.1:1/netid?connect_timeout=5",
        PostgresOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::Connect { .. }), "{error:?}");
}

/// Two nodes on one database enroll at once (grouped writes, which run beside each other):
/// each enrollment is stored under its own holder id, and the log's indexes are contiguous,
/// with each enrollment's entry once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_enroll_at_once_with_their_own_ids_and_a_log_without_gaps() {
    let Some(TestDatabase { store, database }) = TestDatabase::create().await else {
        return;
    };
    let other = PostgresStore::connect(&database.url, options())
        .await
        .unwrap();
    let nodes = [Arc::new(store), Arc::new(other)];
    let mut tasks = Vec::new();
    for seed in 0..200u8 {
        let node = Arc::clone(&nodes[usize::from(seed % 2)]);
        tasks.push(tokio::spawn(async move {
            node.enroll_holder(super::new_holder(seed), None, vec![], vec![seed], T0)
                .await
                .unwrap()
                .0
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap());
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 200);
    assert_eq!(nodes[0].log_size().await.unwrap(), 200);
    let mut entries = nodes[1].log_entries(0, 300).await.unwrap();
    assert_eq!(entries.len(), 200);
    entries.sort_unstable();
    let expected: Vec<Vec<u8>> = (0..200u8).map(|seed| vec![seed]).collect();
    assert_eq!(entries, expected);
}

/// Grouped writes take the writers' lock shared and other writes take it alone: while another
/// session holds it shared, an enrollment goes through and a service key's insert waits until
/// the statement timeout.
#[tokio::test]
async fn grouped_writes_share_the_writers_lock_and_other_writes_wait_for_it() {
    let Some(database) = Database::create().await else {
        return;
    };
    let store = impatient_store(&database.url).await;
    let holder = LockHolder::take(&database.url, "pg_advisory_lock_shared").await;

    store
        .enroll_holder(super::new_holder(1), None, vec![], leaf(), T0)
        .await
        .unwrap();
    let error = store
        .insert_service_key("other", vec![2], T0)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Postgres { .. }), "{error:?}");
    assert_eq!(store.log_size().await.unwrap(), 1);

    holder.release().await;
    store
        .insert_service_key("other", vec![2], T0)
        .await
        .unwrap();
}

/// The log's integration (its lease and its compare-and-swap) takes no writers' lock: it goes
/// on while another session holds that lock alone, where any other write would wait.
#[tokio::test]
async fn the_logs_integration_does_not_wait_for_the_writers_lock() {
    let Some(database) = Database::create().await else {
        return;
    };
    let store = impatient_store(&database.url).await;
    let holder = LockHolder::take(&database.url, "pg_advisory_lock").await;
    assert!(
        store
            .take_log_lease("node".to_owned(), T0, Timestamp(T0.0 + 3))
            .await
            .unwrap()
    );
    store
        .integrate(netid_store::Integration {
            from: 0,
            to: 0,
            tiles: Vec::new(),
            note: "empty".to_owned(),
            at: T0,
        })
        .await
        .unwrap();
    assert!(store.insert_service_key("k", vec![1], T0).await.is_err());
    holder.release().await;
}

/// A store whose statements give up after 300 ms.
async fn impatient_store(url: &str) -> PostgresStore {
    let options = PostgresOptions {
        pool_size: 2,
        statement_timeout: std::time::Duration::from_millis(300),
        ca_file: None,
    };
    PostgresStore::connect(url, options).await.unwrap()
}

/// Another session holding the store's writers' lock (`netidwr` in ASCII), taken with
/// `function` (alone or shared), until released.
struct LockHolder {
    release: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl LockHolder {
    async fn take(url: &str, function: &'static str) -> Self {
        const WRITER_LOCK: i64 = 0x006e_6574_6964_7772;
        let (locked, is_locked) = std::sync::mpsc::channel();
        let (release, is_released) = std::sync::mpsc::channel::<()>();
        let url = url.to_owned();
        let thread = std::thread::spawn(move || {
            let mut client = admin_client(&url);
            client
                .execute(&format!("SELECT {function}($1)"), &[&WRITER_LOCK])
                .unwrap();
            locked.send(()).unwrap();
            is_released.recv().ok();
        });
        tokio::task::spawn_blocking(move || is_locked.recv().unwrap())
            .await
            .unwrap();
        Self { release, thread }
    }

    async fn release(self) {
        self.release.send(()).unwrap();
        tokio::task::spawn_blocking(move || self.thread.join().unwrap())
            .await
            .unwrap();
    }
}
