//! Checks of what a predecessor hands over when a CA leaves (Electronic Certification Service
//! Measures: the orderly exit): each CA of the package, its final CRL, and each certificate it
//! issued. Pure: the caller parses the package, gives the time, and decides what to store.

use netid_crypto::Suite;
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;

use crate::{
    Error, authority_key_identifier, computed_key_identifier, subject_key_identifier,
    validate_path, verify_crl, verify_signed_by,
};

/// A final CRL is made at the handover: its `thisUpdate` within this many seconds of the
/// package's time.
const FINAL_CRL_SKEW_SECONDS: u64 = 86_400;

/// The longest profile name a handed-over certificate may carry.
const MAX_PROFILE_LEN: usize = 32;

/// Why a handover package is refused; each message says what in the package is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandoverError {
    /// A CA chains to another root than the one the operator named.
    #[error(
        "a CA in the package chains to the root with SHA-256 {fingerprint}, not to the predecessor's root the operator named"
    )]
    OtherRoot {
        /// The SHA-256 of the root it chains to, in hex.
        fingerprint: String,
    },
    /// A CA's root, issuing certificate, final CRL or responder certificate does not verify.
    #[error("a CA's chain: {0}")]
    Chain(Error),
    /// An issuing certificate's subject key identifier is missing or not its key's.
    #[error("an issuing certificate's key identifier is not its key's")]
    KeyIdentifier,
    /// A CRL is not final: not made at the handover, or ending before its CA's certificate.
    #[error("a CRL in the package is not the CA's final CRL")]
    NotFinalCrl,
    /// A certificate was not issued by any CA of the package.
    #[error("a certificate was not issued by a CA in the package")]
    UnknownIssuer,
    /// A certificate's signature does not verify under the CA it names.
    #[error("a certificate's signature: {0}")]
    CertificateSignature(Error),
    /// A certificate's profile is not a short lower-case name.
    #[error("a certificate's profile must be a short lower-case name")]
    Profile,
}

/// Checks one CA of a handover package made at `generated_at`, at `now`: its root is the one
/// whose SHA-256 the operator named (`expected_root_sha256`, hex), the issuing certificate
/// and the final CRL verify under it, the responder certificate chains to it, the issuing
/// certificate's key identifier is its key's, and the CRL is final (made at the handover,
/// valid as long as the CA's own certificate). Returns the CA's key identifier.
pub fn check_handed_over_ca(
    root: &Certificate,
    issuing: &Certificate,
    responder: &Certificate,
    final_crl: &CertificateList,
    expected_root_sha256: &str,
    (generated_at, now): (u64, u64),
) -> Result<Vec<u8>, HandoverError> {
    let root_der = der::Encode::to_der(root)
        .map_err(|_| HandoverError::Chain(Error::Internal("certificate encoding")))?;
    let fingerprint: String = Suite::intl()
        .hash(&root_der)
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    if !fingerprint.eq_ignore_ascii_case(expected_root_sha256.trim()) {
        return Err(HandoverError::OtherRoot { fingerprint });
    }
    verify_signed_by(root, root).map_err(HandoverError::Chain)?;
    verify_signed_by(issuing, root).map_err(HandoverError::Chain)?;
    verify_crl(final_crl, issuing).map_err(HandoverError::Chain)?;
    validate_path(
        responder,
        std::slice::from_ref(issuing),
        std::slice::from_ref(root),
        now,
        &[],
    )
    .map_err(HandoverError::Chain)?;
    let key_id = subject_key_identifier(issuing)
        .filter(|key_id| Some(key_id) == computed_key_identifier(issuing).as_ref())
        .ok_or(HandoverError::KeyIdentifier)?;
    let this_update = final_crl
        .tbs_cert_list
        .this_update
        .to_unix_duration()
        .as_secs();
    let next_update = final_crl
        .tbs_cert_list
        .next_update
        .map_or(0, |next| next.to_unix_duration().as_secs());
    let issuing_not_after = issuing
        .tbs_certificate()
        .validity()
        .not_after
        .to_unix_duration()
        .as_secs();
    if this_update.abs_diff(generated_at) > FINAL_CRL_SKEW_SECONDS
        || next_update < issuing_not_after
    {
        return Err(HandoverError::NotFinalCrl);
    }
    Ok(key_id)
}

/// Checks a certificate of the package: it names one of `issuers` (key identifier and
/// issuing certificate, as [`check_handed_over_ca`] returned them) by its authority key
/// identifier and is signed by it, and its `profile` is a short lower-case name.
pub fn check_handed_over_certificate(
    certificate: &Certificate,
    profile: &str,
    issuers: &[(Vec<u8>, Certificate)],
) -> Result<(), HandoverError> {
    let (_, issuer) = authority_key_identifier(certificate)
        .and_then(|key_id| issuers.iter().find(|(id, _)| *id == key_id))
        .ok_or(HandoverError::UnknownIssuer)?;
    verify_signed_by(certificate, issuer).map_err(HandoverError::CertificateSignature)?;
    let profile_ok = !profile.is_empty()
        && profile.len() <= MAX_PROFILE_LEN
        && profile.chars().all(|c| c.is_ascii_lowercase() || c == '-');
    if !profile_ok {
        return Err(HandoverError::Profile);
    }
    Ok(())
}
