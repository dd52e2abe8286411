//! Key proofs of OpenID for Verifiable Credential Issuance 1.0 (Appendix F.1, the `jwt`
//! proof type): a wallet proves it holds the key a credential is to be bound to by signing,
//! with that key (given in the `jwk` header), the credential issuer's identifier (`aud`), the
//! time (`iat`) and a nonce the issuer gave (`nonce`). Pure: the caller checks the nonce is
//! one it gave and still fresh.

use netid_crypto::VerifyingKey;
use netid_sdjwt::Jws;
use serde_json::{Map, Value};

/// The `typ` of a key proof.
pub const KEY_PROOF_TYPE: &str = "openid4vci-proof+jwt";
/// How old a key proof's `iat` may be, in seconds (the issuer's nonces live no longer).
pub const MAX_AGE: i64 = 300;
/// How far ahead of the clock a key proof's `iat` may be, in seconds.
const SKEW: i64 = 60;
/// The longest nonce accepted.
const MAX_NONCE: usize = 256;

/// Why a key proof was refused; safe to send back (it repeats no input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyProofError {
    /// Not a compact JWS, or an algorithm netid does not accept.
    #[error("the key proof is not a compact JWS signed with ES256 or SM2SM3")]
    NotJws,
    /// `typ` is not `openid4vci-proof+jwt`.
    #[error("the key proof's typ must be openid4vci-proof+jwt")]
    Type,
    /// No `jwk` header (netid takes the key in `jwk`, never by `kid` or `x5c`).
    #[error("the key proof must carry its public key in the jwk header")]
    NoKey,
    /// The `jwk` is not a public P-256 or SM2 key, or holds a private part.
    #[error("the key proof's jwk is not a public P-256 or SM2 key")]
    Key,
    /// The signature does not verify under the `jwk`.
    #[error("the key proof's signature does not verify under its jwk")]
    Signature,
    /// `aud` is not the credential issuer's identifier.
    #[error("the key proof's aud must be the credential issuer identifier")]
    Audience,
    /// No `iat`, or one more than [`MAX_AGE`] seconds old or ahead of the clock.
    #[error("the key proof's iat must be within the last 300 seconds")]
    IssuedAt,
    /// No `nonce`, or one longer than 256 characters.
    #[error("the key proof needs the nonce the nonce endpoint gave")]
    Nonce,
}

/// A checked key proof: the key to bind the credential to, and the nonce to check.
#[derive(Debug, PartialEq, Eq)]
pub struct KeyProof {
    /// The wallet's public key, proved held.
    pub key: VerifyingKey,
    /// The `nonce` claim.
    pub nonce: String,
}

/// Checks a key proof for the credential issuer `audience` at `now`.
pub fn check_key_proof(compact: &str, audience: &str, now: i64) -> Result<KeyProof, KeyProofError> {
    let jws = Jws::parse(compact, "key proof").map_err(|_| KeyProofError::NotJws)?;
    if jws.header_str("typ") != Some(KEY_PROOF_TYPE) {
        return Err(KeyProofError::Type);
    }
    if jws.header.contains_key("kid") || jws.header.contains_key("x5c") {
        return Err(KeyProofError::NoKey);
    }
    let jwk = jws
        .header
        .get("jwk")
        .and_then(Value::as_object)
        .ok_or(KeyProofError::NoKey)?;
    let key = crate::jwt::public_jwk(jwk).ok_or(KeyProofError::Key)?;
    if !jws.verify(&key) {
        return Err(KeyProofError::Signature);
    }
    let claims = &jws.payload;
    let audience_matches = match claims.get("aud") {
        Some(Value::String(aud)) => aud == audience,
        Some(Value::Array(auds)) => {
            auds.len() == 1 && auds.first().and_then(Value::as_str) == Some(audience)
        }
        _ => false,
    };
    if !audience_matches {
        return Err(KeyProofError::Audience);
    }
    let issued = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(KeyProofError::IssuedAt)?;
    if issued > now + SKEW || issued < now - MAX_AGE {
        return Err(KeyProofError::IssuedAt);
    }
    let nonce = nonce(claims).ok_or(KeyProofError::Nonce)?;
    Ok(KeyProof { key, nonce })
}

fn nonce(claims: &Map<String, Value>) -> Option<String> {
    claims
        .get("nonce")
        .and_then(Value::as_str)
        .filter(|nonce| !nonce.is_empty() && nonce.len() <= MAX_NONCE)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use netid_crypto::{SigningKey, Suite};
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_900_000_000;
    const ISSUER: &str = "https://netid.example";

    fn proof(key: &SigningKey, header: Value, claims: &Value) -> String {
        let Value::Object(mut header) = header else {
            panic!("header")
        };
        header
            .entry("jwk")
            .or_insert_with(|| crate::jwt::jwk_value(&key.verifying_key().to_jwk()));
        netid_sdjwt::sign(header, claims, key).unwrap()
    }

    fn claims() -> Value {
        json!({"aud": ISSUER, "iat": NOW, "nonce": "n-1"})
    }

    #[test]
    fn a_key_proof_binds_its_key_to_the_issuer_the_time_and_the_nonce() {
        for suite in [Suite::intl(), Suite::gm()] {
            let key = suite.generate_signing_key().unwrap();
            let typ = json!({"typ": KEY_PROOF_TYPE});
            let checked =
                check_key_proof(&proof(&key, typ.clone(), &claims()), ISSUER, NOW + 10).unwrap();
            assert_eq!(
                (checked.key, checked.nonce.as_str()),
                (key.verifying_key().clone(), "n-1")
            );
            let check = |header: Value, claims: Value, now: i64| {
                check_key_proof(&proof(&key, header, &claims), ISSUER, now)
            };
            assert_eq!(
                check(json!({"typ": "JWT"}), claims(), NOW),
                Err(KeyProofError::Type)
            );
            assert_eq!(
                check(json!({"typ": KEY_PROOF_TYPE, "kid": "k"}), claims(), NOW),
                Err(KeyProofError::NoKey)
            );
            let mut other = claims();
            other["aud"] = json!("https://other.example");
            assert_eq!(check(typ.clone(), other, NOW), Err(KeyProofError::Audience));
            assert_eq!(
                check(typ.clone(), claims(), NOW + MAX_AGE + 1),
                Err(KeyProofError::IssuedAt)
            );
            assert_eq!(
                check(typ.clone(), claims(), NOW - 61),
                Err(KeyProofError::IssuedAt)
            );
            let mut without = claims();
            without.as_object_mut().unwrap().remove("nonce");
            assert_eq!(check(typ.clone(), without, NOW), Err(KeyProofError::Nonce));
            // Signed by another key than the one it names.
            let stranger = suite.generate_signing_key().unwrap();
            let named = json!({
                "typ": KEY_PROOF_TYPE,
                "jwk": crate::jwt::jwk_value(&key.verifying_key().to_jwk()),
            });
            assert_eq!(
                check_key_proof(&proof(&stranger, named, &claims()), ISSUER, NOW),
                Err(KeyProofError::Signature)
            );
        }
        assert_eq!(
            check_key_proof("a.b", ISSUER, NOW),
            Err(KeyProofError::NotJws)
        );
    }
}
