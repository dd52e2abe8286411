//! `netid operator passkey-code`: a security administrator gives another operator the code
//! that adds their first passkey (their second factor), never one for their own account.

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
