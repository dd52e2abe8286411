//! Authenticated encryption for data at rest: SM4-GCM (GB/T 32907 block cipher in the GCM of
//! NIST SP 800-38D, as RFC 8998 uses it) for `gm`, AES-256-GCM for `intl`.
//!
//! SM4-GCM is RustCrypto's generic `AesGcm<Sm4, U12>` construction, not a composition of our
//! own; AES-256-GCM runs on `ring` (faster than RustCrypto here, see `BENCHMARKS.md`).

use aes_gcm::aead::{AeadInOut, KeyInit};
use ring::aead as ring_aead;
use zeroize::Zeroizing;

use crate::suite::{Suite, SuiteId};
use crate::{Error, random};

/// Nonce length of both suites' AEADs, in bytes (96 bits, the GCM default).
pub const NONCE_LEN: usize = 12;
/// Authentication tag length of both suites' AEADs, in bytes.
pub const TAG_LEN: usize = 16;

type Sm4Gcm = aes_gcm::AesGcm<sm4::Sm4, aes_gcm::aead::consts::U12>;

/// An AEAD key of one suite: 128 bits for SM4, 256 bits for AES-256. Zeroized on drop, never
/// printed.
#[derive(Clone)]
pub struct AeadKey {
    suite: SuiteId,
    bytes: Zeroizing<Vec<u8>>,
}

impl AeadKey {
    /// A fresh random key for `suite` from the OS CSPRNG.
    pub fn generate(suite: &Suite) -> Result<Self, Error> {
        let mut bytes = Zeroizing::new(vec![0u8; key_len(suite.id())]);
        random::fill(&mut bytes)?;
        Ok(Self {
            suite: suite.id(),
            bytes,
        })
    }

    /// A key from bytes the caller holds; fails unless they are exactly the suite's key length.
    pub fn from_bytes(suite: &Suite, bytes: &[u8]) -> Result<Self, Error> {
        let want = key_len(suite.id());
        if bytes.len() != want {
            return Err(Error::KeyLength {
                got: bytes.len(),
                want,
            });
        }
        Ok(Self {
            suite: suite.id(),
            bytes: Zeroizing::new(bytes.to_vec()),
        })
    }

    /// The suite this key belongs to.
    pub fn suite(&self) -> SuiteId {
        self.suite
    }

    /// The secret bytes, for wrapping under a key-encryption key. Handle with care.
    pub fn expose_secret(&self) -> &[u8] {
        &self.bytes
    }
}

impl core::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AeadKey")
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

/// AEAD key length of a suite, in bytes.
pub const fn key_len(suite: SuiteId) -> usize {
    match suite {
        SuiteId::Gm => 16,
        SuiteId::Intl => 32,
    }
}

impl Suite {
    /// Encrypts `plaintext` under `key` with a fresh random nonce; returns
    /// `nonce || ciphertext || tag`. `aad` is authenticated, not encrypted: bind the record's
    /// identity and purpose there so a ciphertext cannot be moved to another record.
    ///
    /// Random 96-bit nonces are safe for up to 2^32 messages under one key (NIST SP 800-38D
    /// §8.3); netid's per-holder keys see far fewer.
    ///
    /// ```
    /// use netid_crypto::{AeadKey, Suite};
    ///
    /// let suite = Suite::gm();
    /// let key = AeadKey::generate(&suite)?;
    /// let sealed = suite.encrypt(&key, b"holder 42 name", "测试甲".as_bytes())?;
    /// let opened = suite.decrypt(&key, b"holder 42 name", &sealed)?;
    /// assert_eq!(&opened[..], "测试甲".as_bytes());
    /// assert!(suite.decrypt(&key, b"holder 43 name", &sealed).is_err());
    /// # Ok::<(), netid_crypto::Error>(())
    /// ```
    pub fn encrypt(&self, key: &AeadKey, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let mut nonce = [0u8; NONCE_LEN];
        random::fill(&mut nonce)?;
        let sealed = self.seal(key, &nonce, aad, plaintext)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Reverses [`Suite::encrypt`]: splits off the nonce and opens the rest.
    pub fn decrypt(
        &self,
        key: &AeadKey,
        aad: &[u8],
        nonce_ciphertext_tag: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let too_short = Error::CiphertextTooShort {
            got: nonce_ciphertext_tag.len(),
            min: NONCE_LEN + TAG_LEN,
        };
        if nonce_ciphertext_tag.len() < NONCE_LEN + TAG_LEN {
            return Err(too_short);
        }
        let (nonce, sealed) = nonce_ciphertext_tag
            .split_first_chunk::<NONCE_LEN>()
            .ok_or(too_short)?;
        self.open(key, nonce, aad, sealed)
    }

    /// Encrypts with a nonce the caller chose; returns `ciphertext || tag`. The caller must never
    /// reuse a nonce under one key: prefer [`Suite::encrypt`].
    ///
    /// ```
    /// use netid_crypto::{AeadKey, Suite};
    ///
    /// // RFC 8998 Appendix A.1 (SM4-GCM), first block.
    /// let suite = Suite::gm();
    /// let key = AeadKey::from_bytes(&suite, &[
    ///     0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
    /// ])?;
    /// let nonce = [0, 0, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0xab, 0xcd];
    /// let sealed = suite.seal(&key, &nonce, b"", &[0xaa; 8])?;
    /// assert_eq!(sealed.len(), 8 + 16);
    /// assert_eq!(&suite.open(&key, &nonce, b"", &sealed)?[..], &[0xaa; 8]);
    /// # Ok::<(), netid_crypto::Error>(())
    /// ```
    pub fn seal(
        &self,
        key: &AeadKey,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Error> {
        self.check_key(key)?;
        let mut buffer = plaintext.to_vec();
        match self.id() {
            SuiteId::Gm => {
                let cipher = sm4_gcm(key)?;
                let tag = cipher
                    .encrypt_inout_detached(nonce.into(), aad, buffer.as_mut_slice().into())
                    .map_err(|_| Error::Internal("sm4-gcm refused a message within its limits"))?;
                buffer.extend_from_slice(&tag);
            }
            SuiteId::Intl => {
                aes_gcm_ring(key)?
                    .seal_in_place_append_tag(
                        ring_aead::Nonce::assume_unique_for_key(*nonce),
                        ring_aead::Aad::from(aad),
                        &mut buffer,
                    )
                    .map_err(|_| Error::Internal("aes-gcm refused a message within its limits"))?;
            }
        }
        Ok(buffer)
    }

    /// Decrypts `ciphertext || tag` sealed under `nonce` and `aad`; fails with
    /// [`Error::BadAeadTag`] if anything differs from what was sealed.
    pub fn open(
        &self,
        key: &AeadKey,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        ciphertext_tag: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        self.check_key(key)?;
        let (ciphertext, tag) =
            ciphertext_tag
                .split_last_chunk::<TAG_LEN>()
                .ok_or(Error::CiphertextTooShort {
                    got: ciphertext_tag.len(),
                    min: TAG_LEN,
                })?;
        match self.id() {
            SuiteId::Gm => {
                let mut buffer = Zeroizing::new(ciphertext.to_vec());
                sm4_gcm(key)?
                    .decrypt_inout_detached(
                        nonce.into(),
                        aad,
                        buffer.as_mut_slice().into(),
                        tag.into(),
                    )
                    .map_err(|_| Error::BadAeadTag)?;
                Ok(buffer)
            }
            SuiteId::Intl => {
                let mut buffer = Zeroizing::new(ciphertext_tag.to_vec());
                let plaintext_len = aes_gcm_ring(key)?
                    .open_in_place(
                        ring_aead::Nonce::assume_unique_for_key(*nonce),
                        ring_aead::Aad::from(aad),
                        &mut buffer,
                    )
                    .map_err(|_| Error::BadAeadTag)?
                    .len();
                buffer.truncate(plaintext_len);
                Ok(buffer)
            }
        }
    }

    fn check_key(&self, key: &AeadKey) -> Result<(), Error> {
        if key.suite == self.id() {
            Ok(())
        } else {
            Err(Error::WrongSuite {
                expected: self.id(),
                found: key.suite,
            })
        }
    }
}

// `AeadKey` checked its length against the suite when it was made, so neither constructor can
// fail on a key that passed `check_key`.
fn sm4_gcm(key: &AeadKey) -> Result<Sm4Gcm, Error> {
    Sm4Gcm::new_from_slice(&key.bytes).map_err(|_| Error::Internal("checked sm4 key refused"))
}

fn aes_gcm_ring(key: &AeadKey) -> Result<ring_aead::LessSafeKey, Error> {
    ring_aead::UnboundKey::new(&ring_aead::AES_256_GCM, &key.bytes)
        .map(ring_aead::LessSafeKey::new)
        .map_err(|_| Error::Internal("checked aes-256 key refused"))
}

#[cfg(test)]
mod tests {
    use zeroize::ZeroizeOnDrop;

    /// The SM4 round keys are wiped when a cipher is dropped (the `zeroize` features).
    #[test]
    fn sm4_gcm_zeroizes_on_drop() {
        fn assert_zeroize_on_drop<T: ZeroizeOnDrop>() {}
        assert_zeroize_on_drop::<super::Sm4Gcm>();
    }
}
