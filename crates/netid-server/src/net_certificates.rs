//! Net Certificates (issue #5, Measures Art. 2): SD-JWT VCs that carry the Net ID and the
//! holder's document details, every one selectively disclosable, which a platform verifies
//! offline. The service signs them, publishes its keys (`/.well-known/jwt-vc-issuer`) and one
//! signed Token Status List per suite, and keeps of each certificate only what its status
//! needs (holder, status index, day of issuance, expiry, revocation) until a day after it
//! expires: never the certificate itself, and never where it is used.

use std::sync::Arc;

use base64ct::Encoding;
use netid_crypto::{Jwk, SigningKey, Suite, SuiteId};
use netid_log::EntryKind;
use netid_proto::{NetCertificateRequest, NetCertificateResponse, signing};
use netid_sdjwt::{Issuance, NET_CERTIFICATE_VCT, StatusList, StatusListToken};
use netid_store::{Conflict, CredentialRow, NewCredentials, Timestamp};
use serde_json::{Value, json};

use crate::deps::Deps;
use crate::error::{EnrollmentRefusal, NetCertificateRefusal};
use crate::error::{Error, Refusal};
use crate::keys;
use crate::personal;
use crate::wallet::authenticate_holder;
use netid_core::rules::GUARDIAN_REQUIRED_BELOW;

/// The most certificates one request may ask for.
pub(crate) const MAX_BATCH: usize = 50;
/// How long a Net Certificate is valid at most; a wallet re-issues before then.
const VALIDITY_SECONDS: i64 = 30 * 86_400;
/// Digests in every certificate's `_sd`: nine claims and decoys, the same count for all.
const DIGESTS: usize = 16;
/// Statuses per list: indexes are drawn at random from this range, so that neighbouring
/// indexes say nothing about issuance order or batch. 4 Mi entries (512 KiB before
/// compression); indexes of expired certificates are reused.
const STATUS_LIST_SIZE: u64 = 1 << 22;
/// How long a status list token is valid, and how long a verifier may cache it.
const STATUS_LIST_VALIDITY_SECONDS: i64 = 3600;
const STATUS_LIST_TTL_SECONDS: i64 = 600;
/// Ages of the predicate claims.
const AGE_THRESHOLDS: [u16; 3] = [14, 16, 18];
/// Tries to draw unused status indexes before giving up.
const INDEX_DRAWS: usize = 8;
/// The most unexpired Net Certificates a holder may have: a bound on what one holder can
/// take of the status lists.
const MAX_UNEXPIRED_PER_HOLDER: u64 = 200;
/// A revoked certificate stays listed this long after its `exp` (verifiers allow clock
/// skew), and its row is forgotten a day after, its index free again.
const LISTED_AFTER_EXPIRY_SECONDS: i64 = 300;
const FORGOTTEN_AFTER_EXPIRY_SECONDS: i64 = 86_400;
/// How long a signed status list is served, while what it lists has not changed, before it is
/// signed again.
const STATUS_LIST_CACHE_SECONDS: i64 = 60;
/// China Standard Time, the day boundary of certificate times.
const CST_OFFSET_SECONDS: i64 = 8 * 3600;

/// The service's Net Certificate issuer: one key per suite.
pub(crate) struct NetCertificateIssuer {
    /// The CA that certifies the issuer keys.
    ca: Arc<crate::ca::Ca>,
    deps: Deps,
    issuer: String,
    keys: Vec<IssuerKey>,
    /// Per suite, the `x5c` chain (DER, leaf first) of the issuer key, once the CA of that
    /// suite certified it.
    chains: std::sync::RwLock<Vec<(SuiteId, Vec<Vec<u8>>)>>,
    /// Per suite, the last signed status list: when it was made, the revoked indexes it lists
    /// and the token.
    status_lists: std::sync::Mutex<Vec<CachedStatusList>>,
}

/// A signed status list kept for reuse while what it lists is still what is revoked.
struct CachedStatusList {
    suite: SuiteId,
    made_at: i64,
    revoked: Vec<u64>,
    token: String,
}

struct IssuerKey {
    suite: SuiteId,
    kid: String,
    key: SigningKey,
}

impl core::fmt::Debug for NetCertificateIssuer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NetCertificateIssuer")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl NetCertificateIssuer {
    /// The issuer at `public_url`, with its keys (made and sealed on first use).
    pub(crate) async fn open(
        deps: Deps,
        ca: Arc<crate::ca::Ca>,
        public_url: &str,
    ) -> Result<Self, Error> {
        let mut keys = Vec::new();
        for suite in [SuiteId::Gm, SuiteId::Intl] {
            let name = format!("net-certificate-issuer-{}", suite.as_str());
            let key = keys::load_or_add_signing_key(
                deps.store.as_ref(),
                deps.keys.place(),
                &name,
                &Suite::new(suite),
                deps.clock.now(),
            )
            .await?;
            keys.push(IssuerKey {
                suite,
                kid: netid_sdjwt::thumbprint(&key.verifying_key().to_jwk()),
                key,
            });
        }
        Ok(Self {
            ca,
            deps,
            issuer: public_url.trim_end_matches('/').to_owned(),
            keys,
            chains: std::sync::RwLock::new(Vec::new()),
            status_lists: std::sync::Mutex::new(Vec::new()),
        })
    }

    fn key(&self, suite: SuiteId) -> Result<&IssuerKey, Error> {
        self.keys
            .iter()
            .find(|key| key.suite == suite)
            .ok_or(Error::Internal("no net certificate issuer key of a suite"))
    }

    /// The issuer metadata (SD-JWT VC §5): the issuer and its keys as a JWK Set, each with
    /// its `x5c` chain (RFC 7517 §4.7) once netid's CA of that suite certified it.
    pub(crate) fn metadata(&self) -> Value {
        let chains = self
            .chains
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|key| {
                let jwk = key.key.verifying_key().to_jwk();
                let mut published = json!({
                    "kty": jwk.kty, "crv": jwk.crv, "x": jwk.x, "y": jwk.y,
                    "kid": key.kid, "alg": netid_sdjwt::alg(key.suite), "use": "sig",
                });
                if let Some((_, chain)) = chains.iter().find(|(suite, _)| *suite == key.suite) {
                    let x5c: Vec<String> = chain
                        .iter()
                        .map(|der| base64ct::Base64::encode_string(der))
                        .collect();
                    if let Some(object) = published.as_object_mut() {
                        object.insert("x5c".to_owned(), json!(x5c));
                    }
                }
                published
            })
            .collect();
        json!({ "issuer": self.issuer, "jwks": { "keys": keys } })
    }

    /// Follows the CA as another node may have changed it: reloads its generations if they
    /// changed, and then, or while this node has no certificate for the issuer key of the
    /// issuing suite, has it certified (each node certifies the key for itself). Otherwise
    /// nothing is parsed: the hourly renewal looks at the certificate's end.
    pub(crate) async fn follow_ca(&self) -> Result<(), Error> {
        let changed = self.ca.refresh().await?;
        let certified = self.ca.issuing_suite().is_some_and(|suite| {
            self.chains
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .iter()
                .any(|(known, _)| *known == suite)
        });
        if changed || !certified {
            self.certify_keys().await?;
        }
        Ok(())
    }

    /// Has the CA certify the issuer key of its suite when it has no certificate from the
    /// current CA or less than 30 days of one remain: at start, hourly, and after the CA is
    /// certified or rolled over. Returns whether it certified one.
    pub(crate) async fn certify_keys(&self) -> Result<bool, Error> {
        let Some(suite) = self.ca.issuing_suite() else {
            return Ok(false);
        };
        let now = u64::try_from(self.deps.clock.now().0).unwrap_or(0);
        let current = self
            .chains
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find(|(known, _)| *known == suite)
            .map(|(_, chain)| chain.clone());
        let issuing = self.ca.chain().ok();
        let still_good = current.as_ref().is_some_and(|chain| {
            let leaf = chain
                .first()
                .and_then(|der| <netid_ca::Certificate as der::Decode>::from_der(der).ok());
            let under_current_ca = chain
                .get(1)
                .zip(issuing.as_ref())
                .is_some_and(|(der, pem)| {
                    <netid_ca::Certificate as der::DecodePem>::from_pem(pem)
                        .ok()
                        .and_then(|certificate| der::Encode::to_der(&certificate).ok())
                        .is_some_and(|issuing| issuing == *der)
                });
            under_current_ca
                && leaf.is_some_and(|leaf| {
                    leaf.tbs_certificate()
                        .validity()
                        .not_after
                        .to_unix_duration()
                        .as_secs()
                        > now + 30 * 86_400
                })
        });
        if still_good {
            return Ok(false);
        }
        let chain = self
            .ca
            .certify_net_certificate_issuer(self.key(suite)?.key.verifying_key())
            .await?;
        let mut chains = self
            .chains
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        chains.retain(|(known, _)| *known != suite);
        chains.push((suite, chain));
        Ok(true)
    }

    fn status_uri(&self, suite: SuiteId) -> String {
        format!("{}/v1/status/{}", self.issuer, suite.as_str())
    }

    /// The signed status list of `suite`. The revoked indexes are read from the store every
    /// time, so that a revocation on any node shows at once; the list is signed again only
    /// when they changed or the last signature is a minute old, which is what costs.
    pub(crate) async fn status_list(&self, suite: SuiteId) -> Result<String, Error> {
        let now = self.deps.clock.now();
        let listed_since = Timestamp(now.0 - LISTED_AFTER_EXPIRY_SECONDS);
        let mut revoked = self
            .deps
            .store
            .revoked_credentials(suite, listed_since)
            .await?;
        revoked.sort_unstable();
        let cached = self
            .status_lists
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find(|cached| {
                cached.suite == suite
                    && cached.revoked == revoked
                    && now.0.saturating_sub(cached.made_at) < STATUS_LIST_CACHE_SECONDS
            })
            .map(|cached| cached.token.clone());
        if let Some(token) = cached {
            return Ok(token);
        }
        let mut list = StatusList::new(STATUS_LIST_SIZE);
        for &index in &revoked {
            list.revoke(index)
                .map_err(|_| Error::Internal("a stored status index outside the list"))?;
        }
        let key = self.key(suite)?;
        let token = list.sign(
            &StatusListToken {
                uri: &self.status_uri(suite),
                kid: &key.kid,
                issued_at: now.0,
                expires_at: now.0 + STATUS_LIST_VALIDITY_SECONDS,
                ttl: STATUS_LIST_TTL_SECONDS,
            },
            &key.key,
        )?;
        let mut cache = self
            .status_lists
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.retain(|cached| cached.suite != suite);
        cache.push(CachedStatusList {
            suite,
            made_at: now.0,
            revoked,
            token: token.clone(),
        });
        Ok(token)
    }

    /// Issues one Net Certificate per holder key to the holder who signed `request`.
    pub(crate) async fn issue(
        &self,
        request: NetCertificateRequest,
    ) -> Result<NetCertificateResponse, Error> {
        if request.holder_keys.is_empty() || request.holder_keys.len() > MAX_BATCH {
            return Err(Refusal::InvalidField {
                field: "holder_keys",
                reason: format!("expected 1 to {MAX_BATCH} keys"),
            }
            .into());
        }
        let holder_keys = request
            .holder_keys
            .iter()
            .map(|jwk| {
                let jwk = Jwk {
                    kty: jwk.kty.clone(),
                    crv: jwk.crv.clone(),
                    x: jwk.x.clone(),
                    y: jwk.y.clone(),
                };
                netid_sdjwt::key_of_jwk(&jwk).map_err(|_| Refusal::InvalidField {
                    field: "holder_keys",
                    reason: "expected SM2 or P-256 public keys as JWKs".to_owned(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let thumbprints: Vec<String> = holder_keys
            .iter()
            .map(|key| netid_sdjwt::thumbprint(&key.to_jwk()))
            .collect();
        let holder = authenticate_holder(
            &self.deps,
            &request.wallet_key,
            &request.request_id,
            request.timestamp,
            &signing::net_certificate_request_message(
                &thumbprints,
                &request.request_id,
                request.timestamp,
            ),
            &request.signature,
        )
        .await?;
        let credentials = self.issue_to(&holder, &holder_keys).await?;
        Ok(NetCertificateResponse { credentials })
    }

    /// Issues one Net Certificate bound to each of `holder_keys` to `holder` (a wallet signed
    /// for them, or proved each key in an OpenID4VCI request), with a `credential_issued` entry
    /// in their history.
    pub(crate) async fn issue_to(
        &self,
        holder: &netid_store::HolderRow,
        holder_keys: &[netid_crypto::VerifyingKey],
    ) -> Result<Vec<String>, Error> {
        crate::lock::ensure_usable(&self.deps, holder)?;
        self.follow_ca().await?;
        // One reading of the clock for the whole batch.
        let now = self.deps.clock.now();
        let today = crate::clock::date_of(now).ok_or(Error::Internal("clock out of range"))?;
        let record = personal::open(&self.deps.keys.master, holder, today)?;
        personal::ensure_valid(&record, today)?;
        let age = record
            .birth_date()
            .age_on(today)
            .ok_or(Error::Internal("stored birth date after today"))?;
        if age < GUARDIAN_REQUIRED_BELOW
            && self.deps.store.guardians_of(holder.id).await?.is_empty()
        {
            return Err(Refusal::Enrollment(EnrollmentRefusal::GuardianRequired).into());
        }
        let net_id = personal::net_id(&self.deps.keys.master, holder)?;
        let (issued_at, expires_at) = validity(now);
        let mut claims: Vec<(&str, Value)> = vec![
            ("net_id", json!(net_id.expose())),
            ("name", json!(record.name().expose())),
            ("birth_date", json!(record.birth_date().to_string())),
            ("document_type", json!(record.document_type().name())),
            ("document_number", json!(record.number().expose())),
            ("nationality", json!(record.nationality().as_str())),
        ];
        for (name, threshold) in ["age_over_14", "age_over_16", "age_over_18"]
            .into_iter()
            .zip(AGE_THRESHOLDS)
        {
            claims.push((name, json!(age >= threshold)));
        }
        let log_key = personal::log_key(&self.deps.keys.master, holder)?;

        // Random status indexes; a collision (rare while the lists are sparse) draws again.
        for _ in 0..INDEX_DRAWS {
            let rows = holder_keys
                .iter()
                .map(|key| {
                    Ok(CredentialRow {
                        suite: key.suite(),
                        status_index: random_index()?,
                        issued_at: Timestamp(issued_at),
                        expires_at: Timestamp(expires_at),
                    })
                })
                .collect::<Result<Vec<_>, Error>>()?;
            let credentials = holder_keys
                .iter()
                .zip(&rows)
                .map(|(holder_key, row)| {
                    let issuer = self.key(holder_key.suite())?;
                    let uri = self.status_uri(holder_key.suite());
                    Ok(netid_sdjwt::issue(
                        &Issuance {
                            issuer: &self.issuer,
                            kid: &issuer.kid,
                            vct: NET_CERTIFICATE_VCT,
                            issued_at,
                            not_before: issued_at,
                            expires_at,
                            holder_key,
                            status: Some((row.status_index, &uri)),
                            plain: vec![("real_name_verified", json!(true))],
                            disclosable: claims.clone(),
                            digests: DIGESTS,
                        },
                        &issuer.key,
                    )?)
                })
                .collect::<Result<Vec<_>, Error>>()?;
            let log_entry =
                self.deps
                    .log
                    .entry(EntryKind::CredentialIssued, Some(&log_key), None, now)?;
            let issued = self
                .deps
                .store
                .issue_credentials(
                    NewCredentials {
                        holder: holder.id,
                        wallet_key: holder.wallet_key.fingerprint.clone(),
                        credentials: rows,
                        log_entry,
                    },
                    MAX_UNEXPIRED_PER_HOLDER,
                    now,
                    Timestamp(now.0 - FORGOTTEN_AFTER_EXPIRY_SECONDS),
                )
                .await;
            match issued {
                Ok(()) => {
                    tracing::info!(target: "netid::security", event = "net_certificates_issued", count = credentials.len());
                    return Ok(credentials);
                }
                Err(netid_store::Error::AlreadyExists {
                    what: Conflict::StatusIndex,
                }) => {}
                // A recovery replaced the wallet key after it was checked.
                Err(netid_store::Error::NotFound { .. }) => {
                    return Err(Refusal::BadWalletSignature.into());
                }
                Err(netid_store::Error::CredentialLimit { limit }) => {
                    return Err(Refusal::NetCertificate(
                        NetCertificateRefusal::NetCertificateLimit { limit },
                    )
                    .into());
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(Refusal::NetCertificate(NetCertificateRefusal::NetCertificatesUnavailable).into())
    }
}

/// A certificate's `iat` (= `nbf`) and `exp`: the start of the day in Beijing time and 30
/// days after. Whole days, the same for everyone issued that day, so that the times say
/// nothing about the holder (a birthday) or the batch (the second it was issued).
fn validity(now: Timestamp) -> (i64, i64) {
    let day = now.0.saturating_add(CST_OFFSET_SECONDS).div_euclid(86_400);
    let start = day * 86_400 - CST_OFFSET_SECONDS;
    (start, start + VALIDITY_SECONDS)
}

fn random_index() -> Result<u64, Error> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|_| netid_crypto::Error::Random)?;
    Ok(u64::from_le_bytes(bytes) % STATUS_LIST_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOON_2026_03_01_CST: i64 = 1_772_337_600;

    #[test]
    fn certificate_times_are_whole_beijing_days_shared_by_everyone_issued_that_day() {
        let (issued, expires) = validity(Timestamp(NOON_2026_03_01_CST));
        assert_eq!(issued, NOON_2026_03_01_CST - 12 * 3600);
        assert_eq!(expires, issued + 30 * 86_400);
        // A second before midnight and at midnight: two days.
        assert_eq!(validity(Timestamp(issued + 86_399)).0, issued);
        assert_eq!(validity(Timestamp(issued + 86_400)).0, issued + 86_400);
    }
}
