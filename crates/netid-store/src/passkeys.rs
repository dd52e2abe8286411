//! Holders' passkeys for the web app.

use crate::backend::{HasBackend, read, write};
use crate::log::append_log;
use crate::sql::{Row, args};
use crate::{Conflict, Error, HolderId, PasskeyRow};

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
            db.rows("read passkeys", &sql, args![holder], passkey_row)
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
            db.optional("read passkey", &sql, args![&credential_id], passkey_row)
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

fn passkey_row(mut row: Row) -> Result<PasskeyRow, Error> {
    Ok(PasskeyRow {
        credential_id: row.get(0)?,
        holder: row.get(1)?,
        spki: row.get(2)?,
        sign_count: row.get(3)?,
        created_at: row.get(4)?,
    })
}
