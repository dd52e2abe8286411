//! Security events: sign-in failures, refused operator acts, locked enrollment codes, rate-limit
//! refusals, starts and key changes. Kept as a hash chain (each row's hash covers the one
//! before), so a row changed, removed or inserted in the middle shows; kept for the retention
//! the deployment states (at least 180 days), then removed from the oldest end.

use crate::Error;
use crate::Timestamp;
use crate::backend::{HasBackend, read, write};
use crate::log::append_log;
use crate::sql::{FromRow, args, from_row};

/// Makes the log entry that seals the chain at the hash it is given.
pub type Seal = Box<dyn FnOnce(&[u8]) -> Result<Vec<u8>, Error> + Send>;

/// The hash before the first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// The security events.
#[async_trait::async_trait]
pub trait SecurityEvents: HasBackend {
    /// Appends `events` in order after the last one, in one transaction, each chained to the
    /// one before; with `seal`, also appends the log entry it makes of the newest hash (a seal
    /// of the chain in the transparency log). Returns the sequence number of the last.
    async fn append_security_events(
        &self,
        events: Vec<NewSecurityEvent>,
        seal: Option<Seal>,
    ) -> Result<u64, Error> {
        write(self, "security events", move |db| {
            let sql = "SELECT seq, hash FROM security_events ORDER BY seq DESC LIMIT 1";
            let last: Option<(i64, Vec<u8>)> =
                db.optional("read last security event", sql, args![], FromRow::from_row)?;
            let (mut seq, mut previous) = match last {
                Some((seq, hash)) => (
                    u64::try_from(seq).map_err(|_| Error::Internal("negative event number"))?,
                    hash,
                ),
                None => (0, GENESIS.to_vec()),
            };
            for event in &events {
                seq += 1;
                let hash = chain_hash(&previous, seq, event.at, &event.kind, &event.detail);
                let sql = "INSERT INTO security_events (seq, at, kind, detail, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6)";
                let number =
                    i64::try_from(seq).map_err(|_| Error::Internal("event number out of range"))?;
                let args = args![
                    number,
                    event.at,
                    &event.kind,
                    &event.detail,
                    &previous,
                    &hash
                ];
                db.execute("append security event", sql, args)?;
                previous = hash;
            }
            if let Some(seal) = seal {
                append_log(db, &seal(&previous)?, None)?;
            }
            Ok(seq)
        })
        .await
    }

    /// Up to `limit` events after `after` (a sequence number), oldest first.
    async fn security_events(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<SecurityEventRow>, Error> {
        read(self, move |db| {
            let after = i64::try_from(after).unwrap_or(i64::MAX);
            let sql = "SELECT seq, at, kind, detail, prev_hash, hash FROM security_events \
                 WHERE seq > $1 ORDER BY seq LIMIT $2";
            db.rows(
                "read security events",
                sql,
                args![after, i64::from(limit)],
                SecurityEventRow::from_row,
            )
        })
        .await
    }

    /// Removes the events from before `before` (the retention's start), but never the last
    /// one, which the chain goes on from; how many.
    async fn purge_security_events(&self, before: Timestamp) -> Result<u64, Error> {
        write(self, "security event purge", move |db| {
            let sql = "DELETE FROM security_events WHERE at < $1 \
                 AND seq < (SELECT MAX(seq) FROM security_events)";
            db.execute("purge security events", sql, args![before])
        })
        .await
    }
}

/// The hash of an event: SM3 over the previous hash, then the sequence number and time
/// (8 bytes each, big-endian), the kind, a zero byte and the detail.
pub fn chain_hash(previous: &[u8], seq: u64, at: Timestamp, kind: &str, detail: &str) -> Vec<u8> {
    let mut input = Vec::with_capacity(previous.len() + 17 + kind.len() + detail.len());
    input.extend_from_slice(previous);
    input.extend_from_slice(&seq.to_be_bytes());
    input.extend_from_slice(&at.0.to_be_bytes());
    input.extend_from_slice(kind.as_bytes());
    input.push(0);
    input.extend_from_slice(detail.as_bytes());
    netid_crypto::Suite::gm().hash(&input).as_ref().to_vec()
}

/// Whether `events` (consecutive, oldest first) form an unbroken chain from `previous`: each
/// row's hash is recomputed, and each names the hash before it. `None` if so, else the
/// sequence number of the first row that breaks it.
pub fn chain_break(previous: &[u8], events: &[SecurityEventRow]) -> Option<u64> {
    let mut previous = previous.to_vec();
    let mut expected_seq = None;
    for event in events {
        let recomputed = chain_hash(&previous, event.seq, event.at, &event.kind, &event.detail);
        let consecutive = expected_seq.is_none_or(|seq| seq == event.seq);
        if !consecutive || event.prev_hash != previous || event.hash != recomputed {
            return Some(event.seq);
        }
        previous = event.hash.clone();
        expected_seq = event.seq.checked_add(1);
    }
    None
}

// In the order of the SELECT above.
from_row! {
    SecurityEventRow { seq, at, kind, detail, prev_hash, hash }
}

/// An event to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSecurityEvent {
    /// When it happened.
    pub at: Timestamp,
    /// What happened (`operator_authentication_failed`, `rate_limited`, ...).
    pub kind: String,
    /// A JSON object with no personal data.
    pub detail: String,
}

/// A recorded event with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEventRow {
    /// Its number, from 1.
    pub seq: u64,
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: String,
    /// A JSON object with no personal data.
    pub detail: String,
    /// The hash of the event before it ([`GENESIS`] for the first).
    pub prev_hash: Vec<u8>,
    /// Its hash ([`chain_hash`]).
    pub hash: Vec<u8>,
}
