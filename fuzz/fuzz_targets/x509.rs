#![no_main]
//! The X.509 the CA takes from outside: PKCS#10 requests (holders' and platforms'
//! certificates), OCSP requests (anyone's), and certificates (foreign CAs the operator
//! recognises, certificates platforms ask about).

use der::Decode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = netid_ca::verify_request(data);
    let _ = netid_ca::requested_serials(data);
    if let Ok(certificate) = netid_ca::Certificate::from_der(data) {
        let _ = netid_ca::public_key(&certificate);
        let _ = netid_ca::subject_key_identifier(&certificate);
        let _ = netid_ca::authority_key_identifier(&certificate);
        let _ = netid_ca::verify_signed_by(&certificate, &certificate);
    }
});
