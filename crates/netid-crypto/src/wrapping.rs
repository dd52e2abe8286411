//! The seam for a key that wraps other keys without ever leaving where it lives: a hardware
//! token through PKCS#11 (netid's server implements it with `cryptoki`), or a GM/T 0018
//! cryptographic device, whose SDF interface would wrap with SM4 in the same way (not
//! available here, so not built). netid wraps its master key with such a key, so that the
//! data directory alone opens nothing.

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

/// Why a provider could not wrap or unwrap: its own words, naming the operation (never a
/// secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WrappingError(pub String);
