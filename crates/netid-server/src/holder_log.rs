//! A holder's own transparency-log entries: the holder proves their wallet key and gets their
//! log key, the latest checkpoint, and each of their entries with its inclusion proof. The
//! wallet recognises the entries by their tags and checks the proofs against the checkpoint,
//! so it need not trust the server's selection to know that what it was shown is in the log.
//! A guardian also gets the log of each minor in their care (the minor's log key and entries),
//! until the minor turns 18.

use netid_proto::{HolderLogEntry, HolderLogRequest, HolderLogResponse, WardLog, signing};
use netid_store::HolderRow;

use crate::enrollment::ADULT_AGE;
use crate::state::AppState;
use crate::wallet::authenticate_holder;
use crate::{Error, personal};

/// Answers a holder's request for their log entries.
pub(crate) async fn holder_log(
    state: &AppState,
    request: HolderLogRequest,
) -> Result<HolderLogResponse, Error> {
    let holder = authenticate_holder(
        state,
        &request.wallet_key,
        request.timestamp,
        &signing::holder_log_message(request.timestamp),
        &request.signature,
    )
    .await?;
    let (size, checkpoint) = state
        .log
        .sequence(state.store.as_ref(), state.clock.now())
        .await?;
    // A guardian sees a ward's entries only while the ward is a minor (Art. 4).
    let today = state.clock.today()?;
    let mut wards = Vec::new();
    for ward in state.store.wards_of(holder.id).await? {
        let record = personal::open(&state.keys.master, &ward, today)?;
        if record
            .birth_date()
            .age_on(today)
            .is_some_and(|age| age < ADULT_AGE)
        {
            wards.push(ward);
        }
    }
    let (log_key, entries) = entries_of(state, &holder, size).await?;
    let mut ward_logs = Vec::new();
    for ward in &wards {
        let (log_key, entries) = entries_of(state, ward, size).await?;
        ward_logs.push(WardLog { log_key, entries });
    }
    tracing::info!(target: "netid::security", event = "holder_log_read", entries = entries.len(), wards = wards.len());
    Ok(HolderLogResponse {
        log_key,
        checkpoint,
        entries,
        wards: ward_logs,
    })
}

/// A holder's log key (hex) and their entries in the tree of `size`, with proofs.
async fn entries_of(
    state: &AppState,
    holder: &HolderRow,
    size: u64,
) -> Result<(String, Vec<HolderLogEntry>), Error> {
    let log_key = personal::log_key(&state.keys.master, holder)?;
    let mut entries = Vec::new();
    for index in state.store.holder_log_indexes(holder.id).await? {
        if index >= size {
            break;
        }
        let leaf = state
            .store
            .log_entries(index, index + 1)
            .await?
            .pop()
            .ok_or(Error::LogCorrupt("a holder's entry is missing"))?;
        let proof = state.log.inclusion_proof(index, size).await?;
        entries.push(HolderLogEntry {
            index,
            leaf: String::from_utf8(leaf)
                .map_err(|_| Error::LogCorrupt("a stored entry is not text"))?,
            proof: proof.proof,
        });
    }
    Ok((hex::encode(log_key.expose_secret()), entries))
}
