//! The JWTs a platform sends: `private_key_jwt` client assertions (RFC 7523 §3, OpenID
//! Connect Core §9) and DPoP proofs (RFC 9449 §4.3). Pure checks: the caller gives the time
//! and what to expect, and records each `jti` as used (the replay check needs the store).
//! A failure is a typed error whose message is safe to send back: it never repeats the input.

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::{Jwk, Suite, VerifyingKey};
use netid_sdjwt::Jws;
use serde_json::{Map, Value};

/// The longest a client assertion may be valid for, in seconds.
pub const MAX_ASSERTION_LIFETIME: i64 = 600;
/// How far a DPoP proof's `iat` may be from the clock, in seconds.
pub const DPOP_WINDOW: i64 = 60;
/// Tolerated clock skew for `iat` and `nbf`, in seconds.
const SKEW: i64 = 60;
/// The longest `jti` accepted.
const MAX_JTI: usize = 256;

/// Why a client assertion was refused; safe to send back (it repeats no input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AssertionError {
    /// Not a compact JWS.
    #[error("the client assertion is not a compact JWS")]
    NotJws,
    /// Not signed by any key the client registered.
    #[error("the client assertion is not signed by a key the client registered")]
    UnknownKey,
    /// `iss` or `sub` is not the client id.
    #[error("the client assertion's iss and sub must both be the client id")]
    Subject,
    /// `aud` names neither the issuer nor the endpoint.
    #[error("the client assertion's aud must be the issuer identifier")]
    Audience,
    /// No `exp`.
    #[error("the client assertion has no exp")]
    NoExpiry,
    /// `exp` has passed.
    #[error("the client assertion has expired")]
    Expired,
    /// Valid for longer than [`MAX_ASSERTION_LIFETIME`].
    #[error("the client assertion is valid for too long (at most 600 seconds)")]
    TooLong,
    /// `iat` or `nbf` is ahead of the clock by more than the skew allowed.
    #[error("the client assertion is from the future")]
    FromTheFuture,
    /// No `jti`, or one longer than 256 characters.
    #[error("the client assertion needs a jti of 1 to 256 characters")]
    Jti,
}

/// Why a DPoP proof was refused; safe to send back (it repeats no input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DpopError {
    /// Not a compact JWS.
    #[error("the DPoP proof is not a compact JWS")]
    NotJws,
    /// `typ` is not `dpop+jwt` (`netid-operator+jwt` for an operator's proof).
    #[error("the proof's typ is not the one this endpoint expects")]
    Type,
    /// No `jwk` header.
    #[error("the DPoP proof has no jwk header")]
    NoKey,
    /// The `jwk` is not a public P-256 or SM2 key.
    #[error("the DPoP proof's jwk is not a public P-256 or SM2 key")]
    Key,
    /// The signature does not verify under the `jwk`.
    #[error("the DPoP proof's signature does not verify")]
    Signature,
    /// `htm` is not the request's method.
    #[error("the DPoP proof's htm is not this request's method")]
    Method,
    /// No `htu`.
    #[error("the DPoP proof has no htu")]
    NoUrl,
    /// `htu` is not the endpoint.
    #[error("the DPoP proof's htu is not this endpoint")]
    Url,
    /// No `iat`.
    #[error("the DPoP proof has no iat")]
    NoIssuedAt,
    /// `iat` is not within [`DPOP_WINDOW`] of the clock.
    #[error("the DPoP proof's iat is not within 60 seconds of now")]
    IssuedAt,
    /// An operator's proof: `bh` is not the hash of the request's body.
    #[error("the operator proof is not bound to this request's body (bh)")]
    Body,
    /// `ath` is not the hash of the access token presented.
    #[error("the DPoP proof is not bound to this access token (ath)")]
    AccessToken,
    /// No `jti`, or one longer than 256 characters.
    #[error("the DPoP proof needs a jti of 1 to 256 characters")]
    Jti,
}

/// A checked client assertion: its `jti`, used until `expires_at`.
#[derive(Debug, PartialEq, Eq)]
pub struct ClientAssertion {
    /// The assertion's `jti`: record it, and refuse it again until `expires_at`.
    pub jti: String,
    /// Its `exp`, in seconds since the epoch.
    pub expires_at: i64,
}

/// Checks a client assertion of `client_id`, signed by a key of its JWK Set `jwks`, for one
/// of `audiences` (the issuer, or the endpoint it was sent to), at `now`.
pub fn check_client_assertion(
    compact: &str,
    client_id: &str,
    jwks: &Value,
    audiences: &[&str],
    now: i64,
) -> Result<ClientAssertion, AssertionError> {
    let jws = Jws::parse(compact, "client_assertion").map_err(|_| AssertionError::NotJws)?;
    let kid = jws.header_str("kid");
    let signed = client_keys(jwks)
        .filter(|(key_id, _)| kid.is_none() || key_id.as_deref() == kid)
        .any(|(_, key)| jws.verify(&key));
    if !signed {
        return Err(AssertionError::UnknownKey);
    }
    let claims = &jws.payload;
    if string(claims, "iss") != Some(client_id) || string(claims, "sub") != Some(client_id) {
        return Err(AssertionError::Subject);
    }
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => audiences.contains(&aud.as_str()),
        Some(Value::Array(auds)) => auds
            .iter()
            .filter_map(Value::as_str)
            .any(|aud| audiences.contains(&aud)),
        _ => false,
    };
    if !audience_ok {
        return Err(AssertionError::Audience);
    }
    let expires_at = integer(claims, "exp").ok_or(AssertionError::NoExpiry)?;
    if expires_at <= now {
        return Err(AssertionError::Expired);
    }
    if expires_at - now > MAX_ASSERTION_LIFETIME {
        return Err(AssertionError::TooLong);
    }
    for early in ["iat", "nbf"] {
        if integer(claims, early).is_some_and(|at| at > now + SKEW) {
            return Err(AssertionError::FromTheFuture);
        }
    }
    let jti = jti(claims).ok_or(AssertionError::Jti)?;
    Ok(ClientAssertion { jti, expires_at })
}

/// The keys of a client's JWK Set that parse as public signing keys, with their `kid`.
fn client_keys(jwks: &Value) -> impl Iterator<Item = (Option<String>, VerifyingKey)> + '_ {
    jwks.get("keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|key| {
            let key = key.as_object()?;
            let public = public_jwk(key)?;
            Some((string(key, "kid").map(str::to_owned), public))
        })
}

/// The verifying key of a public JWK object (`EC`, `P-256` or `SM2`, no private part).
pub fn public_jwk(key: &Map<String, Value>) -> Option<VerifyingKey> {
    if key.contains_key("d") {
        return None;
    }
    let jwk = Jwk {
        kty: string(key, "kty")?.to_owned(),
        crv: string(key, "crv")?.to_owned(),
        x: string(key, "x")?.to_owned(),
        y: string(key, "y")?.to_owned(),
    };
    netid_sdjwt::key_of_jwk(&jwk).ok()
}

/// A checked DPoP proof: the thumbprint of its key (RFC 7638) and its `jti`.
#[derive(Debug, PartialEq, Eq)]
pub struct DpopProof {
    /// The SHA-256 thumbprint of the proof's key, base64url.
    pub jkt: String,
    /// The proof's `jti`: record it, and refuse it again within the window.
    pub jti: String,
    /// Its `iat`, in seconds since the epoch.
    pub issued_at: i64,
}

/// Checks a DPoP proof for a request of `method` to `url` at `now`; with `access_token`, that
/// it is bound to that token (`ath`).
pub fn check_dpop_proof(
    compact: &str,
    method: &str,
    url: &str,
    access_token: Option<&str>,
    now: i64,
) -> Result<DpopProof, DpopError> {
    let (jws, proof) = check_request_proof(compact, "dpop+jwt", method, url, now)?;
    if let Some(token) = access_token {
        if string(&jws.payload, "ath") != Some(base64_sha256(token.as_bytes()).as_str()) {
            return Err(DpopError::AccessToken);
        }
    }
    Ok(proof)
}

/// Checks an operator's request proof: a DPoP-style JWT (`typ` `netid-operator+jwt`, the
/// operator's public key in `jwk`) over the request's `method`, `path`, time and, in `bh`,
/// the SHA-256 of its `body`, so a proof seen on the way can neither be used again (its
/// `jti`) nor carry another body. The caller finds the operator by the returned thumbprint.
pub fn check_operator_proof(
    compact: &str,
    method: &str,
    path: &str,
    body: &[u8],
    now: i64,
) -> Result<DpopProof, DpopError> {
    let (jws, proof) = check_request_proof(compact, OPERATOR_PROOF_TYPE, method, path, now)?;
    if string(&jws.payload, "bh") != Some(base64_sha256(body).as_str()) {
        return Err(DpopError::Body);
    }
    Ok(proof)
}

/// Makes the proof an operator sends with a request of `method` to `path` carrying `body`,
/// at `now`, with the fresh `jti`: what [`check_operator_proof`] accepts.
pub fn operator_proof(
    key: &netid_crypto::SigningKey,
    method: &str,
    path: &str,
    body: &[u8],
    now: i64,
    jti: &str,
) -> Result<String, netid_sdjwt::Error> {
    let mut header = Map::new();
    header.insert("typ".to_owned(), Value::from(OPERATOR_PROOF_TYPE));
    let jwk = key.verifying_key().to_jwk();
    header.insert("jwk".to_owned(), jwk_value(&jwk));
    let claims = serde_json::json!({
        "htm": method,
        "htu": path,
        "iat": now,
        "jti": jti,
        "bh": base64_sha256(body),
    });
    netid_sdjwt::sign(header, &claims, key)
}

/// A public JWK as a JSON object.
pub fn jwk_value(jwk: &Jwk) -> Value {
    serde_json::json!({"kty": jwk.kty, "crv": jwk.crv, "x": jwk.x, "y": jwk.y})
}

/// The `typ` of an operator's request proof.
pub const OPERATOR_PROOF_TYPE: &str = "netid-operator+jwt";

/// The base64url SHA-256 of `bytes`, as `ath` and `bh` carry it.
pub fn base64_sha256(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(Suite::intl().hash(bytes).as_ref())
}

/// What DPoP proofs and operator proofs share: a JWS of `typ` signed by its `jwk`, for
/// `method` and `url`, issued within [`DPOP_WINDOW`] of `now`, with a `jti`.
fn check_request_proof(
    compact: &str,
    typ: &str,
    method: &str,
    url: &str,
    now: i64,
) -> Result<(Jws, DpopProof), DpopError> {
    let jws = Jws::parse(compact, "DPoP").map_err(|_| DpopError::NotJws)?;
    if jws.header_str("typ") != Some(typ) {
        return Err(DpopError::Type);
    }
    let jwk = jws
        .header
        .get("jwk")
        .and_then(Value::as_object)
        .ok_or(DpopError::NoKey)?;
    let key = public_jwk(jwk).ok_or(DpopError::Key)?;
    if !jws.verify(&key) {
        return Err(DpopError::Signature);
    }
    let claims = &jws.payload;
    if string(claims, "htm") != Some(method) {
        return Err(DpopError::Method);
    }
    let htu = string(claims, "htu").ok_or(DpopError::NoUrl)?;
    let htu = htu.split(['?', '#']).next().unwrap_or_default();
    if htu != url {
        return Err(DpopError::Url);
    }
    let issued = integer(claims, "iat").ok_or(DpopError::NoIssuedAt)?;
    if issued.abs_diff(now) > DPOP_WINDOW.unsigned_abs() {
        return Err(DpopError::IssuedAt);
    }
    let jti = jti(claims).ok_or(DpopError::Jti)?;
    let jkt = netid_sdjwt::thumbprint(&key.to_jwk());
    Ok((
        jws,
        DpopProof {
            jkt,
            jti,
            issued_at: issued,
        },
    ))
}

fn string<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    object.get(name).and_then(Value::as_str)
}

fn integer(object: &Map<String, Value>, name: &str) -> Option<i64> {
    object.get(name).and_then(Value::as_i64)
}

fn jti(claims: &Map<String, Value>) -> Option<String> {
    string(claims, "jti")
        .filter(|jti| !jti.is_empty() && jti.len() <= MAX_JTI)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use netid_crypto::SigningKey;
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_900_000_000;
    const ISSUER: &str = "https://netid.example";

    fn jwk_value(key: &SigningKey) -> Value {
        super::jwk_value(&key.verifying_key().to_jwk())
    }

    #[test]
    fn operator_proofs_bind_method_path_time_and_body() {
        for suite in [Suite::gm(), Suite::intl()] {
            let key = suite.generate_signing_key().unwrap();
            let body = br#"{"name":"x"}"#;
            let path = "/v1/operator/platforms";
            let proof = operator_proof(&key, "POST", path, body, NOW, "j-1").unwrap();
            let checked = check_operator_proof(&proof, "POST", path, body, NOW + 30).unwrap();
            assert_eq!(checked.jti, "j-1");
            assert_eq!(
                checked.jkt,
                netid_sdjwt::thumbprint(&key.verifying_key().to_jwk())
            );
            let check = |method, path, body: &[u8], now| {
                check_operator_proof(&proof, method, path, body, now)
            };
            assert_eq!(check("GET", path, body, NOW), Err(DpopError::Method));
            assert_eq!(
                check("POST", "/v1/operator/rosters", body, NOW),
                Err(DpopError::Url)
            );
            assert_eq!(check("POST", path, b"{}", NOW), Err(DpopError::Body));
            assert_eq!(
                check("POST", path, body, NOW + 61),
                Err(DpopError::IssuedAt)
            );
        }
        // A DPoP proof is not an operator proof, nor the reverse.
        let key = Suite::intl().generate_signing_key().unwrap();
        let claims =
            json!({"htm": "GET", "htu": "/x", "iat": NOW, "jti": "j", "bh": base64_sha256(b"")});
        let dpop = sign(
            json!({"typ": "dpop+jwt", "jwk": jwk_value(&key)}),
            &claims,
            &key,
        );
        assert_eq!(
            check_operator_proof(&dpop, "GET", "/x", b"", NOW),
            Err(DpopError::Type)
        );
        let operator = operator_proof(&key, "GET", "/x", b"", NOW, "j").unwrap();
        assert_eq!(
            check_dpop_proof(&operator, "GET", "/x", None, NOW),
            Err(DpopError::Type)
        );
    }

    fn sign(header: Value, claims: &Value, key: &SigningKey) -> String {
        let Value::Object(header) = header else {
            panic!("header")
        };
        netid_sdjwt::sign(header, claims, key).unwrap()
    }

    fn assertion_claims() -> Value {
        json!({"iss": "rp", "sub": "rp", "aud": ISSUER, "jti": "j-1", "iat": NOW, "exp": NOW + 60})
    }

    #[test]
    fn client_assertions_are_checked_claim_by_claim() {
        let key = Suite::intl().generate_signing_key().unwrap();
        let other = Suite::intl().generate_signing_key().unwrap();
        let mut registered = jwk_value(&key);
        registered["kid"] = json!("k1");
        let jwks = json!({"keys": [registered]});
        let check = |claims: &Value, signer: &SigningKey, header: Value| {
            check_client_assertion(&sign(header, claims, signer), "rp", &jwks, &[ISSUER], NOW)
        };
        assert_eq!(
            check(&assertion_claims(), &key, json!({"kid": "k1"})),
            Ok(ClientAssertion {
                jti: "j-1".to_owned(),
                expires_at: NOW + 60
            })
        );
        // Without a kid every registered key is tried; with an unknown kid none is.
        assert!(check(&assertion_claims(), &key, json!({})).is_ok());
        assert_eq!(
            check(&assertion_claims(), &key, json!({"kid": "k2"})),
            Err(AssertionError::UnknownKey)
        );
        assert_eq!(
            check(&assertion_claims(), &other, json!({})),
            Err(AssertionError::UnknownKey)
        );
        let broken = |change: &dyn Fn(&mut Value)| {
            let mut claims = assertion_claims();
            change(&mut claims);
            check(&claims, &key, json!({}))
        };
        assert!(broken(&|c| c["aud"] = json!([ISSUER, "x"])).is_ok());
        assert_eq!(
            broken(&|c| c["aud"] = json!("https://elsewhere.example")),
            Err(AssertionError::Audience)
        );
        assert_eq!(
            broken(&|c| c["iss"] = json!("other")),
            Err(AssertionError::Subject)
        );
        assert_eq!(
            broken(&|c| c["sub"] = json!("other")),
            Err(AssertionError::Subject)
        );
        assert_eq!(
            broken(&|c| c["exp"] = json!(NOW)),
            Err(AssertionError::Expired)
        );
        assert_eq!(
            broken(&|c| c["exp"] = json!(NOW + 601)),
            Err(AssertionError::TooLong)
        );
        assert_eq!(
            broken(&|c| c["iat"] = json!(NOW + 61)),
            Err(AssertionError::FromTheFuture)
        );
        assert_eq!(broken(&|c| c["jti"] = json!("")), Err(AssertionError::Jti));
        assert!(broken(&|c| drop(c.as_object_mut().unwrap().remove("jti"))).is_err());
        assert_eq!(
            check_client_assertion("a.b", "rp", &jwks, &[ISSUER], NOW),
            Err(AssertionError::NotJws)
        );
        // alg none: a JWS whose header says none verifies under no key.
        let none = format!(
            "{}.{}.",
            Base64UrlUnpadded::encode_string(br#"{"alg":"none"}"#),
            Base64UrlUnpadded::encode_string(assertion_claims().to_string().as_bytes())
        );
        assert_eq!(
            check_client_assertion(&none, "rp", &jwks, &[ISSUER], NOW),
            Err(AssertionError::UnknownKey)
        );
    }

    #[test]
    fn dpop_proofs_are_bound_to_method_url_time_key_and_token() {
        let key = Suite::intl().generate_signing_key().unwrap();
        let url = "https://netid.example/oidc/userinfo";
        let proof = |claims: Value, header: Value| {
            let mut header = header;
            if header.get("jwk").is_none() {
                header["jwk"] = jwk_value(&key);
            }
            sign(header, &claims, &key)
        };
        let claims = |token: Option<&str>| {
            let mut claims = json!({"htm": "GET", "htu": url, "iat": NOW, "jti": "p-1"});
            if let Some(token) = token {
                claims["ath"] = json!(Base64UrlUnpadded::encode_string(
                    Suite::intl().hash(token.as_bytes()).as_ref()
                ));
            }
            claims
        };
        let typ = json!({"typ": "dpop+jwt"});
        let checked = check_dpop_proof(
            &proof(claims(Some("tok")), typ.clone()),
            "GET",
            url,
            Some("tok"),
            NOW,
        )
        .unwrap();
        assert_eq!(
            checked.jkt,
            netid_sdjwt::thumbprint(&key.verifying_key().to_jwk())
        );
        let good = proof(claims(Some("tok")), typ.clone());
        assert!(check_dpop_proof(&good, "POST", url, Some("tok"), NOW).is_err());
        assert!(
            check_dpop_proof(&good, "GET", "https://netid.example/x", Some("tok"), NOW).is_err()
        );
        assert!(check_dpop_proof(&good, "GET", url, Some("other"), NOW).is_err());
        assert!(check_dpop_proof(&good, "GET", url, Some("tok"), NOW + 61).is_err());
        assert!(check_dpop_proof(&proof(claims(None), typ.clone()), "GET", url, None, NOW).is_ok());
        assert!(check_dpop_proof(&proof(claims(None), json!({})), "GET", url, None, NOW).is_err());
        // A proof whose jwk is another key than the one that signed.
        let other = Suite::intl().generate_signing_key().unwrap();
        let mut header = typ.clone();
        header["jwk"] = jwk_value(&other);
        assert!(check_dpop_proof(&proof(claims(None), header), "GET", url, None, NOW).is_err());
        // A private key in the header is refused.
        let mut header = typ;
        header["jwk"] = jwk_value(&key);
        header["jwk"]["d"] = json!("AAAA");
        assert!(check_dpop_proof(&proof(claims(None), header), "GET", url, None, NOW).is_err());
    }
}
