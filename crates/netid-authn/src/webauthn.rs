//! Passkeys (WebAuthn Level 3, §7): checks of a new credential and of a sign-in assertion,
//! for ES256 (P-256) credentials, with user verification required. Pure: the caller keeps
//! challenges, credentials and counters.
//!
//! A registration is read from what the browser's `AuthenticatorAttestationResponse` gives
//! directly (`getAuthenticatorData()`, `getPublicKey()`), so no CBOR attestation object is
//! parsed; the attestation format is `none` and the credential's key is checked against the
//! COSE key inside the authenticator data.

use netid_crypto::{Suite, VerifyingKey};
use serde::Deserialize;

/// COSE algorithm ES256 (RFC 9053).
pub const ES256: i64 = -7;
const FLAG_USER_PRESENT: u8 = 0x01;
const FLAG_USER_VERIFIED: u8 = 0x04;
const FLAG_ATTESTED_DATA: u8 = 0x40;
/// rpIdHash, flags and the signature counter.
const AUTH_DATA_HEADER: usize = 37;

/// Why a passkey was refused; safe to show (it repeats no input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasskeyError {
    /// The client data is malformed, or of another ceremony, challenge or origin.
    #[error("the browser's client data is not for this request, page or service")]
    ClientData,
    /// The authenticator data is short, malformed or for another relying party.
    #[error("the authenticator data is malformed or for another service")]
    AuthenticatorData,
    /// The user-present or user-verified flag is not set.
    #[error("the passkey must verify the holder (a PIN, fingerprint or face)")]
    NotVerified,
    /// The credential is not ES256.
    #[error("only ES256 (P-256) passkeys are accepted")]
    Algorithm,
    /// The public key given is not the one in the authenticator data.
    #[error("the public key does not match the authenticator data")]
    KeyMismatch,
    /// The assertion's signature is malformed or does not verify.
    #[error("the signature does not verify")]
    Signature,
    /// The signature counter did not grow.
    #[error("the passkey's counter went backwards: it may have been cloned")]
    Counter,
}

/// Where the service is: its origin (`https://host[:port]`) and its relying-party id (host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// `https://host[:port]`, what the client data's `origin` must be.
    pub origin: String,
    /// The host, whose SHA-256 the authenticator data starts with.
    pub id: String,
}

impl RelyingParty {
    /// The relying party of a service reached at `public_url`.
    pub fn of(public_url: &str) -> Option<Self> {
        let url = url::Url::parse(public_url).ok()?;
        let host = url.host_str()?.to_owned();
        Some(Self {
            origin: url.origin().ascii_serialization(),
            id: host,
        })
    }
}

/// A credential checked at registration.
#[derive(Debug)]
pub struct NewCredential {
    /// The credential's public key, `SubjectPublicKeyInfo` DER.
    pub spki: Vec<u8>,
    /// The authenticator's signature counter (0 when it keeps none).
    pub sign_count: u32,
}

#[derive(Deserialize)]
struct ClientData {
    #[serde(rename = "type")]
    kind: String,
    challenge: String,
    origin: String,
    #[serde(default, rename = "crossOrigin")]
    cross_origin: bool,
}

fn check_client_data(
    client_data_json: &[u8],
    kind: &str,
    challenge: &str,
    rp: &RelyingParty,
) -> Result<(), PasskeyError> {
    let data: ClientData =
        serde_json::from_slice(client_data_json).map_err(|_| PasskeyError::ClientData)?;
    let challenge_matches: bool =
        subtle::ConstantTimeEq::ct_eq(data.challenge.as_bytes(), challenge.as_bytes()).into();
    if data.kind != kind || !challenge_matches || data.origin != rp.origin || data.cross_origin {
        return Err(PasskeyError::ClientData);
    }
    Ok(())
}

/// The flags and counter of authenticator data for `rp`, with user verification.
fn check_authenticator_data(data: &[u8], rp: &RelyingParty) -> Result<(u8, u32), PasskeyError> {
    let header = data
        .get(..AUTH_DATA_HEADER)
        .ok_or(PasskeyError::AuthenticatorData)?;
    let (rp_id_hash, rest) = header.split_at(32);
    if rp_id_hash != Suite::intl().hash(rp.id.as_bytes()).as_ref() {
        return Err(PasskeyError::AuthenticatorData);
    }
    let (&flags, counter) = rest.split_first().ok_or(PasskeyError::AuthenticatorData)?;
    if flags & FLAG_USER_PRESENT == 0 || flags & FLAG_USER_VERIFIED == 0 {
        return Err(PasskeyError::NotVerified);
    }
    let counter: [u8; 4] = counter
        .try_into()
        .map_err(|_| PasskeyError::AuthenticatorData)?;
    Ok((flags, u32::from_be_bytes(counter)))
}

/// Checks a new credential: the client data of `navigator.credentials.create()` for
/// `challenge`, its authenticator data, and that `spki` (ES256) is the key in that data for
/// `credential_id`.
pub fn check_registration(
    rp: &RelyingParty,
    challenge: &str,
    credential_id: &[u8],
    client_data_json: &[u8],
    authenticator_data: &[u8],
    spki: &[u8],
    algorithm: i64,
) -> Result<NewCredential, PasskeyError> {
    check_client_data(client_data_json, "webauthn.create", challenge, rp)?;
    if algorithm != ES256 {
        return Err(PasskeyError::Algorithm);
    }
    let (flags, sign_count) = check_authenticator_data(authenticator_data, rp)?;
    if flags & FLAG_ATTESTED_DATA == 0 {
        return Err(PasskeyError::AuthenticatorData);
    }
    // Attested credential data: AAGUID (16), credential id length (2), id, COSE key.
    let attested = authenticator_data
        .get(AUTH_DATA_HEADER + 16..)
        .ok_or(PasskeyError::AuthenticatorData)?;
    let (length, rest) = attested
        .split_first_chunk::<2>()
        .ok_or(PasskeyError::AuthenticatorData)?;
    let (id, cose_key) = rest
        .split_at_checked(usize::from(u16::from_be_bytes(*length)))
        .ok_or(PasskeyError::AuthenticatorData)?;
    if id != credential_id {
        return Err(PasskeyError::AuthenticatorData);
    }
    let key = Suite::intl()
        .verifying_key_from_spki_der(spki)
        .map_err(|_| PasskeyError::Algorithm)?;
    // The COSE EC2 key holds alg -7 (3: -7), x (-2: bstr 32) and y (-3: bstr 32).
    let point = key.to_sec1_uncompressed();
    let (x, y) = point
        .get(1..)
        .ok_or(PasskeyError::KeyMismatch)?
        .split_at(32);
    let holds = |label: u8, value: &[u8]| {
        let mut needle = vec![label, 0x58, 0x20];
        needle.extend_from_slice(value);
        cose_key
            .windows(needle.len())
            .any(|window| window == needle)
    };
    if !holds(0x21, x) || !holds(0x22, y) || !cose_key.windows(2).any(|w| w == [0x03, 0x26]) {
        return Err(PasskeyError::KeyMismatch);
    }
    Ok(NewCredential {
        spki: spki.to_vec(),
        sign_count,
    })
}

/// Checks a sign-in assertion of the credential with key `spki` and last counter
/// `last_count` for `challenge`; returns the new counter.
pub fn check_assertion(
    rp: &RelyingParty,
    challenge: &str,
    spki: &[u8],
    last_count: u32,
    client_data_json: &[u8],
    authenticator_data: &[u8],
    signature_der: &[u8],
) -> Result<u32, PasskeyError> {
    check_client_data(client_data_json, "webauthn.get", challenge, rp)?;
    let (_, sign_count) = check_authenticator_data(authenticator_data, rp)?;
    let key: VerifyingKey = Suite::intl()
        .verifying_key_from_spki_der(spki)
        .map_err(|_| PasskeyError::Signature)?;
    let signature = Suite::intl()
        .signature_from_der(signature_der)
        .map_err(|_| PasskeyError::Signature)?;
    let mut signed = authenticator_data.to_vec();
    signed.extend_from_slice(Suite::intl().hash(client_data_json).as_ref());
    key.verify(&signed, &signature)
        .map_err(|_| PasskeyError::Signature)?;
    // A counter that does not grow (where the authenticator keeps one) means a clone.
    if (sign_count != 0 || last_count != 0) && sign_count <= last_count {
        return Err(PasskeyError::Counter);
    }
    Ok(sign_count)
}

#[cfg(test)]
mod tests {
    use netid_crypto::SigningKey;

    use super::*;

    fn rp() -> RelyingParty {
        RelyingParty::of("http://localhost:8443").unwrap()
    }

    fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
        serde_json::json!({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    fn header(rp_id: &str, flags: u8, counter: u32) -> Vec<u8> {
        let mut data = Suite::intl().hash(rp_id.as_bytes()).as_ref().to_vec();
        data.push(flags);
        data.extend_from_slice(&counter.to_be_bytes());
        data
    }

    /// Authenticator data with an attested credential `id` whose COSE key is `key`'s.
    fn attested(key: &SigningKey, id: &[u8], flags: u8) -> Vec<u8> {
        let mut data = header("localhost", flags | FLAG_ATTESTED_DATA, 0);
        data.extend_from_slice(&[0; 16]);
        data.extend_from_slice(&u16::try_from(id.len()).unwrap().to_be_bytes());
        data.extend_from_slice(id);
        let point = key.verifying_key().to_sec1_uncompressed();
        // {1: 2, 3: -7, -1: 1, -2: x, -3: y}
        data.extend_from_slice(&[0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]);
        data.extend_from_slice(&point[1..33]);
        data.extend_from_slice(&[0x22, 0x58, 0x20]);
        data.extend_from_slice(&point[33..65]);
        data
    }

    #[test]
    fn the_relying_party_is_the_public_urls_origin_and_host() {
        assert_eq!(
            RelyingParty::of("https://id.example.cn/").unwrap(),
            RelyingParty {
                origin: "https://id.example.cn".to_owned(),
                id: "id.example.cn".to_owned()
            }
        );
        assert_eq!(rp().origin, "http://localhost:8443");
    }

    #[test]
    fn a_registration_is_checked_against_challenge_origin_rp_and_key() {
        let key = Suite::intl().generate_signing_key().unwrap();
        let spki = key.verifying_key().to_spki_der().unwrap();
        let id = b"credential-1";
        let good_data = client_data("webauthn.create", "ch-1", "http://localhost:8443");
        let flags = FLAG_USER_PRESENT | FLAG_USER_VERIFIED;
        let register = |data: &[u8], auth: &[u8], spki: &[u8], alg: i64| {
            check_registration(&rp(), "ch-1", id, data, auth, spki, alg)
        };
        let created = register(&good_data, &attested(&key, id, flags), &spki, ES256).unwrap();
        assert_eq!(created.spki, spki);
        assert_eq!(created.sign_count, 0);
        let other_origin = client_data("webauthn.create", "ch-1", "http://evil.example");
        let other_challenge = client_data("webauthn.create", "ch-2", "http://localhost:8443");
        let a_sign_in = client_data("webauthn.get", "ch-1", "http://localhost:8443");
        for data in [&other_origin, &other_challenge, &a_sign_in] {
            assert_eq!(
                register(data, &attested(&key, id, flags), &spki, ES256).unwrap_err(),
                PasskeyError::ClientData
            );
        }
        assert_eq!(
            register(
                &good_data,
                &attested(&key, id, FLAG_USER_PRESENT),
                &spki,
                ES256
            )
            .unwrap_err(),
            PasskeyError::NotVerified
        );
        assert_eq!(
            register(&good_data, &attested(&key, id, flags), &spki, -8).unwrap_err(),
            PasskeyError::Algorithm
        );
        let other = Suite::intl().generate_signing_key().unwrap();
        let other_spki = other.verifying_key().to_spki_der().unwrap();
        assert_eq!(
            register(&good_data, &attested(&key, id, flags), &other_spki, ES256).unwrap_err(),
            PasskeyError::KeyMismatch
        );
        assert_eq!(
            register(
                &good_data,
                &attested(&key, b"another-id", flags),
                &spki,
                ES256
            )
            .unwrap_err(),
            PasskeyError::AuthenticatorData
        );
        let mut wrong_rp = attested(&key, id, flags);
        wrong_rp[0] ^= 1;
        assert_eq!(
            register(&good_data, &wrong_rp, &spki, ES256).unwrap_err(),
            PasskeyError::AuthenticatorData
        );
        assert!(register(&good_data, &wrong_rp[..20], &spki, ES256).is_err());
    }

    #[test]
    fn an_assertion_is_checked_for_signature_and_a_growing_counter() {
        let key = Suite::intl().generate_signing_key().unwrap();
        let spki = key.verifying_key().to_spki_der().unwrap();
        let flags = FLAG_USER_PRESENT | FLAG_USER_VERIFIED;
        let data = client_data("webauthn.get", "ch-9", "http://localhost:8443");
        let sign = |auth: &[u8], data: &[u8]| {
            let mut signed = auth.to_vec();
            signed.extend_from_slice(Suite::intl().hash(data).as_ref());
            key.sign(&signed).unwrap().to_der().unwrap()
        };
        let auth = header("localhost", flags, 7);
        let signature = sign(&auth, &data);
        let assert = |last: u32, auth: &[u8], signature: &[u8]| {
            check_assertion(&rp(), "ch-9", &spki, last, &data, auth, signature)
        };
        assert_eq!(assert(6, &auth, &signature), Ok(7));
        assert_eq!(assert(7, &auth, &signature), Err(PasskeyError::Counter));
        let mut tampered = auth.clone();
        tampered[33] = 8;
        assert_eq!(
            assert(6, &tampered, &signature),
            Err(PasskeyError::Signature)
        );
        // Authenticators without a counter send 0 every time.
        let zero = header("localhost", flags, 0);
        assert_eq!(assert(0, &zero, &sign(&zero, &data)), Ok(0));
        let unverified = header("localhost", FLAG_USER_PRESENT, 8);
        assert_eq!(
            assert(0, &unverified, &sign(&unverified, &data)),
            Err(PasskeyError::NotVerified)
        );
    }
}
