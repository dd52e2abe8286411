//! The operator's reads of holders' data, and their deferred notices (Measures Art. 11).

use crate::backend::{HasBackend, read, write};
use crate::log::append_log;
use crate::sql::args;
use crate::{DeferralCountsRow, Error, HolderId, NoticeDeferralRow, OperatorReadRow};

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
            let log_index = append_log(db, &log_entry, Some(read.holder))?;
            if let Some(entry) = &deferral_entry {
                append_log(db, entry, None)?;
            }
            let deferral = read.deferral.as_ref();
            let sql = "INSERT INTO operator_reads (log_index, holder_id, fields, legal_basis, \
                 reference, read_at, deferral_ground, deferral_basis, deferral_ends_at, \
                 sealed_tag_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
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
                deferral.map(|deferral| &deferral.sealed_tag_key)
            ];
            db.execute("record operator read", sql, args)?;
            Ok(log_index)
        })
        .await
    }

    /// The operator's reads of `holder`'s data, oldest first.
    async fn operator_reads(&self, holder: HolderId) -> Result<Vec<OperatorReadRow>, Error> {
        read(self, move |db| {
            let sql = "SELECT log_index, fields, legal_basis, reference, read_at, \
                 deferral_ground, deferral_basis, deferral_ends_at, sealed_tag_key \
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
            let mut row = db.one("count operator reads", sql, args![now])?;
            Ok(DeferralCountsRow {
                operator_reads: row.get(0)?,
                deferred: row.get(1)?,
                deferred_now: row.get(2)?,
            })
        })
        .await
    }
}
