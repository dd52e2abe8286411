//! What every handler shares: the store, the service keys, the document authority, the clock.

use std::sync::Arc;

use netid_store::Store;

use crate::authority::{DocumentAuthority, RosterAuthority};
use crate::ca::Ca;
use crate::clock::Clock;
use crate::keys::ServiceKeys;
use crate::net_certificates::NetCertificateIssuer;
use crate::rate_limit::{Rate, RateLimiter};
use crate::transparency::TransparencyLog;

/// The application state, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) keys: Arc<ServiceKeys>,
    pub(crate) authority: Arc<dyn DocumentAuthority>,
    pub(crate) clock: Clock,
    pub(crate) log: Arc<TransparencyLog>,
    pub(crate) ca: Arc<Ca>,
    pub(crate) net_certificates: Arc<NetCertificateIssuer>,
    /// The OpenID Connect provider: its keys and pending authorizations.
    pub(crate) oidc: Arc<crate::oidc::Oidc>,
    /// The holder web app's passkeys and sessions.
    pub(crate) web: Arc<crate::web::Web>,
    /// The notice of Art. 10 as this deployment serves it.
    pub(crate) notice: Arc<netid_proto::Notice>,
    /// Operational counters for `GET /metrics`.
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
    /// Token buckets per source address.
    pub(crate) address_limits: Arc<RateLimiter>,
    /// Token buckets per authenticated platform.
    pub(crate) platform_limits: Arc<RateLimiter>,
    /// The storage backend's name (`sqlite` or `postgresql`).
    pub(crate) backend: &'static str,
}

impl core::fmt::Debug for AppState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AppState")
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over `store` and `keys`, with the roster authority, `clock` and the CA of
    /// `ca_suite` at `public_url`; rebuilds the transparency log (named `log_origin`) from the
    /// store and checks it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn new(
        store: Arc<dyn Store>,
        mut keys: ServiceKeys,
        clock: Clock,
        log_origin: String,
        ca_suite: netid_crypto::SuiteId,
        public_url: String,
        oidc: crate::oidc::Oidc,
        notice_operator: Option<&str>,
    ) -> Result<Self, crate::Error> {
        let log_key = keys
            .log
            .take()
            .ok_or(crate::Error::Internal("the log key was already taken"))?;
        let log = Arc::new(TransparencyLog::open(store.as_ref(), log_key, log_origin).await?);
        let keys = Arc::new(keys);
        let ca = crate::ca::CaDeps {
            store: Arc::clone(&store),
            keys: Arc::clone(&keys),
            clock,
            log: Arc::clone(&log),
        };
        let ca = Arc::new(Ca::open(ca, ca_suite, public_url.clone()).await?);
        let net_certificates = NetCertificateIssuer::open(
            Arc::clone(&store),
            Arc::clone(&ca),
            clock,
            &keys.master,
            &public_url,
        )
        .await?;
        let authority = Arc::new(RosterAuthority::new(Arc::clone(&store), Arc::clone(&keys)));
        Ok(Self {
            store,
            keys,
            authority,
            clock,
            log,
            ca,
            net_certificates: Arc::new(net_certificates),
            web: Arc::new(crate::web::Web::new(&oidc.issuer)),
            oidc: Arc::new(oidc),
            notice: Arc::new(crate::grants::notice(notice_operator)),
            metrics: Arc::default(),
            address_limits: Arc::new(RateLimiter::new(Rate::per_second(0))),
            platform_limits: Arc::new(RateLimiter::new(Rate::per_second(0))),
            backend: "sqlite",
        })
    }

    /// The same state with rate limits per source address and per platform.
    pub(crate) fn with_rate_limits(self, per_address: Rate, per_platform: Rate) -> Self {
        Self {
            address_limits: Arc::new(RateLimiter::new(per_address)),
            platform_limits: Arc::new(RateLimiter::new(per_platform)),
            ..self
        }
    }

    /// The same state, naming its storage backend.
    pub(crate) fn with_backend(self, backend: &'static str) -> Self {
        Self { backend, ..self }
    }

    /// Renews what the CA must keep current: the OCSP responders' certificates when less than
    /// 30 days remain, and the Net Certificate issuer key's certificate (issued again after a
    /// restart, when the CA changed, or near its end). Returns whether a responder's
    /// certificate was renewed.
    pub async fn renew_certificates(&self) -> Result<bool, crate::Error> {
        let responders = self.ca.renew_responders_if_due().await?;
        self.net_certificates.certify_keys().await?;
        Ok(responders)
    }

    /// Sequences committed log entries, signs a checkpoint if the log grew, and returns the
    /// latest checkpoint's size and signed note.
    pub async fn sequence_log(&self) -> Result<(u64, String), crate::Error> {
        let started = std::time::Instant::now();
        let (size, note) = self
            .log
            .sequence(self.store.as_ref(), self.clock.now())
            .await?;
        self.metrics.sequenced(size, started.elapsed());
        Ok((size, note))
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
