//! The CA inside the service (issue #8): issuing CAs certified by an offline root, holder
//! signing certificates on request, revocation, CRL and OCSP answers, issuer-key rollover and
//! the orderly handover to a successor.
//!
//! The service generates its issuing and OCSP-responder keys itself and never sees the root's
//! private key: the operator certifies the issuing key offline and installs the result. Until
//! then every CA answer is `ca_not_certified`.
//!
//! Each issuing CA the service answers for is a generation (`netid_store::CaGeneration`): the
//! current one issues; after a rollover the previous one retires but keeps signing CRLs and
//! OCSP answers for what it issued, until that has expired; a predecessor's, taken over at its
//! exit, is answered for by a responder the predecessor certified and by its final CRL; once
//! this service hands over, it answers for none of its own. CRLs and OCSP responses are made
//! on request from the store, so a revocation shows at once; each is valid for
//! [`STATUS_VALIDITY_SECONDS`], the longest a relying party that caches them can miss it.

use std::sync::{Arc, RwLock};

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_ca::{
    Certificate, CertificateList, CertificateStatus, CertificateTemplate, OcspFailure,
    OcspResponder, Profile, RevocationReason, RevokedEntry, SerialNumber,
};
use netid_crypto::{SigningKey, Suite, SuiteId, VerifyingKey};
use netid_log::EntryKind;
use netid_proto::{
    CaAuthority, CaStatus, CertificateFingerprint, ExpiringCertificate, Filing,
    HandedOverAuthority, HandedOverCertificate, Handover, IssuanceCount, SignedPackage,
};
use netid_store::{
    CaChange, CaGeneration, CaGenerationStatus, CertificateRow, HolderRow, Store, Timestamp,
};

use crate::deps::Deps;
use crate::keys::{self, KeyPlace};

use crate::error::CaRefusal;
use crate::error::{Error, Refusal};
use crate::personal;

mod issuance;
mod lifecycle;
mod reason;
mod status;
mod succession;

pub(crate) use issuance::Revoker;
use lifecycle::issue_responder;
pub(crate) use reason::parse_reason;

/// How long a CRL or OCSP response is valid: the bound on how late a cached status can be.
pub const STATUS_VALIDITY_SECONDS: u64 = 3600;
/// Validity of a holder's signing certificate.
const HOLDER_CERTIFICATE_SECONDS: u64 = 365 * 86_400;
/// The profile name of a platform's mutual-TLS client certificate, as the store records it.
pub(crate) const PLATFORM_CERTIFICATE_PROFILE: &str = "platform-client";
/// The subject of the mutual-TLS client certificate of the platform `client_id`.
pub(crate) fn platform_subject(client_id: &str) -> String {
    format!("CN={client_id},O=netid platform")
}

/// Validity of a platform's mutual-TLS client certificate.
const PLATFORM_CERTIFICATE_SECONDS: u64 = 365 * 86_400;
/// Validity of a Net Certificate issuer key's certificate.
const NET_CERTIFICATE_ISSUER_SECONDS: u64 = 365 * 86_400;
/// Validity of the OCSP responder's certificate.
const RESPONDER_CERTIFICATE_SECONDS: u64 = 365 * 86_400;
/// The OCSP responder's certificate is renewed when less than this remains of it.
const RENEW_RESPONDER_WITHIN_SECONDS: u64 = 30 * 86_400;
/// Certificates start a little in the past, so that a relying party whose clock is slightly
/// behind still accepts a fresh one.
const BACKDATE_SECONDS: u64 = 300;

/// The CA: its generations, reloaded from the store after every change.
pub(crate) struct Ca {
    deps: Deps,
    suite: Suite,
    public_url: String,
    generations: RwLock<Arc<Generations>>,
    /// Issuance and revocation hold it shared; a change of generations (certification,
    /// rollover, responder renewal, handover, inheritance) holds it alone, with its reload.
    /// So nothing is issued or revoked by a CA while it is handed over, and a slower reload
    /// never replaces a newer one.
    changes: tokio::sync::RwLock<()>,
    /// The last CRL number given out (see `status::next_crl_number`).
    last_crl_number: std::sync::atomic::AtomicU64,
}

struct Generations {
    /// The stored rows these were loaded from: another node's change shows as a difference.
    rows: Vec<CaGeneration>,
    /// Every issuing CA the service answers for, oldest first.
    authorities: Vec<Arc<Authority>>,
    /// The issuing key awaiting its certificate: the first one, or the next one of a rollover
    /// once the operator asked for it.
    pending: Option<SigningKey>,
    /// The name `pending` is (or will be) stored under.
    pending_name: String,
    /// This suite's OCSP responder key: what a predecessor certifies at a handover.
    responder_key: SigningKey,
}

/// One issuing CA the service answers for.
struct Authority {
    id: i64,
    status: CaGenerationStatus,
    suite: SuiteId,
    root: Certificate,
    issuing: Certificate,
    /// The issuing certificate's subject key identifier: what its certificates name as AKI.
    key_id: Vec<u8>,
    /// The stored name of its issuing key (the service's own generations).
    key_name: Option<String>,
    /// The CA of schema 6, whose certificates name the CRL at `/v1/ca/crl`.
    legacy: bool,
    /// Its issuing key, while it still signs (current and retired).
    issuing_key: Option<SigningKey>,
    responder: OcspResponder,
    responder_not_after: u64,
    /// Its final CRL, once it signs no more.
    final_crl: Option<Vec<u8>>,
    /// The signed handover package, on the generation current at the handover.
    handover: Option<Vec<u8>>,
}

/// What an end-entity certificate is, for whom.
struct EndEntity<'a> {
    subject: &'a str,
    profile: Profile,
    profile_name: &'static str,
    validity: u64,
    /// The holder and their log key, for a holder's certificate.
    holder: Option<(&'a HolderRow, &'a netid_crypto::MacKey)>,
    /// The platform's client id, for a platform's certificate.
    platform: Option<&'a str>,
}

impl core::fmt::Debug for Ca {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ca")
            .field("suite", &self.suite.id())
            .finish_non_exhaustive()
    }
}

/// The stored name of the `n`th issuing key of `suite` (the first keeps the name it always had).
fn issuing_key_name(suite: SuiteId, n: usize) -> String {
    match n {
        0 | 1 => format!("ca-issuing-{}", suite.as_str()),
        n => format!("ca-issuing-{}-{n}", suite.as_str()),
    }
}

fn responder_key_name(suite: SuiteId) -> String {
    format!("ca-ocsp-{}", suite.as_str())
}

impl Generations {
    async fn load(
        store: &dyn Store,
        place: KeyPlace<'_>,
        suite: &Suite,
        now: Timestamp,
    ) -> Result<Self, Error> {
        let rows = store.ca_generations().await?;
        let mut authorities = Vec::new();
        for generation in rows.clone() {
            authorities.push(Arc::new(
                Authority::load(store, place, generation, now).await?,
            ));
        }
        let pending_name = (1..)
            .map(|n| issuing_key_name(suite.id(), n))
            .find(|name| {
                !authorities
                    .iter()
                    .any(|authority| authority.key_name.as_deref() == Some(name.as_str()))
            })
            .unwrap_or_default();
        let certified = authorities.iter().any(|authority| {
            authority.status == CaGenerationStatus::Current && authority.suite == suite.id()
        });
        let handed_over = authorities
            .iter()
            .any(|authority| authority.status == CaGenerationStatus::HandedOver);
        // Without a current CA of this suite the key to certify exists from the start; during
        // normal operation the next key is made only when the operator starts a rollover;
        // after a handover, never.
        let pending = if certified || handed_over {
            keys::load_signing_key(store, place, &pending_name, suite).await?
        } else {
            Some(keys::load_or_add_signing_key(store, place, &pending_name, suite, now).await?)
        };
        let responder_key = keys::load_or_add_signing_key(
            store,
            place,
            &responder_key_name(suite.id()),
            suite,
            now,
        )
        .await?;
        Ok(Self {
            rows,
            authorities,
            pending,
            pending_name,
            responder_key,
        })
    }
}

impl Authority {
    async fn load(
        store: &dyn Store,
        place: KeyPlace<'_>,
        generation: CaGeneration,
        now: Timestamp,
    ) -> Result<Self, Error> {
        let root = certificate_from_der(&generation.root)?;
        let issuing = certificate_from_der(&generation.issuing)?;
        let responder = certificate_from_der(&generation.responder)?;
        let suite = netid_ca::key_suite(&issuing)?;
        let legacy =
            generation.key_name.is_none() && generation.status != CaGenerationStatus::Inherited;
        let key_name = match generation.status {
            CaGenerationStatus::Inherited => None,
            _ => Some(
                generation
                    .key_name
                    .unwrap_or_else(|| issuing_key_name(suite, 1)),
            ),
        };
        let issuing_key = match (generation.status, &key_name) {
            (CaGenerationStatus::Current | CaGenerationStatus::Retired, Some(name)) => {
                let key = keys::load_signing_key(store, place, name, &Suite::new(suite))
                    .await?
                    .ok_or(Error::Internal(
                        "a CA's issuing key is missing from the store",
                    ))?;
                if key.verifying_key().to_spki_der()? != spki_der(&issuing)? {
                    return Err(Error::Internal(
                        "a CA's issuing key is not the key its certificate certifies",
                    ));
                }
                Some(key)
            }
            _ => None,
        };
        let responder_key = keys::load_or_add_signing_key(
            store,
            place,
            &responder_key_name(suite),
            &Suite::new(suite),
            now,
        )
        .await?;
        let responder_not_after = not_after(&responder);
        let responder = OcspResponder::new(&issuing, responder, responder_key)?;
        let key_id = netid_ca::subject_key_identifier(&issuing).ok_or(Error::Internal(
            "an issuing certificate without a key identifier",
        ))?;
        Ok(Self {
            id: generation.id,
            status: generation.status,
            suite,
            root,
            issuing,
            key_id,
            key_name,
            legacy,
            issuing_key,
            responder,
            responder_not_after,
            final_crl: generation.final_crl,
            handover: generation.handover,
        })
    }

    fn issuing_key(&self) -> Result<&SigningKey, Error> {
        self.issuing_key
            .as_ref()
            .ok_or(Error::Internal("this CA no longer signs"))
    }

    /// Whether `certificate` (DER) is one this CA issued, judged by its authority key id.
    fn issued(&self, certificate: &[u8]) -> bool {
        <Certificate as der::Decode>::from_der(certificate)
            .ok()
            .and_then(|certificate| netid_ca::authority_key_identifier(&certificate))
            .is_some_and(|key_id| key_id == self.key_id)
    }
}

impl Ca {
    /// The CA of `suite` as the store records it.
    pub(crate) async fn open(
        deps: Deps,
        suite: SuiteId,
        public_url: String,
    ) -> Result<Self, Error> {
        let suite = Suite::new(suite);
        let generations = Generations::load(
            deps.store.as_ref(),
            deps.keys.place(),
            &suite,
            deps.clock.now(),
        )
        .await?;
        if let Some(other) = generations.authorities.iter().find(|authority| {
            authority.status == CaGenerationStatus::Current && authority.suite != suite.id()
        }) {
            // NETID_CA_SUITE changed since the CA was certified. The other suite's CA keeps
            // answering for its certificates; this suite's key waits for its certificate.
            tracing::warn!(
                suite = suite.id().as_str(),
                current = other.suite.as_str(),
                "the current CA is of the other suite; certify this suite's key (netid ca issuing-key) or set NETID_CA_SUITE back"
            );
        }
        Ok(Self {
            deps,
            suite,
            public_url,
            generations: RwLock::new(Arc::new(generations)),
            changes: tokio::sync::RwLock::new(()),
            last_crl_number: std::sync::atomic::AtomicU64::new(0),
        })
    }

    fn generations(&self) -> Arc<Generations> {
        Arc::clone(
            &self
                .generations
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    async fn reload(&self) -> Result<(), Error> {
        let deps = &self.deps;
        let generations = Generations::load(
            deps.store.as_ref(),
            deps.keys.place(),
            &self.suite,
            deps.clock.now(),
        )
        .await?;
        *self
            .generations
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(generations);
        Ok(())
    }

    /// Reloads the generations if another node changed them (a certification, rollover,
    /// renewal, handover or takeover there), so that this node issues and answers as the
    /// stored state says; two lookups when nothing changed. Whether it reloaded.
    pub(crate) async fn refresh(&self) -> Result<bool, Error> {
        let cached = self.generations();
        let store = self.deps.store.as_ref();
        let rows = store.ca_generations().await?;
        let pending = store.service_key(&cached.pending_name).await?.is_some();
        let changed = rows != cached.rows || pending != cached.pending.is_some();
        if changed {
            self.reload().await?;
        }
        Ok(changed)
    }

    /// The CA that issues now: the current one of this suite.
    fn issuer(&self) -> Result<Arc<Authority>, Error> {
        let generations = self.generations();
        if let Some(current) = generations.authorities.iter().find(|authority| {
            authority.status == CaGenerationStatus::Current && authority.suite == self.suite.id()
        }) {
            return Ok(Arc::clone(current));
        }
        let handed_over = generations
            .authorities
            .iter()
            .any(|authority| authority.status == CaGenerationStatus::HandedOver);
        Err(if handed_over {
            Refusal::Ca(CaRefusal::CaHandedOver)
        } else {
            Refusal::Ca(CaRefusal::CaNotCertified)
        }
        .into())
    }

    fn authority(&self, key_id: &[u8]) -> Result<Arc<Authority>, Error> {
        self.generations()
            .authorities
            .iter()
            .find(|authority| authority.key_id == key_id)
            .cloned()
            .ok_or_else(|| Refusal::Ca(CaRefusal::UnknownCa).into())
    }

    fn crl_url(&self, key_id: &[u8]) -> String {
        format!("{}/v1/ca/crl/{}", self.public_url, hex::encode(key_id))
    }

    /// What the operator sees: the suite, the keys to certify, and every CA generation.
    pub(crate) fn status(&self) -> Result<CaStatus, Error> {
        let generations = self.generations();
        let current = self.issuer().ok();
        let pending = generations
            .pending
            .as_ref()
            .map(|key| key.verifying_key().to_spki_pem())
            .transpose()?;
        let (issuing_public_key, pending_public_key) = match &current {
            Some(current) => (
                current.issuing_key()?.verifying_key().to_spki_pem()?,
                pending,
            ),
            None => match pending {
                Some(pending) => (pending, None),
                // Handed over: the last key that issued.
                None => (
                    generations
                        .authorities
                        .iter()
                        .rev()
                        .find(|authority| authority.status == CaGenerationStatus::HandedOver)
                        .map(|authority| spki_pem(&authority.issuing))
                        .transpose()?
                        .ok_or(Error::Internal("no issuing key"))?,
                    None,
                ),
            },
        };
        let authorities = generations
            .authorities
            .iter()
            .map(|authority| CaAuthority {
                key_id: hex::encode(&authority.key_id),
                status: authority.status.as_str().to_owned(),
                subject: authority.issuing.tbs_certificate().subject().to_string(),
                not_after: i64::try_from(not_after(&authority.issuing)).unwrap_or(i64::MAX),
                crl_url: self.crl_url(&authority.key_id),
            })
            .collect();
        Ok(CaStatus {
            suite: self.suite.id().as_str().to_owned(),
            issuing_public_key,
            certified: current.is_some(),
            chain: current.as_deref().map(chain_pem).transpose()?,
            pending_public_key,
            responder_public_key: generations.responder_key.verifying_key().to_spki_pem()?,
            authorities,
        })
    }

    /// The roots and current CRLs of every CA the service answers for: what certificates are
    /// checked against.
    pub(crate) async fn trust_anchors(
        &self,
    ) -> Result<(Vec<Certificate>, Vec<CertificateList>), Error> {
        self.refresh().await?;
        let mut roots = Vec::new();
        let mut crls = Vec::new();
        for authority in &self.generations().authorities {
            if authority.status == CaGenerationStatus::HandedOver {
                continue;
            }
            roots.push(authority.root.clone());
            let crl = self.crl_of(authority).await?;
            crls.push(
                <CertificateList as der::Decode>::from_der(&crl)
                    .map_err(|_| Error::Internal("a crl does not parse"))?,
            );
        }
        Ok((roots, crls))
    }

    /// The current chain (issuing CA, then root) as PEM.
    pub(crate) fn chain(&self) -> Result<String, Error> {
        chain_pem(&*self.issuer()?)
    }
}

fn spki_pem(certificate: &Certificate) -> Result<String, Error> {
    Ok(netid_ca::public_key(certificate)?.to_spki_pem()?)
}

fn spki_der(certificate: &Certificate) -> Result<Vec<u8>, Error> {
    der::Encode::to_der(certificate.tbs_certificate().subject_public_key_info())
        .map_err(|_| Error::Internal("a certificate's public key does not encode"))
}

fn chain_pem(authority: &Authority) -> Result<String, Error> {
    Ok(format!(
        "{}{}",
        netid_ca::to_pem(&authority.issuing)?,
        netid_ca::to_pem(&authority.root)?
    ))
}

fn not_after(certificate: &Certificate) -> u64 {
    certificate
        .tbs_certificate()
        .validity()
        .not_after
        .to_unix_duration()
        .as_secs()
}

fn row(
    certificate: &Certificate,
    holder: Option<&HolderRow>,
    profile: &str,
    now: u64,
) -> Result<CertificateRow, Error> {
    let not_after = not_after(certificate);
    Ok(CertificateRow {
        serial: certificate
            .tbs_certificate()
            .serial_number()
            .as_bytes()
            .to_vec(),
        holder: holder.map(|holder| holder.id),
        profile: profile.to_owned(),
        der: to_der(certificate)?,
        not_after: Timestamp(i64::try_from(not_after).unwrap_or(i64::MAX)),
        issued_at: Timestamp(i64::try_from(now).unwrap_or(i64::MAX)),
        revoked: None,
    })
}

fn to_der(certificate: &Certificate) -> Result<Vec<u8>, Error> {
    der::Encode::to_der(certificate).map_err(|_| Error::Internal("certificate encoding"))
}

fn certificate_from_der(der: &[u8]) -> Result<Certificate, Error> {
    <Certificate as der::Decode>::from_der(der)
        .map_err(|_| Error::Internal("a stored ca certificate does not parse"))
}

fn certificate_from_pem(pem: &str, field: &'static str) -> Result<Certificate, Refusal> {
    <Certificate as der::DecodePem>::from_pem(pem.trim()).map_err(|_| Refusal::InvalidField {
        field,
        reason: "expected one PEM certificate".to_owned(),
    })
}

fn random_serial() -> Result<[u8; 16], Error> {
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial)
        .map_err(|_| Error::Internal("the operating system's random generator failed"))?;
    Ok(serial)
}

fn now_seconds(deps: &Deps) -> Result<u64, Error> {
    u64::try_from(deps.clock.now().0).map_err(|_| Error::Internal("the clock is before 1970"))
}
