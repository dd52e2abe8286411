//! Named operators and the acts a second operator approves (issue 23).

use crate::Timestamp;
use crate::backend::{HasBackend, read, write};
use crate::log::append_log;
use crate::sql::{FromRow, args, from_row};
use crate::{Conflict, Error};

/// Operator accounts and requested acts.
#[async_trait::async_trait]
pub trait Operators: HasBackend {
    /// Adds an operator with `log_entry` in the same transaction. [`Error::AlreadyExists`]
    /// with [`Conflict::OperatorKey`] if an account already has this key.
    async fn add_operator(&self, operator: OperatorRow, log_entry: Vec<u8>) -> Result<(), Error> {
        write(self, "operator", move |db| {
            let sql = "INSERT INTO operators (operator_id, name, role, public_key, \
                 key_thumbprint, added_at, retired_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)";
            let args = args![
                &operator.operator_id,
                &operator.name,
                &operator.role,
                &operator.public_key,
                &operator.key_thumbprint,
                operator.added_at
            ];
            db.insert("add operator", sql, args, |_| Conflict::OperatorKey)?;
            append_log(db, &log_entry, None).map(drop)
        })
        .await
    }

    /// Every operator account, retired ones too, oldest first.
    async fn operators(&self) -> Result<Vec<OperatorRow>, Error> {
        read(self, |db| {
            let sql =
                format!("SELECT {OPERATOR_COLUMNS} FROM operators ORDER BY added_at, operator_id");
            db.rows("read operators", &sql, args![], OperatorRow::from_row)
        })
        .await
    }

    /// The account (retired or not) whose key has the RFC 7638 thumbprint `thumbprint`.
    async fn operator_with_key(&self, thumbprint: &str) -> Result<Option<OperatorRow>, Error> {
        let thumbprint = thumbprint.to_owned();
        read(self, move |db| {
            let sql = format!("SELECT {OPERATOR_COLUMNS} FROM operators WHERE key_thumbprint = $1");
            db.optional(
                "read operator",
                &sql,
                args![&thumbprint],
                OperatorRow::from_row,
            )
        })
        .await
    }

    /// Retires `operator_id` at `at`, with `log_entry`; `false` (nothing logged) if there is
    /// no such active account.
    async fn retire_operator(
        &self,
        operator_id: &str,
        at: Timestamp,
        log_entry: Vec<u8>,
    ) -> Result<bool, Error> {
        let operator_id = operator_id.to_owned();
        write(self, "operator retirement", move |db| {
            let sql = "UPDATE operators SET retired_at = $2 \
                 WHERE operator_id = $1 AND retired_at IS NULL";
            if db.execute("retire operator", sql, args![&operator_id, at])? == 0 {
                return Ok(false);
            }
            append_log(db, &log_entry, None)?;
            Ok(true)
        })
        .await
    }

    /// Records a requested act with its `log_entry`.
    async fn request_act(&self, act: ActRow, log_entry: Vec<u8>) -> Result<(), Error> {
        write(self, "act request", move |db| {
            let sql = "INSERT INTO operator_acts (request_id, act, sealed_body, requested_by, \
                 requested_at, status, decided_by, decided_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7)";
            let args = args![
                &act.request_id,
                &act.act,
                &act.sealed_body,
                &act.requested_by,
                act.requested_at,
                &act.status,
                act.expires_at
            ];
            db.execute("request act", sql, args)?;
            append_log(db, &log_entry, None).map(drop)
        })
        .await
    }

    /// The requested act `request_id`.
    async fn act(&self, request_id: &str) -> Result<Option<ActRow>, Error> {
        let request_id = request_id.to_owned();
        read(self, move |db| {
            let sql = format!("SELECT {ACT_COLUMNS} FROM operator_acts WHERE request_id = $1");
            db.optional("read act", &sql, args![&request_id], ActRow::from_row)
        })
        .await
    }

    /// The newest `limit` requested acts, newest first.
    async fn acts(&self, limit: u32) -> Result<Vec<ActRow>, Error> {
        read(self, move |db| {
            let sql = format!(
                "SELECT {ACT_COLUMNS} FROM operator_acts \
                 ORDER BY requested_at DESC, request_id LIMIT $1"
            );
            db.rows("read acts", &sql, args![i64::from(limit)], ActRow::from_row)
        })
        .await
    }

    /// Moves act `request_id` from status `from` to `change.status` if it is still `from`
    /// and unexpired at `change.at`, appending `log_entry` (if any) in the same transaction.
    /// A final status forgets the sealed body. `false` (nothing changed or logged) if the
    /// act had moved on or expired: two approvals cannot both win.
    async fn decide_act(
        &self,
        request_id: &str,
        from: &str,
        change: ActChange,
        log_entry: Option<Vec<u8>>,
    ) -> Result<bool, Error> {
        let request_id = request_id.to_owned();
        let from = from.to_owned();
        write(self, "act decision", move |db| {
            // A final status forgets what was asked.
            let body = if change.forget_body {
                "$8"
            } else {
                "sealed_body"
            };
            let sql = format!(
                "UPDATE operator_acts SET status = $3, decided_by = COALESCE($4, decided_by), \
                 decided_at = COALESCE($5, decided_at), expires_at = $6, sealed_body = {body} \
                 WHERE request_id = $1 AND status = $2 AND expires_at > $7"
            );
            let forgotten = Vec::<u8>::new();
            let mut args = args![
                &request_id,
                &from,
                &change.status,
                change.decided_by.as_deref(),
                change.decided_by.as_ref().map(|_| change.at),
                change.expires_at,
                change.at
            ]
            .to_vec();
            if change.forget_body {
                args.push((&forgotten).into());
            }
            if db.execute("decide act", &sql, &args)? == 0 {
                return Ok(false);
            }
            if let Some(entry) = &log_entry {
                append_log(db, entry, None)?;
            }
            Ok(true)
        })
        .await
    }

    /// How many acts are open at `now`: waiting for approval or to be carried out.
    async fn open_acts(&self, now: Timestamp) -> Result<u64, Error> {
        read(self, move |db| {
            let sql = "SELECT COUNT(*) FROM operator_acts \
                 WHERE status IN ('pending', 'approved') AND expires_at > $1";
            db.value("count open acts", sql, args![now])
        })
        .await
    }

    /// Forgets the sealed bodies of acts that expired before `now`.
    async fn forget_expired_acts(&self, now: Timestamp) -> Result<u64, Error> {
        write(self, "forget expired acts", move |db| {
            let sql = "UPDATE operator_acts SET sealed_body = $2 \
                 WHERE expires_at <= $1 AND length(sealed_body) > 0";
            db.execute("forget expired acts", sql, args![now, &Vec::<u8>::new()])
        })
        .await
    }
}

const OPERATOR_COLUMNS: &str =
    "operator_id, name, role, public_key, key_thumbprint, added_at, retired_at";
const ACT_COLUMNS: &str = "request_id, act, sealed_body, requested_by, requested_at, status, \
     decided_by, decided_at, expires_at";

// In the order of the column lists.
from_row! {
    OperatorRow { operator_id, name, role, public_key, key_thumbprint, added_at, retired_at }
    ActRow {
        request_id, act, sealed_body, requested_by, requested_at, status, decided_by,
        decided_at, expires_at
    }
}

/// An operator account.
#[derive(Clone, PartialEq, Eq)]
pub struct OperatorRow {
    /// The public pseudonymous id (`op-…`).
    pub operator_id: String,
    /// The person's name (never logged).
    pub name: String,
    /// The role's wire name.
    pub role: String,
    /// The public key, a JWK in JSON.
    pub public_key: String,
    /// The key's RFC 7638 thumbprint.
    pub key_thumbprint: String,
    /// When the account was added.
    pub added_at: Timestamp,
    /// When it was retired.
    pub retired_at: Option<Timestamp>,
}

impl core::fmt::Debug for OperatorRow {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OperatorRow")
            .field("operator_id", &self.operator_id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A requested act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActRow {
    /// Its id (`act-…`).
    pub request_id: String,
    /// The act's wire name.
    pub act: String,
    /// What is asked, sealed under the master key; empty once final.
    pub sealed_body: Vec<u8>,
    /// The operator who asked.
    pub requested_by: String,
    /// When.
    pub requested_at: Timestamp,
    /// `pending`, `approved`, `done` or `refused`.
    pub status: String,
    /// Who approved or refused it.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<Timestamp>,
    /// Until when it may be decided (pending) or carried out (approved).
    pub expires_at: Timestamp,
}

/// A change of an act's status (see [`Operators::decide_act`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActChange {
    /// The new status.
    pub status: String,
    /// The operator deciding (approval, refusal), recorded with the time; `None` keeps them.
    pub decided_by: Option<String>,
    /// The time of the change.
    pub at: Timestamp,
    /// The new expiry.
    pub expires_at: Timestamp,
    /// Whether to forget the sealed body (a final status).
    pub forget_body: bool,
}
