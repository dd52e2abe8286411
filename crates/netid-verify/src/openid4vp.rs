//! OpenID for Verifiable Presentations 1.0 for a platform: a signed authorization request
//! whose DCQL query asks for a Net Certificate and the claims the platform may ask for, and the
//! wallet's answer, a `direct_post` form or an encrypted `direct_post.jwt`, opened here and then
//! verified offline as any presentation ([`crate::Verifier::verify`] with
//! [`PresentationRequest::expected`]): the key binding must name the platform's full client
//! identifier and the request's nonce.
//!
//! The platform is identified as `x509_hash:` the SHA-256 of its certificate (OpenID4VP 1.0
//! §5.9.3), which it gets from netid's CA or any other; the wallet checks the request's
//! signature and the certificate chain against the CAs it trusts. Nothing here calls netid.
//!
//! ```
//! use netid_verify::openid4vp::{Identity, PresentationRequest, ResponseMode};
//! # let key = netid_crypto::Suite::intl().generate_signing_key().unwrap();
//! # let certificate_der = vec![0x30, 0x03, 0x02, 0x01, 0x01];
//! let identity = Identity::x509_hash(key, vec![certificate_der])?;
//! let request = PresentationRequest::new(
//!     &identity,
//!     "https://shop.example/openid4vp/response",
//!     &["age_over_18"],
//!     ResponseMode::DirectPostJwt,
//! )?;
//! // Serve `request.request_object(&identity, now)` at a request URI of your own, and show
//! // `request.uri("https://shop.example/openid4vp/request/1")` as a link or a QR code.
//! assert!(request.uri("https://shop.example/r/1").starts_with("openid4vp://?client_id=x509_hash%3A"));
//! # Ok::<(), netid_verify::Error>(())
//! ```

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use netid_crypto::ecdh_es::{DecryptionKey, ENCS};
use netid_crypto::{SigningKey, Suite};
use serde_json::{Map, Value, json};

use crate::{Error, NET_CERTIFICATE_VCT, Request};

/// The id of the one credential query netid's requests make.
pub const CREDENTIAL_QUERY_ID: &str = "net_certificate";
/// The `typ` of a signed authorization request (RFC 9101).
pub const REQUEST_TYPE: &str = "oauth-authz-req+jwt";
/// The content type a request URI answers with.
pub const REQUEST_CONTENT_TYPE: &str = "application/oauth-authz-req+jwt";
/// How long a request object is valid, in seconds.
const REQUEST_LIFETIME: i64 = 300;
/// The longest response body opened.
const MAX_RESPONSE: usize = 512 * 1024;

fn refused(reason: &'static str) -> Error {
    Error::Response { reason }
}

/// A platform as an OpenID4VP verifier: its client identifier, its signing key and its
/// certificate chain (DER, leaf first).
pub struct Identity {
    client_id: String,
    key: SigningKey,
    x5c: Vec<Vec<u8>>,
}

impl core::fmt::Debug for Identity {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Identity")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// The verifier named `x509_hash:` + the base64url SHA-256 of the first certificate of
    /// `chain` (DER, leaf first), which certifies `key`.
    pub fn x509_hash(key: SigningKey, chain: Vec<Vec<u8>>) -> Result<Self, Error> {
        let leaf = chain
            .first()
            .ok_or(Error::IssuerData("an empty certificate chain".to_owned()))?;
        let digest = Suite::intl().hash(leaf);
        Ok(Self {
            client_id: format!(
                "x509_hash:{}",
                Base64UrlUnpadded::encode_string(digest.as_ref())
            ),
            key,
            x5c: chain,
        })
    }

    /// The client identifier, prefix included: what the wallet's key binding names.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
}

/// How the wallet answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    /// A form post of `vp_token` and `state` to the response URI.
    DirectPost,
    /// The same, encrypted to a key of this request alone (`response` = a compact JWE).
    DirectPostJwt,
}

impl ResponseMode {
    fn name(self) -> &'static str {
        match self {
            Self::DirectPost => "direct_post",
            Self::DirectPostJwt => "direct_post.jwt",
        }
    }
}

/// One authorization request: what the platform keeps until the wallet answers.
#[derive(Debug)]
pub struct PresentationRequest {
    /// The platform's client identifier.
    pub client_id: String,
    /// The fresh nonce the key binding must carry.
    pub nonce: String,
    /// The state the response must carry back.
    pub state: String,
    /// Where the wallet posts its response.
    pub response_uri: String,
    /// How it answers.
    pub response_mode: ResponseMode,
    /// The claims asked for.
    pub claims: Vec<String>,
    decryption: Option<DecryptionKey>,
}

impl PresentationRequest {
    /// A request from `identity` for the Net Certificate `claims`, answered at
    /// `response_uri`, with a fresh nonce and state (and, for `direct_post.jwt`, a fresh key).
    pub fn new(
        identity: &Identity,
        response_uri: &str,
        claims: &[&str],
        response_mode: ResponseMode,
    ) -> Result<Self, Error> {
        let random =
            || netid_crypto::random_token().map_err(|_| refused("no randomness for a nonce"));
        let decryption = match response_mode {
            ResponseMode::DirectPost => None,
            ResponseMode::DirectPostJwt => Some(
                DecryptionKey::generate(&random()?)
                    .map_err(|_| refused("no randomness for a key"))?,
            ),
        };
        Ok(Self {
            client_id: identity.client_id.clone(),
            nonce: random()?,
            state: random()?,
            response_uri: response_uri.to_owned(),
            response_mode,
            claims: claims.iter().map(|claim| (*claim).to_owned()).collect(),
            decryption,
        })
    }

    /// The DCQL query: one Net Certificate (`dc+sd-jwt` of netid's `vct`), bound to the
    /// holder's key, disclosing exactly `claims`.
    #[must_use]
    pub fn dcql_query(&self) -> Value {
        let mut query = json!({
            "id": CREDENTIAL_QUERY_ID,
            "format": "dc+sd-jwt",
            "meta": {"vct_values": [NET_CERTIFICATE_VCT]},
        });
        if let (false, Some(map)) = (self.claims.is_empty(), query.as_object_mut()) {
            let claims: Vec<Value> = self
                .claims
                .iter()
                .map(|claim| json!({ "path": [claim] }))
                .collect();
            map.insert("claims".to_owned(), Value::from(claims));
        }
        json!({ "credentials": [query] })
    }

    /// The signed request object (RFC 9101, OpenID4VP 1.0 §5), valid five minutes from `now`,
    /// with the certificate chain in `x5c`.
    pub fn request_object(&self, identity: &Identity, now: i64) -> Result<String, Error> {
        let mut metadata = json!({
            "vp_formats_supported": {"dc+sd-jwt": {
                "sd-jwt_alg_values": ["ES256", "SM2SM3"],
                "kb-jwt_alg_values": ["ES256", "SM2SM3"],
            }},
        });
        if let (Some(key), Some(map)) = (&self.decryption, metadata.as_object_mut()) {
            map.insert("jwks".to_owned(), json!({ "keys": [key.public_jwk()] }));
            map.insert(
                "encrypted_response_enc_values_supported".to_owned(),
                json!(ENCS),
            );
        }
        let claims = json!({
            "iss": self.client_id,
            "aud": "https://self-issued.me/v2",
            "client_id": self.client_id,
            "response_type": "vp_token",
            "response_mode": self.response_mode.name(),
            "response_uri": self.response_uri,
            "nonce": self.nonce,
            "state": self.state,
            "dcql_query": self.dcql_query(),
            "client_metadata": metadata,
            "iat": now,
            "exp": now + REQUEST_LIFETIME,
        });
        let x5c: Vec<String> = identity
            .x5c
            .iter()
            .map(|der| Base64::encode_string(der))
            .collect();
        let mut header = Map::new();
        header.insert("typ".to_owned(), Value::from(REQUEST_TYPE));
        header.insert("x5c".to_owned(), json!(x5c));
        netid_sdjwt::sign(header, &claims, &identity.key).map_err(Error::Credential)
    }

    /// The link a wallet opens (same device) or scans (a QR code on another screen): the
    /// client identifier and where to fetch the signed request.
    #[must_use]
    pub fn uri(&self, request_uri: &str) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.client_id)
            .append_pair("request_uri", request_uri)
            .finish();
        format!("openid4vp://?{query}")
    }

    /// What [`crate::Verifier::verify`] checks the presentation against.
    #[must_use]
    pub fn expected(&self) -> Request {
        Request {
            audience: self.client_id.clone(),
            nonce: self.nonce.clone(),
            claims: self.claims.clone(),
        }
    }

    /// Opens the wallet's response, the form body posted to the response URI: the one
    /// presentation of the Net Certificate it holds, to verify next. A response of another
    /// mode than asked, with another state, or holding anything but one presentation is
    /// refused; an OAuth `error` (the holder declined) is [`Error::Declined`].
    pub fn open_response(&self, body: &[u8]) -> Result<String, Error> {
        if body.len() > MAX_RESPONSE {
            return Err(refused("the response is longer than 512 KiB"));
        }
        let mut fields = Map::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            if fields
                .insert(name.into_owned(), Value::from(value.into_owned()))
                .is_some()
            {
                return Err(refused("a parameter appears twice"));
            }
        }
        if let Some(error) = fields.get("error").and_then(Value::as_str) {
            return Err(Error::Declined {
                error: error.chars().take(64).collect(),
            });
        }
        let payload = match (
            &self.decryption,
            fields.get("response").and_then(Value::as_str),
        ) {
            (Some(key), Some(jwe)) => {
                let opened = key.decrypt(jwe).map_err(|_| {
                    refused("the encrypted response does not open with this request's key")
                })?;
                serde_json::from_slice::<Map<String, Value>>(&opened)
                    .map_err(|_| refused("the encrypted response is not a JSON object"))?
            }
            (None, None) => {
                let token = fields
                    .get("vp_token")
                    .and_then(Value::as_str)
                    .ok_or(refused("no vp_token"))?;
                let token: Value =
                    serde_json::from_str(token).map_err(|_| refused("vp_token is not JSON"))?;
                let mut payload = Map::new();
                payload.insert("vp_token".to_owned(), token);
                if let Some(state) = fields.remove("state") {
                    payload.insert("state".to_owned(), state);
                }
                payload
            }
            _ => {
                return Err(refused(
                    "the response is not in the mode the request asked for",
                ));
            }
        };
        if payload.get("state").and_then(Value::as_str) != Some(self.state.as_str()) {
            return Err(refused("the state is not this request's"));
        }
        let token = payload
            .get("vp_token")
            .and_then(Value::as_object)
            .ok_or(refused("vp_token is not an object of credential query ids"))?;
        if token.len() != 1 {
            return Err(refused(
                "vp_token answers other queries than net_certificate",
            ));
        }
        match token.get(CREDENTIAL_QUERY_ID) {
            Some(Value::Array(presentations)) => match presentations.as_slice() {
                [Value::String(presentation)] => Ok(presentation.clone()),
                _ => Err(refused(
                    "vp_token must hold one presentation of the Net Certificate",
                )),
            },
            Some(Value::String(presentation)) => Ok(presentation.clone()),
            _ => Err(refused("vp_token has no net_certificate presentation")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        let key = Suite::intl().generate_signing_key().unwrap();
        Identity::x509_hash(key, vec![b"not really DER, hashed all the same".to_vec()]).unwrap()
    }

    fn payload(compact: &str) -> Value {
        let part = compact.split('.').nth(1).unwrap();
        serde_json::from_slice(&Base64UrlUnpadded::decode_vec(part).unwrap()).unwrap()
    }

    #[test]
    fn a_request_names_the_platform_the_claims_and_a_fresh_nonce() {
        let identity = identity();
        assert!(identity.client_id().starts_with("x509_hash:"));
        let request = PresentationRequest::new(
            &identity,
            "https://shop.example/response",
            &["age_over_18"],
            ResponseMode::DirectPostJwt,
        )
        .unwrap();
        let object = payload(&request.request_object(&identity, 1_900_000_000).unwrap());
        assert_eq!(object["client_id"], identity.client_id());
        assert_eq!(object["response_mode"], "direct_post.jwt");
        assert_eq!(object["nonce"], request.nonce.as_str());
        assert_eq!(
            object["dcql_query"]["credentials"][0]["claims"],
            json!([{"path": ["age_over_18"]}])
        );
        assert_eq!(object["client_metadata"]["jwks"]["keys"][0]["use"], "enc");
        assert_eq!(object["exp"], 1_900_000_300);
        let other = PresentationRequest::new(&identity, "https://x", &[], ResponseMode::DirectPost)
            .unwrap();
        assert_ne!(other.nonce, request.nonce);
        assert_eq!(other.dcql_query()["credentials"][0].get("claims"), None);
        assert_eq!(request.expected().audience, identity.client_id());
    }

    #[test]
    fn a_response_opens_only_in_its_mode_with_its_state_and_one_presentation() {
        let identity = identity();
        let plain = PresentationRequest::new(&identity, "https://x", &[], ResponseMode::DirectPost)
            .unwrap();
        let form = |token: &Value, state: &str| {
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("vp_token", &token.to_string())
                .append_pair("state", state)
                .finish()
        };
        let token = json!({ "net_certificate": ["a~b~kb"] });
        assert_eq!(
            plain
                .open_response(form(&token, &plain.state).as_bytes())
                .unwrap(),
            "a~b~kb"
        );
        assert_eq!(
            plain.open_response(form(&token, "another").as_bytes()),
            Err(refused("the state is not this request's"))
        );
        let two = json!({ "net_certificate": ["a~", "b~"] });
        assert!(
            plain
                .open_response(form(&two, &plain.state).as_bytes())
                .is_err()
        );
        assert_eq!(
            plain.open_response(b"error=access_denied&state=x"),
            Err(Error::Declined {
                error: "access_denied".to_owned()
            })
        );

        let sealed =
            PresentationRequest::new(&identity, "https://x", &[], ResponseMode::DirectPostJwt)
                .unwrap();
        let key = payload(&sealed.request_object(&identity, 1).unwrap())["client_metadata"]["jwks"]
            ["keys"][0]
            .clone();
        let inner = json!({ "vp_token": token, "state": sealed.state });
        let jwe = netid_crypto::ecdh_es::encrypt(
            &key,
            "A256GCM",
            (b"wallet", sealed.nonce.as_bytes()),
            inner.to_string().as_bytes(),
        )
        .unwrap();
        let body = format!("response={jwe}");
        assert_eq!(sealed.open_response(body.as_bytes()).unwrap(), "a~b~kb");
        // Unencrypted where encryption was asked, or encrypted to another request's key.
        assert!(
            sealed
                .open_response(form(&token, &sealed.state).as_bytes())
                .is_err()
        );
        assert!(plain.open_response(body.as_bytes()).is_err());
    }
}
