//! Issuance (RFC 9901 §4, SD-JWT VC): an issuer-signed JWT whose personal claims are all
//! selectively disclosable, padded with decoy digests to a fixed count, and the Disclosures.

use netid_crypto::{SigningKey, VerifyingKey};
use serde_json::{Map, Value, json};

use crate::disclosure::{Disclosure, HashAlg, decoy_digest};
use crate::error::{Error, malformed};
use crate::jws;

/// The `typ` of an SD-JWT VC (draft-ietf-oauth-sd-jwt-vc).
pub const SD_JWT_VC_TYP: &str = "dc+sd-jwt";

/// What a credential says and about whom.
#[derive(Debug)]
pub struct Issuance<'a> {
    /// `iss`: the issuer's URL.
    pub issuer: &'a str,
    /// `kid` of the issuer key that signs.
    pub kid: &'a str,
    /// `vct`: the credential type.
    pub vct: &'a str,
    /// `iat`, Unix seconds.
    pub issued_at: i64,
    /// `nbf`.
    pub not_before: i64,
    /// `exp`.
    pub expires_at: i64,
    /// `cnf.jwk`: the holder key a presentation must be signed with.
    pub holder_key: &'a VerifyingKey,
    /// `status.status_list`: index and URI in the issuer's status list.
    pub status: Option<(u64, &'a str)>,
    /// Claims always in clear.
    pub plain: Vec<(&'a str, Value)>,
    /// Claims each in a Disclosure of its own.
    pub disclosable: Vec<(&'a str, Value)>,
    /// How many digests `_sd` carries: the real ones padded with decoys, so that the count
    /// says nothing about which claims a credential has.
    pub digests: usize,
}

/// Issues the SD-JWT (`<JWT>~<Disclosure>~...~`) signed by `key`.
pub fn issue(issuance: &Issuance<'_>, key: &SigningKey) -> Result<String, Error> {
    if issuance.disclosable.len() > issuance.digests {
        return Err(malformed("issuance", "more claims than digests"));
    }
    // A claim of the caller's must not replace one the format defines.
    const RESERVED: [&str; 10] = [
        "iss", "iat", "nbf", "exp", "vct", "cnf", "status", "_sd", "_sd_alg", "...",
    ];
    if let Some((name, _)) = issuance
        .plain
        .iter()
        .chain(&issuance.disclosable)
        .find(|(name, _)| RESERVED.contains(name))
    {
        return Err(Error::ClaimNameConflict {
            name: (*name).to_owned(),
        });
    }
    let alg = HashAlg::of_suite(key.suite());
    let disclosures = issuance
        .disclosable
        .iter()
        .map(|(name, value)| Disclosure::property(name, value.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut digests: Vec<String> = disclosures.iter().map(|d| d.digest(alg)).collect();
    while digests.len() < issuance.digests {
        digests.push(decoy_digest(alg)?);
    }
    // Sorted, so the order says nothing about which digest is which claim or a decoy.
    digests.sort();
    let mut payload = Map::new();
    payload.insert("iss".to_owned(), Value::from(issuance.issuer));
    payload.insert("iat".to_owned(), Value::from(issuance.issued_at));
    payload.insert("nbf".to_owned(), Value::from(issuance.not_before));
    payload.insert("exp".to_owned(), Value::from(issuance.expires_at));
    payload.insert("vct".to_owned(), Value::from(issuance.vct));
    payload.insert(
        "cnf".to_owned(),
        json!({ "jwk": issuance.holder_key.to_jwk() }),
    );
    if let Some((index, uri)) = issuance.status {
        payload.insert(
            "status".to_owned(),
            json!({ "status_list": { "idx": index, "uri": uri } }),
        );
    }
    for (name, value) in &issuance.plain {
        payload.insert((*name).to_owned(), value.clone());
    }
    payload.insert("_sd".to_owned(), Value::from(digests));
    payload.insert("_sd_alg".to_owned(), Value::from(alg.name()));
    let mut header = Map::new();
    header.insert("typ".to_owned(), Value::from(SD_JWT_VC_TYP));
    header.insert("kid".to_owned(), Value::from(issuance.kid));
    let jwt = jws::sign(header, &Value::Object(payload), key)?;
    let mut sd_jwt = jwt;
    sd_jwt.push('~');
    for disclosure in &disclosures {
        sd_jwt.push_str(&disclosure.encoded);
        sd_jwt.push('~');
    }
    Ok(sd_jwt)
}
