//! What a platform answers for (issue 25): its standing, which two system administrators set
//! (suspended: refused everything until reinstated; removed: for good, the consents given to
//! it ended), public in its signed profile; and the commitments of Art. 7 it declares, which
//! the holder sees before consenting.

use netid_log::EntryKind;
use netid_proto::{
    Commitments, CommitmentsRequest, PlatformList, PlatformStatus, PlatformStatusRequest,
    PlatformSummary, Profile, Standing,
};
use netid_store::PlatformRow;

use crate::deps::Deps;
use crate::error::{Error, Refusal};

/// Refuses a platform that is not active, with what it can do about it.
pub(crate) fn ensure_active(platform: &PlatformRow) -> Result<(), Refusal> {
    match platform.status {
        netid_store::PlatformStatus::Active => Ok(()),
        netid_store::PlatformStatus::Suspended => Err(Refusal::PlatformSuspended),
        netid_store::PlatformStatus::Removed => Err(Refusal::PlatformRemoved),
    }
}

fn status_of(status: netid_store::PlatformStatus) -> PlatformStatus {
    match status {
        netid_store::PlatformStatus::Active => PlatformStatus::Active,
        netid_store::PlatformStatus::Suspended => PlatformStatus::Suspended,
        netid_store::PlatformStatus::Removed => PlatformStatus::Removed,
    }
}

fn stored(status: PlatformStatus) -> netid_store::PlatformStatus {
    match status {
        PlatformStatus::Active => netid_store::PlatformStatus::Active,
        PlatformStatus::Suspended => netid_store::PlatformStatus::Suspended,
        PlatformStatus::Removed => netid_store::PlatformStatus::Removed,
    }
}

/// `platform`'s standing as its profile shows it.
pub(crate) fn standing(platform: &PlatformRow) -> Standing {
    Standing {
        status: status_of(platform.status),
        since: platform.status_since.map(|at| at.0),
        reason: platform.status_reason.clone(),
    }
}

/// `platform`'s declared commitments, if it declared them.
pub(crate) fn commitments(platform: &PlatformRow) -> Option<Commitments> {
    platform.commitments_at.map(|at| Commitments {
        no_extra_plaintext: true,
        equal_service: true,
        declared_at: at.0,
    })
}

/// Checks a change of standing before anyone approves it: a known platform that is not
/// removed, a new status, a reason fit to publish. Returns the platform.
pub(crate) async fn check_change(
    deps: &Deps,
    request: &PlatformStatusRequest,
) -> Result<PlatformRow, Error> {
    let platform = deps
        .store
        .platform(&request.client_id)
        .await?
        .ok_or(Refusal::UnknownPlatform)?;
    let invalid = |field: &'static str, reason: &str| Refusal::InvalidField {
        field,
        reason: reason.to_owned(),
    };
    if platform.status == netid_store::PlatformStatus::Removed {
        return Err(invalid(
            "client_id",
            "this platform was removed, for good; register it again if it is to come back",
        )
        .into());
    }
    if platform.status == stored(request.status) {
        return Err(invalid("status", "the platform already has this status").into());
    }
    if !crate::grants::is_short_text(&request.reason) {
        return Err(invalid(
            "reason",
            "a reason of 1 to 300 characters, published with the platform's profile",
        )
        .into());
    }
    Ok(platform)
}

/// Sets a platform's standing as two system administrators decided; a log entry naming the
/// one who carried it out.
pub(crate) async fn set_status(
    deps: &Deps,
    request: PlatformStatusRequest,
    operator: &str,
) -> Result<Standing, Error> {
    check_change(deps, &request).await?;
    let now = deps.clock.now();
    let entry = deps.log.entry_by(
        EntryKind::PlatformStatusChanged,
        None,
        Some(&request.client_id),
        Some((operator, None)),
        now,
    )?;
    let changed = deps
        .store
        .set_platform_status(
            &request.client_id,
            stored(request.status),
            request.reason.clone(),
            entry,
            now,
        )
        .await?;
    if !changed {
        return Err(Refusal::PlatformRemoved.into());
    }
    tracing::info!(target: "netid::security", event = "platform_status_changed", platform_id = %request.client_id, status = request.status.as_str(), operator = %operator);
    Ok(Standing {
        status: request.status,
        since: Some(now.0),
        reason: Some(request.reason),
    })
}

/// Records that `platform` declares the commitments of Art. 7; both are required.
pub(crate) async fn declare(
    deps: &Deps,
    platform: &PlatformRow,
    request: &CommitmentsRequest,
) -> Result<Profile, Error> {
    if !(request.no_extra_plaintext && request.equal_service) {
        return Err(Refusal::InvalidField {
            field: "no_extra_plaintext",
            reason: "Art. 7 binds a platform to both: no further plaintext identity data from verified holders, and equal service for people without a Net ID; declare both true".to_owned(),
        }
        .into());
    }
    let now = deps.clock.now();
    deps.store
        .declare_commitments(&platform.client_id, now)
        .await?;
    let declared = PlatformRow {
        commitments_at: Some(now),
        ..platform.clone()
    };
    crate::grants::profile(deps, &declared).await
}

/// Every platform with its standing, for the operator console.
pub(crate) async fn list(deps: &Deps) -> Result<PlatformList, Error> {
    let platforms = deps
        .store
        .platforms()
        .await?
        .iter()
        .map(|platform| PlatformSummary {
            client_id: platform.client_id.clone(),
            name: platform.name.clone(),
            registered_at: platform.registered_at.0,
            standing: standing(platform),
        })
        .collect();
    Ok(PlatformList { platforms })
}
