//! The PostgreSQL backend: the same [`Store`] with the same semantics as the SQLite backend,
//! for deployments that run a database server.
//!
//! Writers are serialised: every writing transaction first takes one transaction-scoped
//! advisory lock ([`WRITER_LOCK`]), so writes run one at a time as they do on SQLite. That
//! keeps the transparency log exact: an append takes `MAX(idx) + 1` inside its transaction,
//! so indexes have no gaps and commit order is index order, which the sequencer relies on.
//! Reads take no lock; each runs as one statement and sees what was committed before it.
//!
//! Group commit: verifications, nonces and enrollments queued while a writing transaction
//! runs go together in the next one, each in a savepoint of its own, and are answered after
//! its commit; the first of them to arrive commits the queue on a task of its own.
//!
//! Calls run on Tokio's blocking pool with the synchronous `postgres` client, like SQLite
//! calls, on a small pool of connections of our own (a semaphore bounds them; a connection is
//! opened when none is idle, and one that broke is dropped rather than returned).
//!
//! Text is ordered by `COLLATE "C"` (byte order), as SQLite's `BINARY` collation orders it,
//! whatever the database's default collation.
//!
//! Differences from SQLite that no caller can observe through [`Store`], documented here for
//! operators: there is no `secure_delete` or WAL truncation; a deleted holder's old row
//! versions stay in the table until vacuum, and in PostgreSQL's WAL and base backups, as
//! sealed data, blind indexes and a data key wrapped under the master key, which can still
//! unwrap it: bound WAL and backup retention (`docs/privacy.md`, invariant 4).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use postgres::types::ToSql;
use postgres::{Client, GenericClient, NoTls, Row, Transaction};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::PostgresError;
use crate::migrations_postgres::MIGRATIONS;
use crate::types::{
    AnyValue, AuthorityRow, BlindIndex, CaChange, CaGeneration, CaGenerationStatus, CertificateRow,
    ConsentRow, CredentialRow, DeferralCountsRow, ForeignCaRow, GroupCommitCounter, GroupCommits,
    GroupDone, HolderId, HolderRow, MAX_GROUP, NewHolder, NoticeDeferralRow, OidcClientRow,
    OperatorReadRow, PasskeyRow, PlatformField, PlatformRow, ResealedHolder, Revocation, RosterRow,
    SealedTagKey, StoredNetId, Timestamp, WalletKeyRow, answer_commit, grouped_answer,
    run_grouped_write,
};
use crate::{Conflict, Error, Store};

/// The key of the advisory lock every writing transaction (and migration) takes first: one
/// constant, so all writers of a database queue on it. The digits spell `netidwr` in ASCII so
/// that it is recognisable in `pg_locks`.
const WRITER_LOCK: i64 = 0x006e_6574_6964_7772;

/// How to run the pool of connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOptions {
    /// The most connections open at once (at least one is used).
    pub pool_size: usize,
    /// The longest a statement may run, waiting for the writers' lock included, before the
    /// server cancels it and the call fails with [`Error::Postgres`]; zero means no limit
    /// (PostgreSQL's meaning of `statement_timeout = 0`).
    pub statement_timeout: Duration,
    /// With `sslmode=require` in the URL: the CA certificates (a PEM file) the server's
    /// certificate must chain to, for the URL's host name; `None`: the public web PKI's roots.
    pub ca_file: Option<PathBuf>,
}

impl Default for PostgresOptions {
    /// Eight connections, thirty-second statements, the public roots.
    fn default() -> Self {
        Self {
            pool_size: 8,
            statement_timeout: Duration::from_secs(30),
            ca_file: None,
        }
    }
}

/// A [`Store`] on a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Arc<Pool>,
    grouped: Arc<Mutex<GroupQueue>>,
    group_commits: Arc<GroupCommitCounter>,
}

/// Grouped writes waiting for a transaction, and whether a task is committing them.
#[derive(Default)]
struct GroupQueue {
    writes: Vec<GroupedWrite>,
    leading: bool,
}

/// The work of a grouped write, run in a savepoint of the shared transaction.
type GroupedCall = Box<dyn FnOnce(&mut Transaction<'_>) -> Result<AnyValue, Error> + Send>;

/// A write that may share a transaction with others.
struct GroupedWrite {
    call: GroupedCall,
    reply: tokio::sync::oneshot::Sender<Result<AnyValue, Error>>,
}

impl core::fmt::Debug for PostgresStore {
    // The configuration may hold a password: print nothing of it.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (a `postgres://` URL or a key=value connection
    /// string) and runs the migrations this build knows. With `sslmode=require`, every
    /// connection is TLS and the server's certificate is verified (for the URL's host, against
    /// `options.ca_file` or the public roots); `prefer` (the default) and `disable` connect
    /// without TLS. [`Error::SchemaTooNew`] if a newer netid migrated the database.
    pub async fn connect(url: &str, options: PostgresOptions) -> Result<Self, Error> {
        let (config, tls) = parse_url(url, &options)?;
        if tls.is_none() && options.ca_file.is_some() {
            return Err(Error::DatabaseCaFileWithoutTls);
        }
        let pool = Arc::new(Pool {
            config,
            tls,
            statement_timeout: options.statement_timeout,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(tokio::sync::Semaphore::new(options.pool_size.max(1))),
        });
        let store = Self {
            pool,
            grouped: Arc::default(),
            group_commits: Arc::default(),
        };
        store.run(migrate).await?;
        Ok(store)
    }

    /// The schema version of the database.
    pub async fn schema_version(&self) -> Result<u32, Error> {
        self.run(schema_version).await
    }

    /// Runs `call` with a pooled connection on the blocking pool.
    async fn run<T, F>(&self, call: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Client) -> Result<T, Error> + Send + 'static,
    {
        let permit = Arc::clone(&self.pool.permits)
            .acquire_owned()
            .await
            .map_err(|_| Error::Internal("the postgresql pool's semaphore was closed"))?;
        let pool = Arc::clone(&self.pool);
        tokio::task::spawn_blocking(move || {
            let mut client = pool.take()?;
            let result = call(&mut client);
            pool.give_back(client);
            drop(permit);
            result
        })
        .await
        .map_err(|_| Error::Task)?
    }

    /// Runs `body` in one writing transaction: it holds the writers' lock, and commits if
    /// `body` succeeds (dropping the transaction on an error rolls it back).
    async fn write<T, F>(&self, operation: &'static str, body: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Transaction<'_>) -> Result<T, Error> + Send + 'static,
    {
        self.run(move |client| {
            let mut transaction = begin_write(client, operation)?;
            let value = body(&mut transaction)?;
            transaction.commit().map_err(database(operation))?;
            Ok(value)
        })
        .await
    }
}

impl PostgresStore {
    /// Runs `body` like [`Self::write`], but in a transaction it may share with other grouped
    /// writes (group commit): the writes queued while one transaction commits go together in
    /// the next, each in a savepoint of its own, so they pay for the writers' lock and the WAL
    /// flush once. If `body` fails, only its own writes are rolled back. The answer comes after
    /// the shared commit.
    async fn write_grouped<T, F>(&self, body: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Transaction<'_>) -> Result<T, Error> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let write = GroupedWrite {
            call: Box::new(move |transaction| {
                body(transaction).map(|value| -> AnyValue { Box::new(value) })
            }),
            reply,
        };
        let lead = {
            let mut queue = lock(&self.grouped);
            queue.writes.push(write);
            !std::mem::replace(&mut queue.leading, true)
        };
        if lead {
            // A task of its own, so that a caller who stops waiting cannot strand the queue.
            let store = self.clone();
            tokio::spawn(async move {
                // Whatever ends this task (no connection, the runtime shutting down before the
                // connection's turn), the guard answers what is still queued and lets the
                // next write lead.
                let mut guard = Leading {
                    queue: Arc::clone(&store.grouped),
                    cause: Some("the store was closing".to_owned()),
                };
                let queue = Arc::clone(&store.grouped);
                let counter = Arc::clone(&store.group_commits);
                let led = store
                    .run(move |client| {
                        commit_queued(client, &queue, &counter);
                        Ok(())
                    })
                    .await;
                // After a normal run the queue was found empty and handed back already.
                guard.cause = led.err().map(|error| error.to_string());
            });
        }
        grouped_answer(answer).await
    }
}

/// The leading task's hold on the queue. If the task ends without having committed the queue
/// to the end (`cause` says why), what is still queued is answered with that and the next
/// write may lead.
struct Leading {
    queue: Arc<Mutex<GroupQueue>>,
    cause: Option<String>,
}

impl Drop for Leading {
    fn drop(&mut self) {
        let Some(cause) = &self.cause else {
            return;
        };
        let mut queue = lock(&self.queue);
        for write in queue.writes.drain(..) {
            let _ = write.reply.send(Err(Error::RolledBack {
                cause: cause.clone(),
            }));
        }
        queue.leading = false;
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Commits the queued grouped writes, a group at a time, until none is left.
fn commit_queued(client: &mut Client, queue: &Mutex<GroupQueue>, counter: &GroupCommitCounter) {
    loop {
        let group: Vec<GroupedWrite> = {
            let mut queue = lock(queue);
            if queue.writes.is_empty() {
                queue.leading = false;
                return;
            }
            let take = queue.writes.len().min(MAX_GROUP);
            queue.writes.drain(..take).collect()
        };
        commit_group(client, group, counter);
    }
}

/// Runs each write in a savepoint of one writing transaction and commits it; then answers
/// each: its value, its own error (its savepoint rolled back), or the shared transaction's
/// failure.
fn commit_group(client: &mut Client, group: Vec<GroupedWrite>, counter: &GroupCommitCounter) {
    let rolled_back = |cause: &str| Error::RolledBack {
        cause: cause.to_owned(),
    };
    let mut transaction = match begin_write(client, "begin grouped writes") {
        Ok(transaction) => transaction,
        Err(error) => {
            let cause = error.to_string();
            for write in group {
                let _ = write.reply.send(Err(rolled_back(&cause)));
            }
            return;
        }
    };
    let mut done: GroupDone = Vec::with_capacity(group.len());
    let mut failed: Option<String> = None;
    for write in group {
        if let Some(cause) = &failed {
            let _ = write.reply.send(Err(rolled_back(cause)));
            continue;
        }
        let mut savepoint = match transaction.savepoint("grouped_write") {
            Ok(savepoint) => savepoint,
            Err(error) => {
                let cause = database("begin grouped write")(error).to_string();
                let _ = write.reply.send(Err(rolled_back(&cause)));
                failed = Some(cause);
                continue;
            }
        };
        match run_grouped_write(|| (write.call)(&mut savepoint)) {
            Ok(value) => match savepoint.commit() {
                Ok(()) => done.push((write.reply, value)),
                Err(error) => {
                    let cause = database("end grouped write")(error).to_string();
                    let _ = write.reply.send(Err(rolled_back(&cause)));
                    failed = Some(cause);
                }
            },
            // Dropping the savepoint rolls back to it: this write's rows go, the others stay.
            Err(error) => {
                drop(savepoint);
                let _ = write.reply.send(Err(error));
            }
        }
    }
    if let Some(cause) = failed {
        // Dropping the transaction rolls it back.
        drop(transaction);
        for (reply, _) in done {
            let _ = reply.send(Err(rolled_back(&cause)));
        }
        return;
    }
    // A failed commit may have reached the server: the outcome is unknown.
    let commit = transaction
        .commit()
        .map_err(|error| database("commit grouped writes")(error).to_string());
    answer_commit(done, commit, counter);
}

/// The configuration in `url`, and a TLS connector if it says `sslmode=require`.
fn parse_url(
    url: &str,
    options: &PostgresOptions,
) -> Result<(postgres::Config, Option<MakeRustlsConnect>), Error> {
    let config: postgres::Config = url.parse().map_err(connect_error)?;
    let tls = match config.get_ssl_mode() {
        postgres::config::SslMode::Disable | postgres::config::SslMode::Prefer => None,
        _ => Some(tls_connector(options.ca_file.as_deref())?),
    };
    Ok((config, tls))
}

fn connect_with(
    config: &postgres::Config,
    tls: Option<&MakeRustlsConnect>,
) -> Result<Client, Error> {
    match tls {
        Some(tls) => config.connect(tls.clone()),
        None => config.connect(NoTls),
    }
    .map_err(connect_error)
}

/// The key of the session lock a running netid server holds on its database ("netidsv" in
/// ASCII), so that a second server on the same database is refused.
const SERVER_LOCK: i64 = 0x006e_6574_6964_7376;

/// One running server's claim on a database: a session advisory lock on a connection of its
/// own. [`DatabaseClaim::release`] gives it up; dropping it does so a moment later.
pub struct DatabaseClaim {
    client: Option<Client>,
}

impl core::fmt::Debug for DatabaseClaim {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DatabaseClaim").finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Claims the database at `url` for one server; [`Error::InUse`] if another server holds
    /// it.
    pub async fn claim(url: &str, options: &PostgresOptions) -> Result<DatabaseClaim, Error> {
        let (config, tls) = parse_url(url, options)?;
        tokio::task::spawn_blocking(move || {
            let mut client = connect_with(&config, tls.as_ref())?;
            // Let PostgreSQL notice within a minute that a server's host has gone, and free
            // the claim, instead of after the system's two-hour keepalive default.
            client
                .batch_execute(
                    "SET tcp_keepalives_idle = 20; SET tcp_keepalives_interval = 5; \
                     SET tcp_keepalives_count = 4",
                )
                .map_err(database("claim the database"))?;
            let held: bool = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&SERVER_LOCK])
                .map_err(database("claim the database"))?
                .get(0);
            if held {
                Ok(DatabaseClaim {
                    client: Some(client),
                })
            } else {
                Err(Error::InUse)
            }
        })
        .await
        .map_err(|_| Error::Task)?
    }
}

impl DatabaseClaim {
    /// Checks that the claim still holds: its connection is alive and holds the lock.
    /// [`Error::ClaimLost`] once it does not; the claim cannot be checked again after that.
    pub async fn check(&mut self) -> Result<(), Error> {
        let lost = |cause: String| Error::ClaimLost { cause };
        let mut client = self
            .client
            .take()
            .ok_or_else(|| lost("it was found lost before".to_owned()))?;
        let (client, held) = tokio::task::spawn_blocking(move || {
            // This connection takes no other advisory lock, so any it holds is the claim.
            let held = client
                .query_one(
                    "SELECT count(*) > 0 FROM pg_locks \
                     WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted",
                    &[],
                )
                .map(|row| row.get::<_, bool>(0))
                .map_err(|error| database("check the claim")(error).to_string());
            (client, held)
        })
        .await
        .map_err(|_| Error::Task)?;
        match held {
            Ok(true) => {
                self.client = Some(client);
                Ok(())
            }
            // The client is closed off this async thread: its drop blocks.
            Ok(false) => {
                close_clients(vec![client]);
                Err(lost("the database no longer shows the lock".to_owned()))
            }
            Err(cause) => {
                close_clients(vec![client]);
                Err(lost(cause))
            }
        }
    }

    /// Gives the claim up: closes its connection, which ends the lock.
    pub async fn release(mut self) {
        if let Some(client) = self.client.take() {
            let _ = tokio::task::spawn_blocking(move || drop(client)).await;
        }
    }
}

impl Drop for DatabaseClaim {
    fn drop(&mut self) {
        close_clients(self.client.take().into_iter().collect());
    }
}

/// A TLS connector that verifies the server against the CAs in `ca_file`, or the public
/// web PKI's roots.
fn tls_connector(ca_file: Option<&Path>) -> Result<MakeRustlsConnect, Error> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let unusable = || Error::DatabaseCaFile {
                path: path.to_owned(),
            };
            let certificates: Vec<_> = CertificateDer::pem_file_iter(path)
                .and_then(Iterator::collect)
                .map_err(|_| unusable())?;
            let (added, _) = roots.add_parsable_certificates(certificates);
            if added == 0 {
                return Err(unusable());
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|_| Error::Internal("rustls refused its own default protocol versions"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// Idle connections and the permits that bound how many are open.
struct Pool {
    config: postgres::Config,
    /// Set when the URL requires TLS.
    tls: Option<MakeRustlsConnect>,
    statement_timeout: Duration,
    idle: Mutex<Vec<Client>>,
    permits: Arc<tokio::sync::Semaphore>,
}

impl Pool {
    /// An idle connection, or a new one.
    fn take(&self) -> Result<Client, Error> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        match idle {
            Some(client) => Ok(client),
            None => self.open(),
        }
    }

    /// Returns a connection that still works to the idle list.
    fn give_back(&self, client: Client) {
        if !client.is_closed() {
            self.idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(client);
        }
    }

    fn open(&self) -> Result<Client, Error> {
        let mut client = connect_with(&self.config, self.tls.as_ref())?;
        let milliseconds = u64::try_from(self.statement_timeout.as_millis()).unwrap_or(u64::MAX);
        // A number we format ourselves: nothing from outside reaches this SQL.
        // READ COMMITTED whatever the database's default: a write's `MAX(idx) + 1` must see
        // the rows committed while it waited for the writers' lock, which a snapshot taken
        // before the wait (REPEATABLE READ, SERIALIZABLE) would not.
        client
            .batch_execute(&format!(
                "SET statement_timeout = {milliseconds}; \
                 SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED"
            ))
            .map_err(connect_error)?;
        Ok(client)
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        close_clients(std::mem::take(
            self.idle
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        ));
    }
}

/// Closes `clients` where that is allowed. Closing a synchronous client blocks on its own
/// runtime, which panics on a thread that drives Tokio tasks, where the last handle to a store
/// or claim is usually dropped: there they are closed on a thread of their own. They travel in
/// a shared slot that this thread never drops, so that if the thread cannot start they are
/// leaked (closed when the process ends) rather than closed here.
fn close_clients(clients: Vec<Client>) {
    if clients.is_empty() || tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    let slot = Arc::new(Mutex::new(clients));
    let theirs = Arc::clone(&slot);
    let closing = std::thread::Builder::new()
        .name("netid-postgres-close".to_owned())
        .spawn(move || {
            let clients = std::mem::take(
                &mut *theirs
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            drop(clients);
        });
    drop(closing);
    std::mem::forget(slot);
}

/// Begins a writing transaction and takes the writers' lock, which it holds until it ends.
fn begin_write<'a>(
    client: &'a mut Client,
    operation: &'static str,
) -> Result<Transaction<'a>, Error> {
    let mut transaction = client.transaction().map_err(database(operation))?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&WRITER_LOCK])
        .map_err(database(operation))?;
    Ok(transaction)
}

fn schema_version(client: &mut impl GenericClient) -> Result<u32, Error> {
    let row = client
        .query_one("SELECT MAX(version) FROM schema_version", &[])
        .map_err(database("read schema version"))?;
    let version: Option<i64> = get(&row, 0, "read schema version")?;
    u32::try_from(version.unwrap_or(0)).map_err(|_| Error::Corrupt {
        column: "schema_version.version",
    })
}

/// Runs the migrations the database lacks, in one transaction holding the writers' lock, so
/// that two processes starting at once migrate once (the second finds the work done).
fn migrate(client: &mut Client) -> Result<(), Error> {
    let failed = |version: u32| move |source| postgres_migration(version, source);
    let mut transaction = client.transaction().map_err(failed(0))?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&WRITER_LOCK])
        .map_err(failed(0))?;
    transaction
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (
                version BIGINT PRIMARY KEY,
                applied_at BIGINT NOT NULL DEFAULT (EXTRACT(EPOCH FROM now())::BIGINT)
            );",
        )
        .map_err(failed(0))?;
    let current = schema_version(&mut transaction)?;
    let supported = MIGRATIONS.last().map_or(0, |(version, _)| *version);
    if current > supported {
        return Err(Error::SchemaTooNew {
            found: current,
            supported,
        });
    }
    // PostgreSQL databases start at version 11 (see `migrations_postgres`): a version below
    // the first script's, other than none, was never written by netid.
    let first = MIGRATIONS.first().map_or(0, |(version, _)| *version);
    if current != 0 && current < first {
        return Err(Error::Corrupt {
            column: "schema_version.version (below the first postgresql schema)",
        });
    }
    for (version, script) in MIGRATIONS.iter().filter(|(version, _)| *version > current) {
        transaction
            .batch_execute(script)
            .map_err(failed(*version))?;
        transaction
            .execute(
                "INSERT INTO schema_version (version) VALUES ($1)",
                &[&i64::from(*version)],
            )
            .map_err(failed(*version))?;
    }
    transaction.commit().map_err(failed(supported))
}

fn connect_error(source: postgres::Error) -> Error {
    Error::Connect {
        source: PostgresError::new(source),
    }
}

fn postgres_migration(version: u32, source: postgres::Error) -> Error {
    Error::PostgresMigration {
        version,
        source: PostgresError::new(source),
    }
}

/// Wraps a PostgreSQL error in [`Error::Postgres`] naming the operation.
fn database(operation: &'static str) -> impl Fn(postgres::Error) -> Error {
    move |source| Error::Postgres {
        operation,
        source: PostgresError::new(source),
    }
}

/// Maps a unique violation (SQLSTATE 23505) to [`Error::AlreadyExists`] via `classify`, which
/// reads the constraint's name (`holders_person_index_key`), and other errors to
/// [`Error::Postgres`].
fn insert_error(
    operation: &'static str,
    classify: impl Fn(&str) -> Conflict,
) -> impl Fn(postgres::Error) -> Error {
    move |source| {
        if source.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) {
            let constraint = source
                .as_db_error()
                .and_then(|db| db.constraint())
                .unwrap_or_default();
            Error::AlreadyExists {
                what: classify(constraint),
            }
        } else {
            database(operation)(source)
        }
    }
}

fn holder_conflict(constraint: &str) -> Conflict {
    match constraint {
        "holders_net_id_index_key" => Conflict::NetId,
        "holders_person_index_key" => Conflict::Person,
        _ => Conflict::WalletKey,
    }
}

/// Column `index` of `row`, a type mismatch or NULL where none belongs being an error rather
/// than the client's panic.
fn get<'a, T: postgres::types::FromSql<'a>>(
    row: &'a Row,
    index: usize,
    operation: &'static str,
) -> Result<T, Error> {
    row.try_get(index).map_err(database(operation))
}

/// Runs `sql` and maps each row with `convert`.
fn rows<T>(
    client: &mut impl GenericClient,
    sql: &str,
    parameters: &[&(dyn ToSql + Sync)],
    operation: &'static str,
    convert: impl Fn(&Row) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    client
        .query(sql, parameters)
        .map_err(database(operation))?
        .iter()
        .map(convert)
        .collect()
}

/// Runs `sql`, expecting at most one row, and maps it with `convert`.
fn optional_row<T>(
    client: &mut impl GenericClient,
    sql: &str,
    parameters: &[&(dyn ToSql + Sync)],
    operation: &'static str,
    convert: impl Fn(&Row) -> Result<T, Error>,
) -> Result<Option<T>, Error> {
    client
        .query_opt(sql, parameters)
        .map_err(database(operation))?
        .as_ref()
        .map(convert)
        .transpose()
}

/// Runs `sql`, returning how many rows it changed.
fn execute(
    client: &mut impl GenericClient,
    sql: &str,
    parameters: &[&(dyn ToSql + Sync)],
    operation: &'static str,
) -> Result<u64, Error> {
    client.execute(sql, parameters).map_err(database(operation))
}

const HOLDER_COLUMNS: &str = "id, net_id_index, sealed_net_id, person_index, \
     wallet_key_fingerprint, wallet_key_spki, wallet_key_suite, wrapped_data_key, sealed_personal";

fn holder_row(row: &Row) -> Result<HolderRow, Error> {
    const OPERATION: &str = "read holder";
    let net_id_index: Option<Vec<u8>> = get(row, 1, OPERATION)?;
    let sealed_net_id: Option<Vec<u8>> = get(row, 2, OPERATION)?;
    // A row whose Net ID is still in clear must be sealed (on the service's start) first.
    let (Some(net_id_index), Some(sealed_net_id)) = (net_id_index, sealed_net_id) else {
        return Err(Error::Corrupt {
            column: "holders.sealed_net_id (a legacy row the service has not sealed yet)",
        });
    };
    let person_index: Vec<u8> = get(row, 3, OPERATION)?;
    Ok(HolderRow {
        id: HolderId(get(row, 0, OPERATION)?),
        net_id: StoredNetId {
            index: BlindIndex::from_column(&net_id_index, "holders.net_id_index")?,
            sealed: sealed_net_id,
        },
        person_index: BlindIndex::from_column(&person_index, "holders.person_index")?,
        wallet_key: WalletKeyRow {
            fingerprint: get(row, 4, OPERATION)?,
            spki: get(row, 5, OPERATION)?,
            suite: get(row, 6, OPERATION)?,
        },
        wrapped_data_key: get(row, 7, OPERATION)?,
        sealed_personal: get(row, 8, OPERATION)?,
    })
}

fn holder_where(
    client: &mut impl GenericClient,
    condition: &str,
    key: &(dyn ToSql + Sync),
) -> Result<Option<HolderRow>, Error> {
    optional_row(
        client,
        &format!(
            "SELECT {HOLDER_COLUMNS} FROM holders WHERE {condition} = $1 AND deleted_at IS NULL"
        ),
        &[key],
        "read holder",
        holder_row,
    )
}

/// Claims `code_index` for `person_index`. Codes are one-time: any second use, even by the
/// same person, is [`Error::EnrollmentCodeClaimed`]; otherwise anyone who learned a used code
/// could recover (take over) that person's Net ID with a key of their own.
fn claim_code(
    transaction: &mut Transaction<'_>,
    code_index: &BlindIndex,
    person_index: &BlindIndex,
    at: Timestamp,
) -> Result<(), Error> {
    let used = optional_row(
        transaction,
        "SELECT 1 FROM used_enrollment_codes WHERE code_index = $1",
        &[&code_index.as_bytes().as_slice()],
        "read enrollment code",
        |_| Ok(()),
    )?;
    if used.is_some() {
        return Err(Error::EnrollmentCodeClaimed);
    }
    execute(
        transaction,
        "INSERT INTO used_enrollment_codes (code_index, person_index, used_at) \
         VALUES ($1, $2, $3)",
        &[
            &code_index.as_bytes().as_slice(),
            &person_index.as_bytes().as_slice(),
            &at.0,
        ],
        "claim enrollment code",
    )
    .map(drop)
}

fn record_guardianship(
    transaction: &mut Transaction<'_>,
    minor: HolderId,
    guardian: Option<HolderId>,
    at: Timestamp,
) -> Result<(), Error> {
    if let Some(guardian) = guardian {
        execute(
            transaction,
            "INSERT INTO guardianships (minor_id, guardian_id, recorded_at) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&minor.0, &guardian.0, &at.0],
            "record guardianship",
        )?;
    }
    Ok(())
}

/// Appends `leaf` to the log inside `transaction`, as an entry of `holder` if given, and
/// returns its index. The index is the next one: the transaction holds the writers' lock, so
/// no other append runs until it ends, and there are no gaps.
fn append_log(
    transaction: &mut Transaction<'_>,
    leaf: &[u8],
    holder: Option<HolderId>,
) -> Result<i64, Error> {
    let row = transaction
        .query_one(
            "INSERT INTO log_entries (idx, leaf, holder_id) \
             VALUES ((SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries), $1, $2) RETURNING idx",
            &[&leaf, &holder.map(|holder| holder.0)],
        )
        .map_err(database("append log entry"))?;
    get(&row, 0, "append log entry")
}

const CERTIFICATE_COLUMNS: &str =
    "serial, holder_id, profile, der, not_after, issued_at, revoked_at, reason";

fn certificate_row(row: &Row) -> Result<CertificateRow, Error> {
    const OPERATION: &str = "read certificate";
    let revoked_at: Option<i64> = get(row, 6, OPERATION)?;
    let reason: Option<String> = get(row, 7, OPERATION)?;
    Ok(CertificateRow {
        serial: get(row, 0, OPERATION)?,
        holder: get::<Option<i64>>(row, 1, OPERATION)?.map(HolderId),
        profile: get(row, 2, OPERATION)?,
        der: get(row, 3, OPERATION)?,
        not_after: Timestamp(get(row, 4, OPERATION)?),
        issued_at: Timestamp(get(row, 5, OPERATION)?),
        revoked: revoked_at
            .zip(reason)
            .map(|(at, reason)| (Timestamp(at), reason)),
    })
}

/// The certificates matching `condition` (SQL after `WHERE`, its `$N` bound to
/// `parameters`), in `order`.
fn certificate_rows(
    client: &mut impl GenericClient,
    condition: &str,
    parameters: &[&(dyn ToSql + Sync)],
    order: &str,
    operation: &'static str,
) -> Result<Vec<CertificateRow>, Error> {
    rows(
        client,
        &format!(
            "SELECT {CERTIFICATE_COLUMNS} FROM certificates WHERE {condition} ORDER BY {order}"
        ),
        parameters,
        operation,
        certificate_row,
    )
}

fn insert_certificate_row(
    transaction: &mut Transaction<'_>,
    certificate: &CertificateRow,
) -> Result<(), Error> {
    let (revoked_at, reason) = certificate
        .revoked
        .clone()
        .map_or((None, None), |(at, reason)| (Some(at.0), Some(reason)));
    transaction
        .execute(
            &format!(
                "INSERT INTO certificates ({CERTIFICATE_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ),
            &[
                &certificate.serial,
                &certificate.holder.map(|holder| holder.0),
                &certificate.profile,
                &certificate.der,
                &certificate.not_after.0,
                &certificate.issued_at.0,
                &revoked_at,
                &reason,
            ],
        )
        .map(drop)
        .map_err(insert_error("insert certificate", |_| {
            Conflict::Certificate
        }))
}

/// The fields `client_id` may receive of `holder` now: approved, with a live consent.
fn disclosable(
    client: &mut impl GenericClient,
    holder: HolderId,
    client_id: &str,
) -> Result<Vec<String>, Error> {
    rows(
        client,
        "SELECT c.field FROM consents c JOIN platform_fields f \
         ON f.client_id = c.client_id AND f.field = c.field \
         WHERE c.holder_id = $1 AND c.client_id = $2 AND c.withdrawn_at IS NULL \
         AND f.status = 'approved' ORDER BY c.field COLLATE \"C\"",
        &[&holder.0, &client_id],
        "read consents",
        |row| get(row, 0, "read consents"),
    )
}

/// 32 bytes from the operating system's generator: what SQLite's `randomblob(32)` gives, drawn
/// here because PostgreSQL has no random bytes without an extension.
fn random_bytes() -> Result<Vec<u8>, Error> {
    let mut bytes = vec![0; 32];
    getrandom::fill(&mut bytes).map_err(|_| Error::Random)?;
    Ok(bytes)
}

fn to_u64(value: i64, column: &'static str) -> Result<u64, Error> {
    u64::try_from(value).map_err(|_| Error::Corrupt { column })
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    fn group_commits(&self) -> GroupCommits {
        self.group_commits.read()
    }

    async fn service_key(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        let name = name.to_owned();
        self.run(move |client| {
            optional_row(
                client,
                "SELECT sealed FROM service_keys WHERE name = $1",
                &[&name],
                "read service key",
                |row| get(row, 0, "read service key"),
            )
        })
        .await
    }

    async fn insert_service_key(
        &self,
        name: &str,
        sealed: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error> {
        let name = name.to_owned();
        self.write("insert service key", move |transaction| {
            transaction
                .execute(
                    "INSERT INTO service_keys (name, sealed, created_at) VALUES ($1, $2, $3)",
                    &[&name, &sealed, &at.0],
                )
                .map(drop)
                .map_err(insert_error("insert service key", |_| Conflict::ServiceKey))
        })
        .await
    }

    async fn has_service_keys(&self) -> Result<bool, Error> {
        self.run(|client| {
            let row = client
                .query_one("SELECT EXISTS (SELECT 1 FROM service_keys)", &[])
                .map_err(database("count service keys"))?;
            get(&row, 0, "count service keys")
        })
        .await
    }

    async fn initialise(
        &self,
        service_keys: Vec<(String, Vec<u8>)>,
        operator_credential_hash: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error> {
        self.write("first-run initialisation", move |transaction| {
            for (name, sealed) in &service_keys {
                transaction
                    .execute(
                        "INSERT INTO service_keys (name, sealed, created_at) VALUES ($1, $2, $3)",
                        &[name, sealed, &at.0],
                    )
                    .map_err(insert_error("insert service key", |_| Conflict::ServiceKey))?;
            }
            execute(
                transaction,
                "INSERT INTO operator_credentials (id, credential_hash, created_at) \
                 VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM operator_credentials), $1, $2)",
                &[&operator_credential_hash, &at.0],
                "insert operator credential",
            )
            .map(drop)
        })
        .await
    }

    async fn insert_operator_credential(&self, hash: Vec<u8>, at: Timestamp) -> Result<(), Error> {
        self.write("insert operator credential", move |transaction| {
            execute(
                transaction,
                "INSERT INTO operator_credentials (id, credential_hash, created_at) \
                 VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM operator_credentials), $1, $2)",
                &[&hash, &at.0],
                "insert operator credential",
            )
            .map(drop)
        })
        .await
    }

    async fn replace_operator_credentials(
        &self,
        hash: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error> {
        self.write("credential replacement", move |transaction| {
            execute(
                transaction,
                "DELETE FROM operator_credentials",
                &[],
                "withdraw operator credentials",
            )?;
            execute(
                transaction,
                "INSERT INTO operator_credentials (id, credential_hash, created_at) \
                 VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM operator_credentials), $1, $2)",
                &[&hash, &at.0],
                "insert operator credential",
            )
            .map(drop)
        })
        .await
    }

    async fn operator_credentials(&self) -> Result<Vec<Vec<u8>>, Error> {
        self.run(|client| {
            rows(
                client,
                "SELECT credential_hash FROM operator_credentials ORDER BY id",
                &[],
                "read operator credentials",
                |row| get(row, 0, "read operator credentials"),
            )
        })
        .await
    }

    async fn upsert_authority(
        &self,
        authority: AuthorityRow,
        log_entry: Vec<u8>,
    ) -> Result<(), Error> {
        self.write("authority registration", move |transaction| {
            execute(
                transaction,
                "INSERT INTO authorities (name, suite, public_key_spki, registered_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET \
                 suite = excluded.suite, public_key_spki = excluded.public_key_spki, \
                 registered_at = excluded.registered_at",
                &[
                    &authority.name,
                    &authority.suite,
                    &authority.public_key_spki,
                    &authority.registered_at.0,
                ],
                "upsert authority",
            )?;
            append_log(transaction, &log_entry, None).map(drop)
        })
        .await
    }

    async fn authority(&self, name: &str) -> Result<Option<AuthorityRow>, Error> {
        let name = name.to_owned();
        self.run(move |client| {
            optional_row(
                client,
                "SELECT name, suite, public_key_spki, registered_at FROM authorities \
                 WHERE name = $1",
                &[&name],
                "read authority",
                |row| {
                    Ok(AuthorityRow {
                        name: get(row, 0, "read authority")?,
                        suite: get(row, 1, "read authority")?,
                        public_key_spki: get(row, 2, "read authority")?,
                        registered_at: Timestamp(get(row, 3, "read authority")?),
                    })
                },
            )
        })
        .await
    }

    async fn replace_roster(
        &self,
        authority: &str,
        issued_at: &str,
        records: Vec<RosterRow>,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error> {
        let authority = authority.to_owned();
        let issued_at = issued_at.to_owned();
        self.write("roster load", move |transaction| {
            let loaded: Option<Option<String>> = optional_row(
                transaction,
                "SELECT roster_issued_at FROM authorities WHERE name = $1",
                &[&authority],
                "read authority",
                |row| get(row, 0, "read authority"),
            )?;
            let Some(loaded) = loaded else {
                return Err(Error::NotFound { what: "authority" });
            };
            // ISO dates compare as strings; a roster of the same day may be reloaded.
            if loaded.is_some_and(|loaded| issued_at < loaded) {
                return Err(Error::StaleRoster);
            }
            execute(
                transaction,
                "UPDATE authorities SET roster_issued_at = $2 WHERE name = $1",
                &[&authority, &issued_at],
                "record roster date",
            )?;
            execute(
                transaction,
                "DELETE FROM roster_records WHERE authority = $1",
                &[&authority],
                "clear roster",
            )?;
            let insert = transaction
                .prepare(
                    // This authority's old records are gone: a conflict left is another
                    // authority's record, which one authority must never overwrite.
                    "INSERT INTO roster_records \
                     (document_index, authority, person_index, sealed, loaded_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (document_index) DO NOTHING",
                )
                .map_err(database("insert roster record"))?;
            for record in &records {
                let inserted = transaction
                    .execute(
                        &insert,
                        &[
                            &record.document_index.as_bytes().as_slice(),
                            &authority,
                            &record.person_index.as_bytes().as_slice(),
                            &record.sealed,
                            &at.0,
                        ],
                    )
                    .map_err(database("insert roster record"))?;
                if inserted == 0 {
                    // Dropping the transaction rolls the whole load back.
                    return Err(Error::AlreadyExists {
                        what: Conflict::RosterRecord,
                    });
                }
            }
            append_log(transaction, &log_entry, None).map(drop)
        })
        .await
    }

    async fn roster_record(&self, document_index: &BlindIndex) -> Result<Option<RosterRow>, Error> {
        let key = *document_index.as_bytes();
        self.run(move |client| {
            optional_row(
                client,
                "SELECT r.person_index, r.sealed, f.code_index, f.failures \
                 FROM roster_records r \
                 LEFT JOIN enrollment_code_failures f USING (document_index) \
                 WHERE r.document_index = $1",
                &[&key.as_slice()],
                "read roster record",
                |row| {
                    let person_index: Vec<u8> = get(row, 0, "read roster record")?;
                    Ok(RosterRow {
                        document_index: BlindIndex::new(key),
                        person_index: BlindIndex::from_column(
                            &person_index,
                            "roster_records.person_index",
                        )?,
                        sealed: get(row, 1, "read roster record")?,
                        code_failures: crate::code_failures(
                            get(row, 2, "read roster record")?,
                            get(row, 3, "read roster record")?,
                        )?,
                    })
                },
            )
        })
        .await
    }

    async fn holder_by_person(
        &self,
        person_index: &BlindIndex,
    ) -> Result<Option<HolderRow>, Error> {
        let key = person_index.as_bytes().to_vec();
        self.run(move |client| holder_where(client, "person_index", &key))
            .await
    }

    async fn holder_by_wallet_key(&self, fingerprint: &[u8]) -> Result<Option<HolderRow>, Error> {
        let key = fingerprint.to_vec();
        self.run(move |client| holder_where(client, "wallet_key_fingerprint", &key))
            .await
    }

    async fn holder(&self, id: HolderId) -> Result<Option<HolderRow>, Error> {
        self.run(move |client| holder_where(client, "id", &id.0))
            .await
    }

    async fn enroll_holder(
        &self,
        holder: NewHolder,
        code_index: Option<BlindIndex>,
        guardian: Option<HolderId>,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<HolderId, Error> {
        self.write_grouped(move |transaction| {
            if let Some(code_index) = &code_index {
                claim_code(transaction, code_index, &holder.person_index, at)?;
            }
            let row = transaction
                .query_one(
                    "INSERT INTO holders (id, net_id_index, sealed_net_id, person_index, \
                     wallet_key_fingerprint, wallet_key_spki, wallet_key_suite, \
                     wrapped_data_key, sealed_personal, enrolled_at, updated_at) \
                     VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM holders), \
                     $1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
                    &[
                        &holder.net_id.index.as_bytes().as_slice(),
                        &holder.net_id.sealed,
                        &holder.person_index.as_bytes().as_slice(),
                        &holder.wallet_key.fingerprint,
                        &holder.wallet_key.spki,
                        &holder.wallet_key.suite,
                        &holder.wrapped_data_key,
                        &holder.sealed_personal,
                        &at.0,
                    ],
                )
                .map_err(insert_error("insert holder", holder_conflict))?;
            let id = HolderId(get(&row, 0, "insert holder")?);
            record_guardianship(transaction, id, guardian, at)?;
            append_log(transaction, &log_entry, Some(id))?;
            Ok(id)
        })
        .await
    }

    async fn replace_wallet_key(
        &self,
        holder: HolderId,
        new_key: WalletKeyRow,
        code_index: Option<BlindIndex>,
        guardian: Option<HolderId>,
        log_entry: Vec<u8>,
        revocations: Vec<Revocation>,
        at: Timestamp,
    ) -> Result<(), Error> {
        self.write("wallet key replacement", move |transaction| {
            const READ: &str = "read holder";
            let current = optional_row(
                transaction,
                "SELECT person_index, wallet_key_fingerprint, wallet_key_spki, \
                 wallet_key_suite FROM holders WHERE id = $1",
                &[&holder.0],
                READ,
                |row| {
                    Ok((
                        get::<Vec<u8>>(row, 0, READ)?,
                        get::<Vec<u8>>(row, 1, READ)?,
                        get::<Vec<u8>>(row, 2, READ)?,
                        get::<String>(row, 3, READ)?,
                    ))
                },
            )?;
            let Some((person_index, fingerprint, spki, suite)) = current else {
                return Err(Error::NotFound { what: "holder" });
            };
            if let Some(code_index) = &code_index {
                let person_index = BlindIndex::from_column(&person_index, "holders.person_index")?;
                claim_code(transaction, code_index, &person_index, at)?;
            }
            if fingerprint != new_key.fingerprint {
                execute(
                    transaction,
                    "INSERT INTO retired_wallet_keys (holder_id, wallet_key_fingerprint, \
                     wallet_key_spki, wallet_key_suite, retired_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    &[&holder.0, &fingerprint, &spki, &suite, &at.0],
                    "retire wallet key",
                )?;
                transaction
                    .execute(
                        "UPDATE holders SET wallet_key_fingerprint = $2, wallet_key_spki = $3, \
                         wallet_key_suite = $4, updated_at = $5 WHERE id = $1",
                        &[
                            &holder.0,
                            &new_key.fingerprint,
                            &new_key.spki,
                            &new_key.suite,
                            &at.0,
                        ],
                    )
                    .map_err(insert_error("replace wallet key", |_| Conflict::WalletKey))?;
                // The lost wallet may hold Net Certificates: none of them stays valid.
                execute(
                    transaction,
                    "UPDATE credentials SET revoked_at = $2 \
                     WHERE holder_id = $1 AND revoked_at IS NULL",
                    &[&holder.0, &at.0],
                    "revoke net certificates",
                )?;
                // Nor any passkey added with it (a thief may have added one).
                execute(
                    transaction,
                    "DELETE FROM passkeys WHERE holder_id = $1",
                    &[&holder.0],
                    "forget passkeys",
                )?;
            }
            record_guardianship(transaction, holder, guardian, at)?;
            append_log(transaction, &log_entry, Some(holder))?;
            for revocation in &revocations {
                let revoked = execute(
                    transaction,
                    "UPDATE certificates SET revoked_at = $3, reason = $4 \
                     WHERE serial = $1 AND holder_id = $2 AND revoked_at IS NULL",
                    &[&revocation.serial, &holder.0, &at.0, &revocation.reason],
                    "revoke certificate",
                )?;
                if revoked > 0 {
                    append_log(transaction, &revocation.log_entry, Some(holder))?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn retired_wallet_keys(&self, holder: HolderId) -> Result<Vec<WalletKeyRow>, Error> {
        self.run(move |client| {
            const READ: &str = "read retired wallet keys";
            rows(
                client,
                "SELECT wallet_key_fingerprint, wallet_key_spki, wallet_key_suite \
                 FROM retired_wallet_keys WHERE holder_id = $1 ORDER BY retired_at, seq",
                &[&holder.0],
                READ,
                |row| {
                    Ok(WalletKeyRow {
                        fingerprint: get(row, 0, READ)?,
                        spki: get(row, 1, READ)?,
                        suite: get(row, 2, READ)?,
                    })
                },
            )
        })
        .await
    }

    async fn wards_of(&self, guardian: HolderId) -> Result<Vec<HolderRow>, Error> {
        self.run(move |client| {
            let columns = HOLDER_COLUMNS
                .split(", ")
                .map(|column| format!("h.{column}"))
                .collect::<Vec<_>>()
                .join(", ");
            rows(
                client,
                &format!(
                    "SELECT {columns} FROM holders h JOIN guardianships g ON g.minor_id = h.id \
                     WHERE g.guardian_id = $1 ORDER BY h.id"
                ),
                &[&guardian.0],
                "read wards",
                holder_row,
            )
        })
        .await
    }

    async fn guardians_of(&self, holder: HolderId) -> Result<Vec<HolderId>, Error> {
        self.run(move |client| {
            rows(
                client,
                "SELECT guardian_id FROM guardianships WHERE minor_id = $1 ORDER BY guardian_id",
                &[&holder.0],
                "read guardianships",
                |row| get(row, 0, "read guardianships").map(HolderId),
            )
        })
        .await
    }

    async fn insert_platform(
        &self,
        platform: PlatformRow,
        log_entry: Vec<u8>,
    ) -> Result<(), Error> {
        self.write("platform registration", move |transaction| {
            transaction
                .execute(
                    "INSERT INTO platforms (client_id, credential_hash, sector, name, \
                     registered_at) VALUES ($1, $2, $3, $4, $5)",
                    &[
                        &platform.client_id,
                        &platform.credential_hash,
                        &platform.sector,
                        &platform.name,
                        &platform.registered_at.0,
                    ],
                )
                .map_err(insert_error("insert platform", |_| Conflict::Platform))?;
            append_log(transaction, &log_entry, None).map(drop)
        })
        .await
    }

    async fn platforms_in_sector(&self, sector: &str) -> Result<Vec<String>, Error> {
        let sector = sector.to_owned();
        self.run(move |client| {
            const READ: &str = "read sector";
            rows(
                client,
                "SELECT client_id FROM platforms WHERE sector = $1 \
                 ORDER BY client_id COLLATE \"C\"",
                &[&sector],
                READ,
                |row| get(row, 0, READ),
            )
        })
        .await
    }

    async fn platform(&self, client_id: &str) -> Result<Option<PlatformRow>, Error> {
        let client_id = client_id.to_owned();
        self.run(move |client| {
            const READ: &str = "read platform";
            optional_row(
                client,
                "SELECT client_id, credential_hash, sector, name, registered_at \
                 FROM platforms WHERE client_id = $1",
                &[&client_id],
                READ,
                |row| {
                    Ok(PlatformRow {
                        client_id: get(row, 0, READ)?,
                        credential_hash: get(row, 1, READ)?,
                        sector: get(row, 2, READ)?,
                        name: get(row, 3, READ)?,
                        registered_at: Timestamp(get(row, 4, READ)?),
                    })
                },
            )
        })
        .await
    }

    async fn record_verification(
        &self,
        client_id: &str,
        nonce_index: BlindIndex,
        expires_at: Timestamp,
        holder: HolderId,
        wallet_key: Vec<u8>,
        log_entry: Vec<u8>,
        disclosure_entry: Vec<u8>,
        asked: Option<Vec<String>>,
        now: Timestamp,
    ) -> Result<Vec<String>, Error> {
        let client_id = client_id.to_owned();
        self.write_grouped(move |transaction| {
            // The holder as authenticated, still: not deleted, no recovery since.
            let current = optional_row(
                transaction,
                "SELECT id FROM holders WHERE id = $1 AND wallet_key_fingerprint = $2 \
                 AND deleted_at IS NULL",
                &[&holder.0, &wallet_key],
                "read holder",
                |_| Ok(()),
            )?;
            if current.is_none() {
                return Err(Error::NotFound {
                    what: "holder with this wallet key",
                });
            }
            use_nonce_in(transaction, &client_id, &nonce_index, expires_at, now)?;
            append_log(transaction, &log_entry, Some(holder))?;
            // Consents live at this moment, read in the transaction that records the act.
            let mut disclosed = disclosable(transaction, holder, &client_id)?;
            if let Some(asked) = &asked {
                disclosed.retain(|field| asked.contains(field));
            }
            if !disclosed.is_empty() {
                append_log(transaction, &disclosure_entry, Some(holder))?;
            }
            Ok(disclosed)
        })
        .await
    }

    async fn log_size(&self) -> Result<u64, Error> {
        self.run(|client| {
            let row = client
                .query_one("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries", &[])
                .map_err(database("read log size"))?;
            to_u64(get(&row, 0, "read log size")?, "log_entries.idx")
        })
        .await
    }

    async fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, Error> {
        self.run(move |client| {
            rows(
                client,
                "SELECT leaf FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                &[&to_i64(start), &to_i64(end)],
                "read log entries",
                |row| get(row, 0, "read log entries"),
            )
        })
        .await
    }

    async fn holder_log_indexes(&self, holder: HolderId) -> Result<Vec<u64>, Error> {
        self.run(move |client| {
            rows(
                client,
                "SELECT idx FROM log_entries WHERE holder_id = $1 ORDER BY idx",
                &[&holder.0],
                "read holder log entries",
                |row| to_u64(get(row, 0, "read holder log entries")?, "log_entries.idx"),
            )
        })
        .await
    }

    async fn insert_checkpoint(&self, size: u64, note: String, at: Timestamp) -> Result<(), Error> {
        self.write("checkpoint", move |transaction| {
            transaction
                .execute(
                    "INSERT INTO log_checkpoints (size, note, signed_at) VALUES ($1, $2, $3)",
                    &[&to_i64(size), &note, &at.0],
                )
                .map_err(insert_error("insert checkpoint", |_| Conflict::Checkpoint))?;
            // Only the latest is needed (to check the log on start); keeping every one would
            // let anyone who polls the checkpoint grow the table.
            execute(
                transaction,
                "DELETE FROM log_checkpoints WHERE size < $1",
                &[&to_i64(size)],
                "prune checkpoints",
            )
            .map(drop)
        })
        .await
    }

    async fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, Error> {
        self.run(|client| {
            const READ: &str = "read latest checkpoint";
            optional_row(
                client,
                "SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1",
                &[],
                READ,
                |row| {
                    Ok((
                        to_u64(get(row, 0, READ)?, "log_checkpoints.size")?,
                        get(row, 1, READ)?,
                    ))
                },
            )
        })
        .await
    }

    async fn legacy_net_ids(&self) -> Result<Vec<(HolderId, String)>, Error> {
        // PostgreSQL databases start at schema 11: no row ever held a clear Net ID, so this
        // finds none; the query is SQLite's, for a database copied over from one.
        self.run(|client| {
            const READ: &str = "read legacy net ids";
            rows(
                client,
                "SELECT id, legacy_net_id FROM holders WHERE legacy_net_id IS NOT NULL",
                &[],
                READ,
                |row| Ok((HolderId(get(row, 0, READ)?), get(row, 1, READ)?)),
            )
        })
        .await
    }

    async fn seal_legacy_net_id(&self, holder: HolderId, net_id: StoredNetId) -> Result<(), Error> {
        self.write("seal legacy net id", move |transaction| {
            let updated = transaction
                .execute(
                    "UPDATE holders SET net_id_index = $2, sealed_net_id = $3, \
                     legacy_net_id = NULL WHERE id = $1 AND legacy_net_id IS NOT NULL",
                    &[
                        &holder.0,
                        &net_id.index.as_bytes().as_slice(),
                        &net_id.sealed,
                    ],
                )
                .map_err(insert_error("seal legacy net id", holder_conflict))?;
            if updated == 0 {
                return Err(Error::NotFound {
                    what: "holder with a legacy net id",
                });
            }
            Ok(())
        })
        .await
    }

    async fn holders_after(&self, after: HolderId, limit: u32) -> Result<Vec<HolderRow>, Error> {
        self.run(move |client| {
            rows(
                client,
                &format!(
                    "SELECT {HOLDER_COLUMNS} FROM holders WHERE id > $1 AND deleted_at IS NULL \
                     ORDER BY id LIMIT $2"
                ),
                &[&after.0, &i64::from(limit)],
                "read holders",
                holder_row,
            )
        })
        .await
    }

    async fn reseal_holders(&self, holders: Vec<ResealedHolder>) -> Result<(), Error> {
        // One statement for the batch: a round trip per holder would take most of the time.
        let ids: Vec<i64> = holders.iter().map(|holder| holder.id.0).collect();
        let (net_ids, data_keys): (Vec<Vec<u8>>, Vec<Vec<u8>>) = holders
            .into_iter()
            .map(|holder| (holder.sealed_net_id, holder.wrapped_data_key))
            .unzip();
        self.write("reseal holders", move |transaction| {
            execute(
                transaction,
                "UPDATE holders SET sealed_net_id = resealed.net_id, \
                 wrapped_data_key = resealed.data_key \
                 FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[]) \
                 AS resealed(id, net_id, data_key) \
                 WHERE holders.id = resealed.id AND holders.deleted_at IS NULL",
                &[&ids, &net_ids, &data_keys],
                "reseal holders",
            )
            .map(drop)
        })
        .await
    }

    async fn service_keys(&self) -> Result<Vec<(String, Vec<u8>)>, Error> {
        self.run(|client| {
            const READ: &str = "read service keys";
            rows(
                client,
                "SELECT name, sealed FROM service_keys ORDER BY name",
                &[],
                READ,
                |row| Ok((get(row, 0, READ)?, get(row, 1, READ)?)),
            )
        })
        .await
    }

    async fn sealed_tag_keys(&self) -> Result<Vec<SealedTagKey>, Error> {
        self.run(|client| {
            const READ: &str = "read tag keys";
            rows(
                client,
                "SELECT log_index, holder_id, sealed_tag_key FROM operator_reads \
                 WHERE sealed_tag_key IS NOT NULL AND holder_id IS NOT NULL ORDER BY log_index",
                &[],
                READ,
                |row| {
                    Ok(SealedTagKey {
                        log_index: u64::try_from(get::<i64>(row, 0, READ)?).map_err(|_| {
                            Error::Corrupt {
                                column: "operator_reads.log_index",
                            }
                        })?,
                        holder: HolderId(get(row, 1, READ)?),
                        sealed: get(row, 2, READ)?,
                    })
                },
            )
        })
        .await
    }

    async fn finish_master_key_rotation(
        &self,
        service_keys: Vec<(String, Vec<u8>)>,
        tag_keys: Vec<SealedTagKey>,
        marker: &str,
    ) -> Result<(), Error> {
        let marker = marker.to_owned();
        self.write("finish the master-key rotation", move |transaction| {
            for (name, sealed) in &service_keys {
                execute(
                    transaction,
                    "UPDATE service_keys SET sealed = $2 WHERE name = $1",
                    &[name, sealed],
                    "reseal service key",
                )?;
            }
            for key in &tag_keys {
                let log_index = i64::try_from(key.log_index).map_err(|_| Error::Corrupt {
                    column: "operator_reads.log_index",
                })?;
                execute(
                    transaction,
                    "UPDATE operator_reads SET sealed_tag_key = $2 \
                     WHERE log_index = $1 AND sealed_tag_key IS NOT NULL",
                    &[&log_index, &key.sealed],
                    "reseal tag key",
                )?;
            }
            execute(
                transaction,
                "DELETE FROM service_keys WHERE name = $1",
                &[&marker],
                "end the master-key rotation",
            )
            .map(drop)
        })
        .await
    }

    async fn ca_generations(&self) -> Result<Vec<CaGeneration>, Error> {
        self.run(|client| {
            const READ: &str = "read ca generations";
            rows(
                client,
                "SELECT id, key_name, root, issuing, responder, status, final_crl, handover \
                 FROM ca_generations ORDER BY id",
                &[],
                READ,
                |row| {
                    let status: String = get(row, 5, READ)?;
                    Ok(CaGeneration {
                        id: get(row, 0, READ)?,
                        key_name: get(row, 1, READ)?,
                        root: get(row, 2, READ)?,
                        issuing: get(row, 3, READ)?,
                        responder: get(row, 4, READ)?,
                        status: CaGenerationStatus::from_name(&status).ok_or(Error::Corrupt {
                            column: "ca_generations.status",
                        })?,
                        final_crl: get(row, 6, READ)?,
                        handover: get(row, 7, READ)?,
                    })
                },
            )
        })
        .await
    }

    async fn change_ca(
        &self,
        change: CaChange,
        issued: Vec<CertificateRow>,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error> {
        self.write("ca change", move |transaction| {
            match &change {
                CaChange::Install(generation) => {
                    execute(
                        transaction,
                        "UPDATE ca_generations SET status = 'retired', changed_at = $1 \
                         WHERE status = 'current'",
                        &[&at.0],
                        "retire the current ca",
                    )?;
                    insert_ca_generation(transaction, generation, CaGenerationStatus::Current, at)?;
                }
                CaChange::Recertify {
                    id,
                    root,
                    issuing,
                    responder,
                } => {
                    let changed = execute(
                        transaction,
                        "UPDATE ca_generations SET root = $2, issuing = $3, responder = $4, \
                         changed_at = $5 WHERE id = $1 AND status IN ('current', 'retired')",
                        &[id, root, issuing, responder, &at.0],
                        "recertify a ca",
                    )?;
                    if changed != 1 {
                        return Err(Error::NotFound {
                            what: "ca generation",
                        });
                    }
                }
                CaChange::Inherit(generations) => {
                    for generation in generations {
                        insert_ca_generation(
                            transaction,
                            generation,
                            CaGenerationStatus::Inherited,
                            at,
                        )?;
                    }
                }
                CaChange::HandOver {
                    final_crls,
                    package,
                } => {
                    execute(
                        transaction,
                        "UPDATE ca_generations SET handover = $1 WHERE status = 'current'",
                        &[package],
                        "record the handover package",
                    )?;
                    for (id, crl) in final_crls {
                        let changed = execute(
                            transaction,
                            "UPDATE ca_generations SET status = 'handed_over', \
                             final_crl = $2, changed_at = $3 \
                             WHERE id = $1 AND status IN ('current', 'retired')",
                            &[id, crl, &at.0],
                            "hand over a ca",
                        )?;
                        if changed != 1 {
                            return Err(Error::NotFound {
                                what: "ca generation that still signs",
                            });
                        }
                    }
                }
            }
            for certificate in &issued {
                insert_certificate_row(transaction, certificate)?;
            }
            append_log(transaction, &log_entry, None).map(drop)
        })
        .await
    }

    async fn insert_certificate(
        &self,
        certificate: CertificateRow,
        log_entry: Vec<u8>,
    ) -> Result<(), Error> {
        self.write("certificate issuance", move |transaction| {
            insert_certificate_row(transaction, &certificate)?;
            append_log(transaction, &log_entry, certificate.holder).map(drop)
        })
        .await
    }

    async fn expiring_certificates(&self, before: Timestamp) -> Result<Vec<CertificateRow>, Error> {
        self.run(move |client| {
            certificate_rows(
                client,
                "revoked_at IS NULL AND not_after <= $1",
                &[&before.0],
                "not_after, serial",
                "read expiring certificates",
            )
        })
        .await
    }

    async fn issue_credentials(
        &self,
        holder: HolderId,
        wallet_key: Vec<u8>,
        credentials: Vec<CredentialRow>,
        log_entry: Vec<u8>,
        limit: u64,
        now: Timestamp,
        forget_before: Timestamp,
    ) -> Result<(), Error> {
        self.write("net certificate issuance", move |transaction| {
            let current: Option<Vec<u8>> = optional_row(
                transaction,
                "SELECT wallet_key_fingerprint FROM holders WHERE id = $1",
                &[&holder.0],
                "read holder",
                |row| get(row, 0, "read holder"),
            )?;
            if current.as_deref() != Some(wallet_key.as_slice()) {
                return Err(Error::NotFound {
                    what: "holder with this wallet key",
                });
            }
            execute(
                transaction,
                "DELETE FROM credentials WHERE expires_at < $1",
                &[&forget_before.0],
                "forget expired net certificates",
            )?;
            let row = transaction
                .query_one(
                    "SELECT COUNT(*) FROM credentials WHERE holder_id = $1 AND expires_at > $2",
                    &[&holder.0, &now.0],
                )
                .map_err(database("count net certificates"))?;
            let unexpired: i64 = get(&row, 0, "count net certificates")?;
            let after = to_u64(unexpired, "COUNT(credentials)")?
                .saturating_add(u64::try_from(credentials.len()).unwrap_or(u64::MAX));
            if after > limit {
                return Err(Error::CredentialLimit { limit });
            }
            for credential in &credentials {
                transaction
                    .execute(
                        "INSERT INTO credentials (suite, status_index, holder_id, issued_at, \
                         expires_at) VALUES ($1, $2, $3, $4, $5)",
                        &[
                            &credential.suite,
                            &to_i64(credential.status_index),
                            &holder.0,
                            &credential.issued_at.0,
                            &credential.expires_at.0,
                        ],
                    )
                    .map_err(insert_error("insert net certificate", |_| {
                        Conflict::StatusIndex
                    }))?;
            }
            append_log(transaction, &log_entry, Some(holder)).map(drop)
        })
        .await
    }

    async fn revoked_credentials(&self, suite: &str, since: Timestamp) -> Result<Vec<u64>, Error> {
        let suite = suite.to_owned();
        self.run(move |client| {
            const READ: &str = "read revoked net certificates";
            rows(
                client,
                "SELECT status_index FROM credentials \
                 WHERE suite = $1 AND revoked_at IS NOT NULL AND expires_at > $2",
                &[&suite, &since.0],
                READ,
                |row| to_u64(get(row, 0, READ)?, "credentials.status_index"),
            )
        })
        .await
    }

    async fn delete_holder(
        &self,
        holder: HolderId,
        wallet_key: Vec<u8>,
        reason: String,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error> {
        // Drawn before the transaction so that it holds the writers' lock no longer than needed.
        let (person_filler, key_filler, code_salt) =
            (random_bytes()?, random_bytes()?, random_bytes()?);
        self.write("deletion", move |transaction| {
            // Only the holder as authenticated: a recovery that came first wins.
            let person_index: Option<Vec<u8>> = optional_row(
                transaction,
                "SELECT person_index FROM holders \
                 WHERE id = $1 AND wallet_key_fingerprint = $2 AND deleted_at IS NULL",
                &[&holder.0, &wallet_key],
                "read holder",
                |row| get(row, 0, "read holder"),
            )?;
            let Some(person_index) = person_index else {
                return Err(Error::NotFound {
                    what: "holder with this wallet key",
                });
            };
            execute(
                transaction,
                "UPDATE holders SET sealed_net_id = ''::bytea, person_index = $3, \
                 wallet_key_fingerprint = $4, wallet_key_spki = ''::bytea, \
                 wrapped_data_key = ''::bytea, sealed_personal = ''::bytea, enrolled_at = 0, \
                 updated_at = $2, deleted_at = $2 WHERE id = $1",
                &[&holder.0, &at.0, &person_filler, &key_filler],
                "empty holder",
            )?;
            // The codes stay used (single use), but no longer name the person or the time.
            // Each gets its own random-looking filler, as `randomblob` gives each row in
            // SQLite: the hash of a discarded random salt and the row's code.
            execute(
                transaction,
                "UPDATE used_enrollment_codes SET person_index = sha256($2 || code_index), \
                 used_at = 0 WHERE person_index = $1",
                &[&person_index, &code_salt],
                "unlink used codes",
            )?;
            execute(
                transaction,
                "DELETE FROM retired_wallet_keys WHERE holder_id = $1",
                &[&holder.0],
                "forget retired wallet keys",
            )?;
            execute(
                transaction,
                "DELETE FROM guardianships WHERE minor_id = $1 OR guardian_id = $1",
                &[&holder.0],
                "end guardianships",
            )?;
            execute(
                transaction,
                "DELETE FROM consents WHERE holder_id = $1",
                &[&holder.0],
                "end consents",
            )?;
            execute(
                transaction,
                "DELETE FROM passkeys WHERE holder_id = $1",
                &[&holder.0],
                "forget passkeys",
            )?;
            // The reads stay counted; which holder they were about, and the keys that would
            // reveal their entries, go.
            execute(
                transaction,
                "UPDATE operator_reads SET holder_id = NULL, sealed_tag_key = NULL \
                 WHERE holder_id = $1",
                &[&holder.0],
                "unlink operator reads",
            )?;
            execute(
                transaction,
                "UPDATE credentials SET revoked_at = $2 WHERE holder_id = $1 AND revoked_at IS NULL",
                &[&holder.0, &at.0],
                "revoke net certificates",
            )?;
            execute(
                transaction,
                "UPDATE certificates SET revoked_at = $2, reason = $3 \
                 WHERE holder_id = $1 AND revoked_at IS NULL",
                &[&holder.0, &at.0, &reason],
                "revoke certificates",
            )?;
            execute(
                transaction,
                "UPDATE certificates SET holder_id = NULL WHERE holder_id = $1",
                &[&holder.0],
                "unlink certificates",
            )?;
            append_log(transaction, &log_entry, None)?;
            // The entries stay in the log; the service forgets which were the holder's.
            execute(
                transaction,
                "UPDATE log_entries SET holder_id = NULL WHERE holder_id = $1",
                &[&holder.0],
                "unlink log entries",
            )
            .map(drop)
        })
        .await
    }

    async fn request_platform_fields(
        &self,
        client_id: &str,
        fields: Vec<PlatformField>,
        at: Timestamp,
    ) -> Result<(), Error> {
        let client_id = client_id.to_owned();
        self.write("profile request", move |transaction| {
            execute(
                transaction,
                "DELETE FROM platform_fields WHERE client_id = $1",
                &[&client_id],
                "replace profile",
            )?;
            // Consents were to the terms asked before: they end with them, and stay on record.
            execute(
                transaction,
                &crate::END_CONSENTS_ON_NEW_TERMS
                    .replace("?1", "$1")
                    .replace("?2", "$2"),
                &[&client_id, &at.0],
                "end consents",
            )?;
            for field in &fields {
                execute(
                    transaction,
                    "INSERT INTO platform_fields (client_id, field, legal_basis, purpose, \
                     retention_days, status, changed_at) \
                     VALUES ($1, $2, $3, $4, $5, 'requested', $6)",
                    &[
                        &client_id,
                        &field.field,
                        &field.legal_basis,
                        &field.purpose,
                        &i64::from(field.retention_days),
                        &at.0,
                    ],
                    "request a field",
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn decide_platform_fields(
        &self,
        client_id: &str,
        decisions: Vec<(String, bool)>,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error> {
        let client_id = client_id.to_owned();
        self.write("profile decision", move |transaction| {
            for (field, approve) in &decisions {
                let status = if *approve { "approved" } else { "refused" };
                let decided = execute(
                    transaction,
                    "UPDATE platform_fields SET status = $3, changed_at = $4 \
                     WHERE client_id = $1 AND field = $2",
                    &[&client_id, field, &status, &at.0],
                    "decide a field",
                )?;
                if decided != 1 {
                    return Err(Error::NotFound {
                        what: "requested field",
                    });
                }
                if !approve {
                    execute(
                        transaction,
                        &crate::END_CONSENTS_TO_A_REFUSED_FIELD
                            .replace("?1", "$1")
                            .replace("?2", "$2")
                            .replace("?3", "$3"),
                        &[&client_id, field, &at.0],
                        "end consents",
                    )?;
                }
            }
            append_log(transaction, &log_entry, None).map(drop)
        })
        .await
    }

    async fn platform_fields(&self, client_id: &str) -> Result<Vec<PlatformField>, Error> {
        let client_id = client_id.to_owned();
        self.run(move |client| {
            const READ: &str = "read profile";
            rows(
                client,
                "SELECT field, legal_basis, purpose, retention_days, status \
                 FROM platform_fields WHERE client_id = $1 ORDER BY field COLLATE \"C\"",
                &[&client_id],
                READ,
                |row| {
                    let retention_days: i64 = get(row, 3, READ)?;
                    Ok(PlatformField {
                        field: get(row, 0, READ)?,
                        legal_basis: get(row, 1, READ)?,
                        purpose: get(row, 2, READ)?,
                        retention_days: u32::try_from(retention_days).map_err(|_| {
                            Error::Corrupt {
                                column: "platform_fields.retention_days",
                            }
                        })?,
                        status: get(row, 4, READ)?,
                    })
                },
            )
        })
        .await
    }

    async fn give_consents(
        &self,
        holder: HolderId,
        client_id: &str,
        fields: Vec<String>,
        notice_version: String,
        signed_at: Timestamp,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<Vec<String>, Error> {
        let client_id = client_id.to_owned();
        self.write("consent", move |transaction| {
            let (mut recorded, mut changes) = (Vec::new(), 0);
            for field in &fields {
                let terms: Option<(String, i64)> = optional_row(
                    transaction,
                    "SELECT status, changed_at FROM platform_fields \
                     WHERE client_id = $1 AND field = $2",
                    &[&client_id, field],
                    "read a field",
                    |row| Ok((get(row, 0, "read a field")?, get(row, 1, "read a field")?)),
                )?;
                let Some((_, changed_at)) = terms.filter(|(status, _)| status == "approved") else {
                    return Err(Error::NotFound {
                        what: "field approved for this platform",
                    });
                };
                // Signed before the terms it would consent to: the holder never saw them.
                if signed_at.0 < changed_at {
                    continue;
                }
                // A request signed before the last change is a replay: it changes nothing.
                let changed = execute(
                    transaction,
                    "INSERT INTO consents (holder_id, client_id, field, notice_version, \
                     given_at, signed_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (holder_id, client_id, field) DO UPDATE SET \
                     notice_version = excluded.notice_version, \
                     given_at = excluded.given_at, withdrawn_at = NULL, end_reason = NULL, \
                     signed_at = excluded.signed_at \
                     WHERE excluded.signed_at > consents.signed_at",
                    &[
                        &holder.0,
                        &client_id,
                        field,
                        &notice_version,
                        &at.0,
                        &signed_at.0,
                    ],
                    "record consent",
                )?;
                changes += changed;
                // Recorded: changed now, or the same request's consent already standing.
                let stands: bool = optional_row(
                    transaction,
                    &crate::CONSENT_STANDS
                        .replace("?1", "$1")
                        .replace("?2", "$2")
                        .replace("?3", "$3")
                        .replace("?4", "$4"),
                    &[&holder.0, &client_id, field, &signed_at.0],
                    "read consent",
                    |row| get(row, 0, "read consent"),
                )?
                .unwrap_or(false);
                if stands {
                    recorded.push(field.clone());
                }
            }
            if changes > 0 {
                append_log(transaction, &log_entry, Some(holder))?;
            }
            Ok(recorded)
        })
        .await
    }

    async fn withdraw_consents(
        &self,
        holder: HolderId,
        client_id: &str,
        fields: Vec<String>,
        signed_at: Timestamp,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<u64, Error> {
        let client_id = client_id.to_owned();
        self.write("withdrawal", move |transaction| {
            let mut withdrawn = 0u64;
            for field in &fields {
                let changed = execute(
                    transaction,
                    // Withdrawal wins a tie with the consent it follows (both signed
                    // in one second); a consent must be later than the last change.
                    "UPDATE consents SET withdrawn_at = $4, signed_at = $5, end_reason = 'withdrawn' \
                     WHERE holder_id = $1 AND client_id = $2 AND field = $3 \
                     AND withdrawn_at IS NULL AND signed_at <= $5",
                    &[&holder.0, &client_id, field, &at.0, &signed_at.0],
                    "withdraw consent",
                )?;
                withdrawn = withdrawn.saturating_add(changed);
            }
            if withdrawn > 0 {
                append_log(transaction, &log_entry, Some(holder))?;
            }
            Ok(withdrawn)
        })
        .await
    }

    async fn disclosable_fields(
        &self,
        holder: HolderId,
        client_id: &str,
    ) -> Result<Vec<String>, Error> {
        let client_id = client_id.to_owned();
        self.run(move |client| disclosable(client, holder, &client_id))
            .await
    }

    async fn certificates(&self) -> Result<Vec<CertificateRow>, Error> {
        self.run(|client| {
            certificate_rows(
                client,
                "TRUE",
                &[],
                "issued_at, serial",
                "read certificates",
            )
        })
        .await
    }

    async fn certificate_counts(&self) -> Result<Vec<(String, u64, u64)>, Error> {
        self.run(|client| {
            const READ: &str = "count certificates";
            rows(
                client,
                "SELECT profile, COUNT(*), COUNT(revoked_at) FROM certificates \
                 GROUP BY profile ORDER BY profile COLLATE \"C\"",
                &[],
                READ,
                |row| {
                    Ok((
                        get(row, 0, READ)?,
                        to_u64(get(row, 1, READ)?, "COUNT(certificates)")?,
                        to_u64(get(row, 2, READ)?, "COUNT(certificates.revoked_at)")?,
                    ))
                },
            )
        })
        .await
    }

    async fn holder_certificates(&self, holder: HolderId) -> Result<Vec<CertificateRow>, Error> {
        self.run(move |client| {
            certificate_rows(
                client,
                "holder_id = $1 AND revoked_at IS NULL",
                &[&holder.0],
                "issued_at, serial",
                "read holder certificates",
            )
        })
        .await
    }

    async fn certificate(&self, serial: &[u8]) -> Result<Option<CertificateRow>, Error> {
        let serial = serial.to_vec();
        self.run(move |client| {
            optional_row(
                client,
                &format!("SELECT {CERTIFICATE_COLUMNS} FROM certificates WHERE serial = $1"),
                &[&serial],
                "read certificate",
                certificate_row,
            )
        })
        .await
    }

    async fn revoke_certificate(
        &self,
        serial: &[u8],
        holder: Option<HolderId>,
        reason: &str,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<bool, Error> {
        let serial = serial.to_vec();
        let reason = reason.to_owned();
        self.write("revocation", move |transaction| {
            const READ: &str = "read certificate";
            let found = optional_row(
                transaction,
                "SELECT holder_id, revoked_at FROM certificates WHERE serial = $1",
                &[&serial],
                READ,
                |row| {
                    Ok((
                        get::<Option<i64>>(row, 0, READ)?,
                        get::<Option<i64>>(row, 1, READ)?,
                    ))
                },
            )?;
            let Some((owner, revoked_at)) = found else {
                return Err(Error::NotFound {
                    what: "certificate",
                });
            };
            if holder.is_some_and(|holder| owner != Some(holder.0)) {
                return Err(Error::NotFound {
                    what: "certificate",
                });
            }
            if revoked_at.is_some() {
                return Ok(false);
            }
            execute(
                transaction,
                "UPDATE certificates SET revoked_at = $2, reason = $3 WHERE serial = $1",
                &[&serial, &at.0, &reason],
                "revoke certificate",
            )?;
            append_log(transaction, &log_entry, owner.map(HolderId))?;
            Ok(true)
        })
        .await
    }

    async fn revoked_certificates(&self, now: Timestamp) -> Result<Vec<CertificateRow>, Error> {
        self.run(move |client| {
            certificate_rows(
                client,
                "revoked_at IS NOT NULL AND not_after > $1",
                &[&now.0],
                "revoked_at, serial",
                "read revoked certificates",
            )
        })
        .await
    }

    async fn recognise_foreign_ca(
        &self,
        ca: ForeignCaRow,
        log_entry: Vec<u8>,
    ) -> Result<(), Error> {
        let scenarios = serde_json::to_string(&ca.scenarios)
            .map_err(|_| Error::Internal("scenarios encoding"))?;
        self.write("recognition", move |transaction| {
            execute(
                transaction,
                "INSERT INTO foreign_cas (name, der, qualification, certificate_type, \
                 technical_standard, scenarios, recognised_at, withdrawn_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, NULL) ON CONFLICT (name) DO UPDATE SET \
                 der = excluded.der, qualification = excluded.qualification, \
                 certificate_type = excluded.certificate_type, \
                 technical_standard = excluded.technical_standard, \
                 scenarios = excluded.scenarios, recognised_at = excluded.recognised_at, \
                 withdrawn_at = NULL",
                &[
                    &ca.name,
                    &ca.der,
                    &ca.qualification,
                    &ca.certificate_type,
                    &ca.technical_standard,
                    &scenarios,
                    &ca.recognised_at.0,
                ],
                "recognise foreign ca",
            )?;
            append_log(transaction, &log_entry, None).map(drop)
        })
        .await
    }

    async fn withdraw_foreign_ca(
        &self,
        name: &str,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<bool, Error> {
        let name = name.to_owned();
        self.write("withdrawal", move |transaction| {
            let withdrawn = execute(
                transaction,
                "UPDATE foreign_cas SET withdrawn_at = $2 WHERE name = $1 AND withdrawn_at IS NULL",
                &[&name, &at.0],
                "withdraw foreign ca",
            )?;
            if withdrawn == 0 {
                return Ok(false);
            }
            append_log(transaction, &log_entry, None)?;
            Ok(true)
        })
        .await
    }

    async fn foreign_cas(&self) -> Result<Vec<ForeignCaRow>, Error> {
        self.run(|client| {
            const READ: &str = "read foreign cas";
            rows(
                client,
                "SELECT name, der, qualification, certificate_type, technical_standard, \
                 scenarios, recognised_at FROM foreign_cas WHERE withdrawn_at IS NULL \
                 ORDER BY name COLLATE \"C\"",
                &[],
                READ,
                |row| {
                    let scenarios: String = get(row, 5, READ)?;
                    Ok(ForeignCaRow {
                        name: get(row, 0, READ)?,
                        der: get(row, 1, READ)?,
                        qualification: get(row, 2, READ)?,
                        certificate_type: get(row, 3, READ)?,
                        technical_standard: get(row, 4, READ)?,
                        scenarios: serde_json::from_str(&scenarios).map_err(|_| {
                            Error::Corrupt {
                                column: "foreign_cas.scenarios",
                            }
                        })?,
                        recognised_at: Timestamp(get(row, 6, READ)?),
                    })
                },
            )
        })
        .await
    }

    async fn holder_count(&self) -> Result<u64, Error> {
        self.run(|client| {
            let row = client
                .query_one("SELECT COUNT(*) FROM holders WHERE deleted_at IS NULL", &[])
                .map_err(database("count holders"))?;
            to_u64(get(&row, 0, "count holders")?, "COUNT(holders)")
        })
        .await
    }

    async fn holder_by_net_id(
        &self,
        net_id_index: &BlindIndex,
    ) -> Result<Option<HolderRow>, Error> {
        let key = net_id_index.as_bytes().to_vec();
        self.run(move |client| holder_where(client, "net_id_index", &key))
            .await
    }

    async fn record_operator_read(
        &self,
        read: OperatorReadRow,
        log_entry: Vec<u8>,
        deferral_entry: Option<Vec<u8>>,
    ) -> Result<u64, Error> {
        self.write("operator read", move |transaction| {
            let row = transaction
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM holders WHERE id = $1 AND deleted_at IS NULL)",
                    &[&read.holder.0],
                )
                .map_err(database("read holder"))?;
            let live: bool = get(&row, 0, "read holder")?;
            if !live {
                return Err(Error::NotFound { what: "holder" });
            }
            let log_index = append_log(transaction, &log_entry, Some(read.holder))?;
            if let Some(entry) = &deferral_entry {
                append_log(transaction, entry, None)?;
            }
            let deferral = read.deferral.as_ref();
            execute(
                transaction,
                "INSERT INTO operator_reads (log_index, holder_id, fields, legal_basis, \
                 reference, read_at, deferral_ground, deferral_basis, deferral_ends_at, \
                 sealed_tag_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    &log_index,
                    &read.holder.0,
                    &read.fields.join(","),
                    &read.legal_basis,
                    &read.reference,
                    &read.read_at.0,
                    &deferral.map(|deferral| &deferral.ground),
                    &deferral.map(|deferral| &deferral.legal_basis),
                    &deferral.map(|deferral| deferral.ends_at.0),
                    &deferral.map(|deferral| &deferral.sealed_tag_key),
                ],
                "record operator read",
            )?;
            to_u64(log_index, "log_entries.idx")
        })
        .await
    }

    async fn operator_reads(&self, holder: HolderId) -> Result<Vec<OperatorReadRow>, Error> {
        self.run(move |client| {
            const READ: &str = "read operator reads";
            rows(
                client,
                "SELECT log_index, fields, legal_basis, reference, read_at, deferral_ground, \
                 deferral_basis, deferral_ends_at, sealed_tag_key FROM operator_reads \
                 WHERE holder_id = $1 ORDER BY log_index",
                &[&holder.0],
                READ,
                |row| {
                    let ground: Option<String> = get(row, 5, READ)?;
                    let basis: Option<String> = get(row, 6, READ)?;
                    let ends_at: Option<i64> = get(row, 7, READ)?;
                    let key: Option<Vec<u8>> = get(row, 8, READ)?;
                    let fields: String = get(row, 1, READ)?;
                    let log_index: i64 = get(row, 0, READ)?;
                    Ok(OperatorReadRow {
                        log_index: to_u64(log_index, "operator_reads.log_index")?,
                        holder,
                        fields: fields.split(',').map(str::to_owned).collect(),
                        legal_basis: get(row, 2, READ)?,
                        reference: get(row, 3, READ)?,
                        read_at: Timestamp(get(row, 4, READ)?),
                        deferral: ground.zip(basis).zip(ends_at).zip(key).map(
                            |(((ground, legal_basis), ends_at), key)| NoticeDeferralRow {
                                ground,
                                legal_basis,
                                ends_at: Timestamp(ends_at),
                                sealed_tag_key: key,
                            },
                        ),
                    })
                },
            )
        })
        .await
    }

    async fn deferral_counts(&self, now: Timestamp) -> Result<DeferralCountsRow, Error> {
        self.run(move |client| {
            const READ: &str = "count operator reads";
            let row = client
                .query_one(
                    "SELECT COUNT(*), COUNT(deferral_ends_at), \
                     COUNT(*) FILTER (WHERE deferral_ends_at > $1) FROM operator_reads",
                    &[&now.0],
                )
                .map_err(database(READ))?;
            let count = |index: usize| to_u64(get(&row, index, READ)?, "COUNT(operator_reads)");
            Ok(DeferralCountsRow {
                operator_reads: count(0)?,
                deferred: count(1)?,
                deferred_now: count(2)?,
            })
        })
        .await
    }

    async fn set_oidc_client(&self, client: OidcClientRow) -> Result<(), Error> {
        let redirect_uris = serde_json::to_string(&client.redirect_uris)
            .map_err(|_| Error::Internal("redirect uris encoding"))?;
        self.write("oidc client", move |transaction| {
            let known = optional_row(
                transaction,
                "SELECT client_id FROM platforms WHERE client_id = $1",
                &[&client.client_id],
                "read platform",
                |_| Ok(()),
            )?;
            if known.is_none() {
                return Err(Error::NotFound { what: "platform" });
            }
            execute(
                transaction,
                "INSERT INTO oidc_clients (client_id, redirect_uris, jwks, id_token_alg, \
                 auth_method, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_id) \
                 DO UPDATE SET redirect_uris = excluded.redirect_uris, jwks = excluded.jwks, \
                 id_token_alg = excluded.id_token_alg, auth_method = excluded.auth_method, \
                 updated_at = excluded.updated_at",
                &[
                    &client.client_id,
                    &redirect_uris,
                    &client.jwks,
                    &client.id_token_alg,
                    &client.auth_method,
                    &client.updated_at.0,
                ],
                "set oidc client",
            )?;
            Ok(())
        })
        .await
    }

    async fn oidc_client(&self, client_id: &str) -> Result<Option<OidcClientRow>, Error> {
        let client_id = client_id.to_owned();
        self.run(move |client| {
            const READ: &str = "read oidc client";
            optional_row(
                client,
                "SELECT client_id, redirect_uris, jwks, id_token_alg, updated_at, auth_method \
                 FROM oidc_clients WHERE client_id = $1",
                &[&client_id],
                READ,
                |row| {
                    let uris: String = get(row, 1, READ)?;
                    Ok(OidcClientRow {
                        client_id: get(row, 0, READ)?,
                        redirect_uris: serde_json::from_str(&uris).map_err(|_| Error::Corrupt {
                            column: "oidc_clients.redirect_uris",
                        })?,
                        jwks: get(row, 2, READ)?,
                        id_token_alg: get(row, 3, READ)?,
                        auth_method: get(row, 5, READ)?,
                        updated_at: Timestamp(get(row, 4, READ)?),
                    })
                },
            )
        })
        .await
    }

    async fn use_nonce(
        &self,
        client_id: &str,
        nonce_index: BlindIndex,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), Error> {
        let client_id = client_id.to_owned();
        self.write_grouped(move |transaction| {
            use_nonce_in(transaction, &client_id, &nonce_index, expires_at, now)?;
            Ok(())
        })
        .await
    }

    async fn count_code_failure(
        &self,
        document_index: BlindIndex,
        code_index: BlindIndex,
    ) -> Result<u32, Error> {
        self.write("code failure", move |transaction| {
            let rows = transaction
                .query(
                    &crate::COUNT_CODE_FAILURE
                        .replace("?1, ?2, 1", "$1::bytea, $2::bytea, 1")
                        .replace("?1", "$1"),
                    &[
                        &document_index.as_bytes().as_slice(),
                        &code_index.as_bytes().as_slice(),
                    ],
                )
                .map_err(database("count code failure"))?;
            let failures: Option<i64> = match rows.first() {
                Some(row) => Some(get(row, 0, "count code failure")?),
                None => None,
            };
            Ok(failures.map_or(0, |count| u32::try_from(count).unwrap_or(u32::MAX)))
        })
        .await
    }

    async fn use_wallet_request(
        &self,
        request_index: BlindIndex,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), Error> {
        self.write_grouped(move |transaction| {
            execute(
                transaction,
                "DELETE FROM used_wallet_requests WHERE expires_at < $1",
                &[&now.0],
                "purge wallet requests",
            )?;
            transaction
                .execute(
                    "INSERT INTO used_wallet_requests (request_index, expires_at) VALUES ($1, $2)",
                    &[&request_index.as_bytes().as_slice(), &expires_at.0],
                )
                .map_err(insert_error("use wallet request", |_| Conflict::Nonce))?;
            Ok(())
        })
        .await
    }

    async fn add_passkey(&self, passkey: PasskeyRow, log_entry: Vec<u8>) -> Result<(), Error> {
        self.write("passkey", move |transaction| {
            let inserted = transaction
                .execute(
                    "INSERT INTO passkeys (credential_id, holder_id, spki, sign_count, created_at) \
                     SELECT $1, id, $3, $4, $5 FROM holders WHERE id = $2 AND deleted_at IS NULL",
                    &[
                        &passkey.credential_id,
                        &passkey.holder.0,
                        &passkey.spki,
                        &passkey.sign_count,
                        &passkey.created_at.0,
                    ],
                )
                .map_err(insert_error("add passkey", |_| Conflict::Passkey))?;
            if inserted == 0 {
                return Err(Error::NotFound { what: "holder" });
            }
            append_log(transaction, &log_entry, Some(passkey.holder)).map(drop)
        })
        .await
    }

    async fn passkeys_of(&self, holder: HolderId) -> Result<Vec<PasskeyRow>, Error> {
        self.run(move |client| {
            const READ: &str = "read passkeys";
            rows(
                client,
                "SELECT credential_id, holder_id, spki, sign_count, created_at FROM passkeys \
                 WHERE holder_id = $1 ORDER BY created_at, credential_id",
                &[&holder.0],
                READ,
                |row| passkey_row(row, READ),
            )
        })
        .await
    }

    async fn remove_passkey(
        &self,
        holder: HolderId,
        credential_id: Vec<u8>,
        log_entry: Vec<u8>,
    ) -> Result<bool, Error> {
        self.write("passkey removal", move |transaction| {
            let removed = execute(
                transaction,
                "DELETE FROM passkeys WHERE holder_id = $1 AND credential_id = $2",
                &[&holder.0, &credential_id],
                "remove passkey",
            )?;
            if removed == 0 {
                return Ok(false);
            }
            append_log(transaction, &log_entry, Some(holder))?;
            Ok(true)
        })
        .await
    }

    async fn passkey(&self, credential_id: &[u8]) -> Result<Option<PasskeyRow>, Error> {
        let credential_id = credential_id.to_vec();
        self.run(move |client| {
            const READ: &str = "read passkey";
            optional_row(
                client,
                "SELECT p.credential_id, p.holder_id, p.spki, p.sign_count, p.created_at \
                 FROM passkeys p JOIN holders h ON h.id = p.holder_id \
                 WHERE p.credential_id = $1 AND h.deleted_at IS NULL",
                &[&credential_id],
                READ,
                |row| passkey_row(row, READ),
            )
        })
        .await
    }

    async fn use_passkey(&self, credential_id: &[u8], sign_count: i64) -> Result<(), Error> {
        let credential_id = credential_id.to_vec();
        self.write("passkey use", move |transaction| {
            let changed = transaction
                .execute(
                    "UPDATE passkeys SET sign_count = $2 \
                     WHERE credential_id = $1 AND (sign_count < $2 OR $2 = 0)",
                    &[&credential_id, &sign_count],
                )
                .map_err(database("use passkey"))?;
            if changed == 0 {
                return Err(Error::NotFound { what: "passkey" });
            }
            Ok(())
        })
        .await
    }

    async fn live_consents(&self, holder: HolderId) -> Result<Vec<ConsentRow>, Error> {
        self.run(move |client| {
            const READ: &str = "read consents";
            rows(
                client,
                "SELECT client_id, field, given_at FROM consents \
                 WHERE holder_id = $1 AND withdrawn_at IS NULL ORDER BY client_id, field",
                &[&holder.0],
                READ,
                |row| {
                    Ok(ConsentRow {
                        client_id: get(row, 0, READ)?,
                        field: get(row, 1, READ)?,
                        given_at: Timestamp(get(row, 2, READ)?),
                    })
                },
            )
        })
        .await
    }
}

/// Marks `nonce_index` of `client_id` used until `expires_at`, purging expired ones first;
/// [`Conflict::Nonce`] if it was used.
fn use_nonce_in(
    transaction: &mut Transaction<'_>,
    client_id: &str,
    nonce_index: &BlindIndex,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<(), Error> {
    execute(
        transaction,
        "DELETE FROM used_presentation_nonces WHERE expires_at < $1",
        &[&now.0],
        "purge nonces",
    )?;
    transaction
        .execute(
            "INSERT INTO used_presentation_nonces (client_id, nonce_index, expires_at) \
             VALUES ($1, $2, $3)",
            &[
                &client_id,
                &nonce_index.as_bytes().as_slice(),
                &expires_at.0,
            ],
        )
        .map_err(insert_error("use nonce", |_| Conflict::Nonce))?;
    Ok(())
}

fn insert_ca_generation(
    transaction: &mut Transaction<'_>,
    generation: &CaGeneration,
    status: CaGenerationStatus,
    at: Timestamp,
) -> Result<(), Error> {
    execute(
        transaction,
        "INSERT INTO ca_generations \
         (id, key_name, root, issuing, responder, status, final_crl, changed_at) \
         VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM ca_generations), \
         $1, $2, $3, $4, $5, $6, $7)",
        &[
            &generation.key_name,
            &generation.root,
            &generation.issuing,
            &generation.responder,
            &status.as_str(),
            &generation.final_crl,
            &at.0,
        ],
        "insert ca generation",
    )
    .map(drop)
}

/// A passkey from its columns: credential id, holder, key, counter, when added.
fn passkey_row(row: &Row, action: &'static str) -> Result<PasskeyRow, Error> {
    Ok(PasskeyRow {
        credential_id: get(row, 0, action)?,
        holder: HolderId(get(row, 1, action)?),
        spki: get(row, 2, action)?,
        sign_count: get(row, 3, action)?,
        created_at: Timestamp(get(row, 4, action)?),
    })
}
