//! A software WebAuthn authenticator for tests: an ES256 credential that answers
//! `navigator.credentials.create()` and `.get()` as a browser would hand them to a server
//! (each binary value base64url), always with user presence and verification, and a counter
//! that grows with each use.

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::{SigningKey, Suite};
use serde_json::{Value, json};

/// WebAuthn's flags: user present, user verified, attested credential data.
const PRESENT_VERIFIED: u8 = 0x05;
const ATTESTED: u8 = 0x40;

/// One passkey on a software authenticator.
#[derive(Debug)]
pub struct Authenticator {
    key: SigningKey,
    credential_id: Vec<u8>,
    counter: u32,
}

impl Default for Authenticator {
    fn default() -> Self {
        Self::new()
    }
}

impl Authenticator {
    /// A new credential with a random id.
    pub fn new() -> Self {
        let mut credential_id = vec![0; 16];
        getrandom::fill(&mut credential_id).unwrap();
        Self {
            key: Suite::intl().generate_signing_key().unwrap(),
            credential_id,
            counter: 0,
        }
    }

    /// The credential id, base64url.
    pub fn credential_id(&self) -> String {
        Base64UrlUnpadded::encode_string(&self.credential_id)
    }

    fn client_data(kind: &str, origin: &str, challenge: &str) -> Vec<u8> {
        json!({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    fn header(&mut self, rp_id: &str, flags: u8) -> Vec<u8> {
        self.counter += 1;
        let mut data = Suite::intl().hash(rp_id.as_bytes()).as_ref().to_vec();
        data.push(flags);
        data.extend_from_slice(&self.counter.to_be_bytes());
        data
    }

    /// What the browser gives for `navigator.credentials.create()` answering `challenge` for
    /// the relying party `rp_id` on the page at `origin`.
    pub fn register(&mut self, rp_id: &str, origin: &str, challenge: &str) -> Value {
        let mut data = self.header(rp_id, PRESENT_VERIFIED | ATTESTED);
        data.extend_from_slice(&[0; 16]);
        data.extend_from_slice(
            &u16::try_from(self.credential_id.len())
                .unwrap()
                .to_be_bytes(),
        );
        data.extend_from_slice(&self.credential_id);
        let point = self.key.verifying_key().to_sec1_uncompressed();
        // The COSE key {1: 2, 3: -7, -1: 1, -2: x, -3: y}.
        data.extend_from_slice(&[0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]);
        data.extend_from_slice(&point[1..33]);
        data.extend_from_slice(&[0x22, 0x58, 0x20]);
        data.extend_from_slice(&point[33..65]);
        json!({
            "credential_id": self.credential_id(),
            "client_data_json": Base64UrlUnpadded::encode_string(&Self::client_data("webauthn.create", origin, challenge)),
            "authenticator_data": Base64UrlUnpadded::encode_string(&data),
            "public_key": Base64UrlUnpadded::encode_string(&self.key.verifying_key().to_spki_der().unwrap()),
            "public_key_algorithm": -7,
        })
    }

    /// What the browser gives for `navigator.credentials.get()` answering `challenge`.
    pub fn assert(&mut self, rp_id: &str, origin: &str, challenge: &str) -> Value {
        let data = self.header(rp_id, PRESENT_VERIFIED);
        let client_data = Self::client_data("webauthn.get", origin, challenge);
        let mut signed = data.clone();
        signed.extend_from_slice(Suite::intl().hash(&client_data).as_ref());
        let signature = self.key.sign(&signed).unwrap().to_der().unwrap();
        json!({
            "credential_id": self.credential_id(),
            "client_data_json": Base64UrlUnpadded::encode_string(&client_data),
            "authenticator_data": Base64UrlUnpadded::encode_string(&data),
            "signature": Base64UrlUnpadded::encode_string(&signature),
        })
    }
}
