//! What a backend provides to the operations written once over it: where a call runs
//! (a lookup, a longer read, a transaction of its own, a grouped write), and the group commit
//! both backends share.

use std::future::Future;
use std::pin::Pin;

use crate::log::{StagedEntry, append_staged};
use crate::sql::{Dialect, Row, Sql, Value};
use crate::{Error, GroupCommits};

/// The work of one store call, run with a connection of the backend's.
pub(crate) trait Call<T>: FnOnce(&mut dyn Sql) -> Result<T, Error> + Send + 'static {}
impl<T, F: FnOnce(&mut dyn Sql) -> Result<T, Error> + Send + 'static> Call<T> for F {}

/// A call whose answer's type is erased, so that one dyn-compatible backend runs them all.
pub(crate) type AnyCall = Box<dyn FnOnce(&mut dyn Sql) -> Result<AnyValue, Error> + Send>;

/// What a backend's call answers, later.
pub(crate) type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// Where a call runs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Place {
    /// A lookup by an indexed key, which takes microseconds: SQLite runs it on the calling
    /// thread, on a read-only connection.
    Lookup,
    /// A read that may scan, outside any transaction.
    Read,
    /// A writing transaction of its own (named in errors): committed if the call succeeds,
    /// rolled back if it fails.
    Write(&'static str),
    /// A writing transaction of the transparency log's integration (named in errors), which
    /// touches only the log's own tables and is made safe by its own compare-and-swap: on
    /// PostgreSQL it does not take the writers' lock, so it never waits for, nor holds up,
    /// the acts being written. SQLite runs it as a [`Place::Write`].
    LogIntegration(&'static str),
    /// A [`Place::Write`] that overwrites personal data: once it has committed, in the same
    /// job (so a caller who stops waiting cannot skip it), the backend removes the copies it
    /// keeps of the old pages where it can (SQLite's WAL), as best it can.
    Erasing(&'static str),
    /// A small write that may share its transaction with others (group commit), in a
    /// savepoint of its own: if it fails, it fails alone. Answered after the shared commit.
    Grouped,
}

/// A database the store's operations run on: SQLite or PostgreSQL.
pub(crate) trait Backend: Send + Sync {
    /// Grouped writes committed so far, and in how many transactions.
    fn committed_groups(&self) -> GroupCommits;

    /// Runs `call` where `place` says.
    fn run_call(&self, place: Place, call: AnyCall) -> Answer<'_, AnyValue>;
}

/// How the store's operations reach their backend: implemented by [`crate::SqliteStore`] and
/// [`crate::PostgresStore`] only (no one else can make a [`BackendRef`]).
pub trait HasBackend: Send + Sync + 'static {
    /// The backend.
    fn backend(&self) -> BackendRef<'_>;
}

impl<T: Backend + 'static> HasBackend for T {
    fn backend(&self) -> BackendRef<'_> {
        BackendRef(self)
    }
}

/// A store's backend, as its operations use it.
#[derive(Clone, Copy)]
pub struct BackendRef<'a>(pub(crate) &'a dyn Backend);

impl core::fmt::Debug for BackendRef<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BackendRef").finish_non_exhaustive()
    }
}

impl<'a> BackendRef<'a> {
    /// Runs `call` where `place` says, and gives its answer back as its own type.
    pub(crate) async fn typed<T: Send + 'static>(
        self,
        place: Place,
        call: impl Call<T>,
    ) -> Result<T, Error> {
        let call: AnyCall =
            Box::new(move |db| call(db).map(|value| -> AnyValue { Box::new(value) }));
        self.0
            .run_call(place, call)
            .await?
            .downcast::<T>()
            .map(|value| *value)
            .map_err(|_| Error::Internal("a call answered with another type"))
    }
}

/// See [`Place::Lookup`].
pub(crate) async fn lookup<T: Send + 'static>(
    store: &(impl HasBackend + ?Sized),
    call: impl Call<T>,
) -> Result<T, Error> {
    store.backend().typed(Place::Lookup, call).await
}

/// See [`Place::Read`].
pub(crate) async fn read<T: Send + 'static>(
    store: &(impl HasBackend + ?Sized),
    call: impl Call<T>,
) -> Result<T, Error> {
    store.backend().typed(Place::Read, call).await
}

/// See [`Place::Write`].
pub(crate) async fn write<T: Send + 'static>(
    store: &(impl HasBackend + ?Sized),
    operation: &'static str,
    call: impl Call<T>,
) -> Result<T, Error> {
    store.backend().typed(Place::Write(operation), call).await
}

/// See [`Place::LogIntegration`].
pub(crate) async fn integration_write<T: Send + 'static>(
    store: &(impl HasBackend + ?Sized),
    operation: &'static str,
    call: impl Call<T>,
) -> Result<T, Error> {
    store
        .backend()
        .typed(Place::LogIntegration(operation), call)
        .await
}

/// See [`Place::Erasing`].
pub(crate) async fn erasing<T: Send + 'static>(
    store: &(impl HasBackend + ?Sized),
    operation: &'static str,
    call: impl Call<T>,
) -> Result<T, Error> {
    store.backend().typed(Place::Erasing(operation), call).await
}

/// See [`Place::Grouped`].
pub(crate) async fn grouped<T: Send + 'static>(
    store: &(impl HasBackend + ?Sized),
    call: impl Call<T>,
) -> Result<T, Error> {
    store.backend().typed(Place::Grouped, call).await
}

/// Runs `call` in one transaction opened by `begin`: committed if it succeeds, rolled back
/// if it fails.
pub(crate) fn in_transaction<T>(
    db: &mut dyn Sql,
    begin: &str,
    operation: &'static str,
    call: impl FnOnce(&mut dyn Sql) -> Result<T, Error>,
) -> Result<T, Error> {
    // Whatever fails, nothing is left open on the connection (a begin that failed halfway
    // leaves PostgreSQL's transaction aborted, not ended).
    // A failed commit may have reached the disk or the server: its outcome is unknown.
    let outcome = db
        .batch(operation, begin)
        .and_then(|()| call(db))
        .and_then(|value| {
            db.batch(operation, "COMMIT")
                .map(|()| value)
                .map_err(|error| Error::CommitUncertain {
                    cause: error.to_string(),
                })
        });
    if outcome.is_err() {
        let _ = db.batch(operation, "ROLLBACK");
    }
    outcome
}

/// At most this many grouped writes share one transaction (both backends).
pub(crate) const MAX_GROUP: usize = 128;

/// What a grouped write answers, whatever its type: the backends queue writes of every type
/// together.
pub(crate) type AnyValue = Box<dyn std::any::Any + Send>;

/// A write that may share a transaction with others.
pub(crate) struct GroupedWrite {
    pub(crate) call: AnyCall,
    pub(crate) reply: tokio::sync::oneshot::Sender<Result<AnyValue, Error>>,
}

impl GroupedWrite {
    /// A grouped write of `call`, and where its answer will come.
    pub(crate) fn new(call: AnyCall) -> (Self, Answer<'static, AnyValue>) {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let answer = async move { answer.await.map_err(|_| Error::Task)? };
        (Self { call, reply }, Box::pin(answer))
    }
}

/// How a backend's connection tells whether its transaction is still open: SQLite rolls a
/// transaction back by itself on some errors (a full disk, an I/O error).
pub(crate) trait TransactionState {
    fn in_transaction(&self) -> bool;
}

/// A grouped transaction's connection: it keeps the log entries its writes append, for the
/// end of the transaction (`crate::log::append_staged`).
struct Staging<'a, D: ?Sized> {
    db: &'a mut D,
    entries: &'a mut Vec<StagedEntry>,
}

impl<D: Sql + ?Sized> Sql for Staging<'_, D> {
    fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    fn execute(
        &mut self,
        operation: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<u64, Error> {
        self.db.execute(operation, sql, args)
    }

    fn query(
        &mut self,
        operation: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Vec<Row>, Error> {
        self.db.query(operation, sql, args)
    }

    fn batch(&mut self, operation: &'static str, sql: &str) -> Result<(), Error> {
        self.db.batch(operation, sql)
    }

    fn staged_log(&mut self) -> Option<&mut Vec<StagedEntry>> {
        Some(self.entries)
    }
}

/// Runs each write of `group` in its own savepoint of one transaction (opened by `begin`),
/// commits it, and only then answers each caller: with its value if the commit succeeded,
/// with its own error if its write failed (rolled back to its savepoint), or with the
/// transaction's failure. A write that panics fails alone, as an internal error. Returns
/// whether the database was found away ([`Error::is_unavailable`]): then the connection is
/// not to be used again.
pub(crate) fn commit_group(
    db: &mut (impl Sql + TransactionState),
    begin: &str,
    group: Vec<GroupedWrite>,
    counter: &GroupCommitCounter,
) -> bool {
    let mut done: Vec<(tokio::sync::oneshot::Sender<_>, AnyValue)> =
        Vec::with_capacity(group.len());
    let mut open = false;
    // The log entries of the writes done in the open transaction, appended at its end.
    let mut staged: Vec<StagedEntry> = Vec::new();
    let mut group = group.into_iter();
    while let Some(write) = group.next() {
        // The transaction ended by itself: the writes done in it are gone; the rest start
        // a new one.
        if open && !db.in_transaction() {
            // PostgreSQL ends one only with its connection.
            abandon(db, &mut done, "the database ended the transaction", true);
            staged.clear();
            open = false;
        }
        if !open {
            // A begin that fails (the writers' lock not had in time) fails the whole group:
            // each write trying again would hold the connection for as long, in turn.
            if let Err(error) = db.batch("begin grouped writes", begin) {
                let _ = db.batch("roll back grouped writes", "ROLLBACK");
                for write in std::iter::once(write).chain(group) {
                    let _ = write.reply.send(Err(Error::RolledBack {
                        cause: error.to_string(),
                        unavailable: error.is_unavailable(),
                    }));
                }
                return error.is_unavailable();
            }
            open = true;
        }
        let mark = staged.len();
        let outcome = db
            .batch("begin grouped write", "SAVEPOINT grouped_write")
            .and_then(|()| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let mut staging = Staging {
                        db: &mut *db,
                        entries: &mut staged,
                    };
                    (write.call)(&mut staging)
                }))
                .unwrap_or(Err(Error::Internal("a database write panicked")))
            })
            .and_then(|value| {
                db.batch("end grouped write", "RELEASE SAVEPOINT grouped_write")
                    .map(|()| value)
            });
        match outcome {
            Ok(value) => done.push((write.reply, value)),
            Err(error) => {
                staged.truncate(mark);
                let away = error.is_unavailable();
                let _ = write.reply.send(Err(error));
                // Undo this write alone; if that cannot be done, undo the transaction.
                let undone = db.in_transaction()
                    && db
                        .batch(
                            "undo grouped write",
                            "ROLLBACK TO SAVEPOINT grouped_write; RELEASE SAVEPOINT grouped_write",
                        )
                        .is_ok();
                if away {
                    // The database is away: nothing of this transaction is stored, and the
                    // writes not yet run would fail the same way.
                    abandon(db, &mut done, "the database went away", true);
                    for write in group {
                        let _ = write.reply.send(Err(Error::RolledBack {
                            cause: "the database went away".to_owned(),
                            unavailable: true,
                        }));
                    }
                    return true;
                }
                if !undone {
                    abandon(db, &mut done, "another write in it failed", false);
                    staged.clear();
                    open = false;
                }
            }
        }
    }
    if !open {
        return false;
    }
    // Last, so that the log's counter is held only from here to the commit.
    let sequencing = (!staged.is_empty()).then(std::time::Instant::now);
    if let Err(error) = append_staged(db, staged) {
        let away = error.is_unavailable();
        abandon(db, &mut done, &error.to_string(), away);
        return away;
    }
    // A failed commit may have reached the disk or the server: the outcome is unknown.
    match db.batch("commit grouped writes", "COMMIT") {
        Ok(()) => {
            if !done.is_empty() {
                counter.committed(done.len(), sequencing.map(|since| since.elapsed()));
            }
            for (reply, value) in done {
                let _ = reply.send(Ok(value));
            }
        }
        Err(error) => {
            let _ = db.batch("roll back grouped writes", "ROLLBACK");
            for (reply, _) in done {
                let _ = reply.send(Err(Error::CommitUncertain {
                    cause: error.to_string(),
                }));
            }
            return error.is_unavailable();
        }
    }
    false
}

/// Rolls back the shared transaction and tells the writes done in it that they are not stored
/// (`unavailable`: because the database went away).
fn abandon(
    db: &mut dyn Sql,
    done: &mut Vec<(
        tokio::sync::oneshot::Sender<Result<AnyValue, Error>>,
        AnyValue,
    )>,
    cause: &str,
    unavailable: bool,
) {
    let _ = db.batch("roll back grouped writes", "ROLLBACK");
    for (reply, _) in done.drain(..) {
        let _ = reply.send(Err(Error::RolledBack {
            cause: cause.to_owned(),
            unavailable,
        }));
    }
}

/// Counts [`GroupCommits`] across threads.
#[derive(Debug, Default)]
pub(crate) struct GroupCommitCounter {
    commits: std::sync::atomic::AtomicU64,
    writes: std::sync::atomic::AtomicU64,
    sequenced: std::sync::atomic::AtomicU64,
    counter_held_micros: std::sync::atomic::AtomicU64,
}

impl GroupCommitCounter {
    /// Counts one committed transaction that stored `writes` grouped writes and, if it
    /// appended to the log, held the log's counter for `held`.
    pub(crate) fn committed(&self, writes: usize, held: Option<std::time::Duration>) {
        use std::sync::atomic::Ordering::Relaxed;
        self.commits.fetch_add(1, Relaxed);
        self.writes
            .fetch_add(u64::try_from(writes).unwrap_or(u64::MAX), Relaxed);
        if let Some(held) = held {
            self.sequenced.fetch_add(1, Relaxed);
            self.counter_held_micros
                .fetch_add(u64::try_from(held.as_micros()).unwrap_or(u64::MAX), Relaxed);
        }
    }

    pub(crate) fn read(&self) -> GroupCommits {
        use std::sync::atomic::Ordering::Relaxed;
        GroupCommits {
            commits: self.commits.load(Relaxed),
            writes: self.writes.load(Relaxed),
            sequenced: self.sequenced.load(Relaxed),
            counter_held_micros: self.counter_held_micros.load(Relaxed),
        }
    }
}
