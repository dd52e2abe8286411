//! `netid audit` against a real server, and against a server that shows two histories (a
//! split view): the auditor's saved checkpoints expose it.

use crate::flows::reqwest_text;
use crate::{Served, netid, register_platform};

#[test]
fn the_auditor_detects_a_log_that_shows_two_histories() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let fork = dir.path().join("fork");
    let state = dir.path().join("auditor");
    let state_arg = state.to_str().unwrap();

    let served = Served::start(&data);
    register_platform(&served, &served.system_key(), "first");
    let log_key = reqwest_text(&format!("{}/v1/log/key", served.base_url));
    served.stop();
    // The same log, copied: from here on the two copies may diverge.
    netid_testkit::copy_data_dir(&data, &fork);

    let served = Served::start(&data);
    register_platform(&served, &served.system_key(), "second");
    let audit = |served: &Served| {
        netid(
            &[
                "audit",
                "--server",
                &served.base_url,
                "--log-key",
                &log_key,
                "--state-dir",
                state_arg,
            ],
            b"",
        )
    };
    let honest = audit(&served);
    assert!(
        honest.status.success(),
        "{}",
        String::from_utf8_lossy(&honest.stderr)
    );
    // The operators' set-up, then the two platforms.
    let size = netid_testkit::SETUP_ENTRIES + 2;
    assert!(state.join(format!("{size}.checkpoint")).exists());
    served.stop();

    // The other copy serves a different second entry at the same size: a fork.
    let forked = Served::start(&fork);
    register_platform(&forked, &forked.system_key(), "other second");
    let output = audit(&forked);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("audit failed"), "{stderr}");
    assert!(stderr.contains("forked"), "{stderr}");

    // Growing past the saved size does not hide it: the old checkpoint is not a prefix.
    register_platform(&forked, &forked.system_key(), "third");
    let output = audit(&forked);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("not append-only"), "{stderr}");
    forked.stop();

    // A wrong log key is refused before anything is trusted.
    let output = netid(
        &[
            "audit",
            "--server",
            "http://127.0.0.1:9",
            "--log-key",
            "nonsense",
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("--log-key")
    );
}
