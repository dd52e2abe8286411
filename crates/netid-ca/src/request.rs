//! PKCS#10 certification requests (RFC 2986) with proof of possession.

use der::{Decode, Encode};
use netid_crypto::{DistinguishingId, Suite, SuiteId, VerifyingKey};
use x509_cert::name::Name;
use x509_cert::request::CertReq;

use crate::{Error, signature_suite};

/// A request whose signature has been checked: the requester holds the private key.
#[derive(Debug, Clone)]
pub struct VerifiedRequest {
    /// The subject name the requester asked for (the CA decides what it certifies).
    pub subject: Name,
    /// The requester's public key.
    pub public_key: VerifyingKey,
}

/// Decodes a DER PKCS#10 request and checks its self-signature (proof of possession): the
/// signature algorithm must match the key's suite and verify over `certificationRequestInfo`.
/// An SM2 request may be signed with the standard distinguishing ID `1234567812345678` or with
/// the empty ID that stock OpenSSL 3 uses unless given `-sigopt distid:1234567812345678`: the
/// ID only names the signer inside the hash, and either proves possession of the key.
pub fn verify_request(der: &[u8]) -> Result<VerifiedRequest, Error> {
    let request = CertReq::from_der(der).map_err(|_| Error::MalformedDer { what: "request" })?;
    let suite = Suite::new(signature_suite(&request.algorithm)?);
    let spki = request
        .info
        .public_key
        .to_der()
        .map_err(|_| Error::MalformedDer {
            what: "request public key",
        })?;
    let public_key = suite
        .verifying_key_from_spki_der(&spki)
        .map_err(|_| Error::SuiteMismatch)?;
    let signature = request
        .signature
        .as_bytes()
        .and_then(|der| suite.signature_from_der(der).ok())
        .ok_or(Error::BadSignature { what: "request" })?;
    let info = request
        .info
        .to_der()
        .map_err(|_| Error::MalformedDer { what: "request" })?;
    let possessed = public_key.verify(&info, &signature).is_ok()
        || (suite.id() == SuiteId::Gm
            && DistinguishingId::new("")
                .map(Suite::gm_with_distinguishing_id)
                .and_then(|empty| empty.verifying_key_from_spki_der(&spki))
                .is_ok_and(|key| key.verify(&info, &signature).is_ok()));
    if !possessed {
        return Err(Error::BadSignature { what: "request" });
    }
    Ok(VerifiedRequest {
        subject: request.info.subject,
        public_key,
    })
}
