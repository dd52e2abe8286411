//! netid's cryptography: two suites, one interface.
//!
//! The rest of netid names a [`Suite`] — `gm` (SM2, SM3, SM4; Measures Art. 13, the default) or
//! `intl` (P-256 ECDSA, SHA-256, AES-256-GCM) — and never a primitive. Through it, netid hashes
//! ([`Suite::hash`]), computes MACs ([`Suite::mac`]), encrypts data at rest
//! ([`Suite::encrypt`]), derives per-holder keys ([`Suite::derive_key`]) and signs
//! ([`Suite::generate_signing_key`], [`SigningKey::sign`], [`VerifyingKey::verify`]).
//!
//! What this crate does not do: choose keys' lifetimes, store keys, read clocks or files. It
//! draws randomness only from the OS CSPRNG, for key generation and nonces.
//!
//! Every primitive is a maintained library's: RustCrypto's `sm2`, `sm3`, `sm4`, `aes-gcm`
//! (whose generic GCM gives SM4-GCM), `hmac`, `hkdf`, `sha2`, `p256` for key encodings, and
//! `ring` for P-256 ECDSA and AES-256-GCM operations, chosen by measurement
//! (`BENCHMARKS.md`). Nothing here is hand-rolled. The tests check each primitive against
//! published vectors (GB/T 32905, GB/T 32907, GM/T 0003.5, RFC 8998, Wycheproof) and against
//! the `openssl` binary.
//!
//! # Example
//!
//! ```
//! use netid_crypto::{Suite, SuiteId};
//!
//! let suite = Suite::new("gm".parse::<SuiteId>()?);
//! let issuer = suite.generate_signing_key()?;
//! let signature = issuer.sign(b"payload")?;
//!
//! // A verifier that only has the issuer's published key:
//! let published = issuer.verifying_key().to_spki_pem()?;
//! let verifier = suite.verifying_key_from_spki_pem(&published)?;
//! verifier.verify(b"payload", &suite.signature_from_der(&signature.to_der()?)?)?;
//! # Ok::<(), netid_crypto::Error>(())
//! ```
//!
//! Secrets ([`SigningKey`], [`AeadKey`], [`MacKey`], and derived keys, which come back as
//! `Zeroizing<Vec<u8>>`) are zeroized on drop; the key types print nothing but their kind and
//! suite under `Debug`; signing keys and MAC tags compare in constant time (compare derived keys
//! with `subtle`, not `==`). Making key bytes visible takes a method whose name says `expose`. Two limits come from the backends and are
//! stated rather than hidden: `ring` does not zeroize its own copies of a P-256 scalar or an
//! AES key schedule, and RustCrypto's `sm4` (like OpenSSL 3.0's SM4) indexes its S-box by
//! secret-dependent bytes, so SM4 is not constant-time against a co-located cache attacker.

mod aead;
pub mod ecdh_es;
mod encrypt;
mod error;
mod hash;
mod jwk;
mod kdf;
mod mac;
mod random;
pub mod shares;
mod sign;
mod sm2_verify;
mod suite;
pub mod webpush;
mod wrapping;

pub use aead::{AeadKey, NONCE_LEN, TAG_LEN, key_len as aead_key_len};
pub use error::{Error, KeyEncoding, SignatureEncoding};
pub use hash::{DIGEST_LEN, Digest, Hasher};
pub use jwk::{Jwk, jwk_curve};
pub use kdf::MAX_DERIVED_LEN;
pub use mac::{MacKey, Tag};
pub use random::token as random_token;
pub use sign::{SIGNATURE_LEN, Signature, SigningKey, VerifyingKey};
pub use suite::{DistinguishingId, Suite, SuiteId};
pub use wrapping::{HeldSigningKey, KeyWrappingKey, WrappingError};
