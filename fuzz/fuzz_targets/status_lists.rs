#![no_main]
//! Token Status Lists as a platform's SDK fetches them. Inputs whose first byte is even are
//! checked as they are; the others are taken as the payload (JSON) of a list signed with the
//! issuer's real key, so that the decoding and decompression after the signature are reached.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netid_crypto::{SigningKey, Suite, SuiteId};
use netid_sdjwt::{STATUS_LIST_TYP, sign, verify_status_list};
use serde_json::{Map, Value};

const URI: &str = "https://netid.example/v1/status/1";

fn issuer() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| Suite::intl().generate_signing_key().expect("a key"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let token = if mode % 2 == 0 {
        text.to_owned()
    } else {
        let Ok(payload) = serde_json::from_str::<Value>(text) else {
            return;
        };
        let header = Map::from_iter([("typ".to_owned(), Value::from(STATUS_LIST_TYP))]);
        match sign(header, &payload, issuer()) {
            Ok(token) => token,
            Err(_) => return,
        }
    };
    let key = issuer().verifying_key().clone();
    if let Ok(list) = verify_status_list(
        &token,
        |_, suite| (suite == SuiteId::Intl).then(|| key.clone()),
        URI,
        1_800_000_000,
    ) {
        // Whatever index a credential names, the answer is a status or an error.
        for index in [0, 1, 7, 8, 1 << 20, u64::MAX] {
            let _ = list.list.is_revoked(index);
        }
    }
});
