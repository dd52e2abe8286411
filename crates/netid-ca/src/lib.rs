//! netid's certification authority core: X.509 certificates for both suites (SM2 with SM3 per
//! GM/T 0015, ECDSA P-256 with SHA-256 per RFC 5280), CRLs with reason codes, and checking of
//! certificates, CRLs and PKCS#10 requests.
//!
//! What this crate does not do: store certificates, keep serial counters, read the clock or
//! serve HTTP. Times and serial numbers arrive as arguments; signatures come from
//! `netid-crypto` keys, always as DER (OpenSSL rejects the raw `r || s` form in certificates).
//!
//! ```
//! use netid_ca::{CertificateTemplate, Profile, issue, verify_signed_by};
//! use netid_crypto::Suite;
//!
//! let suite = Suite::gm();
//! let root_key = suite.generate_signing_key()?;
//! let root = issue(
//!     &CertificateTemplate::new("CN=netid test root,O=netid", Profile::Root, [1; 16], 0, 86_400),
//!     root_key.verifying_key(),
//!     None,
//!     &root_key,
//! )?;
//! verify_signed_by(&root, &root)?;
//! # Ok::<(), netid_ca::Error>(())
//! ```

mod certificate;
mod crl;
mod error;
mod handover;
mod ocsp;
mod path;
mod request;

pub use certificate::{
    ANY_POLICY_OID, CertificateTemplate, Profile, authority_key_identifier, build_request,
    computed_key_identifier, has_subject, issue, key_suite, public_key, signature_suite,
    subject_key_identifier, to_pem, verify_data_signature, verify_signed_by,
};
pub use crl::{RevocationReason, RevokedEntry, crl_to_pem, issue_crl, verify_crl};
pub use error::Error;
pub use handover::{HandoverError, check_handed_over_ca, check_handed_over_certificate};
pub use ocsp::{
    CertificateStatus, CheckedResponse, MAX_OCSP_REQUESTS, OcspFailure, OcspResponder,
    ocsp_failure_response, requested_serials, verify_ocsp_response,
};
pub use path::{crl_applies, validate_path};
pub use request::{VerifiedRequest, verify_request};
pub use x509_cert::Certificate;
pub use x509_cert::crl::CertificateList;
pub use x509_cert::serial_number::SerialNumber;
