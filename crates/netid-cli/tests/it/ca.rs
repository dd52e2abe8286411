//! The CA through the binary: an offline root, certifying the service's issuing CA, a holder's
//! certificate, its revocation in the CRL.

use crate::flows::reqwest_text;
use crate::{Served, ca_two_person, ca_two_person_ok, netid, netid_ok};

#[test]
fn offline_root_certifies_the_service_and_a_holder_gets_and_revokes_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let served = Served::start(&dir.path().join("data"));
    let server = served.base_url.clone();
    let admin = served.admin_url.clone();
    let (system_key, ca_key) = (served.system_key(), served.ca_key());

    let (shown, signed) = certify(&served, &path, "gm");
    let refused = netid(
        &[
            "ca",
            "init-root",
            "--key",
            &path("root.key"),
            "--cert",
            &path("other.pem"),
        ],
        b"",
    );
    assert_eq!(
        refused.status.code(),
        Some(1),
        "never overwrites a root key"
    );
    // The issuing key was shown uncertified, with the fingerprint the offline signing shows.
    assert!(shown.contains("certified    false"), "{shown}");
    let fingerprint = shown
        .lines()
        .find(|line| line.starts_with("fingerprint"))
        .unwrap();
    let fingerprint = fingerprint.split_whitespace().last().unwrap();
    assert!(signed.contains(fingerprint));

    // A holder (enrolled through the API) asks for a certificate.
    enroll_holder(&served, &path);
    let issued = netid_ok(&[
        "wallet",
        "certificate",
        "--server",
        &server,
        "--wallet",
        &path("wallet.key"),
        "--key",
        &path("signing.key"),
        "--out",
        &path("signing.pem"),
    ]);
    let serial = serde_json::from_str::<serde_json::Value>(&issued).unwrap()["serial"]
        .as_str()
        .unwrap()
        .to_owned();
    let chain = std::fs::read_to_string(path("signing.pem")).unwrap();
    assert_eq!(
        chain.matches("BEGIN CERTIFICATE").count(),
        3,
        "leaf, issuing CA, root"
    );

    let revoke = |reason: &str| {
        netid(
            &[
                "wallet",
                "revoke-certificate",
                "--server",
                &server,
                "--wallet",
                &path("wallet.key"),
                "--serial",
                &serial,
                "--reason",
                reason,
            ],
            b"",
        )
    };
    let revoked = revoke("key_compromise");
    assert!(revoked.status.success());
    let revoked = String::from_utf8(revoked.stdout).unwrap();
    assert!(revoked.contains("\"revoked\":true"), "{revoked}");
    let bad = revoke("because");
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8(bad.stderr).unwrap().contains("reason"));
    // The supervisor's filing package, signed by the CA, counts the issuance and revocation.
    let filing = netid_ok(&[
        "ca",
        "filing",
        "--server",
        &admin,
        "--operator-key",
        &ca_key,
        "--out",
        &path("filing.json"),
    ]);
    assert!(filing.contains("signature verified"), "{filing}");
    assert!(filing.contains("holder-signing"), "{filing}");
    let holder_line = filing
        .lines()
        .find(|line| line.contains("holder-signing"))
        .unwrap();
    let numbers: Vec<&str> = holder_line
        .split_whitespace()
        .filter(|word| word.chars().all(|c| c.is_ascii_digit()))
        .collect();
    assert_eq!(numbers, vec!["1", "1"], "{holder_line}");
    assert!(
        std::fs::read_to_string(path("filing.json"))
            .unwrap()
            .contains("\"payload\"")
    );

    // The CRL the service serves lists it.
    let crl = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            reqwest::get(format!("{server}/v1/ca/crl"))
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
        });
    let crl = <netid_ca::CertificateList as der::Decode>::from_der(&crl).unwrap();
    let listed: Vec<String> = crl
        .tbs_cert_list
        .revoked_certificates
        .iter()
        .flatten()
        .map(|entry| hex::encode(entry.serial_number.as_bytes()))
        .collect();
    assert_eq!(listed, vec![serial.clone()]);
    assert!(reqwest_text(&format!("{server}/v1/ca/chain")).contains("BEGIN CERTIFICATE"));

    // Renewal: refused for the revoked certificate; a fresh one renews to a new serial.
    let renew = |serial: &str| {
        netid(
            &[
                "wallet",
                "renew-certificate",
                "--server",
                &server,
                "--wallet",
                &path("wallet.key"),
                "--serial",
                serial,
                "--out",
                &path("renewed.pem"),
            ],
            b"",
        )
    };
    assert_eq!(renew(&serial).status.code(), Some(1));
    let second = netid_ok(&[
        "wallet",
        "certificate",
        "--server",
        &server,
        "--wallet",
        &path("wallet.key"),
        "--key",
        &path("second.key"),
        "--out",
        &path("second.pem"),
    ]);
    let second = serde_json::from_str::<serde_json::Value>(&second).unwrap()["serial"]
        .as_str()
        .unwrap()
        .to_owned();
    let renewed = renew(&second);
    assert!(renewed.status.success());
    let renewed: serde_json::Value = serde_json::from_slice(&renewed.stdout).unwrap();
    let renewed = renewed["serial"].as_str().unwrap().to_owned();
    assert_ne!(renewed, second);
    assert!(
        std::fs::read_to_string(path("renewed.pem"))
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );

    // Rollover: the next key, certified offline and installed like the first.
    let shown = ca_two_person_ok(
        &served,
        &["rollover", "--out", &path("next.pub")],
        &["--out", &path("next.pub")],
    );
    assert!(shown.contains("fingerprint"), "{shown}");
    netid_ok(&[
        "ca",
        "sign-issuing",
        "--root-key",
        &path("root.key"),
        "--root-cert",
        &path("root.pem"),
        "--issuing-key",
        &path("next.pub"),
        "--out",
        &path("next.pem"),
    ]);
    let rolled = ca_two_person_ok(
        &served,
        &[
            "install",
            "--root-cert",
            &path("root.pem"),
            "--issuing-cert",
            &path("next.pem"),
        ],
        &[],
    );
    let rolled: serde_json::Value = serde_json::from_str(&rolled).unwrap();
    let statuses: Vec<&str> = rolled["authorities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|authority| authority["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["retired", "current"]);

    // OpenID4VP in the gm suite, netid's own wallet to the example platform, whose SM2 key
    // the service's CA certified: the CLI checks the signed request against the CA, says who
    // asks what, and presents one Net Certificate; the platform verifies it offline.
    let registered: serde_json::Value = serde_json::from_str(&crate::register_platform(
        &served,
        &system_key,
        "example-platform",
    ))
    .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let public_url = format!("http://{}", listener.local_addr().unwrap());
    let platform = runtime
        .block_on(netid_example_platform::Platform::start(
            netid_example_platform::Config {
                netid_url: server.clone(),
                public_url: public_url.clone(),
                client_id: registered["client_id"].as_str().unwrap().to_owned(),
                credential: registered["credential"].as_str().unwrap().to_owned(),
            },
        ))
        .unwrap();
    runtime.spawn(
        async move { axum::serve(listener, netid_example_platform::router(platform)).await },
    );
    netid_ok(&[
        "wallet",
        "net-certificates",
        "--server",
        &server,
        "--wallet",
        &path("wallet.key"),
        "--count",
        "1",
        "--out",
        &path("nc.json"),
    ]);
    let check: serde_json::Value = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{public_url}/api/start"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let present = || {
        netid(
            &[
                "wallet",
                "present",
                "--openid4vp",
                check["link"].as_str().unwrap(),
                "--server",
                &server,
                "--certificates",
                &path("nc.json"),
            ],
            b"",
        )
    };
    let presented = present();
    let said = String::from_utf8_lossy(&presented.stderr);
    assert!(presented.status.success(), "{said}");
    assert!(
        said.contains(registered["client_id"].as_str().unwrap()) && said.contains("age_over_18"),
        "{said}"
    );
    assert!(String::from_utf8_lossy(&presented.stdout).contains("/done/"));
    let status = reqwest_text(&format!(
        "{public_url}/api/status/{}",
        check["id"].as_str().unwrap()
    ));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&status).unwrap(),
        serde_json::json!({"state": "verified", "claims": {"age_over_18": true}})
    );
    // The same link again: the certificate file is empty, and nothing is sent.
    let again = present();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("no unused Net Certificate"));

    // Exit: a successor instance takes the CA over, and then revokes for it.
    let successor = Served::start(&dir.path().join("successor"));
    let successor_ca = successor.ca_key();
    let successor_operator = |args: &[&str]| {
        let mut full = vec!["ca"];
        full.extend(args);
        full.extend([
            "--server",
            &successor.admin_url,
            "--operator-key",
            &successor_ca,
        ]);
        netid_ok(&full)
    };
    successor_operator(&["responder-key", "--out", &path("successor.pub")]);
    let exported = ca_two_person_ok(
        &served,
        &[
            "export-successor",
            "--successor-key",
            &path("successor.pub"),
            "--out",
            &path("handover.json"),
        ],
        &["--out", &path("handover.json")],
    );
    assert!(
        exported.contains("2 CA(s)") && exported.contains("signature verified"),
        "{exported}"
    );
    let root_sha256 = exported
        .lines()
        .find_map(|line| line.strip_prefix("root sha256 "))
        .unwrap()
        .to_owned();
    let other_root = "00".repeat(32);
    let refused = ca_two_person(
        &successor,
        &[
            "import-predecessor",
            "--package",
            &path("handover.json"),
            "--root-sha256",
            &other_root,
        ],
        &[],
    );
    assert_eq!(refused.status.code(), Some(1), "another root is refused");
    let imported = ca_two_person_ok(
        &successor,
        &[
            "import-predecessor",
            "--package",
            &path("handover.json"),
            "--root-sha256",
            &root_sha256,
        ],
        &[],
    );
    assert_eq!(imported.matches("inherited").count(), 2, "{imported}");
    let revoked = successor_operator(&["revoke", "--serial", &renewed, "--reason", "superseded"]);
    assert!(revoked.contains("\"revoked\":true"), "{revoked}");
    successor.stop();
    served.stop();
}

/// Certifies the service's issuing CA through the binary under a fresh offline root of
/// `suite` at `path("root.key")`: the key shown online, signed offline, installed by two CA
/// officers. The issuing key's listing and the offline signing's standard error.
pub(crate) fn certify(
    served: &Served,
    path: &dyn Fn(&str) -> String,
    suite: &str,
) -> (String, String) {
    netid_ok(&[
        "ca",
        "init-root",
        "--suite",
        suite,
        "--key",
        &path("root.key"),
        "--cert",
        &path("root.pem"),
    ]);
    let shown = netid_ok(&[
        "ca",
        "issuing-key",
        "--server",
        &served.admin_url,
        "--operator-key",
        &served.ca_key(),
        "--out",
        &path("issuing.pub"),
    ]);
    let signed = netid(
        &[
            "ca",
            "sign-issuing",
            "--root-key",
            &path("root.key"),
            "--root-cert",
            &path("root.pem"),
            "--issuing-key",
            &path("issuing.pub"),
            "--out",
            &path("issuing.pem"),
        ],
        b"",
    );
    assert!(signed.status.success());
    let certified = ca_two_person_ok(
        served,
        &[
            "install",
            "--root-cert",
            &path("root.pem"),
            "--issuing-cert",
            &path("issuing.pem"),
        ],
        &[],
    );
    let status: serde_json::Value = serde_json::from_str(&certified).unwrap();
    assert_eq!(status["certified"], true);
    (shown, String::from_utf8(signed.stderr).unwrap())
}

/// Enrolls a synthetic adult through the binary, the wallet at `path("wallet.key")`, after a
/// system administrator registered their authority and loaded its roster: the person.
pub(crate) fn enroll_holder(
    served: &Served,
    path: &dyn Fn(&str) -> String,
) -> netid_proto::RosterEntry {
    let authority = netid_testkit::Authority::generate("test-authority");
    let netid_proto::PublicKey::Pem(authority_pem) = authority.public_key() else {
        panic!("the test authority's key is PEM");
    };
    std::fs::write(path("authority.pub"), authority_pem).unwrap();
    let system_key = served.system_key();
    let birth = netid_testkit::years_ago(30, netid_testkit::today());
    let adult = netid_testkit::resident("110101", "测试甲", birth, "P-0001", None);
    std::fs::write(
        path("roster.json"),
        serde_json::to_vec(&authority.sign(vec![adult.clone()])).unwrap(),
    )
    .unwrap();
    for args in [
        vec![
            "register-authority",
            "--name",
            "test-authority",
            "--public-key",
            &path("authority.pub"),
        ],
        vec!["load-roster", "--roster", &path("roster.json")],
    ] {
        let mut full = vec!["operator"];
        full.extend(args);
        full.extend(["--server", &served.admin_url, "--operator-key", &system_key]);
        netid_ok(&full);
    }
    netid_ok(&["wallet", "init", "--wallet", &path("wallet.key")]);
    netid_ok(&[
        "wallet",
        "enroll",
        "--server",
        &served.base_url,
        "--wallet",
        &path("wallet.key"),
        "--type",
        "resident-id",
        "--number",
        &adult.document_number,
        "--name",
        "测试甲",
        "--code",
        adult.enrollment_code.as_deref().unwrap(),
        "--accept-notice",
        netid_proto::NOTICE_TEXT_VERSION,
    ]);
    adult
}
