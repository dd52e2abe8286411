//! What clients send to authenticate, checked without IO: a holder's passkey ([`webauthn`])
//! and a platform's JWTs ([`jwt`]: `private_key_jwt` client assertions and DPoP proofs).
//!
//! The caller gives the time, the challenge and what to expect, and keeps what must be
//! remembered (challenges, counters, used `jti`s). Every error is safe to send back: none
//! repeats the input. A crate of its own so that the fuzz targets reach these parsers without
//! building the server.

pub mod jwt;
pub mod webauthn;
