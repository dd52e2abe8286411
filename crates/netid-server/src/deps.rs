//! The handles the services share: the store, the service keys, the clock and the
//! transparency log. Each service holds a copy (cheap: shared handles and a clock) and
//! nothing of the server around it, so that no service reaches the others through the state.

use std::sync::Arc;

use crate::clock::Clock;
use crate::keys::ServiceKeys;
use crate::transparency::TransparencyLog;

/// What a service uses of the centre.
#[derive(Clone)]
pub(crate) struct Deps {
    pub(crate) store: Arc<dyn netid_store::Store>,
    pub(crate) keys: Arc<ServiceKeys>,
    pub(crate) clock: Clock,
    pub(crate) log: Arc<TransparencyLog>,
    /// This node's security events on their way to the store.
    pub(crate) security: Arc<crate::security_events::SecurityLog>,
    /// How long uses stay linked to their holders, and the key that links them today.
    pub(crate) use_links: Arc<crate::forgetting::UseLinks>,
    /// The notice of Art. 10, which a holder accepts before their Net ID is used.
    pub(crate) notice: Arc<crate::notice::Notices>,
    /// Web Push to the holders who asked to be told of each use.
    pub(crate) push: Arc<crate::push::Push>,
    /// Signals to platforms (Shared Signals Framework).
    pub(crate) signals: Arc<crate::signals::Signals>,
}

impl core::fmt::Debug for Deps {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Deps")
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// How far a signed timestamp may be from the server's clock, in seconds.
pub(crate) const FRESHNESS_WINDOW_SECONDS: i64 = 300;

impl Deps {
    /// Checks a signed timestamp against the clock.
    pub(crate) fn check_fresh(&self, timestamp: i64) -> Result<(), crate::error::Refusal> {
        let now = self.clock.now().0;
        if now.abs_diff(timestamp) > FRESHNESS_WINDOW_SECONDS.unsigned_abs() {
            return Err(crate::Refusal::StaleTimestamp {
                window_seconds: FRESHNESS_WINDOW_SECONDS,
            });
        }
        Ok(())
    }
}
