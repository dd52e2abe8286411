//! netid-ca through its public API, checked by the `openssl` binary (OpenSSL 3.0).
//!
//! OpenSSL 3.0 applies `-vfyopt distid:` only to the certificate being verified, so SM2 chains
//! are checked one link at a time with `-partial_chain` (openssl/openssl#23471, #32744).

// A test binary: helpers outside `#[test]` functions should fail loudly too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod independent_sm2;
mod ocsp;
mod path;

use std::path::{Path, PathBuf};
use std::process::Command;

use netid_ca::{
    Certificate, CertificateTemplate, Error, Profile, RevocationReason, RevokedEntry, crl_to_pem,
    issue, issue_crl, to_pem, verify_crl, verify_request, verify_signed_by,
};
use netid_crypto::{SigningKey, Suite, SuiteId};

const DAY: u64 = 86_400;
/// 2026-01-01T00:00:00Z: fixed times, no clock.
const START: u64 = 1_767_225_600;
const DISTID: &str = "distid:1234567812345678";

struct Hierarchy {
    root_key: SigningKey,
    root: Certificate,
    issuing_key: SigningKey,
    issuing: Certificate,
}

fn hierarchy(suite: &Suite) -> Hierarchy {
    let root_key = suite.generate_signing_key().unwrap();
    let root = issue(
        &CertificateTemplate::new(
            "CN=netid test root,O=netid test",
            Profile::Root,
            [1; 16],
            START,
            START + 3650 * DAY,
        ),
        root_key.verifying_key(),
        None,
        &root_key,
    )
    .unwrap();
    let issuing_key = suite.generate_signing_key().unwrap();
    let issuing = issue(
        &CertificateTemplate::new(
            "CN=netid test issuing ca,O=netid test",
            Profile::IssuingCa,
            [2; 16],
            START,
            START + 1825 * DAY,
        ),
        issuing_key.verifying_key(),
        Some(&root),
        &root_key,
    )
    .unwrap();
    Hierarchy {
        root_key,
        root,
        issuing_key,
        issuing,
    }
}

fn end_entity(suite: &Suite, h: &Hierarchy, profile: Profile, serial: u8) -> Certificate {
    let key = suite.generate_signing_key().unwrap();
    let mut template = CertificateTemplate::new(
        "CN=pseudonym 4KQ7-93XW,O=netid test",
        profile,
        [serial; 16],
        START,
        START + 365 * DAY,
    );
    template.crl_url = Some("http://127.0.0.1:8080/v1/ca/crl".to_owned());
    template.ocsp_url = Some("http://127.0.0.1:8080/v1/ca/ocsp".to_owned());
    issue(
        &template,
        key.verifying_key(),
        Some(&h.issuing),
        &h.issuing_key,
    )
    .unwrap()
}

fn write(dir: &Path, name: &str, cert: &Certificate) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, to_pem(cert).unwrap()).unwrap();
    path
}

fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl binary must be installed (scripts/test installs it)");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The time OpenSSL checks validity at: inside every certificate's validity.
fn at() -> String {
    (START + DAY).to_string()
}

#[test]
fn p256_hierarchy_passes_stock_openssl_verify() {
    let suite = Suite::intl();
    let h = hierarchy(&suite);
    let dir = tempfile::tempdir().unwrap();
    let root = write(dir.path(), "root.pem", &h.root);
    let issuing = write(dir.path(), "issuing.pem", &h.issuing);
    for (i, profile) in [
        Profile::CredentialIssuer,
        Profile::PlatformClient,
        Profile::HolderSigning,
        Profile::OcspResponder,
    ]
    .into_iter()
    .enumerate()
    {
        let ee = write(
            dir.path(),
            "ee.pem",
            &end_entity(&suite, &h, profile, 10 + u8::try_from(i).unwrap()),
        );
        let (ok, out) = openssl(&[
            "verify",
            "-x509_strict",
            "-check_ss_sig",
            "-attime",
            &at(),
            "-CAfile",
            s(&root),
            "-untrusted",
            s(&issuing),
            s(&ee),
        ]);
        assert!(ok, "{profile:?}: {out}");
        assert!(out.contains(": OK"), "{out}");
    }
}

#[test]
fn p256_certificates_outside_validity_fail_openssl_verify() {
    let suite = Suite::intl();
    let h = hierarchy(&suite);
    let dir = tempfile::tempdir().unwrap();
    let root = write(dir.path(), "root.pem", &h.root);
    let issuing = write(dir.path(), "issuing.pem", &h.issuing);
    let ee = write(
        dir.path(),
        "ee.pem",
        &end_entity(&suite, &h, Profile::HolderSigning, 9),
    );
    let late = (START + 400 * DAY).to_string();
    let (ok, out) = openssl(&[
        "verify",
        "-attime",
        &late,
        "-CAfile",
        s(&root),
        "-untrusted",
        s(&issuing),
        s(&ee),
    ]);
    assert!(!ok && out.contains("expired"), "{out}");
}

#[test]
fn sm2_hierarchy_verifies_link_by_link_with_openssl_and_the_default_id() {
    let suite = Suite::gm();
    let h = hierarchy(&suite);
    let dir = tempfile::tempdir().unwrap();
    let root = write(dir.path(), "root.pem", &h.root);
    let issuing = write(dir.path(), "issuing.pem", &h.issuing);
    let ee = write(
        dir.path(),
        "ee.pem",
        &end_entity(&suite, &h, Profile::HolderSigning, 20),
    );
    // The root's self-signature is checked by netid only: OpenSSL 3.0 cannot pass the
    // distinguishing ID into `-check_ss_sig` for a trust anchor.
    verify_signed_by(&h.root, &h.root).unwrap();
    let links = [(&root, &issuing), (&issuing, &ee)];
    for (trusted, subject) in links {
        let (ok, out) = openssl(&[
            "verify",
            "-partial_chain",
            "-attime",
            &at(),
            "-vfyopt",
            DISTID,
            "-CAfile",
            s(trusted),
            s(subject),
        ]);
        assert!(ok, "{}: {out}", s(subject));
        // Without the distinguishing ID, OpenSSL 3.0 hashes an empty one: the signature fails.
        let (ok, out) = openssl(&[
            "verify",
            "-partial_chain",
            "-attime",
            &at(),
            "-CAfile",
            s(trusted),
            s(subject),
        ]);
        assert!(!ok, "verified without the distinguishing id: {out}");
    }
    let (_, text) = openssl(&["x509", "-in", s(&ee), "-noout", "-text"]);
    assert!(text.contains("SM2-with-SM3"), "{text}");
}

#[test]
fn openssl_reads_the_profile_extensions() {
    let suite = Suite::intl();
    let h = hierarchy(&suite);
    let dir = tempfile::tempdir().unwrap();
    let root = write(dir.path(), "root.pem", &h.root);
    let issuing = write(dir.path(), "issuing.pem", &h.issuing);
    let ocsp = write(
        dir.path(),
        "ocsp.pem",
        &end_entity(&suite, &h, Profile::OcspResponder, 30),
    );
    let client = write(
        dir.path(),
        "client.pem",
        &end_entity(&suite, &h, Profile::PlatformClient, 31),
    );

    let (_, text) = openssl(&["x509", "-in", s(&root), "-noout", "-text"]);
    assert!(
        text.contains("X509v3 Basic Constraints: critical\n                CA:TRUE\n"),
        "{text}"
    );
    assert!(text.contains("Certificate Sign, CRL Sign"), "{text}");
    assert!(text.contains("ecdsa-with-SHA256"), "{text}");
    let (_, text) = openssl(&["x509", "-in", s(&issuing), "-noout", "-text"]);
    assert!(text.contains("CA:TRUE, pathlen:0"), "{text}");
    assert!(text.contains("X509v3 Authority Key Identifier"), "{text}");
    let (_, text) = openssl(&["x509", "-in", s(&ocsp), "-noout", "-text"]);
    assert!(text.contains("OCSP Signing"), "{text}");
    assert!(text.contains("OCSP No Check"), "{text}");
    assert!(
        text.contains("OCSP - URI:http://127.0.0.1:8080/v1/ca/ocsp"),
        "{text}"
    );
    assert!(
        text.contains("URI:http://127.0.0.1:8080/v1/ca/crl"),
        "{text}"
    );
    assert!(text.contains("CA:FALSE"), "{text}");
    let (_, text) = openssl(&["x509", "-in", s(&client), "-noout", "-text"]);
    assert!(text.contains("TLS Web Client Authentication"), "{text}");
    assert!(text.contains("X509v3 Certificate Policies"), "{text}");
}

#[test]
fn netid_checks_signatures_and_issuers_in_both_suites() {
    for suite in [Suite::gm(), Suite::intl()] {
        let h = hierarchy(&suite);
        let ee = end_entity(&suite, &h, Profile::CredentialIssuer, 40);
        verify_signed_by(&h.root, &h.root).unwrap();
        verify_signed_by(&h.issuing, &h.root).unwrap();
        verify_signed_by(&ee, &h.issuing).unwrap();
        assert_eq!(verify_signed_by(&ee, &h.root), Err(Error::IssuerMismatch));

        // Same issuer name, another key: the signature does not verify.
        let impostor_key = suite.generate_signing_key().unwrap();
        let impostor = issue(
            &CertificateTemplate::new(
                "CN=netid test issuing ca,O=netid test",
                Profile::IssuingCa,
                [3; 16],
                START,
                START + DAY,
            ),
            impostor_key.verifying_key(),
            Some(&h.root),
            &h.root_key,
        )
        .unwrap();
        assert_eq!(
            verify_signed_by(&ee, &impostor),
            Err(Error::BadSignature {
                what: "certificate"
            })
        );
    }
}

#[test]
fn keys_and_issuers_of_different_suites_are_refused() {
    let h = hierarchy(&Suite::gm());
    let p256 = Suite::intl().generate_signing_key().unwrap();
    let template =
        CertificateTemplate::new("CN=x", Profile::HolderSigning, [5; 16], START, START + DAY);
    assert_eq!(
        issue(
            &template,
            p256.verifying_key(),
            Some(&h.issuing),
            &h.issuing_key
        ),
        Err(Error::SuiteMismatch)
    );
    assert_eq!(
        issue(
            &template,
            h.issuing_key.verifying_key(),
            Some(&h.issuing),
            &p256
        ),
        Err(Error::SuiteMismatch)
    );
    let backwards =
        CertificateTemplate::new("CN=x", Profile::HolderSigning, [5; 16], START + DAY, START);
    assert_eq!(
        issue(
            &backwards,
            h.issuing_key.verifying_key(),
            Some(&h.issuing),
            &h.issuing_key
        ),
        Err(Error::BadValidity)
    );
    let bad_name = CertificateTemplate::new(
        "not a name",
        Profile::HolderSigning,
        [5; 16],
        START,
        START + DAY,
    );
    assert_eq!(
        issue(
            &bad_name,
            h.issuing_key.verifying_key(),
            Some(&h.issuing),
            &h.issuing_key
        ),
        Err(Error::MalformedName)
    );
}

#[test]
fn openssl_made_sm2_and_p256_certificates_verify_in_netid() {
    for (suite, curve, digest, extra) in [
        (
            Suite::gm(),
            "ec_paramgen_curve:SM2",
            "-sm3",
            vec!["-sigopt", DISTID],
        ),
        (Suite::intl(), "ec_paramgen_curve:P-256", "-sha256", vec![]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        let cert = dir.path().join("cert.der");
        let (ok, out) = openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            curve,
            "-out",
            s(&key),
        ]);
        assert!(ok, "{out}");
        let mut args = vec![
            "req",
            "-x509",
            "-new",
            "-key",
            s(&key),
            digest,
            "-subj",
            "/CN=openssl made/O=netid test",
            "-days",
            "2",
            "-outform",
            "DER",
            "-out",
            s(&cert),
        ];
        args.extend(extra);
        let (ok, out) = openssl(&args);
        assert!(ok, "{out}");
        use der::Decode;
        let parsed = Certificate::from_der(&std::fs::read(&cert).unwrap()).unwrap();
        assert_eq!(
            netid_ca::signature_suite(parsed.signature_algorithm()).unwrap(),
            suite.id()
        );
        verify_signed_by(&parsed, &parsed).unwrap();
    }
}

#[test]
fn openssl_requests_prove_possession_and_tampered_ones_do_not() {
    for (suite, curve, digest, extra) in [
        (
            SuiteId::Gm,
            "ec_paramgen_curve:SM2",
            "-sm3",
            vec!["-sigopt", DISTID],
        ),
        (SuiteId::Intl, "ec_paramgen_curve:P-256", "-sha256", vec![]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        let csr = dir.path().join("csr.der");
        openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            curve,
            "-out",
            s(&key),
        ]);
        let mut args = vec![
            "req",
            "-new",
            "-key",
            s(&key),
            digest,
            "-subj",
            "/CN=platform test client",
            "-outform",
            "DER",
            "-out",
            s(&csr),
        ];
        args.extend(extra);
        let (ok, out) = openssl(&args);
        assert!(ok, "{out}");
        let der = std::fs::read(&csr).unwrap();
        let request = verify_request(&der).unwrap();
        assert_eq!(request.public_key.suite(), suite);
        assert_eq!(request.subject.to_string(), "CN=platform test client");

        // Flip a bit inside the subject name: still DER, but the signature no longer matches.
        let position = der.windows(8).position(|w| w == b"platform").unwrap();
        let mut tampered = der.clone();
        tampered[position] ^= 0x01;
        assert_eq!(
            verify_request(&tampered).unwrap_err(),
            Error::BadSignature { what: "request" }
        );
        assert_eq!(
            verify_request(&der[..der.len() - 3]).unwrap_err(),
            Error::MalformedDer { what: "request" }
        );
    }
}

#[test]
fn p256_crl_revokes_in_stock_openssl_with_its_reason() {
    let suite = Suite::intl();
    let h = hierarchy(&suite);
    let revoked = end_entity(&suite, &h, Profile::HolderSigning, 50);
    let good = end_entity(&suite, &h, Profile::HolderSigning, 51);
    let crl = issue_crl(
        &h.issuing,
        &h.issuing_key,
        7,
        START + DAY / 2,
        START + 8 * DAY,
        &[RevokedEntry {
            serial: revoked.tbs_certificate().serial_number().clone(),
            revoked_at: START + DAY / 2,
            reason: RevocationReason::KeyCompromise,
        }],
    )
    .unwrap();
    verify_crl(&crl, &h.issuing).unwrap();
    assert_eq!(verify_crl(&crl, &h.root), Err(Error::IssuerMismatch));

    let dir = tempfile::tempdir().unwrap();
    let root = write(dir.path(), "root.pem", &h.root);
    let issuing = write(dir.path(), "issuing.pem", &h.issuing);
    let crl_path = dir.path().join("crl.pem");
    std::fs::write(&crl_path, crl_to_pem(&crl).unwrap()).unwrap();
    let (_, text) = openssl(&["crl", "-in", s(&crl_path), "-noout", "-text"]);
    assert!(
        text.contains("X509v3 CRL Number: \n                7"),
        "{text}"
    );
    assert!(text.contains("Key Compromise"), "{text}");

    let verify = |cert: &Certificate, name: &str| {
        let path = write(dir.path(), name, cert);
        openssl(&[
            "verify",
            "-x509_strict",
            "-crl_check",
            "-attime",
            &at(),
            "-CAfile",
            s(&root),
            "-untrusted",
            s(&issuing),
            "-CRLfile",
            s(&crl_path),
            s(&path),
        ])
    };
    let (ok, out) = verify(&revoked, "revoked.pem");
    assert!(!ok && out.contains("certificate revoked"), "{out}");
    let (ok, out) = verify(&good, "good.pem");
    assert!(ok, "{out}");
}

#[test]
fn crls_in_both_suites_verify_in_netid_and_tampering_is_detected() {
    for suite in [Suite::gm(), Suite::intl()] {
        let h = hierarchy(&suite);
        let empty = issue_crl(&h.issuing, &h.issuing_key, 1, START, START + DAY, &[]).unwrap();
        verify_crl(&empty, &h.issuing).unwrap();
        assert!(empty.tbs_cert_list.revoked_certificates.is_none());

        let mut forged = empty.clone();
        forged.tbs_cert_list.next_update = forged.tbs_cert_list.this_update.into();
        assert_eq!(
            verify_crl(&forged, &h.issuing),
            Err(Error::BadSignature { what: "crl" })
        );
        assert_eq!(
            issue_crl(&h.issuing, &h.issuing_key, 2, START + DAY, START, &[]).unwrap_err(),
            Error::BadValidity
        );
    }
}

#[test]
fn netid_requests_prove_possession_in_netid_and_openssl() {
    for (suite, extra) in [
        (Suite::gm(), vec!["-vfyopt", DISTID]),
        (Suite::intl(), vec![]),
    ] {
        let key = suite.generate_signing_key().unwrap();
        let der = netid_ca::build_request("CN=holder request test", &key).unwrap();
        let request = verify_request(&der).unwrap();
        assert_eq!(request.public_key, *key.verifying_key());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("request.der");
        std::fs::write(&path, &der).unwrap();
        let mut args = vec![
            "req",
            "-inform",
            "DER",
            "-in",
            s(&path),
            "-verify",
            "-noout",
        ];
        args.extend(extra);
        let (ok, out) = openssl(&args);
        assert!(ok && out.contains("verify OK"), "{out}");
    }
    assert_eq!(
        netid_ca::build_request("not a name", &Suite::gm().generate_signing_key().unwrap()),
        Err(Error::MalformedName)
    );
}

/// Issue 20: a stock `openssl req` SM2 request (OpenSSL 3 signs with an empty distinguishing
/// ID unless told) was refused with "request signature does not verify". It is accepted, as is
/// one made with `-sigopt distid:1234567812345678`; a tampered one is still refused.
#[test]
fn issue_20_sm2_requests_from_stock_openssl_prove_possession() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("sm2.pem");
    let key_der = Suite::gm()
        .generate_signing_key()
        .unwrap()
        .to_pkcs8_pem()
        .unwrap();
    std::fs::write(&key, key_der.as_bytes()).unwrap();
    for (name, sigopt) in [("stock.der", None), ("standard.der", Some(DISTID))] {
        let out_path = dir.path().join(name);
        let mut args = vec![
            "req",
            "-new",
            "-key",
            s(&key),
            "-sm3",
            "-subj",
            "/CN=stock",
            "-outform",
            "DER",
            "-out",
            s(&out_path),
        ];
        if let Some(option) = sigopt {
            args.extend(["-sigopt", option]);
        }
        let (ok, out) = openssl(&args);
        assert!(ok, "{out}");
        let der = std::fs::read(&out_path).unwrap();
        let request = verify_request(&der).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(request.public_key.suite(), SuiteId::Gm);
        let mut tampered = der.clone();
        let last = tampered.len() - 40;
        tampered[last] ^= 1;
        assert!(verify_request(&tampered).is_err(), "{name}");
    }
}

/// A predecessor's CA is taken over only with the root the operator named, a responder
/// certificate of its chain and a final CRL; its certificates only if one of its CAs signed
/// them, under a short profile name.
#[test]
fn handover_checks_name_what_is_wrong() {
    use netid_ca::{HandoverError, check_handed_over_ca, check_handed_over_certificate};
    for suite in [Suite::gm(), Suite::intl()] {
        let h = hierarchy(&suite);
        let responder = end_entity(&suite, &h, Profile::OcspResponder, 3);
        let issuing_end = START + 1825 * DAY;
        let root_der = der::Encode::to_der(&h.root).unwrap();
        let fingerprint: String = Suite::intl()
            .hash(&root_der)
            .as_ref()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let at = (START + DAY, START + DAY);
        let crl = |next_update| {
            issue_crl(&h.issuing, &h.issuing_key, 1, START + DAY, next_update, &[]).unwrap()
        };
        let check = |expected: &str, crl| {
            check_handed_over_ca(&h.root, &h.issuing, &responder, &crl, expected, at)
        };

        let key_id = check(&fingerprint.to_uppercase(), crl(issuing_end)).unwrap();
        assert_eq!(
            Some(key_id.clone()),
            netid_ca::subject_key_identifier(&h.issuing)
        );
        assert!(matches!(
            check(&"00".repeat(32), crl(issuing_end)),
            Err(HandoverError::OtherRoot { fingerprint: found }) if found == fingerprint
        ));
        // A CRL that ends before the CA's certificate is not its final one.
        assert_eq!(
            check(&fingerprint, crl(issuing_end - DAY)),
            Err(HandoverError::NotFinalCrl)
        );
        // Another hierarchy's issuing CA under this root does not verify.
        let other = hierarchy(&suite);
        assert!(matches!(
            check_handed_over_ca(
                &h.root,
                &other.issuing,
                &responder,
                &crl(issuing_end),
                &fingerprint,
                at
            ),
            Err(HandoverError::Chain(_))
        ));

        let issuers = vec![(key_id, h.issuing.clone())];
        let issued = end_entity(&suite, &h, Profile::HolderSigning, 4);
        assert_eq!(
            check_handed_over_certificate(&issued, "holder-signing", &issuers),
            Ok(())
        );
        assert_eq!(
            check_handed_over_certificate(&issued, "Holder Signing", &issuers),
            Err(HandoverError::Profile)
        );
        let stranger = end_entity(&suite, &other, Profile::HolderSigning, 5);
        assert_eq!(
            check_handed_over_certificate(&stranger, "holder-signing", &issuers),
            Err(HandoverError::UnknownIssuer)
        );
    }
}
