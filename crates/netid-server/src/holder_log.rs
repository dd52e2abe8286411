//! A holder's own transparency-log entries: the holder proves their wallet key and gets their
//! log key, the latest checkpoint, and each of their entries with its inclusion proof. The
//! wallet recognises the entries by their tags and checks the proofs against the checkpoint,
//! so it need not trust the server's selection to know that what it was shown is in the log.
//! A guardian also gets the log of each minor in their care (the minor's log key and entries,
//! and each platform the minor has used with its first use), until the minor turns 18.
//! Operator reads come with their legal basis, once their notice is due (see
//! [`crate::operator_read`]).

use netid_log::EntryKind;
use netid_proto::{
    HolderLogEntry, HolderLogRequest, HolderLogResponse, OperatorReadNotice, WardLog, WardPlatform,
    signing,
};
use netid_store::{HolderRow, Timestamp};

use crate::error::Error;
use crate::personal;
use crate::state::AppState;
use crate::wallet::authenticate_holder;
use netid_core::rules::ADULT_AGE;

/// Answers a holder's request for their log entries.
pub(crate) async fn holder_log(
    state: &AppState,
    request: HolderLogRequest,
) -> Result<HolderLogResponse, Error> {
    let holder = authenticate_holder(
        &state.deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &signing::holder_log_message(&request.request_id, request.timestamp),
        &request.signature,
    )
    .await?;
    log_of(state, &holder).await
}

/// `holder`'s log entries (and their wards'), as [`holder_log`] answers them.
pub(crate) async fn log_of(
    state: &AppState,
    holder: &HolderRow,
) -> Result<HolderLogResponse, Error> {
    let (size, checkpoint) = state.sequence_log().await?;
    // A guardian sees a ward's entries only while the ward is a minor (Art. 4).
    let today = state.deps.clock.today()?;
    let mut wards = Vec::new();
    for ward in state.deps.store.wards_of(holder.id).await? {
        let record = personal::open(&state.deps.keys.master, &ward, today)?;
        if record
            .birth_date()
            .age_on(today)
            .is_some_and(|age| age < ADULT_AGE)
        {
            wards.push(ward);
        }
    }
    let now = state.deps.clock.now();
    let own = history_of(state, holder, size, now).await?;
    let mut ward_logs = Vec::new();
    for ward in &wards {
        let history = history_of(state, ward, size, now).await?;
        ward_logs.push(WardLog {
            net_id: personal::net_id(&state.deps.keys.master, ward)?.expose_grouped(),
            approved_platforms: state.deps.store.approved_platforms(ward.id).await?,
            platforms: first_uses(&history.entries),
            log_key: history.log_key,
            entries: history.entries,
            operator_reads: history.operator_reads,
        });
    }
    tracing::info!(target: "netid::security", event = "holder_log_read", entries = own.entries.len(), wards = wards.len());
    Ok(HolderLogResponse {
        log_key: own.log_key,
        checkpoint,
        entries: own.entries,
        wards: ward_logs,
        operator_reads: own.operator_reads,
        use_link_retention_days: state.deps.use_links.retention_days(),
    })
}

/// What a holder (or their guardian) is shown of one holder's history.
struct History {
    /// The log key, hex.
    log_key: String,
    entries: Vec<HolderLogEntry>,
    operator_reads: Vec<OperatorReadNotice>,
}

/// Each platform in `entries` (verifications, disclosures, consents) with its first entry:
/// how a guardian is told of each new platform a minor uses (Art. 5).
fn first_uses(entries: &[HolderLogEntry]) -> Vec<WardPlatform> {
    let mut platforms: Vec<WardPlatform> = Vec::new();
    for item in entries {
        let Ok(entry) = netid_log::Entry::from_leaf(item.leaf.as_bytes()) else {
            continue;
        };
        let uses = matches!(
            entry.kind,
            EntryKind::Verification | EntryKind::Disclosure | EntryKind::ConsentGiven
        );
        match entry.platform {
            Some(client_id) if uses && !platforms.iter().any(|p| p.client_id == client_id) => {
                platforms.push(WardPlatform {
                    client_id,
                    first_index: item.index,
                    first_minute: entry.minute,
                });
            }
            _ => {}
        }
    }
    platforms
}

/// A holder's history in the tree of `size` at `now`: their entries with proofs, less the
/// operator reads whose notice is still deferred, and the reads whose notice is due.
async fn history_of(
    state: &AppState,
    holder: &HolderRow,
    size: u64,
    now: Timestamp,
) -> Result<History, Error> {
    let reads = crate::operator_read::holder_reads(state, holder.id, now).await?;
    let (log_key, mut entries) = entries_of(state, holder, size, &reads.hidden).await?;
    for entry in &mut entries {
        if let Some((_, key)) = reads
            .tag_keys
            .iter()
            .find(|(index, _)| *index == entry.index)
        {
            entry.tag_key = Some(key.clone());
        }
    }
    Ok(History {
        log_key,
        entries,
        operator_reads: reads.notices,
    })
}

/// A holder's log key (hex) and their entries in the tree of `size`, with proofs.
async fn entries_of(
    state: &AppState,
    holder: &HolderRow,
    size: u64,
    hidden: &[u64],
) -> Result<(String, Vec<HolderLogEntry>), Error> {
    let log_key = personal::log_key(&state.deps.keys.master, holder)?;
    let linked = state
        .deps
        .store
        .holder_entries(holder.id, state.deps.clock.now())
        .await?;
    let mut ends: Vec<Timestamp> = linked.iter().filter_map(|(_, end)| *end).collect();
    ends.dedup();
    let use_keys = crate::forgetting::tag_keys(&state.deps, &log_key, ends).await?;
    let mut entries = Vec::new();
    for (index, linked_until) in linked {
        if index >= size {
            break;
        }
        if hidden.contains(&index) {
            continue;
        }
        // A use's key; none if its day key went between the two reads (then it is forgotten).
        let use_key = match linked_until {
            Some(end) => match use_keys.iter().find(|(at, _)| *at == end) {
                Some((_, key)) => Some(hex::encode(key.expose_secret())),
                None => continue,
            },
            None => None,
        };
        let leaf = state
            .deps
            .store
            .log_entries(index, index + 1)
            .await?
            .pop()
            .ok_or(Error::LogCorrupt("a holder's entry is missing"))?;
        let proof = state
            .deps
            .log
            .inclusion_proof(state.deps.store.as_ref(), index, size)
            .await?;
        entries.push(HolderLogEntry {
            index,
            leaf: String::from_utf8(leaf)
                .map_err(|_| Error::LogCorrupt("a stored entry is not text"))?,
            proof: proof.proof,
            tag_key: use_key,
            kept_until: linked_until.map(|end| end.0),
        });
    }
    Ok((hex::encode(log_key.expose_secret()), entries))
}
