//! netid's CLI wallet answers a verifier written apart: `tests/oidc/node/vp-verifier.mjs` of
//! netid-server, on `@openid4vc/openid4vp` 0.4.6, `dcql` and `jose`, with a certificate from
//! the service's CA (`intl` suite: the verifier signs ES256). The wallet checks the request
//! against the CA, presents one Net Certificate with the claim asked, in both response modes,
//! and the verifier checks it against the service's published keys.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::ca::{certify, enroll_holder};
use crate::flows::reqwest_post;
use crate::{Served, netid, netid_ok, register_platform};

const NODE_PROJECT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../netid-server/tests/oidc/node"
);

#[test]
fn the_cli_wallet_presents_to_an_openid4vp_verifier_written_apart() {
    assert!(
        std::path::Path::new(&format!("{NODE_PROJECT}/node_modules/@openid4vc/openid4vp")).is_dir(),
        "@openid4vc/openid4vp is not installed: run `npm ci` in {NODE_PROJECT} (scripts/test does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let served = Served::start_with(&dir.path().join("data"), &[("NETID_CA_SUITE", "intl")]);
    certify(&served, &path, "intl");
    enroll_holder(&served, &path);

    // The verifier's P-256 key and its certificate from the service's CA.
    let registered: serde_json::Value = serde_json::from_str(&register_platform(
        &served,
        &served.system_key(),
        "vp-verifier",
    ))
    .unwrap();
    let openssl = |args: &[&str]| {
        let output = Command::new("openssl").args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    };
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        &path("verifier.key"),
    ]);
    let csr = openssl(&[
        "req",
        "-new",
        "-key",
        &path("verifier.key"),
        "-subj",
        "/CN=ignored",
        "-outform",
        "DER",
    ]);
    let basic = format!(
        "Basic {}",
        <base64ct::Base64 as base64ct::Encoding>::encode_string(
            format!(
                "{}:{}",
                registered["client_id"].as_str().unwrap(),
                registered["credential"].as_str().unwrap()
            )
            .as_bytes()
        )
    );
    let (status, body) = reqwest_post(
        &format!("{}/v1/platform/certificates", served.base_url),
        &basic,
        &serde_json::json!({"csr": <base64ct::Base64UrlUnpadded as base64ct::Encoding>::encode_string(&csr)}),
    );
    assert_eq!(status, 200, "{body}");
    let issued: serde_json::Value = serde_json::from_str(&body).unwrap();
    std::fs::write(
        path("verifier.pem"),
        format!(
            "{}{}",
            issued["certificate"].as_str().unwrap(),
            issued["chain"].as_str().unwrap()
        ),
    )
    .unwrap();

    netid_ok(&[
        "wallet",
        "net-certificates",
        "--server",
        &served.base_url,
        "--wallet",
        &path("wallet.key"),
        "--count",
        "2",
        "--suite",
        "intl",
        "--out",
        &path("nc.json"),
    ]);
    for mode in ["direct_post", "direct_post.jwt"] {
        let mut verifier = Command::new("node")
            .arg(format!("{NODE_PROJECT}/vp-verifier.mjs"))
            .env("ISSUER", &served.base_url)
            .env("CERT_PEM", path("verifier.pem"))
            .env("KEY_PEM", path("verifier.key"))
            .env("MODE", mode)
            .env("CLAIMS", "age_over_18")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(verifier.stdout.take().unwrap()).lines();
        let mut next = || -> serde_json::Value {
            serde_json::from_str(&lines.next().expect("the verifier said nothing").unwrap())
                .unwrap()
        };
        let request = next();
        assert_eq!(request["event"], "request", "{request}");
        let presented = netid(
            &[
                "wallet",
                "present",
                "--openid4vp",
                request["link"].as_str().unwrap(),
                "--server",
                &served.base_url,
                "--certificates",
                &path("nc.json"),
            ],
            b"",
        );
        assert!(
            presented.status.success(),
            "{}",
            String::from_utf8_lossy(&presented.stderr)
        );
        let verified = next();
        assert_eq!(
            verified,
            serde_json::json!({"event": "verified", "claims": {"age_over_18": true}}),
            "{mode}"
        );
        assert!(verifier.wait().unwrap().success());
    }

    // An identifying claim: not granted by the platform's signed profile, and under another
    // anchor (--trust) not even tied to a platform netid knows. Nothing is presented.
    for trust in [None, Some(path("verifier.pem"))] {
        let mut verifier = Command::new("node")
            .arg(format!("{NODE_PROJECT}/vp-verifier.mjs"))
            .env("ISSUER", &served.base_url)
            .env("CERT_PEM", path("verifier.pem"))
            .env("KEY_PEM", path("verifier.key"))
            .env("MODE", "direct_post")
            .env("CLAIMS", "name")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(verifier.stdout.take().unwrap()).lines();
        let request: serde_json::Value =
            serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        let link = request["link"].as_str().unwrap();
        let certificates = path("nc.json");
        let mut args = vec![
            "wallet",
            "present",
            "--openid4vp",
            link,
            "--server",
            &served.base_url,
            "--certificates",
            &certificates,
        ];
        if let Some(file) = &trust {
            args.extend(["--trust", file]);
        }
        let refused = netid(&args, b"");
        verifier.kill().unwrap();
        verifier.wait().unwrap();
        assert_eq!(refused.status.code(), Some(1));
        let said = String::from_utf8_lossy(&refused.stderr);
        let expected = if trust.is_none() {
            "does not grant"
        } else {
            "certified by netid's CA"
        };
        assert!(said.contains(expected), "{said}");
    }
    served.stop();
}
