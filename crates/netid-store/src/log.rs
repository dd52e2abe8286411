//! The transparency log's entries and its latest checkpoint.

use crate::backend::{HasBackend, read, write};
use crate::sql::{FromRow, Sql, args};
use crate::{Conflict, Error, HolderId, Timestamp};

/// The log entries, in order, and which were whose.
#[async_trait::async_trait]
pub trait LogEntries: HasBackend {
    /// The number of entries in the transparency log.
    async fn log_size(&self) -> Result<u64, Error> {
        read(self, |db| {
            let sql = "SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries";
            db.value("read log size", sql, args![])
        })
        .await
    }

    /// The log entries `start..end` (leaf bytes, in order); fewer if the log is shorter.
    async fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, Error> {
        read(self, move |db| {
            let sql = "SELECT leaf FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx";
            db.values("read log entries", sql, args![start, end])
        })
        .await
    }

    /// The indexes of `holder`'s log entries, in order.
    async fn holder_log_indexes(&self, holder: HolderId) -> Result<Vec<u64>, Error> {
        read(self, move |db| {
            let sql = "SELECT idx FROM log_entries WHERE holder_id = $1 ORDER BY idx";
            db.values("read holder log entries", sql, args![holder])
        })
        .await
    }

    /// Stores the signed checkpoint `note` of the tree of `size` entries, replacing the older
    /// ones (auditors keep their own). Storing the same size again is
    /// [`Error::AlreadyExists`] with [`Conflict::Checkpoint`].
    async fn insert_checkpoint(&self, size: u64, note: String, at: Timestamp) -> Result<(), Error> {
        write(self, "checkpoint", move |db| {
            let sql = "INSERT INTO log_checkpoints (size, note, signed_at) VALUES ($1, $2, $3)";
            db.insert("insert checkpoint", sql, args![size, &note, at], |_| {
                Conflict::Checkpoint
            })?;
            // Only the latest is needed (to check the log on start); keeping every one would
            // let anyone who polls the checkpoint grow the table.
            let sql = "DELETE FROM log_checkpoints WHERE size < $1";
            db.execute("prune checkpoints", sql, args![size]).map(drop)
        })
        .await
    }

    /// The latest stored checkpoint: its size and signed note.
    async fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, Error> {
        read(self, |db| {
            let sql = "SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1";
            db.optional("read latest checkpoint", sql, args![], FromRow::from_row)
        })
        .await
    }
}

/// Appends `leaf` to the log inside the transaction of `db`, as an entry of `holder` if
/// given, and returns its index. The index is the next one: the transaction holds the write
/// lock (SQLite's, or PostgreSQL's advisory writers' lock), so no other append runs until it
/// ends, and there are no gaps.
pub(crate) fn append_log(
    db: &mut dyn Sql,
    leaf: &[u8],
    holder: Option<HolderId>,
) -> Result<u64, Error> {
    let sql = "INSERT INTO log_entries (idx, leaf, holder_id) \
         VALUES ((SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries), $1, $2) RETURNING idx";
    db.value("append log entry", sql, args![leaf, holder])
}
