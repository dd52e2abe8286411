//! The SQLite backend: the embedded default, one database file in the data directory.
//!
//! Durability: the journal is WAL and `synchronous=FULL`, so a transaction that has returned
//! is on disk (WAL with `NORMAL` may lose the last commits on power loss). Foreign keys are
//! enforced.
//!
//! Connections: one writer, which is all SQLite allows, runs on a thread of its own and takes
//! its work from a queue, so callers never contend for it. Writes marked as grouped (the
//! frequent, small acts: verifications, nonces, enrollments) that are waiting together share
//! one transaction and so one `fsync`, each in its own savepoint, and each caller hears only
//! after that transaction has committed (group commit); when writes come in quick
//! succession the writer waits up to a millisecond for more before it commits. Point lookups
//! run on a few read-only connections beside the writer, which WAL lets read while it writes.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

use crate::migrations::MIGRATIONS;
use crate::types::{
    AnyValue, AuthorityRow, BlindIndex, CaChange, CaGeneration, CaGenerationStatus, CertificateRow,
    ConsentRow, CredentialRow, DeferralCountsRow, ForeignCaRow, GroupCommitCounter, GroupCommits,
    GroupDone, HolderId, HolderRow, MAX_GROUP, NewHolder, NoticeDeferralRow, OidcClientRow,
    OperatorReadRow, PasskeyRow, PlatformField, PlatformRow, ResealedHolder, Revocation, RosterRow,
    SealedTagKey, StoredNetId, Timestamp, WalletKeyRow, answer_commit, grouped_answer,
    run_grouped_write,
};
use crate::{
    CONSENT_STANDS, Conflict, END_CONSENTS_ON_NEW_TERMS, END_CONSENTS_TO_A_REFUSED_FIELD, Error,
    Store,
};

/// Read-only connections beside the writer: enough that the runtime's worker threads seldom
/// wait for one another.
const READERS: usize = 4;

/// How long the writer lets grouped writes gather when it is busy. Measured under the load
/// run: without it a commit served 2.3 verifications on average, with 1 ms 5.8 to 8.8, at
/// the cost of 1 ms more latency.
const GROUP_WAIT: Duration = Duration::from_millis(1);

/// A [`Store`] on one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    writer: Arc<Writer>,
    readers: Arc<Readers>,
    group_commits: Arc<GroupCommitCounter>,
}

impl core::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, configures WAL and synchronous
    /// commits, and runs the migrations this build knows.
    pub async fn open(path: &Path) -> Result<Self, Error> {
        let path = path.to_owned();
        let (writer, readers) = tokio::task::spawn_blocking(move || {
            let writer = open_blocking(&path)?;
            let readers = (0..READERS)
                .map(|_| open_reader(&path).map(Mutex::new))
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, Error>((writer, readers))
        })
        .await
        .map_err(|_| Error::Task)??;
        let group_commits = Arc::new(GroupCommitCounter::default());
        Ok(Self {
            writer: Arc::new(Writer::start(writer, Arc::clone(&group_commits))?),
            group_commits,
            readers: Arc::new(Readers {
                connections: readers,
                next: AtomicUsize::new(0),
            }),
        })
    }

    /// The schema version of the open database.
    pub async fn schema_version(&self) -> Result<u32, Error> {
        self.run(|connection| schema_version(connection)).await
    }

    /// The value of a `PRAGMA` on the writer (for tests of the durability settings).
    pub async fn pragma(&self, name: &'static str) -> Result<String, Error> {
        self.run(move |connection| {
            connection
                .query_row(&format!("PRAGMA {name}"), [], |row| {
                    row.get::<_, rusqlite::types::Value>(0)
                })
                .map(|value| match value {
                    rusqlite::types::Value::Integer(number) => number.to_string(),
                    rusqlite::types::Value::Text(text) => text,
                    _ => String::new(),
                })
                .map_err(database("pragma"))
        })
        .await
    }

    /// Runs `call` on the writer by itself; it opens its own transaction where it needs one.
    async fn run<T, F>(&self, call: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, Error> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.writer.send(Job::Alone(Box::new(move |connection| {
            let _ = reply.send(call(connection));
        })))?;
        answer.await.map_err(|_| Error::Task)?
    }

    /// Runs `call` on the writer inside a transaction it may share with other grouped
    /// writes, and answers once that transaction has committed. `call` must not open a
    /// transaction of its own; if it fails, what it wrote is rolled back and the others are
    /// unaffected.
    async fn write<T, F>(&self, call: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.writer.send(Job::Grouped(GroupedWrite {
            call: Box::new(move |connection| {
                call(connection).map(|value| -> AnyValue { Box::new(value) })
            }),
            reply,
        }))?;
        grouped_answer(answer).await
    }

    /// Runs `call` on a read-only connection, on the calling thread: only for lookups by an
    /// indexed key, which take microseconds, so that the common requests do not pay a hand-off
    /// to another thread and back for each read. It sees every write that has been answered.
    fn read<T>(&self, call: impl FnOnce(&Connection) -> Result<T, Error>) -> Result<T, Error> {
        let connections = &self.readers.connections;
        let start = self.readers.next.fetch_add(1, Ordering::Relaxed);
        let free = (0..connections.len()).find_map(|offset| {
            connections
                .get((start + offset) % connections.len())
                .and_then(|reader| reader.try_lock().ok())
        });
        let guard = match free {
            Some(guard) => guard,
            None => connections
                .get(start % connections.len())
                .ok_or(Error::Internal("no read connection"))?
                .lock()
                // A read that panicked held no transaction open: the connection is fine.
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        };
        call(&guard)
    }
}

/// The read-only connections.
struct Readers {
    connections: Vec<Mutex<Connection>>,
    /// Where the next read starts looking for a free connection.
    next: AtomicUsize,
}

/// Work for the writer thread.
enum Job {
    /// Runs by itself and answers for itself.
    Alone(Box<dyn FnOnce(&mut Connection) + Send>),
    Grouped(GroupedWrite),
}

/// The work of a grouped write, run inside the shared transaction.
type GroupedCall = Box<dyn FnOnce(&Connection) -> Result<AnyValue, Error> + Send>;

/// A write that may share a transaction with others.
struct GroupedWrite {
    call: GroupedCall,
    reply: oneshot::Sender<Result<AnyValue, Error>>,
}

/// The queue to the writer thread, which owns the one writing connection. Dropping the last
/// handle closes the queue, lets the thread finish what was queued, and waits for it, so the
/// database is closed when the store is.
struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    fn start(connection: Connection, counter: Arc<GroupCommitCounter>) -> Result<Self, Error> {
        let (jobs, queue) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("netid-sqlite-writer".to_owned())
            .spawn(move || write_loop(connection, &queue, &counter))
            .map_err(|_| Error::Internal("could not start the database writer thread"))?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    fn send(&self, job: Job) -> Result<(), Error> {
        self.jobs
            .as_ref()
            .ok_or(Error::Task)?
            .send(job)
            .map_err(|_| Error::Task)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The writer thread: takes jobs in order; grouped writes that are queued together (because
/// they arrived while the previous commit was being made durable) share one transaction.
fn write_loop(
    mut connection: Connection,
    queue: &mpsc::Receiver<Job>,
    counter: &GroupCommitCounter,
) {
    let mut waiting = None;
    let mut busy = false;
    loop {
        let Some(job) = waiting.take().or_else(|| queue.recv().ok()) else {
            return;
        };
        match job {
            Job::Alone(call) => {
                // A call that panics drops its reply (its caller hears `Error::Task`) and its
                // `Transaction`, which rolls back; the connection stays usable.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    call(&mut connection);
                }));
            }
            Job::Grouped(first) => {
                let mut group = vec![first];
                // Under load (the last group had company), let more writes gather for a
                // moment, as PostgreSQL's commit_delay does: one fsync then serves them all.
                // A sleep, not a wait on the queue, so that each arriving write does not wake
                // this thread (and preempt the thread that sent it).
                if busy {
                    std::thread::sleep(GROUP_WAIT);
                }
                while group.len() < MAX_GROUP {
                    match queue.try_recv() {
                        Ok(Job::Grouped(next)) => group.push(next),
                        Ok(other) => {
                            waiting = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                busy = group.len() > 1;
                commit_group(&connection, group, counter);
            }
        }
    }
}

/// Runs one statement without parameters, prepared once per connection.
fn run_cached(connection: &Connection, sql: &str) -> rusqlite::Result<()> {
    connection
        .prepare_cached(sql)
        .and_then(|mut statement| statement.execute([]))
        .map(drop)
}

/// Runs each write in its own savepoint of one transaction, commits it, and only then
/// answers each caller: with its value if the commit succeeded, with its own error if its
/// write failed (and was rolled back to its savepoint), or with the transaction's failure.
fn commit_group(connection: &Connection, group: Vec<GroupedWrite>, counter: &GroupCommitCounter) {
    let mut done: GroupDone = Vec::with_capacity(group.len());
    let mut open = false;
    for write in group {
        // SQLite rolls the whole transaction back by itself on some errors (a full disk, an
        // I/O error): the writes done in it are gone, and the rest start a new one.
        if open && connection.is_autocommit() {
            abandon(connection, &mut done);
            open = false;
        }
        if !open {
            if let Err(source) = run_cached(connection, "BEGIN IMMEDIATE") {
                let _ = write.reply.send(Err(Error::Database {
                    operation: "begin grouped writes",
                    source,
                }));
                continue;
            }
            open = true;
        }
        let outcome = run_cached(connection, "SAVEPOINT grouped_write")
            .map_err(database("begin grouped write"))
            .and_then(|()| run_grouped_write(|| (write.call)(connection)))
            .and_then(|value| {
                run_cached(connection, "RELEASE grouped_write")
                    .map_err(database("end grouped write"))
                    .map(|()| value)
            });
        match outcome {
            Ok(value) => done.push((write.reply, value)),
            Err(error) => {
                let _ = write.reply.send(Err(error));
                // Undo this write alone; if that cannot be done, undo the transaction.
                if connection.is_autocommit()
                    || connection
                        .execute_batch("ROLLBACK TO grouped_write; RELEASE grouped_write")
                        .is_err()
                {
                    abandon(connection, &mut done);
                    open = false;
                }
            }
        }
    }
    if !open {
        return;
    }
    let commit = run_cached(connection, "COMMIT").map_err(|source| {
        let _ = connection.execute_batch("ROLLBACK");
        source.to_string()
    });
    answer_commit(done, commit, counter);
}

/// Rolls back the shared transaction and tells the writes done in it that they are not stored.
fn abandon(connection: &Connection, done: &mut GroupDone) {
    let _ = connection.execute_batch("ROLLBACK");
    for (reply, _) in done.drain(..) {
        let _ = reply.send(Err(Error::RolledBack {
            cause: "another write in it failed".to_owned(),
        }));
    }
}

fn open_blocking(path: &Path) -> Result<Connection, Error> {
    let mut connection = Connection::open(path).map_err(|source| Error::Open { source })?;
    let mode: String = connection
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(|source| Error::Open { source })?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Internal("sqlite refused the WAL journal mode"));
    }
    // secure_delete: deleted and overwritten content is zeroed in the file, not left in free
    // pages. Foreign keys are off while migrations run (the bundled SQLite turns them on by
    // default), so that a migration may rebuild a table
    // (SQLite's documented procedure); the check afterwards proves nothing was broken.
    connection
        .execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = OFF; \
             PRAGMA secure_delete = ON;",
        )
        .map_err(|source| Error::Open { source })?;
    migrate(&mut connection)?;
    let broken: Option<String> = connection
        .query_row("PRAGMA foreign_key_check", [], |row| row.get(0))
        .optional()
        .map_err(|source| Error::Open { source })?;
    if broken.is_some() {
        return Err(Error::Corrupt {
            column: "a foreign key (PRAGMA foreign_key_check)",
        });
    }
    connection
        .execute_batch("PRAGMA foreign_keys = ON;")
        .map_err(|source| Error::Open { source })?;
    Ok(connection)
}

/// A read-only connection to the migrated database at `path`.
fn open_reader(path: &Path) -> Result<Connection, Error> {
    let connection = Connection::open(path).map_err(|source| Error::Open { source })?;
    connection
        // A short wait: a read runs on an async worker thread, which must not stall for long.
        .execute_batch("PRAGMA busy_timeout = 250; PRAGMA query_only = ON;")
        .map_err(|source| Error::Open { source })?;
    Ok(connection)
}

fn schema_version(connection: &Connection) -> Result<u32, Error> {
    let version: Option<i64> = connection
        .query_row("SELECT MAX(version) FROM schema_version", [], |row| {
            row.get(0)
        })
        .map_err(database("read schema version"))?;
    u32::try_from(version.unwrap_or(0)).map_err(|_| Error::Corrupt {
        column: "schema_version.version",
    })
}

fn migrate(connection: &mut Connection) -> Result<(), Error> {
    connection
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_version (
                version INTEGER PRIMARY KEY,
                applied_at INTEGER NOT NULL DEFAULT (unixepoch())
            ) STRICT;",
        )
        .map_err(|source| Error::Migration { version: 0, source })?;
    let current = schema_version(connection)?;
    let supported = u32::try_from(MIGRATIONS.len()).map_err(|_| Error::Internal("migrations"))?;
    if current > supported {
        return Err(Error::SchemaTooNew {
            found: current,
            supported,
        });
    }
    for (version, script) in (1..)
        .zip(MIGRATIONS.iter())
        .skip_while(|(v, _)| *v <= current)
    {
        let failed = |source| Error::Migration { version, source };
        let transaction = connection.transaction().map_err(failed)?;
        transaction.execute_batch(script).map_err(failed)?;
        transaction
            .execute(
                "INSERT INTO schema_version (version) VALUES (?1)",
                params![version],
            )
            .map_err(failed)?;
        transaction.commit().map_err(failed)?;
    }
    Ok(())
}

/// Wraps a SQLite error in [`Error::Database`] naming the operation.
fn database(operation: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |source| Error::Database { operation, source }
}

/// Maps a unique-constraint failure to [`Error::AlreadyExists`] via `classify`, which reads
/// SQLite's message (`UNIQUE constraint failed: table.column`), and other errors to
/// [`Error::Database`].
fn insert_error(
    operation: &'static str,
    classify: impl Fn(&str) -> Conflict,
) -> impl Fn(rusqlite::Error) -> Error {
    move |source| match &source {
        rusqlite::Error::SqliteFailure(failure, message)
            if failure.code == rusqlite::ErrorCode::ConstraintViolation
                && (failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY) =>
        {
            Error::AlreadyExists {
                what: classify(message.as_deref().unwrap_or_default()),
            }
        }
        _ => Error::Database { operation, source },
    }
}

fn holder_conflict(message: &str) -> Conflict {
    if message.contains("holders.net_id_index") {
        Conflict::NetId
    } else if message.contains("holders.person_index") {
        Conflict::Person
    } else {
        Conflict::WalletKey
    }
}

const HOLDER_COLUMNS: &str = "id, net_id_index, sealed_net_id, person_index, \
     wallet_key_fingerprint, wallet_key_spki, wallet_key_suite, wrapped_data_key, sealed_personal";

/// The raw columns of a holder row, converted outside the rusqlite closure so that corrupt
/// values become [`Error::Corrupt`].
type RawHolder = (
    i64,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    String,
    Vec<u8>,
    Vec<u8>,
);

fn raw_holder(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawHolder> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

fn holder_row(raw: RawHolder) -> Result<HolderRow, Error> {
    let (
        id,
        net_id_index,
        sealed_net_id,
        person_index,
        fingerprint,
        spki,
        suite,
        wrapped_data_key,
        sealed_personal,
    ) = raw;
    // A row whose Net ID is still in clear must be sealed (on the service's start) first.
    let (Some(net_id_index), Some(sealed_net_id)) = (net_id_index, sealed_net_id) else {
        return Err(Error::Corrupt {
            column: "holders.sealed_net_id (a legacy row the service has not sealed yet)",
        });
    };
    Ok(HolderRow {
        id: HolderId(id),
        net_id: StoredNetId {
            index: BlindIndex::from_column(&net_id_index, "holders.net_id_index")?,
            sealed: sealed_net_id,
        },
        person_index: BlindIndex::from_column(&person_index, "holders.person_index")?,
        wallet_key: WalletKeyRow {
            fingerprint,
            spki,
            suite,
        },
        wrapped_data_key,
        sealed_personal,
    })
}

fn holder_where(
    connection: &Connection,
    condition: &str,
    key: impl rusqlite::ToSql,
) -> Result<Option<HolderRow>, Error> {
    connection
        .prepare_cached(&format!(
            "SELECT {HOLDER_COLUMNS} FROM holders WHERE {condition} = ?1 AND deleted_at IS NULL"
        ))
        .and_then(|mut statement| statement.query_row(params![key], raw_holder))
        .optional()
        .map_err(database("read holder"))?
        .map(holder_row)
        .transpose()
}

/// Claims `code_index` for `person_index`. Codes are one-time: any second use, even by the
/// same person, is [`Error::EnrollmentCodeClaimed`]; otherwise anyone who learned a used code
/// could recover (take over) that person's Net ID with a key of their own.
fn claim_code(
    transaction: &Connection,
    code_index: &BlindIndex,
    person_index: &BlindIndex,
    at: Timestamp,
) -> Result<(), Error> {
    let owner: Option<Vec<u8>> = transaction
        .query_row(
            "SELECT person_index FROM used_enrollment_codes WHERE code_index = ?1",
            params![code_index.as_bytes()],
            |row| row.get(0),
        )
        .optional()
        .map_err(database("read enrollment code"))?;
    match owner {
        Some(_) => Err(Error::EnrollmentCodeClaimed),
        None => transaction
            .execute(
                "INSERT INTO used_enrollment_codes (code_index, person_index, used_at) \
                 VALUES (?1, ?2, ?3)",
                params![code_index.as_bytes(), person_index.as_bytes(), at.0],
            )
            .map(drop)
            .map_err(database("claim enrollment code")),
    }
}

fn record_guardianship(
    transaction: &Connection,
    minor: HolderId,
    guardian: Option<HolderId>,
    at: Timestamp,
) -> Result<(), Error> {
    if let Some(guardian) = guardian {
        transaction
            .execute(
                "INSERT OR IGNORE INTO guardianships (minor_id, guardian_id, recorded_at) \
                 VALUES (?1, ?2, ?3)",
                params![minor.0, guardian.0, at.0],
            )
            .map_err(database("record guardianship"))?;
    }
    Ok(())
}

/// Appends `leaf` to the log inside `transaction`, as an entry of `holder` if given. The
/// index is the next one: the transaction holds SQLite's write lock, so there are no gaps.
fn append_log(
    transaction: &Connection,
    leaf: &[u8],
    holder: Option<HolderId>,
) -> Result<(), Error> {
    transaction
        .prepare_cached(
            "INSERT INTO log_entries (idx, leaf, holder_id) \
             VALUES ((SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries), ?1, ?2)",
        )
        .and_then(|mut statement| statement.execute(params![leaf, holder.map(|holder| holder.0)]))
        .map(drop)
        .map_err(database("append log entry"))
}

const CERTIFICATE_COLUMNS: &str =
    "serial, holder_id, profile, der, not_after, issued_at, revoked_at, reason";

fn certificate_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<CertificateRow> {
    let revoked_at: Option<i64> = row.get(6)?;
    let reason: Option<String> = row.get(7)?;
    Ok(CertificateRow {
        serial: row.get(0)?,
        holder: row.get::<_, Option<i64>>(1)?.map(HolderId),
        profile: row.get(2)?,
        der: row.get(3)?,
        not_after: Timestamp(row.get(4)?),
        issued_at: Timestamp(row.get(5)?),
        revoked: revoked_at
            .zip(reason)
            .map(|(at, reason)| (Timestamp(at), reason)),
    })
}

/// The certificates matching `condition` (SQL after `WHERE`, its `?N` bound to
/// `parameters`), in `order`.
fn certificate_rows(
    connection: &Connection,
    condition: &str,
    parameters: &[&dyn rusqlite::ToSql],
    order: &str,
    operation: &'static str,
) -> Result<Vec<CertificateRow>, Error> {
    let mut statement = connection
        .prepare(&format!(
            "SELECT {CERTIFICATE_COLUMNS} FROM certificates WHERE {condition} ORDER BY {order}"
        ))
        .map_err(database(operation))?;
    let rows = statement
        .query_map(parameters, certificate_row)
        .map_err(database(operation))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(database(operation))
}

fn insert_certificate_row(
    transaction: &Connection,
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
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            ),
            params![
                certificate.serial,
                certificate.holder.map(|holder| holder.0),
                certificate.profile,
                certificate.der,
                certificate.not_after.0,
                certificate.issued_at.0,
                revoked_at,
                reason
            ],
        )
        .map(drop)
        .map_err(insert_error("insert certificate", |_| {
            Conflict::Certificate
        }))
}

/// The fields `client_id` may receive of `holder` now: approved, with a live consent.
fn disclosable(
    connection: &Connection,
    holder: HolderId,
    client_id: &str,
) -> Result<Vec<String>, Error> {
    let mut statement = connection
        .prepare_cached(
            "SELECT c.field FROM consents c JOIN platform_fields f \
             ON f.client_id = c.client_id AND f.field = c.field \
             WHERE c.holder_id = ?1 AND c.client_id = ?2 AND c.withdrawn_at IS NULL \
             AND f.status = 'approved' ORDER BY c.field",
        )
        .map_err(database("read consents"))?;
    let rows = statement
        .query_map(params![holder.0, client_id], |row| row.get(0))
        .map_err(database("read consents"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(database("read consents"))
}

/// Truncates the WAL after a transaction that overwrote personal data: `secure_delete`
/// overwrote it in the database file, but copies of the old pages sit in the WAL until it is
/// checkpointed. Best effort once the transaction committed: a busy checkpoint is retried
/// by the next one, and never undoes what was acknowledged.
fn truncate_wal(connection: &Connection) {
    let _ = checkpoint_and_truncate_wal(connection);
}

/// Checkpoints the WAL and truncates it to nothing; `Ok(false)` if a reader kept it busy
/// through a few tries (the read-only connections hold a read only for a lookup's length).
fn checkpoint_and_truncate_wal(connection: &Connection) -> Result<bool, Error> {
    for _ in 0..20 {
        let busy: i64 = connection
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
            .map_err(database("checkpoint the wal"))?;
        if busy == 0 {
            return Ok(true);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(false)
}

fn to_u64(value: i64, column: &'static str) -> Result<u64, Error> {
    u64::try_from(value).map_err(|_| Error::Corrupt { column })
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn group_commits(&self) -> GroupCommits {
        self.group_commits.read()
    }

    async fn service_key(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        let name = name.to_owned();
        self.run(move |connection| {
            connection
                .query_row(
                    "SELECT sealed FROM service_keys WHERE name = ?1",
                    params![name],
                    |row| row.get(0),
                )
                .optional()
                .map_err(database("read service key"))
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
        self.run(move |connection| {
            connection
                .execute(
                    "INSERT INTO service_keys (name, sealed, created_at) VALUES (?1, ?2, ?3)",
                    params![name, sealed, at.0],
                )
                .map(drop)
                .map_err(insert_error("insert service key", |_| Conflict::ServiceKey))
        })
        .await
    }

    async fn has_service_keys(&self) -> Result<bool, Error> {
        self.run(|connection| {
            connection
                .query_row("SELECT EXISTS (SELECT 1 FROM service_keys)", [], |row| {
                    row.get(0)
                })
                .map_err(database("count service keys"))
        })
        .await
    }

    async fn initialise(
        &self,
        service_keys: Vec<(String, Vec<u8>)>,
        operator_credential_hash: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error> {
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin first-run initialisation"))?;
            for (name, sealed) in &service_keys {
                transaction
                    .execute(
                        "INSERT INTO service_keys (name, sealed, created_at) VALUES (?1, ?2, ?3)",
                        params![name, sealed, at.0],
                    )
                    .map_err(insert_error("insert service key", |_| Conflict::ServiceKey))?;
            }
            transaction
                .execute(
                    "INSERT INTO operator_credentials (credential_hash, created_at) VALUES (?1, ?2)",
                    params![operator_credential_hash, at.0],
                )
                .map_err(database("insert operator credential"))?;
            transaction
                .commit()
                .map_err(database("commit first-run initialisation"))
        })
        .await
    }

    async fn insert_operator_credential(&self, hash: Vec<u8>, at: Timestamp) -> Result<(), Error> {
        self.run(move |connection| {
            connection
                .execute(
                    "INSERT INTO operator_credentials (credential_hash, created_at) VALUES (?1, ?2)",
                    params![hash, at.0],
                )
                .map(drop)
                .map_err(database("insert operator credential"))
        })
        .await
    }

    async fn replace_operator_credentials(
        &self,
        hash: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error> {
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin credential replacement"))?;
            transaction
                .execute("DELETE FROM operator_credentials", [])
                .map_err(database("withdraw operator credentials"))?;
            transaction
                .execute(
                    "INSERT INTO operator_credentials (credential_hash, created_at) VALUES (?1, ?2)",
                    params![hash, at.0],
                )
                .map_err(database("insert operator credential"))?;
            transaction
                .commit()
                .map_err(database("commit credential replacement"))
        })
        .await
    }

    async fn operator_credentials(&self) -> Result<Vec<Vec<u8>>, Error> {
        self.run(|connection| {
            let mut statement = connection
                .prepare("SELECT credential_hash FROM operator_credentials ORDER BY id")
                .map_err(database("read operator credentials"))?;
            let rows = statement
                .query_map([], |row| row.get(0))
                .map_err(database("read operator credentials"))?;
            rows.collect::<Result<Vec<Vec<u8>>, _>>()
                .map_err(database("read operator credentials"))
        })
        .await
    }

    async fn upsert_authority(
        &self,
        authority: AuthorityRow,
        log_entry: Vec<u8>,
    ) -> Result<(), Error> {
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin authority registration"))?;
            transaction
                .execute(
                    "INSERT INTO authorities (name, suite, public_key_spki, registered_at) \
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET \
                     suite = excluded.suite, public_key_spki = excluded.public_key_spki, \
                     registered_at = excluded.registered_at",
                    params![
                        authority.name,
                        authority.suite,
                        authority.public_key_spki,
                        authority.registered_at.0
                    ],
                )
                .map_err(database("upsert authority"))?;
            append_log(&transaction, &log_entry, None)?;
            transaction
                .commit()
                .map_err(database("commit authority registration"))
        })
        .await
    }

    async fn authority(&self, name: &str) -> Result<Option<AuthorityRow>, Error> {
        let name = name.to_owned();
        self.run(move |connection| {
            connection
                .query_row(
                    "SELECT name, suite, public_key_spki, registered_at FROM authorities \
                     WHERE name = ?1",
                    params![name],
                    |row| {
                        Ok(AuthorityRow {
                            name: row.get(0)?,
                            suite: row.get(1)?,
                            public_key_spki: row.get(2)?,
                            registered_at: Timestamp(row.get(3)?),
                        })
                    },
                )
                .optional()
                .map_err(database("read authority"))
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
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin roster load"))?;
            let loaded: Option<Option<String>> = transaction
                .query_row(
                    "SELECT roster_issued_at FROM authorities WHERE name = ?1",
                    params![authority],
                    |row| row.get(0),
                )
                .optional()
                .map_err(database("read authority"))?;
            let Some(loaded) = loaded else {
                return Err(Error::NotFound { what: "authority" });
            };
            // ISO dates compare as strings; a roster of the same day may be reloaded.
            if loaded.is_some_and(|loaded| issued_at < loaded) {
                return Err(Error::StaleRoster);
            }
            transaction
                .execute(
                    "UPDATE authorities SET roster_issued_at = ?2 WHERE name = ?1",
                    params![authority, issued_at],
                )
                .map_err(database("record roster date"))?;
            transaction
                .execute(
                    "DELETE FROM roster_records WHERE authority = ?1",
                    params![authority],
                )
                .map_err(database("clear roster"))?;
            {
                let mut insert = transaction
                    .prepare(
                        // This authority's old records are gone: a conflict left is another
                        // authority's record, which one authority must never overwrite.
                        "INSERT INTO roster_records \
                         (document_index, authority, person_index, sealed, loaded_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (document_index) DO NOTHING",
                    )
                    .map_err(database("insert roster record"))?;
                for record in &records {
                    let inserted = insert
                        .execute(params![
                            record.document_index.as_bytes(),
                            authority,
                            record.person_index.as_bytes(),
                            record.sealed,
                            at.0
                        ])
                        .map_err(database("insert roster record"))?;
                    if inserted == 0 {
                        // Dropping the transaction rolls the whole load back.
                        return Err(Error::AlreadyExists {
                            what: Conflict::RosterRecord,
                        });
                    }
                }
            }
            append_log(&transaction, &log_entry, None)?;
            transaction.commit().map_err(database("commit roster load"))
        })
        .await
    }

    async fn roster_record(&self, document_index: &BlindIndex) -> Result<Option<RosterRow>, Error> {
        let key = *document_index.as_bytes();
        self.run(move |connection| {
            type Raw = (Vec<u8>, Vec<u8>, Option<Vec<u8>>, Option<i64>);
            let raw: Option<Raw> = connection
                .query_row(
                    "SELECT r.person_index, r.sealed, f.code_index, f.failures \
                     FROM roster_records r \
                     LEFT JOIN enrollment_code_failures f USING (document_index) \
                     WHERE r.document_index = ?1",
                    params![key],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )
                .optional()
                .map_err(database("read roster record"))?;
            raw.map(|(person_index, sealed, failed_code, failures)| {
                Ok(RosterRow {
                    document_index: BlindIndex::new(key),
                    person_index: BlindIndex::from_column(
                        &person_index,
                        "roster_records.person_index",
                    )?,
                    sealed,
                    code_failures: crate::code_failures(failed_code, failures)?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn holder_by_person(
        &self,
        person_index: &BlindIndex,
    ) -> Result<Option<HolderRow>, Error> {
        let key = *person_index.as_bytes();
        self.read(|connection| holder_where(connection, "person_index", key))
    }

    async fn holder_by_wallet_key(&self, fingerprint: &[u8]) -> Result<Option<HolderRow>, Error> {
        let key = fingerprint.to_vec();
        self.read(|connection| holder_where(connection, "wallet_key_fingerprint", key))
    }

    async fn holder(&self, id: HolderId) -> Result<Option<HolderRow>, Error> {
        self.read(|connection| holder_where(connection, "id", id.0))
    }

    async fn enroll_holder(
        &self,
        holder: NewHolder,
        code_index: Option<BlindIndex>,
        guardian: Option<HolderId>,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<HolderId, Error> {
        self.write(move |connection| {
            if let Some(code_index) = &code_index {
                claim_code(connection, code_index, &holder.person_index, at)?;
            }
            connection
                .execute(
                    "INSERT INTO holders (net_id_index, sealed_net_id, person_index, \
                     wallet_key_fingerprint, wallet_key_spki, wallet_key_suite, \
                     wrapped_data_key, sealed_personal, enrolled_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
                    params![
                        holder.net_id.index.as_bytes(),
                        holder.net_id.sealed,
                        holder.person_index.as_bytes(),
                        holder.wallet_key.fingerprint,
                        holder.wallet_key.spki,
                        holder.wallet_key.suite,
                        holder.wrapped_data_key,
                        holder.sealed_personal,
                        at.0
                    ],
                )
                .map_err(insert_error("insert holder", holder_conflict))?;
            let id = HolderId(connection.last_insert_rowid());
            record_guardianship(connection, id, guardian, at)?;
            append_log(connection, &log_entry, Some(id))?;
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
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin wallet key replacement"))?;
            let current: Option<(Vec<u8>, Vec<u8>, Vec<u8>, String)> = transaction
                .query_row(
                    "SELECT person_index, wallet_key_fingerprint, wallet_key_spki, \
                     wallet_key_suite FROM holders WHERE id = ?1",
                    params![holder.0],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )
                .optional()
                .map_err(database("read holder"))?;
            let Some((person_index, fingerprint, spki, suite)) = current else {
                return Err(Error::NotFound { what: "holder" });
            };
            if let Some(code_index) = &code_index {
                let person_index = BlindIndex::from_column(&person_index, "holders.person_index")?;
                claim_code(&transaction, code_index, &person_index, at)?;
            }
            if fingerprint != new_key.fingerprint {
                transaction
                    .execute(
                        "INSERT OR IGNORE INTO retired_wallet_keys (holder_id, \
                         wallet_key_fingerprint, wallet_key_spki, wallet_key_suite, retired_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![holder.0, fingerprint, spki, suite, at.0],
                    )
                    .map_err(database("retire wallet key"))?;
                transaction
                    .execute(
                        "UPDATE holders SET wallet_key_fingerprint = ?2, wallet_key_spki = ?3, \
                         wallet_key_suite = ?4, updated_at = ?5 WHERE id = ?1",
                        params![
                            holder.0,
                            new_key.fingerprint,
                            new_key.spki,
                            new_key.suite,
                            at.0
                        ],
                    )
                    .map_err(insert_error("replace wallet key", |_| Conflict::WalletKey))?;
                // The lost wallet may hold Net Certificates: none of them stays valid.
                transaction
                    .execute(
                        "UPDATE credentials SET revoked_at = ?2 \
                         WHERE holder_id = ?1 AND revoked_at IS NULL",
                        params![holder.0, at.0],
                    )
                    .map_err(database("revoke net certificates"))?;
                // Nor any passkey added with it (a thief may have added one).
                transaction
                    .execute(
                        "DELETE FROM passkeys WHERE holder_id = ?1",
                        params![holder.0],
                    )
                    .map_err(database("forget passkeys"))?;
            }
            record_guardianship(&transaction, holder, guardian, at)?;
            append_log(&transaction, &log_entry, Some(holder))?;
            for revocation in &revocations {
                let revoked = transaction
                    .execute(
                        "UPDATE certificates SET revoked_at = ?3, reason = ?4 \
                         WHERE serial = ?1 AND holder_id = ?2 AND revoked_at IS NULL",
                        params![revocation.serial, holder.0, at.0, revocation.reason],
                    )
                    .map_err(database("revoke certificate"))?;
                if revoked > 0 {
                    append_log(&transaction, &revocation.log_entry, Some(holder))?;
                }
            }
            transaction
                .commit()
                .map_err(database("commit wallet key replacement"))
        })
        .await
    }

    async fn retired_wallet_keys(&self, holder: HolderId) -> Result<Vec<WalletKeyRow>, Error> {
        self.run(move |connection| {
            let mut statement = connection
                .prepare(
                    "SELECT wallet_key_fingerprint, wallet_key_spki, wallet_key_suite \
                     FROM retired_wallet_keys WHERE holder_id = ?1 ORDER BY retired_at, rowid",
                )
                .map_err(database("read retired wallet keys"))?;
            let rows = statement
                .query_map(params![holder.0], |row| {
                    Ok(WalletKeyRow {
                        fingerprint: row.get(0)?,
                        spki: row.get(1)?,
                        suite: row.get(2)?,
                    })
                })
                .map_err(database("read retired wallet keys"))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(database("read retired wallet keys"))
        })
        .await
    }

    async fn wards_of(&self, guardian: HolderId) -> Result<Vec<HolderRow>, Error> {
        self.run(move |connection| {
            let columns = HOLDER_COLUMNS
                .split(", ")
                .map(|column| format!("h.{column}"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut statement = connection
                .prepare(&format!(
                    "SELECT {columns} FROM holders h JOIN guardianships g ON g.minor_id = h.id \
                     WHERE g.guardian_id = ?1 ORDER BY h.id"
                ))
                .map_err(database("read wards"))?;
            let rows = statement
                .query_map(params![guardian.0], raw_holder)
                .map_err(database("read wards"))?;
            rows.map(|row| holder_row(row.map_err(database("read wards"))?))
                .collect()
        })
        .await
    }

    async fn guardians_of(&self, holder: HolderId) -> Result<Vec<HolderId>, Error> {
        self.read(|connection| {
            let mut statement = connection
                .prepare_cached(
                    "SELECT guardian_id FROM guardianships WHERE minor_id = ?1 \
                     ORDER BY guardian_id",
                )
                .map_err(database("read guardianships"))?;
            let rows = statement
                .query_map(params![holder.0], |row| row.get(0).map(HolderId))
                .map_err(database("read guardianships"))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(database("read guardianships"))
        })
    }

    async fn insert_platform(
        &self,
        platform: PlatformRow,
        log_entry: Vec<u8>,
    ) -> Result<(), Error> {
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin platform registration"))?;
            transaction
                .execute(
                    "INSERT INTO platforms (client_id, credential_hash, sector, name, \
                     registered_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        platform.client_id,
                        platform.credential_hash,
                        platform.sector,
                        platform.name,
                        platform.registered_at.0
                    ],
                )
                .map_err(insert_error("insert platform", |_| Conflict::Platform))?;
            append_log(&transaction, &log_entry, None)?;
            transaction
                .commit()
                .map_err(database("commit platform registration"))
        })
        .await
    }

    async fn platforms_in_sector(&self, sector: &str) -> Result<Vec<String>, Error> {
        let sector = sector.to_owned();
        self.run(move |connection| {
            let mut statement = connection
                .prepare("SELECT client_id FROM platforms WHERE sector = ?1 ORDER BY client_id")
                .map_err(database("read sector"))?;
            let ids: Vec<String> = statement
                .query_map(params![sector], |row| row.get(0))
                .map_err(database("read sector"))?
                .collect::<Result<_, _>>()
                .map_err(database("read sector"))?;
            Ok(ids)
        })
        .await
    }

    async fn platform(&self, client_id: &str) -> Result<Option<PlatformRow>, Error> {
        self.read(|connection| {
            connection
                .prepare_cached(
                    "SELECT client_id, credential_hash, sector, name, registered_at \
                     FROM platforms WHERE client_id = ?1",
                )
                .and_then(|mut statement| {
                    statement.query_row(params![client_id], |row| {
                        Ok(PlatformRow {
                            client_id: row.get(0)?,
                            credential_hash: row.get(1)?,
                            sector: row.get(2)?,
                            name: row.get(3)?,
                            registered_at: Timestamp(row.get(4)?),
                        })
                    })
                })
                .optional()
                .map_err(database("read platform"))
        })
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
        self.write(move |connection| {
            // The holder as authenticated, still: not deleted, no recovery since.
            let current: Option<i64> = connection
                .prepare_cached(
                    "SELECT id FROM holders WHERE id = ?1 AND wallet_key_fingerprint = ?2 \
                     AND deleted_at IS NULL",
                )
                .and_then(|mut statement| {
                    statement.query_row(params![holder.0, wallet_key], |row| row.get(0))
                })
                .optional()
                .map_err(database("read holder"))?;
            if current.is_none() {
                return Err(Error::NotFound {
                    what: "holder with this wallet key",
                });
            }
            use_nonce_in(connection, &client_id, &nonce_index, expires_at, now)?;
            append_log(connection, &log_entry, Some(holder))?;
            // Consents live at this moment, read in the transaction that records the act.
            let mut disclosed = disclosable(connection, holder, &client_id)?;
            if let Some(asked) = &asked {
                disclosed.retain(|field| asked.contains(field));
            }
            if !disclosed.is_empty() {
                append_log(connection, &disclosure_entry, Some(holder))?;
            }
            Ok(disclosed)
        })
        .await
    }

    async fn log_size(&self) -> Result<u64, Error> {
        self.run(|connection| {
            let size: i64 = connection
                .query_row(
                    "SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries",
                    [],
                    |row| row.get(0),
                )
                .map_err(database("read log size"))?;
            to_u64(size, "log_entries.idx")
        })
        .await
    }

    async fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, Error> {
        self.run(move |connection| {
            let mut statement = connection
                .prepare_cached(
                    "SELECT leaf FROM log_entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
                )
                .map_err(database("read log entries"))?;
            let rows = statement
                .query_map(params![to_i64(start), to_i64(end)], |row| row.get(0))
                .map_err(database("read log entries"))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(database("read log entries"))
        })
        .await
    }

    async fn holder_log_indexes(&self, holder: HolderId) -> Result<Vec<u64>, Error> {
        self.run(move |connection| {
            let mut statement = connection
                .prepare("SELECT idx FROM log_entries WHERE holder_id = ?1 ORDER BY idx")
                .map_err(database("read holder log entries"))?;
            let rows = statement
                .query_map(params![holder.0], |row| row.get::<_, i64>(0))
                .map_err(database("read holder log entries"))?;
            rows.map(|row| {
                to_u64(
                    row.map_err(database("read holder log entries"))?,
                    "log_entries.idx",
                )
            })
            .collect()
        })
        .await
    }

    async fn insert_checkpoint(&self, size: u64, note: String, at: Timestamp) -> Result<(), Error> {
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin checkpoint"))?;
            transaction
                .execute(
                    "INSERT INTO log_checkpoints (size, note, signed_at) VALUES (?1, ?2, ?3)",
                    params![to_i64(size), note, at.0],
                )
                .map_err(insert_error("insert checkpoint", |_| Conflict::Checkpoint))?;
            // Only the latest is needed (to check the log on start); keeping every one would
            // let anyone who polls the checkpoint grow the table.
            transaction
                .execute(
                    "DELETE FROM log_checkpoints WHERE size < ?1",
                    params![to_i64(size)],
                )
                .map_err(database("prune checkpoints"))?;
            transaction.commit().map_err(database("commit checkpoint"))
        })
        .await
    }

    async fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, Error> {
        self.run(|connection| {
            let row: Option<(i64, String)> = connection
                .query_row(
                    "SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1",
                    [],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(database("read latest checkpoint"))?;
            row.map(|(size, note)| Ok((to_u64(size, "log_checkpoints.size")?, note)))
                .transpose()
        })
        .await
    }

    async fn legacy_net_ids(&self) -> Result<Vec<(HolderId, String)>, Error> {
        self.run(|connection| {
            let mut statement = connection
                .prepare("SELECT id, legacy_net_id FROM holders WHERE legacy_net_id IS NOT NULL")
                .map_err(database("read legacy net ids"))?;
            let rows = statement
                .query_map([], |row| Ok((HolderId(row.get(0)?), row.get(1)?)))
                .map_err(database("read legacy net ids"))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(database("read legacy net ids"))
        })
        .await
    }

    async fn seal_legacy_net_id(&self, holder: HolderId, net_id: StoredNetId) -> Result<(), Error> {
        self.run(move |connection| {
            let updated = connection
                .execute(
                    "UPDATE holders SET net_id_index = ?2, sealed_net_id = ?3, \
                     legacy_net_id = NULL WHERE id = ?1 AND legacy_net_id IS NOT NULL",
                    params![holder.0, net_id.index.as_bytes(), net_id.sealed],
                )
                .map_err(insert_error("seal legacy net id", holder_conflict))?;
            if updated == 0 {
                return Err(Error::NotFound {
                    what: "holder with a legacy net id",
                });
            }
            // secure_delete overwrote the clear value in the database file; copies of the old
            // pages also sit in the WAL until it is checkpointed and truncated. This runs at
            // start, before any reader; were one busy still, later writes overwrite the WAL.
            checkpoint_and_truncate_wal(connection).map(drop)
        })
        .await
    }

    async fn holders_after(&self, after: HolderId, limit: u32) -> Result<Vec<HolderRow>, Error> {
        self.run(move |connection| {
            let mut statement = connection
                .prepare(&format!(
                    "SELECT {HOLDER_COLUMNS} FROM holders WHERE id > ?1 AND deleted_at IS NULL \
                     ORDER BY id LIMIT ?2"
                ))
                .map_err(database("read holders"))?;
            let rows = statement
                .query_map(params![after.0, limit], raw_holder)
                .map_err(database("read holders"))?;
            rows.map(|row| holder_row(row.map_err(database("read holders"))?))
                .collect()
        })
        .await
    }

    async fn reseal_holders(&self, holders: Vec<ResealedHolder>) -> Result<(), Error> {
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin resealing holders"))?;
            {
                let mut update = transaction
                    .prepare(
                        "UPDATE holders SET sealed_net_id = ?2, wrapped_data_key = ?3 \
                         WHERE id = ?1 AND deleted_at IS NULL",
                    )
                    .map_err(database("reseal holder"))?;
                for holder in &holders {
                    update
                        .execute(params![
                            holder.id.0,
                            holder.sealed_net_id,
                            holder.wrapped_data_key
                        ])
                        .map_err(database("reseal holder"))?;
                }
            }
            transaction
                .commit()
                .map_err(database("commit resealed holders"))
        })
        .await
    }

    async fn service_keys(&self) -> Result<Vec<(String, Vec<u8>)>, Error> {
        self.run(|connection| {
            let mut statement = connection
                .prepare("SELECT name, sealed FROM service_keys ORDER BY name")
                .map_err(database("read service keys"))?;
            let rows = statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .map_err(database("read service keys"))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(database("read service keys"))
        })
        .await
    }

    async fn sealed_tag_keys(&self) -> Result<Vec<SealedTagKey>, Error> {
        self.run(|connection| {
            let mut statement = connection
                .prepare(
                    "SELECT log_index, holder_id, sealed_tag_key FROM operator_reads \
                     WHERE sealed_tag_key IS NOT NULL AND holder_id IS NOT NULL ORDER BY log_index",
                )
                .map_err(database("read tag keys"))?;
            let rows = statement
                .query_map([], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get(1)?, row.get(2)?))
                })
                .map_err(database("read tag keys"))?;
            rows.map(|row| {
                let (log_index, holder, sealed) = row.map_err(database("read tag keys"))?;
                Ok(SealedTagKey {
                    log_index: u64::try_from(log_index).map_err(|_| Error::Corrupt {
                        column: "operator_reads.log_index",
                    })?,
                    holder: HolderId(holder),
                    sealed,
                })
            })
            .collect()
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
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin finishing the rotation"))?;
            for (name, sealed) in &service_keys {
                transaction
                    .execute(
                        "UPDATE service_keys SET sealed = ?2 WHERE name = ?1",
                        params![name, sealed],
                    )
                    .map_err(database("reseal service key"))?;
            }
            for key in &tag_keys {
                let log_index = i64::try_from(key.log_index).map_err(|_| Error::Corrupt {
                    column: "operator_reads.log_index",
                })?;
                transaction
                    .execute(
                        "UPDATE operator_reads SET sealed_tag_key = ?2 \
                         WHERE log_index = ?1 AND sealed_tag_key IS NOT NULL",
                        params![log_index, key.sealed],
                    )
                    .map_err(database("reseal tag key"))?;
            }
            transaction
                .execute("DELETE FROM service_keys WHERE name = ?1", params![marker])
                .map_err(database("end the rotation"))?;
            transaction
                .commit()
                .map_err(database("commit the rotation"))
        })
        .await
    }

    async fn ca_generations(&self) -> Result<Vec<CaGeneration>, Error> {
        self.run(|connection| {
            let mut statement = connection
                .prepare(
                    "SELECT id, key_name, root, issuing, responder, status, final_crl, handover \
                     FROM ca_generations ORDER BY id",
                )
                .map_err(database("read ca generations"))?;
            let rows = statement
                .query_map([], |row| {
                    Ok((
                        CaGeneration {
                            id: row.get(0)?,
                            key_name: row.get(1)?,
                            root: row.get(2)?,
                            issuing: row.get(3)?,
                            responder: row.get(4)?,
                            status: CaGenerationStatus::Current,
                            final_crl: row.get(6)?,
                            handover: row.get(7)?,
                        },
                        row.get::<_, String>(5)?,
                    ))
                })
                .map_err(database("read ca generations"))?;
            rows.map(|row| {
                let (generation, status) = row.map_err(database("read ca generations"))?;
                Ok(CaGeneration {
                    status: CaGenerationStatus::from_name(&status).ok_or(Error::Corrupt {
                        column: "ca_generations.status",
                    })?,
                    ..generation
                })
            })
            .collect()
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
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin ca change"))?;
            let insert = |generation: &CaGeneration, status: CaGenerationStatus| {
                transaction
                    .execute(
                        "INSERT INTO ca_generations \
                         (key_name, root, issuing, responder, status, final_crl, changed_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![
                            generation.key_name,
                            generation.root,
                            generation.issuing,
                            generation.responder,
                            status.as_str(),
                            generation.final_crl,
                            at.0
                        ],
                    )
                    .map(drop)
                    .map_err(database("insert ca generation"))
            };
            match &change {
                CaChange::Install(generation) => {
                    transaction
                        .execute(
                            "UPDATE ca_generations SET status = 'retired', changed_at = ?1 \
                             WHERE status = 'current'",
                            params![at.0],
                        )
                        .map_err(database("retire the current ca"))?;
                    insert(generation, CaGenerationStatus::Current)?;
                }
                CaChange::Recertify {
                    id,
                    root,
                    issuing,
                    responder,
                } => {
                    let changed = transaction
                        .execute(
                            "UPDATE ca_generations SET root = ?2, issuing = ?3, responder = ?4, \
                             changed_at = ?5 WHERE id = ?1 AND status IN ('current', 'retired')",
                            params![id, root, issuing, responder, at.0],
                        )
                        .map_err(database("recertify a ca"))?;
                    if changed != 1 {
                        return Err(Error::NotFound {
                            what: "ca generation",
                        });
                    }
                }
                CaChange::Inherit(generations) => {
                    for generation in generations {
                        insert(generation, CaGenerationStatus::Inherited)?;
                    }
                }
                CaChange::HandOver {
                    final_crls,
                    package,
                } => {
                    transaction
                        .execute(
                            "UPDATE ca_generations SET handover = ?1 WHERE status = 'current'",
                            params![package],
                        )
                        .map_err(database("record the handover package"))?;
                    for (id, crl) in final_crls {
                        let changed = transaction
                            .execute(
                                "UPDATE ca_generations SET status = 'handed_over', \
                                 final_crl = ?2, changed_at = ?3 \
                                 WHERE id = ?1 AND status IN ('current', 'retired')",
                                params![id, crl, at.0],
                            )
                            .map_err(database("hand over a ca"))?;
                        if changed != 1 {
                            return Err(Error::NotFound {
                                what: "ca generation that still signs",
                            });
                        }
                    }
                }
            }
            for certificate in &issued {
                insert_certificate_row(&transaction, certificate)?;
            }
            append_log(&transaction, &log_entry, None)?;
            transaction.commit().map_err(database("commit ca change"))
        })
        .await
    }

    async fn insert_certificate(
        &self,
        certificate: CertificateRow,
        log_entry: Vec<u8>,
    ) -> Result<(), Error> {
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin certificate issuance"))?;
            insert_certificate_row(&transaction, &certificate)?;
            append_log(&transaction, &log_entry, certificate.holder)?;
            transaction
                .commit()
                .map_err(database("commit certificate issuance"))
        })
        .await
    }

    async fn expiring_certificates(&self, before: Timestamp) -> Result<Vec<CertificateRow>, Error> {
        self.run(move |connection| {
            certificate_rows(
                connection,
                "revoked_at IS NULL AND not_after <= ?1",
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
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin net certificate issuance"))?;
            let current: Option<Vec<u8>> = transaction
                .query_row(
                    "SELECT wallet_key_fingerprint FROM holders WHERE id = ?1",
                    params![holder.0],
                    |row| row.get(0),
                )
                .optional()
                .map_err(database("read holder"))?;
            if current.as_deref() != Some(wallet_key.as_slice()) {
                return Err(Error::NotFound {
                    what: "holder with this wallet key",
                });
            }
            transaction
                .execute(
                    "DELETE FROM credentials WHERE expires_at < ?1",
                    params![forget_before.0],
                )
                .map_err(database("forget expired net certificates"))?;
            let unexpired: i64 = transaction
                .query_row(
                    "SELECT COUNT(*) FROM credentials WHERE holder_id = ?1 AND expires_at > ?2",
                    params![holder.0, now.0],
                    |row| row.get(0),
                )
                .map_err(database("count net certificates"))?;
            let after = to_u64(unexpired, "COUNT(credentials)")?
                .saturating_add(u64::try_from(credentials.len()).unwrap_or(u64::MAX));
            if after > limit {
                return Err(Error::CredentialLimit { limit });
            }
            for credential in &credentials {
                transaction
                    .execute(
                        "INSERT INTO credentials (suite, status_index, holder_id, issued_at, \
                         expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![
                            credential.suite,
                            to_i64(credential.status_index),
                            holder.0,
                            credential.issued_at.0,
                            credential.expires_at.0
                        ],
                    )
                    .map_err(insert_error("insert net certificate", |_| {
                        Conflict::StatusIndex
                    }))?;
            }
            append_log(&transaction, &log_entry, Some(holder))?;
            transaction
                .commit()
                .map_err(database("commit net certificate issuance"))
        })
        .await
    }

    async fn revoked_credentials(&self, suite: &str, since: Timestamp) -> Result<Vec<u64>, Error> {
        let suite = suite.to_owned();
        self.run(move |connection| {
            let mut statement = connection
                .prepare(
                    "SELECT status_index FROM credentials \
                     WHERE suite = ?1 AND revoked_at IS NOT NULL AND expires_at > ?2",
                )
                .map_err(database("read revoked net certificates"))?;
            let rows = statement
                .query_map(params![suite, since.0], |row| row.get::<_, i64>(0))
                .map_err(database("read revoked net certificates"))?;
            rows.map(|row| {
                to_u64(
                    row.map_err(database("read revoked net certificates"))?,
                    "credentials.status_index",
                )
            })
            .collect()
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
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin deletion"))?;
            // Only the holder as authenticated: a recovery that came first wins.
            let person_index: Option<Vec<u8>> = transaction
                .query_row(
                    "SELECT person_index FROM holders \
                     WHERE id = ?1 AND wallet_key_fingerprint = ?2 AND deleted_at IS NULL",
                    params![holder.0, wallet_key],
                    |row| row.get(0),
                )
                .optional()
                .map_err(database("read holder"))?;
            let Some(person_index) = person_index else {
                return Err(Error::NotFound {
                    what: "holder with this wallet key",
                });
            };
            let run = |sql: &str, parameters: &[&dyn rusqlite::ToSql], what: &'static str| {
                transaction
                    .execute(sql, parameters)
                    .map(drop)
                    .map_err(database(what))
            };
            run(
                "UPDATE holders SET sealed_net_id = x'', person_index = randomblob(32), \
                 wallet_key_fingerprint = randomblob(32), wallet_key_spki = x'', \
                 wrapped_data_key = x'', sealed_personal = x'', enrolled_at = 0, \
                 updated_at = ?2, deleted_at = ?2 WHERE id = ?1",
                &[&holder.0, &at.0],
                "empty holder",
            )?;
            // The codes stay used (single use), but no longer name the person or the time.
            run(
                "UPDATE used_enrollment_codes SET person_index = randomblob(32), used_at = 0 \
                 WHERE person_index = ?1",
                &[&person_index],
                "unlink used codes",
            )?;
            run(
                "DELETE FROM retired_wallet_keys WHERE holder_id = ?1",
                &[&holder.0],
                "forget retired wallet keys",
            )?;
            run(
                "DELETE FROM guardianships WHERE minor_id = ?1 OR guardian_id = ?1",
                &[&holder.0],
                "end guardianships",
            )?;
            run(
                "DELETE FROM consents WHERE holder_id = ?1",
                &[&holder.0],
                "end consents",
            )?;
            run(
                "DELETE FROM passkeys WHERE holder_id = ?1",
                &[&holder.0],
                "forget passkeys",
            )?;
            // The reads stay counted; which holder they were about, and the keys that would
            // reveal their entries, go.
            run(
                "UPDATE operator_reads SET holder_id = NULL, sealed_tag_key = NULL \
                 WHERE holder_id = ?1",
                &[&holder.0],
                "unlink operator reads",
            )?;
            run(
                "UPDATE credentials SET revoked_at = ?2 WHERE holder_id = ?1 AND revoked_at IS NULL",
                &[&holder.0, &at.0],
                "revoke net certificates",
            )?;
            run(
                "UPDATE certificates SET revoked_at = ?2, reason = ?3 \
                 WHERE holder_id = ?1 AND revoked_at IS NULL",
                &[&holder.0, &at.0, &reason],
                "revoke certificates",
            )?;
            run(
                "UPDATE certificates SET holder_id = NULL WHERE holder_id = ?1",
                &[&holder.0],
                "unlink certificates",
            )?;
            append_log(&transaction, &log_entry, None)?;
            // The entries stay in the log; the service forgets which were the holder's.
            run(
                "UPDATE log_entries SET holder_id = NULL WHERE holder_id = ?1",
                &[&holder.0],
                "unlink log entries",
            )?;
            transaction.commit().map_err(database("commit deletion"))?;
            truncate_wal(connection);
            Ok(())
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
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin profile request"))?;
            transaction
                .execute(
                    "DELETE FROM platform_fields WHERE client_id = ?1",
                    params![client_id],
                )
                .map_err(database("replace profile"))?;
            // Consents were to the terms asked before: they end with them, and stay on record.
            transaction
                .execute(END_CONSENTS_ON_NEW_TERMS, params![client_id, at.0])
                .map_err(database("end consents"))?;
            for field in &fields {
                transaction
                    .execute(
                        "INSERT INTO platform_fields (client_id, field, legal_basis, purpose, \
                         retention_days, status, changed_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, 'requested', ?6)",
                        params![
                            client_id,
                            field.field,
                            field.legal_basis,
                            field.purpose,
                            field.retention_days,
                            at.0
                        ],
                    )
                    .map_err(database("request a field"))?;
            }
            transaction
                .commit()
                .map_err(database("commit profile request"))
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
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin profile decision"))?;
            for (field, approve) in &decisions {
                let decided = transaction
                    .execute(
                        "UPDATE platform_fields SET status = ?3, changed_at = ?4 \
                         WHERE client_id = ?1 AND field = ?2",
                        params![
                            client_id,
                            field,
                            if *approve { "approved" } else { "refused" },
                            at.0
                        ],
                    )
                    .map_err(database("decide a field"))?;
                if decided != 1 {
                    return Err(Error::NotFound {
                        what: "requested field",
                    });
                }
                if !approve {
                    transaction
                        .execute(
                            END_CONSENTS_TO_A_REFUSED_FIELD,
                            params![client_id, field, at.0],
                        )
                        .map_err(database("end consents"))?;
                }
            }
            append_log(&transaction, &log_entry, None)?;
            transaction
                .commit()
                .map_err(database("commit profile decision"))
        })
        .await
    }

    async fn platform_fields(&self, client_id: &str) -> Result<Vec<PlatformField>, Error> {
        let client_id = client_id.to_owned();
        self.run(move |connection| {
            let mut statement = connection
                .prepare(
                    "SELECT field, legal_basis, purpose, retention_days, status \
                     FROM platform_fields WHERE client_id = ?1 ORDER BY field",
                )
                .map_err(database("read profile"))?;
            let rows = statement
                .query_map(params![client_id], |row| {
                    Ok(PlatformField {
                        field: row.get(0)?,
                        legal_basis: row.get(1)?,
                        purpose: row.get(2)?,
                        retention_days: row.get(3)?,
                        status: row.get(4)?,
                    })
                })
                .map_err(database("read profile"))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(database("read profile"))
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
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin consent"))?;
            let (mut recorded, mut changes) = (Vec::new(), 0);
            for field in &fields {
                let terms: Option<(String, i64)> = transaction
                    .query_row(
                        "SELECT status, changed_at FROM platform_fields \
                         WHERE client_id = ?1 AND field = ?2",
                        params![client_id, field],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()
                    .map_err(database("read a field"))?;
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
                let changed = transaction
                    .execute(
                        "INSERT INTO consents (holder_id, client_id, field, notice_version, \
                         given_at, signed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                         ON CONFLICT (holder_id, client_id, field) DO UPDATE SET \
                         notice_version = excluded.notice_version, \
                         given_at = excluded.given_at, withdrawn_at = NULL, end_reason = NULL, \
                         signed_at = excluded.signed_at \
                         WHERE excluded.signed_at > consents.signed_at",
                        params![
                            holder.0,
                            client_id,
                            field,
                            notice_version,
                            at.0,
                            signed_at.0
                        ],
                    )
                    .map_err(database("record consent"))?;
                changes += changed;
                // Recorded: changed now, or the same request's consent already standing.
                let stands: bool = transaction
                    .query_row(
                        CONSENT_STANDS,
                        params![holder.0, client_id, field, signed_at.0],
                        |row| row.get(0),
                    )
                    .map_err(database("read consent"))?;
                if stands {
                    recorded.push(field.clone());
                }
            }
            if changes > 0 {
                append_log(&transaction, &log_entry, Some(holder))?;
            }
            transaction.commit().map_err(database("commit consent"))?;
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
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin withdrawal"))?;
            let mut withdrawn = 0u64;
            for field in &fields {
                let changed = transaction
                    .execute(
                        // Withdrawal wins a tie with the consent it follows (both signed
                        // in one second); a consent must be later than the last change.
                        "UPDATE consents SET withdrawn_at = ?4, signed_at = ?5, end_reason = 'withdrawn' \
                         WHERE holder_id = ?1 AND client_id = ?2 AND field = ?3 \
                         AND withdrawn_at IS NULL AND signed_at <= ?5",
                        params![holder.0, client_id, field, at.0, signed_at.0],
                    )
                    .map_err(database("withdraw consent"))?;
                withdrawn += u64::try_from(changed).unwrap_or(0);
            }
            if withdrawn > 0 {
                append_log(&transaction, &log_entry, Some(holder))?;
            }
            transaction
                .commit()
                .map_err(database("commit withdrawal"))?;
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
        self.run(move |connection| disclosable(connection, holder, &client_id))
            .await
    }

    async fn certificates(&self) -> Result<Vec<CertificateRow>, Error> {
        self.run(|connection| {
            certificate_rows(
                connection,
                "TRUE",
                &[],
                "issued_at, serial",
                "read certificates",
            )
        })
        .await
    }

    async fn certificate_counts(&self) -> Result<Vec<(String, u64, u64)>, Error> {
        self.run(|connection| {
            let mut statement = connection
                .prepare(
                    "SELECT profile, COUNT(*), COUNT(revoked_at) FROM certificates \
                     GROUP BY profile ORDER BY profile",
                )
                .map_err(database("count certificates"))?;
            let rows = statement
                .query_map([], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, i64>(2)?,
                    ))
                })
                .map_err(database("count certificates"))?;
            rows.map(|row| {
                let (profile, issued, revoked) = row.map_err(database("count certificates"))?;
                Ok((
                    profile,
                    to_u64(issued, "COUNT(certificates)")?,
                    to_u64(revoked, "COUNT(certificates.revoked_at)")?,
                ))
            })
            .collect()
        })
        .await
    }

    async fn holder_certificates(&self, holder: HolderId) -> Result<Vec<CertificateRow>, Error> {
        self.run(move |connection| {
            certificate_rows(
                connection,
                "holder_id = ?1 AND revoked_at IS NULL",
                &[&holder.0],
                "issued_at, serial",
                "read holder certificates",
            )
        })
        .await
    }

    async fn certificate(&self, serial: &[u8]) -> Result<Option<CertificateRow>, Error> {
        let serial = serial.to_vec();
        self.run(move |connection| {
            connection
                .query_row(
                    &format!("SELECT {CERTIFICATE_COLUMNS} FROM certificates WHERE serial = ?1"),
                    params![serial],
                    certificate_row,
                )
                .optional()
                .map_err(database("read certificate"))
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
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin revocation"))?;
            let found: Option<(Option<i64>, Option<i64>)> = transaction
                .query_row(
                    "SELECT holder_id, revoked_at FROM certificates WHERE serial = ?1",
                    params![serial],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(database("read certificate"))?;
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
            transaction
                .execute(
                    "UPDATE certificates SET revoked_at = ?2, reason = ?3 WHERE serial = ?1",
                    params![serial, at.0, reason],
                )
                .map_err(database("revoke certificate"))?;
            append_log(&transaction, &log_entry, owner.map(HolderId))?;
            transaction
                .commit()
                .map_err(database("commit revocation"))?;
            Ok(true)
        })
        .await
    }

    async fn revoked_certificates(&self, now: Timestamp) -> Result<Vec<CertificateRow>, Error> {
        self.run(move |connection| {
            certificate_rows(
                connection,
                "revoked_at IS NOT NULL AND not_after > ?1",
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
        self.run(move |connection| {
            let scenarios = serde_json::to_string(&ca.scenarios)
                .map_err(|_| Error::Internal("scenarios encoding"))?;
            let transaction = connection
                .transaction()
                .map_err(database("begin recognition"))?;
            transaction
                .execute(
                    "INSERT INTO foreign_cas (name, der, qualification, certificate_type, \
                     technical_standard, scenarios, recognised_at, withdrawn_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL) ON CONFLICT (name) DO UPDATE SET \
                     der = excluded.der, qualification = excluded.qualification, \
                     certificate_type = excluded.certificate_type, \
                     technical_standard = excluded.technical_standard, \
                     scenarios = excluded.scenarios, recognised_at = excluded.recognised_at, \
                     withdrawn_at = NULL",
                    params![
                        ca.name,
                        ca.der,
                        ca.qualification,
                        ca.certificate_type,
                        ca.technical_standard,
                        scenarios,
                        ca.recognised_at.0
                    ],
                )
                .map_err(database("recognise foreign ca"))?;
            append_log(&transaction, &log_entry, None)?;
            transaction.commit().map_err(database("commit recognition"))
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
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin withdrawal"))?;
            let withdrawn = transaction
                .execute(
                    "UPDATE foreign_cas SET withdrawn_at = ?2 \
                     WHERE name = ?1 AND withdrawn_at IS NULL",
                    params![name, at.0],
                )
                .map_err(database("withdraw foreign ca"))?;
            if withdrawn == 0 {
                return Ok(false);
            }
            append_log(&transaction, &log_entry, None)?;
            transaction
                .commit()
                .map_err(database("commit withdrawal"))?;
            Ok(true)
        })
        .await
    }

    async fn foreign_cas(&self) -> Result<Vec<ForeignCaRow>, Error> {
        self.run(|connection| {
            let mut statement = connection
                .prepare(
                    "SELECT name, der, qualification, certificate_type, technical_standard, \
                     scenarios, recognised_at FROM foreign_cas WHERE withdrawn_at IS NULL \
                     ORDER BY name",
                )
                .map_err(database("read foreign cas"))?;
            let rows = statement
                .query_map([], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, Vec<u8>>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, String>(4)?,
                        row.get::<_, String>(5)?,
                        row.get::<_, i64>(6)?,
                    ))
                })
                .map_err(database("read foreign cas"))?;
            rows.map(|row| {
                let (name, der, qualification, certificate_type, technical_standard, scenarios, at) =
                    row.map_err(database("read foreign cas"))?;
                Ok(ForeignCaRow {
                    name,
                    der,
                    qualification,
                    certificate_type,
                    technical_standard,
                    scenarios: serde_json::from_str(&scenarios).map_err(|_| Error::Corrupt {
                        column: "foreign_cas.scenarios",
                    })?,
                    recognised_at: Timestamp(at),
                })
            })
            .collect()
        })
        .await
    }

    async fn holder_count(&self) -> Result<u64, Error> {
        self.run(|connection| {
            let count: i64 = connection
                .query_row(
                    "SELECT COUNT(*) FROM holders WHERE deleted_at IS NULL",
                    [],
                    |row| row.get(0),
                )
                .map_err(database("count holders"))?;
            u64::try_from(count).map_err(|_| Error::Corrupt {
                column: "COUNT(holders)",
            })
        })
        .await
    }

    async fn holder_by_net_id(
        &self,
        net_id_index: &BlindIndex,
    ) -> Result<Option<HolderRow>, Error> {
        let key = net_id_index.as_bytes().to_vec();
        self.read(|connection| holder_where(connection, "net_id_index", key))
    }

    async fn record_operator_read(
        &self,
        read: OperatorReadRow,
        log_entry: Vec<u8>,
        deferral_entry: Option<Vec<u8>>,
    ) -> Result<u64, Error> {
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin operator read"))?;
            let live: bool = transaction
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM holders WHERE id = ?1 AND deleted_at IS NULL)",
                    params![read.holder.0],
                    |row| row.get(0),
                )
                .map_err(database("read holder"))?;
            if !live {
                return Err(Error::NotFound { what: "holder" });
            }
            append_log(&transaction, &log_entry, Some(read.holder))?;
            let log_index = transaction.last_insert_rowid();
            if let Some(entry) = &deferral_entry {
                append_log(&transaction, entry, None)?;
            }
            let deferral = read.deferral.as_ref();
            transaction
                .execute(
                    "INSERT INTO operator_reads (log_index, holder_id, fields, legal_basis, \
                     reference, read_at, deferral_ground, deferral_basis, deferral_ends_at, \
                     sealed_tag_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![
                        log_index,
                        read.holder.0,
                        read.fields.join(","),
                        read.legal_basis,
                        read.reference,
                        read.read_at.0,
                        deferral.map(|deferral| &deferral.ground),
                        deferral.map(|deferral| &deferral.legal_basis),
                        deferral.map(|deferral| deferral.ends_at.0),
                        deferral.map(|deferral| &deferral.sealed_tag_key),
                    ],
                )
                .map_err(database("record operator read"))?;
            transaction
                .commit()
                .map_err(database("commit operator read"))?;
            u64::try_from(log_index).map_err(|_| Error::Corrupt {
                column: "log_entries.idx",
            })
        })
        .await
    }

    async fn operator_reads(&self, holder: HolderId) -> Result<Vec<OperatorReadRow>, Error> {
        self.run(move |connection| {
            let mut statement = connection
                .prepare(
                    "SELECT log_index, fields, legal_basis, reference, read_at, deferral_ground, \
                     deferral_basis, deferral_ends_at, sealed_tag_key FROM operator_reads \
                     WHERE holder_id = ?1 ORDER BY log_index",
                )
                .map_err(database("read operator reads"))?;
            let rows = statement
                .query_map(params![holder.0], |row| {
                    let ground: Option<String> = row.get(5)?;
                    let basis: Option<String> = row.get(6)?;
                    let ends_at: Option<i64> = row.get(7)?;
                    let key: Option<Vec<u8>> = row.get(8)?;
                    let fields: String = row.get(1)?;
                    Ok((
                        row.get::<_, i64>(0)?,
                        fields,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, i64>(4)?,
                        ground.zip(basis).zip(ends_at).zip(key),
                    ))
                })
                .map_err(database("read operator reads"))?;
            let mut reads = Vec::new();
            for row in rows {
                let (log_index, fields, legal_basis, reference, read_at, deferral) =
                    row.map_err(database("read operator reads"))?;
                reads.push(OperatorReadRow {
                    log_index: u64::try_from(log_index).map_err(|_| Error::Corrupt {
                        column: "operator_reads.log_index",
                    })?,
                    holder,
                    fields: fields.split(',').map(str::to_owned).collect(),
                    legal_basis,
                    reference,
                    read_at: Timestamp(read_at),
                    deferral: deferral.map(|(((ground, legal_basis), ends_at), key)| {
                        NoticeDeferralRow {
                            ground,
                            legal_basis,
                            ends_at: Timestamp(ends_at),
                            sealed_tag_key: key,
                        }
                    }),
                });
            }
            Ok(reads)
        })
        .await
    }

    async fn deferral_counts(&self, now: Timestamp) -> Result<DeferralCountsRow, Error> {
        self.run(move |connection| {
            let (reads, deferred, running): (i64, i64, i64) = connection
                .query_row(
                    "SELECT COUNT(*), COUNT(deferral_ends_at), \
                     COALESCE(SUM(deferral_ends_at > ?1), 0) FROM operator_reads",
                    params![now.0],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .map_err(database("count operator reads"))?;
            let count = |value: i64| {
                u64::try_from(value).map_err(|_| Error::Corrupt {
                    column: "COUNT(operator_reads)",
                })
            };
            Ok(DeferralCountsRow {
                operator_reads: count(reads)?,
                deferred: count(deferred)?,
                deferred_now: count(running)?,
            })
        })
        .await
    }

    async fn set_oidc_client(&self, client: OidcClientRow) -> Result<(), Error> {
        let redirect_uris = serde_json::to_string(&client.redirect_uris)
            .map_err(|_| Error::Internal("redirect uris encoding"))?;
        self.run(move |connection| {
            let known: Option<String> = connection
                .query_row(
                    "SELECT client_id FROM platforms WHERE client_id = ?1",
                    params![client.client_id],
                    |row| row.get(0),
                )
                .optional()
                .map_err(database("read platform"))?;
            if known.is_none() {
                return Err(Error::NotFound { what: "platform" });
            }
            connection
                .execute(
                    "INSERT INTO oidc_clients (client_id, redirect_uris, jwks, id_token_alg, \
                     auth_method, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (client_id) \
                     DO UPDATE SET redirect_uris = excluded.redirect_uris, jwks = excluded.jwks, \
                     id_token_alg = excluded.id_token_alg, auth_method = excluded.auth_method, \
                     updated_at = excluded.updated_at",
                    params![
                        client.client_id,
                        redirect_uris,
                        client.jwks,
                        client.id_token_alg,
                        client.auth_method,
                        client.updated_at.0
                    ],
                )
                .map_err(database("set oidc client"))?;
            Ok(())
        })
        .await
    }

    async fn oidc_client(&self, client_id: &str) -> Result<Option<OidcClientRow>, Error> {
        let client_id = client_id.to_owned();
        self.run(move |connection| {
            let row = connection
                .query_row(
                    "SELECT client_id, redirect_uris, jwks, id_token_alg, updated_at, auth_method \
                     FROM oidc_clients WHERE client_id = ?1",
                    params![client_id],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, String>(2)?,
                            row.get::<_, String>(3)?,
                            row.get::<_, i64>(4)?,
                            row.get::<_, String>(5)?,
                        ))
                    },
                )
                .optional()
                .map_err(database("read oidc client"))?;
            row.map(
                |(client_id, uris, jwks, id_token_alg, updated_at, auth_method)| {
                    Ok(OidcClientRow {
                        client_id,
                        redirect_uris: serde_json::from_str(&uris).map_err(|_| Error::Corrupt {
                            column: "oidc_clients.redirect_uris",
                        })?,
                        jwks,
                        id_token_alg,
                        auth_method,
                        updated_at: Timestamp(updated_at),
                    })
                },
            )
            .transpose()
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
        self.write(move |connection| {
            use_nonce_in(connection, &client_id, &nonce_index, expires_at, now)
        })
        .await
    }

    async fn count_code_failure(
        &self,
        document_index: BlindIndex,
        code_index: BlindIndex,
    ) -> Result<u32, Error> {
        self.write(move |connection| {
            let failures: Option<i64> = connection
                .prepare_cached(crate::COUNT_CODE_FAILURE)
                .and_then(|mut statement| {
                    statement
                        .query_row(
                            params![document_index.as_bytes(), code_index.as_bytes()],
                            |row| row.get(0),
                        )
                        .optional()
                })
                .map_err(database("count code failure"))?;
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
        self.write(move |connection| {
            connection
                .prepare_cached("DELETE FROM used_wallet_requests WHERE expires_at < ?1")
                .and_then(|mut statement| statement.execute(params![now.0]))
                .map_err(database("purge wallet requests"))?;
            connection
                .prepare_cached(
                    "INSERT INTO used_wallet_requests (request_index, expires_at) VALUES (?1, ?2)",
                )
                .and_then(|mut statement| {
                    statement.execute(params![request_index.as_bytes(), expires_at.0])
                })
                .map_err(insert_error("use wallet request", |_| Conflict::Nonce))?;
            Ok(())
        })
        .await
    }

    async fn add_passkey(&self, passkey: PasskeyRow, log_entry: Vec<u8>) -> Result<(), Error> {
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin passkey"))?;
            let inserted = transaction
                .execute(
                    "INSERT INTO passkeys (credential_id, holder_id, spki, sign_count, created_at) \
                     SELECT ?1, id, ?3, ?4, ?5 FROM holders WHERE id = ?2 AND deleted_at IS NULL",
                    params![
                        passkey.credential_id,
                        passkey.holder.0,
                        passkey.spki,
                        passkey.sign_count,
                        passkey.created_at.0
                    ],
                )
                .map_err(insert_error("add passkey", |_| Conflict::Passkey))?;
            if inserted == 0 {
                return Err(Error::NotFound { what: "holder" });
            }
            append_log(&transaction, &log_entry, Some(passkey.holder))?;
            transaction.commit().map_err(database("commit passkey"))
        })
        .await
    }

    async fn passkeys_of(&self, holder: HolderId) -> Result<Vec<PasskeyRow>, Error> {
        self.run(move |connection| {
            let mut statement = connection
                .prepare(
                    "SELECT credential_id, holder_id, spki, sign_count, created_at FROM passkeys \
                     WHERE holder_id = ?1 ORDER BY created_at, credential_id",
                )
                .map_err(database("read passkeys"))?;
            let rows = statement
                .query_map(params![holder.0], passkey_row)
                .map_err(database("read passkeys"))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(database("read passkeys"))
        })
        .await
    }

    async fn remove_passkey(
        &self,
        holder: HolderId,
        credential_id: Vec<u8>,
        log_entry: Vec<u8>,
    ) -> Result<bool, Error> {
        self.run(move |connection| {
            let transaction = connection
                .transaction()
                .map_err(database("begin passkey removal"))?;
            let removed = transaction
                .execute(
                    "DELETE FROM passkeys WHERE holder_id = ?1 AND credential_id = ?2",
                    params![holder.0, credential_id],
                )
                .map_err(database("remove passkey"))?;
            if removed == 0 {
                return Ok(false);
            }
            append_log(&transaction, &log_entry, Some(holder))?;
            transaction
                .commit()
                .map_err(database("commit passkey removal"))?;
            Ok(true)
        })
        .await
    }

    async fn passkey(&self, credential_id: &[u8]) -> Result<Option<PasskeyRow>, Error> {
        let credential_id = credential_id.to_vec();
        self.run(move |connection| {
            connection
                .query_row(
                    "SELECT p.credential_id, p.holder_id, p.spki, p.sign_count, p.created_at \
                     FROM passkeys p JOIN holders h ON h.id = p.holder_id \
                     WHERE p.credential_id = ?1 AND h.deleted_at IS NULL",
                    params![credential_id],
                    passkey_row,
                )
                .optional()
                .map_err(database("read passkey"))
        })
        .await
    }

    async fn use_passkey(&self, credential_id: &[u8], sign_count: i64) -> Result<(), Error> {
        let credential_id = credential_id.to_vec();
        self.run(move |connection| {
            let changed = connection
                .execute(
                    "UPDATE passkeys SET sign_count = ?2 \
                     WHERE credential_id = ?1 AND (sign_count < ?2 OR ?2 = 0)",
                    params![credential_id, sign_count],
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
        self.run(move |connection| {
            let mut statement = connection
                .prepare(
                    "SELECT client_id, field, given_at FROM consents \
                     WHERE holder_id = ?1 AND withdrawn_at IS NULL ORDER BY client_id, field",
                )
                .map_err(database("read consents"))?;
            let rows = statement
                .query_map(params![holder.0], |row| {
                    Ok(ConsentRow {
                        client_id: row.get(0)?,
                        field: row.get(1)?,
                        given_at: Timestamp(row.get(2)?),
                    })
                })
                .map_err(database("read consents"))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(database("read consents"))
        })
        .await
    }
}

/// A passkey from its columns: credential id, holder, key, counter, when added.
fn passkey_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PasskeyRow> {
    Ok(PasskeyRow {
        credential_id: row.get(0)?,
        holder: HolderId(row.get(1)?),
        spki: row.get(2)?,
        sign_count: row.get(3)?,
        created_at: Timestamp(row.get(4)?),
    })
}

/// Marks `nonce_index` of `client_id` used until `expires_at`, purging expired ones first;
/// [`Conflict::Nonce`] if it was used.
fn use_nonce_in(
    transaction: &Connection,
    client_id: &str,
    nonce_index: &BlindIndex,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<(), Error> {
    transaction
        .prepare_cached("DELETE FROM used_presentation_nonces WHERE expires_at < ?1")
        .and_then(|mut statement| statement.execute(params![now.0]))
        .map_err(database("purge nonces"))?;
    transaction
        .prepare_cached(
            "INSERT INTO used_presentation_nonces (client_id, nonce_index, expires_at) \
             VALUES (?1, ?2, ?3)",
        )
        .and_then(|mut statement| {
            statement.execute(params![client_id, nonce_index.as_bytes(), expires_at.0])
        })
        .map_err(insert_error("use nonce", |_| Conflict::Nonce))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema version this build migrates to.
    fn latest_version() -> u32 {
        u32::try_from(MIGRATIONS.len()).unwrap()
    }

    /// A database at `path` migrated to schema `version` only, as an older build left it.
    fn database_of_schema(path: &Path, version: u32) -> Connection {
        let connection = Connection::open(path).unwrap();
        connection
            .execute_batch(
                "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, \
                 applied_at INTEGER NOT NULL DEFAULT (unixepoch())) STRICT;",
            )
            .unwrap();
        for (version, script) in (1..=version).zip(MIGRATIONS) {
            connection.execute_batch(script).unwrap();
            connection
                .execute(
                    "INSERT INTO schema_version (version) VALUES (?1)",
                    [version],
                )
                .unwrap();
        }
        connection
    }

    /// A grouped write that panics fails alone, its rows rolled back; the writes beside it
    /// are stored, and the writer goes on.
    #[tokio::test]
    async fn a_grouped_write_that_panics_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("netid.sqlite3"))
            .await
            .unwrap();
        let scratch = "CREATE TABLE scratch (n INTEGER NOT NULL)";
        store
            .write(move |connection| connection.execute_batch(scratch).map_err(database("test")))
            .await
            .unwrap();
        let insert = |n: i64, then_panic: bool| {
            store.write(move |connection| {
                connection
                    .execute("INSERT INTO scratch (n) VALUES (?1)", [n])
                    .map_err(database("test"))?;
                assert!(!then_panic, "a bug in write {n}");
                Ok(n)
            })
        };
        let (first, panicked, last) =
            tokio::join!(insert(1, false), insert(2, true), insert(3, false));
        assert_eq!(first.unwrap(), 1);
        assert!(matches!(panicked, Err(Error::Internal(_))), "{panicked:?}");
        assert_eq!(last.unwrap(), 3);
        let stored = store
            .write(|connection| {
                let mut statement = connection
                    .prepare("SELECT n FROM scratch ORDER BY n")
                    .map_err(database("test"))?;
                let rows = statement
                    .query_map([], |row| row.get::<_, i64>(0))
                    .map_err(database("test"))?;
                rows.collect::<Result<Vec<_>, _>>()
                    .map_err(database("test"))
            })
            .await
            .unwrap();
        assert_eq!(stored, vec![1, 3]);
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
}
