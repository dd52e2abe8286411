//! `netid audit` and `netid wallet log`: checking the transparency log from outside, trusting
//! nothing but the log's public key.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64ct::{Base64, Encoding};
use netid_crypto::MacKey;
use netid_log::{Checkpoint, Entry, Hash, MerkleHasher, NoteVerifier};
use netid_proto::{ConsistencyProof, HolderLogEntry, HolderLogResponse, LogEntries};

/// What `netid audit` is told.
pub(crate) struct AuditArgs {
    pub(crate) server: String,
    pub(crate) log_key: String,
    pub(crate) state_dir: Option<PathBuf>,
    pub(crate) checkpoints: Vec<PathBuf>,
}

/// Fetches the latest checkpoint and every entry, checks them together with every checkpoint
/// seen before (the state directory) or given, verifies the server's consistency proofs, and
/// prints the public counts. Any inconsistency is an error, which exits non-zero.
pub(crate) async fn audit(args: AuditArgs) -> anyhow::Result<()> {
    let verifier = NoteVerifier::from_vkey(&args.log_key).context("--log-key")?;
    let hasher = MerkleHasher::new(verifier.suite());
    let http = Http::new(&args.server);

    let latest_note = http.text("/v1/log/checkpoint").await?;
    let latest = verifier
        .verify(&latest_note)
        .context("the log's latest checkpoint")?;
    let mut notes = vec![latest_note.clone()];
    for path in &args.checkpoints {
        notes.push(crate::read(path)?);
    }
    if let Some(dir) = &args.state_dir {
        notes.extend(saved_checkpoints(dir)?);
    }

    let leaves = fetch_entries(&http, latest.size).await?;
    let report = netid_log::audit(&hasher, &verifier, &notes, &leaves)
        .context("audit failed: the log is inconsistent")?;

    // The recomputed tree already proves every checkpoint consistent; the server's own
    // proofs must agree, or its proof endpoint is lying to everyone else.
    for older in &report.checkpoints {
        if older.size == 0 || older.size >= latest.size {
            continue;
        }
        let proof: ConsistencyProof = http
            .json(&format!(
                "/v1/log/proof/consistency?old={}&new={}",
                older.size, latest.size
            ))
            .await?;
        hasher
            .verify_consistency(
                older.size,
                latest.size,
                &older.root,
                &latest.root,
                &decode_hashes(&proof.proof)?,
            )
            .with_context(|| {
                format!(
                    "audit failed: the log's consistency proof from size {} does not verify",
                    older.size
                )
            })?;
    }

    if let Some(dir) = &args.state_dir {
        save_checkpoint(dir, &latest, &latest_note)?;
    }
    println!("log      {}", latest.origin);
    println!("size     {}", latest.size);
    println!("root     {}", Base64::encode_string(latest.root.as_ref()));
    println!(
        "checked  {} checkpoint(s), all consistent",
        report.checkpoints.len()
    );
    println!();
    println!("{:<8}  {:<22}  {:>8}", "month", "kind", "entries");
    for ((month, kind), count) in &report.counts {
        println!("{month:<8}  {:<22}  {count:>8}", kind.as_str());
    }
    if !report.operator_counts.is_empty() {
        // What each operator did, by the ids of the signed list at /v1/operators.
        println!();
        println!("{:<35}  {:<38}  {:>8}", "operator", "kind", "entries");
        for ((operator, kind, act), count) in &report.operator_counts {
            let kind = match act {
                Some(act) => format!("{} ({})", kind.as_str(), act.as_str()),
                None => kind.as_str().to_owned(),
            };
            println!("{operator:<35}  {kind:<38}  {count:>8}");
        }
    }
    Ok(())
}

/// What `netid wallet log` is told.
pub(crate) struct WalletLogArgs {
    pub(crate) server: String,
    pub(crate) log_key: Option<String>,
    pub(crate) request: netid_proto::HolderLogRequest,
}

/// Fetches the holder's own entries and checks each: recognised by the holder's log key and
/// included in the signed checkpoint.
pub(crate) async fn wallet_log(args: WalletLogArgs) -> anyhow::Result<()> {
    let http = Http::new(&args.server);
    let vkey = match args.log_key {
        Some(vkey) => vkey,
        None => {
            eprintln!(
                "netid: no --log-key given: trusting the key the server serves at /v1/log/key"
            );
            http.text("/v1/log/key").await?
        }
    };
    let verifier = NoteVerifier::from_vkey(&vkey).context("the log key")?;
    let hasher = MerkleHasher::new(verifier.suite());
    let response: HolderLogResponse = http.post_json("/v1/holders/log", &args.request).await?;
    let checkpoint = verifier
        .verify(&response.checkpoint)
        .context("the checkpoint the service answered with")?;
    println!("checkpoint size {}", checkpoint.size);
    println!(
        "the centre forgets whose a verification, sign-in or disclosure was {} days after it; \
         keep this output to keep them",
        response.use_link_retention_days
    );
    check_and_print(&hasher, &checkpoint, &response.log_key, &response.entries)?;
    print_operator_reads(&response.operator_reads);
    for (n, ward) in response.wards.iter().enumerate() {
        println!("minor in your care #{}:", n + 1);
        check_and_print(&hasher, &checkpoint, &ward.log_key, &ward.entries)?;
        print_operator_reads(&ward.operator_reads);
        for platform in &ward.platforms {
            println!(
                "platform {} first used {} (entry {})",
                platform.client_id,
                utc_minute(platform.first_minute),
                platform.first_index
            );
        }
    }
    Ok(())
}

/// Prints the operator's reads of a holder's data, each with its basis and any deferral.
fn print_operator_reads(reads: &[netid_proto::OperatorReadNotice]) {
    for read in reads {
        println!(
            "operator read (entry {}): {} under {} (reference {})",
            read.log_index,
            read.fields.join(", "),
            read.legal_basis,
            read.reference
        );
        if let Some(deferral) = &read.deferred {
            println!(
                "  notice deferred until {} on the ground of {}: {}",
                deferral.until, deferral.ground, deferral.legal_basis
            );
        }
    }
}

/// Checks that each entry carries the tag of `log_key_hex` and is in `checkpoint`, and prints
/// it.
fn check_and_print(
    hasher: &MerkleHasher,
    checkpoint: &Checkpoint,
    log_key_hex: &str,
    entries: &[HolderLogEntry],
) -> anyhow::Result<()> {
    let key_bytes = zeroize::Zeroizing::new(
        hex::decode(log_key_hex).context("the log key the service answered with")?,
    );
    let key = MacKey::from_bytes(&key_bytes)?;
    for item in entries {
        let entry = Entry::from_leaf(item.leaf.as_bytes())
            .with_context(|| format!("entry {}", item.index))?;
        // An entry whose notice was deferred was tagged with a one-off key, revealed now; a
        // use, with its key while the centre keeps it linked to the holder.
        let one_off = match &item.tag_key {
            Some(hex_key) => Some(MacKey::from_bytes(&zeroize::Zeroizing::new(
                hex::decode(hex_key).with_context(|| format!("entry {}'s tag key", item.index))?,
            ))?),
            None => None,
        };
        if !entry.is_about(hasher.suite(), one_off.as_ref().unwrap_or(&key)) {
            bail!("entry {} is not tagged for this holder", item.index);
        }
        hasher
            .verify_inclusion(
                item.index,
                checkpoint.size,
                &hasher.leaf_hash(item.leaf.as_bytes()),
                &decode_hashes(&item.proof)?,
                &checkpoint.root,
            )
            .with_context(|| format!("entry {} is not in the signed log", item.index))?;
        println!(
            "{:>8}  {}  {:<22}  {}{}",
            item.index,
            utc_minute(entry.minute),
            entry.kind.as_str(),
            entry.platform.as_deref().unwrap_or("-"),
            item.kept_until.map_or(String::new(), |end| format!(
                "  (the centre knows it is yours until {})",
                utc_minute(u64::try_from(end / 60).unwrap_or(0))
            ))
        );
    }
    println!(
        "{} entr{} checked against the signed checkpoint",
        entries.len(),
        if entries.len() == 1 { "y" } else { "ies" }
    );
    Ok(())
}

async fn fetch_entries(http: &Http, size: u64) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut leaves: Vec<Vec<u8>> = Vec::new();
    let mut next = 0u64;
    let mut reported = 0u64;
    while next < size {
        let page: LogEntries = http
            .json(&format!("/v1/log/entries?start={next}&end={size}"))
            .await?;
        if page.start != next || page.entries.is_empty() {
            bail!("audit failed: the log served no entries from index {next} (size {size})");
        }
        next += u64::try_from(page.entries.len())?;
        leaves.extend(page.entries.into_iter().map(String::into_bytes));
        // Progress on long audits, about every 100 000 entries.
        if next - reported >= 100_000 {
            eprintln!("netid: fetched {next} of {size} entries");
            reported = next;
        }
    }
    Ok(leaves)
}

fn saved_checkpoints(dir: &Path) -> anyhow::Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(error).with_context(|| format!("reading {}", dir.display()));
        }
    };
    let mut notes = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "checkpoint") {
            notes.push(crate::read(&path)?);
        }
    }
    Ok(notes)
}

fn save_checkpoint(dir: &Path, checkpoint: &Checkpoint, note: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{}.checkpoint", checkpoint.size));
    std::fs::write(&path, note).with_context(|| format!("writing {}", path.display()))
}

fn decode_hashes(encoded: &[String]) -> anyhow::Result<Vec<Hash>> {
    encoded
        .iter()
        .map(|hash| {
            let bytes = Base64::decode_vec(hash).context("a proof hash is not base64")?;
            Ok(Hash::from_slice(&bytes)?)
        })
        .collect()
}

/// `YYYY-MM-DD HH:MM UTC` of a minute since the Unix epoch.
fn utc_minute(minute: u64) -> String {
    let days = i64::try_from(minute / 1440).unwrap_or(i64::MAX);
    let of_day = minute % 1440;
    match netid_core::Date::from_days_since_unix_epoch(days) {
        Some(date) => format!("{date} {:02}:{:02} UTC", of_day / 60, of_day % 60),
        None => format!("minute {minute}"),
    }
}

/// A small client for the log's endpoints; problems become errors with their detail.
struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    fn new(server: &str) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: server.trim_end_matches('/').to_owned(),
        }
    }

    async fn text(&self, path: &str) -> anyhow::Result<String> {
        let url = format!("{}{path}", self.base);
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        crate::answer(response).await
    }

    async fn json<T: serde::de::DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let text = self.text(path).await?;
        serde_json::from_str(&text).with_context(|| format!("the answer to {path} is malformed"))
    }

    async fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> anyhow::Result<T> {
        let url = format!("{}{path}", self.base);
        let response = self
            .client
            .post(&url)
            .json(body)
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        let text = crate::answer(response).await?;
        serde_json::from_str(&text).with_context(|| format!("the answer to {path} is malformed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_print_as_utc_date_and_time() {
        // 2026-11-27 18:20 UTC.
        assert_eq!(utc_minute(29_930_060), "2026-11-27 18:20 UTC");
        assert_eq!(utc_minute(0), "1970-01-01 00:00 UTC");
    }
}
