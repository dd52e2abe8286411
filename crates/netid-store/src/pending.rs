//! Pending values: the short-lived state of flows that span requests (an OpenID Connect
//! request, code and token; the web app's challenges, passkey links and sessions), kept with
//! their expiry so that every node of the service answers every step.

use crate::backend::{HasBackend, grouped, lookup, write};
use crate::sql::{FromRow, args};
use crate::types::stored_enum;
use crate::{Error, HolderId, Timestamp};

/// The pending values, by kind and key.
#[async_trait::async_trait]
pub trait PendingValues: HasBackend {
    /// Keeps `value` (replacing one of the same kind and key) unless its owner already holds
    /// `per_owner` unexpired values of its kind: then [`Error::PendingLimit`], and nothing
    /// changes. The owner's expired values are purged on the way. On PostgreSQL the grouped
    /// writes of several nodes run at once, so an owner may pass the limit by up to one value
    /// for each other node; then every further value is refused until some expire.
    async fn put_pending(
        &self,
        value: NewPending,
        now: Timestamp,
        per_owner: u64,
    ) -> Result<(), Error> {
        grouped(self, move |db| {
            let sql = "DELETE FROM pending_values WHERE kind = $1 AND owner = $2 \
                 AND expires_at <= $3";
            db.execute(
                "purge pending values",
                sql,
                args![value.kind, &value.owner, now],
            )?;
            let sql = "SELECT COUNT(*) FROM pending_values WHERE kind = $1 AND owner = $2 \
                 AND pending_key <> $3";
            let args = args![value.kind, &value.owner, &value.key];
            if db.value::<u64>("count pending values", sql, args)? >= per_owner {
                return Err(Error::PendingLimit { limit: per_owner });
            }
            let sql = "INSERT INTO pending_values (kind, pending_key, owner, holder_id, value, \
                 expires_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (kind, pending_key) DO UPDATE SET owner = excluded.owner, \
                 holder_id = excluded.holder_id, value = excluded.value, \
                 expires_at = excluded.expires_at";
            let args = args![
                value.kind,
                &value.key,
                &value.owner,
                value.holder,
                &value.value,
                value.expires_at
            ];
            db.execute("keep pending value", sql, args).map(drop)
        })
        .await
    }

    /// The value of `kind` under `key`, unless it has expired at `now`.
    async fn pending_value(
        &self,
        kind: PendingKind,
        key: &str,
        now: Timestamp,
    ) -> Result<Option<Vec<u8>>, Error> {
        let key = key.to_owned();
        lookup(self, move |db| {
            let sql = "SELECT value FROM pending_values WHERE kind = $1 AND pending_key = $2 \
                 AND expires_at > $3";
            db.optional(
                "read pending value",
                sql,
                args![kind, &key, now],
                |mut row| row.get(0),
            )
        })
        .await
    }

    /// Replaces the value of `kind` under `key` with `new` if it is still `old` and has not
    /// expired (a compare-and-swap: of two nodes changing one value, one wins); whether it did.
    async fn replace_pending(
        &self,
        kind: PendingKind,
        key: &str,
        old: Vec<u8>,
        new: Vec<u8>,
        now: Timestamp,
    ) -> Result<bool, Error> {
        let key = key.to_owned();
        grouped(self, move |db| {
            let sql = "UPDATE pending_values SET value = $3 WHERE kind = $1 \
                 AND pending_key = $2 AND value = $4 AND expires_at > $5";
            let args = args![kind, &key, &new, &old, now];
            Ok(db.execute("replace pending value", sql, args)? > 0)
        })
        .await
    }

    /// Removes the value of `kind` under `key` and returns it if it had not expired (a
    /// one-time value: of two nodes taking it, one gets it).
    async fn take_pending(
        &self,
        kind: PendingKind,
        key: &str,
        now: Timestamp,
    ) -> Result<Option<Vec<u8>>, Error> {
        let key = key.to_owned();
        grouped(self, move |db| {
            let sql = "DELETE FROM pending_values WHERE kind = $1 AND pending_key = $2 \
                 RETURNING value, expires_at";
            let taken: Option<(Vec<u8>, Timestamp)> = db.optional(
                "take pending value",
                sql,
                args![kind, &key],
                FromRow::from_row,
            )?;
            Ok(taken
                .filter(|(_, expires_at)| *expires_at > now)
                .map(|(value, _)| value))
        })
        .await
    }

    /// Removes the value of `kind` under `key`, if there is one.
    async fn remove_pending(&self, kind: PendingKind, key: &str) -> Result<(), Error> {
        let key = key.to_owned();
        grouped(self, move |db| {
            let sql = "DELETE FROM pending_values WHERE kind = $1 AND pending_key = $2";
            db.execute("remove pending value", sql, args![kind, &key])
                .map(drop)
        })
        .await
    }

    /// The keys of `kind` that `owner` holds, unexpired at `now`, with their expiry, soonest
    /// first.
    async fn pending_of_owner(
        &self,
        kind: PendingKind,
        owner: &str,
        now: Timestamp,
    ) -> Result<Vec<(String, Timestamp)>, Error> {
        let owner = owner.to_owned();
        lookup(self, move |db| {
            let sql = "SELECT pending_key, expires_at FROM pending_values WHERE kind = $1 \
                 AND owner = $2 AND expires_at > $3 ORDER BY expires_at, pending_key COLLATE \"C\"";
            db.rows(
                "read pending values",
                sql,
                args![kind, &owner, now],
                FromRow::from_row,
            )
        })
        .await
    }

    /// Removes every value expired at `now`; how many.
    async fn purge_pending(&self, now: Timestamp) -> Result<u64, Error> {
        write(self, "purge pending values", move |db| {
            let sql = "DELETE FROM pending_values WHERE expires_at <= $1";
            db.execute("purge pending values", sql, args![now])
        })
        .await
    }
}

stored_enum! {
    /// What a pending value is.
    pub enum PendingKind {
        /// A pushed authorization request (RFC 9126), by its `request_uri`.
        OidcRequest = "oidc_request",
        /// An authorization code, by its digest.
        OidcCode = "oidc_code",
        /// An access token, by its digest.
        OidcToken = "oidc_token",
        /// A WebAuthn challenge, by itself.
        WebChallenge = "web_challenge",
        /// A one-time link to add a passkey, by its digest.
        WebLink = "web_link",
        /// A web app session, by its token's digest.
        WebSession = "web_session",
        /// A credential offer's pre-authorized code (OpenID4VCI), by its digest.
        VciOffer = "vci_offer",
        /// An access token for the credential endpoint, by its digest.
        VciToken = "vci_token",
    }
}

/// A pending value to keep ([`PendingValues::put_pending`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPending {
    /// What it is.
    pub kind: PendingKind,
    /// Its key (a digest, where the key is a secret).
    pub key: String,
    /// Whose quota it counts against: a platform, a holder, a source address.
    pub owner: String,
    /// The holder it is about, if any: their deletion or recovery removes it.
    pub holder: Option<HolderId>,
    /// The value, as its flow encodes it.
    pub value: Vec<u8>,
    /// The first instant it is no longer valid.
    pub expires_at: Timestamp,
}
