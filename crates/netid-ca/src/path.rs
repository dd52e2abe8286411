//! Certification path validation (RFC 5280 §6, the parts netid's relying parties need):
//! signatures and names along the chain, validity at a given time, CA constraints and path
//! lengths, key usage of issuers, unknown critical extensions, and revocation by CRL.
//!
//! Not covered: policy processing, name constraints (a certificate that marks them critical is
//! refused as an unknown critical extension rather than half-checked).

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_BASIC_CONSTRAINTS, ID_CE_CERTIFICATE_POLICIES,
    ID_CE_CRL_DISTRIBUTION_POINTS, ID_CE_EXT_KEY_USAGE, ID_CE_KEY_USAGE, ID_CE_SUBJECT_ALT_NAME,
    ID_CE_SUBJECT_KEY_IDENTIFIER, ID_PE_AUTHORITY_INFO_ACCESS,
};
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};

use crate::crl::crl_key_identifier;
use crate::{Error, subject_key_identifier, verify_crl, verify_signed_by};

/// `id-pkix-ocsp-nocheck`, which delegated OCSP responders carry.
const ID_PKIX_OCSP_NOCHECK: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.5");
/// Longest chain considered, anchor excluded.
const MAX_DEPTH: usize = 8;

/// The extensions netid understands and may therefore accept as critical.
const UNDERSTOOD: [ObjectIdentifier; 10] = [
    ID_CE_BASIC_CONSTRAINTS,
    ID_CE_KEY_USAGE,
    ID_CE_EXT_KEY_USAGE,
    ID_CE_CERTIFICATE_POLICIES,
    ID_CE_SUBJECT_ALT_NAME,
    ID_CE_SUBJECT_KEY_IDENTIFIER,
    ID_CE_AUTHORITY_KEY_IDENTIFIER,
    ID_CE_CRL_DISTRIBUTION_POINTS,
    ID_PE_AUTHORITY_INFO_ACCESS,
    ID_PKIX_OCSP_NOCHECK,
];

/// Validates `leaf` up to one of `anchors` through `intermediates`, at `at` (Unix seconds),
/// with `crls` (each checked against its issuer and for being current at `at` before use). Returns the path, leaf first,
/// anchor last.
pub fn validate_path(
    leaf: &Certificate,
    intermediates: &[Certificate],
    anchors: &[Certificate],
    at: u64,
    crls: &[CertificateList],
) -> Result<Vec<Certificate>, Error> {
    let mut path = vec![leaf.clone()];
    loop {
        let current = path.last().ok_or(Error::Internal("empty path"))?;
        let issuer_name = current.tbs_certificate().issuer();
        // Several anchors may share a name (a root re-keyed under the same name): the one
        // whose key signed this certificate.
        let mut named_anchors = anchors
            .iter()
            .filter(|anchor| anchor.tbs_certificate().subject() == issuer_name)
            .peekable();
        if named_anchors.peek().is_some() {
            let mut last_error = Error::UnknownIssuer;
            let mut found = None;
            for anchor in named_anchors {
                match verify_signed_by(current, anchor) {
                    Ok(()) => {
                        found = Some(anchor.clone());
                        break;
                    }
                    Err(error) => last_error = error,
                }
            }
            path.push(found.ok_or(last_error)?);
            break;
        }
        if path.len() > MAX_DEPTH {
            return Err(Error::PathTooLong);
        }
        // Several certificates may carry the issuer's name (a key rollover): take the one whose
        // key signed this certificate.
        let mut candidates = intermediates
            .iter()
            .filter(|candidate| candidate.tbs_certificate().subject() == issuer_name)
            .peekable();
        if candidates.peek().is_none() {
            return Err(Error::UnknownIssuer);
        }
        let mut last_error = Error::UnknownIssuer;
        let mut found = None;
        for candidate in candidates {
            match verify_signed_by(current, candidate) {
                Ok(()) => {
                    found = Some(candidate.clone());
                    break;
                }
                Err(error) => last_error = error,
            }
        }
        path.push(found.ok_or(last_error)?);
    }

    // `path` is leaf, intermediates..., anchor. Every certificate but the anchor (trusted as
    // configured) is checked against its issuer; every issuer's constraints bound the path
    // below it, the anchor's included.
    for pair in path.windows(2) {
        let [certificate, issuer] = pair else {
            continue;
        };
        check_validity(certificate, at)?;
        check_critical_extensions(certificate)?;
        check_revocation(certificate, issuer, crls, at)?;
    }
    for (intermediates_below, issuer) in path.iter().skip(1).enumerate() {
        let Some(constraints) = basic_constraints(issuer)?.filter(|constraints| constraints.ca)
        else {
            return Err(Error::NotACa);
        };
        if key_usage(issuer)?.is_some_and(|usage| !usage.0.contains(KeyUsages::KeyCertSign)) {
            return Err(Error::NotACa);
        }
        // RFC 5280 §6.1.4 (l): the CA certificates between this issuer and the leaf.
        if constraints
            .path_len_constraint
            .is_some_and(|limit| intermediates_below > usize::from(limit))
        {
            return Err(Error::PathLengthExceeded);
        }
    }
    Ok(path)
}

fn check_validity(certificate: &Certificate, at: u64) -> Result<(), Error> {
    let validity = certificate.tbs_certificate().validity();
    if at < validity.not_before.to_unix_duration().as_secs() {
        return Err(Error::NotYetValid);
    }
    if at > validity.not_after.to_unix_duration().as_secs() {
        return Err(Error::Expired);
    }
    Ok(())
}

fn check_critical_extensions(certificate: &Certificate) -> Result<(), Error> {
    let extensions = certificate.tbs_certificate().extensions();
    for extension in extensions.iter().flat_map(|list| list.iter()) {
        if extension.critical && !UNDERSTOOD.contains(&extension.extn_id) {
            return Err(Error::UnknownCriticalExtension {
                oid: extension.extn_id.to_string(),
            });
        }
    }
    Ok(())
}

/// Whether `crl` is one of `issuer`'s CRLs, which path validation checks and applies: the
/// same name and, when both say, the same key. (After a key rollover the old and the new key
/// of one CA name each issue CRLs; a CRL naming another key is about other certificates.)
pub fn crl_applies(crl: &CertificateList, issuer: &Certificate) -> bool {
    if crl.tbs_cert_list.issuer != *issuer.tbs_certificate().subject() {
        return false;
    }
    match (crl_key_identifier(crl), subject_key_identifier(issuer)) {
        (Some(crl_key), Some(issuer_key)) => crl_key == issuer_key,
        _ => true,
    }
}

fn check_revocation(
    certificate: &Certificate,
    issuer: &Certificate,
    crls: &[CertificateList],
    at: u64,
) -> Result<(), Error> {
    let serial = certificate.tbs_certificate().serial_number();
    for crl in crls.iter().filter(|crl| crl_applies(crl, issuer)) {
        verify_crl(crl, issuer)?;
        let this_update = crl.tbs_cert_list.this_update.to_unix_duration().as_secs();
        let expired = crl
            .tbs_cert_list
            .next_update
            .is_some_and(|next| next.to_unix_duration().as_secs() < at);
        if this_update > at || expired {
            return Err(Error::StaleStatus);
        }
        let listed = crl
            .tbs_cert_list
            .revoked_certificates
            .iter()
            .flatten()
            .any(|entry| entry.serial_number == *serial);
        if listed {
            return Err(Error::Revoked);
        }
    }
    Ok(())
}

fn basic_constraints(certificate: &Certificate) -> Result<Option<BasicConstraints>, Error> {
    certificate
        .tbs_certificate()
        .get_extension::<BasicConstraints>()
        .map(|found| found.map(|(_, value)| value))
        .map_err(|_| Error::MalformedDer {
            what: "basic constraints",
        })
}

fn key_usage(certificate: &Certificate) -> Result<Option<KeyUsage>, Error> {
    certificate
        .tbs_certificate()
        .get_extension::<KeyUsage>()
        .map(|found| found.map(|(_, value)| value))
        .map_err(|_| Error::MalformedDer { what: "key usage" })
}
