//! Serving connections, so that slow or greedy clients cannot starve the others: a cap on the
//! connections open at once in all (below the file-descriptor limit, which start-up raises)
//! and from one source address, a deadline for each request's headers, and connections that
//! close when idle ([`crate::idle`]). Bodies are read whole before a request takes one of the
//! service's request slots (see `http::read_body_first`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::serve::Listener;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt as _;

use crate::error::Error;
use crate::idle::IdleStream;
use crate::tls::Peer;

/// How long a client may take to send a request's headers, from when the server waits for
/// them; also how long a kept-alive connection may wait for its next request.
pub(crate) const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Descriptors kept free of connections: the database, key and log files, TLS handshakes.
const RESERVED_DESCRIPTORS: u64 = 256;
/// The most connections served at once when nothing else caps them.
const CONNECTIONS_CEILING: u64 = 65_536;

/// The limits one listener serves under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Connections open at once in all.
    pub(crate) total: usize,
    /// Connections open at once from one address; `None` for no limit.
    pub(crate) per_address: Option<usize>,
    /// How long a connection may move no byte.
    pub(crate) idle: Duration,
}

impl Limits {
    /// The limits of `config`: its caps, or as many connections as the file-descriptor limit
    /// leaves room for once raised to the hard limit (split between `listeners`).
    pub(crate) fn of(config: &crate::config::Config, listeners: usize) -> Self {
        let descriptors = match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(limit) => limit,
            Err(error) => {
                tracing::warn!(%error, "cannot raise the file-descriptor limit");
                rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
            }
        };
        let room = descriptors
            .saturating_sub(RESERVED_DESCRIPTORS)
            .clamp(16, CONNECTIONS_CEILING)
            / u64::try_from(listeners.max(1)).unwrap_or(1);
        let total = config
            .max_connections
            .map_or(room, |cap| u64::from(cap).min(room));
        Self {
            total: usize::try_from(total).unwrap_or(usize::MAX),
            per_address: match config.max_connections_per_address {
                0 => None,
                cap => usize::try_from(cap).ok(),
            },
            idle: config.idle_timeout,
        }
    }
}

/// Serves `router` on `listener` until `stop` turns true, then lets the open connections
/// finish what they are answering. The peer (address, and certificate on the mutual-TLS
/// listener) goes to each request as `ConnectInfo<Peer>`.
pub(crate) async fn serve<L>(
    mut listener: L,
    limits: Limits,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
) -> Result<(), Error>
where
    L: Listener,
    L::Io: Unpin,
    L::Addr: Into<Peer>,
{
    let open = Arc::new(Semaphore::new(limits.total));
    let per_address = Arc::new(AddressCounts::default());
    // Each connection holds a receiver; the sender sees them all closed once they are done.
    let (finished, connection_open) = watch::channel(());
    loop {
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => {
                permit.map_err(|_| Error::Internal("connection semaphore closed"))?
            }
            () = crate::connections::until_stopping(&mut stop) => break,
        };
        let (io, peer) = tokio::select! {
            (io, address) = listener.accept() => (io, address.into()),
            () = crate::connections::until_stopping(&mut stop) => break,
        };
        let Some(slot) = per_address.take(peer.address.ip(), limits.per_address) else {
            tracing::info!(target: "netid::security", event = "connection_refused", reason = "too many connections from one address");
            continue;
        };
        let service = router
            .clone()
            .map_request(move |mut request: axum::extract::Request| {
                request.extensions_mut().insert(ConnectInfo(peer.clone()));
                request
            });
        let (mut stop, connection_open) = (stop.clone(), connection_open.clone());
        tokio::spawn(async move {
            let io = TokioIo::new(IdleStream::new(io, limits.idle));
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT);
            let connection = builder.serve_connection(
                io,
                TowerToHyperService::new(service.map_request(
                    |request: hyper::Request<hyper::body::Incoming>| {
                        request.map(axum::body::Body::new)
                    },
                )),
            );
            tokio::pin!(connection);
            let outcome = tokio::select! {
                outcome = connection.as_mut() => outcome,
                () = crate::connections::until_stopping(&mut stop) => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = outcome {
                tracing::debug!(%error, "a connection ended with an error");
            }
            drop((permit, slot, connection_open));
        });
    }
    drop(listener);
    drop(connection_open);
    finished.closed().await;
    Ok(())
}

/// Connections open from each address.
#[derive(Debug, Default)]
struct AddressCounts(Mutex<HashMap<IpAddr, usize>>);

impl AddressCounts {
    /// A slot for one more connection from `address`, or `None` when it has `cap` open.
    fn take(self: &Arc<Self>, address: IpAddr, cap: Option<usize>) -> Option<AddressSlot> {
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(address).or_insert(0);
        if cap.is_some_and(|cap| *count >= cap) {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            counts: Arc::clone(self),
            address,
        })
    }
}

/// One open connection from `address`, given back when dropped.
#[derive(Debug)]
struct AddressSlot {
    counts: Arc<AddressCounts>,
    address: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.address) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

impl From<SocketAddr> for Peer {
    fn from(address: SocketAddr) -> Self {
        Self {
            address,
            mutual_tls: false,
            client_certificate: None,
        }
    }
}

/// Resolves once the server is told to stop (or the sender is gone).
pub(crate) async fn until_stopping(stop: &mut watch::Receiver<bool>) {
    // The borrowed value is dropped here: holding it across an await is not `Send`.
    let _ = stop.wait_for(|stopping| *stopping).await.map(drop);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_at_most_its_cap_of_slots_and_they_come_back_when_dropped() {
        let counts = Arc::new(AddressCounts::default());
        let a: IpAddr = [192, 0, 2, 1].into();
        let b: IpAddr = [192, 0, 2, 2].into();
        let first = counts.take(a, Some(2)).unwrap();
        let _second = counts.take(a, Some(2)).unwrap();
        assert!(counts.take(a, Some(2)).is_none());
        // Another address is counted apart; no cap means none.
        assert!(counts.take(b, Some(2)).is_some());
        assert!(counts.take(a, None).is_some());
        drop(first);
        assert!(counts.take(a, Some(2)).is_some());
    }
}
