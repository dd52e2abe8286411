//! Operators' second factor (issue 23): their passkeys, their one challenge at a time, the
//! one-time code that lets a first passkey be added, and until when a confirmation holds.

use crate::Timestamp;
use crate::backend::{HasBackend, read, write};
use crate::sql::{FromRow, args, from_row};
use crate::{Conflict, Error};

/// Operators' passkeys and second-factor state.
#[async_trait::async_trait]
pub trait OperatorFactors: HasBackend {
    /// Adds a passkey to an operator. [`Error::AlreadyExists`] with [`Conflict::Passkey`] if
    /// the credential id is known.
    async fn add_operator_passkey(&self, passkey: OperatorPasskeyRow) -> Result<(), Error> {
        write(self, "operator passkey", move |db| {
            let sql = "INSERT INTO operator_passkeys (credential_id, operator_id, spki, \
                 sign_count, added_at) VALUES ($1, $2, $3, $4, $5)";
            let args = args![
                &passkey.credential_id,
                &passkey.operator_id,
                &passkey.spki,
                passkey.sign_count,
                passkey.added_at
            ];
            db.insert("add operator passkey", sql, args, |_| Conflict::Passkey)
                .map(drop)
        })
        .await
    }

    /// `operator_id`'s passkeys, oldest first.
    async fn operator_passkeys(&self, operator_id: &str) -> Result<Vec<OperatorPasskeyRow>, Error> {
        let operator_id = operator_id.to_owned();
        read(self, move |db| {
            let sql = format!(
                "SELECT {COLUMNS} FROM operator_passkeys WHERE operator_id = $1 \
                 ORDER BY added_at, credential_id"
            );
            db.rows(
                "read operator passkeys",
                &sql,
                args![&operator_id],
                OperatorPasskeyRow::from_row,
            )
        })
        .await
    }

    /// Records a confirmation with `operator_id`'s passkey `credential_id`: its counter is now
    /// `sign_count` (above the stored one unless 0, an authenticator without a counter) and
    /// the confirmation holds until `verified_until`. [`Error::NotFound`] otherwise.
    async fn use_operator_passkey(
        &self,
        operator_id: &str,
        credential_id: &[u8],
        sign_count: i64,
        verified_until: Timestamp,
    ) -> Result<(), Error> {
        let (operator_id, credential_id) = (operator_id.to_owned(), credential_id.to_vec());
        write(self, "use operator passkey", move |db| {
            let sql = "UPDATE operator_passkeys SET sign_count = $3 WHERE operator_id = $1 \
                 AND credential_id = $2 AND (sign_count < $3 OR $3 = 0)";
            let args = args![&operator_id, &credential_id, sign_count];
            if db.execute("use operator passkey", sql, args)? == 0 {
                return Err(Error::NotFound {
                    what: "operator passkey",
                });
            }
            let sql = "INSERT INTO operator_second_factors (operator_id, verified_until) \
                 VALUES ($1, $2) ON CONFLICT (operator_id) DO UPDATE SET \
                 verified_until = excluded.verified_until";
            db.execute("confirm operator", sql, args![&operator_id, verified_until])
                .map(drop)
        })
        .await
    }

    /// Until when `operator_id`'s last confirmation holds (`Timestamp(0)` if never).
    async fn operator_verified_until(&self, operator_id: &str) -> Result<Timestamp, Error> {
        let operator_id = operator_id.to_owned();
        read(self, move |db| {
            let sql = "SELECT verified_until FROM operator_second_factors WHERE operator_id = $1";
            db.optional("read second factor", sql, args![&operator_id], |mut row| {
                row.get(0)
            })
            .map(|until| until.map_or(Timestamp(0), Timestamp))
        })
        .await
    }

    /// Sets `operator_id`'s one challenge (replacing any earlier one) until `expires_at`.
    async fn set_operator_challenge(
        &self,
        operator_id: &str,
        challenge: &str,
        expires_at: Timestamp,
    ) -> Result<(), Error> {
        let (operator_id, challenge) = (operator_id.to_owned(), challenge.to_owned());
        write(self, "operator challenge", move |db| {
            let sql = upsert(["challenge", "challenge_expires_at"]);
            db.execute(
                "set operator challenge",
                &sql,
                args![&operator_id, &challenge, expires_at],
            )
            .map(drop)
        })
        .await
    }

    /// Uses up `operator_id`'s challenge if it is `challenge` and unexpired at `now`; `false`
    /// if not (a replay finds it gone).
    async fn take_operator_challenge(
        &self,
        operator_id: &str,
        challenge: &str,
        now: Timestamp,
    ) -> Result<bool, Error> {
        let (operator_id, challenge) = (operator_id.to_owned(), challenge.to_owned());
        write(self, "use operator challenge", move |db| {
            let sql = "UPDATE operator_second_factors SET challenge = NULL, \
                 challenge_expires_at = NULL WHERE operator_id = $1 AND challenge = $2 \
                 AND challenge_expires_at > $3";
            Ok(db.execute(
                "use operator challenge",
                sql,
                args![&operator_id, &challenge, now],
            )? == 1)
        })
        .await
    }

    /// Sets the digest of a one-time enrollment code for `operator_id` until `expires_at`.
    async fn set_operator_enrollment_code(
        &self,
        operator_id: &str,
        code_digest: &str,
        expires_at: Timestamp,
    ) -> Result<(), Error> {
        let (operator_id, code_digest) = (operator_id.to_owned(), code_digest.to_owned());
        write(self, "operator enrollment code", move |db| {
            let sql = upsert(["code_digest", "code_expires_at"]);
            db.execute(
                "set enrollment code",
                &sql,
                args![&operator_id, &code_digest, expires_at],
            )
            .map(drop)
        })
        .await
    }

    /// Uses up `operator_id`'s enrollment code if its digest is `code_digest` and it is
    /// unexpired at `now`; `false` if not.
    async fn take_operator_enrollment_code(
        &self,
        operator_id: &str,
        code_digest: &str,
        now: Timestamp,
    ) -> Result<bool, Error> {
        let (operator_id, code_digest) = (operator_id.to_owned(), code_digest.to_owned());
        write(self, "use operator enrollment code", move |db| {
            let sql = "UPDATE operator_second_factors SET code_digest = NULL, \
                 code_expires_at = NULL WHERE operator_id = $1 AND code_digest = $2 \
                 AND code_expires_at > $3";
            Ok(db.execute(
                "use enrollment code",
                sql,
                args![&operator_id, &code_digest, now],
            )? == 1)
        })
        .await
    }
}

/// The statement that sets `columns` (the second and third parameters) of an operator's row
/// (the first), adding the row if there is none.
fn upsert(columns: [&str; 2]) -> String {
    let [first, second] = columns;
    format!(
        "INSERT INTO operator_second_factors (operator_id, {first}, {second}, verified_until) \
         VALUES ($1, $2, $3, 0) ON CONFLICT (operator_id) DO UPDATE SET \
         {first} = excluded.{first}, {second} = excluded.{second}"
    )
}

const COLUMNS: &str = "credential_id, operator_id, spki, sign_count, added_at";

// In the order of COLUMNS.
from_row! {
    OperatorPasskeyRow { credential_id, operator_id, spki, sign_count, added_at }
}

/// An operator's passkey (a WebAuthn credential, user verification required).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorPasskeyRow {
    /// The credential id.
    pub credential_id: Vec<u8>,
    /// Whose it is.
    pub operator_id: String,
    /// Its public key, SubjectPublicKeyInfo DER.
    pub spki: Vec<u8>,
    /// The authenticator's last counter.
    pub sign_count: i64,
    /// When it was added.
    pub added_at: Timestamp,
}
