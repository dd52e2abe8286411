//! The seam for keys that never leave where they live: a hardware token through PKCS#11
//! (netid's server implements both traits with `cryptoki`), or a GM/T 0018 cryptographic
//! device, whose SDF interface wraps with SM4 (`SDF_Encrypt` under an internal key) and signs
//! an SM2 digest (`SDF_InternalSign_ECC`) in the same way (no such device is available here,
//! so that provider is not built). netid wraps its master key with a [`KeyWrappingKey`], so
//! that the data directory alone opens nothing, and can sign with a [`HeldSigningKey`]
//! (through [`crate::Suite::held_signing_key`]), so that no copy of the data signs anything.

use zeroize::Zeroizing;

/// A key-wrapping key held by a provider outside this process's memory.
pub trait KeyWrappingKey {
    /// What and where it is, for messages (never a secret).
    fn describe(&self) -> String;

    /// Encrypts and authenticates `key` for `purpose` (bound as associated data).
    fn wrap(&self, purpose: &[u8], key: &[u8]) -> Result<Vec<u8>, WrappingError>;

    /// Opens what [`KeyWrappingKey::wrap`] made for the same `purpose`; an error if it was
    /// made by another key, for another purpose, or changed.
    fn unwrap(&self, purpose: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, WrappingError>;
}

/// A private signing key held by a provider: it signs a digest netid computed and gives back
/// `r || s`. netid hashes (SHA-256 of the message for P-256; `SM3(Z_A || M)` for SM2, the
/// form a GM/T 0018 device signs) because a token such as SoftHSM 2.6 signs ECDSA over a digest
/// only, and checks every signature against the public key before it is used.
pub trait HeldSigningKey: Send + Sync {
    /// What and where it is, for messages (never a secret).
    fn describe(&self) -> String;

    /// The signature `r || s` (32 bytes each, big-endian) over `digest`.
    fn sign_digest(&self, digest: &[u8; 32]) -> Result<[u8; 64], WrappingError>;
}

/// Why a provider could not wrap, unwrap or sign: its own words, naming the operation (never a
/// secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WrappingError(pub String);
