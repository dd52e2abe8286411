//! SM2 public-key encryption (GB/T 32918.4-2016): a message sealed to a `gm` key, which only
//! the holder of its private key opens. Each ciphertext takes a fresh ephemeral key, so two
//! sealings of one message share nothing. Ciphertexts are the ASN.1 DER
//! `SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, ciphertext OCTET STRING }` (the
//! C1C3C2 order of GM/T 0009-2012 §7.2), which OpenSSL 3 reads and writes
//! (`openssl pkeyutl -encrypt` / `-decrypt` with an SM2 key). Built on RustCrypto's `sm2`.

use zeroize::Zeroizing;

use crate::sign::{SigningKey, VerifyingKey};
use crate::{Error, SuiteId};

impl VerifyingKey {
    /// `plaintext` sealed to this `gm` key; [`Error::WrongSuite`] for a P-256 key.
    pub fn sm2_encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let public = self.sm2_public().ok_or(Error::WrongSuite {
            expected: SuiteId::Gm,
            found: self.suite(),
        })?;
        sm2::pke::EncryptingKey::new_with_mode(*public, sm2::pke::Mode::C1C3C2)
            .encrypt_der(
                &mut sm2::elliptic_curve::common::getrandom::SysRng,
                plaintext,
            )
            .map_err(|_| Error::Random)
    }
}

impl SigningKey {
    /// Opens what [`VerifyingKey::sm2_encrypt`] (or OpenSSL) sealed to this `gm` key;
    /// [`Error::BadAeadTag`] for a ciphertext that is malformed, altered or sealed to another
    /// key, [`Error::WrongSuite`] for a P-256 key.
    pub fn sm2_decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let secret = self.sm2_secret().ok_or(Error::WrongSuite {
            expected: SuiteId::Gm,
            found: self.suite(),
        })?;
        sm2::pke::DecryptingKey::new_with_mode(secret.to_nonzero_scalar(), sm2::pke::Mode::C1C3C2)
            .decrypt_der(ciphertext)
            .map(Zeroizing::new)
            .map_err(|_| Error::BadAeadTag)
    }
}
