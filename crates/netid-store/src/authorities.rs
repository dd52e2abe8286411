//! Document authorities, their rosters, and the wrong enrollment codes guessed at a record.

use crate::backend::{HasBackend, grouped, read, write};
use crate::log::append_log;
use crate::sql::args;
use crate::sql::{FromRow, from_row};
use crate::{BlindIndex, Conflict, Error, Timestamp};

// Each read in the order of its query's columns.
from_row! {
    AuthorityRow { name, suite, public_key_spki, registered_at }
}

/// The document authorities and the records of their rosters.
#[async_trait::async_trait]
pub trait Authorities: HasBackend {
    /// Registers (or replaces the key of) a document authority, and appends `log_entry`.
    async fn upsert_authority(
        &self,
        authority: AuthorityRow,
        log_entry: Vec<u8>,
    ) -> Result<(), Error> {
        write(self, "authority registration", move |db| {
            let sql = "INSERT INTO authorities (name, suite, public_key_spki, registered_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET \
                 suite = excluded.suite, public_key_spki = excluded.public_key_spki, \
                 registered_at = excluded.registered_at";
            let args = args![
                &authority.name,
                &authority.suite,
                &authority.public_key_spki,
                authority.registered_at
            ];
            db.execute("upsert authority", sql, args)?;
            append_log(db, &log_entry, None).map(drop)
        })
        .await
    }

    /// The document authority called `name`.
    async fn authority(&self, name: &str) -> Result<Option<AuthorityRow>, Error> {
        let name = name.to_owned();
        read(self, move |db| {
            let sql = "SELECT name, suite, public_key_spki, registered_at FROM authorities \
                 WHERE name = $1";
            db.optional("read authority", sql, args![&name], AuthorityRow::from_row)
        })
        .await
    }

    /// Carries out `load` at `at` in one transaction: replaces the whole roster of its
    /// authority with its records, records its issue date and appends its entry; replaces the
    /// sealed record of each holder it updates (not deleted), with their entry, and sets the
    /// guardians on record of each minor it lists, with their entry when that changed
    /// anything. [`Error::NotFound`] if the authority is not registered;
    /// [`Error::StaleRoster`] if a roster issued later is already loaded.
    async fn replace_roster(&self, load: RosterLoad, at: Timestamp) -> Result<(), Error> {
        let RosterLoad {
            authority,
            issued_at,
            records,
            updates,
            guardianships,
            log_entry,
        } = load;
        write(self, "roster load", move |db| {
            let sql = "SELECT roster_issued_at FROM authorities WHERE name = $1";
            let Some(mut found) = db.optional("read authority", sql, args![&authority], Ok)? else {
                return Err(Error::NotFound { what: "authority" });
            };
            // ISO dates compare as strings; a roster of the same day may be reloaded.
            let loaded: Option<String> = found.get(0)?;
            if loaded.is_some_and(|loaded| issued_at < loaded) {
                return Err(Error::StaleRoster);
            }
            let sql = "UPDATE authorities SET roster_issued_at = $2 WHERE name = $1";
            db.execute("record roster date", sql, args![&authority, &issued_at])?;
            let sql = "DELETE FROM roster_records WHERE authority = $1";
            db.execute("clear roster", sql, args![&authority])?;
            for record in &records {
                // This authority's old records are gone: a conflict left is another
                // authority's record, which one authority must never overwrite.
                let sql = "INSERT INTO roster_records \
                     (document_index, authority, person_index, sealed, loaded_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (document_index) DO NOTHING";
                let args = args![
                    &record.document_index,
                    &authority,
                    &record.person_index,
                    &record.sealed,
                    at
                ];
                if db.execute("insert roster record", sql, args)? == 0 {
                    return Err(Error::AlreadyExists {
                        what: Conflict::RosterRecord,
                    });
                }
            }
            append_log(db, &log_entry, None)?;
            for update in &updates {
                let sql = "UPDATE holders SET sealed_personal = $2, updated_at = $3 \
                     WHERE id = $1 AND deleted_at IS NULL";
                let args = args![update.holder, &update.sealed_personal, at];
                if db.execute("update holder record", sql, args)? == 1 {
                    append_log(db, &update.log_entry, Some(update.holder))?;
                    // The authority answered: the holder's open corrections close.
                    let sql = "UPDATE correction_requests SET closed_at = $2 \
                         WHERE holder_id = $1 AND closed_at IS NULL";
                    db.execute("close corrections", sql, args![update.holder, at])?;
                }
            }
            for change in &guardianships {
                if crate::holders::set_guardianships(db, change.minor, &change.guardians, at)? {
                    append_log(db, &change.log_entry, Some(change.minor))?;
                }
            }
            Ok(())
        })
        .await
    }

    /// The authority whose roster lists the person with blind index `person_index`, if one
    /// does.
    async fn authority_of_person(
        &self,
        person_index: &BlindIndex,
    ) -> Result<Option<String>, Error> {
        let key = person_index.clone();
        read(self, move |db| {
            let sql = "SELECT authority FROM roster_records WHERE person_index = $1 \
                 ORDER BY authority LIMIT 1";
            db.optional("read person's authority", sql, args![&key], |mut row| {
                row.get(0)
            })
        })
        .await
    }

    /// Records a holder's request for a correction, with its entry in their log, in one
    /// transaction.
    async fn add_correction(
        &self,
        correction: CorrectionRow,
        log_entry: Vec<u8>,
    ) -> Result<(), Error> {
        write(self, "ask for a correction", move |db| {
            let sql = "INSERT INTO correction_requests \
                 (reference, holder_id, authority, sealed, asked_at) VALUES ($1, $2, $3, $4, $5)";
            let args = args![
                &correction.reference,
                correction.holder,
                &correction.authority,
                &correction.sealed,
                correction.asked_at
            ];
            db.execute("ask for a correction", sql, args)?;
            append_log(db, &log_entry, Some(correction.holder))
        })
        .await
    }

    /// The corrections addressed to `authority` that are still open, oldest first.
    async fn open_corrections(&self, authority: &str) -> Result<Vec<CorrectionRow>, Error> {
        let authority = authority.to_owned();
        read(self, move |db| {
            let sql = format!(
                "SELECT {CORRECTION_COLUMNS} FROM correction_requests \
                 WHERE authority = $1 AND closed_at IS NULL ORDER BY asked_at, reference"
            );
            db.rows(
                "read open corrections",
                &sql,
                args![&authority],
                FromRow::from_row,
            )
        })
        .await
    }

    /// The corrections `holder` asked for, oldest first.
    async fn holder_corrections(
        &self,
        holder: crate::HolderId,
    ) -> Result<Vec<CorrectionRow>, Error> {
        read(self, move |db| {
            let sql = format!(
                "SELECT {CORRECTION_COLUMNS} FROM correction_requests \
                 WHERE holder_id = $1 ORDER BY asked_at, reference"
            );
            db.rows(
                "read holder corrections",
                &sql,
                args![holder],
                FromRow::from_row,
            )
        })
        .await
    }

    /// The roster record whose document blind index is `document_index`.
    async fn roster_record(&self, document_index: &BlindIndex) -> Result<Option<RosterRow>, Error> {
        let key = document_index.clone();
        read(self, move |db| {
            let sql = "SELECT r.person_index, r.sealed, f.code_index, f.failures \
                 FROM roster_records r \
                 LEFT JOIN enrollment_code_failures f ON f.document_index = r.document_index \
                 WHERE r.document_index = $1";
            db.optional("read roster record", sql, args![&key], |mut row| {
                let failed_code: Option<BlindIndex> = row.get(2)?;
                let failures: Option<u32> = row.get(3)?;
                Ok(RosterRow {
                    document_index: key.clone(),
                    person_index: row.get(0)?,
                    sealed: row.get(1)?,
                    code_failures: failed_code.zip(failures),
                })
            })
        })
        .await
    }

    /// Counts a wrong enrollment code guessed at the roster record `document_index`, whose
    /// current code has the blind index `code_index`: one more if the count is of that code,
    /// else (the authority issued a new code) the first. Returns the count; 0, with nothing
    /// stored, when no roster lists the document.
    async fn count_code_failure(
        &self,
        document_index: BlindIndex,
        code_index: BlindIndex,
    ) -> Result<u32, Error> {
        grouped(self, move |db| {
            let sql = "INSERT INTO enrollment_code_failures (document_index, code_index, failures) \
                 SELECT document_index, $2, 1 FROM roster_records WHERE document_index = $1 \
                 ON CONFLICT (document_index) DO UPDATE SET failures = CASE \
                 WHEN enrollment_code_failures.code_index = excluded.code_index \
                 THEN enrollment_code_failures.failures + 1 ELSE 1 END, \
                 code_index = excluded.code_index \
                 RETURNING failures";
            let args = args![&document_index, &code_index];
            let failures: Option<i64> =
                db.optional("count code failure", sql, args, |mut row| row.get(0))?;
            Ok(failures.map_or(0, |count| u32::try_from(count).unwrap_or(u32::MAX)))
        })
        .await
    }
}

/// A trusted document authority: its name and its signature public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityRow {
    /// The authority's name, as the roster names it.
    pub name: String,
    /// The crypto suite of its key.
    pub suite: netid_crypto::SuiteId,
    /// The key as `SubjectPublicKeyInfo` DER.
    pub public_key_spki: Vec<u8>,
    /// When it was registered.
    pub registered_at: Timestamp,
}

const CORRECTION_COLUMNS: &str = "reference, holder_id, authority, sealed, asked_at, closed_at";

/// A correction a holder asked their document authority for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionRow {
    /// Its reference (random, shown to the holder and the authority).
    pub reference: String,
    /// The holder who asked.
    pub holder: crate::HolderId,
    /// The authority it goes to.
    pub authority: String,
    /// What the holder says and the record held, sealed under a service key.
    pub sealed: Vec<u8>,
    /// When it was asked.
    pub asked_at: Timestamp,
    /// When a roster load changed the holder's record after it.
    pub closed_at: Option<Timestamp>,
}

from_row!(CorrectionRow {
    reference,
    holder,
    authority,
    sealed,
    asked_at,
    closed_at
});

/// A roster load: the authority's new roster and what it changes of enrolled holders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterLoad {
    /// The authority whose roster it is.
    pub authority: String,
    /// Its issue date, `YYYY-MM-DD`.
    pub issued_at: String,
    /// Its records.
    pub records: Vec<RosterRow>,
    /// The holders' records it renews, replaces or corrects.
    pub updates: Vec<RecordUpdate>,
    /// The minors' guardians it lists.
    pub guardianships: Vec<GuardianshipChange>,
    /// Its log entry.
    pub log_entry: Vec<u8>,
}

/// The guardians a roster lists for an enrolled minor, as holders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianshipChange {
    /// The minor.
    pub minor: crate::HolderId,
    /// Their guardians, as the roster lists them (those enrolled).
    pub guardians: Vec<crate::HolderId>,
    /// The change's entry in the minor's log, appended only if something changed.
    pub log_entry: Vec<u8>,
}

/// A holder's record as a roster renewed, replaced or corrected it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordUpdate {
    /// The holder.
    pub holder: crate::HolderId,
    /// Their new record, sealed under their data key.
    pub sealed_personal: Vec<u8>,
    /// The update's entry in the holder's log.
    pub log_entry: Vec<u8>,
}

/// One authoritative record of a roster, sealed by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// Blind index of (document type, document number): the lookup key.
    pub document_index: BlindIndex,
    /// Blind index of the authority's person reference.
    pub person_index: BlindIndex,
    /// The record (personal data), sealed under a service key with `document_index` as AAD.
    pub sealed: Vec<u8>,
    /// Wrong enrollment codes guessed at this record, and the blind index of the code they
    /// were counted against (the code current then). Read only; a roster load ignores it.
    pub code_failures: Option<(BlindIndex, u32)>,
}
