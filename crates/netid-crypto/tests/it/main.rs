//! Integration tests of netid-crypto's public API: published vectors, Wycheproof, OpenSSL
//! cross-checks, key encodings and properties. One binary, one module per concern.

// A test binary: helpers outside `#[test]` functions should fail loudly too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::as_conversions
)]

mod gm_vectors;
mod held;
mod keys;
mod openssl;
mod properties;
mod wycheproof_suites;

use netid_crypto::Suite;

/// Every suite-dependent test runs for both suites.
pub(crate) fn both_suites() -> [Suite; 2] {
    [Suite::gm(), Suite::intl()]
}

/// Decodes hex from a vector file, naming the field on failure.
pub(crate) fn unhex(field: &str, value: &str) -> Vec<u8> {
    hex::decode(value).unwrap_or_else(|e| panic!("vector field {field} is not hex: {e}"))
}

/// Loads `tests/vectors/NAME`.
pub(crate) fn vector_file(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
