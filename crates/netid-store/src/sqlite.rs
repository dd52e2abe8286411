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
//!
//! Dialect: statements come with PostgreSQL's `$N` placeholders, rewritten here to `?N`; a
//! collation named `C` orders text by bytes (SQLite's own `BINARY`), so that `COLLATE "C"`
//! means the same on both backends.

use std::borrow::Cow;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, params};

use crate::backend::{
    Answer, AnyCall, AnyValue, Backend, GroupCommitCounter, GroupedWrite, MAX_GROUP, Place,
    TransactionState, commit_group, in_transaction,
};
use crate::migrations::SQLITE as MIGRATIONS;
use crate::sql::{Column, Dialect, Row, Sql, Value};
use crate::{Error, GroupCommits};

/// Read-only connections beside the writer: enough that the runtime's worker threads seldom
/// wait for one another.
const READERS: usize = 4;

/// How long the writer lets grouped writes gather when it is busy. Measured under the load
/// run: without it a commit served 2.3 verifications on average, with 1 ms 5.8 to 8.8, at
/// the cost of 1 ms more latency.
const GROUP_WAIT: Duration = Duration::from_millis(1);

/// Prepared statements kept per connection: more than the store has, so none is prepared
/// twice.
const STATEMENT_CACHE: usize = 256;

/// How a writing transaction begins: taking the write lock at once, so that it cannot fail
/// later for want of it.
const BEGIN: &str = "BEGIN IMMEDIATE";

/// A [`crate::Store`] on one SQLite file.
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

    /// Copies the database at `from` to the new file `to` while a server may be writing
    /// it: SQLite's `VACUUM INTO`, which reads in one transaction (the copy is the database as
    /// it was committed when the copy began, the transparency log with it) and writes a
    /// compact file, then flushed to disk. Returns the copy's schema version.
    pub async fn backup(from: &Path, to: &Path) -> Result<u32, Error> {
        let (from, to) = (from.to_owned(), to.to_owned());
        tokio::task::spawn_blocking(move || {
            let connection =
                Connection::open_with_flags(&from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                    .map_err(|source| Error::Open { source })?;
            let target = to.to_str().ok_or(Error::Corrupt {
                column: "the backup's path (not UTF-8)",
            })?;
            connection
                .execute("VACUUM INTO ?1", [target])
                .map_err(database("back up the database"))?;
            std::fs::File::open(&to)
                .and_then(|file| file.sync_all())
                .map_err(|source| Error::Backup {
                    action: "flush the backup to disk",
                    source,
                })?;
            check_file(&to)
        })
        .await
        .map_err(|_| Error::Task)?
    }

    /// Checks that the file at `path` is a whole netid database this build can open: SQLite's
    /// integrity check passes, and its schema is not newer than this build's. Returns its
    /// schema version.
    pub async fn check_backup(path: &Path) -> Result<u32, Error> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || check_file(&path))
            .await
            .map_err(|_| Error::Task)?
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

    /// Runs `call` on the writer by itself.
    async fn run<T, F>(&self, call: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, Error> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.writer.send(Job::Alone(Box::new(move |connection| {
            let _ = reply.send(call(connection));
        })))?;
        answer.await.map_err(|_| Error::Task)?
    }
}

impl Backend for SqliteStore {
    fn committed_groups(&self) -> GroupCommits {
        self.group_commits.read()
    }

    fn run_call(&self, place: Place, call: AnyCall) -> Answer<'_, AnyValue> {
        match place {
            Place::Lookup => Box::pin(std::future::ready(self.on_reader(call))),
            Place::Read => Box::pin(self.run(move |connection| call(&mut Lite(connection)))),
            Place::Write(operation) | Place::LogIntegration(operation) => {
                Box::pin(self.run(move |connection| {
                    in_transaction(&mut Lite(connection), BEGIN, operation, call)
                }))
            }
            Place::Erasing(operation) => Box::pin(self.run(move |connection| {
                let value = in_transaction(&mut Lite(connection), BEGIN, operation, call)?;
                erase_old_pages(connection);
                Ok(value)
            })),
            Place::Grouped => {
                let (write, answer) = GroupedWrite::new(call);
                match self.writer.send(Job::Grouped(write)) {
                    Ok(()) => answer,
                    Err(error) => Box::pin(std::future::ready(Err(error))),
                }
            }
        }
    }
}

impl SqliteStore {
    /// Runs `call` on a read-only connection, on the calling thread: a lookup by an indexed
    /// key takes microseconds, so the common requests do not pay a hand-off to another thread
    /// and back. It sees every write that has been answered.
    fn on_reader(&self, call: AnyCall) -> Result<AnyValue, Error> {
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
        call(&mut Lite(&guard))
    }
}

/// A connection as the store's operations use it.
struct Lite<'c>(&'c Connection);

impl Sql for Lite<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(
        &mut self,
        operation: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<u64, Error> {
        self.0
            .prepare_cached(&placeholders(sql))
            .and_then(|mut statement| statement.execute(rusqlite::params_from_iter(args)))
            .map(|changed| u64::try_from(changed).unwrap_or(u64::MAX))
            .map_err(database(operation))
    }

    fn query(
        &mut self,
        operation: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Vec<Row>, Error> {
        let mut statement = self
            .0
            .prepare_cached(&placeholders(sql))
            .map_err(database(operation))?;
        let width = statement.column_count();
        let mut rows = statement
            .query(rusqlite::params_from_iter(args))
            .map_err(database(operation))?;
        let mut read = Vec::new();
        while let Some(row) = rows.next().map_err(database(operation))? {
            let columns = (0..width)
                .map(|index| {
                    let unreadable = Error::Unreadable { operation, index };
                    Ok(match row.get_ref(index).map_err(database(operation))? {
                        ValueRef::Null => Column::Null,
                        ValueRef::Integer(value) => Column::Int(value),
                        ValueRef::Text(text) => {
                            Column::Text(String::from_utf8(text.to_vec()).map_err(|_| unreadable)?)
                        }
                        ValueRef::Blob(bytes) => Column::Bytes(bytes.to_vec()),
                        ValueRef::Real(_) => return Err(unreadable),
                    })
                })
                .collect::<Result<_, Error>>()?;
            read.push(Row::new(columns, operation));
        }
        Ok(read)
    }

    fn batch(&mut self, operation: &'static str, sql: &str) -> Result<(), Error> {
        self.0.execute_batch(sql).map_err(database(operation))
    }
}

impl TransactionState for Lite<'_> {
    fn in_transaction(&self) -> bool {
        !self.0.is_autocommit()
    }
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Self::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Self::Int(value) => ToSqlOutput::Borrowed(ValueRef::Integer(value)),
            Self::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Self::Bytes(bytes) => ToSqlOutput::Borrowed(ValueRef::Blob(bytes)),
            Self::Ints(_) | Self::BytesList(_) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "arrays are parameters of postgresql only".into(),
                ));
            }
        })
    }
}

/// `sql` with PostgreSQL's `$N` placeholders written as SQLite's `?N`.
fn placeholders(sql: &str) -> Cow<'_, str> {
    if !sql.contains('$') {
        return Cow::Borrowed(sql);
    }
    let mut rewritten = String::with_capacity(sql.len());
    let mut characters = sql.chars().peekable();
    while let Some(character) = characters.next() {
        let numbered = characters.peek().is_some_and(char::is_ascii_digit);
        rewritten.push(if character == '$' && numbered {
            '?'
        } else {
            character
        });
    }
    Cow::Owned(rewritten)
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
                // A call that panics drops its reply (its caller hears `Error::Task`); what
                // it left open is rolled back, and the connection stays usable.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    call(&mut connection);
                }));
                if !connection.is_autocommit() {
                    let _ = connection.execute_batch("ROLLBACK");
                }
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
                commit_group(&mut Lite(&connection), BEGIN, group, counter);
            }
        }
    }
}

/// `secure_delete` overwrote the old values in the database file, but copies of the old pages
/// sit in the WAL until it is checkpointed: this checkpoints it and truncates it to nothing,
/// retrying while a reader keeps it busy (a read holds it only for a lookup's length). Best
/// effort, after the commit: a WAL still busy, or a failed checkpoint, is truncated by a
/// later erasure.
fn erase_old_pages(connection: &Connection) {
    for _ in 0..20 {
        let busy = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
            row.get::<_, i64>(0)
        });
        if !matches!(busy, Ok(1)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Byte order, as PostgreSQL's `C` collation: `COLLATE "C"` means the same on both backends.
fn byte_order(connection: &Connection) -> rusqlite::Result<()> {
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    connection.create_collation("C", |left, right| left.as_bytes().cmp(right.as_bytes()))
}

fn open_blocking(path: &Path) -> Result<Connection, Error> {
    let mut connection = Connection::open(path).map_err(|source| Error::Open { source })?;
    byte_order(&connection).map_err(|source| Error::Open { source })?;
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
    // Only after a migration: the check reads every referencing row (seconds at ten million
    // log entries), and only a migration rebuilds tables.
    if migrate(&mut connection)? {
        let broken: Option<String> = connection
            .query_row("PRAGMA foreign_key_check", [], |row| row.get(0))
            .optional()
            .map_err(|source| Error::Open { source })?;
        if broken.is_some() {
            return Err(Error::Corrupt {
                column: "a foreign key (PRAGMA foreign_key_check)",
            });
        }
    }
    connection
        .execute_batch("PRAGMA foreign_keys = ON;")
        .map_err(|source| Error::Open { source })?;
    Ok(connection)
}

/// A read-only connection to the migrated database at `path`.
fn open_reader(path: &Path) -> Result<Connection, Error> {
    let connection = Connection::open(path).map_err(|source| Error::Open { source })?;
    byte_order(&connection).map_err(|source| Error::Open { source })?;
    connection
        // A short wait: a read runs on an async worker thread, which must not stall for long.
        .execute_batch("PRAGMA busy_timeout = 250; PRAGMA query_only = ON;")
        .map_err(|source| Error::Open { source })?;
    Ok(connection)
}

/// See [`SqliteStore::check_backup`].
fn check_file(path: &Path) -> Result<u32, Error> {
    let connection = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|source| Error::Open { source })?;
    let integrity: String = connection
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .map_err(database("check the backup"))?;
    if integrity != "ok" {
        return Err(Error::Corrupt {
            column: "the whole file (SQLite's integrity check fails)",
        });
    }
    let found = schema_version(&connection)?;
    let supported = u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX);
    if found > supported {
        return Err(Error::SchemaTooNew { found, supported });
    }
    if found == 0 {
        return Err(Error::Corrupt {
            column: "schema_version (not a netid database)",
        });
    }
    Ok(found)
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

/// Runs the migrations the database lacks; whether there were any.
fn migrate(connection: &mut Connection) -> Result<bool, Error> {
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
    Ok(current < supported)
}

/// Wraps a SQLite error in [`Error::Database`] naming the operation.
fn database(operation: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |source| Error::Database { operation, source }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{grouped, read};
    use crate::sql::args;

    /// A grouped write that panics fails alone, its rows rolled back; the writes beside it
    /// are stored, and the writer goes on.
    #[tokio::test]
    async fn a_grouped_write_that_panics_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("netid.sqlite3"))
            .await
            .unwrap();
        grouped(&store, |db| {
            db.batch("test", "CREATE TABLE scratch (n INTEGER NOT NULL)")
        })
        .await
        .unwrap();
        let insert = |n: i64, then_panic: bool| {
            grouped(&store, move |db| {
                db.execute("test", "INSERT INTO scratch (n) VALUES ($1)", args![n])?;
                assert!(!then_panic, "a bug in write {n}");
                Ok(n)
            })
        };
        let (first, panicked, last) =
            tokio::join!(insert(1, false), insert(2, true), insert(3, false));
        assert_eq!(first.unwrap(), 1);
        assert!(matches!(panicked, Err(Error::Internal(_))), "{panicked:?}");
        assert_eq!(last.unwrap(), 3);
        let stored: Vec<i64> = read(&store, |db| {
            db.values("test", "SELECT n FROM scratch ORDER BY n", args![])
        })
        .await
        .unwrap();
        assert_eq!(stored, vec![1, 3]);
    }
}
