//! End-to-end tests of the `netid` binary: `netid serve` as a real process, and every client
//! command against it over HTTP.

// A test binary: helpers outside `#[test]` functions should fail loudly too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::as_conversions
)]

mod audit;
mod backup;
mod ca;
mod crash;
mod doc;
mod flows;
mod minors;
mod openid4vp;
mod platforms;
mod rotate;
mod second_factor;
mod split;
mod token;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs `netid ARGS` with `stdin`, returning its output.
pub(crate) fn netid(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netid"))
        .args(args)
        .env_remove("NETID_SERVER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        input.write_all(&bytes).unwrap();
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

/// Runs `netid ARGS` and returns its standard output, failing the test if it failed.
pub(crate) fn netid_ok(args: &[&str]) -> String {
    let output = netid(args, b"");
    assert!(
        output.status.success(),
        "netid {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Registers a platform `name` with `netid operator register-platform`, as the system
/// administrator whose key is `key`; returns its answer.
pub(crate) fn register_platform(served: &Served, key: &str, name: &str) -> String {
    netid_ok(&[
        "operator",
        "register-platform",
        "--server",
        &served.admin_url,
        "--operator-key",
        key,
        "--name",
        name,
    ])
}

/// The `Authorization` header of a request of `method` to `path` with `body`, signed with
/// the operator key in `key_file` (for tests that speak HTTP themselves).
pub(crate) fn signed_by(key_file: &str, method: &str, path: &str, body: &[u8]) -> String {
    let pem = std::fs::read_to_string(key_file).unwrap();
    let operator = netid_testkit::TestOperator {
        id: String::new(),
        role: netid_proto::OperatorRole::SystemAdministrator,
        key: netid_crypto::Suite::intl()
            .signing_key_from_pkcs8_pem(&pem)
            .unwrap(),
    };
    netid_testkit::operator_authorization(&operator, method, path, body, netid_testkit::now())
}

/// Grants `field` to `client_id` through the binary: `netid operator decide-profile` by the
/// first system administrator of `served`, approved by the second, carried out by the first.
pub(crate) fn grant(served: &Served, client_id: &str, field: &str) -> String {
    let role = netid_proto::OperatorRole::SystemAdministrator;
    let (first, second) = (served.key(role, 0), served.key(role, 1));
    let admin = served.admin_url.as_str();
    let asked = netid_ok(&[
        "operator",
        "decide-profile",
        "--client-id",
        client_id,
        "--approve",
        field,
        "--server",
        admin,
        "--operator-key",
        &first,
    ]);
    let asked: netid_proto::ActPending = serde_json::from_str(&asked).unwrap();
    let id = asked.request_id.as_str();
    netid_ok(&[
        "operator",
        "approve",
        id,
        "--server",
        admin,
        "--operator-key",
        &second,
    ]);
    netid_ok(&[
        "operator",
        "carry-out",
        id,
        "--server",
        admin,
        "--operator-key",
        &first,
    ])
}

/// A CA key act through the binary on `served`: `netid ca ASK…` by its first CA officer,
/// approved by the second (`netid operator approve`), then carried out by the first with
/// `netid ca COMMAND --request ID CARRY…`; the carrying out's output.
pub(crate) fn ca_two_person(served: &Served, ask: &[&str], carry: &[&str]) -> Output {
    let (first, second) = (
        served.key(netid_proto::OperatorRole::CaOfficer, 0),
        served.key(netid_proto::OperatorRole::CaOfficer, 1),
    );
    let with = |args: &[&str], key: &str| {
        let mut full: Vec<&str> = args.to_vec();
        full.extend(["--server", &served.admin_url, "--operator-key", key]);
        full.iter()
            .map(|arg| (*arg).to_owned())
            .collect::<Vec<String>>()
    };
    let run = |args: Vec<String>| {
        let borrowed: Vec<&str> = args.iter().map(String::as_str).collect();
        netid(&borrowed, b"")
    };
    let mut asked = vec!["ca"];
    asked.extend(ask);
    let pending = netid_ok(
        &with(&asked, &first)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    let pending: netid_proto::ActPending = serde_json::from_str(&pending).unwrap();
    let id = pending.request_id;
    // The one who asked cannot approve; the second CA officer does.
    let own = run(with(&["operator", "approve", &id], &first));
    assert_eq!(own.status.code(), Some(1));
    netid_ok(
        &with(&["operator", "approve", &id], &second)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    let mut carried = vec!["ca", ask[0], "--request", &id];
    carried.extend(carry);
    run(with(&carried, &first))
}

/// [`ca_two_person`] that must succeed; its standard output.
pub(crate) fn ca_two_person_ok(served: &Served, ask: &[&str], carry: &[&str]) -> String {
    let output = ca_two_person(served, ask, carry);
    assert!(
        output.status.success(),
        "netid ca {ask:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The key files of the test team of `data_dir` (made at set-up on first use, as
/// `netid_testkit::TestOperators` makes them): `test-operators/<role>-<n>.pem`.
fn team_keys(data_dir: &Path) {
    let dir = data_dir.join("test-operators");
    if dir.exists() {
        return;
    }
    let data = data_dir.to_owned();
    let team = std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let config = netid_testkit::test_config(&data, Vec::new());
            netid_testkit::TestOperators::of(&data, &config).await
        })
    })
    .join()
    .unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    let mut numbers = std::collections::HashMap::new();
    for operator in &team.0 {
        let n = numbers.entry(operator.role).or_insert(0usize);
        let file = dir.join(format!("{}-{n}.pem", operator.role));
        *n += 1;
        std::fs::write(&file, operator.key.to_pkcs8_pem().unwrap().as_bytes()).unwrap();
    }
}

/// `netid serve` running as a child process.
pub(crate) struct Served {
    child: Child,
    pub(crate) base_url: String,
    /// Its administration listener (operator endpoints).
    pub(crate) admin_url: String,
    /// The data directory, where the test team's keys are.
    data_dir: std::path::PathBuf,
    stderr: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Served {
    /// The key file of the team's `n`th operator of `role`.
    pub(crate) fn key(&self, role: netid_proto::OperatorRole, n: usize) -> String {
        let file = self
            .data_dir
            .join("test-operators")
            .join(format!("{role}-{n}.pem"));
        file.to_str().unwrap().to_owned()
    }

    /// The system administrator's key file (authorities, rosters, platforms).
    pub(crate) fn system_key(&self) -> String {
        self.key(netid_proto::OperatorRole::SystemAdministrator, 0)
    }

    /// The CA officer's key file.
    pub(crate) fn ca_key(&self) -> String {
        self.key(netid_proto::OperatorRole::CaOfficer, 0)
    }

    pub(crate) fn start(data_dir: &Path) -> Self {
        Self::start_with(data_dir, &[])
    }

    /// Starts `netid serve` on `data_dir` with the `NETID_*` variables `env` besides.
    pub(crate) fn start_with(data_dir: &Path, env: &[(&str, &str)]) -> Self {
        team_keys(data_dir);
        let mut command = Command::new(env!("CARGO_BIN_EXE_netid"));
        command.envs(env.iter().copied());
        // On PostgreSQL when the tests run there: the data directory's own database.
        if let Some(url) = netid_testkit::database_for(data_dir) {
            command.env("NETID_DATABASE_URL", url);
        }
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("NETID_LOG", "trace")
            .env("NETID_LOG_FORMAT", "json")
            .env_remove("NETID_LISTEN")
            .env("NETID_ADMIN_LISTEN", "127.0.0.1:0")
            .env_remove("NETID_DATA_DIR")
            .env_remove("NETID_MASTER_KEY")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (ready, wait) = mpsc::channel();
        let collected = Arc::clone(&lines);
        let reader = std::thread::spawn(move || {
            let mut admin_url = String::new();
            for line in BufReader::new(stderr).lines() {
                let line = line.unwrap();
                // Said before "listening on".
                if let Some(url) =
                    line.strip_prefix("netid: administration (operator endpoints only) on ")
                {
                    admin_url = url.to_owned();
                }
                if let Some(url) = line.strip_prefix("netid: listening on ") {
                    ready.send((url.to_owned(), admin_url.clone())).ok();
                }
                collected.lock().unwrap().push(line);
            }
        });
        let Ok((base_url, admin_url)) = wait.recv_timeout(Duration::from_secs(60)) else {
            // Say why: the server's own last words, and how it ended.
            let _ = child.kill();
            let status = child.wait();
            let _ = reader.join();
            let said = lines.lock().unwrap();
            let tail = &said[said.len().saturating_sub(20)..];
            panic!(
                "netid serve did not say it was listening (exit: {status:?}); its last lines:\n{}",
                tail.join("\n")
            );
        };
        Self {
            child,
            base_url,
            admin_url,
            data_dir: data_dir.to_owned(),
            stderr: lines,
            reader: Some(reader),
        }
    }

    /// Sends SIGTERM and waits: a graceful shutdown exits 0.
    pub(crate) fn stop(mut self) -> Vec<String> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "netid serve exited with {exit}");
        // The reader thread ends when the pipe closes with the process.
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        self.stderr.lock().unwrap().clone()
    }
}

impl Served {
    /// Kills the process with SIGKILL: no shutdown, no flush, like a crash or power cut.
    pub(crate) fn crash(mut self) {
        let status = Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.child.wait().unwrap();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
