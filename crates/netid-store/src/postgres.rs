//! The PostgreSQL backend: the same [`crate::Store`], written once, with the same semantics as the SQLite backend,
//! for deployments that run a database server.
//!
//! Writers: every writing transaction first takes one transaction-scoped advisory lock
//! ([`WRITER_LOCK`]). The small, frequent grouped writes (verifications, nonces, enrollments,
//! flows' pending values) take it shared, so the groups of several nodes run at once; every
//! other write (the CA, platforms, consents, deletion, keys: rare) takes it alone, so it runs
//! as on SQLite, with no other write beside it. Grouped writes were written to be safe beside
//! each other: they insert under unique keys, claim with one statement (`ON CONFLICT`, a
//! compare-and-swap `UPDATE`) and take holder ids from a sequence. What they do not do
//! exactly beside each other: a flow's per-owner quota may be passed by one value per node.
//! The transparency log's indexes come from one counter row (`crate::log`), held from a
//! group's last statement to its commit: the serial part of a write.
//! Reads take no lock; each runs as one statement and sees what was committed before it.
//!
//! Group commit: verifications, nonces and enrollments queued while a grouped transaction
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
//! Differences from SQLite that no caller can observe through [`crate::Store`], documented here for
//! operators: there is no `secure_delete` or WAL truncation; a deleted holder's old row
//! versions stay in the table until vacuum, and in PostgreSQL's WAL and base backups, as
//! sealed data, blind indexes and a data key wrapped under the master key, which can still
//! unwrap it: bound WAL and backup retention (`docs/privacy.md`, invariant 4).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, GenericClient, NoTls, Statement};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::backend::{
    Answer, AnyCall, AnyValue, Backend, GroupCommitCounter, GroupedWrite, MAX_GROUP, Place,
    TransactionState, commit_group, in_transaction,
};
use crate::error::PostgresError;
use crate::migrations::POSTGRES as MIGRATIONS;
use crate::sql::{Column, Dialect, Row, Sql, Value};
use crate::{Error, GroupCommits};

/// The key of the advisory lock every writing transaction (and migration) takes first: one
/// constant, so all writers of a database queue on it. The digits spell `netidwr` in ASCII so
/// that it is recognisable in `pg_locks`.
const WRITER_LOCK: i64 = 0x006e_6574_6964_7772;

/// How a writing transaction begins: taking the writers' lock alone, until it ends.
static BEGIN: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("BEGIN; SELECT pg_advisory_xact_lock({WRITER_LOCK})"));

/// How a grouped transaction begins: taking the writers' lock shared, so that the groups of
/// several nodes run at once (see the module's documentation).
static BEGIN_GROUP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("BEGIN; SELECT pg_advisory_xact_lock_shared({WRITER_LOCK})")
});

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

/// A [`crate::Store`] on a PostgreSQL database.
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
        self.run(|conn| schema_version(&mut conn.client)).await
    }

    /// Runs `call` with a pooled connection on the blocking pool.
    async fn run<T, F>(&self, call: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, Error> + Send + 'static,
    {
        let permit = Arc::clone(&self.pool.permits)
            .acquire_owned()
            .await
            .map_err(|_| Error::Internal("the postgresql pool's semaphore was closed"))?;
        let pool = Arc::clone(&self.pool);
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.take()?;
            let result = call(&mut conn);
            // A connection to a server that went away, or that is a standby now, is not
            // used again: the next call connects anew (to the new primary, with a multi-host
            // URL and `target_session_attrs=read-write`).
            if !matches!(&result, Err(error) if error.is_unavailable()) {
                pool.give_back(conn);
            }
            drop(permit);
            result
        })
        .await
        .map_err(|_| Error::Task)?
    }
}

impl Backend for PostgresStore {
    fn committed_groups(&self) -> GroupCommits {
        self.group_commits.read()
    }

    fn run_call(&self, place: Place, call: AnyCall) -> Answer<'_, AnyValue> {
        match place {
            Place::Lookup | Place::Read => Box::pin(self.run(move |client| call(&mut Pg(client)))),
            // PostgreSQL keeps old row versions until vacuum, and in its WAL and base backups:
            // the operator bounds their retention (`docs/privacy.md`, invariant 4).
            Place::Write(operation) | Place::Erasing(operation) => Box::pin(
                self.run(move |client| in_transaction(&mut Pg(client), &BEGIN, operation, call)),
            ),
            // Only the log's tables, made safe by their own compare-and-swap: no writers' lock.
            Place::LogIntegration(operation) => Box::pin(
                self.run(move |client| in_transaction(&mut Pg(client), "BEGIN", operation, call)),
            ),
            Place::Grouped => self.grouped(call),
        }
    }
}

impl PostgresStore {
    /// The writes queued while one transaction commits go together in the next, each in a
    /// savepoint of its own, so they pay for the writers' lock and the WAL flush once. The
    /// first of them to arrive commits the queue, on a task of its own.
    fn grouped(&self, call: AnyCall) -> Answer<'static, AnyValue> {
        let (write, answer) = GroupedWrite::new(call);
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
                    cause: Some(("the store was closing".to_owned(), false)),
                };
                let queue = Arc::clone(&store.grouped);
                let counter = Arc::clone(&store.group_commits);
                let led = store
                    .run(move |client| commit_queued(client, &queue, &counter))
                    .await;
                // After a normal run the queue was found empty and handed back already.
                guard.cause = led
                    .err()
                    .map(|error| (error.to_string(), error.is_unavailable()));
            });
        }
        answer
    }
}

/// A pooled connection and the statements prepared on it.
struct Conn {
    client: Client,
    /// By SQL text. The store's statements are a fixed set, so this stays small; it is
    /// cleared if it ever grows past [`MAX_PREPARED`].
    prepared: std::collections::HashMap<String, Statement>,
}

/// The most statements a connection keeps prepared.
const MAX_PREPARED: usize = 512;

impl Conn {
    /// `sql` prepared on this connection: parsed and planned once per connection, so that
    /// each later use is one round trip instead of two.
    fn statement(&mut self, operation: &'static str, sql: &str) -> Result<Statement, Error> {
        if let Some(statement) = self.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).map_err(database(operation))?;
        if self.prepared.len() >= MAX_PREPARED {
            self.prepared.clear();
        }
        self.prepared.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

/// A connection as the store's operations use it.
struct Pg<'c>(&'c mut Conn);

impl Sql for Pg<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(
        &mut self,
        operation: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<u64, Error> {
        let args: Vec<&(dyn ToSql + Sync)> = args
            .iter()
            .map(|arg| -> &(dyn ToSql + Sync) { arg })
            .collect();
        let statement = self.0.statement(operation, sql)?;
        self.0
            .client
            .execute(&statement, &args)
            .map_err(database(operation))
    }

    fn query(
        &mut self,
        operation: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Vec<Row>, Error> {
        let args: Vec<&(dyn ToSql + Sync)> = args
            .iter()
            .map(|arg| -> &(dyn ToSql + Sync) { arg })
            .collect();
        let statement = self.0.statement(operation, sql)?;
        let rows = self
            .0
            .client
            .query(&statement, &args)
            .map_err(database(operation))?;
        rows.iter()
            .map(|row| {
                let columns = (0..row.len())
                    .map(|index| {
                        column(row, index).map_err(|_| Error::Unreadable { operation, index })
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Row::new(columns, operation))
            })
            .collect()
    }

    fn batch(&mut self, operation: &'static str, sql: &str) -> Result<(), Error> {
        self.0
            .client
            .batch_execute(sql)
            .map_err(database(operation))
    }
}

impl TransactionState for Pg<'_> {
    /// PostgreSQL never ends a transaction by itself while the connection lives: a failed
    /// statement leaves it aborted until a rollback (to a savepoint).
    fn in_transaction(&self) -> bool {
        !self.0.client.is_closed()
    }
}

/// Column `index` of `row`, by its type.
fn column(row: &postgres::Row, index: usize) -> Result<Column, postgres::Error> {
    let ty = row
        .columns()
        .get(index)
        .map(|column| column.type_().clone());
    Ok(match ty {
        Some(Type::INT8) => row
            .try_get::<_, Option<i64>>(index)?
            .map_or(Column::Null, Column::Int),
        Some(Type::INT4) => row
            .try_get::<_, Option<i32>>(index)?
            .map_or(Column::Null, |value| Column::Int(value.into())),
        Some(Type::BOOL) => row
            .try_get::<_, Option<bool>>(index)?
            .map_or(Column::Null, |value| Column::Int(value.into())),
        Some(Type::BYTEA) => row
            .try_get::<_, Option<Vec<u8>>>(index)?
            .map_or(Column::Null, Column::Bytes),
        _ => row
            .try_get::<_, Option<String>>(index)?
            .map_or(Column::Null, Column::Text),
    })
}

impl ToSql for Value<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match (*self, ty) {
            (Self::Null, _) => Ok(IsNull::Yes),
            (Self::Int(value), &Type::INT4) => i32::try_from(value)?.to_sql_checked(ty, out),
            (Self::Int(value), &Type::BOOL) => (value != 0).to_sql_checked(ty, out),
            (Self::Int(value), _) => value.to_sql_checked(ty, out),
            (Self::Text(text), _) => text.to_sql_checked(ty, out),
            (Self::Bytes(bytes), _) => bytes.to_sql_checked(ty, out),
            (Self::Ints(values), _) => values.to_sql_checked(ty, out),
            (Self::BytesList(values), _) => values.to_sql_checked(ty, out),
        }
    }

    /// Checked per value in `to_sql`, where each type's own `accepts` runs: a value of the
    /// wrong type fails there, as for any other parameter.
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// The leading task's hold on the queue. If the task ends without having committed the queue
/// to the end (`cause` says why), what is still queued is answered with that and the next
/// write may lead.
struct Leading {
    queue: Arc<Mutex<GroupQueue>>,
    /// Why, and whether because the database was away.
    cause: Option<(String, bool)>,
}

impl Drop for Leading {
    fn drop(&mut self) {
        let Some((cause, unavailable)) = &self.cause else {
            return;
        };
        let mut queue = lock(&self.queue);
        for write in queue.writes.drain(..) {
            let _ = write.reply.send(Err(Error::RolledBack {
                cause: cause.clone(),
                unavailable: *unavailable,
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

/// Commits the queued grouped writes, a group at a time, until none is left; stops with an
/// unavailable error if the database went away (the connection is dropped, and what is still
/// queued is answered by the leading task's guard).
fn commit_queued(
    client: &mut Conn,
    queue: &Mutex<GroupQueue>,
    counter: &GroupCommitCounter,
) -> Result<(), Error> {
    loop {
        let group: Vec<GroupedWrite> = {
            let mut queue = lock(queue);
            if queue.writes.is_empty() {
                queue.leading = false;
                return Ok(());
            }
            let take = queue.writes.len().min(MAX_GROUP);
            queue.writes.drain(..take).collect()
        };
        if commit_group(&mut Pg(client), &BEGIN_GROUP, group, counter) {
            return Err(Error::RolledBack {
                cause: "the database went away".to_owned(),
                unavailable: true,
            });
        }
    }
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

/// The key of the session lock on a database ("netidsv" in ASCII): every running node holds it
/// shared; what needs the database to itself (a master-key rotation) holds it alone, so that
/// neither starts while the other runs.
const SERVER_LOCK: i64 = 0x006e_6574_6964_7376;

/// A claim on a database: a session advisory lock on a connection of its own, shared by the
/// nodes of one service or held alone. [`DatabaseClaim::release`] gives it up; dropping it does
/// so a moment later.
pub struct DatabaseClaim {
    client: Option<Client>,
}

impl core::fmt::Debug for DatabaseClaim {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DatabaseClaim").finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Claims the database at `url` for one node among any number of nodes;
    /// [`Error::InUse`] while something holds it alone ([`PostgresStore::claim_alone`]).
    pub async fn claim_shared(
        url: &str,
        options: &PostgresOptions,
    ) -> Result<DatabaseClaim, Error> {
        Self::claim(url, options, "pg_try_advisory_lock_shared($1)").await
    }

    /// Claims the database at `url` alone (a master-key rotation); [`Error::InUse`] while a
    /// node or another holder has a claim.
    pub async fn claim_alone(url: &str, options: &PostgresOptions) -> Result<DatabaseClaim, Error> {
        Self::claim(url, options, "pg_try_advisory_lock($1)").await
    }

    async fn claim(
        url: &str,
        options: &PostgresOptions,
        try_lock: &'static str,
    ) -> Result<DatabaseClaim, Error> {
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
                .query_one(&format!("SELECT {try_lock}"), &[&SERVER_LOCK])
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
    idle: Mutex<Vec<Conn>>,
    permits: Arc<tokio::sync::Semaphore>,
}

impl Pool {
    /// An idle connection, or a new one.
    fn take(&self) -> Result<Conn, Error> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        match idle {
            Some(conn) => Ok(conn),
            None => self.open().map(|client| Conn {
                client,
                prepared: std::collections::HashMap::new(),
            }),
        }
    }

    /// Returns a connection that still works to the idle list.
    fn give_back(&self, conn: Conn) {
        if !conn.client.is_closed() {
            self.idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(conn);
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
        let idle = std::mem::take(
            self.idle
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        close_clients(idle.into_iter().map(|conn| conn.client).collect());
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

fn schema_version(client: &mut impl GenericClient) -> Result<u32, Error> {
    let row = client
        .query_one("SELECT MAX(version) FROM schema_version", &[])
        .map_err(database("read schema version"))?;
    let version: Option<i64> = row.try_get(0).map_err(database("read schema version"))?;
    u32::try_from(version.unwrap_or(0)).map_err(|_| Error::Corrupt {
        column: "schema_version.version",
    })
}

/// Runs the migrations the database lacks, in one transaction holding the writers' lock, so
/// that two processes starting at once migrate once (the second finds the work done).
fn migrate(conn: &mut Conn) -> Result<(), Error> {
    let failed = |version: u32| move |source| postgres_migration(version, source);
    let mut transaction = conn.client.transaction().map_err(failed(0))?;
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
    // PostgreSQL databases start at version 11 (see `migrations`): a version below
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
