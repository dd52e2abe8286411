//! netid-server: the netid HTTP API, its configuration, key management and wiring.
//!
//! What it does: [`app`] builds the axum router over an [`AppState`] (used by `main` and by
//! the tests alike); [`start`] opens a data directory (SQLite database, master key, service
//! keys generated on first run and stored sealed), binds and serves; [`serve`] does the same
//! until Ctrl-C or SIGTERM, then shuts down gracefully.
//!
//! What it does not do: parse command lines (the `netid` binary does) or print anything but
//! the first-run operator credential, which [`serve`] writes once to standard error.
//!
//! # Example
//!
//! ```no_run
//! use netid_server::{Config, Overrides};
//!
//! # async fn run() -> Result<(), netid_server::Error> {
//! let config = Config::load(Config::process_env()?, Overrides::default())?;
//! netid_server::serve(config).await
//! # }
//! ```

mod acts;
mod authority;
mod backup;
mod blind;
pub mod ca;
mod certificates;
pub mod clock;
mod complaints;
pub mod config;
mod connections;
mod corrections;
mod credentials;
mod deletion;
mod deps;
mod enrollment;
mod error;
mod forgetting;
mod grants;
mod holder_log;
mod http;
mod idle;
pub mod journal;
pub mod key_shares;
pub mod keys;
mod lock;
mod metrics;
mod net_certificates;
mod notice;
mod oidc;
mod operator;
mod operator_read;
pub mod operators;
mod pending;
mod personal;
mod push;
mod rate_limit;
mod recognition;
mod rotation;
mod second_factor;
mod security_events;
mod server;
mod signals;
mod standing;
mod state;
mod tls;
pub mod token;
pub mod transparency;
mod verification;
mod wallet;
mod wards;
mod web;

pub use authority::{Answer, AuthoritativeRecord, DocumentAuthority, Evidence, RosterAuthority};
pub use backup::{BackedUp, Restored, backup, restore};
pub use clock::Clock;
pub use config::{Config, MAX_BODY_BYTES, Overrides};
pub use error::{
    CaRefusal, EnrollmentRefusal, Error, NetCertificateRefusal, OperatorRefusal, Refusal,
    RosterRefusal, VerificationRefusal,
};
pub use http::{ApiError, MAX_CONCURRENT_REQUESTS, REQUEST_TIMEOUT, admin_app, app};

pub use key_shares::{Split, split_master_key};
pub use keys::{MasterKey, ServiceKeys};
pub use rotation::{ROTATION_BATCH, Rotated, rotate_master_key};
pub use second_factor::SecondFactorPolicy;
pub use server::{Running, open, serve, start, start_with_clock};
pub use state::AppState;
pub use tls::Peer;
pub use token::{TokenConfig, move_signing_keys_to_token, seal_master_key_to_token};
