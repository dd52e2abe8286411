//! Platform grants and holder consents (Measures Art. 7-10): a platform asks for plaintext
//! fields, each with a legal basis, purpose and retention; the operator approves or refuses
//! each; the approved profile is published, signed. A field goes to a platform only if its
//! profile grants it AND the holder gave a separate consent for that platform and field that
//! is still live; each such disclosure is in the holder's history and the transparency log.

use std::collections::BTreeMap;

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_core::DocumentRecord;
use netid_log::EntryKind;
use netid_proto::{
    ConsentReceipt, ConsentRequest, FieldRequest, Profile, ProfileDecision, ProfileField,
    ProfileRequest, ServiceSigned, WithdrawConsentRequest, WithdrawConsentResponse, signing,
};
use netid_store::{ConsentChange, PlatformField, PlatformRow};

use netid_core::rules::{GRANTABLE_FIELDS, GUARDIAN_REQUIRED_BELOW};

use crate::deps::Deps;
use crate::error::VerificationRefusal;
use crate::error::{Error, Refusal};
use crate::personal;
use crate::wallet::authenticate_holder;

/// The longest legal basis, purpose or reference text, in characters.
const MAX_TEXT: usize = 300;

/// How long an approval holds at most, and by default, in days: three years, as Germany's
/// authorisation certificates (a renewal is a new approval).
pub(crate) const GRANT_DAYS: u32 = 1095;

/// Whether `text` is a legal basis, purpose or reference: not blank, at most
/// [`MAX_TEXT`] characters.
pub(crate) fn is_short_text(text: &str) -> bool {
    !text.trim().is_empty() && text.chars().count() <= MAX_TEXT
}

/// Records the fields `platform` asks for, replacing what it asked before; each awaits the
/// operator's decision again.
pub(crate) async fn request(
    deps: &Deps,
    platform: &PlatformRow,
    request: ProfileRequest,
) -> Result<Profile, Error> {
    let mut fields: Vec<PlatformField> = Vec::new();
    for FieldRequest {
        field,
        legal_basis,
        purpose,
        retention_days,
    } in request.fields
    {
        let invalid = |reason: &str| Refusal::InvalidField {
            field: "fields",
            reason: reason.to_owned(),
        };
        if !GRANTABLE_FIELDS.contains(&field.as_str()) {
            return Err(invalid(&format!(
                "a field must be one of {}",
                GRANTABLE_FIELDS.join(", ")
            ))
            .into());
        }
        if fields.iter().any(|known| known.field == field) {
            return Err(invalid("each field at most once").into());
        }
        if !is_short_text(&legal_basis) || !is_short_text(&purpose) {
            return Err(invalid("a legal basis and a purpose of 1 to 300 characters each").into());
        }
        if !(1..=3650).contains(&retention_days) {
            return Err(invalid("a retention of 1 to 3650 days").into());
        }
        fields.push(PlatformField {
            field,
            legal_basis,
            purpose,
            retention_days,
            status: netid_store::FieldStatus::Requested,
            approved_until: None,
        });
    }
    deps.store
        .request_platform_fields(&platform.client_id, fields, deps.clock.now())
        .await?;
    profile(deps, platform).await
}

/// The operator's decisions on a platform's requested fields.
pub(crate) async fn decide(
    deps: &Deps,
    decision: ProfileDecision,
    operator: &str,
) -> Result<Profile, Error> {
    let platform = check_decision(deps, &decision).await?;
    let now = deps.clock.now();
    let days = i64::from(decision.valid_days.unwrap_or(GRANT_DAYS));
    let approved_until = netid_store::Timestamp(now.0 + days * 86_400);
    let decisions: Vec<(String, bool)> = decision
        .approve
        .into_iter()
        .map(|field| (field, true))
        .chain(decision.refuse.into_iter().map(|field| (field, false)))
        .collect();
    let log_entry = deps.log.entry_by(
        EntryKind::GrantChanged,
        None,
        Some(&platform.client_id),
        Some((operator, None)),
        deps.clock.now(),
    )?;
    deps.store
        .decide_platform_fields(
            &platform.client_id,
            decisions,
            approved_until,
            log_entry,
            now,
        )
        .await
        .map_err(|error| match error {
            netid_store::Error::NotFound { .. } => Error::from(Refusal::InvalidField {
                field: "approve",
                reason: "a field the platform did not request".to_owned(),
            }),
            other => other.into(),
        })?;
    tracing::info!(target: "netid::security", event = "grants_decided", platform_id = %platform.client_id);
    profile(deps, &platform).await
}

/// Checks a decision before anyone approves it: a known platform, and only fields it asked
/// for. Returns the platform.
pub(crate) async fn check_decision(
    deps: &Deps,
    decision: &ProfileDecision,
) -> Result<PlatformRow, Error> {
    let platform =
        deps.store
            .platform(&decision.client_id)
            .await?
            .ok_or(Refusal::InvalidField {
                field: "client_id",
                reason: "no platform has this client id".to_owned(),
            })?;
    let named: Vec<String> = decision
        .approve
        .iter()
        .chain(&decision.refuse)
        .cloned()
        .collect();
    check_field_names(&named, "approve")?;
    if decision
        .valid_days
        .is_some_and(|days| !(1..=GRANT_DAYS).contains(&days))
    {
        return Err(Refusal::InvalidField {
            field: "valid_days",
            reason: format!("an approval holds 1 to {GRANT_DAYS} days (three years)"),
        }
        .into());
    }
    let asked = deps.store.platform_fields(&platform.client_id).await?;
    if let Some(unasked) = named
        .iter()
        .find(|name| !asked.iter().any(|field| &field.field == *name))
    {
        return Err(Refusal::InvalidField {
            field: "approve",
            reason: format!("the platform did not request {unasked}"),
        }
        .into());
    }
    Ok(platform)
}

/// `platform`'s whole profile, decisions included.
pub(crate) async fn profile(deps: &Deps, platform: &PlatformRow) -> Result<Profile, Error> {
    let now = deps.clock.now();
    let fields = deps
        .store
        .platform_fields(&platform.client_id)
        .await?
        .into_iter()
        .map(|field| profile_field(field, now))
        .collect();
    let shares_pseudonyms_with = deps
        .store
        .platforms_in_sector(&platform.sector)
        .await?
        .into_iter()
        .filter(|member| *member != platform.client_id)
        .collect();
    Ok(Profile {
        client_id: platform.client_id.clone(),
        name: platform.name.clone(),
        fields,
        shares_pseudonyms_with,
        standing: crate::standing::standing(platform),
        commitments: crate::standing::commitments(platform),
    })
}

/// `field` as a profile shows it at `now`: an approval past its end date is `expired`.
fn profile_field(field: PlatformField, now: netid_store::Timestamp) -> ProfileField {
    let expired = field.status == netid_store::FieldStatus::Approved
        && field.approved_until.is_none_or(|until| until <= now);
    ProfileField {
        field: field.field,
        legal_basis: field.legal_basis,
        purpose: field.purpose,
        retention_days: field.retention_days,
        status: if expired {
            "expired"
        } else {
            field.status.as_str()
        }
        .to_owned(),
        approved_until: field.approved_until.map(|until| until.0),
    }
}

/// The published profile of `client_id`: its standing, commitments and the fields approved
/// now (with their end dates), signed by the service.
pub(crate) async fn published(deps: &Deps, client_id: &str) -> Result<ServiceSigned, Error> {
    let platform = deps
        .store
        .platform(client_id)
        .await?
        .ok_or(Refusal::UnknownPlatform)?;
    let mut profile = profile(deps, &platform).await?;
    profile.fields.retain(|field| field.status == "approved");
    sign(deps, &profile)
}

/// `payload` as JSON, signed by the service's signing key.
pub(crate) fn sign(deps: &Deps, payload: &impl serde::Serialize) -> Result<ServiceSigned, Error> {
    let payload =
        serde_json::to_vec(payload).map_err(|_| Error::Internal("signed payload encoding"))?;
    let signature = deps.keys.signing.sign(&payload)?.to_der()?;
    Ok(ServiceSigned {
        alg: "SM2SM3".to_owned(),
        payload: Base64UrlUnpadded::encode_string(&payload),
        signature: Base64UrlUnpadded::encode_string(&signature),
        key: deps.keys.signing.verifying_key().to_spki_pem()?,
    })
}

/// Records the separate consent of the holder who signed `request` and returns its signed
/// receipt.
pub(crate) async fn consent(deps: &Deps, request: ConsentRequest) -> Result<ServiceSigned, Error> {
    let holder = authenticate_holder(
        deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &signing::consent_message(
            &request.client_id,
            &request.fields,
            &request.notice_version,
            &request.request_id,
            request.timestamp,
        ),
        &request.signature,
    )
    .await?;
    crate::lock::ensure_usable(deps, &holder)?;
    if personal::age(&deps.keys.master, &holder, deps.clock.today()?)? < GUARDIAN_REQUIRED_BELOW {
        crate::wallet::check_guardian_approval(
            deps,
            holder.id,
            "consent",
            &request.signature,
            request.guardian.as_ref(),
        )
        .await?;
    }
    let (platform, recorded) = record_consent(
        deps,
        &holder,
        &request.client_id,
        &request.fields,
        &request.notice_version,
        request.timestamp,
    )
    .await?;
    // A receipt says what was recorded, and nothing is not a consent.
    if recorded.is_empty() {
        return Err(Refusal::Verification(VerificationRefusal::ConsentNotRecorded).into());
    }
    let now = deps.clock.now();
    let granted = profile(deps, &platform).await?;
    let receipt = ConsentReceipt {
        format: "netid-consent-receipt-v1".to_owned(),
        client_id: platform.client_id.clone(),
        fields: granted
            .fields
            .into_iter()
            .filter(|field| recorded.contains(&field.field))
            .collect(),
        notice_version: request.notice_version,
        given_at: now.0,
    };
    sign(deps, &receipt)
}

/// Records `holder`'s consent to give `client_id` each of `fields` under `notice_version`,
/// given at `signed_at` (the wallet's timestamp, or now for a passkey session), with its log
/// entry; returns the platform and the fields recorded (none for a request signed before the
/// last change of each consent or of the platform's terms). The caller has authenticated the
/// holder and, for a child under 14, checked the guardian's approval.
pub(crate) async fn record_consent(
    deps: &Deps,
    holder: &netid_store::HolderRow,
    client_id: &str,
    fields: &[String],
    notice_version: &str,
    signed_at: i64,
) -> Result<(PlatformRow, Vec<String>), Error> {
    not_ahead(deps, signed_at)?;
    if notice_version != deps.notice.version() {
        return Err(Refusal::InvalidField {
            field: "notice_version",
            reason: format!(
                "the current notice is version {} (GET /v1/notice); read it and consent again",
                deps.notice.version()
            ),
        }
        .into());
    }
    check_field_names(fields, "fields")?;
    let platform = deps
        .store
        .platform(client_id)
        .await?
        .ok_or(Refusal::UnknownPlatform)?;
    crate::standing::ensure_active(&platform)?;
    let now = deps.clock.now();
    let log_key = personal::log_key(&deps.keys.master, holder)?;
    let log_entry = deps.log.entry(
        EntryKind::ConsentGiven,
        Some(&log_key),
        Some(&platform.client_id),
        now,
    )?;
    let recorded = deps
        .store
        .give_consents(
            ConsentChange {
                holder: holder.id,
                client_id: platform.client_id.clone(),
                fields: fields.to_vec(),
                signed_at: netid_store::Timestamp(signed_at),
            },
            notice_version.to_owned(),
            log_entry,
            now,
        )
        .await
        .map_err(|error| match error {
            netid_store::Error::NotFound { .. } => Error::from(Refusal::InvalidField {
                field: "fields",
                reason: "a field the platform's published profile does not grant".to_owned(),
            }),
            other => other.into(),
        })?;
    tracing::info!(target: "netid::security", event = "consent_given", platform_id = %platform.client_id, fields = recorded.len());
    Ok((platform, recorded))
}

/// Refuses a consent or withdrawal signed ahead of the server's clock: consents are ordered by
/// when they were signed, and one dated ahead would outrank the holder's next change.
fn not_ahead(deps: &Deps, signed_at: i64) -> Result<(), Refusal> {
    if signed_at > deps.clock.now().0 {
        return Err(Refusal::SignedAhead);
    }
    Ok(())
}

/// Withdraws consents of the holder who signed `request`; at once for every later request.
pub(crate) async fn withdraw(
    deps: &Deps,
    request: WithdrawConsentRequest,
) -> Result<WithdrawConsentResponse, Error> {
    let message = match &request.ward_net_id {
        Some(ward) => signing::ward_consent_withdrawal_message(
            ward,
            &request.client_id,
            &request.fields,
            &request.request_id,
            request.timestamp,
        ),
        None => signing::consent_withdrawal_message(
            &request.client_id,
            &request.fields,
            &request.request_id,
            request.timestamp,
        ),
    };
    let signer = authenticate_holder(
        deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &message,
        &request.signature,
    )
    .await?;
    // A guardian withdraws for a child under 14 in their care (Art. 4).
    let holder = match &request.ward_net_id {
        Some(ward) => crate::wallet::child_in_care(deps, &signer, ward).await?,
        None => signer,
    };
    let withdrawn = withdraw_for(
        deps,
        &holder,
        &request.client_id,
        request.fields,
        request.timestamp,
    )
    .await?;
    tracing::info!(target: "netid::security", event = "consent_withdrawn", count = withdrawn, by_guardian = request.ward_net_id.is_some());
    Ok(WithdrawConsentResponse { withdrawn })
}

/// Withdraws `holder`'s consents to give `client_id` each of `fields`, as asked at
/// `signed_at`; returns how many were live.
pub(crate) async fn withdraw_for(
    deps: &Deps,
    holder: &netid_store::HolderRow,
    client_id: &str,
    fields: Vec<String>,
    signed_at: i64,
) -> Result<u64, Error> {
    not_ahead(deps, signed_at)?;
    check_field_names(&fields, "fields")?;
    let log_key = personal::log_key(&deps.keys.master, holder)?;
    let log_entry = deps.log.entry(
        EntryKind::ConsentWithdrawn,
        Some(&log_key),
        Some(client_id),
        deps.clock.now(),
    )?;
    let signals = crate::signals::of_withdrawal(deps, holder, client_id, &fields).await?;
    Ok(deps
        .store
        .withdraw_consents(
            ConsentChange {
                holder: holder.id,
                client_id: client_id.to_owned(),
                fields,
                signed_at: netid_store::Timestamp(signed_at),
            },
            log_entry,
            signals,
            deps.clock.now(),
        )
        .await?)
}

/// Checks a list of field names: 1 to 6, each grantable, none twice (approving and refusing
/// one field at once counts as twice).
pub(crate) fn check_field_names(fields: &[String], name: &'static str) -> Result<(), Refusal> {
    let invalid = |reason: String| Refusal::InvalidField {
        field: name,
        reason,
    };
    if fields.is_empty() || fields.len() > GRANTABLE_FIELDS.len() {
        return Err(invalid("expected 1 to 6 fields".to_owned()));
    }
    for (position, field) in fields.iter().enumerate() {
        if !GRANTABLE_FIELDS.contains(&field.as_str()) {
            return Err(invalid(format!(
                "a field must be one of {}",
                GRANTABLE_FIELDS.join(", ")
            )));
        }
        if fields.iter().skip(position + 1).any(|other| other == field) {
            return Err(invalid("each field at most once".to_owned()));
        }
    }
    Ok(())
}

/// The plaintext fields `client_id` receives of this holder now: approved and consented.
pub(crate) fn claims(
    fields: &[String],
    record: &DocumentRecord,
    net_id: &str,
) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter_map(|field| {
            let value = match field.as_str() {
                "net_id" => net_id.to_owned(),
                "name" => record.name().expose().to_owned(),
                "birth_date" => record.birth_date().to_string(),
                "document_type" => record.document_type().name().to_owned(),
                "document_number" => record.number().expose().to_owned(),
                "nationality" => record.nationality().as_str().to_owned(),
                _ => return None,
            };
            Some((field.clone(), value))
        })
        .collect()
}
