//! Key derivation: HKDF (RFC 5869) over HMAC-SM3 for `gm`, over HMAC-SHA-256 for `intl`.

use hkdf::Hkdf;
use zeroize::Zeroizing;

use crate::Error;
use crate::hash::DIGEST_LEN;
use crate::suite::{Suite, SuiteId};

/// RFC 5869 §2.3: at most 255 hash lengths of output.
pub const MAX_DERIVED_LEN: usize = 255 * DIGEST_LEN;

impl Suite {
    /// HKDF-Extract then HKDF-Expand: `len` bytes derived from the input keying material `ikm`,
    /// a `salt`, and an `info` string that names the key's purpose (for example a holder's
    /// reference and "data key v1"), so one master secret yields independent keys.
    ///
    /// ```
    /// use netid_crypto::Suite;
    ///
    /// let suite = Suite::gm();
    /// let a = suite.derive_key(b"master secret", b"netid", b"holder a data key", 16)?;
    /// let b = suite.derive_key(b"master secret", b"netid", b"holder b data key", 16)?;
    /// assert_ne!(a, b);
    /// # Ok::<(), netid_crypto::Error>(())
    /// ```
    pub fn derive_key(
        &self,
        ikm: &[u8],
        salt: &[u8],
        info: &[u8],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        if len > MAX_DERIVED_LEN {
            return Err(Error::DerivedLength {
                requested: len,
                max: MAX_DERIVED_LEN,
            });
        }
        let mut out = Zeroizing::new(vec![0u8; len]);
        let expanded = match self.id() {
            SuiteId::Gm => Hkdf::<sm3::Sm3>::new(Some(salt), ikm).expand(info, &mut out),
            SuiteId::Intl => Hkdf::<sha2::Sha256>::new(Some(salt), ikm).expand(info, &mut out),
        };
        expanded.map_err(|_| Error::DerivedLength {
            requested: len,
            max: MAX_DERIVED_LEN,
        })?;
        Ok(out)
    }
}
