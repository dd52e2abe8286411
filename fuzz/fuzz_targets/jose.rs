#![no_main]
//! JOSE from outside: compact JWS (client assertions, DPoP proofs, key-binding JWTs), JWKs
//! (client key sets, DPoP keys) and SD-JWT disclosures.

use libfuzzer_sys::fuzz_target;
use netid_crypto::Jwk;
use netid_sdjwt::{Disclosure, Jws, key_of_jwk, thumbprint};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(jws) = Jws::parse(text, "fuzz") {
        let _ = jws.suite();
        // A DPoP proof carries its key in the header.
        let embedded = jws
            .header
            .get("jwk")
            .cloned()
            .map(serde_json::from_value::<Jwk>);
        if let Some(Ok(jwk)) = embedded
            && let Ok(key) = key_of_jwk(&jwk)
        {
            let _ = jws.verify(&key);
        }
    }
    if let Ok(jwk) = serde_json::from_str::<Jwk>(text)
        && key_of_jwk(&jwk).is_ok()
    {
        let _ = thumbprint(&jwk);
    }
    let _ = Disclosure::parse(text);
});
