//! The operators' credentials beyond their key: `netid operator passkey-code` (a security
//! administrator gives another operator the code that adds their first passkey, never one for
//! their own account), and the CLI over an administration listener that takes TLS with
//! client certificates.

use crate::{Served, netid, netid_ok};

#[test]
fn a_security_administrator_gives_another_operator_a_passkey_code() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&dir.path().join("data"));
    let security = served.key(netid_proto::OperatorRole::SecurityAdministrator, 0);
    let signed = |args: &[&str]| {
        let mut all = vec!["operator"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--server", &served.admin_url, "--operator-key", &security]);
        all.iter().map(|arg| (*arg).to_owned()).collect::<Vec<_>>()
    };
    let accounts: serde_json::Value = serde_json::from_str(&netid_ok(
        &signed(&["accounts"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ))
    .unwrap();
    let id_of = |role: &str| {
        accounts["operators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|account| account["role"] == role)
            .unwrap()["operator_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let officer = id_of("ca_officer");
    let args = signed(&["passkey-code", "--operator-id", &officer]);
    let output = netid(&args.iter().map(String::as_str).collect::<Vec<_>>(), b"");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let code = String::from_utf8(output.stdout).unwrap();
    assert_eq!(code.trim().len(), 43, "{code}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("in person"));

    // Not for their own account (of the two security administrators, theirs is refused),
    // and not by another role.
    let refusals: Vec<String> = accounts["operators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|account| account["role"] == "security_administrator")
        .map(|account| {
            let args = signed(&[
                "passkey-code",
                "--operator-id",
                account["operator_id"].as_str().unwrap(),
            ]);
            let output = netid(&args.iter().map(String::as_str).collect::<Vec<_>>(), b"");
            String::from_utf8_lossy(&output.stderr).into_owned()
        })
        .filter(|said| said.contains("passkey_enrollment_refused"))
        .collect();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert!(refusals[0].contains("their own account"), "{refusals:?}");
    let ca_key = served.ca_key();
    let wrong = netid(
        &[
            "operator",
            "passkey-code",
            "--operator-id",
            &officer,
            "--server",
            &served.admin_url,
            "--operator-key",
            &ca_key,
        ],
        b"",
    );
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong_role"));
    served.stop();
}

/// A self-signed server certificate for 127.0.0.1 made by OpenSSL: its path and its key's.
fn server_identity(dir: &std::path::Path) -> (String, String) {
    let (key, certificate) = (dir.join("server.key"), dir.join("server.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args([
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            certificate.to_str().unwrap(),
        ])
        .args(["-days", "2", "-subj", "/CN=netid test server"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    (
        certificate.to_str().unwrap().to_owned(),
        key.to_str().unwrap().to_owned(),
    )
}

#[test]
fn over_tls_the_cli_connects_with_a_certificate_for_the_operator_key() {
    let dir = tempfile::tempdir().unwrap();
    let (certificate, key) = server_identity(dir.path());
    let served = Served::start_with(
        &dir.path().join("data"),
        &[
            ("NETID_TLS_CERT", &certificate),
            ("NETID_TLS_KEY", &key),
            ("NETID_ADMIN_TLS", "on"),
        ],
    );
    assert!(
        served.admin_url.starts_with("https://"),
        "{}",
        served.admin_url
    );
    let system = served.system_key();
    let register = |operator_key: &str, ca: Option<&str>| {
        let mut args = vec!["operator", "register-platform", "--name", "TLS 测试平台"];
        args.extend([
            "--server",
            &served.admin_url,
            "--operator-key",
            operator_key,
        ]);
        if let Some(ca) = ca {
            args.extend(["--server-ca", ca]);
        }
        netid(&args, b"")
    };
    let registered = register(&system, Some(&certificate));
    assert!(
        registered.status.success(),
        "{}",
        String::from_utf8_lossy(&registered.stderr)
    );
    assert!(String::from_utf8_lossy(&registered.stdout).contains("client_id"));
    // The service's certificate is checked: without the CA file it is not trusted.
    let untrusted = register(&system, None);
    assert!(!untrusted.status.success());
    // An SM2 key cannot make a TLS client certificate: said plainly.
    let sm2 = dir.path().join("sm2.key");
    netid_ok(&[
        "operator",
        "keygen",
        "--operator-key",
        sm2.to_str().unwrap(),
    ]);
    let refused = register(sm2.to_str().unwrap(), Some(&certificate));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("P-256 operator key"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // The certificate a browser would present is the CLI's, printed.
    let printed = netid_ok(&["operator", "certificate", "--operator-key", &system]);
    assert!(
        printed.starts_with("-----BEGIN CERTIFICATE-----"),
        "{printed}"
    );
    served.stop();
}
