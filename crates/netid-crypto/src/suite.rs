//! The suite: which family of primitives an artefact uses, chosen at run time.

use core::fmt;
use core::str::FromStr;

use crate::Error;

/// The two suites netid speaks.
///
/// Recorded in every artefact (JOSE `alg`, certificate OID, log leaf) so that a verifier never
/// has to guess the suite from a key's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SuiteId {
    /// China's commercial cryptography (Measures Art. 13): SM2 signatures with SM3 (GM/T 0003.2),
    /// SM3 (GB/T 32905), HMAC-SM3, SM4-GCM (GB/T 32907, RFC 8998), HKDF-SM3. The default.
    Gm,
    /// The international suite: ECDSA P-256 with SHA-256 (JOSE `ES256`), SHA-256, HMAC-SHA-256,
    /// AES-256-GCM, HKDF-SHA-256.
    Intl,
}

impl SuiteId {
    /// The name used in configuration and on the wire: `gm` or `intl`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Gm => "gm",
            Self::Intl => "intl",
        }
    }

    /// The JOSE `alg` of the suite's signatures, wherever netid names it (JWS, SD-JWT,
    /// OpenID Connect, signed rosters and packages): `ES256` (RFC 7518 §3.4), or `SM2SM3`,
    /// SM2 with SM3 and the GM/T 0009 default distinguishing ID, the signature the fixed
    /// 64-byte `r || s` as for ES256.
    #[must_use]
    pub const fn jose_alg(self) -> &'static str {
        match self {
            Self::Gm => "SM2SM3",
            Self::Intl => "ES256",
        }
    }

    /// The suite whose signatures a JOSE `alg` names; `None` for any other (`none` included).
    #[must_use]
    pub fn from_jose_alg(alg: &str) -> Option<Self> {
        [Self::Gm, Self::Intl]
            .into_iter()
            .find(|suite| suite.jose_alg() == alg)
    }
}

impl fmt::Display for SuiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SuiteId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "gm" => Ok(Self::Gm),
            "intl" => Ok(Self::Intl),
            _ => Err(Error::UnknownSuite),
        }
    }
}

/// The signer's distinguishing ID that SM2 hashes into `Z_A` (GM/T 0003.2 §5.5).
///
/// The standard's default is `1234567812345678` (GM/T 0009 §10); OpenSSL 3.0 uses an empty
/// ID unless told otherwise, so signatures only interoperate when both sides name the same ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistinguishingId(String);

impl DistinguishingId {
    /// `1234567812345678`, the default of GM/T 0009-2012 §10.
    pub const DEFAULT: &'static str = "1234567812345678";
    /// `ENTL_A` is the ID's length in bits in two bytes, so at most 8191 bytes fit.
    pub const MAX_LEN: usize = 8191;

    /// An ID of the caller's choosing; fails when it is longer than [`Self::MAX_LEN`] bytes.
    pub fn new(id: &str) -> Result<Self, Error> {
        if id.len() > Self::MAX_LEN {
            return Err(Error::DistinguishingIdTooLong {
                len: id.len(),
                max: Self::MAX_LEN,
            });
        }
        Ok(Self(id.to_owned()))
    }

    /// The ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for DistinguishingId {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

/// A suite: the one value through which the rest of netid hashes, MACs, encrypts, derives keys
/// and signs.
///
/// In the spirit of rustls' `CryptoProvider`: callers name a suite (from configuration) and
/// never a primitive. The set of suites is closed and small, so dispatch is a `match` on
/// [`SuiteId`]: adding a suite is a compile error everywhere it must be handled.
///
/// ```
/// use netid_crypto::Suite;
///
/// let suite = Suite::gm();
/// let digest = suite.hash(b"abc");
/// assert_eq!(digest.as_ref().len(), 32);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suite {
    id: SuiteId,
    distinguishing_id: DistinguishingId,
}

impl Suite {
    /// The `gm` suite with the default SM2 distinguishing ID.
    pub fn gm() -> Self {
        Self::new(SuiteId::Gm)
    }

    /// The `gm` suite whose SM2 keys sign and verify under `distinguishing_id`.
    pub fn gm_with_distinguishing_id(distinguishing_id: DistinguishingId) -> Self {
        Self {
            id: SuiteId::Gm,
            distinguishing_id,
        }
    }

    /// The `intl` suite.
    pub fn intl() -> Self {
        Self::new(SuiteId::Intl)
    }

    /// The suite named by `id`, with defaults.
    pub fn new(id: SuiteId) -> Self {
        Self {
            id,
            distinguishing_id: DistinguishingId::default(),
        }
    }

    /// Which suite this is.
    pub fn id(&self) -> SuiteId {
        self.id
    }

    /// The SM2 distinguishing ID this suite's keys use (ignored by `intl`).
    pub fn distinguishing_id(&self) -> &DistinguishingId {
        &self.distinguishing_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_suite_has_one_jose_alg_and_back() {
        for suite in [SuiteId::Gm, SuiteId::Intl] {
            assert_eq!(SuiteId::from_jose_alg(suite.jose_alg()), Some(suite));
        }
        assert_eq!(SuiteId::Gm.jose_alg(), "SM2SM3");
        assert_eq!(SuiteId::Intl.jose_alg(), "ES256");
        assert_eq!(SuiteId::from_jose_alg("none"), None);
        assert_eq!(SuiteId::from_jose_alg("es256"), None);
    }
}
