//! The server's one typed configuration: defaults, overlaid by `NETID_*` environment
//! variables, overlaid by command-line flags, validated once at start-up.

use std::net::SocketAddr;
use std::path::PathBuf;

use netid_crypto::SuiteId;

use crate::error::Error;
use crate::keys::MasterKey;
pub use crate::rate_limit::Rate;

/// The largest request body accepted, in bytes (a roster of some thousand records fits; a CA
/// handover package must too).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Validated configuration.
#[derive(Debug)]
pub struct Config {
    /// Where to listen; default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Where operators reach the operator endpoints, and nothing else does
    /// (`NETID_ADMIN_LISTEN`, default `127.0.0.1:8081`): a loopback address, or any with
    /// [`Config::admin_tls`]. The public listener refuses the operator endpoints.
    pub admin_listen: SocketAddr,
    /// Whether the administration listener serves TLS (the service's certificate), takes only
    /// connections with a client certificate, and serves an operator's request only if that
    /// certificate is for the key that signed it (`NETID_ADMIN_TLS=on`; needed off loopback).
    pub admin_tls: bool,
    /// The operator console's URL as operators reach it (`NETID_ADMIN_PUBLIC_URL`; default
    /// `http://localhost:PORT`, or `https://` with [`Config::admin_tls`]): the origin of the
    /// operators' passkeys, which take a name, never an IP address.
    pub admin_public_url: Option<String>,
    /// Where the database and the master key file live; default `./netid-data`.
    pub data_dir: PathBuf,
    /// The master key, when given by `NETID_MASTER_KEY` (hex); otherwise the key file in the
    /// data directory is used (and created on first run).
    pub master_key: Option<MasterKey>,
    /// The share files that recover a split master key (`NETID_MASTER_KEY_SHARES`,
    /// comma-separated paths; `netid master-key split` made them), when the key is split.
    pub master_key_shares: Vec<PathBuf>,
    /// The PKCS#11 token whose key wraps the master key (`NETID_PKCS11_MODULE`,
    /// `NETID_PKCS11_TOKEN`, `NETID_PKCS11_PIN_FILE`, and `NETID_PKCS11_KEY` for another
    /// key label), when it is given.
    pub token: Option<crate::token::TokenConfig>,
    /// The key `netid rotate-master-key` moves to, from `NETID_NEW_MASTER_KEY` (hex): required
    /// when the master key comes from `NETID_MASTER_KEY`; with the key file, a rotation
    /// generates one when this is unset. Serving ignores it.
    pub new_master_key: Option<MasterKey>,
    /// The new key's share files, for a rotation of a split key cut short after its new
    /// shares were written (`NETID_NEW_MASTER_KEY_SHARES`, comma-separated paths).
    pub new_master_key_shares: Vec<PathBuf>,
    /// Where a rotation of a split master key writes the new key's share files (`netid
    /// rotate-master-key --shares-out DIR`; no variable: each rotation names a new place).
    pub new_shares_out: Option<PathBuf>,
    /// The transparency log's origin (the first line of its checkpoints and its key name);
    /// default `netid.localhost/log`. Give each deployment its own.
    pub log_origin: String,
    /// The suite of the CA inside the service: `gm` (SM2, the default) or `intl` (P-256).
    pub ca_suite: SuiteId,
    /// The service's public base URL, written into certificates as the CRL and OCSP
    /// locations and into Net Certificates as the issuer; `None`: `http://` and the address
    /// the server is bound to.
    pub public_url: Option<String>,
    /// Who operates the service and how to reach them, as the notice of Art. 10 names them
    /// (one line of 1 to 300 characters); `None`: a placeholder that says the operator
    /// publishes them.
    pub notice_operator: Option<String>,
    /// Requests a second from one source address (burst twice that); 0 is off. Default 1000.
    pub rate_per_address: Rate,
    /// Authenticated requests a second of one platform (burst twice that); 0 is off.
    /// Default 1000.
    pub rate_per_platform: Rate,
    /// The PostgreSQL database (`postgres://user@host/db`) to use instead of the embedded
    /// SQLite file; the master key file still lives in the data directory.
    pub database_url: Option<DatabaseUrl>,
    /// PostgreSQL: the connection pool's size and the statement timeout.
    pub database: netid_store::PostgresOptions,
    /// Serve HTTPS with this certificate chain and key (PEM files, `NETID_TLS_CERT` and
    /// `NETID_TLS_KEY`, both or neither); `None`: plain HTTP, for loopback or behind a
    /// TLS-terminating proxy.
    pub tls: Option<TlsFiles>,
    /// A second HTTPS listener that asks clients for certificates, for platforms'
    /// mutual-TLS authentication (`NETID_MTLS_LISTEN`, needs `tls` and the `intl` CA suite),
    /// and the public URL it is reached at (`NETID_MTLS_PUBLIC_URL`; default `https://` and
    /// the bound address). Discovery names it in `mtls_endpoint_aliases`; the main listener
    /// asks no one for a certificate.
    pub mtls: Option<(SocketAddr, Option<String>)>,
    /// How long a connection may stay without reading or writing a byte before the server
    /// closes it (`NETID_IDLE_TIMEOUT_SECONDS`, 1 to 3600; default 60). Keep it above 15 s,
    /// the longest a request may run, so that no request is cut while it is answered.
    pub idle_timeout: std::time::Duration,
    /// How long security events are kept, in days (`NETID_SECURITY_EVENT_RETENTION_DAYS`,
    /// 180 to 3650; default 365): GB/T 22239 asks for at least six months.
    pub security_event_retention_days: u32,
    /// How long a verification, sign-in or disclosure stays linked to its holder at the
    /// centre, in days (`NETID_USE_LINK_RETENTION_DAYS`, 1 to 3650; default 180): then the
    /// link and the key that would restore it are destroyed (see `forgetting`).
    pub use_link_retention_days: u32,
    /// The push services the service posts alerts to (`NETID_PUSH_HOSTS`, comma separated,
    /// `*.` a suffix; default the browsers' own: Google's, Mozilla's, Apple's, Microsoft's).
    /// `127.0.0.1` also allows plain http to the loopback address (tests).
    pub push_hosts: String,
    /// Which operator accounts (of every role but the auditor's) must confirm with a passkey
    /// before they change anything (`NETID_OPERATOR_SECOND_FACTOR`: `required`, every one;
    /// `enrolled`, the default, those that have a passkey). See `second_factor`.
    pub operator_second_factor: crate::SecondFactorPolicy,
    /// Connections open at once, in all (`NETID_MAX_CONNECTIONS`); `None`: as many as the
    /// process's file-descriptor limit leaves room for (raised to its hard limit at start).
    /// Past it the server stops accepting until one closes.
    pub max_connections: Option<u32>,
    /// Connections open at once from one source address (`NETID_MAX_CONNECTIONS_PER_ADDRESS`,
    /// default 128, 0 for no limit); more are closed at once. Behind a load balancer, which
    /// connects from few addresses, limit addresses there instead and set 0 here.
    pub max_connections_per_address: u32,
}

/// The server's TLS certificate chain and private key, PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub certificate: PathBuf,
    /// The private key (PKCS#8, SEC1 or PKCS#1). Keep it readable by the service alone.
    pub key: PathBuf,
}

/// A PostgreSQL URL. It may carry a password, so `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL itself, to connect with.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("DatabaseUrl(..)")
    }
}

impl Config {
    /// The storage backend's name, as `GET /metrics` reports it.
    pub fn backend(&self) -> &'static str {
        if self.database_url.is_some() {
            "postgresql"
        } else {
            "sqlite"
        }
    }
}

/// A socket address setting.
fn socket_address(key: &'static str, value: &str) -> Result<SocketAddr, Error> {
    value.trim().parse().map_err(|_| Error::Config {
        key,
        expected: "a socket address such as 127.0.0.1:8080",
    })
}

/// Comma-separated paths.
fn paths(value: &str) -> Vec<PathBuf> {
    value
        .split(',')
        .map(str::trim)
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
        .collect()
}

/// A base URL setting, without its trailing slashes.
fn base_url(key: &'static str, value: &str) -> Result<String, Error> {
    let url = value.trim().trim_end_matches('/');
    let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
    if !scheme_ok || url.chars().any(char::is_whitespace) {
        return Err(Error::Config {
            key,
            expected: "an http:// or https:// URL without spaces",
        });
    }
    Ok(url.to_owned())
}

/// Values from the command line; `None` keeps the environment's or the default.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--listen`.
    pub listen: Option<SocketAddr>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
}

/// The environment variables netid reads.
pub const ENV_LISTEN: &str = "NETID_LISTEN";
/// See [`Config::admin_listen`].
pub const ENV_ADMIN_LISTEN: &str = "NETID_ADMIN_LISTEN";
/// See [`Config::admin_tls`].
pub const ENV_ADMIN_TLS: &str = "NETID_ADMIN_TLS";
/// See [`Config::admin_public_url`].
pub const ENV_ADMIN_PUBLIC_URL: &str = "NETID_ADMIN_PUBLIC_URL";
/// See [`Config::data_dir`].
pub const ENV_DATA_DIR: &str = "NETID_DATA_DIR";
/// See [`Config::master_key`].
pub const ENV_MASTER_KEY: &str = "NETID_MASTER_KEY";
/// See [`Config::master_key_shares`].
pub const ENV_MASTER_KEY_SHARES: &str = "NETID_MASTER_KEY_SHARES";
/// See [`Config::token`].
pub const ENV_PKCS11_MODULE: &str = "NETID_PKCS11_MODULE";
/// See [`Config::token`].
pub const ENV_PKCS11_TOKEN: &str = "NETID_PKCS11_TOKEN";
/// See [`Config::token`].
pub const ENV_PKCS11_PIN_FILE: &str = "NETID_PKCS11_PIN_FILE";
/// See [`Config::token`].
pub const ENV_PKCS11_KEY: &str = "NETID_PKCS11_KEY";
/// See [`Config::new_master_key_shares`].
pub const ENV_NEW_MASTER_KEY_SHARES: &str = "NETID_NEW_MASTER_KEY_SHARES";
/// See [`Config::new_master_key`].
pub const ENV_NEW_MASTER_KEY: &str = "NETID_NEW_MASTER_KEY";
/// Retired: the anonymous operator credential. Refused with a pointer to its successor.
pub const ENV_OPERATOR_CREDENTIAL_FILE: &str = "NETID_OPERATOR_CREDENTIAL_FILE";
/// See [`Config::ca_suite`].
pub const ENV_CA_SUITE: &str = "NETID_CA_SUITE";
/// See [`Config::public_url`].
pub const ENV_PUBLIC_URL: &str = "NETID_PUBLIC_URL";
/// See [`Config::notice_operator`].
pub const ENV_NOTICE_OPERATOR: &str = "NETID_NOTICE_OPERATOR";
/// See [`Config::rate_per_address`].
pub const ENV_RATE_PER_ADDRESS: &str = "NETID_RATE_LIMIT_PER_ADDRESS";
/// See [`Config::rate_per_platform`].
pub const ENV_RATE_PER_PLATFORM: &str = "NETID_RATE_LIMIT_PER_PLATFORM";
/// See [`Config::database_url`].
pub const ENV_DATABASE_URL: &str = "NETID_DATABASE_URL";
/// See [`Config::database`]: connections in the pool (default 16).
pub const ENV_DATABASE_POOL_SIZE: &str = "NETID_DATABASE_POOL_SIZE";
/// See [`Config::database`]: the CA certificates (PEM) a database server's certificate must
/// chain to under `sslmode=require` (default: the public web PKI's roots).
pub const ENV_DATABASE_CA_FILE: &str = "NETID_DATABASE_CA_FILE";
/// See [`Config::database`]: milliseconds a statement may run (default 5000; 0 = no limit).
pub const ENV_DATABASE_STATEMENT_TIMEOUT_MS: &str = "NETID_DATABASE_STATEMENT_TIMEOUT_MS";
/// See [`Config::log_origin`].
pub const ENV_LOG_ORIGIN: &str = "NETID_TRANSPARENCY_ORIGIN";
/// See [`Config::tls`].
pub const ENV_TLS_CERT: &str = "NETID_TLS_CERT";
/// See [`Config::tls`].
pub const ENV_TLS_KEY: &str = "NETID_TLS_KEY";
/// See [`Config::mtls`].
pub const ENV_MTLS_LISTEN: &str = "NETID_MTLS_LISTEN";
/// See [`Config::mtls`].
pub const ENV_MTLS_PUBLIC_URL: &str = "NETID_MTLS_PUBLIC_URL";
/// See [`Config::idle_timeout`].
pub const ENV_IDLE_TIMEOUT_SECONDS: &str = "NETID_IDLE_TIMEOUT_SECONDS";
/// See [`Config::security_event_retention_days`].
pub const ENV_SECURITY_EVENT_RETENTION_DAYS: &str = "NETID_SECURITY_EVENT_RETENTION_DAYS";
/// See [`Config::use_link_retention_days`].
pub const ENV_USE_LINK_RETENTION_DAYS: &str = "NETID_USE_LINK_RETENTION_DAYS";
/// See [`Config::push_hosts`].
pub const ENV_PUSH_HOSTS: &str = "NETID_PUSH_HOSTS";
/// See [`Config::operator_second_factor`].
pub const ENV_OPERATOR_SECOND_FACTOR: &str = "NETID_OPERATOR_SECOND_FACTOR";
/// See [`Config::max_connections`].
pub const ENV_MAX_CONNECTIONS: &str = "NETID_MAX_CONNECTIONS";
/// See [`Config::max_connections_per_address`].
pub const ENV_MAX_CONNECTIONS_PER_ADDRESS: &str = "NETID_MAX_CONNECTIONS_PER_ADDRESS";
/// Log filter (tracing `EnvFilter` syntax), read by the binary.
pub const ENV_LOG: &str = "NETID_LOG";
/// Log format, `json` or `compact`, read by the binary.
pub const ENV_LOG_FORMAT: &str = "NETID_LOG_FORMAT";

/// `NETID_*` variables that belong to the test suite or to the client commands of the `netid`
/// binary, not to the server: set in the same shell, they must not stop `netid serve`.
/// Exact names; `NETID_TEST_*` is a whole prefix, checked apart.
const NOT_SERVER_KEYS: [&str; 6] = [
    "NETID_LOG_KEY",
    "NETID_BLESS",
    "NETID_SERVER",
    "NETID_ADMIN_SERVER",
    "NETID_OPERATOR_KEY",
    "NETID_PLATFORM_CREDENTIAL",
];

fn is_client_or_test_key(name: &str) -> bool {
    name.starts_with("NETID_TEST_") || NOT_SERVER_KEYS.contains(&name)
}

impl Config {
    /// The default listen address.
    pub const DEFAULT_LISTEN: &'static str = "127.0.0.1:8080";
    /// The default address of the administration listener (operator endpoints only).
    pub const DEFAULT_ADMIN_LISTEN: &'static str = "127.0.0.1:8081";
    /// The default data directory.
    pub const DEFAULT_DATA_DIR: &'static str = "./netid-data";
    /// The default transparency log origin.
    pub const DEFAULT_LOG_ORIGIN: &'static str = "netid.localhost/log";
    /// The default rate limit, per source address and per platform, in requests a second.
    pub const DEFAULT_RATE: u32 = 1000;
    /// See [`Config::idle_timeout`].
    pub const DEFAULT_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
    /// See [`Config::max_connections_per_address`].
    pub const DEFAULT_CONNECTIONS_PER_ADDRESS: u32 = 128;
    /// The default retention of security events, in days.
    pub const DEFAULT_SECURITY_EVENT_RETENTION_DAYS: u32 = 365;
    /// The retentions `NETID_SECURITY_EVENT_RETENTION_DAYS` accepts: at least six months.
    const SECURITY_EVENT_RETENTION_DAYS: core::ops::RangeInclusive<u32> = 180..=3650;
    /// The default link retention of uses, in days (see [`Config::use_link_retention_days`]).
    pub const DEFAULT_USE_LINK_RETENTION_DAYS: u32 = 180;
    /// The retentions `NETID_USE_LINK_RETENTION_DAYS` accepts.
    const USE_LINK_RETENTION_DAYS: core::ops::RangeInclusive<u32> = 1..=3650;
    /// The idle timeouts `NETID_IDLE_TIMEOUT_SECONDS` accepts.
    const IDLE_TIMEOUT_SECONDS: core::ops::RangeInclusive<u64> = 1..=3600;

    /// Builds the configuration from `env` (pairs of name and value, normally
    /// `std::env::vars_os()` converted) and `overrides`. An unknown `NETID_*` variable or a
    /// value that does not parse is an error naming the variable.
    pub fn load(
        env: impl IntoIterator<Item = (String, String)>,
        overrides: Overrides,
    ) -> Result<Self, Error> {
        let mut listen = None;
        let mut admin_listen = None;
        let mut admin_tls = false;
        let mut admin_public_url = None;
        let mut data_dir = None;
        let (mut master_key, mut new_master_key) = (None, None);
        let mut master_key_shares = Vec::new();
        let mut new_master_key_shares = Vec::new();
        let (mut token_module, mut token_label, mut token_pin_file, mut token_key) =
            (None, None, None, None);
        let mut log_origin = None;
        let mut ca_suite = SuiteId::Gm;
        let mut public_url = None;
        let mut notice_operator = None;
        let mut rate_per_address = Rate::per_second(Self::DEFAULT_RATE);
        let mut rate_per_platform = Rate::per_second(Self::DEFAULT_RATE);
        let mut database_url = None;
        let (mut tls_certificate, mut tls_key) = (None, None);
        let (mut mtls_listen, mut mtls_public_url) = (None, None);
        let mut idle_timeout = Self::DEFAULT_IDLE_TIMEOUT;
        let mut security_event_retention_days = Self::DEFAULT_SECURITY_EVENT_RETENTION_DAYS;
        let mut use_link_retention_days = Self::DEFAULT_USE_LINK_RETENTION_DAYS;
        let mut push_hosts = crate::push::DEFAULT_HOSTS.to_owned();
        let mut operator_second_factor = crate::SecondFactorPolicy::default();
        let mut max_connections = None;
        let mut max_connections_per_address = Self::DEFAULT_CONNECTIONS_PER_ADDRESS;
        let mut database = netid_store::PostgresOptions {
            pool_size: 16,
            statement_timeout: std::time::Duration::from_secs(5),
            ca_file: None,
        };
        for (name, value) in env {
            match name.as_str() {
                ENV_LISTEN => listen = Some(socket_address(ENV_LISTEN, &value)?),
                ENV_ADMIN_TLS => {
                    admin_tls = match value.trim() {
                        "on" => true,
                        "off" => false,
                        _ => {
                            return Err(Error::Config {
                                key: ENV_ADMIN_TLS,
                                expected: "on (TLS with operators' client certificates) or off",
                            });
                        }
                    };
                }
                ENV_ADMIN_LISTEN => {
                    admin_listen = Some(socket_address(ENV_ADMIN_LISTEN, &value)?);
                }
                ENV_DATA_DIR => {
                    if value.trim().is_empty() {
                        return Err(Error::Config {
                            key: ENV_DATA_DIR,
                            expected: "a directory path",
                        });
                    }
                    data_dir = Some(PathBuf::from(value));
                }
                ENV_MASTER_KEY => {
                    master_key = Some(MasterKey::from_hex(value.trim()).ok_or(Error::Config {
                        key: ENV_MASTER_KEY,
                        expected: "32 hex digits (a 128-bit key)",
                    })?);
                }
                ENV_MASTER_KEY_SHARES => master_key_shares = paths(&value),
                ENV_NEW_MASTER_KEY_SHARES => new_master_key_shares = paths(&value),
                ENV_PKCS11_MODULE => token_module = Some(PathBuf::from(value)),
                ENV_PKCS11_TOKEN => token_label = Some(value.trim().to_owned()),
                ENV_PKCS11_PIN_FILE => token_pin_file = Some(PathBuf::from(value)),
                ENV_PKCS11_KEY => token_key = Some(value.trim().to_owned()),
                ENV_NEW_MASTER_KEY => {
                    new_master_key =
                        Some(MasterKey::from_hex(value.trim()).ok_or(Error::Config {
                            key: ENV_NEW_MASTER_KEY,
                            expected: "32 hex digits (a 128-bit key)",
                        })?);
                }
                ENV_LOG_ORIGIN => {
                    let origin = value.trim();
                    // A signed-note key name: printable, no spaces and no '+'.
                    if origin.is_empty()
                        || !origin.bytes().all(|b| b.is_ascii_graphic() && b != b'+')
                    {
                        return Err(Error::Config {
                            key: ENV_LOG_ORIGIN,
                            expected: "a schema-less URL such as netid.example/log, without spaces or '+'",
                        });
                    }
                    log_origin = Some(origin.to_owned());
                }
                ENV_LOG | ENV_LOG_FORMAT => {}
                ENV_CA_SUITE => {
                    ca_suite = value.trim().parse().map_err(|_| Error::Config {
                        key: ENV_CA_SUITE,
                        expected: "gm or intl",
                    })?;
                }
                ENV_PUBLIC_URL => public_url = Some(base_url(ENV_PUBLIC_URL, &value)?),
                ENV_ADMIN_PUBLIC_URL => {
                    admin_public_url = Some(base_url(ENV_ADMIN_PUBLIC_URL, &value)?);
                }
                ENV_MTLS_PUBLIC_URL => {
                    mtls_public_url = Some(base_url(ENV_MTLS_PUBLIC_URL, &value)?);
                }
                ENV_MTLS_LISTEN => mtls_listen = Some(socket_address(ENV_MTLS_LISTEN, &value)?),
                ENV_OPERATOR_SECOND_FACTOR => {
                    operator_second_factor = value.trim().parse().map_err(|()| Error::Config {
                        key: ENV_OPERATOR_SECOND_FACTOR,
                        expected: "required (every operator but the auditor confirms with a passkey) or enrolled (those with a passkey)",
                    })?;
                }
                ENV_SECURITY_EVENT_RETENTION_DAYS => {
                    security_event_retention_days = value
                        .trim()
                        .parse()
                        .ok()
                        .filter(|days| Self::SECURITY_EVENT_RETENTION_DAYS.contains(days))
                        .ok_or(Error::Config {
                            key: ENV_SECURITY_EVENT_RETENTION_DAYS,
                            expected: "days from 180 (six months, the least GB/T 22239 allows) to 3650",
                        })?;
                }
                ENV_PUSH_HOSTS => push_hosts = value.trim().to_owned(),
                ENV_USE_LINK_RETENTION_DAYS => {
                    use_link_retention_days = value
                        .trim()
                        .parse()
                        .ok()
                        .filter(|days| Self::USE_LINK_RETENTION_DAYS.contains(days))
                        .ok_or(Error::Config {
                            key: ENV_USE_LINK_RETENTION_DAYS,
                            expected: "days from 1 to 3650",
                        })?;
                }
                ENV_IDLE_TIMEOUT_SECONDS => {
                    idle_timeout = value
                        .trim()
                        .parse()
                        .ok()
                        .filter(|seconds| Self::IDLE_TIMEOUT_SECONDS.contains(seconds))
                        .map(std::time::Duration::from_secs)
                        .ok_or(Error::Config {
                            key: ENV_IDLE_TIMEOUT_SECONDS,
                            expected: "seconds from 1 to 3600",
                        })?;
                }
                ENV_MAX_CONNECTIONS => {
                    max_connections =
                        Some(value.trim().parse().ok().filter(|count| *count > 0).ok_or(
                            Error::Config {
                                key: ENV_MAX_CONNECTIONS,
                                expected: "a number of connections from 1 to 4294967295",
                            },
                        )?);
                }
                ENV_MAX_CONNECTIONS_PER_ADDRESS => {
                    max_connections_per_address =
                        value.trim().parse().map_err(|_| Error::Config {
                            key: ENV_MAX_CONNECTIONS_PER_ADDRESS,
                            expected: "a number of connections, 0 to 4294967295 (0 turns the limit off)",
                        })?;
                }
                ENV_RATE_PER_ADDRESS | ENV_RATE_PER_PLATFORM => {
                    let key = if name == ENV_RATE_PER_ADDRESS {
                        ENV_RATE_PER_ADDRESS
                    } else {
                        ENV_RATE_PER_PLATFORM
                    };
                    let rate = Rate::per_second(value.trim().parse().map_err(|_| {
                        Error::Config {
                            key,
                            expected: "requests per second, 0 to 4294967295 (0 turns the limit off)",
                        }
                    })?);
                    if key == ENV_RATE_PER_ADDRESS {
                        rate_per_address = rate;
                    } else {
                        rate_per_platform = rate;
                    }
                }
                ENV_DATABASE_URL => {
                    let url = value.trim();
                    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                        return Err(Error::Config {
                            key: ENV_DATABASE_URL,
                            expected: "a postgres:// or postgresql:// URL",
                        });
                    }
                    database_url = Some(DatabaseUrl(url.to_owned()));
                }
                ENV_DATABASE_POOL_SIZE => {
                    database.pool_size = value
                        .trim()
                        .parse()
                        .ok()
                        .filter(|size| (1..=1000).contains(size))
                        .ok_or(Error::Config {
                            key: ENV_DATABASE_POOL_SIZE,
                            expected: "a number of connections from 1 to 1000",
                        })?;
                }
                ENV_DATABASE_CA_FILE => {
                    if value.trim().is_empty() {
                        return Err(Error::Config {
                            key: ENV_DATABASE_CA_FILE,
                            expected: "a PEM file path",
                        });
                    }
                    database.ca_file = Some(PathBuf::from(value));
                }
                ENV_DATABASE_STATEMENT_TIMEOUT_MS => {
                    let millis: u64 = value.trim().parse().map_err(|_| Error::Config {
                        key: ENV_DATABASE_STATEMENT_TIMEOUT_MS,
                        expected: "milliseconds (0 for no limit)",
                    })?;
                    database.statement_timeout = std::time::Duration::from_millis(millis);
                }
                ENV_NOTICE_OPERATOR => {
                    let text = value.trim();
                    if text.is_empty() || text.chars().count() > 300 || text.contains('\n') {
                        return Err(Error::Config {
                            key: ENV_NOTICE_OPERATOR,
                            expected: "one line of 1 to 300 characters: the operator's name and contact",
                        });
                    }
                    notice_operator = Some(text.to_owned());
                }
                ENV_TLS_CERT | ENV_TLS_KEY => {
                    let (key, slot) = if name == ENV_TLS_CERT {
                        (ENV_TLS_CERT, &mut tls_certificate)
                    } else {
                        (ENV_TLS_KEY, &mut tls_key)
                    };
                    if value.trim().is_empty() {
                        return Err(Error::Config {
                            key,
                            expected: "a PEM file path",
                        });
                    }
                    *slot = Some(PathBuf::from(value));
                }
                ENV_OPERATOR_CREDENTIAL_FILE => {
                    return Err(Error::Config {
                        key: ENV_OPERATOR_CREDENTIAL_FILE,
                        expected: "to be unset: the shared operator credential is retired; each \
                                   operator signs with their own key (see `netid operator setup`)",
                    });
                }
                other if other.starts_with("NETID_") && !is_client_or_test_key(other) => {
                    return Err(Error::UnknownConfigKey {
                        key: other.to_owned(),
                    });
                }
                _ => {}
            }
        }
        let default_listen = Self::DEFAULT_LISTEN
            .parse()
            .map_err(|_| Error::Internal("default listen address"))?;
        let listen = overrides.listen.or(listen).unwrap_or(default_listen);
        let admin_listen = match admin_listen {
            Some(address) => address,
            None => Self::DEFAULT_ADMIN_LISTEN
                .parse()
                .map_err(|_| Error::Internal("default administration address"))?,
        };
        let tls = match (tls_certificate, tls_key) {
            (Some(certificate), Some(key)) => Some(TlsFiles { certificate, key }),
            (None, None) => None,
            (Some(_), None) | (None, Some(_)) => {
                return Err(Error::Config {
                    key: ENV_TLS_CERT,
                    expected: "NETID_TLS_CERT and NETID_TLS_KEY set together",
                });
            }
        };
        // Off loopback, only operators' own keys open a connection.
        if !admin_listen.ip().is_loopback() && !admin_tls {
            return Err(Error::Config {
                key: ENV_ADMIN_LISTEN,
                expected: "a loopback address (127.0.0.1 or ::1), or NETID_ADMIN_TLS=on: administration over the network takes TLS with operators' client certificates",
            });
        }
        if admin_tls && tls.is_none() {
            return Err(Error::Config {
                key: ENV_ADMIN_TLS,
                expected: "NETID_TLS_CERT and NETID_TLS_KEY set too: the administration listener serves the service's certificate",
            });
        }
        // Operators' passkeys belong to a name the service must be told.
        if !admin_listen.ip().is_loopback() && admin_public_url.is_none() {
            return Err(Error::Config {
                key: ENV_ADMIN_PUBLIC_URL,
                expected: "the operator console's URL as operators reach it (https://name:port), when the administration listener is off loopback: operators' passkeys belong to it",
            });
        }
        let mtls = match mtls_listen {
            Some(_) if tls.is_none() => {
                return Err(Error::Config {
                    key: ENV_MTLS_LISTEN,
                    expected: "NETID_TLS_CERT and NETID_TLS_KEY set too: mutual TLS is TLS",
                });
            }
            // rustls has no SM2 signature scheme, so it cannot check a handshake signed with
            // an SM2 client certificate.
            Some(_) if ca_suite != SuiteId::Intl => {
                return Err(Error::Config {
                    key: ENV_MTLS_LISTEN,
                    expected: "NETID_CA_SUITE=intl: the TLS stack cannot check SM2 client certificates",
                });
            }
            Some(address) => Some((address, mtls_public_url)),
            None => None,
        };
        let token = match (token_module, token_label, token_pin_file) {
            (Some(module), Some(token), Some(pin_file)) => Some(crate::token::TokenConfig {
                module,
                token,
                pin_file,
                key: token_key.unwrap_or_else(|| crate::token::DEFAULT_KEY_LABEL.to_owned()),
            }),
            (None, None, None) if token_key.is_none() => None,
            _ => {
                return Err(Error::Config {
                    key: ENV_PKCS11_MODULE,
                    expected: "NETID_PKCS11_MODULE, NETID_PKCS11_TOKEN and NETID_PKCS11_PIN_FILE set together",
                });
            }
        };
        // A key given whole beside shares or a token: one of them would be ignored in silence.
        if master_key.is_some() && (!master_key_shares.is_empty() || token.is_some()) {
            return Err(Error::Config {
                key: ENV_MASTER_KEY,
                expected: "unset when NETID_MASTER_KEY_SHARES or NETID_PKCS11_* give the master key",
            });
        }
        Ok(Self {
            listen,
            admin_listen,
            admin_tls,
            admin_public_url,
            data_dir: overrides
                .data_dir
                .or(data_dir)
                .unwrap_or_else(|| PathBuf::from(Self::DEFAULT_DATA_DIR)),
            master_key,
            master_key_shares,
            new_master_key_shares,
            new_shares_out: None,
            token,
            new_master_key,
            log_origin: log_origin.unwrap_or_else(|| Self::DEFAULT_LOG_ORIGIN.to_owned()),
            ca_suite,
            public_url,
            notice_operator,
            rate_per_address,
            rate_per_platform,
            database_url,
            database,
            tls,
            mtls,
            idle_timeout,
            security_event_retention_days,
            use_link_retention_days,
            push_hosts,
            operator_second_factor,
            max_connections,
            max_connections_per_address,
        })
    }

    /// The process environment as UTF-8 pairs; a `NETID_*` variable that is not UTF-8 is an
    /// error naming it, others are skipped.
    pub fn process_env() -> Result<Vec<(String, String)>, Error> {
        let mut pairs = Vec::new();
        for (name, value) in std::env::vars_os() {
            let Some(name) = name.to_str().map(str::to_owned) else {
                continue;
            };
            match value.into_string() {
                Ok(value) => pairs.push((name, value)),
                Err(_) if name.starts_with("NETID_") => {
                    return Err(Error::UnknownConfigKey { key: name });
                }
                Err(_) => {}
            }
        }
        Ok(pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_apply_without_environment_or_flags() {
        let config = Config::load(env(&[("PATH", "/bin")]), Overrides::default()).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.data_dir, PathBuf::from("./netid-data"));
        assert!(config.master_key.is_none());
        assert_eq!(config.idle_timeout, std::time::Duration::from_secs(60));
    }

    #[test]
    fn idle_timeout_is_read_and_checked() {
        let config = Config::load(
            env(&[("NETID_IDLE_TIMEOUT_SECONDS", "120")]),
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(config.idle_timeout, std::time::Duration::from_secs(120));
        for bad in ["0", "3601", "-1", "1m", ""] {
            let error = Config::load(
                env(&[("NETID_IDLE_TIMEOUT_SECONDS", bad)]),
                Overrides::default(),
            )
            .unwrap_err();
            assert!(
                error.to_string().contains("NETID_IDLE_TIMEOUT_SECONDS"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn flags_override_environment_which_overrides_defaults() {
        let vars = env(&[
            ("NETID_LISTEN", "127.0.0.1:9000"),
            ("NETID_DATA_DIR", "/tmp/a"),
        ]);
        let config = Config::load(vars.clone(), Overrides::default()).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(config.data_dir, PathBuf::from("/tmp/a"));
        let flags = Overrides {
            listen: Some("127.0.0.1:9001".parse().unwrap()),
            data_dir: Some(PathBuf::from("/tmp/b")),
        };
        let config = Config::load(vars, flags).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:9001");
        assert_eq!(config.data_dir, PathBuf::from("/tmp/b"));
    }

    #[test]
    fn bad_values_and_unknown_keys_name_the_key() {
        let error =
            Config::load(env(&[("NETID_LISTEN", "nowhere")]), Overrides::default()).unwrap_err();
        assert!(matches!(
            error,
            Error::Config {
                key: "NETID_LISTEN",
                ..
            }
        ));
        assert!(error.to_string().contains("NETID_LISTEN"));

        let error =
            Config::load(env(&[("NETID_MASTER_KEY", "abcd")]), Overrides::default()).unwrap_err();
        assert!(matches!(
            error,
            Error::Config {
                key: "NETID_MASTER_KEY",
                ..
            }
        ));
        // The message never repeats the (secret) value.
        assert!(!error.to_string().contains("abcd"));

        // A whole key beside shares or a token: refused rather than one ignored.
        let whole = ("NETID_MASTER_KEY", "00112233445566778899aabbccddeeff");
        for beside in [
            vec![("NETID_MASTER_KEY_SHARES", "/a,/b")],
            vec![
                ("NETID_PKCS11_MODULE", "/lib/p11.so"),
                ("NETID_PKCS11_TOKEN", "t"),
                ("NETID_PKCS11_PIN_FILE", "/pin"),
            ],
        ] {
            let mut given = vec![whole];
            given.extend(beside);
            let error = Config::load(env(&given), Overrides::default()).unwrap_err();
            assert!(
                matches!(
                    error,
                    Error::Config {
                        key: "NETID_MASTER_KEY",
                        ..
                    }
                ),
                "{error}"
            );
            assert!(!error.to_string().contains(whole.1));
        }

        let error = Config::load(env(&[("NETID_LISTN", "x")]), Overrides::default()).unwrap_err();
        assert!(matches!(&error, Error::UnknownConfigKey { key } if key == "NETID_LISTN"));
    }

    #[test]
    fn retired_credential_file_is_refused_and_log_origin_is_read_and_checked() {
        let error = Config::load(
            env(&[("NETID_OPERATOR_CREDENTIAL_FILE", "/run/secrets/op")]),
            Overrides::default(),
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("netid operator setup"),
            "{error}"
        );
        let config = Config::load(
            env(&[("NETID_TRANSPARENCY_ORIGIN", "netid.example/log")]),
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(config.log_origin, "netid.example/log");
        let error = Config::load(
            env(&[("NETID_TRANSPARENCY_ORIGIN", "has space")]),
            Overrides::default(),
        )
        .unwrap_err();
        assert!(error.to_string().contains("NETID_TRANSPARENCY_ORIGIN"));
        // Client variables are exact names, not prefixes.
        assert!(Config::load(env(&[("NETID_SERVER", "x")]), Overrides::default()).is_ok());
        assert!(Config::load(env(&[("NETID_SERVERS", "x")]), Overrides::default()).is_err());
    }

    #[test]
    fn the_notice_operator_is_one_line_of_at_most_300_characters() {
        let config = Config::load(
            env(&[(
                "NETID_NOTICE_OPERATOR",
                " 测试运营中心, privacy@netid.example ",
            )]),
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(
            config.notice_operator.as_deref(),
            Some("测试运营中心, privacy@netid.example")
        );
        for bad in ["", "   ", "two\nlines", &"x".repeat(301)] {
            let error = Config::load(env(&[("NETID_NOTICE_OPERATOR", bad)]), Overrides::default())
                .unwrap_err();
            assert!(matches!(
                error,
                Error::Config {
                    key: "NETID_NOTICE_OPERATOR",
                    ..
                }
            ));
        }
    }

    #[test]
    fn rate_limits_default_to_1000_a_second_and_0_turns_them_off() {
        let config = Config::load(env(&[]), Overrides::default()).unwrap();
        assert_eq!(config.rate_per_address, Rate::per_second(1000));
        assert_eq!(config.rate_per_platform, Rate::per_second(1000));
        let config = Config::load(
            env(&[
                ("NETID_RATE_LIMIT_PER_ADDRESS", "0"),
                ("NETID_RATE_LIMIT_PER_PLATFORM", "25"),
            ]),
            Overrides::default(),
        )
        .unwrap();
        assert!(!config.rate_per_address.is_on());
        assert_eq!(config.rate_per_platform, Rate::per_second(25));
        let error = Config::load(
            env(&[("NETID_RATE_LIMIT_PER_PLATFORM", "-1")]),
            Overrides::default(),
        )
        .unwrap_err();
        assert!(matches!(
            error,
            Error::Config {
                key: "NETID_RATE_LIMIT_PER_PLATFORM",
                ..
            }
        ));
    }

    #[test]
    fn a_database_url_selects_postgresql_with_its_pool_and_timeout() {
        let config = Config::load(env(&[]), Overrides::default()).unwrap();
        assert_eq!(config.backend(), "sqlite");
        let config = Config::load(
            env(&[
                (
                    "NETID_DATABASE_URL",
                    "postgres://netid@127.0.0.1:5432/netid",
                ),
                ("NETID_DATABASE_POOL_SIZE", "4"),
                ("NETID_DATABASE_STATEMENT_TIMEOUT_MS", "250"),
            ]),
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(config.backend(), "postgresql");
        assert!(!format!("{config:?}").contains("secret"));
        assert_eq!(config.database.pool_size, 4);
        assert_eq!(
            config.database.statement_timeout,
            std::time::Duration::from_millis(250)
        );
        for (key, value) in [
            ("NETID_DATABASE_URL", "mysql://x"),
            ("NETID_DATABASE_POOL_SIZE", "0"),
            ("NETID_DATABASE_STATEMENT_TIMEOUT_MS", "soon"),
        ] {
            let error = Config::load(env(&[(key, value)]), Overrides::default()).unwrap_err();
            assert!(error.to_string().contains(key), "{error}");
        }
    }

    #[test]
    fn tls_needs_both_the_certificate_and_the_key() {
        let both = Config::load(
            env(&[
                ("NETID_TLS_CERT", "/etc/netid/tls.pem"),
                ("NETID_TLS_KEY", "/etc/netid/tls.key"),
            ]),
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(
            both.tls,
            Some(TlsFiles {
                certificate: PathBuf::from("/etc/netid/tls.pem"),
                key: PathBuf::from("/etc/netid/tls.key"),
            })
        );
        assert_eq!(
            Config::load(env(&[]), Overrides::default()).unwrap().tls,
            None
        );
        let half = Config::load(
            env(&[("NETID_TLS_KEY", "/etc/netid/tls.key")]),
            Overrides::default(),
        )
        .unwrap_err();
        assert!(
            half.to_string()
                .contains("NETID_TLS_CERT and NETID_TLS_KEY set together"),
            "{half}"
        );
    }

    #[test]
    fn mutual_tls_needs_tls_and_the_intl_ca() {
        let tls = [
            ("NETID_TLS_CERT", "/etc/netid/tls.pem"),
            ("NETID_TLS_KEY", "/etc/netid/tls.key"),
        ];
        let with = |extra: &[(&str, &str)]| {
            let mut pairs = tls.to_vec();
            pairs.extend_from_slice(extra);
            Config::load(env(&pairs), Overrides::default())
        };
        let config = with(&[
            ("NETID_MTLS_LISTEN", "0.0.0.0:8443"),
            ("NETID_CA_SUITE", "intl"),
        ])
        .unwrap();
        assert_eq!(config.mtls, Some(("0.0.0.0:8443".parse().unwrap(), None)));
        let gm = with(&[("NETID_MTLS_LISTEN", "0.0.0.0:8443")]).unwrap_err();
        assert!(gm.to_string().contains("NETID_CA_SUITE=intl"), "{gm}");
        let plain = Config::load(
            env(&[
                ("NETID_MTLS_LISTEN", "0.0.0.0:8443"),
                ("NETID_CA_SUITE", "intl"),
            ]),
            Overrides::default(),
        )
        .unwrap_err();
        assert!(
            plain
                .to_string()
                .contains("NETID_TLS_CERT and NETID_TLS_KEY set too"),
            "{plain}"
        );
    }

    #[test]
    fn test_suite_variables_are_not_config_keys() {
        assert!(
            Config::load(
                env(&[("NETID_TEST_DATABASE_URL", "x"), ("NETID_BLESS", "1")]),
                Overrides::default()
            )
            .is_ok()
        );
    }
}
