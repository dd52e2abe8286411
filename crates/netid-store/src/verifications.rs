//! Verifications and the one-time values that keep them from being replayed.

use crate::HolderId;
use crate::backend::{HasBackend, grouped, write};
use crate::consents::disclosable;
use crate::log::append_linked;
use crate::sql::{Sql, args};
use crate::{BlindIndex, Conflict, Error, Timestamp};

/// Verifications of holders, and the nonces and request ids already used.
#[async_trait::async_trait]
pub trait Verifications: HasBackend {
    /// Records `verification` at `now`, in one transaction: of its holder (whose current wallet
    /// key is still the one given, and who is not deleted) by its platform. The presentation
    /// nonce is used until `expires_at`, `log_entry` is appended as an entry of the holder,
    /// and, when fields are disclosable to the platform at that moment (and among `asked`,
    /// when the platform named the fields it wants), `disclosure_entry` too; returns those
    /// fields. [`Error::AlreadyExists`] with [`Conflict::Nonce`] if the nonce was used before,
    /// [`Error::NotFound`] if the holder changed. A nonce expired at `now` may be used again.
    async fn record_verification(
        &self,
        verification: NewVerification,
        now: Timestamp,
    ) -> Result<Vec<String>, Error> {
        let NewVerification {
            client_id,
            nonce_index,
            expires_at,
            holder,
            wallet_key,
            log_entry,
            disclosure_entry,
            linked_until,
            asked,
        } = verification;
        grouped(self, move |db| {
            // The nonce, used only while the holder is as authenticated: not deleted, no
            // recovery since. One statement: this runs for every verification.
            let sql = "INSERT INTO used_presentation_nonces (client_id, nonce_index, expires_at) \
                 SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM holders WHERE id = $5 \
                 AND wallet_key_fingerprint = $6 AND deleted_at IS NULL) \
                 ON CONFLICT (client_id, nonce_index) DO UPDATE SET expires_at = excluded.expires_at \
                 WHERE used_presentation_nonces.expires_at < $4";
            let args = args![&client_id, &nonce_index, expires_at, now, holder, &wallet_key];
            let changed = db.execute("use nonce", sql, args)?;
            let sql = "SELECT id FROM holders WHERE id = $1 AND wallet_key_fingerprint = $2 \
                 AND deleted_at IS NULL";
            if changed == 0 && !db.exists("read holder", sql, args![holder, &wallet_key])? {
                return Err(Error::NotFound {
                    what: "holder with this wallet key",
                });
            }
            used_once(changed)?;
            append_linked(db, &log_entry, Some(holder), Some(linked_until))?;
            // Consents live at this moment, read in the transaction that records the act.
            let consented = disclosable(db, holder, &client_id, now)?;
            let disclosed = netid_core::rules::disclosed(consented, asked.as_deref());
            if !disclosed.is_empty() {
                append_linked(db, &disclosure_entry, Some(holder), Some(linked_until))?;
            }
            Ok(disclosed)
        })
        .await
    }

    /// Marks a one-time value (a client assertion's or proof's `jti`, an authorization code)
    /// of `client_id` as used until `expires_at`. [`Error::AlreadyExists`] with
    /// [`Conflict::Nonce`] if it was used before: a replay. A value expired at `now` may be
    /// used again.
    async fn use_nonce(
        &self,
        client_id: &str,
        nonce_index: BlindIndex,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), Error> {
        let client_id = client_id.to_owned();
        grouped(self, move |db| {
            use_nonce_in(db, &client_id, &nonce_index, expires_at, now)
        })
        .await
    }

    /// Marks a wallet-signed request, by the blind index of its wallet key and request id, as
    /// used until `expires_at`. [`Error::AlreadyExists`] with [`Conflict::Nonce`] if it was
    /// used before: a replay. One expired at `now` may be used again.
    async fn use_wallet_request(
        &self,
        request_index: BlindIndex,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), Error> {
        grouped(self, move |db| {
            let sql = "INSERT INTO used_wallet_requests (request_index, expires_at) \
                 VALUES ($1, $2) ON CONFLICT (request_index) DO UPDATE \
                 SET expires_at = excluded.expires_at WHERE used_wallet_requests.expires_at < $3";
            let args = args![&request_index, expires_at, now];
            used_once(db.execute("use wallet request", sql, args)?)
        })
        .await
    }

    /// Removes the one-time values (nonces, wallet requests) expired at `now`: they are kept
    /// only to refuse replays until then. How many.
    async fn purge_used_values(&self, now: Timestamp) -> Result<u64, Error> {
        write(self, "purge used values", move |db| {
            let sql = "DELETE FROM used_presentation_nonces WHERE expires_at < $1";
            let nonces = db.execute("purge nonces", sql, args![now])?;
            let sql = "DELETE FROM used_wallet_requests WHERE expires_at < $1";
            let requests = db.execute("purge wallet requests", sql, args![now])?;
            Ok(nonces + requests)
        })
        .await
    }
}

/// Marks `nonce_index` of `client_id` used until `expires_at` (taking the place of one expired
/// at `now`); [`Conflict::Nonce`] if it is in use. Expired ones are left to
/// [`Verifications::purge_used_values`]: purging on every use cost a statement each time.
fn use_nonce_in(
    db: &mut dyn Sql,
    client_id: &str,
    nonce_index: &BlindIndex,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<(), Error> {
    let sql = "INSERT INTO used_presentation_nonces (client_id, nonce_index, expires_at) \
         VALUES ($1, $2, $3) ON CONFLICT (client_id, nonce_index) DO UPDATE \
         SET expires_at = excluded.expires_at WHERE used_presentation_nonces.expires_at < $4";
    let args = args![client_id, nonce_index, expires_at, now];
    used_once(db.execute("use nonce", sql, args)?)
}

/// A one-time value's upsert that changed no row found it in use: a replay.
fn used_once(changed: u64) -> Result<(), Error> {
    if changed == 0 {
        return Err(Error::AlreadyExists {
            what: Conflict::Nonce,
        });
    }
    Ok(())
}

/// A verification to record ([`crate::Verifications::record_verification`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVerification {
    /// The platform that verified.
    pub client_id: String,
    /// The blind index of the presentation's nonce: used once.
    pub nonce_index: BlindIndex,
    /// Until when the nonce is kept as used.
    pub expires_at: Timestamp,
    /// The holder verified.
    pub holder: HolderId,
    /// The fingerprint of the wallet key the holder was authenticated with.
    pub wallet_key: Vec<u8>,
    /// The verification's log entry.
    pub log_entry: Vec<u8>,
    /// The disclosure's log entry, appended only if fields go.
    pub disclosure_entry: Vec<u8>,
    /// When the entries' link to the holder ends (see [`crate::LogEntries::forget_use_links`]).
    pub linked_until: Timestamp,
    /// The fields the platform asked for, when it named any.
    pub asked: Option<Vec<String>>,
}
