//! Holders: enrollment, recovery, guardianship, lookups, master-key resealing and deletion.

use crate::Revocation;
use crate::backend::{HasBackend, erasing, grouped, lookup, read, write};
use crate::log::append_log;
use crate::sql::{Dialect, FromRow, Row, Sql, args, from_row};
use crate::{BlindIndex, Conflict, Error, HolderId, Timestamp};

// Each read in the order of its query's columns.
from_row! {
    WalletKeyRow { fingerprint, spki, suite }
}

/// The holders: who is enrolled, with which wallet key, and their guardians.
#[async_trait::async_trait]
pub trait Holders: HasBackend {
    /// The holder enrolled for the person with blind index `person_index`.
    async fn holder_by_person(
        &self,
        person_index: &BlindIndex,
    ) -> Result<Option<HolderRow>, Error> {
        let key = person_index.clone();
        lookup(self, move |db| {
            holder_where(db, "person_index", (&key).into())
        })
        .await
    }

    /// The holder whose current wallet key has `fingerprint` (retired keys do not match).
    async fn holder_by_wallet_key(&self, fingerprint: &[u8]) -> Result<Option<HolderRow>, Error> {
        let key = fingerprint.to_vec();
        lookup(self, move |db| {
            holder_where(db, "wallet_key_fingerprint", (&key).into())
        })
        .await
    }

    /// The holder with `id`.
    async fn holder(&self, id: HolderId) -> Result<Option<HolderRow>, Error> {
        lookup(self, move |db| holder_where(db, "id", id.into())).await
    }

    /// The holder (not deleted) whose Net ID has the blind index `net_id_index`.
    async fn holder_by_net_id(
        &self,
        net_id_index: &BlindIndex,
    ) -> Result<Option<HolderRow>, Error> {
        let key = net_id_index.clone();
        lookup(self, move |db| {
            holder_where(db, "net_id_index", (&key).into())
        })
        .await
    }

    /// How many holders are enrolled (deleted holders are not).
    async fn holder_count(&self) -> Result<u64, Error> {
        read(self, |db| {
            let sql = "SELECT COUNT(*) FROM holders WHERE deleted_at IS NULL";
            db.value("count holders", sql, args![])
        })
        .await
    }

    /// Enrolls a new holder in one transaction: claims the enrollment code (if any) for the
    /// person, inserts the holder, records the guardianships (if any), and appends `log_entry`
    /// as an entry of the new holder.
    ///
    /// [`Error::AlreadyExists`] with [`Conflict::NetId`] on a random Net ID collision (draw
    /// again), [`Conflict::Person`] if the person is enrolled, [`Conflict::WalletKey`] if the
    /// key is another holder's; [`Error::EnrollmentCodeClaimed`] if the code was used
    /// before (codes are one-time). Nothing is stored on any error.
    async fn enroll_holder(
        &self,
        holder: NewHolder,
        code_index: Option<BlindIndex>,
        guardians: Vec<HolderId>,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<HolderId, Error> {
        grouped(self, move |db| {
            if let Some(code_index) = &code_index {
                claim_code(db, code_index, &holder.person_index, at)?;
            }
            // SQLite runs one write at a time: the highest id plus one, as it picks a row id.
            // PostgreSQL runs the enrollments of several nodes at once: a sequence.
            let sql = match db.dialect() {
                Dialect::Sqlite => concat!(
                    "INSERT INTO holders (id, net_id_index, sealed_net_id, person_index, \
                     wallet_key_fingerprint, wallet_key_spki, wallet_key_suite, \
                     wrapped_data_key, sealed_personal, enrolled_at, updated_at, \
                     notice_version, notice_accepted_at) \
                     VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM holders), ",
                    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $9) RETURNING id"
                ),
                Dialect::Postgres => concat!(
                    "INSERT INTO holders (id, net_id_index, sealed_net_id, person_index, \
                     wallet_key_fingerprint, wallet_key_spki, wallet_key_suite, \
                     wrapped_data_key, sealed_personal, enrolled_at, updated_at, \
                     notice_version, notice_accepted_at) \
                     VALUES (nextval('holders_id_seq'), ",
                    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $9) RETURNING id"
                ),
            };
            let args = args![
                &holder.net_id.index,
                &holder.net_id.sealed,
                &holder.person_index,
                &holder.wallet_key.fingerprint,
                &holder.wallet_key.spki,
                &holder.wallet_key.suite,
                &holder.wrapped_data_key,
                &holder.sealed_personal,
                at,
                holder.notice_version.as_deref()
            ];
            let id: HolderId = db
                .value("insert holder", sql, args)
                .map_err(|error| error.conflict(holder_conflict))?;
            record_guardianships(db, id, &guardians, at)?;
            append_log(db, &log_entry, Some(id))?;
            Ok(id)
        })
        .await
    }

    /// A `recovery`: in one transaction, claims the code (if any) for the holder's person, retires
    /// the holder's current wallet key and makes `new_key` current, records the guardianships
    /// (if any), appends `log_entry` as an entry of the holder, carries out `revocations`
    /// of the holder's certificates (each appending its entry if it revoked something), and,
    /// when the key changes, revokes all of the holder's Net Certificates, forgets their
    /// passkeys and queues `signals`.
    async fn replace_wallet_key(&self, recovery: Recovery, at: Timestamp) -> Result<(), Error> {
        let Recovery {
            holder,
            new_key,
            code_index,
            guardians,
            log_entry,
            revocations,
            notice_version,
            signals,
        } = recovery;
        write(self, "wallet key replacement", move |db| {
            let sql = "SELECT person_index, wallet_key_fingerprint, wallet_key_spki, \
                 wallet_key_suite FROM holders WHERE id = $1";
            let Some(mut current) = db.optional("read holder", sql, args![holder], Ok)? else {
                return Err(Error::NotFound { what: "holder" });
            };
            let person_index: BlindIndex = current.get(0)?;
            let fingerprint: Vec<u8> = current.get(1)?;
            if let Some(code_index) = &code_index {
                claim_code(db, code_index, &person_index, at)?;
            }
            if fingerprint != new_key.fingerprint {
                let (spki, suite): (Vec<u8>, String) = (current.get(2)?, current.get(3)?);
                let sql = "INSERT INTO retired_wallet_keys (holder_id, wallet_key_fingerprint, \
                     wallet_key_spki, wallet_key_suite, retired_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
                let args = args![holder, &fingerprint, &spki, &suite, at];
                db.execute("retire wallet key", sql, args)?;
                let sql = "UPDATE holders SET wallet_key_fingerprint = $2, wallet_key_spki = $3, \
                     wallet_key_suite = $4, updated_at = $5 WHERE id = $1";
                let args = args![
                    holder,
                    &new_key.fingerprint,
                    &new_key.spki,
                    &new_key.suite,
                    at
                ];
                db.insert("replace wallet key", sql, args, |_| Conflict::WalletKey)?;
                // The lost wallet may hold Net Certificates: none of them stays valid.
                db.execute(
                    "revoke net certificates",
                    REVOKE_NET_CERTIFICATES,
                    args![holder, at],
                )?;
                // Nor any passkey added with it (a thief may have added one), nor a session
                // or passkey link it opened.
                let sql = "DELETE FROM passkeys WHERE holder_id = $1";
                db.execute("forget passkeys", sql, args![holder])?;
                let sql = "DELETE FROM pending_values WHERE holder_id = $1";
                db.execute("forget pending values", sql, args![holder])?;
                crate::signals::enqueue(db, &signals)?;
            }
            if let Some(version) = &notice_version {
                let sql = "UPDATE holders SET notice_version = $2, notice_accepted_at = $3 \
                     WHERE id = $1";
                db.execute("accept notice", sql, args![holder, version, at])?;
            }
            record_guardianships(db, holder, &guardians, at)?;
            append_log(db, &log_entry, Some(holder))?;
            for revocation in &revocations {
                let sql = "UPDATE certificates SET revoked_at = $3, reason = $4 \
                     WHERE serial = $1 AND holder_id = $2 AND revoked_at IS NULL";
                let args = args![&revocation.serial, holder, at, revocation.reason];
                if db.execute("revoke certificate", sql, args)? > 0 {
                    append_log(db, &revocation.log_entry, Some(holder))?;
                }
            }
            Ok(())
        })
        .await
    }

    /// The retired wallet keys of `holder`, oldest first.
    async fn retired_wallet_keys(&self, holder: HolderId) -> Result<Vec<WalletKeyRow>, Error> {
        read(self, move |db| {
            // Keys retired in the same second in the order they were: SQLite's implicit row
            // id, PostgreSQL's `seq` (see `migrations`).
            let order = match db.dialect() {
                Dialect::Sqlite => "rowid",
                Dialect::Postgres => "seq",
            };
            let sql = format!(
                "SELECT wallet_key_fingerprint, wallet_key_spki, wallet_key_suite \
                 FROM retired_wallet_keys WHERE holder_id = $1 ORDER BY retired_at, {order}"
            );
            db.rows(
                "read retired wallet keys",
                &sql,
                args![holder],
                WalletKeyRow::from_row,
            )
        })
        .await
    }

    /// The minors for whom `guardian` is a guardian on record.
    async fn wards_of(&self, guardian: HolderId) -> Result<Vec<HolderRow>, Error> {
        read(self, move |db| {
            let sql = format!(
                "SELECT {HOLDER_COLUMNS} FROM holders h JOIN guardianships g \
                 ON g.minor_id = h.id WHERE g.guardian_id = $1 ORDER BY h.id"
            );
            db.rows("read wards", &sql, args![guardian], holder_row)
        })
        .await
    }

    /// The guardians on record for the minor `holder`.
    async fn guardians_of(&self, holder: HolderId) -> Result<Vec<HolderId>, Error> {
        lookup(self, move |db| {
            let sql = "SELECT guardian_id FROM guardianships WHERE minor_id = $1 \
                 ORDER BY guardian_id";
            db.values("read guardianships", sql, args![holder])
        })
        .await
    }

    /// Holders stored before schema 4 whose Net ID is still in clear: id and Net ID text.
    async fn legacy_net_ids(&self) -> Result<Vec<(HolderId, String)>, Error> {
        // Only SQLite databases from before schema 4 hold any; PostgreSQL's start at 11.
        read(self, |db| {
            let sql = "SELECT id, legacy_net_id FROM holders WHERE legacy_net_id IS NOT NULL";
            db.rows("read legacy net ids", sql, args![], FromRow::from_row)
        })
        .await
    }

    /// Replaces a legacy clear Net ID with its stored form.
    async fn seal_legacy_net_id(&self, holder: HolderId, net_id: StoredNetId) -> Result<(), Error> {
        // The clear value is overwritten; this runs at start, before any reader, so the old
        // pages are erased at once.
        erasing(self, "seal legacy net id", move |db| {
            let sql = "UPDATE holders SET net_id_index = $2, sealed_net_id = $3, \
                 legacy_net_id = NULL WHERE id = $1 AND legacy_net_id IS NOT NULL";
            let args = args![holder, &net_id.index, &net_id.sealed];
            if db.insert("seal legacy net id", sql, args, holder_conflict)? == 0 {
                return Err(Error::NotFound {
                    what: "holder with a legacy net id",
                });
            }
            Ok(())
        })
        .await
    }

    /// Master-key rotation: up to `limit` holders (not deleted) with an id above `after`, in
    /// id order.
    async fn holders_after(&self, after: HolderId, limit: u32) -> Result<Vec<HolderRow>, Error> {
        read(self, move |db| {
            let sql = format!(
                "SELECT {HOLDER_COLUMNS} FROM holders h WHERE h.id > $1 \
                 AND h.deleted_at IS NULL ORDER BY h.id LIMIT $2"
            );
            db.rows("read holders", &sql, args![after, limit], holder_row)
        })
        .await
    }

    /// Master-key rotation: stores these holders' values sealed under the new key, in one
    /// transaction. A holder deleted meanwhile is left as it is.
    async fn reseal_holders(&self, holders: Vec<ResealedHolder>) -> Result<(), Error> {
        write(self, "reseal holders", move |db| {
            const UPDATE: &str = "reseal holder";
            match db.dialect() {
                Dialect::Sqlite => {
                    for holder in &holders {
                        let sql = "UPDATE holders SET sealed_net_id = $2, wrapped_data_key = $3 \
                             WHERE id = $1 AND deleted_at IS NULL";
                        let args =
                            args![holder.id, &holder.sealed_net_id, &holder.wrapped_data_key];
                        db.execute(UPDATE, sql, args)?;
                    }
                }
                // One statement for the batch: a round trip per holder would take most of
                // the time.
                Dialect::Postgres => {
                    let ids: Vec<i64> = holders.iter().map(|holder| holder.id.0).collect();
                    let (net_ids, data_keys): (Vec<Vec<u8>>, Vec<Vec<u8>>) = holders
                        .iter()
                        .map(|holder| {
                            (
                                holder.sealed_net_id.clone(),
                                holder.wrapped_data_key.clone(),
                            )
                        })
                        .unzip();
                    let sql = "UPDATE holders SET sealed_net_id = resealed.net_id, \
                         wrapped_data_key = resealed.data_key \
                         FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[]) \
                         AS resealed(id, net_id, data_key) \
                         WHERE holders.id = resealed.id AND holders.deleted_at IS NULL";
                    let args = [
                        crate::sql::Value::Ints(&ids),
                        crate::sql::Value::BytesList(&net_ids),
                        crate::sql::Value::BytesList(&data_keys),
                    ];
                    db.execute(UPDATE, sql, &args)?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Records that `holder` (not deleted) accepted the notice of `version` at `at`.
    /// [`Error::NotFound`] if the holder is gone.
    async fn accept_notice(
        &self,
        holder: HolderId,
        version: String,
        at: Timestamp,
    ) -> Result<(), Error> {
        write(self, "accept notice", move |db| {
            let sql = "UPDATE holders SET notice_version = $2, notice_accepted_at = $3 \
                 WHERE id = $1 AND deleted_at IS NULL";
            match db.execute("accept notice", sql, args![holder, &version, at])? {
                0 => Err(Error::NotFound { what: "holder" }),
                _ => Ok(()),
            }
        })
        .await
    }

    /// Records that `guardian` approved the platform `client_id` for `minor`, with
    /// `log_entry` as the minor's entry, unless it was approved before. Whether it is new.
    async fn approve_platform(
        &self,
        minor: HolderId,
        client_id: &str,
        guardian: HolderId,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<bool, Error> {
        let client_id = client_id.to_owned();
        write(self, "approve a platform", move |db| {
            let sql = "INSERT INTO platform_approvals (minor_id, client_id, guardian_id, \
                 approved_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
            let added = db.execute(
                "approve a platform",
                sql,
                args![minor, &client_id, guardian, at],
            )?;
            if added == 1 {
                append_log(db, &log_entry, Some(minor))?;
            }
            Ok(added == 1)
        })
        .await
    }

    /// Stores a push subscription `id` of `holder`, sealed.
    async fn add_push_subscription(
        &self,
        id: String,
        holder: HolderId,
        sealed: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error> {
        write(self, "add a push subscription", move |db| {
            let sql = "INSERT INTO push_subscriptions (id, holder_id, sealed, created_at) \
                 VALUES ($1, $2, $3, $4)";
            db.execute(
                "add a push subscription",
                sql,
                args![&id, holder, &sealed, at],
            )
            .map(drop)
        })
        .await
    }

    /// `holder`'s push subscriptions: each id and sealed subscription, oldest first.
    async fn push_subscriptions(&self, holder: HolderId) -> Result<Vec<(String, Vec<u8>)>, Error> {
        read(self, move |db| {
            let sql = "SELECT id, sealed FROM push_subscriptions WHERE holder_id = $1 \
                 ORDER BY created_at, id";
            db.rows(
                "read push subscriptions",
                sql,
                args![holder],
                FromRow::from_row,
            )
        })
        .await
    }

    /// Removes `holder`'s push subscription `id`; whether there was one.
    async fn remove_push_subscription(&self, holder: HolderId, id: String) -> Result<bool, Error> {
        write(self, "remove a push subscription", move |db| {
            let sql = "DELETE FROM push_subscriptions WHERE holder_id = $1 AND id = $2";
            Ok(db.execute("remove a push subscription", sql, args![holder, &id])? > 0)
        })
        .await
    }

    /// The platforms a guardian approved for `minor`, by client id.
    async fn approved_platforms(&self, minor: HolderId) -> Result<Vec<String>, Error> {
        read(self, move |db| {
            let sql = "SELECT client_id FROM platform_approvals WHERE minor_id = $1 \
                 ORDER BY approved_at, client_id";
            db.values("read platform approvals", sql, args![minor])
        })
        .await
    }

    /// Locks (`locked`) or unlocks `holder`'s Net ID, authenticated by their current
    /// `wallet_key` fingerprint, with `log_entry` and `signals` (queued for the platforms) in
    /// the same transaction. A lock also revokes the holder's Net Certificates (a lost
    /// wallet's too). `false`, with nothing logged or queued, if it was so already;
    /// [`Error::NotFound`] if the key is not current.
    async fn set_holder_lock(
        &self,
        holder: HolderId,
        wallet_key: Vec<u8>,
        locked: bool,
        log_entry: Vec<u8>,
        signals: Vec<crate::SignalRow>,
        at: Timestamp,
    ) -> Result<bool, Error> {
        write(self, "lock", move |db| {
            let locked_at: Option<i64> = current_holder(db, holder, &wallet_key, "locked_at")?;
            if locked_at.is_some() == locked {
                return Ok(false);
            }
            let sql = "UPDATE holders SET locked_at = $2, updated_at = $3 WHERE id = $1";
            let lock = locked.then_some(at);
            db.execute("lock holder", sql, args![holder, lock, at])?;
            if locked {
                db.execute(
                    "revoke net certificates",
                    REVOKE_NET_CERTIFICATES,
                    args![holder, at],
                )?;
            }
            append_log(db, &log_entry, Some(holder))?;
            crate::signals::enqueue(db, &signals)?;
            Ok(true)
        })
        .await
    }

    /// Deletes `holder`'s data (Art. 9), if `wallet_key` is still their current key, in one
    /// transaction: overwrites the sealed Net ID, person index, wallet key, wrapped data key
    /// and sealed record (the Net ID's blind index stays, so it is never issued again),
    /// forgets retired wallet keys, ends guardianships either way and consents, unlinks the
    /// used enrollment codes from the person, revokes Net Certificates and certificates
    /// (`reason`) and unlinks the certificates, appends `log_entry` and forgets which log
    /// entries were the holder's, and queues `signals` (the platforms told of the deletion);
    /// then removes the backend's copies of the old pages (SQLite's WAL). A deleted holder is
    /// found by no lookup. [`Error::NotFound`] if the key is not current.
    async fn delete_holder(
        &self,
        holder: HolderId,
        wallet_key: Vec<u8>,
        reason: netid_ca::RevocationReason,
        log_entry: Vec<u8>,
        signals: Vec<crate::SignalRow>,
        at: Timestamp,
    ) -> Result<(), Error> {
        erasing(self, "deletion", move |db| {
            // Only the holder as authenticated: a recovery that came first wins.
            let person_index: Vec<u8> = current_holder(db, holder, &wallet_key, "person_index")?;
            let empty: &[u8] = &[];
            let sql = "UPDATE holders SET sealed_net_id = $3, person_index = $4, \
                 wallet_key_fingerprint = $5, wallet_key_spki = $3, wrapped_data_key = $3, \
                 sealed_personal = $3, enrolled_at = 0, updated_at = $2, deleted_at = $2 \
                 WHERE id = $1";
            let (person_filler, key_filler) = (random_bytes()?, random_bytes()?);
            let args = args![holder, at, empty, &person_filler, &key_filler];
            db.execute("empty holder", sql, args)?;
            // The codes stay used (single use), but no longer name the person or the time:
            // each gets a random filler of its own.
            let sql = "SELECT code_index FROM used_enrollment_codes WHERE person_index = $1";
            let codes: Vec<Vec<u8>> = db.values("read used codes", sql, args![&person_index])?;
            for code in &codes {
                let sql = "UPDATE used_enrollment_codes SET person_index = $2, used_at = 0 \
                     WHERE code_index = $1";
                db.execute("unlink used codes", sql, args![code, &random_bytes()?])?;
            }
            let (one, two, three) = (args![holder], args![holder, at], args![holder, at, reason]);
            let forget: [(&'static str, &str, &[_]); 13] = [
                (
                    "forget retired wallet keys",
                    "DELETE FROM retired_wallet_keys WHERE holder_id = $1",
                    one,
                ),
                (
                    "end guardianships",
                    "DELETE FROM guardianships WHERE minor_id = $1 OR guardian_id = $1",
                    one,
                ),
                (
                    "end consents",
                    "DELETE FROM consents WHERE holder_id = $1",
                    one,
                ),
                (
                    "forget passkeys",
                    "DELETE FROM passkeys WHERE holder_id = $1",
                    one,
                ),
                (
                    "forget corrections",
                    "DELETE FROM correction_requests WHERE holder_id = $1",
                    one,
                ),
                (
                    "forget push subscriptions",
                    "DELETE FROM push_subscriptions WHERE holder_id = $1",
                    one,
                ),
                (
                    "forget platform approvals",
                    "DELETE FROM platform_approvals WHERE minor_id = $1 OR guardian_id = $1",
                    one,
                ),
                (
                    "forget pending values",
                    "DELETE FROM pending_values WHERE holder_id = $1",
                    one,
                ),
                // The reads stay counted; which holder they were about, and the keys that
                // would reveal their entries, go.
                (
                    "unlink operator reads",
                    "UPDATE operator_reads SET holder_id = NULL, sealed_tag_key = NULL \
                     WHERE holder_id = $1",
                    one,
                ),
                // Complaints stay counted; who filed them, and their words, go.
                (
                    "unlink complaints",
                    "UPDATE complaints SET holder_id = NULL, sealed_text = NULL \
                     WHERE holder_id = $1",
                    one,
                ),
                ("revoke net certificates", REVOKE_NET_CERTIFICATES, two),
                (
                    "revoke certificates",
                    "UPDATE certificates SET revoked_at = $2, reason = $3 \
                     WHERE holder_id = $1 AND revoked_at IS NULL",
                    three,
                ),
                (
                    "unlink certificates",
                    "UPDATE certificates SET holder_id = NULL WHERE holder_id = $1",
                    one,
                ),
            ];
            for (operation, sql, args) in forget {
                db.execute(operation, sql, args)?;
            }
            // Signals still waiting stay, no longer linked to the holder.
            let sql = "UPDATE signals SET holder_id = NULL WHERE holder_id = $1";
            db.execute("unlink signals", sql, args![holder])?;
            let sql = "UPDATE signal_receipts SET holder_id = NULL WHERE holder_id = $1";
            db.execute("unlink receipts", sql, args![holder])?;
            crate::signals::enqueue(db, &signals)?;
            append_log(db, &log_entry, None)?;
            // The entries stay in the log; the service forgets which were the holder's.
            let sql = "UPDATE log_entries SET holder_id = NULL WHERE holder_id = $1";
            db.execute("unlink log entries", sql, args![holder])
                .map(drop)
        })
        .await
    }
}

/// Revokes the Net Certificates of the holder `$1` at `$2`.
const REVOKE_NET_CERTIFICATES: &str =
    "UPDATE credentials SET revoked_at = $2 WHERE holder_id = $1 AND revoked_at IS NULL";

/// `column` of `holder`'s row, if they are not deleted and `wallet_key` is still their key
/// (a recovery that came first wins); [`Error::NotFound`] if not.
fn current_holder<T: crate::sql::FromColumn>(
    db: &mut dyn Sql,
    holder: HolderId,
    wallet_key: &[u8],
    column: &str,
) -> Result<T, Error> {
    let sql = format!(
        "SELECT {column} FROM holders \
         WHERE id = $1 AND wallet_key_fingerprint = $2 AND deleted_at IS NULL"
    );
    let found = db.optional("read holder", &sql, args![holder, wallet_key], |mut row| {
        row.get(0)
    })?;
    found.ok_or(Error::NotFound {
        what: "holder with this wallet key",
    })
}

const HOLDER_COLUMNS: &str = "h.id, h.net_id_index, h.sealed_net_id, h.person_index, \
     h.wallet_key_fingerprint, h.wallet_key_spki, h.wallet_key_suite, h.wrapped_data_key, \
     h.sealed_personal, h.locked_at, h.notice_version, \
     EXISTS (SELECT 1 FROM push_subscriptions p WHERE p.holder_id = h.id)";

fn holder_row(mut row: Row) -> Result<HolderRow, Error> {
    // A row whose Net ID is still in clear must be sealed (on the service's start) first.
    let (Some(index), Some(sealed)) = (row.get(1)?, row.get(2)?) else {
        return Err(Error::Corrupt {
            column: "holders.sealed_net_id (a legacy row the service has not sealed yet)",
        });
    };
    Ok(HolderRow {
        id: row.get(0)?,
        net_id: StoredNetId { index, sealed },
        person_index: row.get(3)?,
        wallet_key: WalletKeyRow {
            fingerprint: row.get(4)?,
            spki: row.get(5)?,
            suite: row.get(6)?,
        },
        wrapped_data_key: row.get(7)?,
        sealed_personal: row.get(8)?,
        locked_at: row.get::<Option<i64>>(9)?.map(Timestamp),
        notice_version: row.get(10)?,
        has_push: row.get(11)?,
    })
}

/// The holder, not deleted, whose `column` is `key`.
fn holder_where(
    db: &mut dyn Sql,
    column: &str,
    key: crate::sql::Value<'_>,
) -> Result<Option<HolderRow>, Error> {
    let sql = format!(
        "SELECT {HOLDER_COLUMNS} FROM holders h WHERE h.{column} = $1 AND h.deleted_at IS NULL"
    );
    db.optional("read holder", &sql, &[key], holder_row)
}

fn holder_conflict(constraint: &str) -> Conflict {
    if constraint.contains("net_id_index") {
        Conflict::NetId
    } else if constraint.contains("person_index") {
        Conflict::Person
    } else {
        Conflict::WalletKey
    }
}

/// Claims `code_index` for `person_index`. Codes are one-time: any second use, even by the
/// same person, is [`Error::EnrollmentCodeClaimed`]; otherwise anyone who learned a used code
/// could recover (take over) that person's Net ID with a key of their own.
fn claim_code(
    db: &mut dyn Sql,
    code_index: &BlindIndex,
    person_index: &BlindIndex,
    at: Timestamp,
) -> Result<(), Error> {
    // One statement, so that two enrollments with one code at once (on two nodes) cannot
    // both claim it: the second waits for the first, then inserts nothing.
    let sql = "INSERT INTO used_enrollment_codes (code_index, person_index, used_at) \
         VALUES ($1, $2, $3) ON CONFLICT (code_index) DO NOTHING";
    let args = args![code_index, person_index, at];
    match db.execute("claim enrollment code", sql, args)? {
        0 => Err(Error::EnrollmentCodeClaimed),
        _ => Ok(()),
    }
}

fn record_guardianships(
    db: &mut dyn Sql,
    minor: HolderId,
    guardians: &[HolderId],
    at: Timestamp,
) -> Result<(), Error> {
    for guardian in guardians {
        let sql = "INSERT INTO guardianships (minor_id, guardian_id, recorded_at) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
        db.execute("record guardianship", sql, args![minor, *guardian, at])?;
    }
    Ok(())
}

/// Makes `guardians` the guardians on record of `minor`: records the new ones, ends the
/// others. Whether anything changed.
pub(crate) fn set_guardianships(
    db: &mut dyn Sql,
    minor: HolderId,
    guardians: &[HolderId],
    at: Timestamp,
) -> Result<bool, Error> {
    let sql = "SELECT guardian_id FROM guardianships WHERE minor_id = $1";
    let current: Vec<HolderId> = db.values("read guardianships", sql, args![minor])?;
    let mut changed = false;
    for ended in current.iter().filter(|id| !guardians.contains(id)) {
        let sql = "DELETE FROM guardianships WHERE minor_id = $1 AND guardian_id = $2";
        changed |= db.execute("end guardianship", sql, args![minor, *ended])? > 0;
    }
    let added: Vec<HolderId> = guardians
        .iter()
        .filter(|id| !current.contains(id))
        .copied()
        .collect();
    changed |= !added.is_empty();
    record_guardianships(db, minor, &added, at)?;
    Ok(changed)
}

/// 32 bytes from the operating system's generator, to overwrite a deleted holder's lookup
/// keys (neither backend has random bytes in the SQL both speak).
fn random_bytes() -> Result<Vec<u8>, Error> {
    let mut bytes = vec![0; 32];
    getrandom::fill(&mut bytes).map_err(|_| Error::Random)?;
    Ok(bytes)
}

/// A wallet public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletKeyRow {
    /// Digest of the key's SPKI DER: the lookup key.
    pub fingerprint: Vec<u8>,
    /// The key as `SubjectPublicKeyInfo` DER.
    pub spki: Vec<u8>,
    /// The suite of the key.
    pub suite: netid_crypto::SuiteId,
}

/// A recovery to record ([`crate::Holders::replace_wallet_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The holder.
    pub holder: HolderId,
    /// Their new wallet key.
    pub new_key: WalletKeyRow,
    /// The enrollment code used, if any (claimed for the holder's person).
    pub code_index: Option<BlindIndex>,
    /// Guardians to record, if any.
    pub guardians: Vec<HolderId>,
    /// The recovery's log entry.
    pub log_entry: Vec<u8>,
    /// The holder's certificates to revoke with it.
    pub revocations: Vec<Revocation>,
    /// The version of the notice accepted with it, if one was.
    pub notice_version: Option<String>,
    /// The platforms told of it (queued only when the key changes).
    pub signals: Vec<crate::SignalRow>,
}

/// A Net ID as the store keeps it: never in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredNetId {
    /// Its blind index, which keeps Net IDs unique.
    pub index: BlindIndex,
    /// The Net ID sealed under the master key.
    pub sealed: Vec<u8>,
}

/// A holder to enroll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHolder {
    /// The freshly drawn Net ID.
    pub net_id: StoredNetId,
    /// Blind index of the authority's person reference: one holder per person.
    pub person_index: BlindIndex,
    /// The holder's wallet key.
    pub wallet_key: WalletKeyRow,
    /// The holder's data key, wrapped under the master key.
    pub wrapped_data_key: Vec<u8>,
    /// The holder's personal data, sealed under the data key.
    pub sealed_personal: Vec<u8>,
    /// The version of the notice the applicant accepted.
    pub notice_version: Option<String>,
}

/// A holder as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderRow {
    /// The row key.
    pub id: HolderId,
    /// The holder's Net ID.
    pub net_id: StoredNetId,
    /// Blind index of the authority's person reference.
    pub person_index: BlindIndex,
    /// The current wallet key.
    pub wallet_key: WalletKeyRow,
    /// The data key, wrapped under the master key.
    pub wrapped_data_key: Vec<u8>,
    /// The personal data, sealed under the data key.
    pub sealed_personal: Vec<u8>,
    /// Since when the holder has locked their Net ID, if they have.
    pub locked_at: Option<Timestamp>,
    /// The version of the notice the holder last accepted (none before schema 26).
    pub notice_version: Option<String>,
    /// Whether the holder has a push subscription (so that a use looks them up only then).
    pub has_push: bool,
}

/// A holder's values sealed under the master key, sealed again under a new master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResealedHolder {
    /// The holder.
    pub id: HolderId,
    /// The Net ID, sealed under the new key.
    pub sealed_net_id: Vec<u8>,
    /// The data key, wrapped under the new key.
    pub wrapped_data_key: Vec<u8>,
}
