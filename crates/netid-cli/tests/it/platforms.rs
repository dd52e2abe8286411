//! What platforms answer for, through the binary (issue 25): a platform declares the
//! commitments of Art. 7; two system administrators suspend it (`netid operator
//! platform-status`, `approve`, `carry-out`) and `netid operator platforms` lists it so.

use crate::{Served, netid, netid_ok, register_platform};

#[test]
fn a_platform_commits_and_two_system_administrators_suspend_it() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&dir.path().join("data"));
    let role = netid_proto::OperatorRole::SystemAdministrator;
    let (first, second) = (served.key(role, 0), served.key(role, 1));
    let admin = served.admin_url.as_str();
    let platform: serde_json::Value =
        serde_json::from_str(&register_platform(&served, &first, "CLI 测试平台")).unwrap();
    let client_id = platform["client_id"].as_str().unwrap();
    let credential = platform["credential"].as_str().unwrap();
    let commit = |flags: &[&str]| {
        let mut args = vec![
            "platform",
            "commit",
            "--server",
            &served.base_url,
            "--client-id",
            client_id,
            "--credential",
            credential,
        ];
        args.extend_from_slice(flags);
        netid(&args, b"")
    };
    assert!(
        !commit(&["--no-extra-plaintext"]).status.success(),
        "both commitments, or none"
    );
    let profile: netid_proto::Profile =
        serde_json::from_slice(&commit(&["--no-extra-plaintext", "--equal-service"]).stdout)
            .unwrap();
    assert!(profile.commitments.is_some());

    let operator = |args: &[&str], key: &str| {
        let mut all = vec!["operator"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--server", admin, "--operator-key", key]);
        netid(&all, b"")
    };
    let wrong = operator(
        &[
            "platform-status",
            "--client-id",
            client_id,
            "--status",
            "paused",
            "--reason",
            "x",
        ],
        &first,
    );
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("suspended, active"));
    let asked = operator(
        &[
            "platform-status",
            "--client-id",
            client_id,
            "--status",
            "suspended",
            "--reason",
            "Synthetic complaint upheld",
        ],
        &first,
    );
    assert!(
        asked.status.success(),
        "{}",
        String::from_utf8_lossy(&asked.stderr)
    );
    let asked: netid_proto::ActPending = serde_json::from_slice(&asked.stdout).unwrap();
    let id = asked.request_id.as_str();
    assert!(operator(&["approve", id], &second).status.success());
    let done: netid_proto::Standing =
        serde_json::from_slice(&operator(&["carry-out", id], &first).stdout).unwrap();
    assert_eq!(done.status, netid_proto::PlatformStatus::Suspended);
    let listed: netid_proto::PlatformList = serde_json::from_str(&netid_ok(&[
        "operator",
        "platforms",
        "--server",
        admin,
        "--operator-key",
        &second,
    ]))
    .unwrap();
    assert_eq!(
        listed.platforms[0].standing.reason.as_deref(),
        Some("Synthetic complaint upheld")
    );
    // Its own commands are refused now, with the reason to read.
    let refused = commit(&["--no-extra-plaintext", "--equal-service"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("suspended"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
