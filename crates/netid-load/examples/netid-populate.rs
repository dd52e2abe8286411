//! `netid-populate`: adds N synthetic holders straight into a stopped netid's SQLite database,
//! for measuring the service at scale (1 million, 10 million holders) without enrolling each
//! one over HTTP.
//!
//! Each holder is a row shaped like a real one (random blind indexes and wallet fingerprint,
//! random "sealed" blobs of the real sizes, an SM2-sized public key) and an `enrollment` log
//! entry (committed, its index handed out by the log's counter, but not yet integrated: the
//! next start hashes it into the tiles). No one can present for these holders (their keys do
//! not exist) and nothing decrypts: they are volume for the indexes and the log, nothing more.
//! The real holders of a measurement enroll over HTTP afterwards. This tool knows the SQLite
//! schema (version 19; its `holders` and `log_entries` are as in version 11, `log_sequence` as
//! in 19); it refuses another.

use anyhow::{Context, bail};
use clap::Parser;
use rusqlite::params;

/// Adds synthetic holders to a stopped netid's SQLite database.
#[derive(Debug, Parser)]
struct Args {
    /// The data directory of a netid that has run once (and is stopped).
    #[arg(long)]
    data_dir: std::path::PathBuf,
    /// How many holders to add.
    #[arg(long)]
    holders: u64,
}

/// Rows per transaction.
const BATCH: u64 = 50_000;

/// The schema version this tool writes rows for.
const SCHEMA: i64 = 19;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let path = args.data_dir.join("netid.sqlite3");
    if !path.exists() {
        bail!(
            "{} does not exist; run netid serve on it once first",
            path.display()
        );
    }
    let mut connection = rusqlite::Connection::open(&path)?;
    connection.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
    let version: i64 =
        connection.query_row("SELECT MAX(version) FROM schema_version", [], |row| {
            row.get(0)
        })?;
    if version != SCHEMA {
        bail!("schema version {version}; this tool writes schema {SCHEMA}");
    }
    let minute = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        / 60;
    let mut done = 0u64;
    while done < args.holders {
        let batch = BATCH.min(args.holders - done);
        let transaction = connection.transaction()?;
        let first: i64 =
            transaction.query_row("SELECT next FROM log_sequence WHERE id = 0", [], |row| {
                row.get(0)
            })?;
        {
            let mut holder = transaction.prepare(
                "INSERT INTO holders (net_id_index, sealed_net_id, person_index, \
                 wallet_key_fingerprint, wallet_key_spki, wallet_key_suite, wrapped_data_key, \
                 sealed_personal, enrolled_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 'gm', ?6, ?7, ?8, ?8)",
            )?;
            let mut entry = transaction
                .prepare("INSERT INTO log_entries (idx, leaf, holder_id) VALUES (?1, ?2, ?3)")?;
            for index in first..first + i64::try_from(batch)? {
                let at = i64::try_from(minute * 60)?;
                holder.execute(params![
                    random(32)?,
                    random(44)?,
                    random(32)?,
                    random(32)?,
                    random(91)?,
                    random(44)?,
                    random(228)?,
                    at,
                ])?;
                let id = transaction.last_insert_rowid();
                let leaf = format!(
                    "{{\"v\":1,\"kind\":\"enrollment\",\"minute\":{minute},\"nonce\":\"{}\",\"holder_tag\":\"{}\"}}",
                    hex(&random(16)?),
                    hex(&random(32)?)
                );
                entry.execute(params![index, leaf.into_bytes(), id])?;
            }
        }
        transaction.execute(
            "UPDATE log_sequence SET next = next + ?1 WHERE id = 0",
            params![i64::try_from(batch)?],
        )?;
        transaction.commit().context("committing a batch")?;
        done += batch;
        eprintln!("netid-populate: {done} of {} holders", args.holders);
    }
    connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(())
}

fn random(len: usize) -> anyhow::Result<Vec<u8>> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|_| anyhow::anyhow!("the random generator failed"))?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
