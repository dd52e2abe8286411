//! Disclosures (RFC 9901 §4.2): `[salt, name, value]` for an object property, `[salt, value]`
//! for an array element, base64url of the JSON; the signed payload holds their digests.

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::{Suite, SuiteId};
use serde_json::Value;

use crate::error::{Error, malformed};

/// Bytes of randomness in a salt (RFC 9901 §9.3 asks for at least 128 bits).
const SALT_BYTES: usize = 16;

/// The hash of digests and `sd_hash`, named by `_sd_alg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    /// `sha-256` (the default when `_sd_alg` is absent).
    Sha256,
    /// `sm3` (GB/T 32905), netid's choice for gm-suite credentials.
    Sm3,
}

impl HashAlg {
    /// The hash of a suite's credentials.
    #[must_use]
    pub fn of_suite(suite: SuiteId) -> Self {
        match suite {
            SuiteId::Intl => Self::Sha256,
            SuiteId::Gm => Self::Sm3,
        }
    }

    /// The `_sd_alg` name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha-256",
            Self::Sm3 => "sm3",
        }
    }

    /// The algorithm an `_sd_alg` names.
    pub fn from_name(name: &str) -> Result<Self, Error> {
        match name {
            "sha-256" => Ok(Self::Sha256),
            "sm3" => Ok(Self::Sm3),
            other => Err(Error::UnsupportedAlgorithm {
                alg: other.to_owned(),
            }),
        }
    }

    /// base64url of the hash of the ASCII bytes of `text`.
    #[must_use]
    pub fn digest(self, text: &str) -> String {
        let suite = match self {
            Self::Sha256 => Suite::intl(),
            Self::Sm3 => Suite::gm(),
        };
        Base64UrlUnpadded::encode_string(suite.hash(text.as_bytes()).as_ref())
    }
}

/// The `_sd_alg` of a payload: `sha-256` when absent (RFC 9901 §4.1.1).
pub(crate) fn sd_alg_of(payload: &serde_json::Map<String, Value>) -> Result<HashAlg, Error> {
    match payload.get("_sd_alg") {
        None => Ok(HashAlg::Sha256),
        Some(Value::String(name)) => HashAlg::from_name(name),
        Some(_) => Err(malformed("sd-jwt", "_sd_alg is not a string")),
    }
}

/// One Disclosure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    /// The base64url form, as it travels and is hashed.
    pub encoded: String,
    /// The salt.
    pub salt: String,
    /// The claim name (`None` for an array element).
    pub name: Option<String>,
    /// The claim value.
    pub value: Value,
}

impl Disclosure {
    /// A Disclosure of the object property `name` with a fresh random salt.
    pub fn property(name: &str, value: Value) -> Result<Self, Error> {
        let salt = random_base64url(SALT_BYTES)?;
        let array = Value::Array(vec![
            Value::from(salt.clone()),
            Value::from(name),
            value.clone(),
        ]);
        Ok(Self {
            encoded: crate::jws::encode_json(&array)?,
            salt,
            name: Some(name.to_owned()),
            value,
        })
    }

    /// Reads a Disclosure.
    pub fn parse(encoded: &str) -> Result<Self, Error> {
        let bytes = Base64UrlUnpadded::decode_vec(encoded)
            .map_err(|_| malformed("disclosure", "not base64url"))?;
        let Ok(Value::Array(mut items)) = serde_json::from_slice::<Value>(&bytes) else {
            return Err(malformed("disclosure", "not a JSON array"));
        };
        let (salt, name, value) = match items.len() {
            2 => {
                let value = items.pop().unwrap_or(Value::Null);
                (items.pop().unwrap_or(Value::Null), None, value)
            }
            3 => {
                let value = items.pop().unwrap_or(Value::Null);
                let name = items.pop().unwrap_or(Value::Null);
                let Value::String(name) = name else {
                    return Err(malformed("disclosure", "the claim name is not a string"));
                };
                (items.pop().unwrap_or(Value::Null), Some(name), value)
            }
            _ => return Err(malformed("disclosure", "expected two or three elements")),
        };
        let Value::String(salt) = salt else {
            return Err(malformed("disclosure", "the salt is not a string"));
        };
        Ok(Self {
            encoded: encoded.to_owned(),
            salt,
            name,
            value,
        })
    }

    /// Its digest under `alg`.
    #[must_use]
    pub fn digest(&self, alg: HashAlg) -> String {
        alg.digest(&self.encoded)
    }
}

/// A digest that hides nothing: of random bytes, indistinguishable from a real one.
pub(crate) fn decoy_digest(alg: HashAlg) -> Result<String, Error> {
    Ok(alg.digest(&random_base64url(32)?))
}

pub(crate) fn random_base64url(bytes: usize) -> Result<String, Error> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|_| {
        malformed(
            "randomness",
            "the operating system's random generator failed",
        )
    })?;
    Ok(Base64UrlUnpadded::encode_string(&buffer))
}
