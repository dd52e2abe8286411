//! Holders' complaints about platforms, and how the operator handled them.

use crate::backend::{HasBackend, lookup, read, write};
use crate::log::append_log;
use crate::sql::{FromRow, args, from_row};
use crate::types::stored_enum;
use crate::{Error, HolderId, Timestamp};

// Each read in the order of its query's columns.
from_row! {
    ComplaintRow {
        reference, holder, client_id, category, sealed_text, status, resolution, action,
        handled_by, filed_at, updated_at
    }
}

const COMPLAINT_COLUMNS: &str = "reference, holder_id, client_id, category, sealed_text, \
     status, resolution, action, handled_by, filed_at, updated_at";

/// The complaints.
#[async_trait::async_trait]
pub trait Complaints: HasBackend {
    /// Records a complaint of a (not deleted) holder with `log_entry` (tagged for them), in
    /// one transaction; [`Error::NotFound`] if the holder is gone.
    async fn add_complaint(
        &self,
        complaint: ComplaintRow,
        log_entry: Vec<u8>,
    ) -> Result<(), Error> {
        write(self, "complaint", move |db| {
            let holder = complaint
                .holder
                .ok_or(Error::Internal("a complaint is filed by a holder"))?;
            let sql = format!(
                "INSERT INTO complaints ({COMPLAINT_COLUMNS}) SELECT $1, id, $3, $4, $5, $6, \
                 $7, $8, $9, $10, $11 FROM holders WHERE id = $2 AND deleted_at IS NULL"
            );
            let args = args![
                &complaint.reference,
                holder,
                &complaint.client_id,
                complaint.category,
                complaint.sealed_text.as_deref(),
                complaint.status,
                complaint.resolution.as_deref(),
                complaint.action,
                complaint.handled_by.as_deref(),
                complaint.filed_at,
                complaint.updated_at
            ];
            if db.execute("add complaint", &sql, args)? == 0 {
                return Err(Error::NotFound { what: "holder" });
            }
            append_log(db, &log_entry, Some(holder)).map(drop)
        })
        .await
    }

    /// The complaint `reference`.
    async fn complaint(&self, reference: &str) -> Result<Option<ComplaintRow>, Error> {
        let reference = reference.to_owned();
        lookup(self, move |db| {
            let sql = format!("SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE reference = $1");
            db.optional(
                "read complaint",
                &sql,
                args![&reference],
                ComplaintRow::from_row,
            )
        })
        .await
    }

    /// `holder`'s complaints, newest first.
    async fn holder_complaints(&self, holder: HolderId) -> Result<Vec<ComplaintRow>, Error> {
        read(self, move |db| {
            let sql = format!(
                "SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE holder_id = $1 \
                 ORDER BY filed_at DESC, reference"
            );
            db.rows(
                "read complaints",
                &sql,
                args![holder],
                ComplaintRow::from_row,
            )
        })
        .await
    }

    /// The newest `limit` complaints, open ones first.
    async fn complaints(&self, limit: u32) -> Result<Vec<ComplaintRow>, Error> {
        read(self, move |db| {
            let sql = format!(
                "SELECT {COMPLAINT_COLUMNS} FROM complaints ORDER BY \
                 CASE WHEN status IN ('received', 'investigating') THEN 0 ELSE 1 END, \
                 filed_at DESC, reference LIMIT $1"
            );
            db.rows(
                "read complaints",
                &sql,
                args![i64::from(limit)],
                ComplaintRow::from_row,
            )
        })
        .await
    }

    /// Records how `operator` handled the open complaint `reference` (`handling`), with
    /// `log_entry`, in one transaction; `false` if it is unknown or closed (upheld or
    /// dismissed).
    async fn handle_complaint(
        &self,
        reference: &str,
        handling: ComplaintHandling,
        log_entry: Vec<u8>,
    ) -> Result<bool, Error> {
        let reference = reference.to_owned();
        write(self, "handle complaint", move |db| {
            let sql = "UPDATE complaints SET status = $2, resolution = $3, action = $4, \
                 handled_by = $5, updated_at = $6 WHERE reference = $1 \
                 AND status IN ('received', 'investigating')";
            let args = args![
                &reference,
                handling.status,
                &handling.resolution,
                handling.action,
                &handling.operator,
                handling.at
            ];
            if db.execute("handle complaint", sql, args)? != 1 {
                return Ok(false);
            }
            let sql = "SELECT holder_id FROM complaints WHERE reference = $1";
            let holder: Option<HolderId> = db.value("read complaint", sql, args![&reference])?;
            append_log(db, &log_entry, holder)?;
            Ok(true)
        })
        .await
    }

    /// How many complaints each platform has in each status, by platform and status.
    async fn complaint_counts(&self) -> Result<Vec<(String, ComplaintStatus, i64)>, Error> {
        read(self, move |db| {
            let sql = "SELECT client_id, status, COUNT(*) FROM complaints \
                 GROUP BY client_id, status ORDER BY client_id COLLATE \"C\", status";
            db.rows("count complaints", sql, args![], FromRow::from_row)
        })
        .await
    }
}

/// A holder's complaint about a platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintRow {
    /// Its reference, given to the holder.
    pub reference: String,
    /// The holder who filed it; none once they deleted their data.
    pub holder: Option<HolderId>,
    /// The platform it is about.
    pub client_id: String,
    /// What the platform did, in the holder's choice of category.
    pub category: ComplaintCategory,
    /// The holder's words, sealed under the master key; none once they deleted their data.
    pub sealed_text: Option<Vec<u8>>,
    /// Where it stands.
    pub status: ComplaintStatus,
    /// The operator's answer, shown to the holder.
    pub resolution: Option<String>,
    /// What the operator did about the platform.
    pub action: Option<ComplaintAction>,
    /// The operator who last handled it.
    pub handled_by: Option<String>,
    /// When it was filed.
    pub filed_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// How an operator handled a complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintHandling {
    /// Its new status.
    pub status: ComplaintStatus,
    /// The answer to the holder.
    pub resolution: String,
    /// What was done about the platform.
    pub action: ComplaintAction,
    /// The operator.
    pub operator: String,
    /// When.
    pub at: Timestamp,
}

stored_enum! {
    /// What a complaint says the platform did.
    pub enum ComplaintCategory {
        /// It asked a verified holder for further plaintext identity data (Art. 7).
        ExtraPlaintext = "extra_plaintext",
        /// It refused service to someone who does not use a Net ID (Art. 7).
        RefusedWithoutNetId = "refused_without_net_id",
        /// It kept data past the retention it declared.
        KeptPastRetention = "kept_past_retention",
        /// Something else.
        Other = "other",
    }
}

stored_enum! {
    /// Where a complaint stands.
    pub enum ComplaintStatus {
        /// Filed, not yet looked at.
        Received = "received",
        /// An operator is looking into it.
        Investigating = "investigating",
        /// Found to be right (closed).
        Upheld = "upheld",
        /// Found not to be (closed).
        Dismissed = "dismissed",
    }
}

stored_enum! {
    /// What the operator did about the platform.
    pub enum ComplaintAction {
        /// Nothing.
        None = "none",
        /// The platform was warned.
        Warning = "warning",
        /// The platform's suspension was asked for (two system administrators decide it).
        Suspension = "suspension",
        /// The platform's removal was asked for.
        Removal = "removal",
    }
}
