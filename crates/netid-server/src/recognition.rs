//! Recognition of foreign CAs (Electronic Certification Service Measures): the operator
//! recognises a foreign CA with its documentation and the scenarios its certificates may be
//! used in, and can withdraw that; anyone may ask whether a certificate is trusted here for a
//! scenario. netid's own certificates are trusted for any scenario; a recognised foreign CA's
//! only for the scenarios recognised, and not at all once withdrawn.

use netid_ca::{Certificate, CertificateList};
use netid_log::EntryKind;
use netid_proto::{
    ForeignCa, ForeignCaList, RecogniseForeignCaRequest, VerifyCertificateRequest,
    VerifyCertificateResponse,
};
use netid_store::{ForeignCaRow, Timestamp};

use crate::error::CaRefusal;
use crate::error::{Error, Refusal};
use crate::operator::check_name;
use crate::state::AppState;

/// At most this many scenarios per recognition, and certificates per chain.
const MAX_ITEMS: usize = 32;

/// Recognises (or re-recognises) a foreign CA.
pub(crate) async fn recognise(
    state: &AppState,
    request: RecogniseForeignCaRequest,
    operator: &str,
) -> Result<ForeignCa, Error> {
    check_name("name", &request.name)?;
    check_name("qualification", &request.qualification)?;
    check_name("certificate_type", &request.certificate_type)?;
    check_name("technical_standard", &request.technical_standard)?;
    if request.scenarios.is_empty() || request.scenarios.len() > MAX_ITEMS {
        return Err(Refusal::InvalidField {
            field: "scenarios",
            reason: format!("expected 1 to {MAX_ITEMS} scenarios"),
        }
        .into());
    }
    for scenario in &request.scenarios {
        check_name("scenarios", scenario)?;
    }
    let root = parse_pem(&request.certificate, "certificate")?;
    let now = seconds(state.deps.clock.now())?;
    // A recognised root must be a self-signed CA that is valid now.
    netid_ca::validate_path(&root, &[], std::slice::from_ref(&root), now, &[]).map_err(
        |error| {
            Refusal::Ca(CaRefusal::InvalidCertificate {
                reason: format!("the foreign root is not a valid self-signed CA: {error}"),
            })
        },
    )?;
    let row = ForeignCaRow {
        name: request.name,
        der: to_der(&root)?,
        qualification: request.qualification,
        certificate_type: request.certificate_type,
        technical_standard: request.technical_standard,
        scenarios: request.scenarios,
        recognised_at: state.deps.clock.now(),
    };
    let log_entry = state.deps.log.entry_by(
        EntryKind::RecognitionChanged,
        None,
        None,
        Some((operator, None)),
        state.deps.clock.now(),
    )?;
    state
        .deps
        .store
        .recognise_foreign_ca(row.clone(), log_entry)
        .await?;
    tracing::info!(target: "netid::security", event = "foreign_ca_recognised");
    published(&row)
}

/// Withdraws a recognition; `false` if there was none.
pub(crate) async fn withdraw(state: &AppState, name: &str, operator: &str) -> Result<bool, Error> {
    let log_entry = state.deps.log.entry_by(
        EntryKind::RecognitionChanged,
        None,
        None,
        Some((operator, None)),
        state.deps.clock.now(),
    )?;
    let withdrawn = state
        .deps
        .store
        .withdraw_foreign_ca(name, log_entry, state.deps.clock.now())
        .await?;
    tracing::info!(target: "netid::security", event = "foreign_ca_withdrawn", changed = withdrawn);
    Ok(withdrawn)
}

/// The recognised foreign CAs, as published.
pub(crate) async fn list(state: &AppState) -> Result<ForeignCaList, Error> {
    let foreign_cas = state
        .deps
        .store
        .foreign_cas()
        .await?
        .iter()
        .map(published)
        .collect::<Result<_, _>>()?;
    Ok(ForeignCaList { foreign_cas })
}

/// Whether the chain's certificate is trusted here for the scenario: under netid's own root
/// (checked against netid's current CRL) for any scenario, or under a recognised foreign root
/// for a scenario its recognition names.
pub(crate) async fn verify(
    state: &AppState,
    request: VerifyCertificateRequest,
) -> Result<VerifyCertificateResponse, Error> {
    if request.chain.is_empty() || request.chain.len() > MAX_ITEMS {
        return Err(Refusal::InvalidField {
            field: "chain",
            reason: format!("expected 1 to {MAX_ITEMS} PEM certificates, the certificate first"),
        }
        .into());
    }
    let chain = request
        .chain
        .iter()
        .map(|pem| parse_pem(pem, "chain"))
        .collect::<Result<Vec<_>, _>>()?;
    let (leaf, intermediates) = chain
        .split_first()
        .ok_or(Error::Internal("a checked chain is empty"))?;
    if request.crls.len() > MAX_ITEMS {
        return Err(Refusal::InvalidField {
            field: "crls",
            reason: format!("expected at most {MAX_ITEMS} PEM CRLs"),
        }
        .into());
    }
    let crls = request
        .crls
        .iter()
        .map(|pem| {
            <CertificateList as der::DecodePem>::from_pem(pem.trim()).map_err(|_| {
                Refusal::InvalidField {
                    field: "crls",
                    reason: "expected PEM CRLs".to_owned(),
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // netid's own roots first (every CA generation it answers for, each with its CRL); a
    // failure there is remembered, not final, since a foreign root may carry the same name.
    let mut own_error = None;
    let (roots, own_crls) = state.ca.trust_anchors().await?;
    // Read after the own CRLs are made: read before, a second that ticked over in between
    // would put their `thisUpdate` after the time checked, and they would read as not current.
    let now = seconds(state.deps.clock.now())?;
    if !roots.is_empty() {
        match netid_ca::validate_path(leaf, intermediates, &roots, now, &own_crls) {
            Ok(_) => {
                // A CA taken over from a predecessor publishes only its final CRL; the
                // records say whether this service revoked the certificate since.
                let serial = leaf.tbs_certificate().serial_number().as_bytes();
                let recorded = state.deps.store.certificate(serial).await?;
                let revoked_here = recorded.is_some_and(|row| {
                    row.revoked.is_some() && to_der(leaf).is_ok_and(|der| der == row.der)
                });
                if revoked_here {
                    return Err(not_trusted(&netid_ca::Error::Revoked));
                }
                return Ok(VerifyCertificateResponse {
                    trusted: true,
                    anchor: "netid".to_owned(),
                    scenarios: Vec::new(),
                    revocation_checked: true,
                });
            }
            Err(netid_ca::Error::UnknownIssuer) => {}
            Err(error) => own_error = Some(error),
        }
    }
    let mut foreign_error = None;
    for foreign in state.deps.store.foreign_cas().await? {
        let root = from_der(&foreign.der)?;
        match netid_ca::validate_path(leaf, intermediates, std::slice::from_ref(&root), now, &crls)
        {
            Ok(path) => {
                let in_scope = request
                    .scenario
                    .as_ref()
                    .is_some_and(|scenario| foreign.scenarios.contains(scenario));
                if !in_scope {
                    return Err(Refusal::Ca(CaRefusal::OutsideRecognisedScope {
                        anchor: foreign.name,
                        scenarios: foreign.scenarios,
                    })
                    .into());
                }
                // Every certificate below the anchor had a CRL of its issuer, which the
                // validation applied (and so checked and found current).
                let revocation_checked = path.windows(2).all(|pair| {
                    pair.get(1).is_some_and(|issuer| {
                        crls.iter().any(|crl| netid_ca::crl_applies(crl, issuer))
                    })
                });
                return Ok(VerifyCertificateResponse {
                    trusted: true,
                    anchor: foreign.name,
                    scenarios: foreign.scenarios,
                    revocation_checked,
                });
            }
            Err(netid_ca::Error::UnknownIssuer) => {}
            Err(error) => foreign_error = Some(error),
        }
    }
    // Say why it failed under netid's root (revoked, expired...) before anything else.
    Err(not_trusted(
        &own_error
            .or(foreign_error)
            .unwrap_or(netid_ca::Error::UnknownIssuer),
    ))
}

fn not_trusted(error: &netid_ca::Error) -> Error {
    Refusal::Ca(CaRefusal::CertificateNotTrusted {
        reason: error.to_string(),
    })
    .into()
}

fn published(row: &ForeignCaRow) -> Result<ForeignCa, Error> {
    let certificate = from_der(&row.der)?;
    Ok(ForeignCa {
        name: row.name.clone(),
        certificate: netid_ca::to_pem(&certificate)?,
        sha256: hex::encode(netid_crypto::Suite::intl().hash(&row.der).as_ref()),
        qualification: row.qualification.clone(),
        certificate_type: row.certificate_type.clone(),
        technical_standard: row.technical_standard.clone(),
        scenarios: row.scenarios.clone(),
        recognised_at: row.recognised_at.0,
    })
}

fn parse_pem(pem: &str, field: &'static str) -> Result<Certificate, Refusal> {
    <Certificate as der::DecodePem>::from_pem(pem.trim()).map_err(|_| Refusal::InvalidField {
        field,
        reason: "expected PEM certificates".to_owned(),
    })
}

fn from_der(der: &[u8]) -> Result<Certificate, Error> {
    <Certificate as der::Decode>::from_der(der)
        .map_err(|_| Error::Internal("a stored certificate does not parse"))
}

fn to_der(certificate: &Certificate) -> Result<Vec<u8>, Error> {
    der::Encode::to_der(certificate).map_err(|_| Error::Internal("certificate encoding"))
}

fn seconds(at: Timestamp) -> Result<u64, Error> {
    u64::try_from(at.0).map_err(|_| Error::Internal("the clock is before 1970"))
}
