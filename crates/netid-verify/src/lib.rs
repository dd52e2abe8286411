//! The platform SDK for Net Certificates: verifies a holder's presentation offline, with the
//! issuer's keys and status list cached, so the service does not learn where a person used
//! their certificate.
//!
//! A platform loads the issuer's metadata (`/.well-known/jwt-vc-issuer`) and its status
//! list(s) on a schedule it chooses, within a maximum staleness it sets, and verifies each
//! presentation against the request it made: the audience, a fresh nonce, and exactly the
//! claims it asked for (each disclosed, none more). The result holds only the disclosed
//! claims; the platform still reads their values (`age_over_18` may be `false`). Each way a
//! presentation can fail is its own error.
//!
//! The replay cache lives in the `Verifier`: a platform running several instances shares
//! nonces some other way (it issued them, and can mark them used).
//!
//! ```no_run
//! # fn fetch(_: &str) -> String { String::new() }
//! use netid_verify::{Policy, Request, Verifier};
//!
//! let mut verifier = Verifier::new("https://netid.example", Policy::default());
//! verifier.load_issuer_metadata(&fetch("https://netid.example/.well-known/jwt-vc-issuer"))?;
//! let request = Request::new("my-platform", "a fresh nonce from me", &["age_over_18"]);
//! # let presentation = String::new();
//! match verifier.verify(&presentation, &request, 1_800_000_000) {
//!     Err(netid_verify::Error::StatusUnavailable { uri }) => {
//!         verifier.load_status_list(&uri, &fetch(&uri), 1_800_000_000)?;
//!     }
//!     other => { other?; }
//! }
//! # Ok::<(), netid_verify::Error>(())
//! ```

pub mod openid4vp;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use netid_crypto::{Jwk, SuiteId, VerifyingKey};
use netid_sdjwt::{Expectations, SD_JWT_VC_TYP, StatusList};
use serde::Deserialize;
use serde_json::Value;

pub use netid_sdjwt::NET_CERTIFICATE_VCT;

/// Why a presentation was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The credential or presentation failed a format or cryptographic check: bad issuer
    /// signature, unknown key, expired, not yet valid, a tampered, repeated or unreferenced
    /// disclosure, a missing or wrong key binding, wrong audience or nonce, stale key binding.
    #[error(transparent)]
    Credential(#[from] netid_sdjwt::Error),
    /// Issued by someone else than the issuer this verifier trusts.
    #[error("issued by {found}, not by the trusted issuer")]
    WrongIssuer {
        /// The `iss` found.
        found: String,
    },
    /// Not a Net Certificate (`typ` or `vct`).
    #[error("not a Net Certificate")]
    NotANetCertificate,
    /// The certificate is revoked.
    #[error("the certificate is revoked")]
    Revoked,
    /// No current status list for the certificate: load the list at `uri`, then verify again.
    #[error("no current status list {uri}; load it and verify again")]
    StatusUnavailable {
        /// The status list's URI.
        uri: String,
    },
    /// The presentation's nonce was used before (the SDK's replay cache).
    #[error("the nonce was already used")]
    ReplayedNonce,
    /// The presentation does not disclose a claim the request asked for.
    #[error("the presentation does not disclose {claim}, which was asked for")]
    MissingRequestedClaim {
        /// The claim.
        claim: String,
    },
    /// The presentation discloses a claim the request did not ask for.
    #[error("the presentation discloses {claim}, which was not asked for")]
    DisclosedMoreThanAsked {
        /// The claim.
        claim: String,
    },
    /// The issuer's metadata or status list does not have the expected form.
    #[error("issuer data: {0}")]
    IssuerData(String),
    /// An OpenID4VP response this request cannot take (see [`openid4vp`]).
    #[error("the wallet's response is refused: {reason}")]
    Response {
        /// What is wrong, in words that repeat none of the input.
        reason: &'static str,
    },
    /// The wallet answered an OpenID4VP request with an OAuth error: the holder declined, or
    /// the wallet could not answer.
    #[error("the wallet answered with the error {error}")]
    Declined {
        /// The `error` code, at most 64 characters of it.
        error: String,
    },
}

/// How strict the verifier is.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// How long after it was fetched a status list may still be used, in seconds.
    pub max_status_staleness: i64,
    /// How old a presentation's key binding may be, in seconds.
    pub max_presentation_age: i64,
    /// Clock skew allowed, in seconds.
    pub skew: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_status_staleness: 3600,
            max_presentation_age: 300,
            skew: 60,
        }
    }
}

/// What the platform asked for.
#[derive(Debug, Clone)]
pub struct Request {
    /// The platform's identifier, which the presentation's key binding must name.
    pub audience: String,
    /// The fresh nonce the platform sent the holder.
    pub nonce: String,
    /// The claims it asked to be disclosed (none for `real_name_verified` alone).
    pub claims: Vec<String>,
}

impl Request {
    /// A request for `claims`.
    #[must_use]
    pub fn new(audience: &str, nonce: &str, claims: &[&str]) -> Self {
        Self {
            audience: audience.to_owned(),
            nonce: nonce.to_owned(),
            claims: claims.iter().map(|claim| (*claim).to_owned()).collect(),
        }
    }
}

/// What a verified presentation says: only what was disclosed.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosed {
    /// Always `true` for a Net Certificate: the holder's real name was verified at enrollment.
    pub real_name_verified: bool,
    /// The disclosed claims.
    pub claims: BTreeMap<String, Value>,
    /// When the certificate expires.
    pub expires_at: i64,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    issuer: String,
    jwks: Jwks,
}

#[derive(Debug, Deserialize)]
struct Jwks {
    keys: Vec<PublishedKey>,
}

#[derive(Debug, Deserialize)]
struct PublishedKey {
    kid: String,
    #[serde(flatten)]
    jwk: Jwk,
}

struct CachedList {
    list: StatusList,
    issued_at: i64,
    expires_at: i64,
}

/// Verifies presentations for one issuer, offline between refreshes.
pub struct Verifier {
    issuer: String,
    policy: Policy,
    keys: Vec<(String, VerifyingKey)>,
    lists: HashMap<String, CachedList>,
    /// Nonces seen; and, in the order they were seen, until when each could still be
    /// presented (after that a presentation fails on its age anyway, and the nonce is
    /// forgotten).
    nonces: HashSet<String>,
    nonce_expiry: VecDeque<(i64, String)>,
}

impl core::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.issuer)
            .field("keys", &self.keys.len())
            .field("lists", &self.lists.len())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier that trusts the issuer at `issuer` (its `iss`).
    #[must_use]
    pub fn new(issuer: &str, policy: Policy) -> Self {
        Self {
            issuer: issuer.to_owned(),
            policy,
            keys: Vec::new(),
            lists: HashMap::new(),
            nonces: HashSet::new(),
            nonce_expiry: VecDeque::new(),
        }
    }

    /// The URL of the issuer's metadata (`/.well-known/jwt-vc-issuer`, SD-JWT VC §5).
    #[must_use]
    pub fn metadata_url(&self) -> String {
        format!(
            "{}/.well-known/jwt-vc-issuer",
            self.issuer.trim_end_matches('/')
        )
    }

    /// Replaces the issuer keys with those of the metadata JSON. Returns how many.
    pub fn load_issuer_metadata(&mut self, metadata: &str) -> Result<usize, Error> {
        let metadata: Metadata = serde_json::from_str(metadata)
            .map_err(|error| Error::IssuerData(format!("metadata: {error}")))?;
        if metadata.issuer != self.issuer {
            return Err(Error::IssuerData(format!(
                "the metadata is for {}, not {}",
                metadata.issuer, self.issuer
            )));
        }
        let keys = metadata
            .jwks
            .keys
            .into_iter()
            .map(|key| Ok((key.kid, netid_sdjwt::key_of_jwk(&key.jwk)?)))
            .collect::<Result<Vec<_>, netid_sdjwt::Error>>()?;
        self.keys = keys;
        Ok(self.keys.len())
    }

    fn key(&self, kid: Option<&str>, suite: SuiteId) -> Option<VerifyingKey> {
        self.keys
            .iter()
            .find(|(known, key)| Some(known.as_str()) == kid && key.suite() == suite)
            .map(|(_, key)| key.clone())
    }

    /// Loads the status list token fetched from `uri`, checked at `now` with the issuer's
    /// keys (load the metadata first). A list older than the one loaded is ignored: a cache
    /// on the way cannot turn the clock back.
    pub fn load_status_list(&mut self, uri: &str, token: &str, now: i64) -> Result<(), Error> {
        let verified =
            netid_sdjwt::verify_status_list(token, |kid, suite| self.key(kid, suite), uri, now)?;
        let newer = self
            .lists
            .get(uri)
            .is_none_or(|cached| verified.issued_at >= cached.issued_at);
        if newer {
            self.lists.insert(
                uri.to_owned(),
                CachedList {
                    list: verified.list,
                    issued_at: verified.issued_at,
                    expires_at: verified.expires_at,
                },
            );
        }
        Ok(())
    }

    /// The status lists this verifier has loaded: the URIs to fetch again on a schedule.
    #[must_use]
    pub fn status_list_uris(&self) -> Vec<String> {
        self.lists.keys().cloned().collect()
    }

    /// Verifies `presentation` against `request` at `now`.
    pub fn verify(
        &mut self,
        presentation: &str,
        request: &Request,
        now: i64,
    ) -> Result<Disclosed, Error> {
        let verified = netid_sdjwt::verify(
            presentation,
            |kid, suite| self.key(kid, suite),
            &Expectations {
                audience: &request.audience,
                nonce: &request.nonce,
                now,
                max_age: self.policy.max_presentation_age,
                skew: self.policy.skew,
            },
        )?;
        if verified.header.get("typ").and_then(Value::as_str) != Some(SD_JWT_VC_TYP)
            || verified.claims.get("vct").and_then(Value::as_str) != Some(NET_CERTIFICATE_VCT)
        {
            return Err(Error::NotANetCertificate);
        }
        let issuer = verified
            .claims
            .get("iss")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if issuer != self.issuer {
            return Err(Error::WrongIssuer {
                found: issuer.to_owned(),
            });
        }
        if let Some(claim) = verified
            .disclosed
            .iter()
            .find(|claim| !request.claims.contains(claim))
        {
            return Err(Error::DisclosedMoreThanAsked {
                claim: claim.clone(),
            });
        }
        if let Some(claim) = request
            .claims
            .iter()
            .find(|claim| !verified.disclosed.contains(claim))
        {
            return Err(Error::MissingRequestedClaim {
                claim: claim.clone(),
            });
        }
        self.check_status(&verified.claims, now)?;
        self.remember_nonce(&request.nonce, now)?;
        let claims = verified
            .disclosed
            .iter()
            .filter_map(|name| {
                verified
                    .claims
                    .get(name)
                    .map(|value| (name.clone(), value.clone()))
            })
            .collect();
        Ok(Disclosed {
            real_name_verified: verified.claims.get("real_name_verified")
                == Some(&Value::Bool(true)),
            claims,
            expires_at: verified
                .claims
                .get("exp")
                .and_then(Value::as_i64)
                .unwrap_or_default(),
        })
    }

    fn check_status(&self, claims: &serde_json::Map<String, Value>, now: i64) -> Result<(), Error> {
        let reference = claims
            .get("status")
            .and_then(|status| status.get("status_list"));
        let (Some(index), Some(uri)) = (
            reference.and_then(|r| r.get("idx")).and_then(Value::as_u64),
            reference.and_then(|r| r.get("uri")).and_then(Value::as_str),
        ) else {
            return Err(Error::NotANetCertificate);
        };
        // As old as the issuer made it, not as long ago as it was fetched.
        let current = self.lists.get(uri).filter(|cached| {
            cached.expires_at > now && now - cached.issued_at <= self.policy.max_status_staleness
        });
        let Some(cached) = current else {
            return Err(Error::StatusUnavailable {
                uri: uri.to_owned(),
            });
        };
        if cached.list.is_revoked(index)? {
            return Err(Error::Revoked);
        }
        Ok(())
    }

    /// Records the nonce, refusing one seen before; forgets nonces whose presentations can
    /// no longer verify anyway.
    fn remember_nonce(&mut self, nonce: &str, now: i64) -> Result<(), Error> {
        while let Some((until, _)) = self.nonce_expiry.front() {
            if *until >= now {
                break;
            }
            if let Some((_, old)) = self.nonce_expiry.pop_front() {
                self.nonces.remove(&old);
            }
        }
        if !self.nonces.insert(nonce.to_owned()) {
            return Err(Error::ReplayedNonce);
        }
        let until = now + self.policy.max_presentation_age + 2 * self.policy.skew;
        self.nonce_expiry.push_back((until, nonce.to_owned()));
        Ok(())
    }
}
