//! Holders' passkeys for the web app.

use crate::Timestamp;
use crate::backend::{HasBackend, read, write};
use crate::log::append_log;
use crate::sql::{FromRow, args, from_row};
use crate::{Conflict, Error, HolderId};

/// The holders' passkeys.
#[async_trait::async_trait]
pub trait Passkeys: HasBackend {
    /// Registers a passkey of a (not deleted) holder, with `log_entry` (tagged for them) in
    /// the same transaction. [`Error::AlreadyExists`] with
    /// [`Conflict::Passkey`] if the credential id is known, [`Error::NotFound`] if the holder
    /// is gone.
    async fn add_passkey(&self, passkey: PasskeyRow, log_entry: Vec<u8>) -> Result<(), Error> {
        write(self, "passkey", move |db| {
            let sql = "INSERT INTO passkeys (credential_id, holder_id, spki, sign_count, \
                 created_at) SELECT $1, id, $3, $4, $5 FROM holders \
                 WHERE id = $2 AND deleted_at IS NULL";
            let args = args![
                &passkey.credential_id,
                passkey.holder,
                &passkey.spki,
                passkey.sign_count,
                passkey.created_at
            ];
            if db.insert("add passkey", sql, args, |_| Conflict::Passkey)? == 0 {
                return Err(Error::NotFound { what: "holder" });
            }
            append_log(db, &log_entry, Some(passkey.holder)).map(drop)
        })
        .await
    }

    /// `holder`'s passkeys, oldest first.
    async fn passkeys_of(&self, holder: HolderId) -> Result<Vec<PasskeyRow>, Error> {
        read(self, move |db| {
            let sql = format!(
                "SELECT {PASSKEY_COLUMNS} FROM passkeys p WHERE p.holder_id = $1 \
                 ORDER BY p.created_at, p.credential_id"
            );
            db.rows("read passkeys", &sql, args![holder], PasskeyRow::from_row)
        })
        .await
    }

    /// Removes `holder`'s passkey `credential_id`, with `log_entry` in the same transaction;
    /// `false` (and nothing logged) if the holder has no such passkey.
    async fn remove_passkey(
        &self,
        holder: HolderId,
        credential_id: Vec<u8>,
        log_entry: Vec<u8>,
    ) -> Result<bool, Error> {
        write(self, "passkey removal", move |db| {
            let sql = "DELETE FROM passkeys WHERE holder_id = $1 AND credential_id = $2";
            if db.execute("remove passkey", sql, args![holder, &credential_id])? == 0 {
                return Ok(false);
            }
            append_log(db, &log_entry, Some(holder))?;
            Ok(true)
        })
        .await
    }

    /// The passkey with `credential_id`, if its holder is not deleted.
    async fn passkey(&self, credential_id: &[u8]) -> Result<Option<PasskeyRow>, Error> {
        let credential_id = credential_id.to_vec();
        read(self, move |db| {
            let sql = format!(
                "SELECT {PASSKEY_COLUMNS} FROM passkeys p JOIN holders h ON h.id = p.holder_id \
                 WHERE p.credential_id = $1 AND h.deleted_at IS NULL"
            );
            db.optional(
                "read passkey",
                &sql,
                args![&credential_id],
                PasskeyRow::from_row,
            )
        })
        .await
    }

    /// Records a sign-in with a passkey: its counter is now `sign_count`, which must be above
    /// the stored one unless it is 0 (an authenticator without a counter);
    /// [`Error::NotFound`] otherwise, or if there is no such passkey.
    async fn use_passkey(&self, credential_id: &[u8], sign_count: i64) -> Result<(), Error> {
        let credential_id = credential_id.to_vec();
        write(self, "use passkey", move |db| {
            let sql = "UPDATE passkeys SET sign_count = $2 \
                 WHERE credential_id = $1 AND (sign_count < $2 OR $2 = 0)";
            if db.execute("use passkey", sql, args![&credential_id, sign_count])? == 0 {
                return Err(Error::NotFound { what: "passkey" });
            }
            Ok(())
        })
        .await
    }
}

const PASSKEY_COLUMNS: &str = "p.credential_id, p.holder_id, p.spki, p.sign_count, p.created_at";

// In the order of PASSKEY_COLUMNS.
from_row! {
    PasskeyRow { credential_id, holder, spki, sign_count, created_at }
}

/// A holder's passkey (a WebAuthn credential) for the web app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyRow {
    /// The credential id the authenticator chose.
    pub credential_id: Vec<u8>,
    /// The holder it signs in.
    pub holder: HolderId,
    /// Its public key, SPKI DER (P-256).
    pub spki: Vec<u8>,
    /// The authenticator's signature counter when last used.
    pub sign_count: i64,
    /// When it was registered.
    pub created_at: Timestamp,
}
