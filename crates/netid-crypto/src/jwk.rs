//! JSON Web Keys (RFC 7517, RFC 7518 §6.2) for both suites' keys.
//!
//! P-256 keys use the registered `"crv": "P-256"`. SM2 has no registered JWK curve name;
//! netid writes `"crv": "SM2"`, the name other SM2 JOSE implementations use, with the same
//! `x`/`y`/`d` members as RFC 7518 §6.2.1 (32-byte big-endian coordinates, base64url without
//! padding). A key's suite is stated by `crv`, never inferred from lengths.

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::Error;
use crate::error::KeyEncoding;
use crate::sign::{SigningKey, VerifyingKey};
use crate::suite::{Suite, SuiteId};

/// A public JWK: `{"kty":"EC","crv":…,"x":…,"y":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type; always `EC`.
    pub kty: String,
    /// Curve: `P-256` or `SM2`.
    pub crv: String,
    /// The x coordinate, base64url.
    pub x: String,
    /// The y coordinate, base64url.
    pub y: String,
}

/// A private JWK as it is parsed; `d` is zeroized on drop. Not `Serialize`: private JWKs are
/// written only by [`SigningKey::to_jwk_json`].
#[derive(Deserialize)]
struct PrivateJwk {
    kty: String,
    crv: String,
    x: String,
    y: String,
    #[serde(deserialize_with = "zeroizing_string")]
    d: Zeroizing<String>,
}

/// Deserializes straight into a zeroizing string, so `d` is wiped even when a later member
/// fails to parse.
fn zeroizing_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Zeroizing<String>, D::Error> {
    String::deserialize(deserializer).map(Zeroizing::new)
}

/// The JWK `crv` of a suite's signature curve.
pub const fn jwk_curve(suite: SuiteId) -> &'static str {
    match suite {
        SuiteId::Gm => "SM2",
        SuiteId::Intl => "P-256",
    }
}

impl VerifyingKey {
    /// The key as a public JWK.
    pub fn to_jwk(&self) -> Jwk {
        let point = self.to_sec1_uncompressed();
        // An uncompressed point is 0x04 || x (32) || y (32).
        let (x, y) = point
            .get(1..)
            .unwrap_or_default()
            .split_at(point.len().saturating_sub(1) / 2);
        Jwk {
            kty: "EC".to_owned(),
            crv: jwk_curve(self.suite()).to_owned(),
            x: Base64UrlUnpadded::encode_string(x),
            y: Base64UrlUnpadded::encode_string(y),
        }
    }
}

impl SigningKey {
    /// The key as a private JWK in JSON (`x`, `y` and `d`); an error for a held key. Handle
    /// with care.
    pub fn to_jwk_json(&self) -> Result<Zeroizing<String>, crate::Error> {
        let public = self.verifying_key().to_jwk();
        let d = Zeroizing::new(Base64UrlUnpadded::encode_string(
            self.expose_secret_scalar()?.as_slice(),
        ));
        // Sized up front so the buffer holding `d` is never reallocated (and left unwiped).
        let mut json = Zeroizing::new(String::with_capacity(
            64 + public.crv.len() + public.x.len() + public.y.len() + d.len(),
        ));
        for part in [
            r#"{"kty":"EC","crv":""#,
            &public.crv,
            r#"","x":""#,
            &public.x,
            r#"","y":""#,
            &public.y,
            r#"","d":""#,
            d.as_str(),
            r#""}"#,
        ] {
            json.push_str(part);
        }
        Ok(json)
    }
}

impl Suite {
    /// A verifying key from a public JWK of this suite's curve.
    pub fn verifying_key_from_jwk(&self, jwk: &Jwk) -> Result<VerifyingKey, Error> {
        self.verifying_key_from_jwk_parts(&jwk.kty, &jwk.crv, &jwk.x, &jwk.y)
    }

    /// A signing key from a private JWK in JSON; fails if `x`/`y` are not the public key of `d`.
    pub fn signing_key_from_jwk_json(&self, json: &str) -> Result<SigningKey, Error> {
        let malformed = Error::MalformedKey {
            suite: self.id(),
            encoding: KeyEncoding::Jwk,
        };
        let jwk: PrivateJwk = serde_json::from_str(json).map_err(|_| malformed.clone())?;
        let public = self.verifying_key_from_jwk_parts(&jwk.kty, &jwk.crv, &jwk.x, &jwk.y)?;
        let d = Zeroizing::new(
            Base64UrlUnpadded::decode_vec(jwk.d.as_str()).map_err(|_| malformed.clone())?,
        );
        let key = self
            .signing_key_from_scalar(&d)
            .map_err(|_| malformed.clone())?;
        if key.verifying_key() != &public {
            return Err(malformed);
        }
        Ok(key)
    }

    fn verifying_key_from_jwk_parts(
        &self,
        kty: &str,
        crv: &str,
        x: &str,
        y: &str,
    ) -> Result<VerifyingKey, Error> {
        let malformed = Error::MalformedKey {
            suite: self.id(),
            encoding: KeyEncoding::Jwk,
        };
        if kty != "EC" || crv != jwk_curve(self.id()) {
            return Err(malformed);
        }
        let x = Base64UrlUnpadded::decode_vec(x).map_err(|_| malformed.clone())?;
        let y = Base64UrlUnpadded::decode_vec(y).map_err(|_| malformed.clone())?;
        if x.len() != 32 || y.len() != 32 {
            return Err(malformed);
        }
        let mut point = Vec::with_capacity(65);
        point.push(0x04);
        point.extend_from_slice(&x);
        point.extend_from_slice(&y);
        self.verifying_key_from_sec1(&point).map_err(|_| malformed)
    }
}
