//! What the holder controls of their own record (issue 24): reading what the service holds
//! about them, and the lock.
//!
//! A holder's lock (Aadhaar offers one): while they look into a misuse, the holder
//! locks their Net ID from the wallet or the web app, and nothing is verified, signed in,
//! consented to or issued with it until they unlock it. A lock revokes their Net Certificates
//! too (a thief's copies with them; new ones are issued after the unlock). Reading their
//! history, deleting their data and unlocking stay open. Both are entries in the holder's
//! history.

use netid_log::EntryKind;
use netid_proto::{LockRequest, LockResponse, signing};
use netid_store::HolderRow;

use crate::deps::Deps;
use crate::error::{Error, Refusal};
use crate::wallet::authenticate_holder;

/// The record the service holds about the holder whose wallet signed `request`, for them
/// alone (the right to know what is held).
pub(crate) async fn record(
    deps: &Deps,
    request: netid_proto::HolderRecordRequest,
) -> Result<netid_proto::HolderRecord, Error> {
    let holder = authenticate_holder(
        deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &signing::holder_record_message(&request.request_id, request.timestamp),
        &request.signature,
    )
    .await?;
    record_of(deps, &holder).await
}

/// The record the service holds about `holder`, with the corrections they asked for.
pub(crate) async fn record_of(
    deps: &Deps,
    holder: &HolderRow,
) -> Result<netid_proto::HolderRecord, Error> {
    let mut record = crate::personal::view(&deps.keys.master, holder, deps.clock.today()?)?;
    record.corrections = crate::corrections::of_holder(deps, holder).await?;
    record.complaints = crate::complaints::of_holder(deps, holder).await?;
    record.receipts = crate::signals::receipts_of(deps, holder).await?;
    Ok(record)
}

/// Refuses to use `holder`'s Net ID while it is locked, or before they accepted the current
/// notice (see [`crate::notice`]).
pub(crate) fn ensure_usable(deps: &Deps, holder: &HolderRow) -> Result<(), Refusal> {
    match holder.locked_at {
        Some(_) => Err(Refusal::NetIdLocked),
        None => deps.notice.ensure_accepted(holder),
    }
}

/// Locks (`locked`) or unlocks the Net ID of the holder whose wallet signed `request`.
pub(crate) async fn set(
    deps: &Deps,
    locked: bool,
    request: LockRequest,
) -> Result<LockResponse, Error> {
    let holder = authenticate_holder(
        deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &signing::lock_message(locked, &request.request_id, request.timestamp),
        &request.signature,
    )
    .await?;
    set_for(deps, &holder, locked).await
}

/// Locks or unlocks `holder`'s Net ID, with its entry in their history.
pub(crate) async fn set_for(
    deps: &Deps,
    holder: &HolderRow,
    locked: bool,
) -> Result<LockResponse, Error> {
    let now = deps.clock.now();
    let kind = if locked {
        EntryKind::NetIdLocked
    } else {
        EntryKind::NetIdUnlocked
    };
    let log_key = crate::personal::log_key(&deps.keys.master, holder)?;
    let log_entry = deps.log.entry(kind, Some(&log_key), None, now)?;
    // Platforms end the holder's sessions (CAEP session-revoked), if they asked to be told.
    let signals = if locked {
        crate::signals::of_lock(deps, holder).await?
    } else {
        Vec::new()
    };
    let changed = deps
        .store
        .set_holder_lock(
            holder.id,
            holder.wallet_key.fingerprint.clone(),
            locked,
            log_entry,
            signals,
            now,
        )
        .await
        .map_err(crate::wallet::key_replaced)?;
    if changed {
        tracing::info!(target: "netid::security", event = if locked { "net_id_locked" } else { "net_id_unlocked" });
    }
    Ok(LockResponse { locked, changed })
}
