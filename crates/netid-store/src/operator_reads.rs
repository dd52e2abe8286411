//! The operator's reads of holders' data, and their deferred notices (Measures Art. 11).

use crate::Timestamp;
use crate::backend::{HasBackend, read, write};
use crate::log::{append_log, append_log_now};
use crate::sql::{FromRow, args, from_row};
use crate::{Error, HolderId};

/// The operator's reads.
#[async_trait::async_trait]
pub trait OperatorReads: HasBackend {
    /// Records an operator's read of `read.holder`'s data, in one transaction: appends
    /// `log_entry` as an entry of the holder, then `deferral_entry` (about no holder) if the
    /// notice is deferred, and stores the read with its entry's index, which it returns.
    /// [`Error::NotFound`] if the holder was deleted meanwhile.
    async fn record_operator_read(
        &self,
        read: OperatorReadRow,
        log_entry: Vec<u8>,
        deferral_entry: Option<Vec<u8>>,
    ) -> Result<u64, Error> {
        write(self, "operator read", move |db| {
            let sql = "SELECT 1 FROM holders WHERE id = $1 AND deleted_at IS NULL";
            if !db.exists("read holder", sql, args![read.holder])? {
                return Err(Error::NotFound { what: "holder" });
            }
            let log_index = append_log_now(db, &log_entry, Some(read.holder))?;
            if let Some(entry) = &deferral_entry {
                append_log(db, entry, None)?;
            }
            let deferral = read.deferral.as_ref();
            let sql = "INSERT INTO operator_reads (log_index, holder_id, fields, legal_basis, \
                 reference, read_at, deferral_ground, deferral_basis, deferral_ends_at, \
                 sealed_tag_key, basis_kind) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
            let fields = read.fields.join(",");
            let args = args![
                log_index,
                read.holder,
                &fields,
                &read.legal_basis,
                &read.reference,
                read.read_at,
                deferral.map(|deferral| &deferral.ground),
                deferral.map(|deferral| &deferral.legal_basis),
                deferral.map(|deferral| deferral.ends_at),
                deferral.map(|deferral| &deferral.sealed_tag_key),
                read.basis_kind.as_deref()
            ];
            db.execute("record operator read", sql, args)?;
            Ok(log_index)
        })
        .await
    }

    /// The holders of the deferred reads whose notice came due by `now` and who were not yet
    /// alerted of them, each marked alerted in the same statement: whoever takes them alerts
    /// them, once.
    async fn take_due_read_alerts(&self, now: Timestamp) -> Result<Vec<HolderId>, Error> {
        write(self, "take due read alerts", move |db| {
            let sql = "UPDATE operator_reads SET alerted_at = $1 WHERE deferral_ends_at <= $1 \
                 AND alerted_at IS NULL AND holder_id IS NOT NULL RETURNING holder_id";
            db.values("take due read alerts", sql, args![now])
        })
        .await
    }

    /// The operator's reads of `holder`'s data, oldest first.
    async fn operator_reads(&self, holder: HolderId) -> Result<Vec<OperatorReadRow>, Error> {
        read(self, move |db| {
            let sql = "SELECT log_index, fields, legal_basis, reference, read_at, \
                 deferral_ground, deferral_basis, deferral_ends_at, sealed_tag_key, basis_kind \
                 FROM operator_reads WHERE holder_id = $1 ORDER BY log_index";
            db.rows("read operator reads", sql, args![holder], |mut row| {
                let fields: String = row.get(1)?;
                let ground: Option<String> = row.get(5)?;
                let basis: Option<String> = row.get(6)?;
                let ends_at = row.get(7)?;
                let key: Option<Vec<u8>> = row.get(8)?;
                Ok(OperatorReadRow {
                    log_index: row.get(0)?,
                    holder,
                    fields: fields.split(',').map(str::to_owned).collect(),
                    legal_basis: row.get(2)?,
                    basis_kind: row.get(9)?,
                    reference: row.get(3)?,
                    read_at: row.get(4)?,
                    deferral: ground.zip(basis).zip(ends_at).zip(key).map(
                        |(((ground, legal_basis), ends_at), sealed_tag_key)| NoticeDeferralRow {
                            ground,
                            legal_basis,
                            ends_at,
                            sealed_tag_key,
                        },
                    ),
                })
            })
        })
        .await
    }

    /// Counts of operator reads and deferrals, with those still running at `now`.
    async fn deferral_counts(&self, now: crate::Timestamp) -> Result<DeferralCountsRow, Error> {
        read(self, move |db| {
            let sql = "SELECT COUNT(*), COUNT(deferral_ends_at), \
                 COUNT(*) FILTER (WHERE deferral_ends_at > $1) FROM operator_reads";
            DeferralCountsRow::from_row(db.one("count operator reads", sql, args![now])?)
        })
        .await
    }

    /// Reads per kind of legal basis (`None`: reads from before the catalogue).
    async fn reads_by_basis(&self) -> Result<Vec<(Option<String>, u64)>, Error> {
        read(self, |db| {
            let sql = "SELECT basis_kind, COUNT(*) FROM operator_reads GROUP BY basis_kind \
                 ORDER BY basis_kind";
            db.rows("count reads by basis", sql, args![], FromRow::from_row)
        })
        .await
    }
}

from_row! {
    DeferralCountsRow { operator_reads, deferred, deferred_now }
}

/// An operator's read of a holder's personal data (the one audited read path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorReadRow {
    /// The read's entry in the transparency log (assigned by the store on insert).
    pub log_index: u64,
    /// The holder read.
    pub holder: HolderId,
    /// The fields read.
    pub fields: Vec<String>,
    /// The law and article the operator named.
    pub legal_basis: String,
    /// The kind of legal basis (from the catalogue; `None` for reads from before it).
    pub basis_kind: Option<String>,
    /// The request's reference.
    pub reference: String,
    /// When.
    pub read_at: Timestamp,
    /// The deferral of the holder's notice, if any.
    pub deferral: Option<NoticeDeferralRow>,
}

/// A deferred notice (Measures Art. 11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeDeferralRow {
    /// `confidentiality` or `emergency`.
    pub ground: String,
    /// The law and article, or the emergency.
    pub legal_basis: String,
    /// The first instant the holder is told.
    pub ends_at: Timestamp,
    /// The one-off key the read's entry was tagged with, sealed under the master key.
    pub sealed_tag_key: Vec<u8>,
}

/// Aggregate counts of operator reads and deferred notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeferralCountsRow {
    /// Operator reads, ever.
    pub operator_reads: u64,
    /// Reads whose notice was deferred.
    pub deferred: u64,
    /// Deferrals not yet ended at the time asked.
    pub deferred_now: u64,
}
