//! Holders' separate consents to give a platform a field of theirs (Measures Art. 8).

use crate::backend::{HasBackend, read, write};
use crate::log::append_log;
use crate::sql::{FromRow, Sql, args, from_row};
use crate::{Error, FieldStatus, HolderId, Timestamp};

// Each read in the order of its query's columns.
from_row! {
    ConsentRow { client_id, field, given_at }
}

/// The holders' consents.
#[async_trait::async_trait]
pub trait Consents: HasBackend {
    /// Records the holder's separate consent, signed at `signed_at`, to give the platform each
    /// of `fields` (`request`; shown `notice_version`) and appends `log_entry` if it changed anything, in one
    /// transaction; returns the fields whose consent it recorded. A request signed no later
    /// than the last change of a consent, or before the platform's terms for the field last
    /// changed, changes nothing for that field. [`Error::NotFound`] if a field is not approved
    /// for the platform. Consents end, and stay on record, when the platform asks again or a
    /// field is refused.
    async fn give_consents(
        &self,
        request: ConsentChange,
        notice_version: String,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<Vec<String>, Error> {
        let ConsentChange {
            holder,
            client_id,
            fields,
            signed_at,
        } = request;
        write(self, "consent", move |db| {
            let (mut recorded, mut changes) = (Vec::new(), 0);
            for field in &fields {
                // An approval past its end date grants nothing to consent to.
                let sql = "SELECT status, changed_at FROM platform_fields \
                     WHERE client_id = $1 AND field = $2 AND approved_until > $3";
                let terms = db.optional("read a field", sql, args![&client_id, field, at], Ok)?;
                let terms: Option<(FieldStatus, Timestamp)> =
                    terms.map(FromRow::from_row).transpose()?;
                let Some((_, changed_at)) =
                    terms.filter(|(status, _)| *status == FieldStatus::Approved)
                else {
                    return Err(Error::NotFound {
                        what: "field approved for this platform",
                    });
                };
                // Signed before the terms it would consent to: the holder never saw them.
                if !netid_core::rules::consent_may_be_recorded(signed_at.0, changed_at.0) {
                    continue;
                }
                // A request signed no later than the consent's last change is a replay: the
                // upsert's condition leaves the row as it is.
                let sql = "INSERT INTO consents (holder_id, client_id, field, notice_version, \
                     given_at, signed_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (holder_id, client_id, field) DO UPDATE SET \
                     notice_version = excluded.notice_version, \
                     given_at = excluded.given_at, withdrawn_at = NULL, end_reason = NULL, \
                     signed_at = excluded.signed_at \
                     WHERE excluded.signed_at > consents.signed_at";
                let args = args![holder, &client_id, field, &notice_version, at, signed_at];
                changes += db.execute("record consent", sql, args)?;
                // Recorded: changed now, or the same request's consent already standing.
                let sql = "SELECT EXISTS (SELECT 1 FROM consents WHERE holder_id = $1 \
                     AND client_id = $2 AND field = $3 AND withdrawn_at IS NULL \
                     AND signed_at = $4)";
                let args = args![holder, &client_id, field, signed_at];
                if db.value::<bool>("read consent", sql, args)? {
                    recorded.push(field.clone());
                }
            }
            if changes > 0 {
                append_log(db, &log_entry, Some(holder))?;
            }
            Ok(recorded)
        })
        .await
    }

    /// Withdraws the holder's live consents to give the platform each of `fields` (`request`,
    /// signed at `signed_at`, after their last change), appending `log_entry` and queueing
    /// `signals` to the platform if any was live; returns how many were.
    async fn withdraw_consents(
        &self,
        request: ConsentChange,
        log_entry: Vec<u8>,
        signals: Vec<crate::SignalRow>,
        at: Timestamp,
    ) -> Result<u64, Error> {
        let ConsentChange {
            holder,
            client_id,
            fields,
            signed_at,
        } = request;
        write(self, "withdrawal", move |db| {
            let mut withdrawn = 0u64;
            for field in &fields {
                // Withdrawal wins a tie with the consent it follows (both signed in one
                // second); a consent must be later than the last change.
                let sql = "UPDATE consents SET withdrawn_at = $4, signed_at = $5, \
                     end_reason = 'withdrawn' WHERE holder_id = $1 AND client_id = $2 \
                     AND field = $3 AND withdrawn_at IS NULL AND signed_at <= $5";
                let args = args![holder, &client_id, field, at, signed_at];
                withdrawn += db.execute("withdraw consent", sql, args)?;
            }
            if withdrawn > 0 {
                append_log(db, &log_entry, Some(holder))?;
                crate::signals::enqueue(db, &signals)?;
            }
            Ok(withdrawn)
        })
        .await
    }

    /// The fields `client_id` may receive of `holder` at `at`: approved until later, with a
    /// live consent.
    async fn disclosable_fields(
        &self,
        holder: HolderId,
        client_id: &str,
        at: Timestamp,
    ) -> Result<Vec<String>, Error> {
        let client_id = client_id.to_owned();
        read(self, move |db| disclosable(db, holder, &client_id, at)).await
    }

    /// `holder`'s live consents, by platform and field.
    async fn live_consents(&self, holder: HolderId) -> Result<Vec<ConsentRow>, Error> {
        read(self, move |db| {
            let sql = "SELECT client_id, field, given_at FROM consents \
                 WHERE holder_id = $1 AND withdrawn_at IS NULL \
                 ORDER BY client_id COLLATE \"C\", field COLLATE \"C\"";
            db.rows("read consents", sql, args![holder], ConsentRow::from_row)
        })
        .await
    }
}

/// The fields `client_id` may receive of `holder` at `at`: approved until later, with a live
/// consent.
pub(crate) fn disclosable(
    db: &mut dyn Sql,
    holder: HolderId,
    client_id: &str,
    at: Timestamp,
) -> Result<Vec<String>, Error> {
    let sql = "SELECT c.field FROM consents c JOIN platform_fields f \
         ON f.client_id = c.client_id AND f.field = c.field \
         WHERE c.holder_id = $1 AND c.client_id = $2 AND c.withdrawn_at IS NULL \
         AND f.status = 'approved' AND f.approved_until > $3 ORDER BY c.field COLLATE \"C\"";
    db.values("read consents", sql, args![holder, client_id, at])
}

/// A holder's signed request about their consents to a platform's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentChange {
    /// The holder.
    pub holder: HolderId,
    /// The platform.
    pub client_id: String,
    /// The fields.
    pub fields: Vec<String>,
    /// When the holder signed the request.
    pub signed_at: Timestamp,
}

/// A live consent of a holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRow {
    /// The platform.
    pub client_id: String,
    /// The field.
    pub field: String,
    /// When it was given.
    pub given_at: Timestamp,
}
