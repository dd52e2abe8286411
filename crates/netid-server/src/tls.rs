//! HTTPS for `netid serve`: rustls with the operator's certificate chain and key. The main
//! listener asks no one for a certificate (a browser would offer its holder's). A second
//! listener, for platforms only, asks for one: the handshake proves the client holds the
//! certificate's key, and the OpenID Connect endpoints take it as the platform's mutual-TLS
//! authentication (RFC 8705 `tls_client_auth`) only if it is, byte for byte, a platform
//! certificate netid's CA issued and has not revoked (`oidc::flow`). So the handshake itself
//! accepts any chain: the CA's roots change at renewal, and the store knows every certificate
//! the CA issued.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::Listener;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::config::TlsFiles;
use crate::error::Error;

/// How long a client has to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections whose handshake is done and that wait to be served.
const READY_QUEUE: usize = 1024;
/// Handshakes under way at once; the listener accepts no more connections until one ends.
const CONCURRENT_HANDSHAKES: usize = 1024;

/// Who is at the other end of a connection: its address (for the per-address rate limit),
/// and whether it came to the mutual-TLS listener with which certificate (DER).
#[derive(Debug, Clone)]
pub struct Peer {
    /// The peer's address.
    pub address: SocketAddr,
    /// Whether the connection is to the mutual-TLS listener.
    pub mutual_tls: bool,
    /// The leaf certificate the client presented in the TLS handshake.
    pub client_certificate: Option<Arc<[u8]>>,
}

/// Whether a listener asks its clients for a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientCertificates {
    /// The main listener: a browser would offer its holder's.
    NotAsked,
    /// The mutual-TLS listener: a platform's, when it authenticates with one.
    Asked,
    /// The administration listener over TLS: no connection without one.
    Required,
}

/// The rustls server settings from the operator's PEM files, asking clients for certificates
/// as `clients` says.
pub(crate) fn server_config(
    files: &TlsFiles,
    clients: ClientCertificates,
) -> Result<Arc<ServerConfig>, Error> {
    let unreadable = |what: &'static str, path: &std::path::Path| Error::Tls {
        what,
        path: path.to_owned(),
    };
    let chain = CertificateDer::pem_file_iter(&files.certificate)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|_| unreadable("a PEM certificate chain", &files.certificate))?;
    if chain.is_empty() {
        return Err(unreadable("a PEM certificate chain", &files.certificate));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|_| unreadable("a PEM private key", &files.key))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let builder = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| Error::Internal("rustls refused its own default protocol versions"))?;
    let builder = match clients {
        ClientCertificates::NotAsked => builder.with_no_client_auth(),
        ClientCertificates::Asked | ClientCertificates::Required => builder
            .with_client_cert_verifier(Arc::new(AnyClientCertificate {
                algorithms,
                mandatory: clients == ClientCertificates::Required,
            })),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|_| Error::Tls {
            what: "a private key that matches the certificate",
            path: files.key.clone(),
        })?;
    // axum serves HTTP/1.1 here (its `http2` feature is off).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Asks for a client certificate (requiring one if `mandatory`), and checks the handshake
/// signature made with its key; whether the certificate counts for anything is the
/// application's call.
#[derive(Debug)]
struct AnyClientCertificate {
    algorithms: WebPkiSupportedAlgorithms,
    mandatory: bool,
}

impl ClientCertVerifier for AnyClientCertificate {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Accepts TCP connections and hands on those whose TLS handshake completes. Handshakes run
/// in their own tasks, with a deadline, so a slow client holds up no one else.
pub(crate) struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, Peer)>,
    local: SocketAddr,
    acceptor: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Serves TLS with `config` on `tcp`, which is bound to `local`; `mutual_tls` says it is
    /// the mutual-TLS listener.
    pub(crate) fn new(
        tcp: TcpListener,
        local: SocketAddr,
        config: Arc<ServerConfig>,
        mutual_tls: bool,
    ) -> Self {
        let (sender, ready) = mpsc::channel(READY_QUEUE);
        let acceptor = tokio::spawn(accept_loop(
            tcp,
            TlsAcceptor::from(config),
            mutual_tls,
            sender,
        ));
        Self {
            ready,
            local,
            acceptor,
        }
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    mutual_tls: bool,
    ready: mpsc::Sender<(TlsStream<TcpStream>, Peer)>,
) {
    let handshakes = Arc::new(Semaphore::new(CONCURRENT_HANDSHAKES));
    loop {
        let Ok(permit) = handshakes.clone().acquire_owned().await else {
            return;
        };
        let (stream, address) = match tcp.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: wait rather than spin.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (acceptor, ready) = (acceptor.clone(), ready.clone());
        tokio::spawn(async move {
            let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
            drop(permit);
            let Ok(Ok(tls)) = handshake else {
                tracing::debug!("a TLS handshake failed or timed out");
                return;
            };
            let client_certificate = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(<[CertificateDer]>::first)
                .map(|certificate| Arc::from(certificate.as_ref()));
            let peer = Peer {
                address,
                mutual_tls,
                client_certificate,
            };
            // The server has stopped if no one receives any more.
            let _ = ready.send((tls, peer)).await;
        });
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = Peer;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept loop ended, which it does only when aborted: serve nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(Peer {
            address: self.local,
            mutual_tls: false,
            client_certificate: None,
        })
    }
}
