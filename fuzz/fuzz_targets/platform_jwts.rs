#![no_main]
//! What a platform or a wallet app signs to authenticate: `private_key_jwt` client
//! assertions, DPoP proofs and OpenID4VCI key proofs. Inputs whose first byte is even are
//! checked as they are, as every kind; the others are taken as the claims (JSON) of one of
//! each signed with a real key, so that the checks after the signature run.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netid_authn::jwt::{check_client_assertion, check_dpop_proof};
use netid_authn::key_proof::{KEY_PROOF_TYPE, check_key_proof};
use netid_crypto::{SigningKey, Suite};
use serde_json::{Map, Value, json};

const ISSUER: &str = "https://netid.example";
const USERINFO: &str = "https://netid.example/oidc/userinfo";
const NOW: i64 = 1_800_000_000;

fn platform() -> &'static (SigningKey, Value) {
    static KEY: OnceLock<(SigningKey, Value)> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = Suite::intl().generate_signing_key().expect("a key");
        let jwk = key.verifying_key().to_jwk();
        let public = json!({"kty": jwk.kty, "crv": jwk.crv, "x": jwk.x, "y": jwk.y});
        (key, public)
    })
}

fn header(entries: Value) -> Map<String, Value> {
    match entries {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn check_all(client_assertion: &str, dpop_proof: &str, key_proof: &str) {
    if let Ok(checked) = check_key_proof(key_proof, ISSUER, NOW) {
        assert!(!checked.nonce.is_empty() && checked.nonce.len() <= 256);
    }
    check_both(client_assertion, dpop_proof);
}

fn check_both(client_assertion: &str, dpop_proof: &str) {
    let (_, public) = platform();
    let mut registered = public.clone();
    registered["kid"] = json!("k1");
    let jwks = json!({"keys": [registered]});
    if let Ok(checked) = check_client_assertion(client_assertion, "rp-1", &jwks, &[ISSUER], NOW) {
        assert!(checked.expires_at > NOW && !checked.jti.is_empty());
    }
    for token in [None, Some("access-token-1")] {
        if let Ok(proof) = check_dpop_proof(dpop_proof, "GET", USERINFO, token, NOW) {
            assert!(proof.issued_at.abs_diff(NOW) <= 60 && !proof.jti.is_empty());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if mode % 2 == 0 {
        check_all(text, text, text);
        return;
    }
    let Ok(claims) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let (key, public) = platform();
    let kid = if mode & 2 == 0 {
        json!({"kid": "k1"})
    } else {
        json!({})
    };
    let dpop_header = header(json!({"typ": "dpop+jwt", "jwk": public}));
    let key_proof_header = header(json!({"typ": KEY_PROOF_TYPE, "jwk": public}));
    let (Ok(assertion), Ok(proof), Ok(key_proof)) = (
        netid_sdjwt::sign(header(kid), &claims, key),
        netid_sdjwt::sign(dpop_header, &claims, key),
        netid_sdjwt::sign(key_proof_header, &claims, key),
    ) else {
        return;
    };
    check_all(&assertion, &proof, &key_proof);
});
