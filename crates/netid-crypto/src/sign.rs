//! Digital signatures: SM2 with SM3 and the signer's distinguishing ID (GM/T 0003.2) for `gm`,
//! ECDSA P-256 with SHA-256 (FIPS 186-5, JOSE `ES256`) for `intl`.
//!
//! Keys come from the OS CSPRNG or from PKCS#8 / SubjectPublicKeyInfo (DER, PEM) and JWK.
//! Signatures are kept as fixed-length `r || s` (JOSE) and convert to and from DER (X.509, CMS).
//! SM2 runs on RustCrypto's `sm2`; P-256 keys are encoded by RustCrypto's `p256` and operated
//! on by `ring`, which is faster here (see `BENCHMARKS.md`).

use p256::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use ring::signature as ring_sig;
use sm2::dsa::signature::Signer as _;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use std::sync::Arc;

use crate::error::{KeyEncoding, SignatureEncoding};
use crate::sm2_verify::Sm2Verifier;
use crate::suite::{Suite, SuiteId};
use crate::wrapping::HeldSigningKey;
use crate::{Error, random};

/// Length of a fixed-length `r || s` signature in both suites.
pub const SIGNATURE_LEN: usize = 64;
/// Length of a secret scalar in both suites.
const SCALAR_LEN: usize = 32;

/// A private signing key of one suite.
///
/// The secret scalar is held in a RustCrypto `SecretKey`, which zeroizes on drop; `Debug`
/// prints only the suite; equality is constant-time. The backends keep working copies:
/// `sm2::dsa::SigningKey` has no zeroizing `Drop`, so netid overwrites its scalar when the key
/// is dropped; `ring`'s P-256 key pair does not zeroize its copy and offers no way to, a known
/// limit of `ring` that applies to long-lived service keys (see the crate docs).
///
/// ```
/// use netid_crypto::Suite;
///
/// let suite = Suite::intl();
/// let key = suite.generate_signing_key()?;
/// // Store it as PKCS#8 (encrypt it first: see `Suite::encrypt`), load it back.
/// let pem = key.to_pkcs8_pem()?;
/// let loaded = suite.signing_key_from_pkcs8_pem(&pem)?;
/// assert_eq!(loaded, key);
/// // Publish the public half as a JWK.
/// let jwk = key.verifying_key().to_jwk();
/// assert_eq!(jwk.crv, "P-256");
/// assert_eq!(&suite.verifying_key_from_jwk(&jwk)?, key.verifying_key());
/// # Ok::<(), netid_crypto::Error>(())
/// ```
pub struct SigningKey {
    inner: SigningInner,
    verifying_key: VerifyingKey,
}

enum SigningInner {
    Sm2 {
        secret: sm2::SecretKey,
        signer: Sm2Signer,
    },
    P256 {
        secret: p256::SecretKey,
        signer: ring_sig::EcdsaKeyPair,
    },
    /// In a token or device, never in this process.
    Held(Arc<dyn HeldSigningKey>),
}

/// `sm2::dsa::SigningKey` keeps a copy of the scalar and has no `Drop` that zeroizes it, so
/// netid overwrites it with the scalar 1 when the key is dropped.
struct Sm2Signer(sm2::dsa::SigningKey);

impl Drop for Sm2Signer {
    fn drop(&mut self) {
        let Some(one) = Option::from(sm2::NonZeroScalar::new(sm2::Scalar::ONE)) else {
            return;
        };
        if let Ok(replacement) = sm2::dsa::SigningKey::from_nonzero_scalar(self.0.distid(), one) {
            self.0 = replacement;
            // Keep the overwrite from being removed as a dead store.
            core::hint::black_box(&self.0);
        }
    }
}

/// A public verification key of one suite.
#[derive(Clone)]
pub struct VerifyingKey(VerifyingInner);

#[derive(Clone)]
enum VerifyingInner {
    Sm2(Sm2Verifier),
    P256 {
        public: p256::PublicKey,
        /// SEC 1 uncompressed point, what `ring` verifies against.
        sec1: Vec<u8>,
    },
}

/// A signature: `r || s`, tagged with its suite.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    suite: SuiteId,
    fixed: [u8; SIGNATURE_LEN],
}

impl Suite {
    /// A fresh signing key from the OS CSPRNG.
    ///
    /// ```
    /// use netid_crypto::Suite;
    ///
    /// let suite = Suite::gm();
    /// let key = suite.generate_signing_key()?;
    /// let signature = key.sign(b"net certificate")?;
    /// key.verifying_key().verify(b"net certificate", &signature)?;
    /// assert!(key.verifying_key().verify(b"tampered", &signature).is_err());
    /// # Ok::<(), netid_crypto::Error>(())
    /// ```
    pub fn generate_signing_key(&self) -> Result<SigningKey, Error> {
        // Rejection sampling over 256-bit strings: uniform in [1, n-1], the method of
        // FIPS 186-5 A.2.2; `from_slice` rejects 0 and values >= n.
        loop {
            let mut bytes = Zeroizing::new([0u8; SCALAR_LEN]);
            random::fill(bytes.as_mut_slice())?;
            match self.signing_key_from_scalar(bytes.as_slice()) {
                Ok(key) => return Ok(key),
                Err(Error::MalformedKey { .. }) => continue,
                Err(other) => return Err(other),
            }
        }
    }

    /// A signing key from a raw 32-byte big-endian secret scalar: in `[1, n-1]` for P-256, in
    /// `[1, n-2]` for SM2 (GB/T 32918.1 §6.1: `1 + d` must be invertible).
    pub fn signing_key_from_scalar(&self, scalar: &[u8]) -> Result<SigningKey, Error> {
        // `from_slice` would left-pad shorter input; a scalar is exactly 32 bytes.
        if scalar.len() != SCALAR_LEN {
            return Err(self.malformed(KeyEncoding::RawScalar));
        }
        self.decode_signing_key(
            KeyEncoding::RawScalar,
            || sm2::SecretKey::from_slice(scalar),
            || p256::SecretKey::from_slice(scalar),
        )
    }

    /// A signing key from a PKCS#8 `PrivateKeyInfo` in DER (RFC 5208 / RFC 5915 EC keys, the
    /// form `openssl genpkey` writes).
    pub fn signing_key_from_pkcs8_der(&self, der: &[u8]) -> Result<SigningKey, Error> {
        self.decode_signing_key(
            KeyEncoding::Pkcs8Der,
            || sm2::SecretKey::from_pkcs8_der(der),
            || p256::SecretKey::from_pkcs8_der(der),
        )
    }

    /// A signing key from a PKCS#8 PEM document (`-----BEGIN PRIVATE KEY-----`).
    pub fn signing_key_from_pkcs8_pem(&self, pem: &str) -> Result<SigningKey, Error> {
        self.decode_signing_key(
            KeyEncoding::Pkcs8Pem,
            || sm2::SecretKey::from_pkcs8_pem(pem),
            || p256::SecretKey::from_pkcs8_pem(pem),
        )
    }

    /// A verifying key from an X.509 `SubjectPublicKeyInfo` in DER.
    pub fn verifying_key_from_spki_der(&self, der: &[u8]) -> Result<VerifyingKey, Error> {
        self.decode_verifying_key(
            KeyEncoding::SpkiDer,
            || sm2::PublicKey::from_public_key_der(der),
            || p256::PublicKey::from_public_key_der(der),
        )
    }

    /// A verifying key from a `SubjectPublicKeyInfo` PEM document
    /// (`-----BEGIN PUBLIC KEY-----`).
    pub fn verifying_key_from_spki_pem(&self, pem: &str) -> Result<VerifyingKey, Error> {
        self.decode_verifying_key(
            KeyEncoding::SpkiPem,
            || sm2::PublicKey::from_public_key_pem(pem),
            || p256::PublicKey::from_public_key_pem(pem),
        )
    }

    /// A verifying key from a SEC 1 point (uncompressed `04 || x || y` or compressed).
    pub fn verifying_key_from_sec1(&self, point: &[u8]) -> Result<VerifyingKey, Error> {
        self.decode_verifying_key(
            KeyEncoding::Sec1Point,
            || sm2::PublicKey::from_sec1_bytes(point),
            || p256::PublicKey::from_sec1_bytes(point),
        )
    }

    /// Runs the suite's decoder; any decoding failure is [`Error::MalformedKey`] in `encoding`.
    fn decode_signing_key<E1, E2>(
        &self,
        encoding: KeyEncoding,
        sm2_decode: impl FnOnce() -> Result<sm2::SecretKey, E1>,
        p256_decode: impl FnOnce() -> Result<p256::SecretKey, E2>,
    ) -> Result<SigningKey, Error> {
        let malformed = self.malformed(encoding);
        match self.id() {
            SuiteId::Gm => self.sm2_signing_key(sm2_decode().map_err(|_| malformed)?, encoding),
            SuiteId::Intl => p256_signing_key(p256_decode().map_err(|_| malformed)?),
        }
    }

    /// Runs the suite's decoder; any decoding failure is [`Error::MalformedKey`] in `encoding`.
    fn decode_verifying_key<E1, E2>(
        &self,
        encoding: KeyEncoding,
        sm2_decode: impl FnOnce() -> Result<sm2::PublicKey, E1>,
        p256_decode: impl FnOnce() -> Result<p256::PublicKey, E2>,
    ) -> Result<VerifyingKey, Error> {
        let malformed = self.malformed(encoding);
        match self.id() {
            SuiteId::Gm => self.sm2_verifying_key(sm2_decode().map_err(|_| malformed)?),
            SuiteId::Intl => Ok(p256_verifying_key(p256_decode().map_err(|_| malformed)?)),
        }
    }

    /// A signature from its fixed-length `r || s` form (JOSE); checks the length and that `r`
    /// and `s` are in `[1, n-1]`.
    ///
    /// ```
    /// use netid_crypto::{Error, Suite};
    ///
    /// let suite = Suite::gm();
    /// let key = suite.generate_signing_key()?;
    /// let jose_bytes = key.sign(b"jws signing input")?.to_fixed();
    /// let signature = suite.signature_from_fixed(&jose_bytes)?;
    /// key.verifying_key().verify(b"jws signing input", &signature)?;
    /// assert_eq!(
    ///     suite.signature_from_fixed(&jose_bytes[..63]),
    ///     Err(Error::SignatureLength { got: 63, want: 64 })
    /// );
    /// # Ok::<(), netid_crypto::Error>(())
    /// ```
    pub fn signature_from_fixed(&self, bytes: &[u8]) -> Result<Signature, Error> {
        let fixed: [u8; SIGNATURE_LEN] = bytes.try_into().map_err(|_| Error::SignatureLength {
            got: bytes.len(),
            want: SIGNATURE_LEN,
        })?;
        let in_range = match self.id() {
            SuiteId::Gm => sm2::dsa::Signature::from_slice(&fixed).is_ok(),
            SuiteId::Intl => p256::ecdsa::Signature::from_slice(&fixed).is_ok(),
        };
        if !in_range {
            return Err(Error::MalformedSignature {
                encoding: SignatureEncoding::Fixed,
            });
        }
        Ok(Signature {
            suite: self.id(),
            fixed,
        })
    }

    /// A signature from ASN.1 DER `SEQUENCE { r INTEGER, s INTEGER }`; strict DER only.
    pub fn signature_from_der(&self, der: &[u8]) -> Result<Signature, Error> {
        let malformed = Error::MalformedSignature {
            encoding: SignatureEncoding::Der,
        };
        let fixed: [u8; SIGNATURE_LEN] = match self.id() {
            SuiteId::Gm => sm2::dsa::Signature::from_der(der)
                .map_err(|_| malformed)?
                .to_bytes()
                .into(),
            SuiteId::Intl => p256::ecdsa::Signature::from_der(der)
                .map_err(|_| malformed)?
                .to_bytes()
                .into(),
        };
        Ok(Signature {
            suite: self.id(),
            fixed,
        })
    }

    fn malformed(&self, encoding: KeyEncoding) -> Error {
        Error::MalformedKey {
            suite: self.id(),
            encoding,
        }
    }

    fn sm2_signing_key(
        &self,
        secret: sm2::SecretKey,
        encoding: KeyEncoding,
    ) -> Result<SigningKey, Error> {
        // d = n - 1 is a valid scalar but not an SM2 private key: signing divides by 1 + d.
        let d_plus_one = *secret.to_nonzero_scalar() + sm2::Scalar::ONE;
        if bool::from(d_plus_one.is_zero()) {
            return Err(self.malformed(encoding));
        }
        let signer = sm2::dsa::SigningKey::new(self.distinguishing_id().as_str(), &secret)
            .map_err(|_| Error::Internal("sm2 rejected a valid secret key"))?;
        let verifying_key = self.sm2_verifying_key(sm2::PublicKey::from(signer.verifying_key()))?;
        Ok(SigningKey {
            inner: SigningInner::Sm2 {
                secret,
                signer: Sm2Signer(signer),
            },
            verifying_key,
        })
    }

    pub(crate) fn sm2_verifying_key(&self, public: sm2::PublicKey) -> Result<VerifyingKey, Error> {
        Sm2Verifier::new(self.distinguishing_id().as_str(), &public)
            .map(|verifier| VerifyingKey(VerifyingInner::Sm2(verifier)))
            .ok_or(Error::Internal("sm2 rejected a valid public key"))
    }
}

pub(crate) fn p256_signing_key(secret: p256::SecretKey) -> Result<SigningKey, Error> {
    let public = secret.public_key();
    let verifying_key = p256_verifying_key(public);
    let VerifyingInner::P256 { sec1, .. } = &verifying_key.0 else {
        return Err(Error::Internal("p256 key built a non-p256 verifying key"));
    };
    let scalar = Zeroizing::new(secret.to_bytes());
    let signer = ring_sig::EcdsaKeyPair::from_private_key_and_public_key(
        &ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING,
        scalar.as_slice(),
        sec1,
        &ring::rand::SystemRandom::new(),
    )
    .map_err(|_| Error::Internal("ring rejected a valid p-256 key pair"))?;
    Ok(SigningKey {
        inner: SigningInner::P256 { secret, signer },
        verifying_key,
    })
}

pub(crate) fn p256_verifying_key(public: p256::PublicKey) -> VerifyingKey {
    let sec1 = public.to_sec1_bytes().into_vec();
    VerifyingKey(VerifyingInner::P256 { public, sec1 })
}

impl Suite {
    /// A signing key of this suite held by a provider (see [`HeldSigningKey`]), whose public
    /// half is `public`. Each signature it makes is checked against `public` before it is
    /// returned, so a provider holding another key, or failing, signs nothing.
    pub fn held_signing_key(
        &self,
        public: VerifyingKey,
        held: Arc<dyn HeldSigningKey>,
    ) -> Result<SigningKey, Error> {
        if public.suite() != self.id() {
            return Err(Error::WrongSuite {
                expected: self.id(),
                found: public.suite(),
            });
        }
        Ok(SigningKey {
            inner: SigningInner::Held(held),
            verifying_key: public,
        })
    }
}

impl SigningKey {
    /// The suite of this key.
    pub fn suite(&self) -> SuiteId {
        self.verifying_key.suite()
    }

    /// Signs `message`: SM2 over `SM3(Z_A || message)` with this key's distinguishing ID, or
    /// ECDSA over `SHA-256(message)`. SM2 nonces are derived per RFC 6979 with SM3; P-256
    /// nonces are `ring`'s, which mixes the key, message and fresh randomness.
    pub fn sign(&self, message: &[u8]) -> Result<Signature, Error> {
        let fixed: [u8; SIGNATURE_LEN] = match &self.inner {
            SigningInner::Sm2 { signer, .. } => signer
                .0
                .try_sign(message)
                .map_err(|_| Error::Internal("sm2 signing failed"))?
                .to_bytes()
                .into(),
            SigningInner::P256 { signer, .. } => {
                let signed = signer
                    .sign(&ring::rand::SystemRandom::new(), message)
                    .map_err(|_| Error::Random)?;
                // ring may answer with a high s; netid's signatures are all low-S, the one
                // encoding a verifier that refuses malleable twins accepts.
                p256::ecdsa::Signature::from_slice(signed.as_ref())
                    .map_err(|_| Error::Internal("ring returned a malformed p-256 signature"))?
                    .normalize_s()
                    .to_bytes()
                    .into()
            }
            SigningInner::Held(held) => return self.sign_held(held.as_ref(), message),
        };
        Ok(Signature {
            suite: self.suite(),
            fixed,
        })
    }

    /// Has `held` sign the digest of `message` and checks the signature (low-S for P-256).
    fn sign_held(&self, held: &dyn HeldSigningKey, message: &[u8]) -> Result<Signature, Error> {
        let failed = |reason: String| Error::HeldKeyFailed {
            held: held.describe(),
            reason,
        };
        let digest = match &self.verifying_key.0 {
            VerifyingInner::Sm2(verifier) => verifier.digest(message),
            VerifyingInner::P256 { .. } => ring::digest::digest(&ring::digest::SHA256, message)
                .as_ref()
                .try_into()
                .map_err(|_| Error::Internal("sha-256 gave a digest not 32 bytes long"))?,
        };
        let mut fixed = held.sign_digest(&digest).map_err(|error| failed(error.0))?;
        if self.suite() == SuiteId::Intl {
            fixed = p256::ecdsa::Signature::from_slice(&fixed)
                .map_err(|_| failed("it answered with a malformed signature".into()))?
                .normalize_s()
                .to_bytes()
                .into();
        }
        let signature = Signature {
            suite: self.suite(),
            fixed,
        };
        self.verifying_key
            .verify(message, &signature)
            .map_err(|_| {
                failed("its signature does not verify under the key's public half".into())
            })?;
        Ok(signature)
    }

    /// The matching public key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying_key
    }

    /// The key as PKCS#8 `PrivateKeyInfo` DER, with the public key included.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        let document = match &self.inner {
            SigningInner::Sm2 { secret, .. } => secret.to_pkcs8_der(),
            SigningInner::P256 { secret, .. } => secret.to_pkcs8_der(),
            SigningInner::Held(held) => return Err(held_elsewhere(held.as_ref())),
        }
        .map_err(|_| Error::Internal("pkcs#8 encoding failed"))?;
        Ok(Zeroizing::new(document.as_bytes().to_vec()))
    }

    /// The key as a PKCS#8 PEM document, LF line endings.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, Error> {
        match &self.inner {
            SigningInner::Sm2 { secret, .. } => secret.to_pkcs8_pem(LineEnding::LF),
            SigningInner::P256 { secret, .. } => secret.to_pkcs8_pem(LineEnding::LF),
            SigningInner::Held(held) => return Err(held_elsewhere(held.as_ref())),
        }
        .map_err(|_| Error::Internal("pkcs#8 pem encoding failed"))
    }

    /// The raw 32-byte big-endian secret scalar (an error for a held key). Handle with care.
    pub fn expose_secret_scalar(&self) -> Result<Zeroizing<[u8; SCALAR_LEN]>, Error> {
        Ok(Zeroizing::new(match &self.inner {
            SigningInner::Sm2 { secret, .. } => secret.to_bytes().into(),
            SigningInner::P256 { secret, .. } => secret.to_bytes().into(),
            SigningInner::Held(held) => return Err(held_elsewhere(held.as_ref())),
        }))
    }

    /// Whether a provider holds this key (it cannot be exported).
    pub fn is_held(&self) -> bool {
        matches!(self.inner, SigningInner::Held(_))
    }
}

fn held_elsewhere(held: &dyn HeldSigningKey) -> Error {
    Error::KeyHeldElsewhere {
        held: held.describe(),
    }
}

impl PartialEq for SigningKey {
    /// Constant-time in the secret scalar; held keys are equal when their public halves are.
    fn eq(&self, other: &Self) -> bool {
        match (self.expose_secret_scalar(), other.expose_secret_scalar()) {
            (Ok(mine), Ok(theirs)) => {
                self.suite() == other.suite()
                    && bool::from(mine.as_slice().ct_eq(theirs.as_slice()))
            }
            (Err(_), Err(_)) => self.verifying_key == other.verifying_key,
            _ => false,
        }
    }
}

impl Eq for SigningKey {}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SigningKey")
            .field("suite", &self.suite())
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// The suite of this key.
    pub fn suite(&self) -> SuiteId {
        match self.0 {
            VerifyingInner::Sm2(_) => SuiteId::Gm,
            VerifyingInner::P256 { .. } => SuiteId::Intl,
        }
    }

    /// Checks `signature` over `message`. A signature of another suite is
    /// [`Error::WrongSuite`]; one that does not verify is [`Error::BadSignature`].
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), Error> {
        if signature.suite != self.suite() {
            return Err(Error::WrongSuite {
                expected: self.suite(),
                found: signature.suite,
            });
        }
        match &self.0 {
            VerifyingInner::Sm2(verifier) => {
                let parsed = sm2::dsa::Signature::from_slice(&signature.fixed).map_err(|_| {
                    Error::MalformedSignature {
                        encoding: SignatureEncoding::Fixed,
                    }
                })?;
                if verifier.verify(message, &parsed) {
                    Ok(())
                } else {
                    Err(Error::BadSignature)
                }
            }
            VerifyingInner::P256 { sec1, .. } => {
                ring_sig::UnparsedPublicKey::new(&ring_sig::ECDSA_P256_SHA256_FIXED, sec1)
                    .verify(message, &signature.fixed)
                    .map_err(|_| Error::BadSignature)
            }
        }
    }

    /// The key as X.509 `SubjectPublicKeyInfo` DER.
    pub fn to_spki_der(&self) -> Result<Vec<u8>, Error> {
        match &self.0 {
            VerifyingInner::Sm2(key) => key.public().to_public_key_der(),
            VerifyingInner::P256 { public, .. } => public.to_public_key_der(),
        }
        .map(|document| document.into_vec())
        .map_err(|_| Error::Internal("subjectpublickeyinfo encoding failed"))
    }

    /// The key as a `SubjectPublicKeyInfo` PEM document, LF line endings.
    pub fn to_spki_pem(&self) -> Result<String, Error> {
        match &self.0 {
            VerifyingInner::Sm2(key) => key.public().to_public_key_pem(LineEnding::LF),
            VerifyingInner::P256 { public, .. } => public.to_public_key_pem(LineEnding::LF),
        }
        .map_err(|_| Error::Internal("subjectpublickeyinfo pem encoding failed"))
    }

    /// The key as an uncompressed SEC 1 point, `04 || x || y`.
    pub fn to_sec1_uncompressed(&self) -> Vec<u8> {
        match &self.0 {
            VerifyingInner::Sm2(key) => key.public().to_sec1_bytes().into_vec(),
            VerifyingInner::P256 { sec1, .. } => sec1.clone(),
        }
    }
}

impl PartialEq for VerifyingKey {
    /// Same suite, same point, and for SM2 the same distinguishing ID (which changes what
    /// verifies).
    fn eq(&self, other: &Self) -> bool {
        let same_id = match (&self.0, &other.0) {
            (VerifyingInner::Sm2(a), VerifyingInner::Sm2(b)) => {
                a.distinguishing_id() == b.distinguishing_id()
            }
            _ => true,
        };
        same_id
            && self.suite() == other.suite()
            && self.to_sec1_uncompressed() == other.to_sec1_uncompressed()
    }
}

impl Eq for VerifyingKey {}

impl core::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("suite", &self.suite())
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// The SM2 point of a `gm` key.
    pub(crate) fn sm2_public(&self) -> Option<&sm2::PublicKey> {
        match &self.0 {
            VerifyingInner::Sm2(verifier) => Some(verifier.public()),
            VerifyingInner::P256 { .. } => None,
        }
    }
}

impl SigningKey {
    /// The SM2 secret of a `gm` key.
    pub(crate) fn sm2_secret(&self) -> Option<&sm2::SecretKey> {
        match &self.inner {
            SigningInner::Sm2 { secret, .. } => Some(secret),
            SigningInner::P256 { .. } | SigningInner::Held(_) => None,
        }
    }
}

impl Signature {
    /// The suite that made this signature.
    pub fn suite(&self) -> SuiteId {
        self.suite
    }

    /// Whether this is the one encoding of its signature: always for SM2, whose fixed `r || s`
    /// in `[1, n-1]` has no twin; for ECDSA only with a low `s` (at most `n / 2`), since
    /// `(r, n - s)` verifies too. Where a signature must be single-use, refuse the others.
    pub fn is_canonical(&self) -> bool {
        match self.suite {
            SuiteId::Gm => true,
            SuiteId::Intl => p256::ecdsa::Signature::from_slice(&self.fixed)
                .is_ok_and(|signature| signature.normalize_s() == signature),
        }
    }

    /// Fixed-length `r || s`, as JOSE (RFC 7518 §3.4) carries it.
    pub fn to_fixed(&self) -> [u8; SIGNATURE_LEN] {
        self.fixed
    }

    /// ASN.1 DER `SEQUENCE { r INTEGER, s INTEGER }`, as X.509 and CMS carry it.
    pub fn to_der(&self) -> Result<Vec<u8>, Error> {
        let internal = || Error::Internal("a checked signature failed to encode as der");
        Ok(match self.suite {
            SuiteId::Gm => sm2::dsa::Signature::from_slice(&self.fixed)
                .map_err(|_| internal())?
                .to_der()
                .as_bytes()
                .to_vec(),
            SuiteId::Intl => p256::ecdsa::Signature::from_slice(&self.fixed)
                .map_err(|_| internal())?
                .to_der()
                .as_bytes()
                .to_vec(),
        })
    }
}

impl core::fmt::Debug for Signature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Signature")
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

// The RustCrypto `signature` traits, so netid keys plug into code written against them (the
// x509-cert builder, JOSE libraries). Errors are opaque there; use the inherent methods for
// netid's distinct error kinds.

impl From<Signature> for [u8; SIGNATURE_LEN] {
    fn from(signature: Signature) -> Self {
        signature.fixed
    }
}

impl signature::Signer<Signature> for SigningKey {
    fn try_sign(&self, message: &[u8]) -> Result<Signature, signature::Error> {
        self.sign(message).map_err(|_| signature::Error::new())
    }
}

impl signature::Verifier<Signature> for VerifyingKey {
    fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), signature::Error> {
        VerifyingKey::verify(self, message, signature).map_err(|_| signature::Error::new())
    }
}

impl signature::Keypair for SigningKey {
    type VerifyingKey = VerifyingKey;

    fn verifying_key(&self) -> VerifyingKey {
        self.verifying_key.clone()
    }
}
