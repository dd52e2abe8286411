//! Deletion of a holder's data (Art. 9): crypto-shredding. The holder's data key is destroyed
//! with their sealed record, sealed Net ID, person index and wallet keys; their Net
//! Certificates and certificates are revoked; guardianships end; the Net ID's blind index
//! stays, so the Net ID is never issued again. The transparency log keeps its entries (they
//! carry no personal data) and one more: the deletion. All in one transaction: a crash leaves
//! the holder either whole or deleted. What stays: the Net ID's blind index (so it is never
//! issued again), the used enrollment codes (unlinked from the person), the revoked
//! certificates (unlinked from the holder) and the Net Certificates' status rows until a day
//! after they expire.

use netid_log::EntryKind;
use netid_proto::{DeleteRequest, DeleteResponse, WardDeleteRequest, signing};
use netid_store::HolderRow;

use crate::error::Error;
use crate::personal;
use crate::state::AppState;
use crate::wallet::authenticate_holder;
use netid_core::rules::GUARDIAN_REQUIRED_BELOW;

/// The reason certificates of a deleted holder are revoked with.
const CERTIFICATE_REASON: netid_ca::RevocationReason =
    netid_ca::RevocationReason::CessationOfOperation;

/// Deletes the data of the holder who signed `request`.
pub(crate) async fn delete(
    state: &AppState,
    request: DeleteRequest,
) -> Result<DeleteResponse, Error> {
    let holder = authenticate_holder(
        &state.deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &signing::deletion_message(&request.request_id, request.timestamp),
        &request.signature,
    )
    .await?;
    let age = personal::age(&state.deps.keys.master, &holder, state.deps.clock.today()?)?;
    // Art. 4: a child's data goes with the approval of a guardian on record; a child whose
    // guardian is no longer on record (deleted) deletes alone rather than not at all.
    if age < GUARDIAN_REQUIRED_BELOW && !state.deps.store.guardians_of(holder.id).await?.is_empty()
    {
        crate::wallet::check_guardian_approval(
            &state.deps,
            holder.id,
            "deletion",
            &request.signature,
            request.guardian.as_ref(),
        )
        .await?;
    }
    let receipts = erase(state, &holder).await?;
    tracing::info!(target: "netid::security", event = "holder_deleted", minor = age < GUARDIAN_REQUIRED_BELOW);
    Ok(DeleteResponse {
        deleted: true,
        receipts,
    })
}

/// Deletes the data of a child under 14 at the request of a guardian on record, who signed
/// `request` with their own wallet: the child's wallet may be lost, or the child too young to
/// use it (Art. 4, 9).
pub(crate) async fn delete_ward(
    state: &AppState,
    request: WardDeleteRequest,
) -> Result<DeleteResponse, Error> {
    let guardian = authenticate_holder(
        &state.deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &signing::ward_deletion_message(
            &request.ward_net_id,
            &request.request_id,
            request.timestamp,
        ),
        &request.signature,
    )
    .await?;
    let ward = crate::wallet::child_in_care(&state.deps, &guardian, &request.ward_net_id).await?;
    let receipts = erase(state, &ward).await?;
    tracing::info!(target: "netid::security", event = "holder_deleted", minor = true, by_guardian = true);
    Ok(DeleteResponse {
        deleted: true,
        receipts,
    })
}

/// Erases `holder`'s data in one transaction, with its `deletion` log entry; the references
/// of the signals that tell the platforms (for their receipts).
pub(crate) async fn erase(state: &AppState, holder: &HolderRow) -> Result<Vec<String>, Error> {
    // In the journal first: a restored backup forgets the holder again (`crate::journal`).
    state
        .journal
        .record(&holder.net_id.index, state.deps.clock.now())
        .await?;
    erase_now(state, holder).await
}

/// Deletes again every holder the deletion journal names who is still in the store: after a
/// restore from a backup taken before their deletion. Run at start, before serving.
pub(crate) async fn replay_journal(state: &AppState) -> Result<(), Error> {
    let mut replayed = 0_u64;
    for net_id_index in state.journal.deleted()? {
        if let Some(holder) = state.deps.store.holder_by_net_id(&net_id_index).await? {
            // No one asks for these references: the holder was told at their deletion.
            erase_now(state, &holder).await?;
            replayed += 1;
        }
    }
    if replayed > 0 {
        tracing::warn!(
            target: "netid::security",
            event = "deletions_replayed",
            holders = replayed,
            "holders deleted before a restore were deleted again from the deletion journal"
        );
    }
    Ok(())
}

/// Deletes `holder`'s data, as [`erase`] does, without journaling it.
async fn erase_now(state: &AppState, holder: &HolderRow) -> Result<Vec<String>, Error> {
    let now = state.deps.clock.now();
    // The entry is the holder's, tagged with their log key while it can still be derived.
    let log_key = personal::log_key(&state.deps.keys.master, holder)?;
    let log_entry = state
        .deps
        .log
        .entry(EntryKind::Deletion, Some(&log_key), None, now)?;
    // The platforms are told in the same transaction: a deletion is never without its signals.
    let signals = crate::signals::of_deletion(&state.deps, holder).await?;
    let references = signals.iter().map(|signal| signal.jti.clone()).collect();
    state
        .deps
        .store
        .delete_holder(
            holder.id,
            holder.wallet_key.fingerprint.clone(),
            CERTIFICATE_REASON,
            log_entry,
            signals,
            now,
        )
        .await
        .map_err(crate::wallet::key_replaced)?;
    Ok(references)
}
