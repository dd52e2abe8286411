#![no_main]
//! The JSON bodies of the HTTP API, as the server reads them (`serde_json` into the wire
//! types, unknown members refused), including deeply nested and huge input.

use libfuzzer_sys::fuzz_target;
use netid_proto as proto;

fn read<T: serde::de::DeserializeOwned>(body: &[u8]) {
    let _ = serde_json::from_slice::<T>(body);
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 16 {
        0 => read::<proto::EnrollRequest>(body),
        1 => read::<proto::VerifyRequest>(body),
        2 => read::<proto::ConsentRequest>(body),
        3 => read::<proto::WithdrawConsentRequest>(body),
        4 => read::<proto::HolderLogRequest>(body),
        5 => read::<proto::DeleteRequest>(body),
        6 => read::<proto::WardDeleteRequest>(body),
        7 => read::<proto::NetCertificateRequest>(body),
        8 => read::<proto::HolderCertificateRequest>(body),
        9 => read::<proto::RevokeCertificateRequest>(body),
        10 => read::<proto::PasskeyLinkRequest>(body),
        11 => read::<proto::OidcDecision>(body),
        12 => read::<proto::OidcClientSettings>(body),
        13 => read::<proto::ProfileRequest>(body),
        14 => read::<proto::VerifyCertificateRequest>(body),
        _ => read::<serde_json::Value>(body),
    }
});
