//! The whole journey through the binary: serve, authority, operator, wallet, platform.

use std::os::unix::fs::PermissionsExt;

use base64ct::Encoding as _;

use crate::{Served, netid, netid_ok};

#[test]
fn serve_and_every_client_command_work_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let served = Served::start(&dir.path().join("data"));
    let server = served.base_url.clone();
    let admin = served.admin_url.clone();
    let system_key = served.system_key();

    // A synthetic authority signs a synthetic roster.
    let public_key = netid_ok(&["authority", "init", "--key", &path("authority.key")]);
    std::fs::write(path("authority.pub"), &public_key).unwrap();
    let today = netid_testkit::today();
    let adult = netid_testkit::resident(
        "110101",
        "测试甲",
        netid_testkit::years_ago(30, today),
        "P-0001",
        Some("CODE-A-2026"),
    );
    std::fs::write(
        path("records.json"),
        serde_json::to_vec(&vec![adult.clone()]).unwrap(),
    )
    .unwrap();
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

    let as_operator = |key: &str, extra: &[&str]| {
        let mut args = vec!["operator"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--server", &admin, "--operator-key", key]);
        netid(&args, b"")
    };
    let operator = |extra: &[&str]| {
        let done = as_operator(&system_key, extra);
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        String::from_utf8(done.stdout).unwrap()
    };
    operator(&[
        "register-authority",
        "--name",
        "test-authority",
        "--public-key",
        &path("authority.pub"),
    ]);
    let loaded: serde_json::Value = serde_json::from_str(&operator(&[
        "load-roster",
        "--roster",
        &path("roster.json"),
    ]))
    .unwrap();
    assert_eq!(loaded["records"], 1);
    let platform: serde_json::Value =
        serde_json::from_str(&operator(&["register-platform", "--name", "cli platform"])).unwrap();
    let client_id = platform["client_id"].as_str().unwrap();
    let platform_credential = platform["credential"].as_str().unwrap();

    // The holder.
    netid_ok(&["wallet", "init", "--wallet", &path("wallet.key")]);
    let mode = std::fs::metadata(path("wallet.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let refused = netid(&["wallet", "init", "--wallet", &path("wallet.key")], b"");
    assert_eq!(refused.status.code(), Some(1), "never overwrites a wallet");

    let wallet_path = path("wallet.key");
    let enroll_under = |code: &str, notice: &[&str]| {
        let mut args = vec![
            "wallet",
            "enroll",
            "--server",
            &server,
            "--wallet",
            &wallet_path,
            "--type",
            "resident-id",
            "--number",
            &adult.document_number,
            "--name",
            "测试甲",
            "--code",
            code,
        ];
        args.extend(notice);
        netid(&args, b"")
    };
    let enroll =
        |code: &str| enroll_under(code, &["--accept-notice", netid_proto::NOTICE_TEXT_VERSION]);
    // Without the notice accepted, the notice is shown (in Chinese, or in English when
    // asked) and nothing is sent.
    let unaccepted = enroll_under("CODE-A-2026", &["--lang", "en"]);
    assert_eq!(unaccepted.status.code(), Some(1));
    let stderr = String::from_utf8(unaccepted.stderr).unwrap();
    assert!(stderr.contains("What the centre holds:"), "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    let unaccepted = enroll_under("CODE-A-2026", &[]);
    let stderr = String::from_utf8(unaccepted.stderr).unwrap();
    assert!(stderr.contains("本中心保存什么"), "{stderr}");
    let wrong = enroll("CODE-WRONG");
    assert_eq!(wrong.status.code(), Some(1));
    let stderr = String::from_utf8(wrong.stderr).unwrap();
    assert!(stderr.contains("(evidence_mismatch)"), "{stderr}");
    let enrolled = enroll("CODE-A-2026");
    assert!(enrolled.status.success());
    let enrolled: serde_json::Value = serde_json::from_slice(&enrolled.stdout).unwrap();
    assert_eq!(enrolled["outcome"], "enrolled");
    let net_id = enrolled["net_id"].as_str().unwrap().to_owned();

    // The platform.
    let presentation = netid_ok(&[
        "wallet",
        "present",
        "--server",
        &server,
        "--wallet",
        &path("wallet.key"),
        "--client-id",
        client_id,
        "--nonce",
        "cli-nonce-0000001",
        "--predicate",
        "age_over_18",
    ]);
    std::fs::write(path("presentation.json"), presentation).unwrap();
    let verify = || {
        netid(
            &[
                "platform",
                "verify",
                "--server",
                &server,
                "--client-id",
                client_id,
                "--credential",
                platform_credential,
                "--presentation",
                &path("presentation.json"),
            ],
            b"",
        )
    };
    let verified = verify();
    assert!(verified.status.success());
    let verified: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(verified["real_name_verified"], true);
    assert_eq!(verified["age_over_18"], true);
    assert_eq!(verified["subject"].as_str().unwrap().len(), 64);
    let replayed = verify();
    assert_eq!(replayed.status.code(), Some(1));
    assert!(
        String::from_utf8(replayed.stderr)
            .unwrap()
            .contains("presentation_replayed")
    );

    // The holder's own log, checked against the signed checkpoint; and a full audit.
    let log_key = reqwest_text(&format!("{server}/v1/log/key"));
    let wallet_log = || {
        netid_ok(&[
            "wallet",
            "log",
            "--server",
            &server,
            "--wallet",
            &path("wallet.key"),
            "--log-key",
            &log_key,
        ])
    };
    let history = wallet_log();
    assert!(history.contains("enrollment"), "{history}");
    assert!(
        history.contains(&format!("verification            {client_id}")),
        "{history}"
    );
    assert!(
        history.contains("2 entries checked against the signed checkpoint"),
        "{history}"
    );
    let audit = netid_ok(&["audit", "--server", &server, "--log-key", &log_key]);
    // The operators' set-up, then authority, roster, platform, enrollment, verification.
    let size = netid_testkit::SETUP_ENTRIES + 5;
    assert!(audit.contains(&format!("size     {size}")), "{audit}");
    assert!(audit.contains("1 checkpoint(s), all consistent"), "{audit}");
    // Per operator: each set-up account once, and the system administrator's acts.
    let by_operator = |kind: &str| {
        audit
            .lines()
            .filter(|line| line.starts_with("op-") && line.contains(kind))
            .count()
    };
    assert_eq!(
        by_operator("operator_added"),
        netid_testkit::SETUP_ENTRIES,
        "{audit}"
    );
    assert_eq!(by_operator("roster_loaded"), 1, "{audit}");
    for kind in [
        "authority_registered",
        "roster_loaded",
        "grant_changed",
        "enrollment",
        "verification",
    ] {
        assert!(audit.contains(kind), "{audit}");
    }

    // The operator's one read of personal data, with its basis: one data-protection officer
    // asks, another approves, the first carries it out; the holder sees it.
    let dpo = |n| served.key(netid_proto::OperatorRole::DataProtectionOfficer, n);
    let (first_dpo, second_dpo) = (dpo(0), dpo(1));
    let ok = |output: std::process::Output| {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let read_args = [
        "read-holder",
        "--net-id",
        &net_id,
        "--field",
        "name",
        "--basis-kind",
        "court_order",
        "--legal-basis",
        "Synthetic Act, art. 3 (test)",
        "--reference",
        "CLI-CASE-1",
    ];
    let refused = as_operator(&system_key, &read_args);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("wrong_role"));
    let asked = as_operator(&first_dpo, &read_args);
    assert!(String::from_utf8_lossy(&asked.stderr).contains("netid operator approve act-"));
    let asked: serde_json::Value = serde_json::from_str(&ok(asked)).unwrap();
    let request_id = asked["request_id"].as_str().unwrap().to_owned();
    let own = as_operator(&first_dpo, &["approve", &request_id]);
    assert_eq!(
        own.status.code(),
        Some(1),
        "no one approves their own request"
    );
    assert!(String::from_utf8_lossy(&own.stderr).contains("same_operator"));
    ok(as_operator(&second_dpo, &["approve", &request_id]));
    let not_theirs = as_operator(&second_dpo, &["carry-out", &request_id]);
    assert!(String::from_utf8_lossy(&not_theirs.stderr).contains("not_requester"));
    let read: serde_json::Value =
        serde_json::from_str(&ok(as_operator(&first_dpo, &["carry-out", &request_id]))).unwrap();
    assert_eq!(read["claims"]["name"], "测试甲");
    let again = as_operator(&first_dpo, &["carry-out", &request_id]);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("act_closed"),
        "once only"
    );
    // The auditor reads the security events, the chain checked: the refused read is there.
    let auditor = served.key(netid_proto::OperatorRole::Auditor, 0);
    let events = as_operator(&auditor, &["security-events", "--seal"]);
    assert!(String::from_utf8_lossy(&events.stderr).contains("chain checked"));
    assert!(String::from_utf8_lossy(&events.stderr).contains("sealed in the transparency log"));
    let listed = ok(events);
    assert!(listed.contains("operator_act_refused"), "{listed}");
    assert!(listed.contains("service_started"), "{listed}");
    assert!(!listed.contains("测试"), "no names: {listed}");
    let not_theirs = as_operator(&system_key, &["security-events"]);
    assert!(String::from_utf8_lossy(&not_theirs.stderr).contains("wrong_role"));
    assert_eq!(read["holder_notified_from"], "now");
    let half_deferral = netid(
        &[
            "operator",
            "read-holder",
            "--server",
            &admin,
            "--operator-key",
            &system_key,
            "--net-id",
            &net_id,
            "--field",
            "name",
            "--basis-kind",
            "court_order",
            "--legal-basis",
            "x",
            "--reference",
            "y",
            "--defer-until",
            "2099-01-01",
        ],
        b"",
    );
    assert_eq!(
        half_deferral.status.code(),
        Some(2),
        "clap refuses a partial deferral"
    );
    let history = wallet_log();
    assert!(
        history.contains("): name under Synthetic Act, art. 3 (test) (reference CLI-CASE-1)")
            && history.contains("operator read (entry "),
        "{history}"
    );
    assert!(
        history.contains("3 entries checked against the signed checkpoint"),
        "{history}"
    );

    // Consent and withdrawal from the wallet: a platform asks for the name, the operator
    // grants it, the holder consents under the notice shown, then withdraws.
    let consenting: serde_json::Value = serde_json::from_str(&operator(&[
        "register-platform",
        "--name",
        "consent platform",
    ]))
    .unwrap();
    let consent_id = consenting["client_id"].as_str().unwrap().to_owned();
    let basic = format!(
        "Basic {}",
        base64ct::Base64::encode_string(
            format!(
                "{consent_id}:{}",
                consenting["credential"].as_str().unwrap()
            )
            .as_bytes()
        )
    );
    let (status, body) = reqwest_post(
        &format!("{server}/v1/platform/profile"),
        &basic,
        &serde_json::json!({"fields": [{"field": "name", "legal_basis": "Synthetic Act, art. 4 (test)", "purpose": "testing", "retention_days": 30}]}),
    );
    assert_eq!(status, 200, "{body}");
    let body = crate::grant(&served, &consent_id, "name");
    assert!(body.contains("\"approved\""), "{body}");
    let wallet_args = |command: &str, extra: &[&str]| {
        let mut args: Vec<String> = ["wallet", command, "--server", &server, "--wallet"]
            .iter()
            .map(|arg| (*arg).to_owned())
            .collect();
        args.push(path("wallet.key"));
        args.extend(extra.iter().map(|arg| (*arg).to_owned()));
        args
    };
    let run = |args: Vec<String>| {
        let borrowed: Vec<&str> = args.iter().map(String::as_str).collect();
        netid(&borrowed, b"")
    };
    let consent = run(wallet_args(
        "consent",
        &["--client-id", &consent_id, "--field", "name"],
    ));
    assert!(
        consent.status.success(),
        "{}",
        String::from_utf8_lossy(&consent.stderr)
    );
    assert!(String::from_utf8_lossy(&consent.stderr).contains("\"sensitive_data\""));
    assert!(String::from_utf8_lossy(&consent.stdout).contains("\"signature\""));
    // OpenID Connect: the platform pushes a sign-in request; its consent screen names the
    // wallet command, which approves and gives the name; the platform's ID token carries it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rp = runtime.block_on(netid_testkit::oidc::RelyingParty::register(
        &server,
        &consent_id,
        consenting["credential"].as_str().unwrap(),
    ));
    let started = runtime.block_on(rp.start("openid name"));
    let screen = runtime.block_on(netid_testkit::oidc::reply(rp.http.get(rp.url(&format!(
        "/oidc/authorize?client_id={consent_id}&request_uri={}&lang=en",
        started.request_uri
    )))));
    let command = format!(
        "netid wallet authorize --client-id {consent_id} --request-uri {} [--consent name]",
        started.request_uri
    );
    assert!(screen.body.contains(&command), "{}", screen.body);
    let authorized = run(wallet_args(
        "authorize",
        &[
            "--client-id",
            &consent_id,
            "--request-uri",
            &started.request_uri,
            "--consent",
            "name",
        ],
    ));
    assert!(
        authorized.status.success(),
        "{}",
        String::from_utf8_lossy(&authorized.stderr)
    );
    assert!(String::from_utf8_lossy(&authorized.stderr).contains("approved"));
    let decided: serde_json::Value = serde_json::from_slice(&authorized.stdout).unwrap();
    let callback = netid_testkit::oidc::query(decided["redirect_to"].as_str().unwrap());
    let tokens: serde_json::Value = runtime
        .block_on(rp.redeem(&callback["code"], &started.verifier, &rp.dpop))
        .json();
    let claims = runtime.block_on(rp.id_token_claims(tokens["id_token"].as_str().unwrap()));
    assert_eq!(claims["name"], "测试甲");
    // Declined: the platform hears access_denied.
    let started = runtime.block_on(rp.start("openid"));
    let declined = run(wallet_args(
        "authorize",
        &[
            "--client-id",
            &consent_id,
            "--request-uri",
            &started.request_uri,
            "--deny",
        ],
    ));
    assert!(declined.status.success());
    assert!(String::from_utf8_lossy(&declined.stdout).contains("access_denied"));

    // A one-time link for adding a passkey in a browser.
    let linked = run(wallet_args("link-browser", &[]));
    assert!(
        linked.status.success(),
        "{}",
        String::from_utf8_lossy(&linked.stderr)
    );
    assert!(String::from_utf8_lossy(&linked.stdout).starts_with(&format!("{server}/app/#link=")));
    let withdrawn = run(wallet_args(
        "withdraw",
        &["--client-id", &consent_id, "--field", "name"],
    ));
    assert!(
        withdrawn.status.success(),
        "{}",
        String::from_utf8_lossy(&withdrawn.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&withdrawn.stdout).trim(),
        r#"{"withdrawn":1}"#
    );
    let not_mine = run(wallet_args(
        "delete-ward",
        &["--ward-net-id", &net_id, "--yes-delete-the-childs-data"],
    ));
    assert_eq!(not_mine.status.code(), Some(1), "no one's guardian");
    assert!(String::from_utf8_lossy(&not_mine.stderr).contains("guardian_not_recognised"));
    let unconfirmed = run(wallet_args("delete-ward", &["--ward-net-id", &net_id]));
    assert_eq!(unconfirmed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unconfirmed.stderr).contains("cannot be undone"));

    // Net Certificates: a batch of two, presented once each to a platform that verifies
    // offline with `netid verify`, disclosing only what it asked for.
    let fetched = netid_ok(&[
        "wallet",
        "net-certificates",
        "--server",
        &server,
        "--wallet",
        &path("wallet.key"),
        "--count",
        "2",
        "--suite",
        "intl",
        "--out",
        &path("net-certificates.json"),
    ]);
    assert!(fetched.contains("\"unused\":2"), "{fetched}");
    // Topping up to 2 fetches nothing; to 3, one.
    let top_up = |keep: &str| {
        netid_ok(&[
            "wallet",
            "net-certificates",
            "--server",
            &server,
            "--wallet",
            &path("wallet.key"),
            "--keep",
            keep,
            "--suite",
            "intl",
            "--out",
            &path("net-certificates.json"),
        ])
    };
    assert!(top_up("2").contains("\"issued\":0"));
    assert!(top_up("3").contains("\"issued\":1,\"unused\":3"));
    let request = |nonce: &str| {
        let file = path(&format!("request-{nonce}.json"));
        std::fs::write(
            &file,
            serde_json::json!({"audience": "cli-platform", "nonce": nonce, "claims": ["age_over_18"]})
                .to_string(),
        )
        .unwrap();
        netid(
            &[
                "wallet",
                "present",
                "--request",
                &file,
                "--certificates",
                &path("net-certificates.json"),
            ],
            b"",
        )
    };
    let check = |presentation: &[u8], nonce: &str| {
        netid(
            &[
                "verify",
                "--issuer",
                &server,
                "--audience",
                "cli-platform",
                "--nonce",
                nonce,
                "--claim",
                "age_over_18",
            ],
            presentation,
        )
    };
    let first = request("nc-nonce-0001");
    assert!(first.status.success());
    let verified = check(&first.stdout, "nc-nonce-0001");
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let verified: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(verified["real_name_verified"], true);
    assert_eq!(verified["claims"], serde_json::json!({"age_over_18": true}));
    // For another nonce it is refused.
    let wrong = check(&first.stdout, "nc-nonce-9999");
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8(wrong.stderr).unwrap().contains("nonce"));
    // Another netid holding the file: refused, nothing used.
    let lock = path("net-certificates.lock");
    std::fs::write(&lock, b"").unwrap();
    let busy = request("nc-nonce-0002");
    assert_eq!(busy.status.code(), Some(1));
    assert!(String::from_utf8(busy.stderr).unwrap().contains("in use"));
    std::fs::remove_file(&lock).unwrap();
    // An identifying claim goes only where the audience's published profile grants it.
    let identifying = |audience: &str, nonce: &str| {
        let file = path(&format!("request-{nonce}.json"));
        std::fs::write(
            &file,
            serde_json::json!({"audience": audience, "nonce": nonce, "claims": ["name"]})
                .to_string(),
        )
        .unwrap();
        netid(
            &[
                "wallet",
                "present",
                "--request",
                &file,
                "--server",
                &server,
                "--certificates",
                &path("net-certificates.json"),
            ],
            b"",
        )
    };
    let unknown = identifying("cli-platform", "nc-nonce-name-1");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        String::from_utf8(unknown.stderr)
            .unwrap()
            .contains("published profile")
    );
    let ungranted = identifying(client_id, "nc-nonce-name-2");
    assert_eq!(ungranted.status.code(), Some(1));
    assert!(
        String::from_utf8(ungranted.stderr)
            .unwrap()
            .contains("does not grant")
    );
    // Each certificate once: the fourth request finds none left.
    let second = request("nc-nonce-0002");
    assert!(second.status.success());
    assert_ne!(first.stdout, second.stdout);
    assert!(request("nc-nonce-0003").status.success());
    let fourth = request("nc-nonce-0004");
    assert_eq!(fourth.status.code(), Some(1));
    assert!(
        String::from_utf8(fourth.stderr)
            .unwrap()
            .contains("no unused")
    );
    // The platform asks for the name with a legal basis, the operator grants it: the name
    // goes, and `netid verify` shows it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let asked = http
            .post(format!("{server}/v1/platform/profile"))
            .basic_auth(client_id, Some(platform_credential))
            .json(&serde_json::json!({"fields": [{"field": "name", "legal_basis": "Cybersecurity Law art. 24 (synthetic)", "purpose": "real-name accounts", "retention_days": 30}]}))
            .send()
            .await
            .unwrap();
        assert!(asked.status().is_success());
    });
    crate::grant(&served, client_id, "name");
    assert!(top_up("1").contains("\"issued\":1"));
    let granted = identifying(client_id, "nc-nonce-name-3");
    assert!(
        granted.status.success(),
        "{}",
        String::from_utf8_lossy(&granted.stderr)
    );
    let shown = netid(
        &[
            "verify",
            "--issuer",
            &server,
            "--audience",
            client_id,
            "--nonce",
            "nc-nonce-name-3",
            "--claim",
            "name",
        ],
        &granted.stdout,
    );
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert!(String::from_utf8(shown.stdout).unwrap().contains("测试甲"));
    let mode = std::fs::metadata(path("net-certificates.json"))
        .unwrap()
        .permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );

    // The record the service holds, shown to its holder.
    let record = run(wallet_args("record", &[]));
    let shown = String::from_utf8_lossy(&record.stdout);
    assert!(
        shown.contains("name:            测试甲") && shown.contains("not locked"),
        "{shown}"
    );

    // A correction asked for, and read by the authority with its key.
    let asked = run(wallet_args(
        "correction",
        &["--message", "My birth date is wrong (synthetic)"],
    ));
    assert!(
        asked.status.success(),
        "{}",
        String::from_utf8_lossy(&asked.stderr)
    );
    let reference = String::from_utf8(asked.stdout).unwrap().trim().to_owned();
    let open = netid_ok(&[
        "authority",
        "corrections",
        "--server",
        &server,
        "--key",
        &path("authority.key"),
        "--name",
        "test-authority",
    ]);
    let open: serde_json::Value = serde_json::from_str(&open).unwrap();
    assert_eq!(open[0]["reference"], reference.as_str());
    assert_eq!(open[0]["message"], "My birth date is wrong (synthetic)");
    let record = run(wallet_args("record", &[]));
    assert!(
        String::from_utf8_lossy(&record.stdout)
            .contains(&format!("{reference} to test-authority (open)")),
        "{}",
        String::from_utf8_lossy(&record.stdout)
    );

    // The lock: while it holds, no presentation is verified; unlocked, they are again.
    let locked = run(wallet_args("lock", &[]));
    assert!(
        String::from_utf8_lossy(&locked.stderr).contains("your Net ID is locked"),
        "{}",
        String::from_utf8_lossy(&locked.stderr)
    );
    let fresh_presentation = |nonce: &str| {
        let presentation = netid_ok(&[
            "wallet",
            "present",
            "--server",
            &server,
            "--wallet",
            &path("wallet.key"),
            "--client-id",
            client_id,
            "--nonce",
            nonce,
        ]);
        std::fs::write(path("presentation.json"), presentation).unwrap();
    };
    fresh_presentation("cli-nonce-locked-01");
    let refused = verify();
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("net_id_locked"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let unlocked = run(wallet_args("unlock", &[]));
    assert!(String::from_utf8_lossy(&unlocked.stderr).contains("your Net ID is unlocked"));
    fresh_presentation("cli-nonce-unlocked-1");
    assert!(verify().status.success());

    // A credential offer for a wallet app: the link and the six-digit transaction code.
    let offered = netid_ok(&[
        "wallet",
        "offer",
        "--server",
        &server,
        "--wallet",
        &path("wallet.key"),
    ]);
    let mut lines = offered.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("openid-credential-offer://?credential_offer="),
        "{offered}"
    );
    let tx_code = lines.next().unwrap();
    assert!(
        tx_code.len() == 6 && tx_code.bytes().all(|byte| byte.is_ascii_digit()),
        "{offered}"
    );
    // The CLI wallet takes two SM2 certificates from it, as a wallet app would, and presents one.
    let link = offered.lines().next().unwrap();
    let take = |code: &str| {
        netid(
            &[
                "wallet",
                "take",
                "--offer",
                link,
                "--tx-code",
                code,
                "--count",
                "2",
                "--out",
                &path("taken.json"),
            ],
            b"",
        )
    };
    let wrong = take("000000x");
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("transaction code is wrong"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    let taken = take(tx_code);
    assert!(
        taken.status.success(),
        "{}",
        String::from_utf8_lossy(&taken.stderr)
    );
    assert!(String::from_utf8_lossy(&taken.stdout).contains("\"issued\":2"));
    let request_file = path("request-vci.json");
    std::fs::write(
        &request_file,
        serde_json::json!({"audience": "cli-platform", "nonce": "vci-nonce-0001", "claims": ["age_over_18"]}).to_string(),
    )
    .unwrap();
    let shown = netid(
        &[
            "wallet",
            "present",
            "--request",
            &request_file,
            "--certificates",
            &path("taken.json"),
        ],
        b"",
    );
    assert!(shown.status.success());
    let checked = netid(
        &[
            "verify",
            "--issuer",
            &server,
            "--audience",
            "cli-platform",
            "--nonce",
            "vci-nonce-0001",
            "--claim",
            "age_over_18",
        ],
        &shown.stdout,
    );
    assert!(
        String::from_utf8_lossy(&checked.stdout).contains("\"age_over_18\":true"),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );

    // The platform polls for signals: the deletion is told to it, and the holder reads what
    // it does by the reference the deletion printed.
    let platform_basic = format!(
        "Basic {}",
        base64ct::Base64::encode_string(format!("{client_id}:{platform_credential}").as_bytes())
    );
    let (status, body) = reqwest_post(
        &format!("{server}/ssf/streams"),
        &platform_basic,
        &serde_json::json!({"delivery": {"method": "urn:ietf:rfc:8936"}, "events_requested": ["https://schemas.openid.net/secevent/risc/event-type/account-purged"]}),
    );
    assert_eq!(status, 201, "{body}");

    // Deletion: refused without the confirmation, then done; the wallet is nobody's after.
    let wallet_path = path("wallet.key");
    let delete = |confirm: bool| {
        let mut args = vec![
            "wallet",
            "delete",
            "--server",
            &server,
            "--wallet",
            &wallet_path,
        ];
        if confirm {
            args.push("--yes-delete-my-data");
        }
        netid(&args, b"")
    };
    let unconfirmed = delete(false);
    assert_eq!(unconfirmed.status.code(), Some(1));
    assert!(
        String::from_utf8(unconfirmed.stderr)
            .unwrap()
            .contains("cannot be undone")
    );
    let deleted = delete(true);
    assert!(deleted.status.success());
    let answer: serde_json::Value = serde_json::from_slice(&deleted.stdout).unwrap();
    assert_eq!(answer["deleted"], true);
    assert!(
        String::from_utf8_lossy(&deleted.stderr).contains("netid wallet receipt REFERENCE"),
        "{}",
        String::from_utf8_lossy(&deleted.stderr)
    );
    assert_eq!(delete(true).status.code(), Some(1));
    let receipt = netid_ok(&[
        "wallet",
        "receipt",
        "--server",
        &server,
        answer["receipts"][0].as_str().unwrap(),
    ]);
    assert!(
        receipt.contains(&format!(
            "{client_id} told of your deletion: has not acknowledged it yet"
        )),
        "{receipt}"
    );

    // Graceful shutdown; the service's own log lines carry no personal data.
    let logs = served.stop();
    assert!(logs.iter().any(|line| line.contains("request finished")));
    for line in &logs {
        for secret in [
            "测试甲",
            adult.document_number.as_str(),
            &adult.birth_date,
            &net_id,
            &net_id.replace('-', ""),
        ] {
            assert!(
                !line.contains(secret),
                "log line leaks personal data: {line}"
            );
        }
    }
}

#[test]
fn serve_with_a_bad_environment_value_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_netid"))
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .env("NETID_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("NETID_LISTEN"), "{stderr}");

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_netid"))
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .env("NETID_LISTN", "127.0.0.1:1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("unknown configuration key NETID_LISTN")
    );
}

/// A GET with the blocking std library only: enough for a text endpoint in tests.
pub(crate) fn reqwest_text(url: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async { reqwest::get(url).await.unwrap().text().await.unwrap() })
}

/// POSTs `body` as JSON with `authorization`; the status and body text.
pub(crate) fn reqwest_post(
    url: &str,
    authorization: &str,
    body: &serde_json::Value,
) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(url)
            .header(reqwest::header::AUTHORIZATION, authorization)
            .json(body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    })
}
