//! The one error type of `netid-ca`.

/// What went wrong building or checking a certificate or request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A distinguished name string is not `ATTR=value,...` with known attributes.
    #[error("distinguished name is malformed; use the form CN=name,O=organisation")]
    MalformedName,
    /// A certificate or request is not valid DER of its ASN.1 type.
    #[error("{what} is not valid der")]
    MalformedDer {
        /// What was being decoded.
        what: &'static str,
    },
    /// A validity period ends before it starts, or lies outside what X.509 times express.
    #[error("validity period is empty or not representable; not_after must follow not_before")]
    BadValidity,
    /// A signature algorithm other than sm2-with-sm3 or ecdsa-with-SHA256.
    #[error("unsupported signature algorithm; netid accepts sm2-with-sm3 and ecdsa-with-SHA256")]
    UnsupportedAlgorithm,
    /// The issuer key's suite differs from the subject template's or from the issuer
    /// certificate's algorithm.
    #[error("issuer key and certificate belong to different suites")]
    SuiteMismatch,
    /// The signature on a certificate or request does not verify under the expected key.
    #[error("{what} signature does not verify; it was not signed by the expected key")]
    BadSignature {
        /// What carried the signature.
        what: &'static str,
    },
    /// The subject certificate names another issuer than the certificate checked against.
    #[error("certificate's issuer name does not match the issuer certificate's subject")]
    IssuerMismatch,
    /// An issuer certificate has no subject key identifier to name it by.
    #[error("issuer certificate has no subject key identifier; issue it with netid-ca")]
    MissingKeyIdentifier,
    /// A certificate that should be a delegated OCSP responder lacks the OCSPSigning
    /// extended key usage, or a response names no responder the issuer certified.
    #[error("the ocsp responder is not certified by the issuer for OCSPSigning")]
    NotAnOcspResponder,
    /// A private key does not belong to the certificate it is used with.
    #[error("the signing key does not match the certificate's public key")]
    KeyMismatch,
    /// An OCSP response carries an error status instead of an answer.
    #[error("the ocsp responder answered with error status {status} (RFC 6960 §4.2.1)")]
    OcspUnsuccessful {
        /// The `OCSPResponseStatus` value.
        status: u32,
    },
    /// No issuer of a certificate in the path is among the intermediates or trust anchors.
    #[error(
        "no certificate of the path's issuer was given; add the intermediate or trust its root"
    )]
    UnknownIssuer,
    /// The path is longer than netid follows.
    #[error("the certification path is longer than 8 certificates")]
    PathTooLong,
    /// A certificate in the path is not valid yet at the time checked.
    #[error("a certificate in the path is not valid yet")]
    NotYetValid,
    /// A certificate in the path has expired at the time checked.
    #[error("a certificate in the path has expired")]
    Expired,
    /// An issuer in the path is not a CA (no basicConstraints CA:TRUE, or no keyCertSign).
    #[error("an issuer in the path is not a CA: it lacks basicConstraints CA:TRUE or keyCertSign")]
    NotACa,
    /// More CAs below an issuer than its pathLenConstraint allows.
    #[error("the path has more intermediate CAs than an issuer's path length constraint allows")]
    PathLengthExceeded,
    /// A certificate carries a critical extension netid does not understand.
    #[error("a certificate carries the critical extension {oid}, which netid does not process")]
    UnknownCriticalExtension {
        /// The extension's OID.
        oid: String,
    },
    /// An OCSP response or CRL is not current at the time checked (a replayed or stale one).
    #[error("the revocation status is not current at the time checked; fetch a fresh one")]
    StaleStatus,
    /// A certificate in the path is listed on its issuer's CRL.
    #[error("a certificate in the path is revoked")]
    Revoked,
    /// A cryptographic operation failed.
    #[error(transparent)]
    Crypto(#[from] netid_crypto::Error),
    /// Encoding a well-formed structure failed: a bug in netid.
    #[error("internal error in netid-ca ({0}); please report this as a bug")]
    Internal(&'static str),
}
