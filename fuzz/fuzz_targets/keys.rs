#![no_main]
//! Keys and signatures in the forms they arrive in: SubjectPublicKeyInfo (DER and PEM) of
//! authorities, CAs and wallets, PKCS#8 private keys from files, and DER signatures, in both
//! suites. A key that parses must encode back to what was read.

use libfuzzer_sys::fuzz_target;
use netid_crypto::Suite;

fuzz_target!(|data: &[u8]| {
    for suite in [Suite::gm(), Suite::intl()] {
        if let Ok(key) = suite.verifying_key_from_spki_der(data) {
            let again = suite
                .verifying_key_from_spki_der(&key.to_spki_der().expect("encodes"))
                .expect("parses");
            assert_eq!(again.to_sec1_uncompressed(), key.to_sec1_uncompressed());
        }
        let _ = suite.signing_key_from_pkcs8_der(data);
        let _ = suite.signature_from_der(data);
        if let Ok(text) = std::str::from_utf8(data) {
            let _ = suite.verifying_key_from_spki_pem(text);
            let _ = suite.signing_key_from_pkcs8_pem(text);
        }
    }
});
