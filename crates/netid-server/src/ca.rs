//! The CA inside the service (issue #8): an issuing CA certified by an offline root, holder
//! signing certificates on request, revocation, and the CRL and OCSP answers.
//!
//! The service generates its issuing and OCSP-responder keys itself and never sees the root's
//! private key: the operator certifies the issuing key offline (`netid ca certify`) and
//! installs the result. Until then every CA answer is `ca_not_certified`. CRLs and OCSP
//! responses are made on request from the store, so a revocation shows at once; each is valid
//! for [`STATUS_VALIDITY_SECONDS`], the longest a relying party that caches them can miss it.

use std::sync::{Arc, RwLock};

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_ca::{
    Certificate, CertificateStatus, CertificateTemplate, OcspResponder, Profile, RevocationReason,
    RevokedEntry, SerialNumber,
};
use netid_crypto::{SigningKey, Suite};
use netid_log::EntryKind;
use netid_proto::{CaStatus, CertificateFingerprint, Filing, IssuanceCount, SignedFiling};
use netid_store::{CertificateRow, HolderRow, Store, Timestamp};

use crate::state::AppState;
use crate::{Error, Refusal, personal};

/// How long a CRL or OCSP response is valid: the bound on how late a cached status can be.
pub const STATUS_VALIDITY_SECONDS: u64 = 3600;
/// Validity of a holder's signing certificate.
const HOLDER_CERTIFICATE_SECONDS: u64 = 365 * 86_400;
/// Validity of a platform's mutual-TLS client certificate.
const PLATFORM_CERTIFICATE_SECONDS: u64 = 365 * 86_400;
/// Validity of the OCSP responder's certificate.
const RESPONDER_CERTIFICATE_SECONDS: u64 = 365 * 86_400;
/// The OCSP responder's certificate is renewed when less than this remains of it.
const RENEW_RESPONDER_WITHIN_SECONDS: u64 = 30 * 86_400;
/// Certificates start a little in the past, so that a relying party whose clock is slightly
/// behind still accepts a fresh one.
const BACKDATE_SECONDS: u64 = 300;

const ROLE_ROOT: &str = "root";
const ROLE_ISSUING: &str = "issuing";
const ROLE_RESPONDER: &str = "ocsp-responder";

/// The CA: its keys and, once certified, its certificates.
pub(crate) struct Ca {
    suite: Suite,
    issuing_key: SigningKey,
    responder_key: SigningKey,
    public_url: String,
    certified: RwLock<Option<Arc<Certified>>>,
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

struct Certified {
    root: Certificate,
    issuing: Certificate,
    responder: OcspResponder,
    responder_not_after: u64,
}

impl core::fmt::Debug for Ca {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ca")
            .field("suite", &self.suite.id())
            .finish_non_exhaustive()
    }
}

impl Ca {
    /// The CA over its keys; loads its certificates if it was certified before.
    pub(crate) async fn open(
        store: &dyn Store,
        issuing_key: SigningKey,
        responder_key: SigningKey,
        public_url: String,
    ) -> Result<Self, Error> {
        let ca = Self {
            suite: Suite::new(issuing_key.suite()),
            issuing_key,
            responder_key,
            public_url,
            certified: RwLock::new(None),
        };
        let stored = store.ca_certificates().await?;
        let role = |name: &str| {
            stored
                .iter()
                .find(|(role, _)| role == name)
                .map(|(_, der)| certificate_from_der(der))
                .transpose()
        };
        if let (Some(root), Some(issuing), Some(responder)) =
            (role(ROLE_ROOT)?, role(ROLE_ISSUING)?, role(ROLE_RESPONDER)?)
        {
            let certified_key =
                der::Encode::to_der(issuing.tbs_certificate().subject_public_key_info())
                    .map_err(|_| Error::Internal("a stored issuing certificate's key"))?;
            if certified_key == ca.issuing_key.verifying_key().to_spki_der()? {
                ca.set_certified(root, issuing, responder)?;
            } else {
                // NETID_CA_SUITE changed since the CA was certified: the installed chain is for
                // the other suite's key. Start uncertified rather than not at all.
                tracing::warn!(
                    suite = ca.suite.id().as_str(),
                    "the installed CA certificates are for the other suite's issuing key; certify this suite's key (netid ca issuing-key) or set NETID_CA_SUITE back"
                );
            }
        }
        Ok(ca)
    }

    fn set_certified(
        &self,
        root: Certificate,
        issuing: Certificate,
        responder: Certificate,
    ) -> Result<(), Error> {
        let responder_not_after = not_after(&responder);
        let responder = OcspResponder::new(&issuing, responder, self.responder_key_copy()?)?;
        let certified = Arc::new(Certified {
            root,
            issuing,
            responder,
            responder_not_after,
        });
        *self
            .certified
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(certified);
        Ok(())
    }

    fn responder_key_copy(&self) -> Result<SigningKey, Error> {
        Ok(self
            .suite
            .signing_key_from_pkcs8_der(&self.responder_key.to_pkcs8_der()?)?)
    }

    fn certified(&self) -> Result<Arc<Certified>, Error> {
        self.certified
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .ok_or_else(|| Refusal::CaNotCertified.into())
    }

    /// What the operator sees: the suite, the key to certify, and the chain once certified.
    pub(crate) fn status(&self) -> Result<CaStatus, Error> {
        let chain = self.certified().ok().map(|c| chain_pem(&c)).transpose()?;
        Ok(CaStatus {
            suite: self.suite.id().as_str().to_owned(),
            issuing_public_key: self.issuing_key.verifying_key().to_spki_pem()?,
            certified: chain.is_some(),
            chain,
        })
    }

    /// netid's root and its issuing CA's current CRL, once certified: what certificates are
    /// checked against.
    pub(crate) async fn trust_anchor(
        &self,
        state: &AppState,
    ) -> Result<Option<(Certificate, netid_ca::CertificateList)>, Error> {
        let Ok(certified) = self.certified() else {
            return Ok(None);
        };
        let crl = <netid_ca::CertificateList as der::Decode>::from_der(&self.crl(state).await?)
            .map_err(|_| Error::Internal("a fresh crl does not parse"))?;
        Ok(Some((certified.root.clone(), crl)))
    }

    /// The chain (issuing CA, then root) as PEM.
    pub(crate) fn chain(&self) -> Result<String, Error> {
        chain_pem(&*self.certified()?)
    }

    /// Installs the issuing CA certificate the offline root issued, and certifies the OCSP
    /// responder under it.
    pub(crate) async fn certify(
        &self,
        state: &AppState,
        root_pem: &str,
        issuing_pem: &str,
    ) -> Result<CaStatus, Error> {
        let invalid = |reason: &str| Refusal::InvalidCertificate {
            reason: reason.to_owned(),
        };
        let root = certificate_from_pem(root_pem, "root_certificate")?;
        let issuing = certificate_from_pem(issuing_pem, "issuing_certificate")?;
        netid_ca::verify_signed_by(&root, &root)
            .map_err(|error| invalid(&format!("the root is not self-signed: {error}")))?;
        netid_ca::verify_signed_by(&issuing, &root).map_err(|error| {
            invalid(&format!(
                "the issuing certificate is not the root's: {error}"
            ))
        })?;
        let certified_key =
            der::Encode::to_der(issuing.tbs_certificate().subject_public_key_info())
                .map_err(|_| invalid("the issuing certificate's key does not encode"))?;
        if certified_key != self.issuing_key.verifying_key().to_spki_der()? {
            return Err(invalid(
                "the issuing certificate certifies another key than this service's issuing key",
            )
            .into());
        }
        let responder = self
            .certify_responder(state, &root, &issuing, true)
            .await
            .map_err(|error| match error {
                Error::Ca(error) => invalid(&error.to_string()).into(),
                other => other,
            })?;
        self.set_certified(root, issuing, responder)?;
        tracing::info!(target: "netid::security", event = "ca_certified", suite = self.suite.id().as_str());
        self.status()
    }

    /// Issues the OCSP responder's certificate under `issuing`, checks the path root → issuing
    /// → responder now, and stores it (with `root` and `issuing` when `install_all`) and its
    /// log entry in one transaction.
    async fn certify_responder(
        &self,
        state: &AppState,
        root: &Certificate,
        issuing: &Certificate,
        install_all: bool,
    ) -> Result<Certificate, Error> {
        let now = now_seconds(state)?;
        let template = CertificateTemplate::new(
            "CN=netid OCSP responder,O=netid",
            Profile::OcspResponder,
            random_serial()?,
            now.saturating_sub(BACKDATE_SECONDS),
            now + RESPONDER_CERTIFICATE_SECONDS,
        );
        let responder = netid_ca::issue(
            &template,
            self.responder_key.verifying_key(),
            Some(issuing),
            &self.issuing_key,
        )?;
        // The whole path must hold now: the root and the issuing certificate are CAs that may
        // sign certificates, within their validity and path length.
        netid_ca::validate_path(
            &responder,
            std::slice::from_ref(issuing),
            std::slice::from_ref(root),
            now,
            &[],
        )?;
        let mut roles = vec![(ROLE_RESPONDER.to_owned(), to_der(&responder)?)];
        if install_all {
            roles.push((ROLE_ROOT.to_owned(), to_der(root)?));
            roles.push((ROLE_ISSUING.to_owned(), to_der(issuing)?));
        }
        let log_entry =
            state
                .log
                .entry(EntryKind::CertificateIssued, None, None, state.clock.now())?;
        state
            .store
            .install_ca(
                roles,
                vec![row(&responder, None, "ocsp-responder", now)?],
                log_entry,
                state.clock.now(),
            )
            .await?;
        Ok(responder)
    }

    /// Renews the OCSP responder's certificate when less than 30 days of it remain (the same
    /// key, a new certificate). Returns whether it did.
    pub(crate) async fn renew_responder_if_due(&self, state: &AppState) -> Result<bool, Error> {
        let Ok(certified) = self.certified() else {
            return Ok(false);
        };
        let now = now_seconds(state)?;
        if certified.responder_not_after > now + RENEW_RESPONDER_WITHIN_SECONDS {
            return Ok(false);
        }
        let responder = self
            .certify_responder(state, &certified.root, &certified.issuing, false)
            .await?;
        self.set_certified(certified.root.clone(), certified.issuing.clone(), responder)?;
        tracing::info!(target: "netid::security", event = "ocsp_responder_renewed");
        Ok(true)
    }

    /// Issues a holder's signing certificate for the key of the DER request `csr`.
    pub(crate) async fn issue_holder_certificate(
        &self,
        state: &AppState,
        holder: &HolderRow,
        csr: &[u8],
    ) -> Result<(CertificateRow, String), Error> {
        let subject = format!("CN={},O=netid holder", signing_pseudonym(state, holder)?);
        let log_key = personal::log_key(&state.keys.master, holder)?;
        self.issue_end_entity(
            state,
            csr,
            EndEntity {
                subject: &subject,
                profile: Profile::HolderSigning,
                profile_name: "holder-signing",
                validity: HOLDER_CERTIFICATE_SECONDS,
                holder: Some((holder, &log_key)),
                platform: None,
            },
        )
        .await
    }

    /// Issues a platform's mutual-TLS client certificate, naming it by its client id.
    pub(crate) async fn issue_platform_certificate(
        &self,
        state: &AppState,
        client_id: &str,
        csr: &[u8],
    ) -> Result<(CertificateRow, String), Error> {
        let subject = format!("CN={client_id},O=netid platform");
        self.issue_end_entity(
            state,
            csr,
            EndEntity {
                subject: &subject,
                profile: Profile::PlatformClient,
                profile_name: "platform-client",
                validity: PLATFORM_CERTIFICATE_SECONDS,
                holder: None,
                platform: Some(client_id),
            },
        )
        .await
    }

    async fn issue_end_entity(
        &self,
        state: &AppState,
        csr: &[u8],
        what: EndEntity<'_>,
    ) -> Result<(CertificateRow, String), Error> {
        let certified = self.certified()?;
        let request = netid_ca::verify_request(csr).map_err(|error| Refusal::InvalidField {
            field: "csr",
            reason: error.to_string(),
        })?;
        if request.public_key.suite() != self.suite.id() {
            return Err(Refusal::InvalidField {
                field: "csr",
                reason: format!(
                    "the key must be of this CA's suite, {}",
                    self.suite.id().as_str()
                ),
            }
            .into());
        }
        let now = now_seconds(state)?;
        let mut template = CertificateTemplate::new(
            what.subject,
            what.profile,
            random_serial()?,
            now.saturating_sub(BACKDATE_SECONDS),
            now + what.validity,
        );
        template.crl_url = Some(format!("{}/v1/ca/crl", self.public_url));
        template.ocsp_url = Some(format!("{}/v1/ca/ocsp", self.public_url));
        let certificate = netid_ca::issue(
            &template,
            &request.public_key,
            Some(&certified.issuing),
            &self.issuing_key,
        )?;
        let certificate_row = row(
            &certificate,
            what.holder.map(|(holder, _)| holder),
            what.profile_name,
            now,
        )?;
        let log_entry = state.log.entry(
            EntryKind::CertificateIssued,
            what.holder.map(|(_, log_key)| log_key),
            what.platform,
            state.clock.now(),
        )?;
        state
            .store
            .insert_certificate(certificate_row.clone(), log_entry)
            .await?;
        tracing::info!(target: "netid::security", event = "certificate_issued", profile = what.profile_name);
        Ok((certificate_row, netid_ca::to_pem(&certificate)?))
    }

    /// Revokes one of `holder`'s certificates.
    pub(crate) async fn revoke_holder_certificate(
        &self,
        state: &AppState,
        holder: &HolderRow,
        serial: &[u8],
        reason: RevocationReason,
    ) -> Result<bool, Error> {
        self.certified()?;
        let log_key = personal::log_key(&state.keys.master, holder)?;
        let log_entry = state.log.entry(
            EntryKind::CertificateRevoked,
            Some(&log_key),
            None,
            state.clock.now(),
        )?;
        let revoked = state
            .store
            .revoke_certificate(
                serial,
                Some(holder.id),
                reason_name(reason),
                log_entry,
                state.clock.now(),
            )
            .await
            .map_err(|error| match error {
                netid_store::Error::NotFound { .. } => Error::from(Refusal::CertificateNotFound),
                other => other.into(),
            })?;
        tracing::info!(target: "netid::security", event = "certificate_revoked", changed = revoked);
        Ok(revoked)
    }

    /// A full CRL (DER) of the issuing CA, made now.
    pub(crate) async fn crl(&self, state: &AppState) -> Result<Vec<u8>, Error> {
        let certified = self.certified()?;
        let now = now_seconds(state)?;
        let revoked = state
            .store
            .revoked_certificates(state.clock.now())
            .await?
            .iter()
            .map(|row| {
                let (at, reason) = row
                    .revoked
                    .clone()
                    .ok_or(Error::Internal("a listed certificate is not revoked"))?;
                Ok(RevokedEntry {
                    serial: SerialNumber::new(&row.serial)
                        .map_err(|_| Error::Internal("a stored serial number"))?,
                    revoked_at: u64::try_from(at.0).unwrap_or(0),
                    reason: reason_from_name(&reason),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        // The CRL number must grow: the second it was made does, one CRL per second at most
        // differs only in its signature.
        let crl = netid_ca::issue_crl(
            &certified.issuing,
            &self.issuing_key,
            now,
            now,
            now + STATUS_VALIDITY_SECONDS,
            &revoked,
        )?;
        der::Encode::to_der(&crl).map_err(|_| Error::Internal("crl encoding"))
    }

    /// The OCSP response (DER) to the DER `request`.
    pub(crate) async fn ocsp(&self, state: &AppState, request: &[u8]) -> Result<Vec<u8>, Error> {
        let certified = self.certified()?;
        let mut statuses = Vec::new();
        for serial in netid_ca::requested_serials(request) {
            let status = match state.store.certificate(serial.as_bytes()).await? {
                None => CertificateStatus::Unknown,
                Some(CertificateRow {
                    revoked: Some((at, reason)),
                    ..
                }) => CertificateStatus::Revoked {
                    revoked_at: u64::try_from(at.0).unwrap_or(0),
                    reason: reason_from_name(&reason),
                },
                Some(_) => CertificateStatus::Good,
            };
            statuses.push((serial, status));
        }
        let now = now_seconds(state)?;
        Ok(certified
            .responder
            .respond(request, now, now + STATUS_VALIDITY_SECONDS, |serial| {
                statuses
                    .iter()
                    .find(|(known, _)| known == serial)
                    .map_or(CertificateStatus::Unknown, |(_, status)| *status)
            })?)
    }
}

impl Ca {
    /// The supervisor's filing package, signed by the issuing CA.
    pub(crate) async fn filing(&self, state: &AppState) -> Result<SignedFiling, Error> {
        let certified = self.certified()?;
        let fingerprint = |certificate: &Certificate| -> Result<CertificateFingerprint, Error> {
            let der = to_der(certificate)?;
            Ok(CertificateFingerprint {
                subject: certificate.tbs_certificate().subject().to_string(),
                sm3: hex::encode(Suite::gm().hash(&der).as_ref()),
                sha256: hex::encode(Suite::intl().hash(&der).as_ref()),
            })
        };
        let counts = state
            .store
            .certificate_counts()
            .await?
            .into_iter()
            .map(|(profile, issued, revoked)| IssuanceCount {
                profile,
                issued,
                revoked,
            })
            .collect();
        let filing = Filing {
            format: "netid-ca-filing-v1".to_owned(),
            generated_at: state.clock.now().0,
            suite: self.suite.id().as_str().to_owned(),
            chain: vec![
                netid_ca::to_pem(&certified.issuing)?,
                netid_ca::to_pem(&certified.root)?,
            ],
            fingerprints: vec![
                fingerprint(&certified.issuing)?,
                fingerprint(&certified.root)?,
            ],
            policies: vec![netid_ca::ANY_POLICY_OID.to_string()],
            crl_url: format!("{}/v1/ca/crl", self.public_url),
            ocsp_url: format!("{}/v1/ca/ocsp", self.public_url),
            counts,
        };
        let payload =
            serde_json::to_vec(&filing).map_err(|_| Error::Internal("filing encoding"))?;
        let signature = self.issuing_key.sign(&payload)?.to_der()?;
        Ok(SignedFiling {
            alg: crate::operator::roster_alg(self.suite.id()).to_owned(),
            payload: Base64UrlUnpadded::encode_string(&payload),
            signature: Base64UrlUnpadded::encode_string(&signature),
            signer: netid_ca::to_pem(&certified.issuing)?,
        })
    }
}

/// The holder's pseudonym in signing certificates: stable for the holder (relying parties of
/// electronic signatures recognise the signer again), unlinkable to their pairwise pseudonyms
/// at platforms and to their Net ID.
fn signing_pseudonym(state: &AppState, holder: &HolderRow) -> Result<String, Error> {
    let net_id = personal::net_id(&state.keys.master, holder)?;
    let tag = Suite::gm().mac(
        &state.keys.pairwise,
        &[
            b"netid signing certificate subject v1",
            net_id.expose().as_bytes(),
        ],
    );
    Ok(hex::encode(tag.as_ref().get(..16).unwrap_or_default()))
}

/// Parses a revocation reason as the API names it.
pub(crate) fn parse_reason(name: Option<&str>) -> Result<RevocationReason, Refusal> {
    match name {
        None | Some("unspecified") => Ok(RevocationReason::Unspecified),
        Some("key_compromise") => Ok(RevocationReason::KeyCompromise),
        Some("superseded") => Ok(RevocationReason::Superseded),
        Some("cessation_of_operation") => Ok(RevocationReason::CessationOfOperation),
        Some(_) => Err(Refusal::InvalidField {
            field: "reason",
            reason: "expected unspecified, key_compromise, superseded or cessation_of_operation"
                .to_owned(),
        }),
    }
}

/// The stored name of [`RevocationReason::Superseded`] (recovery revokes with it).
pub(crate) const SUPERSEDED: &str = "superseded";

fn reason_name(reason: RevocationReason) -> &'static str {
    match reason {
        RevocationReason::KeyCompromise => "key_compromise",
        RevocationReason::CaCompromise => "ca_compromise",
        RevocationReason::AffiliationChanged => "affiliation_changed",
        RevocationReason::Superseded => SUPERSEDED,
        RevocationReason::CessationOfOperation => "cessation_of_operation",
        RevocationReason::PrivilegeWithdrawn => "privilege_withdrawn",
        _ => "unspecified",
    }
}

fn reason_from_name(name: &str) -> RevocationReason {
    [
        RevocationReason::KeyCompromise,
        RevocationReason::CaCompromise,
        RevocationReason::AffiliationChanged,
        RevocationReason::Superseded,
        RevocationReason::CessationOfOperation,
        RevocationReason::PrivilegeWithdrawn,
    ]
    .into_iter()
    .find(|reason| reason_name(*reason) == name)
    .unwrap_or(RevocationReason::Unspecified)
}

fn chain_pem(certified: &Certified) -> Result<String, Error> {
    Ok(format!(
        "{}{}",
        netid_ca::to_pem(&certified.issuing)?,
        netid_ca::to_pem(&certified.root)?
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

fn now_seconds(state: &AppState) -> Result<u64, Error> {
    u64::try_from(state.clock.now().0).map_err(|_| Error::Internal("the clock is before 1970"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_names_round_trip() {
        for reason in [
            RevocationReason::Unspecified,
            RevocationReason::KeyCompromise,
            RevocationReason::Superseded,
            RevocationReason::CessationOfOperation,
        ] {
            assert_eq!(reason_from_name(reason_name(reason)), reason);
            assert_eq!(parse_reason(Some(reason_name(reason))), Ok(reason));
        }
        assert!(parse_reason(Some("because")).is_err());
    }
}
