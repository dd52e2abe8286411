#![no_main]
//! Passkey registrations and sign-in assertions as a browser sends them: client data JSON,
//! authenticator data, a public key and a DER signature. The first byte picks how the rest is
//! used: as all four parts raw; or wrapped so that the checks after the first ones run (client
//! data for the right challenge and origin, authenticator data for the right relying party,
//! and for assertions a real signature over whatever the authenticator data holds).

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netid_authn::webauthn::{
    ES256, PasskeyError, RelyingParty, check_assertion, check_registration,
};
use netid_crypto::{SigningKey, Suite};

const CHALLENGE: &str = "c2VlZC1jaGFsbGVuZ2UtOTk5";
const ORIGIN: &str = "https://netid.example";

fn rp() -> RelyingParty {
    RelyingParty {
        origin: ORIGIN.to_owned(),
        id: "netid.example".to_owned(),
    }
}

fn passkey() -> &'static (SigningKey, Vec<u8>) {
    static KEY: OnceLock<(SigningKey, Vec<u8>)> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = Suite::intl().generate_signing_key().expect("a key");
        let spki = key.verifying_key().to_spki_der().expect("spki");
        (key, spki)
    })
}

fn client_data(kind: &str) -> Vec<u8> {
    format!(r#"{{"type":"{kind}","challenge":"{CHALLENGE}","origin":"{ORIGIN}"}}"#).into_bytes()
}

/// `SHA-256(rp id) || flags || counter || rest`: authenticator data for this relying party.
fn authenticator_data(flags: u8, counter: [u8; 4], rest: &[u8]) -> Vec<u8> {
    let mut data = Suite::intl().hash(rp().id.as_bytes()).as_ref().to_vec();
    data.push(flags);
    data.extend_from_slice(&counter);
    data.extend_from_slice(rest);
    data
}

/// Splits `data` into three parts at the lengths its first two bytes give.
fn three_parts(data: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let (&[first, second], rest) = data.split_first_chunk::<2>()?;
    let (a, rest) = rest.split_at_checked(usize::from(first).min(rest.len()))?;
    let (b, c) = rest.split_at_checked(usize::from(second).min(rest.len()))?;
    Some((a, b, c))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some((a, b, c)) = three_parts(rest) else {
        return;
    };
    let rp = rp();
    let (key, spki) = passkey();
    match mode % 4 {
        0 => {
            let _ = check_registration(&rp, CHALLENGE, a, b, c, spki, ES256);
            let _ = check_registration(
                &rp,
                CHALLENGE,
                a,
                &client_data("webauthn.create"),
                b,
                c,
                ES256,
            );
        }
        1 => {
            // Attested credential data from the fuzzer, for the real key.
            let auth = authenticator_data(0x45, [0, 0, 0, 1], b);
            let _ = check_registration(
                &rp,
                CHALLENGE,
                a,
                &client_data("webauthn.create"),
                &auth,
                spki,
                ES256,
            );
        }
        2 => {
            let last = a.first().copied().map_or(0, u32::from);
            let _ = check_assertion(&rp, CHALLENGE, spki, last, a, b, c);
            let _ = check_assertion(&rp, CHALLENGE, c, last, &client_data("webauthn.get"), b, a);
        }
        _ => {
            // A real signature over fuzzed flags, counter and extensions.
            let Some((&flags, rest)) = b.split_first() else {
                return;
            };
            let Some((counter, extensions)) = rest.split_first_chunk::<4>() else {
                return;
            };
            let auth = authenticator_data(flags, *counter, extensions);
            let client = if a.is_empty() {
                client_data("webauthn.get")
            } else {
                a.to_vec()
            };
            let mut signed = auth.clone();
            signed.extend_from_slice(Suite::intl().hash(&client).as_ref());
            let signature = key.sign(&signed).expect("signs").to_der().expect("der");
            let last = c.first().copied().map_or(0, u32::from);
            let answer = check_assertion(&rp, CHALLENGE, spki, last, &client, &auth, &signature);
            // The right client data, both flags and a growing counter: nothing else may refuse.
            let count = u32::from_be_bytes(*counter);
            if a.is_empty() && flags & 0x05 == 0x05 && count > last {
                assert_eq!(answer, Ok(count));
            }
            // The signature is real, so it is never the reason for a refusal.
            assert_ne!(answer, Err(PasskeyError::Signature));
        }
    }
});
