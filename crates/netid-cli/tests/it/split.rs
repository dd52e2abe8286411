//! `netid master-key split`: the key file gives way to shares, and `netid serve` starts only
//! with enough of them.

use std::process::Command;

use crate::{Served, netid, register_platform};

#[test]
fn a_split_master_key_serves_with_two_of_three_shares_and_not_without() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("shares");
    let served = Served::start(&data);
    let credential = served.system_key();
    register_platform(&served, &credential, "before");
    served.stop();

    let (data_arg, out_arg) = (data.to_str().unwrap(), out.to_str().unwrap());
    let refused = netid(
        &[
            "master-key",
            "split",
            "--data-dir",
            data_arg,
            "--threshold",
            "1",
            "--shares",
            "3",
            "--out",
            out_arg,
        ],
        b"",
    );
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("--threshold of at least 2"), "{said}");

    let split = netid(
        &[
            "master-key",
            "split",
            "--data-dir",
            data_arg,
            "--threshold",
            "2",
            "--shares",
            "3",
            "--out",
            out_arg,
        ],
        b"",
    );
    let said = String::from_utf8_lossy(&split.stderr);
    assert!(split.status.success(), "{said}");
    assert!(
        said.contains("split into 3 shares, any 2 of which"),
        "{said}"
    );
    let files: Vec<String> = String::from_utf8(split.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(files.len(), 3);
    assert!(!data.join("master.key").exists());

    // Without shares the server says what it needs and does not start.
    let mut serve = Command::new(env!("CARGO_BIN_EXE_netid"));
    if let Some(url) = netid_testkit::database_for(&data) {
        serve.env("NETID_DATABASE_URL", url);
    }
    let unstarted = serve
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", data_arg])
        .env("NETID_ADMIN_LISTEN", "127.0.0.1:0")
        .env_remove("NETID_MASTER_KEY")
        .env_remove("NETID_MASTER_KEY_SHARES")
        .output()
        .unwrap();
    assert!(!unstarted.status.success());
    let said = String::from_utf8_lossy(&unstarted.stderr);
    assert!(
        said.contains("split into 3 shares, 2 of which recover it")
            && said.contains("NETID_MASTER_KEY_SHARES"),
        "{said}"
    );

    // Two of the three: the service opens its data and serves as before.
    let shares = format!("{},{}", files[2], files[0]);
    let served = Served::start_with(&data, &[("NETID_MASTER_KEY_SHARES", &shares)]);
    let answer = register_platform(&served, &credential, "after");
    assert!(answer.contains("client_id"), "{answer}");
    served.stop();

    // A rotation splits the new key as the old one was, into new share files; from then on
    // the old shares open nothing.
    let rotate = |args: &[&str], shares: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_netid"));
        if let Some(url) = netid_testkit::database_for(&data) {
            command.env("NETID_DATABASE_URL", url);
        }
        command
            .args(["rotate-master-key", "--data-dir", data_arg])
            .args(args)
            .env_remove("NETID_MASTER_KEY")
            .env("NETID_MASTER_KEY_SHARES", shares)
            .output()
            .unwrap()
    };
    let unnamed = rotate(&[], &shares);
    assert!(!unnamed.status.success());
    assert!(String::from_utf8_lossy(&unnamed.stderr).contains("--shares-out"));
    let new_out = dir.path().join("new-shares");
    let rotated = rotate(&["--shares-out", new_out.to_str().unwrap()], &shares);
    let said = String::from_utf8_lossy(&rotated.stderr);
    assert!(rotated.status.success(), "{said}");
    assert!(said.contains("hand them out as before"), "{said}");
    let new_files: Vec<String> = String::from_utf8(rotated.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(new_files.len(), 3, "{new_files:?}");
    assert!(!data.join("master.key.split.next").exists());
    let mut serve = Command::new(env!("CARGO_BIN_EXE_netid"));
    if let Some(url) = netid_testkit::database_for(&data) {
        serve.env("NETID_DATABASE_URL", url);
    }
    let old_shares = serve
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", data_arg])
        .env("NETID_ADMIN_LISTEN", "127.0.0.1:0")
        .env_remove("NETID_MASTER_KEY")
        .env("NETID_MASTER_KEY_SHARES", &shares)
        .output()
        .unwrap();
    assert!(!old_shares.status.success());
    let said = String::from_utf8_lossy(&old_shares.stderr);
    assert!(said.contains("another split"), "{said}");
    let new_shares = format!("{},{}", new_files[0], new_files[1]);
    let served = Served::start_with(&data, &[("NETID_MASTER_KEY_SHARES", &new_shares)]);
    let answer = register_platform(&served, &credential, "after the rotation");
    assert!(answer.contains("client_id"), "{answer}");
    served.stop();
}
