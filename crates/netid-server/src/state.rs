//! What every handler shares: the services, each over the shared [`Deps`], and the server's
//! own settings. The composition root: the services do not import it.

use std::sync::Arc;

use netid_store::Store;

use crate::authority::{DocumentAuthority, RosterAuthority};
use crate::ca::Ca;
use crate::clock::Clock;
use crate::deps::Deps;
use crate::keys::ServiceKeys;
use crate::net_certificates::NetCertificateIssuer;
use crate::rate_limit::{Rate, RateLimiter};
use crate::transparency::TransparencyLog;

/// The application state, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) deps: Deps,
    pub(crate) authority: Arc<dyn DocumentAuthority>,
    pub(crate) ca: Arc<Ca>,
    pub(crate) net_certificates: Arc<NetCertificateIssuer>,
    /// The OpenID Connect provider: its keys and pending authorizations.
    pub(crate) oidc: Arc<crate::oidc::Oidc>,
    /// The holder web app's passkeys and sessions.
    pub(crate) web: Arc<crate::web::Web>,
    /// Operational counters for `GET /metrics`.
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
    /// Token buckets per source address.
    pub(crate) address_limits: Arc<RateLimiter>,
    /// Whether this is the administration app's state ([`crate::http::admin_app`]): the only
    /// one that serves operators.
    pub(crate) administration: bool,
    /// Token buckets per authenticated platform.
    pub(crate) platform_limits: Arc<RateLimiter>,
    /// The storage backend's name (`sqlite` or `postgresql`).
    pub(crate) backend: &'static str,
    /// Deletions, kept apart from the database so that a restored backup forgets them again.
    pub(crate) journal: Arc<crate::journal::DeletionJournal>,
    /// Which sensitive operator accounts need their passkey (`NETID_OPERATOR_SECOND_FACTOR`).
    pub(crate) second_factor: crate::SecondFactorPolicy,
    /// The operators' passkeys' relying party: the console's origin, known once the
    /// administration listener is bound.
    pub(crate) admin_party: Arc<std::sync::OnceLock<netid_authn::webauthn::RelyingParty>>,
    /// Whether the administration listener takes only operators' client certificates.
    pub(crate) admin_tls: bool,
}

impl core::fmt::Debug for AppState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AppState")
            .field("clock", &self.deps.clock)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over `store` and `keys`, with the roster authority, `clock`, the CA of
    /// `ca_suite` and the OpenID provider at `public_url` (its mutual-TLS listener at
    /// `mtls_base`, if any), serving `notice`, with rate limits per source address and per
    /// platform; rebuilds the transparency log (named
    /// `log_origin`) from the store and checks it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn new(
        store: Arc<dyn Store>,
        mut keys: ServiceKeys,
        clock: Clock,
        log_origin: String,
        ca_suite: netid_crypto::SuiteId,
        public_url: String,
        mtls_base: Option<&str>,
        notice: crate::notice::Notices,
        (per_address, per_platform): (Rate, Rate),
        journal: crate::journal::DeletionJournal,
        use_link_retention_days: u32,
        push_hosts: &str,
    ) -> Result<Self, crate::error::Error> {
        let log_key = keys
            .log
            .take()
            .ok_or(crate::Error::Internal("the log key was already taken"))?;
        let log = Arc::new(
            TransparencyLog::open(store.as_ref(), log_key, log_origin, clock.now()).await?,
        );
        let push = crate::push::Push::open(
            store.as_ref(),
            keys.place(),
            clock.now(),
            push_hosts,
            &public_url,
        )
        .await?;
        let signals =
            crate::signals::Signals::open(store.as_ref(), keys.place(), clock.now(), &public_url)
                .await?;
        let deps = Deps {
            store,
            keys: Arc::new(keys),
            clock,
            log,
            security: Arc::new(crate::security_events::SecurityLog::new(clock)),
            use_links: Arc::new(crate::forgetting::UseLinks::new(use_link_retention_days)),
            notice: Arc::new(notice),
            push: Arc::new(push),
            signals: Arc::new(signals),
        };
        let ca = Arc::new(Ca::open(deps.clone(), ca_suite, public_url.clone()).await?);
        let net_certificates =
            NetCertificateIssuer::open(deps.clone(), Arc::clone(&ca), &public_url).await?;
        let authority = Arc::new(RosterAuthority::new(
            Arc::clone(&deps.store),
            Arc::clone(&deps.keys),
        ));
        let metrics = Arc::<crate::metrics::Metrics>::default();
        let platform_limits = Arc::new(RateLimiter::new(per_platform));
        let oidc = crate::oidc::Oidc::open(
            deps.clone(),
            Arc::clone(&metrics),
            Arc::clone(&platform_limits),
            &public_url,
            mtls_base,
        )
        .await?;
        Ok(Self {
            authority,
            ca,
            net_certificates: Arc::new(net_certificates),
            web: Arc::new(crate::web::Web::new(deps.clone(), &public_url)),
            oidc: Arc::new(oidc),
            metrics,
            address_limits: Arc::new(RateLimiter::new(per_address)),
            administration: false,
            platform_limits,
            backend: "sqlite",
            journal: Arc::new(journal),
            second_factor: crate::SecondFactorPolicy::default(),
            admin_party: Arc::default(),
            admin_tls: false,
            deps,
        })
    }

    /// The same state, naming its storage backend.
    pub(crate) fn with_backend(self, backend: &'static str) -> Self {
        Self { backend, ..self }
    }

    /// Renews what the CA must keep current: the OCSP responders' certificates when less than
    /// 30 days remain, and the Net Certificate issuer key's certificate (issued again after a
    /// restart, when the CA changed, or near its end). Returns whether a responder's
    /// certificate was renewed.
    pub async fn renew_certificates(&self) -> Result<bool, crate::error::Error> {
        let responders = self.ca.renew_responders_if_due().await?;
        self.net_certificates.certify_keys().await?;
        Ok(responders)
    }

    /// Integrates committed log entries, signs a checkpoint if the log grew, and returns the
    /// latest checkpoint's size and signed note.
    pub async fn sequence_log(&self) -> Result<(u64, String), crate::error::Error> {
        let started = std::time::Instant::now();
        let (size, note) = self
            .deps
            .log
            .integrate(self.deps.store.as_ref(), self.deps.clock.now())
            .await?;
        self.metrics.sequenced(size, started.elapsed());
        Ok((size, note))
    }
}
