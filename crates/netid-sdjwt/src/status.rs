//! The IETF Token Status List (draft-ietf-oauth-status-list): one bit per credential, 1 =
//! revoked, least significant bit first within each byte, zlib-compressed and base64url in
//! a JWT of `typ` `statuslist+jwt` that the issuer signs. A verifier fetches the list, not the
//! credential's status: the issuer does not learn which credential is being checked.

use std::io::{Read, Write};

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::{SigningKey, SuiteId, VerifyingKey};
use serde_json::{Map, Value, json};

use crate::error::{Error, malformed};
use crate::jws::{self, Jws};

/// The `typ` of a status list token.
pub const STATUS_LIST_TYP: &str = "statuslist+jwt";
/// How far a list's `iat` may lie ahead of the verifier's clock.
const CLOCK_SKEW_SECONDS: i64 = 60;
/// The largest list a verifier inflates, in bytes (128 Mi statuses): a bound on what a
/// compressed list can make a verifier allocate.
const MAX_LIST_BYTES: u64 = 16 << 20;

/// A list of one-bit statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    bytes: Vec<u8>,
}

/// What a signed status list says about itself.
#[derive(Debug, Clone, Copy)]
pub struct StatusListToken<'a> {
    /// `sub`: the list's URI, which credentials name in `status.status_list.uri`.
    pub uri: &'a str,
    /// `kid` of the signing key.
    pub kid: &'a str,
    /// `iat`.
    pub issued_at: i64,
    /// `exp`: after this a verifier must fetch a fresh list.
    pub expires_at: i64,
    /// `ttl`: how long a verifier may cache it, in seconds.
    pub ttl: i64,
}

impl StatusList {
    /// A list of `len` statuses, all valid.
    #[must_use]
    pub fn new(len: u64) -> Self {
        Self {
            bytes: vec![0; usize::try_from(len.div_ceil(8)).unwrap_or(0)],
        }
    }

    /// How many statuses it holds.
    #[must_use]
    pub fn len(&self) -> u64 {
        u64::try_from(self.bytes.len())
            .unwrap_or(u64::MAX)
            .saturating_mul(8)
    }

    /// Whether it holds none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn position(&self, index: u64) -> Result<(usize, u8), Error> {
        usize::try_from(index / 8)
            .ok()
            .filter(|byte| *byte < self.bytes.len())
            .map(|byte| (byte, 1u8 << (index % 8)))
            .ok_or(Error::StatusIndexOutOfRange { index })
    }

    /// Marks the credential at `index` revoked.
    pub fn revoke(&mut self, index: u64) -> Result<(), Error> {
        let (byte, mask) = self.position(index)?;
        if let Some(slot) = self.bytes.get_mut(byte) {
            *slot |= mask;
        }
        Ok(())
    }

    /// Whether the credential at `index` is revoked.
    pub fn is_revoked(&self, index: u64) -> Result<bool, Error> {
        let (byte, mask) = self.position(index)?;
        Ok(self.bytes.get(byte).is_some_and(|slot| slot & mask != 0))
    }

    /// The signed status list token.
    pub fn sign(&self, token: &StatusListToken<'_>, key: &SigningKey) -> Result<String, Error> {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder
            .write_all(&self.bytes)
            .map_err(|error| malformed("status list", error.to_string()))?;
        let compressed = encoder
            .finish()
            .map_err(|error| malformed("status list", error.to_string()))?;
        let payload = json!({
            "sub": token.uri,
            "iat": token.issued_at,
            "exp": token.expires_at,
            "ttl": token.ttl,
            "status_list": {"bits": 1, "lst": Base64UrlUnpadded::encode_string(&compressed)},
        });
        let mut header = Map::new();
        header.insert("typ".to_owned(), Value::from(STATUS_LIST_TYP));
        header.insert("kid".to_owned(), Value::from(token.kid));
        jws::sign(header, &payload, key)
    }
}

/// A checked status list token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedStatusList {
    /// The statuses.
    pub list: StatusList,
    /// When the issuer made it (`iat`).
    pub issued_at: i64,
    /// When it stops being valid (`exp`).
    pub expires_at: i64,
}

/// Checks a status list token for the list at `uri`, signed by the issuer's key (found by
/// `issuer_key`), made before and valid at `now`.
pub fn verify_status_list(
    token: &str,
    issuer_key: impl Fn(Option<&str>, SuiteId) -> Option<VerifyingKey>,
    uri: &str,
    now: i64,
) -> Result<VerifiedStatusList, Error> {
    let jwt = Jws::parse(token, "status list")?;
    if jwt.header_str("typ") != Some(STATUS_LIST_TYP) {
        return Err(malformed("status list", "typ is not statuslist+jwt"));
    }
    let kid = jwt.header_str("kid");
    let key = issuer_key(kid, jwt.suite()?).ok_or_else(|| Error::UnknownKey {
        kid: kid.map(str::to_owned),
    })?;
    if !jwt.verify(&key) {
        return Err(Error::BadIssuerSignature);
    }
    if jwt.payload.get("sub").and_then(Value::as_str) != Some(uri) {
        return Err(malformed("status list", "sub is not the list's URI"));
    }
    let expires_at = jwt
        .payload
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or_else(|| malformed("status list", "no exp"))?;
    if expires_at <= now {
        return Err(Error::Expired);
    }
    let issued_at = jwt
        .payload
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or_else(|| malformed("status list", "no iat"))?;
    if issued_at > now + CLOCK_SKEW_SECONDS {
        return Err(Error::NotYetValid);
    }
    let list = jwt
        .payload
        .get("status_list")
        .ok_or_else(|| malformed("status list", "no status_list"))?;
    if list.get("bits").and_then(Value::as_u64) != Some(1) {
        return Err(malformed("status list", "only one-bit statuses are read"));
    }
    let compressed = list
        .get("lst")
        .and_then(Value::as_str)
        .and_then(|lst| Base64UrlUnpadded::decode_vec(lst).ok())
        .ok_or_else(|| malformed("status list", "lst is not base64url"))?;
    let mut bytes = Vec::new();
    flate2::read::ZlibDecoder::new(compressed.as_slice())
        .take(MAX_LIST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|_| malformed("status list", "lst is not zlib data"))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_LIST_BYTES {
        return Err(malformed("status list", "the list is larger than 16 MiB"));
    }
    Ok(VerifiedStatusList {
        list: StatusList { bytes },
        issued_at,
        expires_at,
    })
}
