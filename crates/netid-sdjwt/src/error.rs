//! What can go wrong with a Net Certificate, each case its own variant: a verifier acts on
//! which check failed.

/// An SD-JWT that was not issued, presented or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The token is not an SD-JWT, a JWS, a Disclosure or a status list of the expected shape.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The JWS algorithm is not one netid accepts (`ES256`, `SM2SM3`; never `none`).
    #[error("unsupported algorithm {alg}")]
    UnsupportedAlgorithm {
        /// The `alg` header value.
        alg: String,
    },
    /// No issuer key with the JWS's `kid` is known.
    #[error("unknown issuer key {kid:?}; refresh the issuer's keys")]
    UnknownKey {
        /// The `kid` header value, if any.
        kid: Option<String>,
    },
    /// The issuer's signature does not verify.
    #[error("the issuer's signature does not verify")]
    BadIssuerSignature,
    /// The credential's `exp` has passed.
    #[error("the certificate expired")]
    Expired,
    /// The credential's `nbf` (or `iat`) is in the future.
    #[error("the certificate is not yet valid")]
    NotYetValid,
    /// A Disclosure appears twice, or two Disclosures have the same digest.
    #[error("a disclosure is repeated")]
    RepeatedDisclosure,
    /// A Disclosure whose digest the signed payload does not contain.
    #[error("a disclosure is not in the signed digests")]
    UnreferencedDisclosure,
    /// A digest appears more than once in the signed payload.
    #[error("a digest is repeated in the signed payload")]
    RepeatedDigest,
    /// A Disclosure would overwrite a claim or uses a reserved name.
    #[error("a disclosure's claim name is reserved or already present: {name}")]
    ClaimNameConflict {
        /// The claim name.
        name: String,
    },
    /// The presentation carries no key-binding JWT, or the credential no `cnf` key.
    #[error("the key binding is missing")]
    MissingKeyBinding,
    /// The key-binding JWT does not verify with the credential's holder key, or its `typ`
    /// or `sd_hash` is wrong.
    #[error("the key binding does not verify: {reason}")]
    BadKeyBinding {
        /// Which check failed.
        reason: &'static str,
    },
    /// The key-binding JWT is for another audience.
    #[error("the presentation is for another audience")]
    WrongAudience,
    /// The key-binding JWT's nonce is not the expected one.
    #[error("the presentation's nonce is not the one asked for")]
    WrongNonce,
    /// The key-binding JWT's `iat` is outside the accepted window.
    #[error("the presentation is stale or from the future")]
    StaleKeyBinding,
    /// A holder asked to disclose a claim the credential does not have.
    #[error("the certificate has no claim {name}")]
    NoSuchClaim {
        /// The claim name.
        name: String,
    },
    /// A status index outside the list.
    #[error("status index {index} is outside the status list")]
    StatusIndexOutOfRange {
        /// The index.
        index: u64,
    },
    /// Signing or key handling failed.
    #[error("crypto: {0}")]
    Crypto(#[from] netid_crypto::Error),
}

pub(crate) fn malformed(what: &'static str, reason: impl Into<String>) -> Error {
    Error::Malformed {
        what,
        reason: reason.into(),
    }
}
