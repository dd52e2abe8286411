//! Crash safety of the transparency log: `netid serve` under a write load is killed with
//! SIGKILL at an arbitrary moment, many times. After each restart every act the API
//! acknowledged has its entry in the log, the log verifies against every checkpoint handed
//! out before the crash, and the auditor passes.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use netid_crypto::Suite;
use netid_log::{Entry, MerkleHasher, NoteVerifier};
use netid_proto::{LogEntries, RegisterPlatformResponse};

use crate::flows::reqwest_text;
use crate::{Served, netid};

const ROUNDS: usize = 5;
const WRITERS: usize = 6;

/// Registers platforms in a loop until the server goes away; returns the acknowledged ids.
async fn write_until_gone(admin_url: String, key: String) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut acknowledged = Vec::new();
    for n in 0.. {
        let body =
            serde_json::to_vec(&serde_json::json!({ "name": format!("crash-load-{n}") })).unwrap();
        let path = "/v1/operator/platforms";
        let response = client
            .post(format!("{admin_url}{path}"))
            .header("authorization", crate::signed_by(&key, "POST", path, &body))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        match response {
            Ok(response) if response.status() == 201 => {
                let Ok(registered) = response.json::<RegisterPlatformResponse>().await else {
                    break;
                };
                acknowledged.push(registered.client_id);
            }
            _ => break,
        }
    }
    acknowledged
}

/// Fetches checkpoints while the load runs, as an auditor or wallet would.
async fn watch_checkpoints(base_url: String, notes: Arc<Mutex<Vec<String>>>) {
    let client = reqwest::Client::new();
    loop {
        let Ok(response) = client
            .get(format!("{base_url}/v1/log/checkpoint"))
            .send()
            .await
        else {
            break;
        };
        let Ok(note) = response.text().await else {
            break;
        };
        notes.lock().unwrap().push(note);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn jitter_millis(round: usize) -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    150 + u64::from(nanos) % 400 + 37 * round as u64
}

#[test]
fn acknowledged_entries_survive_sigkill_and_the_log_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut log_key = String::new();
    let mut acknowledged: Vec<String> = Vec::new();
    let notes = Arc::new(Mutex::new(Vec::new()));

    for round in 0..ROUNDS {
        let served = Served::start(&data);
        if round == 0 {
            log_key = reqwest_text(&format!("{}/v1/log/key", served.base_url));
        }
        let key = served.system_key();
        let writers: Vec<_> = (0..WRITERS)
            .map(|_| runtime.spawn(write_until_gone(served.admin_url.clone(), key.clone())))
            .collect();
        let watcher = runtime.spawn(watch_checkpoints(
            served.base_url.clone(),
            Arc::clone(&notes),
        ));
        std::thread::sleep(Duration::from_millis(jitter_millis(round)));
        served.crash();
        for writer in writers {
            acknowledged.extend(runtime.block_on(writer).unwrap());
        }
        runtime.block_on(watcher).unwrap();
    }
    eprintln!(
        "{} registrations acknowledged across {ROUNDS} crashes",
        acknowledged.len()
    );
    assert!(
        acknowledged.len() > ROUNDS * 10,
        "the load should have written something: {}",
        acknowledged.len()
    );

    // After the last crash: every acknowledged registration is in the log.
    let served = Served::start(&data);
    let base = served.base_url.clone();
    let verifier = NoteVerifier::from_vkey(&log_key).unwrap();
    let latest = verifier
        .verify(&reqwest_text(&format!("{base}/v1/log/checkpoint")))
        .unwrap();
    let mut leaves = Vec::new();
    while (leaves.len() as u64) < latest.size {
        let page: LogEntries = serde_json::from_str(&reqwest_text(&format!(
            "{base}/v1/log/entries?start={}&end={}",
            leaves.len(),
            latest.size
        )))
        .unwrap();
        leaves.extend(page.entries.into_iter().map(String::into_bytes));
    }
    let logged: std::collections::HashSet<String> = leaves
        .iter()
        .filter_map(|leaf| Entry::from_leaf(leaf).unwrap().platform)
        .collect();
    for client_id in &acknowledged {
        assert!(
            logged.contains(client_id),
            "acknowledged {client_id} is not in the log"
        );
    }

    // Every checkpoint handed out before a crash is a checkpoint of today's log.
    let notes = notes.lock().unwrap().clone();
    assert!(!notes.is_empty());
    let report =
        netid_log::audit(&MerkleHasher::new(Suite::gm()), &verifier, &notes, &leaves).unwrap();
    assert_eq!(report.entries, latest.size);

    // And the auditor, given all of them, agrees.
    let state = dir.path().join("auditor");
    std::fs::create_dir_all(&state).unwrap();
    for (n, note) in notes.iter().enumerate() {
        std::fs::write(state.join(format!("seen-{n}.checkpoint")), note).unwrap();
    }
    let output = netid(
        &[
            "audit",
            "--server",
            &base,
            "--log-key",
            &log_key,
            "--state-dir",
            state.to_str().unwrap(),
        ],
        b"",
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    served.stop();
}
