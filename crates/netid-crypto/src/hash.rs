//! Hashing: SM3 (GB/T 32905) for `gm`, SHA-256 (FIPS 180-4) for `intl`.

use sha2::Digest as _;

use crate::suite::{Suite, SuiteId};

/// Output length of both suites' hashes, in bytes.
pub const DIGEST_LEN: usize = 32;

/// A hash value, tagged with the suite that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest {
    suite: SuiteId,
    bytes: [u8; DIGEST_LEN],
}

impl Digest {
    /// The suite whose hash made this digest.
    pub fn suite(&self) -> SuiteId {
        self.suite
    }

    /// The digest bytes.
    pub fn to_bytes(&self) -> [u8; DIGEST_LEN] {
        self.bytes
    }
}

impl AsRef<[u8]> for Digest {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

/// An incremental hash, for input that arrives in pieces.
///
/// ```
/// use netid_crypto::Suite;
///
/// let suite = Suite::intl();
/// let mut hasher = suite.hasher();
/// hasher.update(b"a");
/// hasher.update(b"bc");
/// assert_eq!(hasher.finish(), suite.hash(b"abc"));
/// ```
#[derive(Clone)]
pub struct Hasher(HasherState);

#[derive(Clone)]
enum HasherState {
    Sm3(sm3::Sm3),
    Sha256(sha2::Sha256),
}

impl Hasher {
    /// Feed more input.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            HasherState::Sm3(h) => h.update(data),
            HasherState::Sha256(h) => h.update(data),
        }
    }

    /// The digest of everything fed so far.
    pub fn finish(self) -> Digest {
        match self.0 {
            HasherState::Sm3(h) => Digest {
                suite: SuiteId::Gm,
                bytes: h.finalize().into(),
            },
            HasherState::Sha256(h) => Digest {
                suite: SuiteId::Intl,
                bytes: h.finalize().into(),
            },
        }
    }
}

impl core::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Hasher").finish_non_exhaustive()
    }
}

impl Suite {
    /// The suite's hash of `data`: SM3 for `gm`, SHA-256 for `intl`.
    ///
    /// ```
    /// use netid_crypto::Suite;
    ///
    /// // GB/T 32905-2016 Appendix A, example 1.
    /// let digest = Suite::gm().hash(b"abc");
    /// assert_eq!(digest.as_ref()[..4], [0x66, 0xc7, 0xf0, 0xf4]);
    /// ```
    pub fn hash(&self, data: &[u8]) -> Digest {
        let mut hasher = self.hasher();
        hasher.update(data);
        hasher.finish()
    }

    /// An incremental hasher of this suite.
    pub fn hasher(&self) -> Hasher {
        Hasher(match self.id() {
            SuiteId::Gm => HasherState::Sm3(sm3::Sm3::new()),
            SuiteId::Intl => HasherState::Sha256(sha2::Sha256::new()),
        })
    }
}
