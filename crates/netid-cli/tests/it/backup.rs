//! `netid backup` while the server runs and `netid restore` on its stopped data.

use std::process::{Command, Output};

use crate::{Served, register_platform};

/// Runs `netid ARGS --data-dir DATA_DIR` (on its database, on PostgreSQL).
fn netid_on(data_dir: &std::path::Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netid"));
    if let Some(url) = netid_testkit::database_for(data_dir) {
        command.env("NETID_DATABASE_URL", url);
    }
    command
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("NETID_DATA_DIR")
        .env_remove("NETID_MASTER_KEY")
        .output()
        .unwrap()
}

/// The status of a GET of `url`.
fn status(url: &str) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async { reqwest::get(url).await.unwrap().status().as_u16() })
}

fn client_id(registered: &str) -> String {
    let registered: serde_json::Value = serde_json::from_str(registered).unwrap();
    registered["client_id"].as_str().unwrap().to_owned()
}

#[test]
fn a_backup_taken_while_serving_restores_what_it_held_and_nothing_later() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("netid-backup.sqlite3");
    let file_arg = file.to_str().unwrap();
    let served = Served::start(&data);
    let credential = served.system_key();
    let before = client_id(&register_platform(&served, &credential, "before"));

    let backup = netid_on(&data, &["backup", "--to", file_arg]);
    let said = String::from_utf8_lossy(&backup.stderr);
    if netid_testkit::database_for(&data).is_some() {
        // PostgreSQL is backed up with its own tools.
        assert_eq!(backup.status.code(), Some(1));
        assert!(
            said.contains("back it up with PostgreSQL's own tools"),
            "{said}"
        );
        served.stop();
        return;
    }
    assert!(backup.status.success(), "{said}");
    assert!(said.contains("it holds no key"), "{said}");
    let after = client_id(&register_platform(&served, &credential, "after"));

    let refused = netid_on(&data, &["restore", "--from", file_arg]);
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("stop it first"), "{said}");
    served.stop();

    // Not a database: refused, and the data is untouched.
    let junk = dir.path().join("junk");
    std::fs::write(&junk, b"not a database").unwrap();
    let refused = netid_on(&data, &["restore", "--from", junk.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));

    let restored = netid_on(&data, &["restore", "--from", file_arg]);
    let said = String::from_utf8_lossy(&restored.stderr);
    assert!(restored.status.success(), "{said}");
    let served = Served::start(&data);
    let profile = |id: &str| status(&format!("{}/v1/platforms/{id}/profile", served.base_url));
    assert_eq!(profile(&before), 200);
    assert_eq!(profile(&after), 404);
    served.stop();
}
