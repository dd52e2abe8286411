//! Enrollment (Measures Art. 2, 4, 5): an applicant proves possession of a wallet key, the
//! document authority confirms the evidence, and the person gets a Net ID, or, if they
//! already have one, the recovery path replaces their wallet key.

use netid_core::rules::{ADULT_AGE, GUARDIAN_REQUIRED_BELOW};
use netid_core::{DocumentNumber, DocumentType, NetId, PersonName, Validity};
use netid_log::EntryKind;
use netid_proto::{EnrollOutcome, EnrollRequest, EnrollResponse, signing};
use netid_store::{Conflict, HolderId, NewHolder, Recovery, Revocation};

use crate::authority::{Answer, AuthoritativeRecord, Evidence};
use crate::error::EnrollmentRefusal;
use crate::error::{Error, Refusal};
use crate::personal;
use crate::state::AppState;
use crate::wallet::WalletKey;

/// Random Net ID collisions are retried this many times.
const NET_ID_ATTEMPTS: usize = 8;

/// Enrolls or recovers; see the module documentation.
pub(crate) async fn enroll(
    state: &AppState,
    request: EnrollRequest,
) -> Result<EnrollResponse, Error> {
    let today = state.deps.clock.today()?;
    let document_type: DocumentType =
        request
            .document_type
            .parse()
            .map_err(|error: netid_core::DocumentError| Refusal::InvalidField {
                field: "document_type",
                reason: error.to_string(),
            })?;
    let number =
        DocumentNumber::parse(document_type, &request.document_number, today).map_err(|error| {
            Refusal::InvalidField {
                field: "document_number",
                reason: error.to_string(),
            }
        })?;
    let name = PersonName::parse(&request.name).map_err(|error| Refusal::InvalidField {
        field: "name",
        reason: error.to_string(),
    })?;
    if let Some(code) = &request.enrollment_code {
        if code.is_empty() || code.len() > 128 || code.chars().any(char::is_control) {
            return Err(Refusal::InvalidField {
                field: "enrollment_code",
                reason: "expected 1 to 128 characters without control characters".to_owned(),
            }
            .into());
        }
    }
    let wallet = WalletKey::parse(&request.wallet_key, "wallet_key")?;
    // The applicant's consent to the centre's processing: the notice they were shown (Art. 10).
    state
        .deps
        .notice
        .check_version(request.notice_version.as_deref())?;
    crate::wallet::check_request_id(&request.request_id)?;
    state.deps.check_fresh(request.timestamp)?;
    let message = signing::enrollment_message(
        &request.document_type,
        &request.document_number,
        &request.name,
        request.enrollment_code.as_deref(),
        request.notice_version.as_deref(),
        &request.request_id,
        request.timestamp,
    );
    if !wallet.verifies(&message, &request.signature) {
        return Err(Refusal::BadWalletSignature.into());
    }
    // A captured request replayed would get the Net ID back: each is answered once.
    crate::wallet::use_request(&state.deps, &wallet, &request.request_id, request.timestamp)
        .await?;

    let evidence = Evidence {
        number,
        name,
        enrollment_code: request.enrollment_code.clone(),
    };
    let confirmed = match state.authority.check(&evidence, today).await? {
        Answer::Confirmed(record) => record,
        Answer::Refused => {
            tracing::info!(target: "netid::security", event = "enrollment_refused", reason = "evidence_mismatch");
            return Err(Refusal::Enrollment(EnrollmentRefusal::EvidenceMismatch).into());
        }
        Answer::NameMismatch => {
            tracing::info!(target: "netid::security", event = "enrollment_refused", reason = "name_mismatch");
            return Err(Refusal::Enrollment(EnrollmentRefusal::NameMismatch).into());
        }
        Answer::CodeLocked => {
            tracing::info!(target: "netid::security", event = "enrollment_refused", reason = "code_locked");
            return Err(Refusal::Enrollment(EnrollmentRefusal::EnrollmentCodeLocked).into());
        }
    };
    if confirmed.record.validity_on(today) == Validity::Expired {
        return Err(Refusal::Enrollment(EnrollmentRefusal::DocumentExpired).into());
    }
    let age = confirmed
        .record
        .birth_date()
        .age_on(today)
        .ok_or(Error::Internal("authoritative birth date after today"))?;
    // Under 14 a guardian the roster lists consents; until 18 every enrolled adult it lists
    // as a guardian is one on record (Art. 4).
    let consenting = if age < GUARDIAN_REQUIRED_BELOW {
        Some(check_guardian(state, &request, &confirmed).await?)
    } else {
        None
    };
    let guardians = if age < ADULT_AGE {
        roster_guardians(state, &confirmed, today, consenting).await?
    } else {
        Vec::new()
    };

    let wallet_row = wallet.row()?;
    if let Some(existing) = state
        .deps
        .store
        .holder_by_person(&confirmed.person_index)
        .await?
    {
        if existing.wallet_key.fingerprint == wallet_row.fingerprint {
            // The holder's own wallet applying again (a retry after a lost answer): the same
            // answer, nothing changes.
            return Ok(EnrollResponse {
                net_id: personal::net_id(&state.deps.keys.master, &existing)?.expose_grouped(),
                outcome: EnrollOutcome::Enrolled,
            });
        }
        // Recovery moves the Net ID to a new key, so it needs what only the person can have:
        // a fresh one-time code from the authority. Number and name alone are not secrets.
        if confirmed.code_index.is_none() {
            tracing::info!(target: "netid::security", event = "enrollment_refused", reason = "recovery_requires_code");
            return Err(Refusal::Enrollment(EnrollmentRefusal::RecoveryRequiresCode).into());
        }
        let now = state.deps.clock.now();
        let log_key = personal::log_key(&state.deps.keys.master, &existing)?;
        let log_entry = state
            .deps
            .log
            .entry(EntryKind::Recovery, Some(&log_key), None, now)?;
        // The lost wallet may have gone with the keys of the holder's signing certificates:
        // recovery revokes them (superseded), in the same transaction.
        let revocations = state
            .deps
            .store
            .holder_certificates(existing.id)
            .await?
            .into_iter()
            .map(|certificate| {
                Ok(Revocation {
                    serial: certificate.serial,
                    reason: netid_ca::RevocationReason::Superseded,
                    log_entry: state.deps.log.entry(
                        EntryKind::CertificateRevoked,
                        Some(&log_key),
                        None,
                        now,
                    )?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        state
            .deps
            .store
            .replace_wallet_key(
                Recovery {
                    holder: existing.id,
                    new_key: wallet_row,
                    code_index: confirmed.code_index.clone(),
                    guardians: guardians.clone(),
                    log_entry,
                    revocations,
                    notice_version: request.notice_version.clone(),
                    // The platforms are told in the same transaction.
                    signals: crate::signals::of_recovery(&state.deps, &existing).await?,
                },
                now,
            )
            .await
            .map_err(enrollment_refusal)?;
        tracing::info!(target: "netid::security", event = "wallet_key_replaced", minor = !guardians.is_empty());
        return Ok(EnrollResponse {
            net_id: personal::net_id(&state.deps.keys.master, &existing)?.expose_grouped(),
            outcome: EnrollOutcome::Recovered,
        });
    }

    for _ in 0..NET_ID_ATTEMPTS {
        let mut random_failed = false;
        let net_id = NetId::generate(|bytes| {
            random_failed |= getrandom::fill(bytes).is_err();
        })
        .map_err(|_| Error::Internal("net id generation"))?;
        // Never issue an id drawn from a failed generator: it would be predictable.
        if random_failed {
            return Err(Error::Internal(
                "the operating system's random generator failed",
            ));
        }
        let sealed =
            personal::seal_new(&state.deps.keys.master, net_id.expose(), &confirmed.record)?;
        let now = state.deps.clock.now();
        let log_entry =
            state
                .deps
                .log
                .entry(EntryKind::Enrollment, Some(&sealed.log_key), None, now)?;
        let holder = NewHolder {
            net_id: personal::store_net_id(
                &state.deps.keys.master,
                &state.deps.keys.blind_index,
                &net_id,
            )?,
            person_index: confirmed.person_index.clone(),
            wallet_key: wallet_row.clone(),
            wrapped_data_key: sealed.wrapped_data_key,
            sealed_personal: sealed.sealed_personal,
            notice_version: request.notice_version.clone(),
        };
        match state
            .deps
            .store
            .enroll_holder(
                holder,
                confirmed.code_index.clone(),
                guardians.clone(),
                log_entry,
                now,
            )
            .await
        {
            Ok(_) => {
                tracing::info!(target: "netid::security", event = "holder_enrolled", minor = age < GUARDIAN_REQUIRED_BELOW);
                return Ok(EnrollResponse {
                    net_id: net_id.expose_grouped(),
                    outcome: EnrollOutcome::Enrolled,
                });
            }
            Err(netid_store::Error::AlreadyExists {
                what: Conflict::NetId,
            }) => continue,
            Err(error) => return Err(enrollment_refusal(error)),
        }
    }
    Err(Error::Internal("net id collisions exhausted the retries"))
}

fn enrollment_refusal(error: netid_store::Error) -> Error {
    match error {
        netid_store::Error::EnrollmentCodeClaimed => {
            Refusal::Enrollment(EnrollmentRefusal::EnrollmentCodeUsed).into()
        }
        netid_store::Error::AlreadyExists {
            what: Conflict::WalletKey,
        } => Refusal::Enrollment(EnrollmentRefusal::WalletKeyInUse).into(),
        netid_store::Error::AlreadyExists {
            what: Conflict::Person,
        } => Refusal::Enrollment(EnrollmentRefusal::EnrollmentConflict).into(),
        other => other.into(),
    }
}

/// The guardians on record of a minor enrolling: the enrolled adults the roster lists as
/// their guardians, and the one who consented, if one did.
async fn roster_guardians(
    state: &AppState,
    confirmed: &AuthoritativeRecord,
    today: netid_core::Date,
    consenting: Option<HolderId>,
) -> Result<Vec<HolderId>, Error> {
    let mut guardians: Vec<HolderId> = consenting.into_iter().collect();
    for index in &confirmed.guardian_indexes {
        if let Some(guardian) = crate::operator::adult_holder(&state.deps, index, today).await? {
            if !guardians.contains(&guardian) {
                guardians.push(guardian);
            }
        }
    }
    guardians.sort_unstable_by_key(|id| id.0);
    Ok(guardians)
}

/// Checks the guardian consent of a minor's request: signed by the current wallet key of an
/// enrolled adult whom the roster records as the minor's guardian.
async fn check_guardian(
    state: &AppState,
    request: &EnrollRequest,
    confirmed: &AuthoritativeRecord,
) -> Result<HolderId, Error> {
    let consent = request
        .guardian
        .as_ref()
        .ok_or(Refusal::Enrollment(EnrollmentRefusal::GuardianRequired))?;
    if confirmed.guardian_indexes.is_empty() {
        return Err(Refusal::Enrollment(EnrollmentRefusal::GuardianRequired).into());
    }
    let key = WalletKey::parse(&consent.wallet_key, "guardian.wallet_key")?;
    let message = signing::guardian_consent_message(&request.signature);
    if !key.verifies(&message, &consent.signature) {
        return Err(Refusal::Enrollment(EnrollmentRefusal::GuardianNotRecognised).into());
    }
    let guardian = state
        .deps
        .store
        .holder_by_wallet_key(&key.fingerprint()?)
        .await?
        .ok_or(Refusal::Enrollment(
            EnrollmentRefusal::GuardianNotRecognised,
        ))?;
    if !confirmed.guardian_indexes.contains(&guardian.person_index) {
        return Err(Refusal::Enrollment(EnrollmentRefusal::GuardianNotRecognised).into());
    }
    let today = state.deps.clock.today()?;
    let record = personal::open(&state.deps.keys.master, &guardian, today)?;
    match record.birth_date().age_on(today) {
        Some(age) if age >= ADULT_AGE => Ok(guardian.id),
        _ => Err(Refusal::Enrollment(EnrollmentRefusal::GuardianNotRecognised).into()),
    }
}
