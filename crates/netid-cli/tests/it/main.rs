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
mod rotate;
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

/// Registers a platform `name` with `netid operator register-platform`; returns its answer.
pub(crate) fn register_platform(served: &Served, credential: &str, name: &str) -> String {
    netid_ok(&[
        "operator",
        "register-platform",
        "--server",
        &served.admin_url,
        "--credential",
        credential,
        "--name",
        name,
    ])
}

/// `netid serve` running as a child process.
pub(crate) struct Served {
    child: Child,
    pub(crate) base_url: String,
    /// Its administration listener (operator endpoints).
    pub(crate) admin_url: String,
    pub(crate) operator_credential: String,
    stderr: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Served {
    pub(crate) fn start(data_dir: &Path) -> Self {
        Self::start_with(data_dir, &[])
    }

    /// Starts `netid serve` on `data_dir` with the `NETID_*` variables `env` besides.
    pub(crate) fn start_with(data_dir: &Path, env: &[(&str, &str)]) -> Self {
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
            let (mut credential, mut admin_url) = (String::new(), String::new());
            for line in BufReader::new(stderr).lines() {
                let line = line.unwrap();
                if let Some(rest) = line.split("(shown once, store it safely): ").nth(1) {
                    credential = rest.trim().to_owned();
                }
                // Said before "listening on".
                if let Some(url) =
                    line.strip_prefix("netid: administration (operator endpoints only) on ")
                {
                    admin_url = url.to_owned();
                }
                if let Some(url) = line.strip_prefix("netid: listening on ") {
                    ready
                        .send((url.to_owned(), admin_url.clone(), credential.clone()))
                        .ok();
                }
                collected.lock().unwrap().push(line);
            }
        });
        let Ok((base_url, admin_url, operator_credential)) =
            wait.recv_timeout(Duration::from_secs(60))
        else {
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
            operator_credential,
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
