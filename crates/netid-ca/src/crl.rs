//! Certificate revocation lists (RFC 5280 §5): full CRLs with CRL numbers and reason codes.
//!
//! Built directly from x509-cert's `TbsCertList` rather than its `CrlBuilder`, which (0.3.0)
//! copies the issuer certificate's own *authority* key identifier into the CRL; RFC 5280
//! §5.2.1 wants the issuer's *subject* key identifier there, and OpenSSL matches on it.

use const_oid::AssociatedOid;
use der::asn1::Uint;
use der::{Decode, Encode, EncodePem};
use netid_crypto::SigningKey;
use x509_cert::Certificate;
use x509_cert::certificate::Version;
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::crl::CrlNumber;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlReason, SubjectKeyIdentifier};
use x509_cert::serial_number::SerialNumber;

use crate::certificate::{extension, signature_algorithm, verify_issuer_signature, x509_time};
use crate::{Error, signature_suite};

/// Why a certificate was revoked (RFC 5280 §5.3.1 `CRLReason`), as netid uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationReason {
    /// No reason given.
    Unspecified,
    /// The subject's private key was compromised (or the holder says it may be).
    KeyCompromise,
    /// A CA's key was compromised.
    CaCompromise,
    /// The subject's affiliation changed (a platform left, a holder's data changed).
    AffiliationChanged,
    /// Replaced by a new certificate (renewal, key rollover, holder recovery).
    Superseded,
    /// No longer needed (holder deletion, platform deregistration).
    CessationOfOperation,
    /// The privilege the certificate stood for was withdrawn (e.g. a recognition).
    PrivilegeWithdrawn,
}

impl RevocationReason {
    /// Every reason netid uses.
    pub const ALL: [Self; 7] = [
        Self::Unspecified,
        Self::KeyCompromise,
        Self::CaCompromise,
        Self::AffiliationChanged,
        Self::Superseded,
        Self::CessationOfOperation,
        Self::PrivilegeWithdrawn,
    ];

    /// The reason's name, as netid's API and store write it (`key_compromise`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::KeyCompromise => "key_compromise",
            Self::CaCompromise => "ca_compromise",
            Self::AffiliationChanged => "affiliation_changed",
            Self::Superseded => "superseded",
            Self::CessationOfOperation => "cessation_of_operation",
            Self::PrivilegeWithdrawn => "privilege_withdrawn",
        }
    }

    /// The reason named `name`, if netid knows it.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.name() == name)
    }

    pub(crate) fn from_crl_reason(reason: CrlReason) -> Self {
        match reason {
            CrlReason::KeyCompromise => Self::KeyCompromise,
            CrlReason::CaCompromise => Self::CaCompromise,
            CrlReason::AffiliationChanged => Self::AffiliationChanged,
            CrlReason::Superseded => Self::Superseded,
            CrlReason::CessationOfOperation => Self::CessationOfOperation,
            CrlReason::PrivilegeWithdrawn => Self::PrivilegeWithdrawn,
            _ => Self::Unspecified,
        }
    }

    pub(crate) fn crl_reason(self) -> CrlReason {
        match self {
            Self::Unspecified => CrlReason::Unspecified,
            Self::KeyCompromise => CrlReason::KeyCompromise,
            Self::CaCompromise => CrlReason::CaCompromise,
            Self::AffiliationChanged => CrlReason::AffiliationChanged,
            Self::Superseded => CrlReason::Superseded,
            Self::CessationOfOperation => CrlReason::CessationOfOperation,
            Self::PrivilegeWithdrawn => CrlReason::PrivilegeWithdrawn,
        }
    }
}

/// One revoked certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedEntry {
    /// The revoked certificate's serial number.
    pub serial: SerialNumber,
    /// When it was revoked, seconds since the Unix epoch.
    pub revoked_at: u64,
    /// Why.
    pub reason: RevocationReason,
}

/// Issues a full CRL for the certificates `issuer` issued: CRL number `number` (monotonic per
/// issuer), valid from `this_update` until `next_update` (Unix seconds), listing `revoked`.
pub fn issue_crl(
    issuer: &Certificate,
    issuer_key: &SigningKey,
    number: u64,
    this_update: u64,
    next_update: u64,
    revoked: &[RevokedEntry],
) -> Result<CertificateList, Error> {
    if signature_suite(issuer.signature_algorithm())? != issuer_key.suite() {
        return Err(Error::SuiteMismatch);
    }
    if next_update <= this_update {
        return Err(Error::BadValidity);
    }
    let issuer_key_id = issuer
        .tbs_certificate()
        .get_extension::<SubjectKeyIdentifier>()
        .map_err(|_| Error::MalformedDer {
            what: "issuer certificate",
        })?
        .map(|(_, ski)| ski.0)
        .ok_or(Error::MissingKeyIdentifier)?;
    let number = Uint::new(&number.to_be_bytes()).map_err(|_| Error::Internal("crl number"))?;
    let crl_extensions = vec![
        extension(
            &AuthorityKeyIdentifier {
                key_identifier: Some(issuer_key_id),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
            false,
        )?,
        extension(&CrlNumber(number), false)?,
    ];
    let entries = revoked
        .iter()
        .map(|entry| {
            Ok(RevokedCert {
                serial_number: entry.serial.clone(),
                revocation_date: x509_time(entry.revoked_at)?,
                crl_entry_extensions: Some(vec![reason_extension(entry.reason)?]),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let algorithm = signature_algorithm(issuer_key.suite());
    let tbs = TbsCertList {
        version: Version::V2,
        signature: algorithm.clone(),
        issuer: issuer.tbs_certificate().subject().clone(),
        this_update: x509_time(this_update)?,
        next_update: Some(x509_time(next_update)?),
        // RFC 5280 §5.1.2.6: absent, not empty, when nothing is revoked.
        revoked_certificates: (!entries.is_empty()).then_some(entries),
        crl_extensions: Some(crl_extensions),
    };
    let tbs_der = tbs
        .to_der()
        .map_err(|_| Error::Internal("tbs cert list encoding"))?;
    let signature = issuer_key.sign(&tbs_der)?.to_der()?;
    Ok(CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm: algorithm,
        signature: der::asn1::BitString::from_bytes(&signature)
            .map_err(|_| Error::Internal("signature bit string"))?,
    })
}

/// Checks that `crl` was issued and signed by `issuer`.
pub fn verify_crl(crl: &CertificateList, issuer: &Certificate) -> Result<(), Error> {
    if crl.tbs_cert_list.issuer != *issuer.tbs_certificate().subject() {
        return Err(Error::IssuerMismatch);
    }
    if crl.signature_algorithm != crl.tbs_cert_list.signature {
        return Err(Error::BadSignature { what: "crl" });
    }
    let tbs = crl
        .tbs_cert_list
        .to_der()
        .map_err(|_| Error::MalformedDer { what: "crl" })?;
    verify_issuer_signature(
        issuer,
        &crl.signature_algorithm,
        &crl.signature,
        &tbs,
        "crl",
    )
}

/// The key identifier of a CRL's authority key identifier extension, if it has one: which of
/// its issuer's keys signed it.
pub(crate) fn crl_key_identifier(crl: &CertificateList) -> Option<Vec<u8>> {
    crl.tbs_cert_list
        .crl_extensions
        .iter()
        .flatten()
        .find(|extension| extension.extn_id == AuthorityKeyIdentifier::OID)
        .and_then(|extension| {
            AuthorityKeyIdentifier::from_der(extension.extn_value.as_bytes()).ok()
        })
        .and_then(|aki| aki.key_identifier)
        .map(|id| id.as_bytes().to_vec())
}

/// A CRL as PEM (`-----BEGIN X509 CRL-----`), LF line endings.
pub fn crl_to_pem(crl: &CertificateList) -> Result<String, Error> {
    crl.to_pem(der::pem::LineEnding::LF)
        .map_err(|_| Error::Internal("crl pem encoding"))
}

fn reason_extension(reason: RevocationReason) -> Result<Extension, Error> {
    extension(&reason.crl_reason(), false)
}

#[cfg(test)]
mod tests {
    use super::RevocationReason;

    #[test]
    fn reason_names_round_trip_and_unknown_names_are_none() {
        for reason in RevocationReason::ALL {
            assert_eq!(RevocationReason::from_name(reason.name()), Some(reason));
        }
        assert_eq!(RevocationReason::from_name("because"), None);
        assert_eq!(RevocationReason::Superseded.name(), "superseded");
    }
}
