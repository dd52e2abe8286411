//! Presentation (RFC 9901 §4.3): the holder keeps only the Disclosures asked for and binds
//! the result to the verifier's audience and nonce with a key-binding JWT.

use netid_crypto::SigningKey;
use serde_json::{Map, Value};

use crate::disclosure::{Disclosure, sd_alg_of};
use crate::error::Error;
use crate::jws::{self, Jws};

/// The `typ` of a key-binding JWT.
pub const KB_JWT_TYP: &str = "kb+jwt";

/// What a verifier asked a presentation to be bound to.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    /// `aud`: the verifier.
    pub audience: &'a str,
    /// `nonce`: the verifier's fresh nonce.
    pub nonce: &'a str,
    /// `iat`, Unix seconds.
    pub issued_at: i64,
}

/// A presentation of the issued `sd_jwt` disclosing exactly the claims `disclose` (top-level
/// names), bound with `holder_key`.
pub fn present(
    sd_jwt: &str,
    disclose: &[&str],
    holder_key: &SigningKey,
    binding: Binding<'_>,
) -> Result<String, Error> {
    let mut parts = sd_jwt.split('~');
    let jwt = parts.next().unwrap_or_default();
    let issued = Jws::parse(jwt, "sd-jwt")?;
    let alg = sd_alg_of(&issued.payload)?;
    let disclosures = parts
        .filter(|part| !part.is_empty())
        .map(Disclosure::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let mut presentation = format!("{jwt}~");
    for name in disclose {
        let disclosure = disclosures
            .iter()
            .find(|disclosure| disclosure.name.as_deref() == Some(name))
            .ok_or_else(|| Error::NoSuchClaim {
                name: (*name).to_owned(),
            })?;
        presentation.push_str(&disclosure.encoded);
        presentation.push('~');
    }
    let mut header = Map::new();
    header.insert("typ".to_owned(), Value::from(KB_JWT_TYP));
    let mut payload = Map::new();
    payload.insert("iat".to_owned(), Value::from(binding.issued_at));
    payload.insert("aud".to_owned(), Value::from(binding.audience));
    payload.insert("nonce".to_owned(), Value::from(binding.nonce));
    payload.insert("sd_hash".to_owned(), Value::from(alg.digest(&presentation)));
    let kb_jwt = jws::sign(header, &Value::Object(payload), holder_key)?;
    presentation.push_str(&kb_jwt);
    Ok(presentation)
}
