//! A guardian's approval of each platform a child under 14 uses (issue 24, Art. 5: the
//! guardian consents to the child's use). Without one, the child is neither verified nor
//! signed in at the platform, result-only included; each approval is an entry in the child's
//! history, which the guardian reads too.

use netid_log::EntryKind;
use netid_proto::{WardPlatformRequest, WardPlatformResponse, signing};
use netid_store::{HolderRow, PlatformRow};

use crate::deps::Deps;
use crate::error::{Error, Refusal};
use crate::wallet::authenticate_holder;

/// Approves the platform of `request` for the child named there, at the request of the
/// guardian whose wallet signed it.
pub(crate) async fn approve_platform(
    deps: &Deps,
    request: WardPlatformRequest,
) -> Result<WardPlatformResponse, Error> {
    let guardian = authenticate_holder(
        deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &signing::ward_platform_message(
            &request.ward_net_id,
            &request.client_id,
            &request.request_id,
            request.timestamp,
        ),
        &request.signature,
    )
    .await?;
    approve_platform_for(deps, &guardian, &request.ward_net_id, &request.client_id).await
}

/// Approves `client_id` for the child with `ward_net_id`, in the care of `guardian`.
pub(crate) async fn approve_platform_for(
    deps: &Deps,
    guardian: &HolderRow,
    ward_net_id: &str,
    client_id: &str,
) -> Result<WardPlatformResponse, Error> {
    let ward = crate::wallet::child_in_care(deps, guardian, ward_net_id).await?;
    let platform = deps
        .store
        .platform(client_id)
        .await?
        .ok_or(Refusal::InvalidField {
            field: "client_id",
            reason: "no platform has this client id".to_owned(),
        })?;
    let log_key = crate::personal::log_key(&deps.keys.master, &ward)?;
    let entry = deps.log.entry(
        EntryKind::PlatformApproved,
        Some(&log_key),
        Some(&platform.client_id),
        deps.clock.now(),
    )?;
    let changed = deps
        .store
        .approve_platform(
            ward.id,
            &platform.client_id,
            guardian.id,
            entry,
            deps.clock.now(),
        )
        .await?;
    tracing::info!(target: "netid::security", event = "platform_approved_for_child", platform_id = %platform.client_id, changed);
    Ok(WardPlatformResponse {
        client_id: platform.client_id,
        changed,
    })
}

/// Refuses a child under 14 (`age`) at `platform` unless a guardian approved it for them.
pub(crate) async fn ensure_approved(
    deps: &Deps,
    holder: &HolderRow,
    age: u16,
    platform: &PlatformRow,
) -> Result<(), Error> {
    if age >= netid_core::rules::GUARDIAN_REQUIRED_BELOW {
        return Ok(());
    }
    if deps
        .store
        .approved_platforms(holder.id)
        .await?
        .contains(&platform.client_id)
    {
        Ok(())
    } else {
        Err(Refusal::GuardianApprovalRequired.into())
    }
}
