//! `netid master-key seal-to-token`: the master key wrapped by a key in a PKCS#11 token
//! (SoftHSM), and `netid serve` starting only with the token and its PIN. Runs when
//! `NETID_TEST_PKCS11_MODULE` names the SoftHSM module (`scripts/test` sets it).

use std::path::Path;
use std::process::{Command, Output};

use crate::{Served, register_platform};

/// A SoftHSM configuration of its own under `dir`, with one initialised token: the
/// variables that point `netid` at it (the PIN's file included).
fn softhsm(dir: &Path, module: &str) -> Vec<(String, String)> {
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    let init = Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            "netid-test",
            "--pin",
            "1234",
        ])
        .args(["--so-pin", "5678"])
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .unwrap();
    assert!(init.status.success(), "{init:?}");
    let pin = dir.join("pin");
    write_private(&pin, "1234\n");
    vec![
        ("SOFTHSM2_CONF".to_owned(), conf.display().to_string()),
        ("NETID_PKCS11_MODULE".to_owned(), module.to_owned()),
        ("NETID_PKCS11_TOKEN".to_owned(), "netid-test".to_owned()),
        (
            "NETID_PKCS11_PIN_FILE".to_owned(),
            pin.display().to_string(),
        ),
    ]
}

fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Runs `netid ARGS` on `data` with `env`, the database's URL too on PostgreSQL.
fn netid_on(data: &Path, args: &[&str], env: &[(String, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netid"));
    if let Some(url) = netid_testkit::database_for(data) {
        command.env("NETID_DATABASE_URL", url);
    }
    command
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("NETID_MASTER_KEY")
        // Tests run side by side: no fixed port for the administration listener.
        .env("NETID_ADMIN_LISTEN", "127.0.0.1:0")
        .envs(env.iter().map(|(name, value)| (name, value)))
        .output()
        .unwrap()
}

fn serve_fails(data: &Path, env: &[(String, String)]) -> String {
    let output = netid_on(data, &["serve", "--listen", "127.0.0.1:0"], env);
    assert!(!output.status.success());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_master_key_wrapped_by_a_token_serves_only_with_the_token_and_its_pin() {
    let Ok(module) = std::env::var("NETID_TEST_PKCS11_MODULE") else {
        eprintln!("skipped: needs NETID_TEST_PKCS11_MODULE (the SoftHSM module)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = softhsm(dir.path(), &module);
    let served = Served::start(&data);
    let credential = served.system_key();
    register_platform(&served, &credential, "before");
    served.stop();
    let key_hex = std::fs::read_to_string(data.join("master.key")).unwrap();

    // Without the token's settings there is nothing to seal to.
    let unnamed = netid_on(&data, &["master-key", "seal-to-token"], &[]);
    assert!(!unnamed.status.success());
    assert!(String::from_utf8_lossy(&unnamed.stderr).contains("NETID_PKCS11_MODULE"));

    let sealed = netid_on(&data, &["master-key", "seal-to-token"], &env);
    let said = String::from_utf8_lossy(&sealed.stderr);
    assert!(sealed.status.success(), "{said}");
    assert!(
        said.contains("in the PKCS#11 token \"netid-test\""),
        "{said}"
    );
    assert!(!data.join("master.key").exists());
    let record = std::fs::read_to_string(data.join("master.key.token")).unwrap();
    assert!(!record.contains(key_hex.trim()));

    // No start without the token, with a wrong PIN, or with a changed record.
    let said = serve_fails(&data, &[]);
    assert!(said.contains("NETID_PKCS11_MODULE"), "{said}");
    let wrong_pin = dir.path().join("wrong-pin");
    write_private(&wrong_pin, "9999\n");
    let mut wrong = env.clone();
    wrong.retain(|(name, _)| name != "NETID_PKCS11_PIN_FILE");
    wrong.push((
        "NETID_PKCS11_PIN_FILE".to_owned(),
        wrong_pin.display().to_string(),
    ));
    let said = serve_fails(&data, &wrong);
    assert!(said.contains("logging in to the token"), "{said}");
    let original = record.clone();
    let changed = original.replacen("\"wrapped\": \"", "\"wrapped\": \"AAAA", 1);
    write_private(&data.join("master.key.token"), &changed);
    let said = serve_fails(&data, &env);
    assert!(said.contains("unwrapping in the token"), "{said}");
    write_private(&data.join("master.key.token"), &original);

    // With the token: the service opens its data and serves as before.
    let pairs: Vec<(&str, &str)> = env
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let served = Served::start_with(&data, &pairs);
    let answer = register_platform(&served, &credential, "after");
    assert!(answer.contains("client_id"), "{answer}");
    served.stop();

    // A rotation wraps the new key with the same token key: the record changes, the key
    // never touches the disk, and the service serves on.
    let unnamed = netid_on(&data, &["rotate-master-key"], &[]);
    assert!(!unnamed.status.success());
    assert!(String::from_utf8_lossy(&unnamed.stderr).contains("NETID_PKCS11_MODULE"));
    let rotated = netid_on(&data, &["rotate-master-key"], &env);
    let said = String::from_utf8_lossy(&rotated.stderr);
    assert!(rotated.status.success(), "{said}");
    assert!(said.contains("kept where the old one was"), "{said}");
    let after = std::fs::read_to_string(data.join("master.key.token")).unwrap();
    assert_ne!(after, original);
    assert!(!data.join("master.key").exists());
    assert!(!data.join("master.key.token.next").exists());
    let served = Served::start_with(&data, &pairs);
    let answer = register_platform(&served, &credential, "after the rotation");
    assert!(answer.contains("client_id"), "{answer}");
    served.stop();
    // The old record, put back, opens nothing now.
    write_private(&data.join("master.key.token"), &original);
    let said = serve_fails(&data, &env);
    assert!(said.contains("does not decrypt the service keys"), "{said}");
}

/// `env` as the pairs `Served::start_with` takes, with `more` besides.
fn pairs<'a>(env: &'a [(String, String)], more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    env.iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .chain(more.iter().copied())
        .collect()
}

/// The log's checkpoints are checked by `netid audit` with the log's published key.
fn audit_passes(served: &Served, log_key: &str) {
    let audit = crate::netid(
        &["audit", "--server", &served.base_url, "--log-key", log_key],
        b"",
    );
    assert!(
        audit.status.success(),
        "{}",
        String::from_utf8_lossy(&audit.stderr)
    );
}

#[test]
fn the_service_signing_keys_move_into_a_token_and_sign_only_there() {
    let Ok(module) = std::env::var("NETID_TEST_PKCS11_MODULE") else {
        eprintln!("skipped: needs NETID_TEST_PKCS11_MODULE (the SoftHSM module)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = softhsm(dir.path(), &module);
    // An intl log: its checkpoints are signed with a P-256 key, as ID tokens are.
    let intl = [("NETID_CA_SUITE", "intl")];
    let served = Served::start_with(&data, &intl);
    let credential = served.system_key();
    register_platform(&served, &credential, "before");
    let jwks = crate::flows::reqwest_text(&format!("{}/oidc/jwks", served.base_url));
    let log_key = crate::flows::reqwest_text(&format!("{}/v1/log/key", served.base_url));
    served.stop();
    let intl_env: Vec<(String, String)> = [("NETID_CA_SUITE".to_owned(), "intl".to_owned())]
        .into_iter()
        .chain(env.iter().cloned())
        .collect();

    // Without the token's settings there is nowhere to move them.
    let unnamed = netid_on(&data, &["service-keys", "move-to-token"], &[]);
    assert!(!unnamed.status.success());
    assert!(String::from_utf8_lossy(&unnamed.stderr).contains("NETID_PKCS11_MODULE"));

    let moved = netid_on(&data, &["service-keys", "move-to-token"], &intl_env);
    assert!(
        moved.status.success(),
        "{}",
        String::from_utf8_lossy(&moved.stderr)
    );
    let names = String::from_utf8_lossy(&moved.stdout).into_owned();
    for name in ["signing-oidc-intl", "signing-log-intl"] {
        assert!(names.lines().any(|line| line == name), "{names}");
    }
    // The SM2 keys stay where they were.
    assert!(!names.contains("signing-gm"), "{names}");
    // Moved once: a second run finds nothing left to move.
    let again = netid_on(&data, &["service-keys", "move-to-token"], &intl_env);
    assert!(again.status.success());
    assert_eq!(String::from_utf8_lossy(&again.stdout), "");

    // The data alone (with its master key) signs nothing: no start without the token.
    let said = serve_fails(&data, &[("NETID_CA_SUITE".to_owned(), "intl".to_owned())]);
    assert!(
        said.contains("is in the PKCS#11 token \"netid-test\""),
        "{said}"
    );

    // With it, the same keys sign: the published keys are unchanged, and the log's new
    // checkpoints (signed in the token) pass the audit with the key published before.
    let served = Served::start_with(&data, &pairs(&env, &intl));
    assert_eq!(
        crate::flows::reqwest_text(&format!("{}/oidc/jwks", served.base_url)),
        jwks
    );
    register_platform(&served, &credential, "after");
    audit_passes(&served, &log_key);
    served.stop();
}

#[test]
fn with_a_token_configured_a_new_service_makes_its_p256_keys_in_it() {
    let Ok(module) = std::env::var("NETID_TEST_PKCS11_MODULE") else {
        eprintln!("skipped: needs NETID_TEST_PKCS11_MODULE (the SoftHSM module)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = softhsm(dir.path(), &module);
    let served = Served::start_with(&data, &pairs(&env, &[("NETID_CA_SUITE", "intl")]));
    register_platform(&served, &served.system_key(), "first");
    let log_key = crate::flows::reqwest_text(&format!("{}/v1/log/key", served.base_url));
    audit_passes(&served, &log_key);
    served.stop();
    // Nothing to move: they were made in the token.
    let mut intl_env = env.clone();
    intl_env.push(("NETID_CA_SUITE".to_owned(), "intl".to_owned()));
    let moved = netid_on(&data, &["service-keys", "move-to-token"], &intl_env);
    assert!(moved.status.success());
    assert_eq!(String::from_utf8_lossy(&moved.stdout), "");
    let said = serve_fails(&data, &[("NETID_CA_SUITE".to_owned(), "intl".to_owned())]);
    assert!(said.contains("is in the PKCS#11 token"), "{said}");
}
