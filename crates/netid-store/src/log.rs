//! The transparency log's entries, its tiles and its latest checkpoint.
//!
//! Sequencing: an act's entries are stored in the act's own transaction and get their indexes
//! there from one counter row (`log_sequence`), so indexes are contiguous, gap-free (a rolled
//! back transaction rolls its move of the counter back too) and in commit order (the row stays
//! locked until the transaction ends). A grouped transaction moves the counter once, as its
//! last statement, so the counter is held only from then to the commit; nothing else in the
//! log is locked by writers.
//!
//! Integration: one integrator at a time extends the tiles and stores a signed checkpoint of
//! the new size, in one transaction that moves `log_integration.size` from the size it read:
//! a compare-and-swap, so two integrators cannot both extend the same tree. A lease on the
//! same row decides who tries; the compare-and-swap keeps it safe when leases overlap.

use crate::backend::{HasBackend, integration_write, lookup, read, write};
use crate::sql::{Dialect, FromRow, Sql, args};
use crate::{Conflict, Error, HolderId, Timestamp};

/// A tile's place, as the store keys it: its level and its index within the level.
pub type TileKey = (u32, u64);

/// The log entries, in order, and which were whose; the tree kept as tiles.
#[async_trait::async_trait]
pub trait LogEntries: HasBackend {
    /// The number of entries in the transparency log (committed; not yet integrated, perhaps).
    async fn log_size(&self) -> Result<u64, Error> {
        lookup(self, |db| {
            let sql = "SELECT next FROM log_sequence WHERE id = 0";
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

    /// The holders (not deleted) with a log entry at the platform `client_id` (a verification,
    /// a sign-in, a disclosure, a consent): the only ones a pseudonym there can be.
    async fn holders_seen_by(&self, client_id: &str) -> Result<Vec<HolderId>, Error> {
        // Entries are one line of JSON: the platform member, exactly, with its quotes.
        let member = format!("\"platform\":\"{client_id}\"").into_bytes();
        read(self, move |db| {
            let sql = match db.dialect() {
                Dialect::Sqlite => {
                    "SELECT DISTINCT e.holder_id FROM log_entries e JOIN holders h \
                     ON h.id = e.holder_id WHERE h.deleted_at IS NULL AND instr(e.leaf, $1) > 0 \
                     ORDER BY e.holder_id"
                }
                Dialect::Postgres => {
                    "SELECT DISTINCT e.holder_id FROM log_entries e JOIN holders h \
                     ON h.id = e.holder_id WHERE h.deleted_at IS NULL \
                     AND position($1::bytea IN e.leaf) > 0 ORDER BY e.holder_id"
                }
            };
            db.values("read holders seen by a platform", sql, args![&member])
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

    /// `holder`'s log entries still linked to them at `now`, in order: each index, with the
    /// end of its link for an entry that is forgotten (see [`LogEntries::forget_use_links`]).
    async fn holder_entries(
        &self,
        holder: HolderId,
        now: Timestamp,
    ) -> Result<Vec<(u64, Option<Timestamp>)>, Error> {
        read(self, move |db| {
            let sql = "SELECT idx, linked_until FROM log_entries WHERE holder_id = $1 \
                 AND (linked_until IS NULL OR linked_until > $2) ORDER BY idx";
            db.rows(
                "read holder log entries",
                sql,
                args![holder, now],
                FromRow::from_row,
            )
        })
        .await
    }

    /// The sealed key of the entries whose link ends at `forget_at`: the one stored, or
    /// `fresh` stored now if there is none (two nodes may race; both get the one that won).
    async fn use_link_key(&self, forget_at: Timestamp, fresh: Vec<u8>) -> Result<Vec<u8>, Error> {
        write(self, "store a use-link key", move |db| {
            let sql = "INSERT INTO use_link_keys (forget_at, sealed) VALUES ($1, $2) \
                 ON CONFLICT (forget_at) DO NOTHING";
            db.execute("store a use-link key", sql, args![forget_at, &fresh])?;
            let sql = "SELECT sealed FROM use_link_keys WHERE forget_at = $1";
            db.value("read a use-link key", sql, args![forget_at])
        })
        .await
    }

    /// The sealed keys of the entries whose links end at each of `ends`, where still kept.
    async fn use_link_keys(
        &self,
        ends: Vec<Timestamp>,
    ) -> Result<Vec<(Timestamp, Vec<u8>)>, Error> {
        read(self, move |db| {
            let mut keys = Vec::with_capacity(ends.len());
            for forget_at in ends {
                let sql = "SELECT forget_at, sealed FROM use_link_keys WHERE forget_at = $1";
                keys.extend(db.optional(
                    "read a use-link key",
                    sql,
                    args![forget_at],
                    FromRow::from_row,
                )?);
            }
            Ok(keys)
        })
        .await
    }

    /// Every stored use-link key (a master-key rotation reseals them).
    async fn all_use_link_keys(&self) -> Result<Vec<(Timestamp, Vec<u8>)>, Error> {
        read(self, |db| {
            let sql = "SELECT forget_at, sealed FROM use_link_keys ORDER BY forget_at";
            db.rows("read use-link keys", sql, args![], FromRow::from_row)
        })
        .await
    }

    /// Forgets, in one transaction, whose the entries are whose link ended by `now`: their
    /// holder goes, and the keys their tags were made with are destroyed. The entries stay in
    /// the log. How many entries were unlinked.
    async fn forget_use_links(&self, now: Timestamp) -> Result<u64, Error> {
        write(self, "forget use links", move |db| {
            let sql = "UPDATE log_entries SET holder_id = NULL, linked_until = NULL \
                 WHERE linked_until IS NOT NULL AND linked_until <= $1";
            let unlinked = db.execute("unlink entries", sql, args![now])?;
            let sql = "DELETE FROM use_link_keys WHERE forget_at <= $1";
            db.execute("destroy use-link keys", sql, args![now])?;
            Ok(unlinked)
        })
        .await
    }

    /// How far the tiles reach (the size of the tree they hold), and the latest stored
    /// checkpoint: its size and signed note.
    async fn log_head(&self) -> Result<LogHead, Error> {
        lookup(self, |db| {
            let sql = "SELECT size FROM log_integration WHERE id = 0";
            let integrated = db.value("read log head", sql, args![])?;
            let sql = "SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1";
            let checkpoint = db.optional("read log head", sql, args![], FromRow::from_row)?;
            Ok(LogHead {
                integrated,
                checkpoint,
            })
        })
        .await
    }

    /// The stored tiles among `keys`, each with its hashes (concatenated); a tile not stored
    /// is left out.
    async fn log_tiles(&self, keys: Vec<TileKey>) -> Result<Vec<(TileKey, Vec<u8>)>, Error> {
        read(self, move |db| {
            let mut tiles = Vec::with_capacity(keys.len());
            for (level, index) in keys {
                let sql = "SELECT hashes FROM log_tiles WHERE level = $1 AND idx = $2";
                let hashes =
                    db.optional("read log tile", sql, args![level, index], |mut row| {
                        row.get(0)
                    })?;
                tiles.extend(hashes.map(|hashes| ((level, index), hashes)));
            }
            Ok(tiles)
        })
        .await
    }

    /// Takes or renews the integrator's lease for `holder` until `until`, if no one else
    /// holds it at `now`; whether `holder` holds it.
    async fn take_log_lease(
        &self,
        holder: String,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool, Error> {
        integration_write(self, "take the log lease", move |db| {
            let sql = "UPDATE log_integration SET lease_holder = $1, lease_until = $2 \
                 WHERE id = 0 AND (lease_holder = $1 OR lease_until < $3)";
            Ok(db.execute("take the log lease", sql, args![&holder, until, now])? == 1)
        })
        .await
    }

    /// Stores an integration in one transaction: the tiles that changed, the signed
    /// checkpoint of the new size (replacing older ones: auditors keep their own), and the new
    /// size. [`Error::AlreadyExists`] with [`Conflict::Checkpoint`], storing nothing, unless the
    /// tiles still reach `integration.from` exactly: another integrator moved first.
    async fn integrate(&self, integration: Integration) -> Result<(), Error> {
        integration_write(self, "integrate the log", move |db| {
            let Integration {
                from,
                to,
                tiles,
                note,
                at,
            } = integration;
            let sql = "UPDATE log_integration SET size = $2 WHERE id = 0 AND size = $1";
            if db.execute("move the log head", sql, args![from, to])? != 1 {
                return Err(Error::AlreadyExists {
                    what: Conflict::Checkpoint,
                });
            }
            for ((level, index), hashes) in &tiles {
                let sql = "INSERT INTO log_tiles (level, idx, hashes) VALUES ($1, $2, $3) \
                     ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes";
                db.execute("store log tile", sql, args![*level, *index, hashes])?;
            }
            let sql = "INSERT INTO log_checkpoints (size, note, signed_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (size) DO NOTHING";
            db.execute("store checkpoint", sql, args![to, &note, at])?;
            // Only the latest is needed (to check the log on start); keeping every one would
            // let anyone who polls the checkpoint grow the table.
            let sql = "DELETE FROM log_checkpoints WHERE size < $1";
            db.execute("prune checkpoints", sql, args![to]).map(drop)
        })
        .await
    }
}

/// How far the log's tiles reach, and its latest checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHead {
    /// The size of the tree the stored tiles hold.
    pub integrated: u64,
    /// The latest stored checkpoint: its size and signed note. Its size is `integrated`,
    /// except in a database whose checkpoint predates stored tiles (schema 18 and before).
    pub checkpoint: Option<(u64, String)>,
}

/// An extension of the tree from `from` entries to `to`, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    /// The size the tiles reached before.
    pub from: u64,
    /// The size they reach now.
    pub to: u64,
    /// Every tile that changed or is new, whole.
    pub tiles: Vec<(TileKey, Vec<u8>)>,
    /// The signed checkpoint of the tree of `to` entries.
    pub note: String,
    /// When it was signed.
    pub at: Timestamp,
}

/// An entry a grouped transaction appends at its end: its leaf, its holder if any, and when
/// its link to the holder ends, if it does.
pub(crate) type StagedEntry = (Vec<u8>, Option<HolderId>, Option<Timestamp>);

/// Appends `leaf` to the log in the transaction of `db`, as an entry of `holder` if given: at
/// the transaction's end if `db` stages entries (a group's), else now.
pub(crate) fn append_log(
    db: &mut dyn Sql,
    leaf: &[u8],
    holder: Option<HolderId>,
) -> Result<(), Error> {
    append_linked(db, leaf, holder, None)
}

/// Appends `leaf` like [`append_log`], linked to `holder` only until `linked_until` if given.
pub(crate) fn append_linked(
    db: &mut dyn Sql,
    leaf: &[u8],
    holder: Option<HolderId>,
    linked_until: Option<Timestamp>,
) -> Result<(), Error> {
    match db.staged_log() {
        Some(staged) => {
            staged.push((leaf.to_vec(), holder, linked_until));
            Ok(())
        }
        None => {
            let index = next_indexes(db, 1)?;
            insert_entry(db, index, leaf, holder, linked_until)
        }
    }
}

/// Appends `leaf` now, and returns its index (for an act that keeps it).
pub(crate) fn append_log_now(
    db: &mut dyn Sql,
    leaf: &[u8],
    holder: Option<HolderId>,
) -> Result<u64, Error> {
    let index = next_indexes(db, 1)?;
    insert_entry(db, index, leaf, holder, None)?;
    Ok(index)
}

fn insert_entry(
    db: &mut dyn Sql,
    index: u64,
    leaf: &[u8],
    holder: Option<HolderId>,
    linked_until: Option<Timestamp>,
) -> Result<(), Error> {
    let sql =
        "INSERT INTO log_entries (idx, leaf, holder_id, linked_until) VALUES ($1, $2, $3, $4)";
    db.execute(
        "append log entry",
        sql,
        args![index, leaf, holder, linked_until],
    )
    .map(drop)
}

/// Appends a group's staged entries, in order: the group's last statements.
pub(crate) fn append_staged(db: &mut dyn Sql, staged: Vec<StagedEntry>) -> Result<(), Error> {
    if staged.is_empty() {
        return Ok(());
    }
    let first = next_indexes(db, u64::try_from(staged.len()).unwrap_or(u64::MAX))?;
    match db.dialect() {
        // In process: one insert an entry costs nothing.
        Dialect::Sqlite => {
            for (index, (leaf, holder, linked_until)) in (first..).zip(&staged) {
                insert_entry(db, index, leaf, *holder, *linked_until)?;
            }
        }
        // One round trip for the group, while the counter is held. Holder ids start at 1, and
        // no link ends at the epoch, so 0 stands for none.
        Dialect::Postgres => {
            let mut leaves = Vec::with_capacity(staged.len());
            let mut holders = Vec::with_capacity(staged.len());
            let mut ends = Vec::with_capacity(staged.len());
            for (leaf, holder, linked_until) in staged {
                leaves.push(leaf);
                holders.push(holder.map_or(0, |holder| holder.0));
                ends.push(linked_until.map_or(0, |until| until.0));
            }
            let sql = "INSERT INTO log_entries (idx, leaf, holder_id, linked_until) \
                 SELECT $1 + ord - 1, leaf, NULLIF(holder, 0), NULLIF(until, 0) \
                 FROM unnest($2::bytea[], $3::bigint[], $4::bigint[]) \
                 WITH ORDINALITY AS t(leaf, holder, until, ord)";
            let args = [
                first.into(),
                crate::sql::Value::BytesList(&leaves),
                crate::sql::Value::Ints(&holders),
                crate::sql::Value::Ints(&ends),
            ];
            db.execute("append log entries", sql, &args)?;
        }
    }
    Ok(())
}

/// Moves the counter by `count` and returns the first index it handed out. The counter's row
/// stays locked until the transaction ends.
fn next_indexes(db: &mut dyn Sql, count: u64) -> Result<u64, Error> {
    let sql = "UPDATE log_sequence SET next = next + $1 WHERE id = 0 RETURNING next - $1";
    db.value("sequence log entries", sql, args![count])
}
