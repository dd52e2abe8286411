//! Message authentication: HMAC (RFC 2104) over SM3 for `gm`, over SHA-256 for `intl`.

use hmac::{Hmac, KeyInit, Mac};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::hash::DIGEST_LEN;
use crate::suite::{Suite, SuiteId};
use crate::{Error, random};

/// A MAC key: secret, zeroized on drop, never printed.
#[derive(Clone)]
pub struct MacKey(Zeroizing<Vec<u8>>);

impl MacKey {
    /// Recommended key length: one hash output, as RFC 2104 §3 advises.
    pub const RECOMMENDED_LEN: usize = DIGEST_LEN;
    /// Shortest key [`MacKey::from_bytes`] accepts: 128 bits. A short or empty pseudonym key
    /// would make pseudonyms guessable, so it is refused rather than silently used.
    pub const MIN_LEN: usize = 16;

    /// A fresh random key of [`Self::RECOMMENDED_LEN`] bytes from the OS CSPRNG.
    pub fn generate() -> Result<Self, Error> {
        let mut bytes = Zeroizing::new(vec![0u8; Self::RECOMMENDED_LEN]);
        random::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// A key from bytes the caller holds (for example, unwrapped from storage); fails when it
    /// is shorter than [`Self::MIN_LEN`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() < Self::MIN_LEN {
            return Err(Error::KeyLength {
                got: bytes.len(),
                want: Self::MIN_LEN,
            });
        }
        Ok(Self::danger_from_any_bytes(bytes))
    }

    /// A key of any length, even empty, as HMAC itself allows: for published test vectors and
    /// interoperability checks only, never for netid's own keys.
    pub fn danger_from_any_bytes(bytes: &[u8]) -> Self {
        Self(Zeroizing::new(bytes.to_vec()))
    }

    /// The secret bytes, for wrapping under a key-encryption key. Handle with care.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }
}

impl core::fmt::Debug for MacKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MacKey").finish_non_exhaustive()
    }
}

/// A MAC tag. Equality is constant-time.
#[derive(Clone, Copy)]
pub struct Tag([u8; DIGEST_LEN]);

impl Tag {
    /// The tag bytes.
    pub fn to_bytes(&self) -> [u8; DIGEST_LEN] {
        self.0
    }
}

impl AsRef<[u8]> for Tag {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq for Tag {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for Tag {}

impl core::fmt::Debug for Tag {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Tag").finish_non_exhaustive()
    }
}

impl Suite {
    /// HMAC of the concatenation of `parts` under `key`: HMAC-SM3 for `gm`, HMAC-SHA-256 for
    /// `intl`.
    ///
    /// ```
    /// use netid_crypto::{MacKey, Suite};
    ///
    /// let suite = Suite::gm();
    /// let key = MacKey::generate()?;
    /// let tag = suite.mac(&key, &[b"net id", b"|platform"]);
    /// suite.verify_mac(&key, &[b"net id|platform"], tag.as_ref())?;
    /// # Ok::<(), netid_crypto::Error>(())
    /// ```
    pub fn mac(&self, key: &MacKey, parts: &[&[u8]]) -> Tag {
        Tag(match self.id() {
            SuiteId::Gm => hmac_of::<Hmac<sm3::Sm3>>(key, parts),
            SuiteId::Intl => hmac_of::<Hmac<sha2::Sha256>>(key, parts),
        })
    }

    /// Checks `tag` against the HMAC of `parts`, in constant time.
    pub fn verify_mac(&self, key: &MacKey, parts: &[&[u8]], tag: &[u8]) -> Result<(), Error> {
        let expected = self.mac(key, parts);
        // A wrong-length tag cannot match; `ct_eq` on slices of unequal length is false.
        if bool::from(expected.0.as_slice().ct_eq(tag)) {
            Ok(())
        } else {
            Err(Error::BadMac)
        }
    }
}

fn hmac_of<M: Mac + KeyInit>(key: &MacKey, parts: &[&[u8]]) -> [u8; DIGEST_LEN] {
    // HMAC (RFC 2104 §2) accepts keys of any length: longer ones are hashed, shorter ones
    // padded, so `new_from_slice` has no failure case for `Hmac<D>`.
    #[allow(clippy::expect_used)]
    let mut mac = <M as KeyInit>::new_from_slice(&key.0).expect("hmac accepts any key length");
    for part in parts {
        mac.update(part);
    }
    // Both suites' hashes (SM3, SHA-256) have 32-byte outputs, the only `M`s used here.
    let mut out = [0u8; DIGEST_LEN];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}
