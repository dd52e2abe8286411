//! The server's life: opening a data directory, claiming the database, binding, serving
//! until a signal, and the background work (sequencing the log, renewing certificates).

use std::net::SocketAddr;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use std::sync::Arc;

use netid_store::{Keys, PostgresStore, SqliteStore, Store};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::Config;
use crate::connections::until_stopping;
use crate::error::Error;
use crate::http::app;
use crate::keys::{self, ServiceKeys};
use crate::state::AppState;
use crate::{connections, personal, tls, transparency};

/// Opens the data directory of `config`: creates it (mode 0700) if needed, loads or creates
/// the master key, opens the database (running migrations) and loads or creates the service
/// keys. Returns the state.
pub async fn open(config: Config, clock: Clock) -> Result<AppState, Error> {
    create_data_dir(&config.data_dir)?;
    let backend = config.backend();
    let (store, initialised) = open_store(&config).await?;
    let master = match config.master_key {
        Some(key) => key,
        None => keys::master_key_of(&config, initialised)?,
    };
    let token = config
        .token
        .as_ref()
        .map(crate::token::SigningToken::open)
        .transpose()?;
    let service_keys =
        ServiceKeys::load_or_create(store.as_ref(), master, token, clock.now(), config.ca_suite)
            .await?;
    personal::seal_legacy_net_ids(
        store.as_ref(),
        &service_keys.master,
        &service_keys.blind_index,
    )
    .await?;
    let public_url = config
        .public_url
        .unwrap_or_else(|| format!("http://{}", config.listen));
    let state = AppState::new(
        store,
        service_keys,
        clock,
        config.log_origin,
        config.ca_suite,
        public_url,
        config.mtls.as_ref().and_then(|(_, url)| url.as_deref()),
        crate::notice::Notices::new(
            config.notice_operator.as_deref(),
            config.use_link_retention_days,
        ),
        (config.rate_per_address, config.rate_per_platform),
        crate::journal::DeletionJournal::new(&config.data_dir),
        config.use_link_retention_days,
        &config.push_hosts,
    )
    .await?
    .with_backend(backend);
    crate::deletion::replay_journal(&state).await?;
    Ok(state)
}

pub(crate) fn create_data_dir(path: &Path) -> Result<(), Error> {
    if path.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|source| Error::Io {
            action: "create the data directory",
            path: path.to_owned(),
            source,
        })
}

/// Connections the administration listener takes at once.
const ADMIN_CONNECTIONS: usize = 64;

/// A running server.
#[derive(Debug)]
pub struct Running {
    /// The address it listens on (useful with port 0).
    pub address: SocketAddr,
    /// `http://` or `https://` and that address.
    pub base_url: String,
    /// The mutual-TLS listener's address, when there is one.
    pub mtls_address: Option<SocketAddr>,
    /// The administration listener's address (operator endpoints only).
    pub admin_address: SocketAddr,
    /// `http://` and that address.
    pub admin_url: String,
    /// Whether any operator account is active (if none, nobody can administer the service
    /// until one is set up with `netid operator setup`).
    pub has_operators: bool,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), Error>>,
}

impl Running {
    /// Resolves when the server begins to stop by itself: when it lost its claim on the
    /// database. [`Running::shutdown`] then says why.
    pub async fn stopping(&self) {
        until_stopping(&mut self.shutdown.subscribe()).await;
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits.
    pub async fn shutdown(self) -> Result<(), Error> {
        // The receivers are gone only if the server already stopped; the join reports why.
        let _ = self.shutdown.send(true);
        self.task
            .await
            .map_err(|_| Error::Internal("server task panicked"))?
    }
}

/// Opens the data directory and serves on `config.listen` in a background task.
pub async fn start(config: Config) -> Result<Running, Error> {
    start_with_clock(config, Clock::System).await
}

/// [`start`] with the time taken from `clock` (tests fix it to cross a birthday or the end of
/// a deferral).
pub async fn start_with_clock(mut config: Config, clock: Clock) -> Result<Running, Error> {
    let claim = ServerClaim::take(&config, Sharing::Node).await?;
    let limits = connections::Limits::of(&config, if config.mtls.is_some() { 2 } else { 1 });
    let (listener, address) = bind(config.listen).await?;
    let (admin_listener, admin_address) = bind(config.admin_listen).await?;
    let tls = config
        .tls
        .as_ref()
        .map(|files| tls::server_config(files, tls::ClientCertificates::NotAsked))
        .transpose()?;
    let mtls = match (&config.tls, config.mtls.clone()) {
        (Some(files), Some((listen, public_url))) => {
            let (listener, address) = bind(listen).await?;
            let public_url = public_url.unwrap_or_else(|| format!("https://{address}"));
            config.mtls = Some((address, Some(public_url)));
            Some((
                listener,
                address,
                tls::server_config(files, tls::ClientCertificates::Asked)?,
            ))
        }
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let admin_tls = match (&config.tls, config.admin_tls) {
        (Some(files), true) => Some(tls::server_config(
            files,
            tls::ClientCertificates::Required,
        )?),
        _ => None,
    };
    let admin_scheme = if admin_tls.is_some() { "https" } else { "http" };
    // The console is reached by name: WebAuthn takes no IP address as its party.
    let console_url = config
        .admin_public_url
        .clone()
        .unwrap_or_else(|| format!("{admin_scheme}://localhost:{}", admin_address.port()));
    // Certificates and Net Certificates name the service by this URL: the port really bound
    // (`:0` picks one), unless the deployment says where it is reached.
    config
        .public_url
        .get_or_insert_with(|| format!("{scheme}://{address}"));
    let reclaim = config
        .database_url
        .as_ref()
        .map(|url| (url.clone(), config.database.clone()));
    let retention_days = config.security_event_retention_days;
    let key_source = key_source(&config);
    let second_factor = config.operator_second_factor;
    let mut state = open(config, clock).await?;
    state.second_factor = second_factor;
    state.admin_tls = admin_tls.is_some();
    let party = netid_authn::webauthn::RelyingParty::of(&console_url)
        .ok_or(Error::Internal("the console's origin"))?;
    let _ = state.admin_party.set(party);
    let security = std::sync::Arc::clone(&state.deps.security);
    security.keep_for(retention_days);
    security.purge(state.deps.store.as_ref()).await?;
    security.record(
        crate::security_events::SecurityEventKind::ServiceStarted,
        serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "backend": state.backend,
            "master_key": key_source,
            "security_event_retention_days": retention_days,
        }),
    );
    let final_flush = (
        std::sync::Arc::clone(&security),
        state.deps.store.clone(),
        std::sync::Arc::clone(&state.deps.log),
    );
    let has_operators = state
        .deps
        .store
        .operators()
        .await?
        .iter()
        .any(|row| row.retired_at.is_none());
    let (shutdown, stop) = watch::channel(false);
    let sequencer = tokio::spawn(sequence_periodically(state.clone()));
    let renewer = tokio::spawn(maintain_periodically(state.clone()));
    let signaller = tokio::spawn(signal_periodically(state.clone()));
    let claim_keeper = tokio::spawn(keep_claim(claim, reclaim, stop.clone(), shutdown.clone()));
    // A few operators on loopback: a small budget of its own, none of the public one's.
    let admin_limits = connections::Limits {
        total: ADMIN_CONNECTIONS,
        ..limits
    };
    let admin_app = crate::http::admin_app(state.clone());
    let admin_server = match admin_tls {
        Some(config) => {
            let listener = tls::TlsListener::new(admin_listener, admin_address, config, false);
            tokio::spawn(connections::serve(
                listener,
                admin_limits,
                admin_app,
                stop.clone(),
            ))
        }
        None => tokio::spawn(connections::serve(
            admin_listener,
            admin_limits,
            admin_app,
            stop.clone(),
        )),
    };
    let router = app(state);
    let mtls_address = mtls.as_ref().map(|(_, address, _)| *address);
    let mtls_server = mtls.map(|(listener, address, config)| {
        let listener = tls::TlsListener::new(listener, address, config, true);
        tokio::spawn(connections::serve(
            listener,
            limits,
            router.clone(),
            stop.clone(),
        ))
    });
    let task = tokio::spawn(async move {
        let served = match tls {
            Some(config) => {
                let listener = tls::TlsListener::new(listener, address, config, false);
                connections::serve(listener, limits, router, stop).await
            }
            None => connections::serve(listener, limits, router, stop).await,
        };
        let mtls_served = match mtls_server {
            Some(server) => server
                .await
                .map_err(|_| Error::Internal("mutual-TLS server task panicked"))?,
            None => Ok(()),
        };
        let admin_served = admin_server
            .await
            .map_err(|_| Error::Internal("administration server task panicked"))?;
        sequencer.abort();
        renewer.abort();
        signaller.abort();
        // Both hold the state: let them end before another server may take the data.
        let _ = sequencer.await;
        let _ = renewer.await;
        let _ = signaller.await;
        let (security, store, log) = final_flush;
        if let Err(error) = security.flush(store.as_ref(), &log).await {
            tracing::error!(%error, "writing the last security events failed");
        }
        let claim = claim_keeper
            .await
            .map_err(|_| Error::Internal("claim keeper task panicked"))?;
        match claim {
            Ok(claim) => claim.release().await,
            Err(lost) => return Err(lost),
        }
        served.and(mtls_served).and(admin_served)
    });
    tracing::info!(%address, scheme, "netid listening");
    Ok(Running {
        address,
        base_url: format!("{scheme}://{address}"),
        mtls_address,
        admin_address,
        admin_url: format!("{admin_scheme}://{admin_address}"),
        has_operators,
        shutdown,
        task,
    })
}

/// How the master key is kept, for the start's security event.
fn key_source(config: &Config) -> &'static str {
    if config.master_key.is_some() {
        "environment"
    } else if !config.master_key_shares.is_empty() {
        "shares"
    } else if config.token.is_some() {
        "token"
    } else {
        "file"
    }
}

/// Opens the database of `config` (running migrations), and says whether it was set up
/// before: then the master key must exist already.
pub(crate) async fn open_store(config: &Config) -> Result<(Arc<dyn Store>, bool), Error> {
    Ok(match &config.database_url {
        Some(url) => {
            let store = PostgresStore::connect(url.expose(), config.database.clone()).await?;
            let initialised = store.has_service_keys().await?;
            (Arc::new(store), initialised)
        }
        None => {
            // A database made by `netid operator setup` before the first start holds
            // operators but no keys yet: it is initialised once it holds service keys.
            let path = config.data_dir.join(keys::DATABASE_FILE);
            let store = SqliteStore::open(&path).await?;
            let initialised = store.has_service_keys().await?;
            (Arc::new(store), initialised)
        }
    })
}

/// A server's hold on its data, for as long as it runs: a lock on the data directory's lock
/// file (SQLite: one process per file), or a claim on the PostgreSQL database, shared by the
/// nodes of one service and held alone by a master-key rotation ([`Sharing`]).
pub(crate) enum ServerClaim {
    DataDirectory(std::fs::File),
    Database(Box<netid_store::DatabaseClaim>),
}

/// How often a server on PostgreSQL checks that it still holds its claim on the database.
const CLAIM_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

/// How a claim shares the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sharing {
    /// A node: on PostgreSQL, beside any number of nodes (SQLite: one process only).
    Node,
    /// Alone, as a master-key rotation needs it: no node runs meanwhile.
    Alone,
}

/// Holds the claim while the server runs and gives it back when `stop` says so. A node's claim
/// on PostgreSQL can end under it (the database restarted or failed over, the connection was
/// cut): the node takes it again (`reclaim`: the URL and options), answering meanwhile as the
/// database lets it, and stops (through `shutdown`, with [`netid_store::Error::ClaimLost`])
/// only if something holds the database alone by then (a rotation).
async fn keep_claim(
    mut claim: ServerClaim,
    reclaim: Option<(crate::config::DatabaseUrl, netid_store::PostgresOptions)>,
    mut stop: watch::Receiver<bool>,
    shutdown: watch::Sender<bool>,
) -> Result<ServerClaim, Error> {
    let (ServerClaim::Database(_), Some((url, options))) = (&claim, reclaim) else {
        // A lock file's lock lasts as long as the process holds the file.
        until_stopping(&mut stop).await;
        return Ok(claim);
    };
    let mut ticks = tokio::time::interval(CLAIM_CHECK_INTERVAL);
    let mut lost: Option<String> = None;
    loop {
        tokio::select! {
            () = until_stopping(&mut stop) => return Ok(claim),
            _ = ticks.tick() => {}
        }
        // Not raced against `stop`: a check cut short would drop the claim's connection, and
        // with it the lock, before the server has finished with the data.
        if lost.is_none() {
            let ServerClaim::Database(database) = &mut claim else {
                return Ok(claim);
            };
            match database.check().await {
                Ok(()) => continue,
                Err(error) => {
                    tracing::warn!(target: "netid::security", event = "database_claim_lost", error = %error, "taking it again");
                    lost = Some(error.to_string());
                }
            }
        }
        match PostgresStore::claim_shared(url.expose(), &options).await {
            Ok(again) => {
                tracing::info!(target: "netid::security", event = "database_claim_taken_again");
                claim = ServerClaim::Database(Box::new(again));
                lost = None;
            }
            Err(netid_store::Error::InUse) => {
                tracing::error!(target: "netid::security", event = "database_claim_refused", "the database is held alone; stopping");
                let _ = shutdown.send(true);
                return Err(netid_store::Error::ClaimLost {
                    cause: lost.unwrap_or_default(),
                }
                .into());
            }
            // The database is away (a failover under way): try again at the next tick.
            Err(error) => tracing::warn!(%error, "the database claim cannot be taken yet"),
        }
    }
}

/// The lock file in the data directory of a server on SQLite.
const LOCK_FILE: &str = "netid.lock";

impl ServerClaim {
    pub(crate) async fn take(config: &Config, sharing: Sharing) -> Result<Self, Error> {
        if let Some(url) = &config.database_url {
            // A server that has just died holds its lock until PostgreSQL notices the closed
            // connection, a moment later: wait that moment before calling the database taken.
            let mut attempts = 0;
            loop {
                let claimed = match sharing {
                    Sharing::Node => {
                        PostgresStore::claim_shared(url.expose(), &config.database).await
                    }
                    Sharing::Alone => {
                        PostgresStore::claim_alone(url.expose(), &config.database).await
                    }
                };
                match claimed {
                    Ok(claim) => return Ok(Self::Database(Box::new(claim))),
                    Err(netid_store::Error::InUse) if attempts < 30 => {
                        attempts += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        }
        create_data_dir(&config.data_dir)?;
        let path = config.data_dir.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(Error::io("open the lock file", &path))?;
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(Self::DataDirectory(file)),
            Err(rustix::io::Errno::WOULDBLOCK) => Err(netid_store::Error::InUse.into()),
            Err(errno) => Err(Error::io("lock", &path)(errno.into())),
        }
    }

    pub(crate) async fn release(self) {
        match self {
            // Closing the file ends its lock.
            Self::DataDirectory(file) => drop(file),
            Self::Database(claim) => claim.release().await,
        }
    }
}

async fn bind(listen: SocketAddr) -> Result<(tokio::net::TcpListener, SocketAddr), Error> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| Error::Listen {
            address: listen,
            source,
        })?;
    let address = listener.local_addr().map_err(|source| Error::Listen {
        address: listen,
        source,
    })?;
    Ok((listener, address))
}

/// Integrates the transparency log every [`transparency::SEQUENCE_INTERVAL`] while this node
/// holds the integrator's lease (one node of many does).
async fn sequence_periodically(state: AppState) {
    let mut interval = tokio::time::interval(transparency::SEQUENCE_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let flushed = state
            .deps
            .security
            .flush(state.deps.store.as_ref(), &state.deps.log)
            .await;
        if let Err(error) = flushed {
            tracing::error!(%error, "writing security events failed");
        }
        let started = std::time::Instant::now();
        let integrated = state
            .deps
            .log
            .integrate_if_leader(state.deps.store.as_ref(), state.deps.clock.now())
            .await;
        match integrated {
            Ok(Some(size)) => state.metrics.sequenced(size, started.elapsed()),
            Ok(None) => {}
            Err(error) => tracing::error!(%error, "sequencing the transparency log failed"),
        }
    }
}

/// Every few seconds, pushes the signals that are due to the platforms' endpoints (one node
/// claims each at a time).
async fn signal_periodically(state: AppState) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(2));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(error) = crate::signals::deliver_due(&state.deps).await {
            tracing::error!(%error, "delivering signals failed");
        }
    }
}

/// Every minute, removes the pending values of flows and the one-time values that have
/// expired (reads and replay checks skip them already; this forgets them), alerts the holders
/// of deferred reads that came due, forgets whose the uses past their retention were, and
/// reloads the CA's generations if another node changed them;
/// at start and then hourly, renews the CA's own certificates when due.
async fn maintain_periodically(state: AppState) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(60));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for minute in 0_u64.. {
        interval.tick().await;
        if minute % 60 == 0 {
            if let Err(error) = state.renew_certificates().await {
                tracing::error!(%error, "renewing the CA's certificates failed");
            }
        }
        let now = state.deps.clock.now();
        if let Err(error) = state.deps.store.purge_pending(now).await {
            tracing::error!(%error, "removing expired pending values failed");
        }
        if let Err(error) = state.deps.store.purge_used_values(now).await {
            tracing::error!(%error, "removing expired one-time values failed");
        }
        match state.deps.store.take_due_read_alerts(now).await {
            Ok(holders) => {
                for holder in holders {
                    crate::push::notify(&state.deps, holder);
                }
            }
            Err(error) => tracing::error!(%error, "alerting deferred reads that came due failed"),
        }
        match state.deps.store.forget_use_links(now).await {
            Ok(0) => {}
            Ok(unlinked) => tracing::info!(unlinked, "forgot whose uses past their retention were"),
            Err(error) => tracing::error!(%error, "forgetting uses past their retention failed"),
        }
        if let Err(error) = state.deps.store.forget_expired_acts(now).await {
            tracing::error!(%error, "forgetting what expired operator acts asked failed");
        }
        match state.deps.store.purge_signals(now).await {
            Ok(0) => {}
            Ok(dropped) => tracing::warn!(
                dropped,
                "signals no platform acknowledged in time were dropped"
            ),
            Err(error) => tracing::error!(%error, "dropping signals past their time failed"),
        }
        if let Err(error) = state.deps.security.purge(state.deps.store.as_ref()).await {
            tracing::error!(%error, "removing security events past their retention failed");
        }
        // What another node changed of the CA shows here within a minute at the latest
        // (issuance, revocation, CRLs and OCSP look at once).
        if let Err(error) = state.ca.refresh().await {
            tracing::error!(%error, "reloading the CA's generations failed");
        }
    }
}

/// Serves until Ctrl-C or SIGTERM, then shuts down gracefully. Says how to make the first
/// operator if there is none.
pub async fn serve(config: Config) -> Result<(), Error> {
    let running = start(config).await?;
    if !running.has_operators {
        eprintln!(
            "netid: no operator accounts yet: stop the service and run `netid operator setup` \
             (see `netid operator setup --help`)"
        );
    }
    // The administration listener first: "listening on" is what scripts wait for.
    eprintln!(
        "netid: administration (operator endpoints only) on {}",
        running.admin_url
    );
    eprintln!("netid: listening on {}", running.base_url);
    if let Some(address) = running.mtls_address {
        eprintln!("netid: mutual TLS for platforms on https://{address}");
    }
    tokio::select! {
        () = shutdown_signal() => tracing::info!("shutting down"),
        () = running.stopping() => {}
    }
    running.shutdown().await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = ctrl_c => {},
                    _ = terminate.recv() => {},
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
