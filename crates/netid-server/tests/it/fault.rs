//! The fault test, after Jepsen: two netid nodes on the Patroni cluster of `scripts/cluster`
//! (three PostgreSQL servers in strict synchronous mode), a mixed write load through both
//! (platform registrations, enrollments, verifications) while the primary is SIGKILLed again
//! and again. Afterwards every write a node acknowledged is there, the log has no gap and
//! audits against every checkpoint published along the way, and no request got an answer
//! other than its result or "unavailable, retry". Beside it, the cluster's base backup and
//! WAL archive are restored and checked against what was acknowledged.
//!
//! Runs when `NETID_TEST_CLUSTER_URL` names the cluster (`scripts/test` starts it), for
//! `NETID_FAULT_ROUNDS` kills (default 3); `scripts/fault` runs it for longer. One test at a
//! time (`--test-threads=1`): a backup taken while the primary is killed would fail.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use netid_crypto::Suite;
use netid_log::MerkleHasher;
use netid_proto::{RegisterPlatformRequest, RegisterPlatformResponse, RosterEntry, VerifyRequest};
use netid_testkit::{Authority, TestServer, Wallet};
use reqwest::StatusCode;
use tokio::sync::Mutex;

use crate::client::{Answer, Client};

/// What the load saw acknowledged, and what it did not expect.
#[derive(Default)]
struct Ledger {
    platforms: Vec<String>,
    enrolled: Vec<Arc<Wallet>>,
    /// Verifications acknowledged: the wallet (index into `enrolled`) and the nonce.
    verified: Vec<(usize, String)>,
    /// Answers that were neither a result nor 503: status and body.
    unexpected: Vec<(StatusCode, String)>,
    /// 503 answers (unavailable, or outcome unknown).
    unavailable: usize,
}

/// `n` synthetic people for the roster, each with a birth date of their own (so a document
/// number of their own) and an enrollment code.
fn people(n: usize) -> Vec<RosterEntry> {
    let stems = ['甲', '乙', '丙', '丁', '戊', '己', '庚', '辛', '壬', '癸'];
    (0..n)
        .map(|i| {
            let birth = netid_core::Date::from_ymd(
                1970 + u16::try_from(i / 300).unwrap(),
                1 + u8::try_from((i / 28) % 12).unwrap(),
                1 + u8::try_from(i % 28).unwrap(),
            )
            .unwrap();
            let name = format!("测试{}{}", stems[(i / 10) % 10], stems[i % 10]);
            netid_testkit::resident(
                "110101",
                &name,
                birth,
                &format!("F-{i:04}"),
                Some(&format!("FAULT-{i:04}-Qz")),
            )
        })
        .collect()
}

/// Records `answer`: true if it is the result asked for; 503 counts as "not acknowledged".
/// Registers a platform `name` and settles the answer in `ledger`; whether it was acknowledged.
async fn register_platform(client: &Client, ledger: &Mutex<Ledger>, name: String) -> bool {
    let request = RegisterPlatformRequest {
        name,
        sector_of: None,
    };
    let answer = client
        .post("/v1/operator/platforms", Some(&client.bearer()), &request)
        .await;
    let mut ledger = ledger.lock().await;
    let acknowledged = settle(&mut ledger, &answer, StatusCode::CREATED);
    if acknowledged {
        let platform: RegisterPlatformResponse = answer.json();
        ledger.platforms.push(platform.client_id);
    }
    acknowledged
}

fn settle(ledger: &mut Ledger, answer: &Answer, ok: StatusCode) -> bool {
    if answer.status == ok {
        return true;
    }
    if answer.status == StatusCode::SERVICE_UNAVAILABLE {
        ledger.unavailable += 1;
    } else {
        ledger
            .unexpected
            .push((answer.status, answer.body.chars().take(300).collect()));
    }
    false
}

/// Sends what `send` makes until the answer is not 503 (the cluster may fail over by itself
/// on a busy machine, too), for up to a minute.
async fn available<F: std::future::Future<Output = Answer>>(send: impl Fn() -> F) -> Answer {
    let started = Instant::now();
    loop {
        let answer = send().await;
        if answer.status != StatusCode::SERVICE_UNAVAILABLE
            || started.elapsed() > Duration::from_secs(60)
        {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn scripts_cluster(command: &str) -> String {
    scripts_cluster_with(&[command])
}

/// Runs `scripts/cluster` with `args` and returns what it printed.
fn scripts_cluster_with(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/cluster");
    let output = std::process::Command::new(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "scripts/cluster {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Runs one SQL statement on the database at `url` with psql and returns its output.
fn psql(url: &str, statement: &str) -> String {
    let output = std::process::Command::new("psql")
        .args([url, "-Atc", statement])
        .output()
        .unwrap();
    assert!(output.status.success(), "psql {statement}: {output:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A database of its own on the cluster at `cluster`: its name and URL.
fn own_database(cluster: &str, prefix: &str) -> (String, String) {
    let name = format!("{prefix}_{}", netid_testkit::now());
    psql(
        &cluster.replace("/netid?", "/postgres?"),
        &format!("CREATE DATABASE {name}"),
    );
    let url = cluster.replace("/netid?", &format!("/{name}?"));
    (name, url)
}

/// The log `client`'s server serves, audited against the checkpoints `notes` and its current
/// one: how many entries.
async fn audit(client: &Client, mut notes: Vec<String>) -> u64 {
    let answer = available(|| client.get("/v1/log/checkpoint")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    notes.push(answer.body);
    let verifier = crate::transparency::verifier(client).await;
    let size = verifier.verify(notes.last().unwrap()).unwrap().size;
    let mut leaves: Vec<Vec<u8>> = Vec::new();
    while (leaves.len() as u64) < size {
        let path = format!("/v1/log/entries?start={}&end={size}", leaves.len());
        let page: netid_proto::LogEntries = available(|| client.get(&path)).await.json();
        leaves.extend(page.entries.into_iter().map(String::into_bytes));
    }
    let hasher = MerkleHasher::new(Suite::gm());
    netid_log::audit(&hasher, &verifier, &notes, &leaves)
        .unwrap()
        .entries
}

#[tokio::test]
async fn acknowledged_writes_survive_repeated_primary_kills_and_the_log_stays_whole() {
    let Ok(cluster) = std::env::var("NETID_TEST_CLUSTER_URL") else {
        eprintln!("skipped: runs on the cluster of scripts/cluster (NETID_TEST_CLUSTER_URL)");
        return;
    };
    let rounds: usize = std::env::var("NETID_FAULT_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(3);
    let (_, url) = own_database(&cluster, "netid_fault");
    let dir = tempfile::tempdir().unwrap();
    let env = vec![("NETID_DATABASE_URL".to_owned(), url)];
    let server = TestServer::start_nodes(dir.path(), env, netid_server::Clock::System, 2)
        .await
        .unwrap()
        .expect("two nodes on the cluster");
    let client = Arc::new(Client::new(&server));

    let authority = Authority::generate("fault-authority");
    assert_eq!(
        client.register_authority(&authority).await.status,
        StatusCode::OK
    );
    let roster = people(150);
    let loaded = client.load_roster(&authority.sign(roster.clone())).await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    let verifier_platform: RegisterPlatformResponse =
        client.register_platform("fault-verifier").await;
    let key = netid_testkit::presentation_key(&client.base_url).await;

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(0));
    let roster = Arc::new(roster);
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (client, ledger, stop, next, roster) = (
            Arc::clone(&client),
            Arc::clone(&ledger),
            Arc::clone(&stop),
            Arc::clone(&next),
            Arc::clone(&roster),
        );
        let (platform, key) = (verifier_platform.clone(), key.clone());
        workers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                match i % 3 {
                    0 => {
                        register_platform(&client, &ledger, format!("fault-{i}")).await;
                    }
                    1 if i / 3 < roster.len() => {
                        let wallet = Wallet::generate();
                        let answer = client.enroll(&wallet.enroll_request(&roster[i / 3])).await;
                        let mut ledger = ledger.lock().await;
                        if settle(&mut ledger, &answer, StatusCode::OK) {
                            ledger.enrolled.push(Arc::new(wallet));
                        }
                    }
                    _ => {
                        let chosen = {
                            let ledger = ledger.lock().await;
                            (!ledger.enrolled.is_empty()).then(|| {
                                let index = i % ledger.enrolled.len();
                                (index, Arc::clone(&ledger.enrolled[index]))
                            })
                        };
                        let Some((index, wallet)) = chosen else {
                            continue;
                        };
                        let nonce = format!("fault-nonce-{i:08}");
                        let presentation = wallet.present(&key, &platform.client_id, &nonce, &[]);
                        let answer = client
                            .verify_presentation(&platform, &VerifyRequest { presentation })
                            .await;
                        let mut ledger = ledger.lock().await;
                        if settle(&mut ledger, &answer, StatusCode::OK) {
                            ledger.verified.push((index, nonce));
                        }
                    }
                }
            }
        }));
    }

    // Kill the primary, again and again, each time once the load is going again.
    let mut notes = Vec::new();
    let mut longest = Duration::ZERO;
    for round in 0..rounds {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let answer = available(|| client.get("/v1/log/checkpoint")).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        notes.push(answer.body);
        let killed = Instant::now();
        scripts_cluster("kill-primary");
        // Back once a write sent after the kill is acknowledged.
        loop {
            if register_platform(&client, &ledger, format!("fault-probe-{round}")).await {
                break;
            }
            assert!(
                killed.elapsed() < Duration::from_secs(60),
                "round {round}: no write acknowledged within 60 s of the kill"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        longest = longest.max(killed.elapsed());
        // The old primary rejoins as a standby before the next kill (strict mode needs one).
        let rejoined = Instant::now();
        while scripts_cluster("status").matches("running").count() < 3 {
            assert!(
                rejoined.elapsed() < Duration::from_secs(60),
                "the cluster heals"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    let ledger = ledger.lock().await;
    assert!(
        ledger.unexpected.is_empty(),
        "answers other than a result or 503: {:?}",
        ledger.unexpected
    );

    // Every acknowledged write is there.
    for client_id in &ledger.platforms {
        let path = format!("/v1/platforms/{client_id}/profile");
        let answer = available(|| client.get(&path)).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{client_id}: {}",
            answer.body
        );
    }
    for wallet in &ledger.enrolled {
        let answer = available(|| async {
            let request = wallet.log_request();
            client.post("/v1/holders/log", None, &request).await
        })
        .await;
        let history: netid_proto::HolderLogResponse = answer.json();
        assert!(!history.entries.is_empty(), "the enrollment's entry");
    }
    for (index, nonce) in &ledger.verified {
        let presentation =
            ledger.enrolled[*index].present(&key, &verifier_platform.client_id, nonce, &[]);
        let request = VerifyRequest { presentation };
        available(|| client.verify_presentation(&verifier_platform, &request))
            .await
            .problem(StatusCode::FORBIDDEN, "presentation_replayed");
    }

    // The log: no gap, every checkpoint published along the way consistent with the last.
    let checkpoints = notes.len() + 1;
    let entries = audit(&client, notes).await;
    let acknowledged = ledger.platforms.len() + ledger.enrolled.len() + ledger.verified.len();
    assert!(entries >= u64::try_from(acknowledged).unwrap());
    println!(
        "fault test: {rounds} primary kills, {acknowledged} writes acknowledged \
         ({} platforms, {} enrollments, {} verifications), lost 0, {} answers 503, \
         longest from a kill to the first write sent after it being acknowledged {:.1} s, log of {} entries audited \
         against {} checkpoints",
        ledger.platforms.len(),
        ledger.enrolled.len(),
        ledger.verified.len(),
        ledger.unavailable,
        longest.as_secs_f64(),
        entries,
        checkpoints
    );
    drop(ledger);
    server.stop().await;
}

/// A base backup of the cluster (`scripts/cluster backup`, pg_basebackup) and its WAL archive.
/// Restored to the archive's end, every write acknowledged after the backup is there too (a
/// holder enrolled, a holder deleted, a verification), and the log audits against the
/// checkpoints published before and after the backup. Restored from the base backup alone
/// (the archive lost), the holder deleted since stays deleted (the node's start replays its
/// deletion journal) and the log extends the checkpoint published before the backup.
#[tokio::test]
async fn a_base_backup_and_the_wal_archive_restore_every_acknowledged_write_and_no_deleted_holder()
{
    let Ok(cluster) = std::env::var("NETID_TEST_CLUSTER_URL") else {
        eprintln!("skipped: runs on the cluster of scripts/cluster (NETID_TEST_CLUSTER_URL)");
        return;
    };
    let (name, url) = own_database(&cluster, "netid_backup");
    let dir = tempfile::tempdir().unwrap();
    let start = async |url: &str| {
        let env = vec![("NETID_DATABASE_URL".to_owned(), url.to_owned())];
        let server = TestServer::start_with_env(dir.path(), env).await.unwrap();
        let client = Client::new(&server);
        (server, client)
    };
    let (server, client) = start(&url).await;
    let authority = Authority::generate("backup-authority");
    assert_eq!(
        client.register_authority(&authority).await.status,
        StatusCode::OK
    );
    let roster = people(3);
    let loaded = client.load_roster(&authority.sign(roster.clone())).await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    let platform = client.register_platform("backup-verifier").await;
    let (kept, gone, later) = (Wallet::generate(), Wallet::generate(), Wallet::generate());
    client.enroll_ok(&kept.enroll_request(&roster[0])).await;
    client.enroll_ok(&gone.enroll_request(&roster[1])).await;
    client
        .verify_ok(&platform, &kept, "backup-nonce-before", &[])
        .await;
    let before = crate::transparency::checkpoint(&client).await;

    let backups = tempfile::tempdir().unwrap();
    let backup = backups.path().join("base");
    scripts_cluster_with(&["backup", backup.to_str().unwrap()]);

    // Acknowledged after the backup: a deletion, an enrollment, a verification.
    let deleted = client
        .post("/v1/holders/delete", None, &gone.deletion_request())
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    client.enroll_ok(&later.enroll_request(&roster[2])).await;
    client
        .verify_ok(&platform, &kept, "backup-nonce-after", &[])
        .await;
    let after = crate::transparency::checkpoint(&client).await;
    // The WAL segment in use goes to the archive now rather than when it fills.
    let segment = psql(&cluster, "SELECT pg_walfile_name(pg_switch_wal())");
    let archived = Instant::now();
    while psql(&cluster, "SELECT last_archived_wal FROM pg_stat_archiver") < segment {
        assert!(
            archived.elapsed() < Duration::from_secs(60),
            "{segment} archived"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop().await;

    let history = async |client: &Client, wallet: &Wallet| {
        client
            .post("/v1/holders/log", None, &wallet.log_request())
            .await
            .status
    };
    let replayed = async |client: &Client, nonce: &str| {
        client
            .verify(&platform, &kept, nonce, &[])
            .await
            .problem(StatusCode::FORBIDDEN, "presentation_replayed");
    };

    // To the archive's end: everything acknowledged.
    let restored = scripts_cluster_with(&["restore", backup.to_str().unwrap()]);
    let (server, client) = start(&restored.replace("/netid?", &format!("/{name}?"))).await;
    assert_eq!(history(&client, &gone).await, StatusCode::FORBIDDEN);
    assert_eq!(history(&client, &later).await, StatusCode::OK);
    replayed(&client, "backup-nonce-before").await;
    replayed(&client, "backup-nonce-after").await;
    client
        .verify_ok(&platform, &kept, "backup-nonce-restored", &[])
        .await;
    let whole = audit(&client, vec![before.clone(), after]).await;
    server.stop().await;

    // The base backup alone: what came after it is lost, but not the deletion.
    let restored = scripts_cluster_with(&["restore", backup.to_str().unwrap(), "--base-only"]);
    let (server, client) = start(&restored.replace("/netid?", &format!("/{name}?"))).await;
    assert_eq!(history(&client, &gone).await, StatusCode::FORBIDDEN);
    assert_eq!(history(&client, &kept).await, StatusCode::OK);
    assert_eq!(history(&client, &later).await, StatusCode::FORBIDDEN);
    replayed(&client, "backup-nonce-before").await;
    let base = audit(&client, vec![before]).await;
    server.stop().await;
    scripts_cluster("unrestore");
    println!(
        "backup test: restored to the archive's end, {whole} entries audited; from the base backup alone, {base}"
    );
}
