//! Short-lived values of flows that span requests (an OpenID Connect request, code and token;
//! the web app's challenges, passkey links and sessions), typed, over the store's pending
//! values: every node of the service sees the same ones, so any node answers any step.

use std::marker::PhantomData;
use std::sync::Arc;

use netid_store::{HolderId, NewPending, PendingKind, Store, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::keys::ServiceKeys;

/// The most of one kind that one platform, holder or source address holds at once.
pub(crate) const MAX_PENDING_PER_OWNER: u64 = 1_000;

/// How often a change that lost a race to another node's is tried again on the new value.
const CHANGE_ATTEMPTS: usize = 8;

/// Values of one kind, each with its expiry and the one it is held for (a platform, a holder,
/// a source address), who may hold at most [`MAX_PENDING_PER_OWNER`] at once. Each is sealed
/// under the master key, bound to its kind and key: a redirect holding an authorization code,
/// a session's wallet key, are not readable in the database, its WAL or its backups.
pub(crate) struct Pending<T> {
    store: Arc<dyn Store>,
    keys: Arc<ServiceKeys>,
    kind: PendingKind,
    value: PhantomData<fn() -> T>,
}

impl<T> core::fmt::Debug for Pending<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pending").field("kind", &self.kind).finish()
    }
}

/// Why a value was not kept.
#[derive(Debug)]
pub(crate) enum NotKept {
    /// Its owner holds as many as one may.
    Full,
    /// The store failed.
    Failed(Error),
}

impl<T: Serialize + DeserializeOwned> Pending<T> {
    /// The values of `kind` in the store of `deps`, sealed under its master key.
    pub(crate) fn of(deps: &crate::deps::Deps, kind: PendingKind) -> Self {
        Self {
            store: Arc::clone(&deps.store),
            keys: Arc::clone(&deps.keys),
            kind,
            value: PhantomData,
        }
    }

    /// Keeps `value` under `key` for `owner` (about `holder`, if any) until `expires_at`.
    pub(crate) async fn insert(
        &self,
        key: String,
        value: &T,
        (owner, holder): (&str, Option<HolderId>),
        expires_at: i64,
        now: i64,
    ) -> Result<(), NotKept> {
        let value = self.seal(&key, value).map_err(NotKept::Failed)?;
        let pending = NewPending {
            kind: self.kind,
            key,
            owner: owner.to_owned(),
            holder,
            value,
            expires_at: Timestamp(expires_at),
        };
        match self
            .store
            .put_pending(pending, Timestamp(now), MAX_PENDING_PER_OWNER)
            .await
        {
            Ok(()) => Ok(()),
            Err(netid_store::Error::PendingLimit { .. }) => Err(NotKept::Full),
            Err(error) => Err(NotKept::Failed(error.into())),
        }
    }

    /// The value under `key`, if it has not expired.
    pub(crate) async fn get(&self, key: &str, now: i64) -> Result<Option<T>, Error> {
        let stored = self
            .store
            .pending_value(self.kind, key, Timestamp(now))
            .await?;
        Ok(stored.and_then(|sealed| self.open(key, &sealed)))
    }

    /// Changes the value under `key` (if it has not expired) and returns what `change` says.
    /// The change is made only on the value it saw: if another node changed it meanwhile,
    /// `change` runs again on the new value.
    pub(crate) async fn update<R>(
        &self,
        key: &str,
        now: i64,
        mut change: impl FnMut(&mut T) -> R,
    ) -> Result<Option<R>, Error> {
        for _ in 0..CHANGE_ATTEMPTS {
            let Some(old) = self
                .store
                .pending_value(self.kind, key, Timestamp(now))
                .await?
            else {
                return Ok(None);
            };
            let Some(mut value) = self.open(key, &old) else {
                return Ok(None);
            };
            let unchanged = encode(&value)?;
            let answer = change(&mut value);
            if encode(&value)? == unchanged {
                return Ok(Some(answer));
            }
            let new = self.seal(key, &value)?;
            if self
                .store
                .replace_pending(self.kind, key, old, new, Timestamp(now))
                .await?
            {
                return Ok(Some(answer));
            }
        }
        Err(Error::Internal(
            "a pending value changed under every attempt",
        ))
    }

    /// The keys `owner` holds that have not expired, with their expiry, soonest first.
    pub(crate) async fn owned_by(
        &self,
        owner: &str,
        now: i64,
    ) -> Result<Vec<(String, i64)>, Error> {
        let owned = self
            .store
            .pending_of_owner(self.kind, owner, Timestamp(now))
            .await?;
        Ok(owned.into_iter().map(|(key, at)| (key, at.0)).collect())
    }

    /// Removes the value under `key`.
    pub(crate) async fn remove(&self, key: &str) -> Result<(), Error> {
        Ok(self.store.remove_pending(self.kind, key).await?)
    }

    /// Removes and returns the value under `key` if it has not expired (a one-time value).
    pub(crate) async fn take(&self, key: &str, now: i64) -> Result<Option<T>, Error> {
        let taken = self
            .store
            .take_pending(self.kind, key, Timestamp(now))
            .await?;
        Ok(taken.and_then(|sealed| self.open(key, &sealed)))
    }

    /// What binds a sealed value to its kind and key.
    fn purpose(&self, key: &str) -> Vec<u8> {
        [
            b"netid pending value v1\0",
            self.kind.as_str().as_bytes(),
            b"\0",
            key.as_bytes(),
        ]
        .concat()
    }

    fn seal(&self, key: &str, value: &T) -> Result<Vec<u8>, Error> {
        self.keys.master.seal(&self.purpose(key), &encode(value)?)
    }

    /// The value sealed in `sealed`; `None` (as if it had expired) for one that does not open
    /// or decode: sealed under a master key since rotated, or written by another version of
    /// netid. The flow it belonged to starts again.
    fn open(&self, key: &str, sealed: &[u8]) -> Option<T> {
        let opened = self.keys.master.open(&self.purpose(key), sealed).ok()?;
        let value = serde_json::from_slice(&opened).ok();
        if value.is_none() {
            tracing::warn!(kind = self.kind.as_str(), "a pending value does not decode");
        }
        value
    }
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|_| Error::Internal("a pending value does not encode"))
}
