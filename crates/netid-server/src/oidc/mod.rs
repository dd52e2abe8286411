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
//! Pushed requests, codes and access tokens live in memory for minutes: a restart ends them
//! and the platform starts the flow again, which is the safe direction. What must survive a
//! restart (used assertion and proof `jti`s, used codes' verifications) is in the store.

pub(crate) mod flow;
pub(crate) mod page;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use base64ct::Encoding;
use netid_crypto::{SigningKey, Suite};
use netid_store::HolderId;
use serde_json::{Value, json};

use crate::deps::Deps;
use crate::keys::load_or_add_signing_key;

/// How long a pushed request may wait for the holder's answer, in seconds.
pub(crate) const REQUEST_LIFETIME: i64 = 300;
/// How long an authorization code may wait to be redeemed, in seconds.
pub(crate) const CODE_LIFETIME: i64 = 60;
/// How long an access token (and an ID token) is valid, in seconds.
pub(crate) const TOKEN_LIFETIME: i64 = 300;
/// The most requests, codes and tokens held at once, each.
const MAX_PENDING: usize = 100_000;
/// The most of one table that one platform, holder or source address holds at once.
pub(crate) const MAX_PENDING_PER_OWNER: usize = 1_000;
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
#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
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
    /// The notice a consent given at sign-in is recorded under.
    pub(crate) notice: Arc<netid_proto::Notice>,
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
}

impl core::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

const ES256_KEY: &str = "signing-oidc-intl";
const SM2_KEY: &str = "signing-oidc-gm";

impl Oidc {
    /// The provider named `issuer` (the service's public URL), with its ID-token keys, made
    /// and stored sealed on first use.
    pub(crate) async fn open(
        deps: Deps,
        metrics: Arc<crate::metrics::Metrics>,
        notice: Arc<netid_proto::Notice>,
        platform_limits: Arc<crate::rate_limit::RateLimiter>,
        issuer: &str,
        mtls_base: Option<&str>,
    ) -> Result<Self, crate::error::Error> {
        let (store, master, now) = (deps.store.as_ref(), &deps.keys.master, deps.clock.now());
        Ok(Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            mtls_base: mtls_base.map(|url| url.trim_end_matches('/').to_owned()),
            es256: load_or_add_signing_key(store, master, ES256_KEY, &Suite::intl(), now).await?,
            sm2: load_or_add_signing_key(store, master, SM2_KEY, &Suite::gm(), now).await?,
            requests: Pending::default(),
            codes: Pending::default(),
            tokens: Pending::default(),
            deps,
            metrics,
            notice,
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
            "grant_types_supported": ["authorization_code"],
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

/// Short-lived values by key, each with its expiry and the one it is held for (a platform, a
/// holder, a source address); expired ones are dropped as new ones come. Each owner may hold
/// at most [`MAX_PENDING_PER_OWNER`] at once, so that no one client fills a table for all.
#[derive(Debug)]
pub(crate) struct Pending<T> {
    entries: Mutex<Entries<T>>,
}

#[derive(Debug)]
struct Entries<T> {
    values: HashMap<String, (i64, String, T)>,
    /// The keys each owner holds: its quota, and its values without a scan of the table.
    per_owner: HashMap<String, HashSet<String>>,
}

impl<T> Entries<T> {
    fn remove(&mut self, key: &str) -> Option<T> {
        let (_, owner, value) = self.values.remove(key)?;
        if let Some(keys) = self.per_owner.get_mut(&owner) {
            keys.remove(key);
            if keys.is_empty() {
                self.per_owner.remove(&owner);
            }
        }
        Some(value)
    }

    fn purge(&mut self, now: i64) {
        let expired: Vec<String> = self
            .values
            .iter()
            .filter(|(_, (expiry, _, _))| *expiry <= now)
            .map(|(key, _)| key.clone())
            .collect();
        for key in expired {
            self.remove(&key);
        }
    }
}

impl<T> Default for Pending<T> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(Entries {
                values: HashMap::new(),
                per_owner: HashMap::new(),
            }),
        }
    }
}

/// Why a value was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Full {
    /// Its owner holds as many as one may.
    Owner,
    /// The table holds as many as it may.
    Table,
}

impl<T: Clone> Pending<T> {
    /// Keeps `value` under `key` for `owner` until `expires_at`.
    pub(crate) fn insert(
        &self,
        key: String,
        value: T,
        owner: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), Full> {
        let mut entries = self.lock();
        let held = |entries: &Entries<T>| entries.per_owner.get(owner).map_or(0, HashSet::len);
        if entries.values.len() >= MAX_PENDING / 2 || held(&entries) >= MAX_PENDING_PER_OWNER {
            entries.purge(now);
        }
        if held(&entries) >= MAX_PENDING_PER_OWNER {
            return Err(Full::Owner);
        }
        if entries.values.len() >= MAX_PENDING {
            return Err(Full::Table);
        }
        entries.remove(&key);
        entries
            .per_owner
            .entry(owner.to_owned())
            .or_default()
            .insert(key.clone());
        entries
            .values
            .insert(key, (expires_at, owner.to_owned(), value));
        Ok(())
    }

    /// The value under `key`, if it has not expired.
    pub(crate) fn get(&self, key: &str, now: i64) -> Option<T> {
        self.lock()
            .values
            .get(key)
            .filter(|(expiry, _, _)| *expiry > now)
            .map(|(_, _, value)| value.clone())
    }

    /// Changes the value under `key` (if it has not expired) and returns what `change` says.
    pub(crate) fn update<R>(
        &self,
        key: &str,
        now: i64,
        change: impl FnOnce(&mut T) -> R,
    ) -> Option<R> {
        let mut entries = self.lock();
        let (expiry, _, value) = entries.values.get_mut(key)?;
        (*expiry > now).then(|| change(value))
    }

    /// The keys `owner` holds that have not expired, with their expiry, soonest first.
    pub(crate) fn owned_by(&self, owner: &str, now: i64) -> Vec<(String, i64)> {
        let entries = self.lock();
        let mut owned: Vec<(String, i64)> = entries
            .per_owner
            .get(owner)
            .into_iter()
            .flatten()
            .filter_map(|key| {
                let (expiry, _, _) = entries.values.get(key)?;
                (*expiry > now).then(|| (key.clone(), *expiry))
            })
            .collect();
        owned.sort_by_key(|(_, expiry)| *expiry);
        owned
    }

    /// Removes the value under `key`.
    pub(crate) fn remove(&self, key: &str) -> Option<T> {
        self.lock().remove(key)
    }

    /// Removes and returns the value under `key` if it has not expired (a one-time value).
    pub(crate) fn take(&self, key: &str, now: i64) -> Option<T> {
        let mut entries = self.lock();
        let (expiry, _, _) = entries.values.get(key)?;
        let live = *expiry > now;
        let value = entries.remove(key);
        value.filter(|_| live)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<T>> {
        // A panic while holding the lock leaves the map consistent (every change is one call).
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
    fn pending_values_expire_and_are_bounded() {
        let pending: Pending<u32> = Pending::default();
        assert_eq!(pending.insert("a".to_owned(), 1, "p", 100, 0), Ok(()));
        assert_eq!(pending.get("a", 99), Some(1));
        assert_eq!(pending.get("a", 100), None);
        assert_eq!(
            pending.update("a", 50, |value| {
                *value = 2;
                *value
            }),
            Some(2)
        );
        assert_eq!(pending.update("a", 100, |value| *value), None);
        assert_eq!(pending.remove("a"), Some(2));
        assert_eq!(pending.get("a", 0), None);
        // One-time values: taken once, and not once expired.
        assert_eq!(pending.insert("b".to_owned(), 3, "p", 100, 0), Ok(()));
        assert_eq!(pending.take("b", 100), None);
        assert_eq!(pending.insert("b".to_owned(), 5, "p", 200, 100), Ok(()));
        assert_eq!(pending.take("b", 150), Some(5));
        assert_eq!(pending.take("b", 150), None);
    }

    #[test]
    fn one_owner_holds_at_most_its_share_and_gets_it_back_as_values_go() {
        let pending: Pending<u32> = Pending::default();
        for n in 0..MAX_PENDING_PER_OWNER {
            assert_eq!(pending.insert(format!("a{n}"), 0, "greedy", 100, 0), Ok(()));
        }
        assert_eq!(
            pending.insert("over".to_owned(), 0, "greedy", 100, 0),
            Err(Full::Owner)
        );
        // Others are not held back; a value taken or expired makes room again.
        assert_eq!(
            pending.insert("other".to_owned(), 0, "modest", 100, 0),
            Ok(())
        );
        assert_eq!(pending.take("a0", 0), Some(0));
        assert_eq!(
            pending.insert("again".to_owned(), 0, "greedy", 100, 0),
            Ok(())
        );
        assert_eq!(
            pending.insert("later".to_owned(), 0, "greedy", 300, 100),
            Ok(())
        );
    }

    #[test]
    fn scopes_and_claim_names() {
        assert!(known_scope("openid"));
        assert!(known_scope("name"));
        assert!(!known_scope("profile"));
        assert_eq!(claim_name("birth_date"), "birthdate");
        assert_eq!(claim_name("net_id"), "net_id");
    }
}
