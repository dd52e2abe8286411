//! JWS compact serialization (RFC 7515) with the two algorithms netid signs with: `ES256`
//! (RFC 7518 §3.4) and `SM2SM3`, SM2 with SM3 and the GM/T 0009 default distinguishing ID,
//! the signature the fixed 64-byte `r || s` exactly as for ES256 (see docs/net-certificates.md).

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::{Jwk, SigningKey, Suite, SuiteId, VerifyingKey};
use serde_json::{Map, Value};

use crate::error::{Error, malformed};

/// The JWS `alg` of a suite's signatures.
#[must_use]
pub fn alg(suite: SuiteId) -> &'static str {
    suite.jose_alg()
}

/// The suite of a JWS `alg`; anything else (`none` included) is refused.
pub fn suite_of_alg(alg: &str) -> Result<SuiteId, Error> {
    SuiteId::from_jose_alg(alg).ok_or_else(|| Error::UnsupportedAlgorithm {
        alg: alg.to_owned(),
    })
}

/// The suite of a public JWK, by its curve.
pub fn suite_of_jwk(jwk: &Jwk) -> Result<SuiteId, Error> {
    match jwk.crv.as_str() {
        "P-256" => Ok(SuiteId::Intl),
        "SM2" => Ok(SuiteId::Gm),
        other => Err(malformed("jwk", format!("unsupported curve {other}"))),
    }
}

/// The JWK thumbprint (RFC 7638): base64url of the SHA-256 of the key's required members in
/// lexicographic order, without whitespace. A stable name for a key.
#[must_use]
pub fn thumbprint(jwk: &Jwk) -> String {
    let canonical = serde_json::json!({"crv": jwk.crv, "kty": jwk.kty, "x": jwk.x, "y": jwk.y});
    // serde_json writes object members sorted (no `preserve_order`) and without whitespace.
    let text = canonical.to_string();
    Base64UrlUnpadded::encode_string(Suite::intl().hash(text.as_bytes()).as_ref())
}

/// The verifying key of a public JWK.
pub fn key_of_jwk(jwk: &Jwk) -> Result<VerifyingKey, Error> {
    Ok(Suite::new(suite_of_jwk(jwk)?).verifying_key_from_jwk(jwk)?)
}

/// Signs `payload` under `header` (to which `alg` is added) with `key`: the compact JWS.
pub fn sign(
    mut header: Map<String, Value>,
    payload: &Value,
    key: &SigningKey,
) -> Result<String, Error> {
    header.insert("alg".to_owned(), Value::from(alg(key.suite())));
    let header = encode_json(&Value::Object(header))?;
    let payload = encode_json(payload)?;
    let signing_input = format!("{header}.{payload}");
    let signature = key.sign(signing_input.as_bytes())?.to_fixed();
    Ok(format!(
        "{signing_input}.{}",
        Base64UrlUnpadded::encode_string(&signature)
    ))
}

/// A compact JWS, read but not yet verified.
#[derive(Debug, Clone)]
pub struct Jws {
    /// The protected header.
    pub header: Map<String, Value>,
    /// The payload.
    pub payload: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

impl Jws {
    /// Reads a compact JWS whose header and payload are JSON objects.
    pub fn parse(compact: &str, what: &'static str) -> Result<Self, Error> {
        let mut parts = compact.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(what, "expected three dot-separated parts"));
        };
        Ok(Self {
            header: decode_object(header, what)?,
            payload: decode_object(payload, what)?,
            signing_input: format!("{header}.{payload}"),
            signature: Base64UrlUnpadded::decode_vec(signature)
                .map_err(|_| malformed(what, "the signature is not base64url"))?,
        })
    }

    /// The `alg` header's suite.
    pub fn suite(&self) -> Result<SuiteId, Error> {
        suite_of_alg(self.header_str("alg").unwrap_or("none"))
    }

    /// A string member of the header.
    #[must_use]
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    /// Whether `key` signed it with the header's algorithm.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        let Ok(suite) = self.suite() else {
            return false;
        };
        if suite != key.suite() {
            return false;
        }
        Suite::new(suite)
            .signature_from_fixed(&self.signature)
            .is_ok_and(|signature| {
                key.verify(self.signing_input.as_bytes(), &signature)
                    .is_ok()
            })
    }
}

pub(crate) fn encode_json(value: &Value) -> Result<String, Error> {
    let bytes = serde_json::to_vec(value).map_err(|error| malformed("json", error.to_string()))?;
    Ok(Base64UrlUnpadded::encode_string(&bytes))
}

fn decode_object(part: &str, what: &'static str) -> Result<Map<String, Value>, Error> {
    let bytes = Base64UrlUnpadded::decode_vec(part)
        .map_err(|_| malformed(what, "a part is not base64url"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(malformed(what, "a part is not a JSON object")),
    }
}
