//! What every handler shares: the store, the service keys, the document authority, the clock.

use std::sync::Arc;

use netid_store::Store;

use crate::authority::{DocumentAuthority, RosterAuthority};
use crate::clock::Clock;
use crate::keys::ServiceKeys;

/// The application state, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) keys: Arc<ServiceKeys>,
    pub(crate) authority: Arc<dyn DocumentAuthority>,
    pub(crate) clock: Clock,
}

impl core::fmt::Debug for AppState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AppState")
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over `store` and `keys`, with the roster authority and `clock`.
    pub fn new(store: Arc<dyn Store>, keys: ServiceKeys, clock: Clock) -> Self {
        let keys = Arc::new(keys);
        let authority = Arc::new(RosterAuthority::new(Arc::clone(&store), Arc::clone(&keys)));
        Self {
            store,
            keys,
            authority,
            clock,
        }
    }
}

/// How far a signed timestamp may be from the server's clock, in seconds.
pub(crate) const FRESHNESS_WINDOW_SECONDS: i64 = 300;

/// Checks a signed timestamp against the clock.
pub(crate) fn check_fresh(state: &AppState, timestamp: i64) -> Result<(), crate::Refusal> {
    let now = state.clock.now().0;
    if now.abs_diff(timestamp) > FRESHNESS_WINDOW_SECONDS.unsigned_abs() {
        return Err(crate::Refusal::StaleTimestamp {
            window_seconds: FRESHNESS_WINDOW_SECONDS,
        });
    }
    Ok(())
}
