//! Security events kept as durable records (GB/T 22239 level 3: audit records that are kept
//! and protected): each node gathers them in memory and writes them once a second to the
//! store's hash chain (`netid_store::SecurityEvents`), so a flood costs one write a second,
//! not one a refusal. Rate-limit refusals are counted, not listed. Auditors and security
//! administrators read them (`GET /v1/operator/security-events`); the chain is kept for the
//! stated retention, at least 180 days.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};

use netid_store::{NewSecurityEvent, Store, Timestamp};
use serde_json::Value;

use std::sync::Arc;

use crate::clock::Clock;
use crate::error::Error;
use crate::transparency::TransparencyLog;

/// What happened. Details carry no personal data: roles, reasons, operator ids, counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SecurityEventKind {
    /// A request to the administration listener whose operator proof failed.
    OperatorAuthenticationFailed,
    /// A platform's credential that matched nothing.
    PlatformAuthenticationFailed,
    /// An operator's act refused (wrong role, own request, not theirs).
    OperatorActRefused,
    /// An operator endpoint asked on the public listener.
    OperatorEndpointOnPublicListener,
    /// Five wrong enrollment codes locked a roster record.
    EnrollmentCodeLocked,
    /// Requests refused by a rate limit (counted per second).
    RateLimited,
    /// The service started (with how its keys are kept).
    ServiceStarted,
    /// An operator account made at set-up, server stopped.
    OperatorSetUp,
    /// The master key was rotated.
    MasterKeyRotated,
    /// Events lost because more came in a second than a node keeps.
    EventsDropped,
    /// A security administrator gave an operator a passkey enrollment code.
    OperatorPasskeyCodeGiven,
    /// An operator added a passkey (their second factor).
    OperatorPasskeyAdded,
    /// An operator confirmed with their passkey (their second factor).
    OperatorConfirmed,
    /// A passkey enrollment or confirmation refused.
    OperatorPasskeyRefused,
}

impl SecurityEventKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::OperatorAuthenticationFailed => "operator_authentication_failed",
            Self::PlatformAuthenticationFailed => "platform_authentication_failed",
            Self::OperatorActRefused => "operator_act_refused",
            Self::OperatorEndpointOnPublicListener => "operator_endpoint_on_public_listener",
            Self::EnrollmentCodeLocked => "enrollment_code_locked",
            Self::RateLimited => "rate_limited",
            Self::ServiceStarted => "service_started",
            Self::OperatorSetUp => "operator_set_up",
            Self::MasterKeyRotated => "master_key_rotated",
            Self::EventsDropped => "events_dropped",
            Self::OperatorPasskeyCodeGiven => "operator_passkey_code_given",
            Self::OperatorPasskeyAdded => "operator_passkey_added",
            Self::OperatorConfirmed => "operator_confirmed",
            Self::OperatorPasskeyRefused => "operator_passkey_refused",
        }
    }
}

/// How often a node seals the chain in the transparency log by itself (auditors may seal it
/// at any time: `POST /v1/operator/security-events/seal`).
const SEAL_INTERVAL_SECONDS: i64 = 3600;

/// The most events a node keeps between two writes; beyond, they are counted as dropped.
const MAX_BUFFERED: usize = 256;

/// A node's security events on their way to the store.
#[derive(Debug)]
pub(crate) struct SecurityLog {
    clock: Clock,
    pending: Mutex<Pending>,
    /// How long events are kept, in days.
    retention_days: AtomicU32,
    /// When this node last sealed the chain in the transparency log (seconds).
    last_seal: AtomicI64,
    /// One write at a time: a read that writes first then sees what an earlier write of this
    /// node took from `pending`, committed.
    writing: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct Pending {
    events: Vec<NewSecurityEvent>,
    counted: BTreeMap<SecurityEventKind, u64>,
}

impl SecurityLog {
    pub(crate) fn new(clock: Clock) -> Self {
        Self {
            clock,
            pending: Mutex::new(Pending::default()),
            retention_days: AtomicU32::new(crate::Config::DEFAULT_SECURITY_EVENT_RETENTION_DAYS),
            // The first seal an hour after the start, not at it: a start's own writes stay
            // where they are in the log.
            last_seal: AtomicI64::new(clock.now().0),
            writing: tokio::sync::Mutex::new(()),
        }
    }

    /// Keeps events for `days` (the configuration's retention).
    pub(crate) fn keep_for(&self, days: u32) {
        self.retention_days.store(days, Ordering::Relaxed);
    }

    /// Removes the events older than the retention; how many.
    pub(crate) async fn purge(&self, store: &dyn Store) -> Result<u64, Error> {
        let days = i64::from(self.retention_days.load(Ordering::Relaxed));
        let before = Timestamp(self.clock.now().0.saturating_sub(days * 86_400));
        Ok(store.purge_security_events(before).await?)
    }

    /// Records `kind` with `detail` (a JSON object without personal data).
    pub(crate) fn record(&self, kind: SecurityEventKind, detail: Value) {
        let event = new_event(self.clock.now(), kind, &detail);
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        if pending.events.len() < MAX_BUFFERED {
            pending.events.push(event);
        } else {
            *pending
                .counted
                .entry(SecurityEventKind::EventsDropped)
                .or_insert(0) += 1;
        }
    }

    /// Counts one more `kind` (written as one event with the count).
    pub(crate) fn count(&self, kind: SecurityEventKind) {
        if let Ok(mut pending) = self.pending.lock() {
            *pending.counted.entry(kind).or_insert(0) += 1;
        }
    }

    /// Writes what was gathered to the store's chain; once an hour (a node's first after an
    /// hour up) also seals the chain's newest hash in the transparency `log`.
    pub(crate) async fn flush(
        &self,
        store: &dyn Store,
        log: &Arc<TransparencyLog>,
    ) -> Result<(), Error> {
        let now = self.clock.now();
        let due = now.0 - self.last_seal.load(Ordering::Relaxed) >= SEAL_INTERVAL_SECONDS;
        self.write(store, log, due).await.map(drop)
    }

    /// Writes what was gathered and seals the chain now: a `security_events_sealed` entry of
    /// the transparency log vouches for its newest hash, so that events rewritten in the
    /// database would no longer match the public log. Returns the sealed hash.
    pub(crate) async fn seal(
        &self,
        store: &dyn Store,
        log: &Arc<TransparencyLog>,
    ) -> Result<Option<Vec<u8>>, Error> {
        self.write(store, log, true).await
    }

    /// Writes what was gathered to the chain, sealing it if `sealing`; the sealed hash. On a
    /// failure the events are kept (within the bound) for the next write.
    async fn write(
        &self,
        store: &dyn Store,
        log: &Arc<TransparencyLog>,
        sealing: bool,
    ) -> Result<Option<Vec<u8>>, Error> {
        let _writing = self.writing.lock().await;
        let now = self.clock.now();
        let events =
            {
                let Ok(mut pending) = self.pending.lock() else {
                    return Ok(None);
                };
                let counted = std::mem::take(&mut pending.counted);
                let mut events = std::mem::take(&mut pending.events);
                events.extend(counted.into_iter().map(|(kind, count)| {
                    new_event(now, kind, &serde_json::json!({ "count": count }))
                }));
                events
            };
        if events.is_empty() && !sealing {
            return Ok(None);
        }
        let sealed = Arc::new(Mutex::new(None));
        let seal = sealing.then(|| {
            let (log, sealed) = (Arc::clone(log), Arc::clone(&sealed));
            let seal: netid_store::Seal = Box::new(move |digest: &[u8]| {
                if let Ok(mut sealed) = sealed.lock() {
                    *sealed = Some(digest.to_vec());
                }
                log.seal_entry(netid_log::EntryKind::SecurityEventsSealed, digest, now)
                    .map_err(|_| netid_store::Error::Internal("the seal's log entry"))
            });
            seal
        });
        if let Err(error) = store.append_security_events(events.clone(), seal).await {
            if let Ok(mut pending) = self.pending.lock() {
                let room = MAX_BUFFERED.saturating_sub(pending.events.len());
                let kept: Vec<_> = events.into_iter().take(room).collect();
                pending.events.splice(0..0, kept);
            }
            return Err(error.into());
        }
        if sealing {
            self.last_seal.store(now.0, Ordering::Relaxed);
        }
        Ok(sealed.lock().ok().and_then(|mut sealed| sealed.take()))
    }
}

fn new_event(at: Timestamp, kind: SecurityEventKind, detail: &Value) -> NewSecurityEvent {
    NewSecurityEvent {
        at,
        kind: kind.as_str().to_owned(),
        detail: detail.to_string(),
    }
}

/// The page of events after `after` (at most 500), as the API shows them; this node's
/// gathered events are written first (other nodes' within a second).
pub(crate) async fn page(
    store: &dyn Store,
    security: &SecurityLog,
    after: u64,
    log: &Arc<TransparencyLog>,
) -> Result<netid_proto::SecurityEventPage, Error> {
    security.flush(store, log).await?;
    let events = store
        .security_events(after, 500)
        .await?
        .into_iter()
        .map(|row| netid_proto::SecurityEvent {
            seq: row.seq,
            at: row.at.0,
            kind: row.kind,
            detail: row.detail,
            prev_hash: hex::encode(row.prev_hash),
            hash: hex::encode(row.hash),
        })
        .collect();
    Ok(netid_proto::SecurityEventPage {
        events,
        retention_days: security.retention_days.load(Ordering::Relaxed),
    })
}

/// Writes one event at once, for the commands that run with the server stopped.
pub(crate) async fn record_now(
    store: &dyn Store,
    kind: SecurityEventKind,
    detail: Value,
) -> Result<(), Error> {
    let event = new_event(Clock::System.now(), kind, &detail);
    store.append_security_events(vec![event], None).await?;
    Ok(())
}
