//! A guardian through the binary (issue 24): the child under 14 is enrolled with the
//! guardian's wallet, and is verified at a platform only after the guardian approved it.

use crate::{Served, netid, netid_ok, register_platform};

#[test]
fn a_guardian_approves_a_platform_for_a_child_with_the_wallet() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let served = Served::start(&dir.path().join("data"));
    let server = served.base_url.clone();
    let system_key = served.system_key();
    let today = netid_testkit::today();
    let guardian = netid_testkit::resident(
        "110102",
        "测试乙",
        netid_testkit::years_ago(40, today),
        "P-0002",
        Some("CODE-B-2026"),
    );
    let mut child = netid_testkit::resident(
        "110103",
        "测试丙",
        netid_testkit::years_ago(10, today),
        "P-0003",
        Some("CODE-C-2026"),
    );
    child.guardian_person_refs = vec!["P-0002".to_owned()];
    std::fs::write(
        path("records.json"),
        serde_json::to_vec(&vec![guardian.clone(), child.clone()]).unwrap(),
    )
    .unwrap();
    let public_key = netid_ok(&["authority", "init", "--key", &path("authority.key")]);
    std::fs::write(path("authority.pub"), public_key).unwrap();
    let roster = netid_ok(&[
        "authority",
        "sign-roster",
        "--key",
        &path("authority.key"),
        "--name",
        "test-authority",
        "--records",
        &path("records.json"),
    ]);
    std::fs::write(path("roster.json"), roster).unwrap();
    let operator = |extra: &[&str]| {
        let mut args = vec!["operator"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--server", &served.admin_url, "--operator-key", &system_key]);
        netid_ok(&args)
    };
    operator(&[
        "register-authority",
        "--name",
        "test-authority",
        "--public-key",
        &path("authority.pub"),
    ]);
    operator(&["load-roster", "--roster", &path("roster.json")]);
    let platform: serde_json::Value =
        serde_json::from_str(&register_platform(&served, &system_key, "kids platform")).unwrap();
    let client_id = platform["client_id"].as_str().unwrap();

    let notice = netid_proto::NOTICE_TEXT_VERSION;
    let enroll = |wallet: &str, entry: &netid_proto::RosterEntry, extra: &[&str]| {
        let wallet = path(wallet);
        netid_ok(&["wallet", "init", "--wallet", &wallet]);
        let mut args = vec![
            "wallet",
            "enroll",
            "--server",
            &server,
            "--wallet",
            &wallet,
            "--type",
            "resident-id",
            "--number",
            &entry.document_number,
            "--name",
            &entry.name,
            "--code",
            entry.enrollment_code.as_deref().unwrap(),
            "--accept-notice",
            notice,
        ];
        args.extend_from_slice(extra);
        let enrolled: serde_json::Value = serde_json::from_str(&netid_ok(&args)).unwrap();
        enrolled["net_id"].as_str().unwrap().to_owned()
    };
    enroll("guardian.key", &guardian, &[]);
    let guardian_wallet = path("guardian.key");
    let child_net_id = enroll(
        "child.key",
        &child,
        &["--guardian-wallet", &guardian_wallet],
    );

    let present = |nonce: &str| {
        let presentation = netid_ok(&[
            "wallet",
            "present",
            "--server",
            &server,
            "--wallet",
            &path("child.key"),
            "--client-id",
            client_id,
            "--nonce",
            nonce,
        ]);
        std::fs::write(path("presentation.json"), presentation).unwrap();
        netid(
            &[
                "platform",
                "verify",
                "--server",
                &server,
                "--client-id",
                client_id,
                "--credential",
                platform["credential"].as_str().unwrap(),
                "--presentation",
                &path("presentation.json"),
            ],
            b"",
        )
    };
    let refused = present("cli-child-nonce-0001");
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("(guardian_approval_required)"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let approved = netid(
        &[
            "wallet",
            "approve-platform",
            "--server",
            &server,
            "--wallet",
            &guardian_wallet,
            "--ward-net-id",
            &child_net_id,
            "--client-id",
            client_id,
        ],
        b"",
    );
    assert!(
        String::from_utf8_lossy(&approved.stderr).contains("is approved for the child"),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    let verified = present("cli-child-nonce-0002");
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
}
