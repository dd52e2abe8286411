//! What clients send to authenticate, checked without IO: a holder's passkey ([`webauthn`]),
//! a platform's JWTs ([`jwt`]: `private_key_jwt` client assertions and DPoP proofs) and a
//! wallet's OpenID4VCI key proofs ([`key_proof`]).
//!
//! The caller gives the time, the challenge and what to expect, and keeps what must be
//! remembered (challenges, counters, used `jti`s): this crate stores nothing, so it cannot
//! refuse a replay on its own. It does not parse CBOR attestation objects (passkeys are read
//! from what the browser's API gives directly) and accepts ES256 passkeys only. Every error is
//! safe to send back: none repeats the input. A crate of its own so that the fuzz targets
//! reach these parsers without building the server.
//!
//! ```
//! use netid_authn::{jwt, webauthn::RelyingParty};
//!
//! let rp = RelyingParty::of("https://netid.example:8443").unwrap();
//! assert_eq!(rp.origin, "https://netid.example:8443");
//! assert_eq!(rp.id, "netid.example");
//!
//! let url = "https://netid.example/oidc/userinfo";
//! let refused = jwt::check_dpop_proof("not-a-jws", "GET", url, None, 1_800_000_000);
//! assert_eq!(refused, Err(jwt::DpopError::NotJws));
//! assert_eq!(jwt::DpopError::NotJws.to_string(), "the DPoP proof is not a compact JWS");
//! ```

pub mod jwt;
pub mod key_proof;
pub mod webauthn;
