#![no_main]
//! Net Certificate presentations (SD-JWT with key binding) as a platform receives them. Inputs
//! whose first byte is even are presented as they are. The others are built into a
//! presentation whose issuer-signed JWT and key-binding JWT carry fuzzed payloads under real
//! signatures, with the fuzzed disclosures' digests in `_sd` and a correct `sd_hash`, so that
//! the disclosure walk and the key-binding checks after the signatures are reached too.
//! Input of that kind: `<issuer payload JSON>\n<disclosure>~<disclosure>…\n<key-binding payload JSON>`.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netid_crypto::{SigningKey, Suite, SuiteId};
use netid_sdjwt::{Disclosure, Expectations, HashAlg, KB_JWT_TYP, SD_JWT_VC_TYP, sign, verify};
use serde_json::{Map, Value, json};

fn keys() -> &'static (SigningKey, SigningKey) {
    static KEYS: OnceLock<(SigningKey, SigningKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let suite = Suite::intl();
        (
            suite.generate_signing_key().expect("a key"),
            suite.generate_signing_key().expect("a key"),
        )
    })
}

/// The presentation built from `text`, if it has the three parts.
fn built(text: &str) -> Option<String> {
    let (issuer, holder) = keys();
    let mut parts = text.splitn(3, '\n');
    let (payload, disclosures, kb) = (parts.next()?, parts.next()?, parts.next()?);
    let Value::Object(mut payload) = serde_json::from_str(payload).ok()? else {
        return None;
    };
    let Value::Object(mut kb) = serde_json::from_str(kb).ok()? else {
        return None;
    };
    let alg = payload
        .get("_sd_alg")
        .and_then(Value::as_str)
        .and_then(|name| HashAlg::from_name(name).ok())
        .unwrap_or(HashAlg::Sha256);
    let mut digests: Vec<Value> = payload
        .get("_sd")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for part in disclosures.split('~').filter(|part| !part.is_empty()) {
        if let Ok(disclosure) = Disclosure::parse(part) {
            digests.push(Value::from(disclosure.digest(alg)));
        }
    }
    payload.insert("_sd".to_owned(), Value::from(digests));
    payload.insert(
        "cnf".to_owned(),
        json!({"jwk": holder.verifying_key().to_jwk()}),
    );
    let header = |typ: &str| {
        Map::from_iter([
            ("typ".to_owned(), Value::from(typ)),
            ("kid".to_owned(), Value::from("fuzz")),
        ])
    };
    let jwt = sign(header(SD_JWT_VC_TYP), &Value::Object(payload), issuer).ok()?;
    let presented = if disclosures.is_empty() {
        format!("{jwt}~")
    } else {
        format!("{jwt}~{disclosures}~")
    };
    kb.insert("sd_hash".to_owned(), Value::from(alg.digest(&presented)));
    let kb_jwt = sign(header(KB_JWT_TYP), &Value::Object(kb), holder).ok()?;
    Some(format!("{presented}{kb_jwt}"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let presentation = if mode % 2 == 0 {
        text.to_owned()
    } else {
        match built(text) {
            Some(presentation) => presentation,
            None => return,
        }
    };
    let expect = Expectations {
        audience: "pl-fuzz",
        nonce: "nonce-fuzz",
        now: 1_800_000_000,
        max_age: 300,
        skew: 60,
    };
    let issuer = keys().0.verifying_key().clone();
    let _ = verify(
        &presentation,
        |_, suite| (suite == SuiteId::Intl).then(|| issuer.clone()),
        &expect,
    );
});
