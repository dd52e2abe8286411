//! End-to-end tests: a real server on 127.0.0.1:0 with a temporary SQLite data directory,
//! driven through HTTP like any client.

// A test binary: helpers outside `#[test]` functions should fail loudly too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::as_conversions
)]

mod administration;
mod backup;
mod bad_inputs;
mod browser;
mod ca;
mod client;
mod deletion;
mod documents;
mod fault;
mod flows;
mod forgetting;
mod grants;
mod high_availability;
mod hostile;
mod invariants;
mod key_shares;
mod lock;
mod logcheck;
mod minors;
mod mtls;
mod net_certificates;
mod notice;
mod oidc;
mod oidc_interop;
mod openid4vp;
mod operating;
mod operator_reads;
mod operators;
mod platforms;
mod privacy;
mod push;
mod restart;
mod rotation;
mod second_factor;
mod security_events;
mod signals;
mod succession;
mod transparency;
mod vci;
