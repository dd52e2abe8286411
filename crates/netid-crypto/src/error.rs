//! The one error type of `netid-crypto`.

use crate::suite::SuiteId;

/// What went wrong in a cryptographic operation.
///
/// Messages name the kind of input, never its bytes: key material and signatures are not
/// printed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A compact JWE (ECDH-ES, RFC 7518 §4.6) that cannot be opened.
    #[error("encrypted response (JWE) refused: {reason}")]
    Jwe {
        /// What is wrong, in words that repeat none of the input.
        reason: &'static str,
    },
    /// Shares of a split secret that cannot be made or combined as asked.
    #[error("secret shares: {reason}")]
    Shares {
        /// What is wrong.
        reason: &'static str,
    },
    /// A private or public key could not be decoded from the named encoding, or it is not a
    /// key on the suite's curve.
    #[error("malformed {suite} {encoding}; supply a key of the {suite} suite in that encoding")]
    MalformedKey {
        /// The suite whose key was expected.
        suite: SuiteId,
        /// The encoding that failed to decode.
        encoding: KeyEncoding,
    },
    /// A key or signature of one suite was handed to an operation of another.
    #[error(
        "input of the {found} suite given to a {expected} operation; use keys and signatures of one suite"
    )]
    WrongSuite {
        /// The suite of the operation (or of the key doing it).
        expected: SuiteId,
        /// The suite of the input that does not belong.
        found: SuiteId,
    },
    /// A symmetric key has the wrong length: an AEAD key not of its cipher's length, or a MAC
    /// key shorter than the 16-byte minimum.
    #[error("symmetric key is {got} bytes but the algorithm needs {want}")]
    KeyLength {
        /// Length supplied.
        got: usize,
        /// Length required.
        want: usize,
    },
    /// A fixed-length `r || s` signature is not 64 bytes long.
    #[error("signature is {got} bytes but a fixed-length r||s signature is {want}")]
    SignatureLength {
        /// Length supplied.
        got: usize,
        /// Length required.
        want: usize,
    },
    /// A signature is not well formed: bad DER, or `r`/`s` outside `[1, n-1]`.
    #[error("malformed {encoding} signature; expected two integers in [1, n-1]")]
    MalformedSignature {
        /// The encoding that failed to decode.
        encoding: SignatureEncoding,
    },
    /// A well-formed signature does not verify under the key for the message.
    #[error("signature does not verify for this key and message")]
    BadSignature,
    /// A MAC tag does not match the key and message.
    #[error("mac tag does not match the key and message")]
    BadMac,
    /// AEAD decryption failed: wrong key, nonce or associated data, or tampered ciphertext.
    #[error(
        "authenticated decryption failed: wrong key, nonce or associated data, or the ciphertext was altered"
    )]
    BadAeadTag,
    /// A nonce has the wrong length for the AEAD (both suites use 96-bit nonces).
    #[error("nonce is {got} bytes but the aead needs {want}")]
    NonceLength {
        /// Length supplied.
        got: usize,
        /// Length required.
        want: usize,
    },
    /// A ciphertext is shorter than the authentication tag (or nonce and tag) it must hold.
    #[error("ciphertext is {got} bytes, shorter than the minimum of {min}")]
    CiphertextTooShort {
        /// Length supplied.
        got: usize,
        /// Minimum length.
        min: usize,
    },
    /// HKDF was asked for more output than RFC 5869 allows (255 hash lengths).
    #[error("key derivation asked for {requested} bytes but at most {max} can be derived")]
    DerivedLength {
        /// Bytes requested.
        requested: usize,
        /// The RFC 5869 maximum.
        max: usize,
    },
    /// An SM2 distinguishing ID is longer than its 16-bit bit-length field can state.
    #[error("sm2 distinguishing id is {len} bytes; at most {max} are allowed")]
    DistinguishingIdTooLong {
        /// Length supplied.
        len: usize,
        /// Maximum length (8191 bytes, since ENTL counts bits in 16 bits).
        max: usize,
    },
    /// A suite name is not `gm` or `intl`.
    #[error("unknown crypto suite; expected `gm` or `intl`")]
    UnknownSuite,
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed; retry, and check the system")]
    Random,
    /// A key held by a provider (a token or device) cannot be exported.
    #[error("the key is held by {held} and never leaves it; export is not possible")]
    KeyHeldElsewhere {
        /// The provider's description of the key.
        held: String,
    },
    /// A key provider could not sign.
    #[error("signing with {held} failed: {reason}")]
    HeldKeyFailed {
        /// The provider's description of the key.
        held: String,
        /// The provider's own words, or that its signature did not verify.
        reason: String,
    },
    /// An impossible state: a bug in netid.
    #[error("internal error in netid-crypto ({0}); please report this as a bug")]
    Internal(&'static str),
}

/// Key encodings, named in [`Error::MalformedKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyEncoding {
    /// PKCS#8 `PrivateKeyInfo`, DER.
    Pkcs8Der,
    /// PKCS#8 `PrivateKeyInfo`, PEM.
    Pkcs8Pem,
    /// X.509 `SubjectPublicKeyInfo`, DER.
    SpkiDer,
    /// X.509 `SubjectPublicKeyInfo`, PEM.
    SpkiPem,
    /// SEC 1 elliptic-curve point.
    Sec1Point,
    /// JSON Web Key (RFC 7517/7518).
    Jwk,
    /// A raw 32-byte secret scalar.
    RawScalar,
}

impl core::fmt::Display for KeyEncoding {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Pkcs8Der => "pkcs#8 der private key",
            Self::Pkcs8Pem => "pkcs#8 pem private key",
            Self::SpkiDer => "subjectpublickeyinfo der public key",
            Self::SpkiPem => "subjectpublickeyinfo pem public key",
            Self::Sec1Point => "sec1 public point",
            Self::Jwk => "jwk",
            Self::RawScalar => "raw private scalar",
        })
    }
}

/// Signature encodings, named in [`Error::MalformedSignature`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureEncoding {
    /// ASN.1 DER `SEQUENCE { r INTEGER, s INTEGER }` (X.509, CMS, GM/T 0009).
    Der,
    /// Fixed-length big-endian `r || s`, 32 bytes each (JOSE, RFC 7518 §3.4).
    Fixed,
}

impl core::fmt::Display for SignatureEncoding {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Der => "der",
            Self::Fixed => "fixed-length r||s",
        })
    }
}
