//! netid as an OpenID Connect provider for platforms, after the FAPI 2.0 Security Profile:
//! pushed authorization requests only (RFC 9126), the authorization code flow with PKCE S256,
//! `private_key_jwt` client authentication, DPoP-bound access tokens (RFC 9449), `iss` in the
//! authorization response (RFC 9207), pairwise subjects (OpenID Connect Core §8.1).
//!
//! The holder answers a request with their wallet ([`flow::decide`]): the consent screen at
//! the authorization endpoint shows what the platform would receive. The code is redeemed at
//! the token endpoint, which records the verification (and any disclosure) in the holder's
//! history and the transparency log, exactly as `/v1/platform/verify` does.
//!
//! Pushed requests, codes and access tokens are pending values in the store, for minutes:
//! every node sees them, so each step of a flow may reach another node, and a restart does
//! not end them. Used assertion and proof `jti`s and used codes' verifications are in the
//! store too.

pub(crate) mod flow;
pub(crate) mod page;
pub(crate) mod vci;

use std::sync::Arc;

use base64ct::Encoding;
use netid_crypto::{SigningKey, Suite};
use netid_store::{HolderId, PendingKind};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::deps::Deps;
use crate::keys::load_or_add_signing_key;
use crate::pending::Pending;

/// How long a pushed request may wait for the holder's answer, in seconds.
pub(crate) const REQUEST_LIFETIME: i64 = 300;
/// How long an authorization code may wait to be redeemed, in seconds.
pub(crate) const CODE_LIFETIME: i64 = 60;
/// How long an access token (and an ID token) is valid, in seconds.
pub(crate) const TOKEN_LIFETIME: i64 = 300;
/// The `acr` of every holder: enrolled on a statutory document checked against its issuing
/// authority's records.
pub(crate) const ACR_DOCUMENT_CHECKED: &str = "urn:netid:acr:document-checked";

/// The scopes a platform may ask for: `openid`, the age predicates, and the plaintext fields
/// its approved profile may grant.
pub(crate) fn known_scope(scope: &str) -> bool {
    matches!(scope, "openid" | "age_over_14" | "age_over_18")
        || netid_core::rules::GRANTABLE_FIELDS.contains(&scope)
}

/// The claim name of a plaintext field: OpenID Connect's standard name where one exists.
pub(crate) fn claim_name(field: &str) -> &str {
    match field {
        "birth_date" => "birthdate",
        other => other,
    }
}

/// A pushed authorization request awaiting, or given, the holder's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PushedRequest {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) state: Option<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) code_challenge: String,
    pub(crate) dpop_jkt: Option<String>,
    /// Where the browser goes once the holder answered.
    pub(crate) redirect_to: Option<String>,
}

/// An authorization code, issued when the holder approved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct IssuedCode {
    pub(crate) request: PushedRequest,
    pub(crate) holder: HolderId,
    pub(crate) wallet_fingerprint: Vec<u8>,
    pub(crate) approved_at: i64,
    pub(crate) expires_at: i64,
    /// The access token it was redeemed for (its digest), once redeemed.
    pub(crate) redeemed_for: Option<String>,
    /// Whether a second redemption was tried.
    pub(crate) reused: bool,
}

/// What an access token lets its DPoP key holder read at the userinfo endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AccessGrant {
    pub(crate) client_id: String,
    pub(crate) holder: HolderId,
    pub(crate) jkt: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) fields: Vec<String>,
}

/// The provider's keys and its short-lived state, over the handles it uses.
pub(crate) struct Oidc {
    pub(crate) deps: Deps,
    /// Counts sign-ins for `GET /metrics`.
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
    /// Token buckets per authenticated platform, shared with the API.
    pub(crate) platform_limits: Arc<crate::rate_limit::RateLimiter>,
    pub(crate) issuer: String,
    /// The public URL of the mutual-TLS listener, where platforms authenticate with the
    /// client certificates netid's CA issued them (RFC 8705 `tls_client_auth`), if there is one.
    pub(crate) mtls_base: Option<String>,
    es256: SigningKey,
    sm2: SigningKey,
    pub(crate) requests: Pending<PushedRequest>,
    pub(crate) codes: Pending<IssuedCode>,
    pub(crate) tokens: Pending<AccessGrant>,
    /// Credential offers' pre-authorized codes, and the tokens of the credential endpoint.
    pub(crate) offers: Pending<vci::Offer>,
    pub(crate) credential_tokens: Pending<vci::CredentialGrant>,
}

impl core::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

pub(crate) const ES256_KEY: &str = "signing-oidc-intl";
const SM2_KEY: &str = "signing-oidc-gm";

impl Oidc {
    /// The provider named `issuer` (the service's public URL), with its ID-token keys, made
    /// and stored sealed on first use.
    pub(crate) async fn open(
        deps: Deps,
        metrics: Arc<crate::metrics::Metrics>,
        platform_limits: Arc<crate::rate_limit::RateLimiter>,
        issuer: &str,
        mtls_base: Option<&str>,
    ) -> Result<Self, crate::error::Error> {
        let (store, place, now) = (deps.store.as_ref(), deps.keys.place(), deps.clock.now());
        Ok(Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            mtls_base: mtls_base.map(|url| url.trim_end_matches('/').to_owned()),
            es256: load_or_add_signing_key(store, place, ES256_KEY, &Suite::intl(), now).await?,
            sm2: load_or_add_signing_key(store, place, SM2_KEY, &Suite::gm(), now).await?,
            requests: Pending::of(&deps, PendingKind::OidcRequest),
            codes: Pending::of(&deps, PendingKind::OidcCode),
            tokens: Pending::of(&deps, PendingKind::OidcToken),
            offers: Pending::of(&deps, PendingKind::VciOffer),
            credential_tokens: Pending::of(&deps, PendingKind::VciToken),
            deps,
            metrics,
            platform_limits,
        })
    }

    /// The URL of one of the provider's endpoints.
    pub(crate) fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// The URL of an endpoint as reached by `peer`: its mutual-TLS alias on that listener.
    pub(crate) fn endpoint_for(&self, path: &str, peer: Option<&crate::tls::Peer>) -> String {
        match (&self.mtls_base, peer) {
            (Some(base), Some(peer)) if peer.mutual_tls => format!("{base}{path}"),
            _ => self.endpoint(path),
        }
    }

    /// The key that signs ID tokens of `suite`.
    pub(crate) fn id_token_key(&self, suite: netid_crypto::SuiteId) -> &SigningKey {
        match suite {
            netid_crypto::SuiteId::Gm => &self.sm2,
            netid_crypto::SuiteId::Intl => &self.es256,
        }
    }

    /// The public ID-token keys, each with its thumbprint as `kid`: the ES256 key, and with
    /// `sm2` the SM2 key too. The `jwks_uri` of discovery has the ES256 key alone, because
    /// widely used client libraries refuse a whole JWK Set holding a curve they do not know
    /// (RFC 7517 §5 says to ignore such keys); platforms of the `gm` suite read
    /// `netid_sm2_jwks_uri`.
    pub(crate) fn jwks(&self, sm2: bool) -> Value {
        let keys: Vec<Value> = [Some(&self.es256), sm2.then_some(&self.sm2)]
            .into_iter()
            .flatten()
            .map(|key| {
                let jwk = key.verifying_key().to_jwk();
                json!({
                    "kty": jwk.kty, "crv": jwk.crv, "x": jwk.x, "y": jwk.y,
                    "kid": netid_sdjwt::thumbprint(&jwk),
                    "use": "sig",
                    "alg": netid_sdjwt::alg(key.suite()),
                })
            })
            .collect();
        json!({ "keys": keys })
    }

    /// The discovery document (OpenID Connect Discovery 1.0 and RFC 8414).
    pub(crate) fn discovery(&self) -> Value {
        let mut scopes = vec!["openid", "age_over_14", "age_over_18"];
        scopes.extend(netid_core::rules::GRANTABLE_FIELDS);
        let mut claims = vec![
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "acr",
            "real_name_verified",
            "age_over_14",
            "age_over_18",
        ];
        claims.extend(netid_core::rules::GRANTABLE_FIELDS.map(claim_name));
        let auth_methods: &[&str] = if self.mtls_base.is_some() {
            &["private_key_jwt", "tls_client_auth"]
        } else {
            &["private_key_jwt"]
        };
        let mut discovery = json!({
            "issuer": self.issuer,
            "authorization_endpoint": self.endpoint("/oidc/authorize"),
            "pushed_authorization_request_endpoint": self.endpoint("/oidc/par"),
            "require_pushed_authorization_requests": true,
            "token_endpoint": self.endpoint("/oidc/token"),
            "userinfo_endpoint": self.endpoint("/oidc/userinfo"),
            "jwks_uri": self.endpoint("/oidc/jwks"),
            "netid_sm2_jwks_uri": self.endpoint("/oidc/jwks/sm2"),
            "scopes_supported": scopes,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", vci::PRE_AUTHORIZED_GRANT],
            "pre-authorized_grant_anonymous_access_supported": true,
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["ES256", "SM2SM3"],
            "token_endpoint_auth_methods_supported": auth_methods,
            "tls_client_certificate_bound_access_tokens": false,
            "token_endpoint_auth_signing_alg_values_supported": ["ES256", "SM2SM3"],
            "code_challenge_methods_supported": ["S256"],
            "dpop_signing_alg_values_supported": ["ES256", "SM2SM3"],
            "authorization_response_iss_parameter_supported": true,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "claims_parameter_supported": false,
            "acr_values_supported": [ACR_DOCUMENT_CHECKED],
            "claims_supported": claims,
            "ui_locales_supported": ["zh-CN", "en"],
            "service_documentation": self.endpoint("/v1/openapi.json"),
        });
        // RFC 8705 §5: where a platform goes for mutual TLS, so that the endpoints holders'
        // browsers visit never ask for a certificate.
        if let (Some(base), Some(fields)) = (&self.mtls_base, discovery.as_object_mut()) {
            fields.insert(
                "mtls_endpoint_aliases".to_owned(),
                json!({
                    "pushed_authorization_request_endpoint": format!("{base}/oidc/par"),
                    "token_endpoint": format!("{base}/oidc/token"),
                }),
            );
        }
        discovery
    }
}

/// A fresh random value, base64url (32 bytes: codes, tokens, request handles).
pub(crate) fn random_token() -> Result<String, crate::error::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| crate::Error::Internal("no randomness"))?;
    Ok(base64ct::Base64UrlUnpadded::encode_string(&bytes))
}

/// The key a secret value is kept under: its SHA-256, hex (a leaked map shows no secrets).
pub(crate) fn digest_key(secret: &str) -> String {
    hex::encode(Suite::intl().hash(secret.as_bytes()).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_and_claim_names() {
        assert!(known_scope("openid"));
        assert!(known_scope("name"));
        assert!(!known_scope("profile"));
        assert_eq!(claim_name("birth_date"), "birthdate");
        assert_eq!(claim_name("net_id"), "net_id");
    }
}
