//! Verification of an SD-JWT+KB presentation (RFC 9901 §7): the issuer's signature, every
//! Disclosure against the signed digests (nested objects and array elements included), the
//! validity times, and the key binding to the verifier's audience and nonce.

use std::collections::{HashMap, HashSet};

use netid_crypto::{Jwk, SuiteId, VerifyingKey};
use serde_json::{Map, Value};

use crate::disclosure::{Disclosure, sd_alg_of};
use crate::error::{Error, malformed};
use crate::jws::{Jws, key_of_jwk};
use crate::present::KB_JWT_TYP;

/// What the verifier expects of a presentation.
#[derive(Debug, Clone, Copy)]
pub struct Expectations<'a> {
    /// The `aud` the key-binding JWT must name.
    pub audience: &'a str,
    /// The `nonce` it must carry.
    pub nonce: &'a str,
    /// The verifier's time, Unix seconds.
    pub now: i64,
    /// How old the key-binding JWT may be, in seconds.
    pub max_age: i64,
    /// Clock skew allowed on every time, in seconds.
    pub skew: i64,
}

/// A verified presentation.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The issuer JWT's header.
    pub header: Map<String, Value>,
    /// The payload with the disclosed claims in place and `_sd`, `_sd_alg` removed.
    pub claims: Map<String, Value>,
    /// The names of the disclosed object properties (array-element Disclosures have none).
    pub disclosed: Vec<String>,
}

/// Verifies `presentation`. `issuer_key` finds the issuer's key by `kid` and suite;
/// `None` is [`Error::UnknownKey`].
pub fn verify(
    presentation: &str,
    issuer_key: impl Fn(Option<&str>, SuiteId) -> Option<VerifyingKey>,
    expect: &Expectations<'_>,
) -> Result<Verified, Error> {
    let Some((presented, kb_jwt)) = presentation.rsplit_once('~') else {
        return Err(malformed("presentation", "no '~' separators"));
    };
    if kb_jwt.is_empty() {
        return Err(Error::MissingKeyBinding);
    }
    let presented = format!("{presented}~");
    let mut parts = presented.split('~');
    let jwt = Jws::parse(parts.next().unwrap_or_default(), "issuer-signed jwt")?;
    let suite = jwt.suite()?;
    let kid = jwt.header_str("kid");
    let key = issuer_key(kid, suite).ok_or_else(|| Error::UnknownKey {
        kid: kid.map(str::to_owned),
    })?;
    if !jwt.verify(&key) {
        return Err(Error::BadIssuerSignature);
    }
    let alg = sd_alg_of(&jwt.payload)?;

    // Every Disclosure once, by digest.
    let mut by_digest: HashMap<String, Disclosure> = HashMap::new();
    for part in parts.filter(|part| !part.is_empty()) {
        let disclosure = Disclosure::parse(part)?;
        if by_digest
            .insert(disclosure.digest(alg), disclosure)
            .is_some()
        {
            return Err(Error::RepeatedDisclosure);
        }
    }
    let mut walk = Walk {
        disclosures: &by_digest,
        seen: HashSet::new(),
        used: HashSet::new(),
        disclosed: Vec::new(),
    };
    let mut claims = jwt.payload.clone();
    walk.object(&mut claims)?;
    if walk.used.len() != by_digest.len() {
        return Err(Error::UnreferencedDisclosure);
    }
    claims.remove("_sd_alg");
    check_times(&claims, expect)?;

    // Key binding (RFC 9901 §7.3).
    let holder_key = claims
        .get("cnf")
        .and_then(|cnf| cnf.get("jwk"))
        .and_then(|jwk| serde_json::from_value::<Jwk>(jwk.clone()).ok())
        .ok_or(Error::MissingKeyBinding)?;
    let holder_key = key_of_jwk(&holder_key)?;
    let kb = Jws::parse(kb_jwt, "key-binding jwt")?;
    if kb.header_str("typ") != Some(KB_JWT_TYP) {
        return Err(Error::BadKeyBinding { reason: "typ" });
    }
    if !kb.verify(&holder_key) {
        return Err(Error::BadKeyBinding {
            reason: "signature",
        });
    }
    if kb.payload.get("sd_hash").and_then(Value::as_str) != Some(alg.digest(&presented).as_str()) {
        return Err(Error::BadKeyBinding { reason: "sd_hash" });
    }
    if kb.payload.get("aud").and_then(Value::as_str) != Some(expect.audience) {
        return Err(Error::WrongAudience);
    }
    if kb.payload.get("nonce").and_then(Value::as_str) != Some(expect.nonce) {
        return Err(Error::WrongNonce);
    }
    let kb_iat = kb
        .payload
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(Error::BadKeyBinding { reason: "iat" })?;
    if kb_iat > expect.now + expect.skew || kb_iat < expect.now - expect.max_age - expect.skew {
        return Err(Error::StaleKeyBinding);
    }
    Ok(Verified {
        header: jwt.header,
        claims,
        disclosed: walk.disclosed,
    })
}

fn check_times(claims: &Map<String, Value>, expect: &Expectations<'_>) -> Result<(), Error> {
    let time = |name: &str| -> Result<Option<i64>, Error> {
        match claims.get(name) {
            None => Ok(None),
            Some(value) => value
                .as_i64()
                .map(Some)
                .ok_or_else(|| malformed("issuer-signed jwt", format!("{name} is not a number"))),
        }
    };
    if time("exp")?.is_some_and(|exp| exp + expect.skew <= expect.now) {
        return Err(Error::Expired);
    }
    if time("nbf")?.is_some_and(|nbf| nbf - expect.skew > expect.now) {
        return Err(Error::NotYetValid);
    }
    Ok(())
}

/// Replaces digests by the disclosed values, recursively (RFC 9901 §7.1 step 3).
struct Walk<'a> {
    disclosures: &'a HashMap<String, Disclosure>,
    seen: HashSet<String>,
    used: HashSet<String>,
    disclosed: Vec<String>,
}

impl Walk<'_> {
    fn note(&mut self, digest: &str) -> Result<Option<&Disclosure>, Error> {
        if !self.seen.insert(digest.to_owned()) {
            return Err(Error::RepeatedDigest);
        }
        Ok(self.disclosures.get(digest).inspect(|_| {
            self.used.insert(digest.to_owned());
        }))
    }

    fn object(&mut self, object: &mut Map<String, Value>) -> Result<(), Error> {
        let digests = match object.remove("_sd") {
            None => Vec::new(),
            Some(Value::Array(digests)) => digests,
            Some(_) => return Err(malformed("issuer-signed jwt", "_sd is not an array")),
        };
        for value in object.values_mut() {
            self.value(value)?;
        }
        for digest in digests {
            let Value::String(digest) = digest else {
                return Err(malformed("issuer-signed jwt", "a digest is not a string"));
            };
            let Some(disclosure) = self.note(&digest)?.cloned() else {
                continue;
            };
            let Some(name) = disclosure.name else {
                return Err(malformed(
                    "disclosure",
                    "an array-element disclosure is referenced from _sd",
                ));
            };
            if name == "_sd" || name == "..." || object.contains_key(&name) {
                return Err(Error::ClaimNameConflict { name });
            }
            let mut value = disclosure.value;
            self.value(&mut value)?;
            self.disclosed.push(name.clone());
            object.insert(name, value);
        }
        Ok(())
    }

    fn value(&mut self, value: &mut Value) -> Result<(), Error> {
        match value {
            Value::Object(object) => self.object(object),
            Value::Array(items) => {
                let mut kept = Vec::with_capacity(items.len());
                for mut item in std::mem::take(items) {
                    let digest = match &item {
                        Value::Object(object) if object.len() == 1 => {
                            object.get("...").and_then(Value::as_str).map(str::to_owned)
                        }
                        _ => None,
                    };
                    match digest {
                        Some(digest) => {
                            if let Some(disclosure) = self.note(&digest)?.cloned() {
                                if disclosure.name.is_some() {
                                    return Err(malformed(
                                        "disclosure",
                                        "an object-property disclosure is referenced from an array",
                                    ));
                                }
                                let mut value = disclosure.value;
                                self.value(&mut value)?;
                                kept.push(value);
                            }
                        }
                        None => {
                            self.value(&mut item)?;
                            kept.push(item);
                        }
                    }
                }
                *items = kept;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}
