//! Result-only verification for platforms (Measures Art. 7, 8): whether the presenter is a
//! verified real-name holder, the age predicates asked for, and the pairwise pseudonym; never
//! the Net ID, name, document number or birth date.

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::Suite;
use netid_log::EntryKind;
use netid_proto::{Predicate, SealedPresentation, VerifyRequest, VerifyResponse, signing};
use netid_store::{Conflict, HolderRow, NewVerification, PlatformRow, Timestamp};

use crate::deps::Deps;
use crate::deps::FRESHNESS_WINDOW_SECONDS;
use crate::error::{EnrollmentRefusal, VerificationRefusal};
use crate::error::{Error, Refusal};
use crate::metrics::Metrics;
use crate::wallet::WalletKey;
use crate::{blind, personal};
use netid_core::rules::{ADULT_AGE, GUARDIAN_REQUIRED_BELOW};

/// Shortest and longest nonce, in bytes.
const NONCE_LEN: core::ops::RangeInclusive<usize> = 16..=128;

/// Verifies a holder's presentation for `platform`.
pub(crate) async fn verify(
    deps: &Deps,
    metrics: &Metrics,
    platform: &PlatformRow,
    request: VerifyRequest,
) -> Result<VerifyResponse, Error> {
    let presentation = request.presentation;
    if !NONCE_LEN.contains(&presentation.nonce.len())
        || !presentation
            .nonce
            .bytes()
            .all(|byte| byte.is_ascii_graphic())
    {
        return Err(Refusal::InvalidField {
            field: "presentation.nonce",
            reason: "expected 16 to 128 printable ascii characters".to_owned(),
        }
        .into());
    }
    let mut asked = presentation.predicates.clone();
    asked.sort_unstable();
    asked.dedup();
    if asked.len() != presentation.predicates.len() {
        return Err(Refusal::InvalidField {
            field: "presentation.predicates",
            reason: "a predicate is repeated".to_owned(),
        }
        .into());
    }
    deps.check_fresh(presentation.timestamp)?;
    // What names the holder was sealed to the service: a presentation that does not open, or
    // whose key is not enrolled, is rejected alike.
    let rejected = || {
        tracing::info!(target: "netid::security", event = "presentation_rejected", platform_id = %platform.client_id);
        Error::from(Refusal::Verification(
            VerificationRefusal::PresentationRejected,
        ))
    };
    let sealed = open_sealed(deps, &presentation.sealed).ok_or_else(rejected)?;
    let wallet = WalletKey::parse(&sealed.wallet_key, "presentation.sealed")?;

    let Some(holder) = deps
        .store
        .holder_by_wallet_key(&wallet.fingerprint()?)
        .await?
    else {
        tracing::info!(target: "netid::security", event = "presentation_rejected", platform_id = %platform.client_id);
        return Err(Refusal::Verification(VerificationRefusal::PresentationRejected).into());
    };
    let message = signing::presentation_message(
        &platform.client_id,
        &presentation.nonce,
        &presentation.predicates,
        presentation.timestamp,
    );
    if !wallet.verifies(&message, &sealed.signature) {
        tracing::info!(target: "netid::security", event = "presentation_rejected", platform_id = %platform.client_id);
        return Err(Refusal::Verification(VerificationRefusal::PresentationRejected).into());
    }
    // Told only to a platform the holder's own wallet presented to.
    crate::lock::ensure_usable(deps, &holder)?;
    let nonce_index = blind::nonce(
        &deps.keys.blind_index,
        &platform.client_id,
        &presentation.nonce,
    );
    let expires_at = Timestamp(
        presentation
            .timestamp
            .saturating_add(FRESHNESS_WINDOW_SECONDS),
    );
    record(
        deps,
        metrics,
        platform,
        &holder,
        (nonce_index, expires_at),
        &presentation.predicates,
        None,
    )
    .await
}

/// The [`SealedPresentation`] in `sealed` (base64url of an SM2 ciphertext to the service's
/// presentation key), or `None` when it does not open or parse.
fn open_sealed(deps: &Deps, sealed: &str) -> Option<SealedPresentation> {
    let ciphertext = Base64UrlUnpadded::decode_vec(sealed).ok()?;
    let json = deps.keys.presentation.sm2_decrypt(&ciphertext).ok()?;
    serde_json::from_slice(&json).ok()
}

/// Records a verification of `holder` by `platform` under the one-time `nonce_index` (used
/// until `expires_at`) and answers it: what `/v1/platform/verify` and the OpenID Connect token
/// endpoint tell a platform. Plaintext fields go as the holder's live consents allow, and only
/// those `asked` when the platform named them (an OpenID Connect scope). Refused for a child
/// under 14 without a guardian on record.
pub(crate) async fn record(
    deps: &Deps,
    metrics: &Metrics,
    platform: &PlatformRow,
    holder: &HolderRow,
    (nonce_index, expires_at): (netid_store::BlindIndex, Timestamp),
    predicates: &[Predicate],
    asked: Option<Vec<String>>,
) -> Result<VerifyResponse, Error> {
    // Every refusal comes before the verification is recorded: a refused act is not logged.
    let today = deps.clock.today()?;
    let opened = personal::open_all(&deps.keys.master, holder, today)?;
    personal::ensure_valid(&opened.record, today)?;
    let age = personal::age_of(&opened.record, today)?;
    if age < GUARDIAN_REQUIRED_BELOW && deps.store.guardians_of(holder.id).await?.is_empty() {
        // Design invariant 7: no verification of a child without a guardian on record.
        return Err(Refusal::Enrollment(EnrollmentRefusal::GuardianRequired).into());
    }
    crate::wards::ensure_approved(deps, holder, age, platform).await?;
    let now = deps.clock.now();
    // Tagged so that the centre can forget whose the use was (see `forgetting`).
    let (linked_until, tag_key) = deps
        .use_links
        .tag_key_now(deps, &opened.log_key()?, now)
        .await?;
    let log_entry = deps.log.entry(
        EntryKind::Verification,
        Some(&tag_key),
        Some(&platform.client_id),
        now,
    )?;
    // Plaintext fields go only where the platform's profile grants them and the holder
    // consented for this platform, live when the verification is recorded; the disclosure is
    // an entry of its own (appended only if fields go).
    let disclosure_entry = deps.log.entry(
        EntryKind::Disclosure,
        Some(&tag_key),
        Some(&platform.client_id),
        now,
    )?;
    let disclosed = deps
        .store
        .record_verification(
            NewVerification {
                client_id: platform.client_id.clone(),
                nonce_index,
                expires_at,
                holder: holder.id,
                wallet_key: holder.wallet_key.fingerprint.clone(),
                log_entry,
                disclosure_entry,
                linked_until,
                asked,
            },
            now,
        )
        .await
        .map_err(|error| match error {
            netid_store::Error::AlreadyExists {
                what: Conflict::Nonce,
            } => Error::Refused(Refusal::Verification(
                VerificationRefusal::PresentationReplayed,
            )),
            // Deleted or recovered since the presentation was checked.
            netid_store::Error::NotFound { .. } => Error::Refused(Refusal::Verification(
                VerificationRefusal::PresentationRejected,
            )),
            other => other.into(),
        })?;
    metrics.verification(&platform.client_id, !disclosed.is_empty());
    if holder.has_push {
        crate::push::notify(deps, holder.id);
    }
    tracing::info!(target: "netid::security", event = "holder_verified", platform_id = %platform.client_id, fields_disclosed = disclosed.len());
    answer(deps, platform, &opened, predicates, &disclosed)
}

/// What `platform` is told of the `holder` opened: the answers to `predicates`, the pairwise
/// pseudonym and the plaintext `fields` (already recorded as disclosed).
pub(crate) fn answer(
    deps: &Deps,
    platform: &PlatformRow,
    holder: &personal::Opened,
    predicates: &[Predicate],
    fields: &[String],
) -> Result<VerifyResponse, Error> {
    let age = personal::age_of(&holder.record, deps.clock.today()?)?;
    let answer = |predicate| {
        predicates.contains(&predicate).then_some(match predicate {
            Predicate::AgeOver14 => age >= GUARDIAN_REQUIRED_BELOW,
            Predicate::AgeOver18 => age >= ADULT_AGE,
        })
    };
    let net_id = holder.net_id.expose();
    Ok(VerifyResponse {
        real_name_verified: true,
        age_over_14: answer(Predicate::AgeOver14),
        age_over_18: answer(Predicate::AgeOver18),
        subject: pseudonym(deps, net_id, &platform.sector),
        claims: crate::grants::claims(fields, &holder.record, net_id),
    })
}

/// The pairwise pseudonym `HMAC-SM3(k_pairwise, net_id || sector)`, lower-case hex.
pub(crate) fn pseudonym(deps: &Deps, net_id: &str, sector: &str) -> String {
    let tag = Suite::gm().mac(&deps.keys.pairwise, &[net_id.as_bytes(), sector.as_bytes()]);
    hex::encode(tag.as_ref())
}
