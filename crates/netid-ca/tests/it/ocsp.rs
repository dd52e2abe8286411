//! The OCSP responder (RFC 6960): stock OpenSSL builds the requests and, for P-256, checks
//! the responses; SM2 responses are checked by netid (OpenSSL 3.0 cannot verify SM2
//! signatures with the standard distinguishing ID).

use std::time::{SystemTime, UNIX_EPOCH};

use netid_ca::{
    CertificateStatus, Error, OcspResponder, Profile, RevocationReason, SerialNumber,
    verify_ocsp_response,
};

use crate::{
    Certificate, CertificateTemplate, DAY, Hierarchy, Suite, hierarchy, issue, openssl, s, write,
};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An end-entity certificate (and key) valid around the current time, which `openssl ocsp`
/// checks responses and responder certificates against.
fn current(
    suite: &Suite,
    h: &Hierarchy,
    profile: Profile,
    serial: u8,
) -> (Certificate, netid_crypto::SigningKey) {
    let key = suite.generate_signing_key().unwrap();
    let template = CertificateTemplate::new(
        "CN=pseudonym OCSP-TEST,O=netid test",
        profile,
        [serial; 16],
        now() - DAY,
        now() + 30 * DAY,
    );
    let certificate = issue(
        &template,
        key.verifying_key(),
        Some(&h.issuing),
        &h.issuing_key,
    )
    .unwrap();
    (certificate, key)
}

fn serial(certificate: &Certificate) -> SerialNumber {
    certificate.tbs_certificate().serial_number().clone()
}

struct Fixture {
    h: Hierarchy,
    responder: OcspResponder,
    good: Certificate,
    revoked: Certificate,
    unknown: Certificate,
    revoked_at: u64,
}

fn fixture(suite: &Suite) -> Fixture {
    let h = hierarchy(suite);
    let (responder_cert, responder_key) = current(suite, &h, Profile::OcspResponder, 70);
    let responder = OcspResponder::new(&h.issuing, responder_cert, responder_key).unwrap();
    let (good, _) = current(suite, &h, Profile::HolderSigning, 71);
    let (revoked, _) = current(suite, &h, Profile::HolderSigning, 72);
    let (unknown, _) = current(suite, &h, Profile::HolderSigning, 73);
    Fixture {
        h,
        responder,
        good,
        revoked,
        unknown,
        revoked_at: now() - 3600,
    }
}

impl Fixture {
    fn status_of(&self, serial_number: &SerialNumber) -> CertificateStatus {
        if *serial_number == serial(&self.good) {
            CertificateStatus::Good
        } else if *serial_number == serial(&self.revoked) {
            CertificateStatus::Revoked {
                revoked_at: self.revoked_at,
                reason: RevocationReason::KeyCompromise,
            }
        } else {
            CertificateStatus::Unknown
        }
    }

    fn respond(&self, request: &[u8]) -> Vec<u8> {
        self.responder
            .respond(request, now(), now() + 3600, |serial| {
                self.status_of(serial)
            })
            .unwrap()
    }
}

/// OpenSSL writes a request (SHA-1 CertIDs, a nonce) for the three certificates.
fn openssl_request(dir: &std::path::Path, f: &Fixture) -> Vec<u8> {
    let issuing = write(dir, "issuing.pem", &f.h.issuing);
    let good = write(dir, "good.pem", &f.good);
    let revoked = write(dir, "revoked.pem", &f.revoked);
    let unknown = write(dir, "unknown.pem", &f.unknown);
    let request = dir.join("request.der");
    let (ok, out) = openssl(&[
        "ocsp",
        "-issuer",
        s(&issuing),
        "-cert",
        s(&good),
        "-cert",
        s(&revoked),
        "-cert",
        s(&unknown),
        "-reqout",
        s(&request),
    ]);
    assert!(ok, "{out}");
    std::fs::read(request).unwrap()
}

#[test]
fn p256_responses_pass_stock_openssl_with_each_status_and_the_nonce() {
    let f = fixture(&Suite::intl());
    let dir = tempfile::tempdir().unwrap();
    let request = openssl_request(dir.path(), &f);
    let response = dir.path().join("response.der");
    std::fs::write(&response, f.respond(&request)).unwrap();
    let root = write(dir.path(), "root.pem", &f.h.root);
    let issuing = dir.path().join("issuing.pem");
    // `-reqin` makes OpenSSL check the nonce against its own request; `-resp_text` prints
    // each status.
    let (ok, out) = openssl(&[
        "ocsp",
        "-respin",
        s(&response),
        "-reqin",
        s(&dir.path().join("request.der")),
        "-CAfile",
        s(&root),
        "-verify_other",
        s(&issuing),
        "-resp_text",
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("Response verify OK"), "{out}");
    assert!(out.contains("Cert Status: good"), "{out}");
    assert!(out.contains("Cert Status: revoked"), "{out}");
    assert!(out.contains("Revocation Reason: keyCompromise"), "{out}");
    assert!(out.contains("Cert Status: unknown"), "{out}");
    assert!(out.contains("OCSP Nonce"), "{out}");
    assert!(!out.contains("WARNING") && !out.contains("error"), "{out}");
}

#[test]
fn responses_in_both_suites_verify_in_netid_and_tampering_is_detected() {
    for suite in [Suite::gm(), Suite::intl()] {
        let f = fixture(&suite);
        let dir = tempfile::tempdir().unwrap();
        let request = openssl_request(dir.path(), &f);
        let response = f.respond(&request);
        let checked = verify_ocsp_response(&response, &f.h.issuing, now()).unwrap();
        assert_eq!(
            checked.statuses,
            vec![
                (serial(&f.good), CertificateStatus::Good),
                (
                    serial(&f.revoked),
                    CertificateStatus::Revoked {
                        revoked_at: f.revoked_at,
                        reason: RevocationReason::KeyCompromise
                    }
                ),
                (serial(&f.unknown), CertificateStatus::Unknown),
            ]
        );
        assert!(
            checked.nonce.is_some(),
            "openssl sends a nonce; it is echoed"
        );
        // The same response later than its nextUpdate (one hour) is stale: a replay.
        assert_eq!(
            verify_ocsp_response(&response, &f.h.issuing, now() + 7200),
            Err(Error::StaleStatus)
        );

        // A response checked against another issuer, or with a changed byte, fails.
        assert!(verify_ocsp_response(&response, &f.h.root, now()).is_err());
        let mut tampered = response.clone();
        let position = tampered.len() / 3;
        tampered[position] ^= 0x01;
        assert!(verify_ocsp_response(&tampered, &f.h.issuing, now()).is_err());
    }
}

#[test]
fn bad_requests_get_the_rfc_6960_error_statuses() {
    let f = fixture(&Suite::intl());
    let garbage = f.respond(b"not an ocsp request");
    assert_eq!(
        verify_ocsp_response(&garbage, &f.h.issuing, now()),
        Err(Error::OcspUnsuccessful { status: 1 })
    );
    // A request about another issuer's certificate: this responder is not authoritative.
    let other = fixture(&Suite::intl());
    let dir = tempfile::tempdir().unwrap();
    let request = openssl_request(dir.path(), &other);
    assert!(other.responder.answers_for(&request));
    assert!(!f.responder.answers_for(&request));
    assert!(!f.responder.answers_for(b"not an ocsp request"));
    assert_eq!(
        verify_ocsp_response(&f.respond(&request), &f.h.issuing, now()),
        Err(Error::OcspUnsuccessful { status: 6 })
    );
}

#[test]
fn only_a_certified_ocsp_signer_with_its_own_key_can_respond() {
    let suite = Suite::intl();
    let h = hierarchy(&suite);
    let (holder, holder_key) = current(&suite, &h, Profile::HolderSigning, 80);
    assert_eq!(
        OcspResponder::new(&h.issuing, holder, holder_key).unwrap_err(),
        Error::NotAnOcspResponder
    );
    let (responder, _) = current(&suite, &h, Profile::OcspResponder, 81);
    let other_key = suite.generate_signing_key().unwrap();
    assert_eq!(
        OcspResponder::new(&h.issuing, responder.clone(), other_key).unwrap_err(),
        Error::KeyMismatch
    );
    // Certified by the root, not by the issuer it would answer for.
    let (_, key) = current(&suite, &h, Profile::OcspResponder, 82);
    assert!(OcspResponder::new(&h.root, responder, key).is_err());
}

#[test]
fn key_identifiers_link_a_certificate_to_the_key_that_signed_it() {
    for suite in [Suite::gm(), Suite::intl()] {
        let h = hierarchy(&suite);
        let (leaf, _) = current(&suite, &h, Profile::HolderSigning, 90);
        let issuing_id = netid_ca::subject_key_identifier(&h.issuing).unwrap();
        assert_eq!(issuing_id.len(), 20);
        assert_eq!(netid_ca::authority_key_identifier(&leaf), Some(issuing_id));
        assert_ne!(
            netid_ca::authority_key_identifier(&leaf),
            netid_ca::subject_key_identifier(&h.root)
        );
        // A root names no authority key.
        assert_eq!(netid_ca::authority_key_identifier(&h.root), None);
        assert_eq!(netid_ca::key_suite(&leaf), Ok(suite.id()));
        // What netid computes for a key is what it writes.
        for certificate in [&h.root, &h.issuing, &leaf] {
            assert_eq!(
                netid_ca::computed_key_identifier(certificate),
                netid_ca::subject_key_identifier(certificate)
            );
        }

        // Data signed by the issuing key verifies against its certificate, and only there.
        let signature = h.issuing_key.sign(b"a package").unwrap().to_der().unwrap();
        assert_eq!(
            netid_ca::verify_data_signature(&h.issuing, b"a package", &signature),
            Ok(())
        );
        assert!(netid_ca::verify_data_signature(&h.issuing, b"another", &signature).is_err());
        assert!(netid_ca::verify_data_signature(&h.root, b"a package", &signature).is_err());
        assert!(netid_ca::verify_data_signature(&h.issuing, b"a package", b"junk").is_err());
    }
}
