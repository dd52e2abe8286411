//! `netid rotate-master-key` on a stopped server's data, and refused beside a running one.

use std::process::{Command, Output};

use crate::{Served, register_platform};

/// Runs `netid rotate-master-key` on `data_dir` (and its database, on PostgreSQL).
fn rotate(data_dir: &std::path::Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netid"));
    if let Some(url) = netid_testkit::database_for(data_dir) {
        command.env("NETID_DATABASE_URL", url);
    }
    command
        .args(["rotate-master-key", "--data-dir"])
        .arg(data_dir)
        .env_remove("NETID_DATA_DIR")
        .env_remove("NETID_MASTER_KEY")
        .env_remove("NETID_NEW_MASTER_KEY")
        .output()
        .unwrap()
}

#[test]
fn a_stopped_servers_master_key_rotates_and_the_service_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key_file = data.join("master.key");
    let served = Served::start(&data);
    let credential = served.system_key();
    register_platform(&served, &credential, "before");

    let refused = rotate(&data);
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("a netid server is running on this data"),
        "{said}"
    );
    served.stop();

    let old_key = std::fs::read_to_string(&key_file).unwrap();
    let rotated = rotate(&data);
    let said = String::from_utf8_lossy(&rotated.stderr);
    assert!(rotated.status.success(), "{said}");
    assert!(said.contains("master key rotated: 0 holders"), "{said}");
    assert!(said.contains("the old key is gone from it"), "{said}");
    assert_ne!(std::fs::read_to_string(&key_file).unwrap(), old_key);

    // The service opens on the new key and serves as before.
    let served = Served::start(&data);
    let answer = register_platform(&served, &credential, "after");
    assert!(answer.contains("client_id"), "{answer}");
    served.stop();
}
