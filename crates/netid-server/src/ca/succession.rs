//! Succession (Electronic Certification Service Measures): the supervisor's filing, and the
//! handover of the whole CA to a successor instance and its taking over by the successor.

use super::status::signed_crl;
use super::*;
use crate::error::CaRefusal;

/// The largest handover package: what the successor's request body limit takes, with room
/// for the request around it.
const MAX_HANDOVER_BYTES: usize = crate::config::MAX_BODY_BYTES - 4096;

/// The format of the handover package.
const HANDOVER_FORMAT: &str = "netid-ca-handover-v1";

impl Ca {
    /// The supervisor's filing package, signed by the current issuing CA.
    pub(crate) async fn filing(&self) -> Result<SignedPackage, Error> {
        self.refresh().await?;
        let deps = &self.deps;
        let issuer = self.issuer()?;
        let fingerprint = |certificate: &Certificate| -> Result<CertificateFingerprint, Error> {
            let der = to_der(certificate)?;
            Ok(CertificateFingerprint {
                subject: certificate.tbs_certificate().subject().to_string(),
                sm3: hex::encode(Suite::gm().hash(&der).as_ref()),
                sha256: hex::encode(Suite::intl().hash(&der).as_ref()),
            })
        };
        let counts = deps
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
            generated_at: deps.clock.now().0,
            suite: self.suite.id().as_str().to_owned(),
            chain: vec![
                netid_ca::to_pem(&issuer.issuing)?,
                netid_ca::to_pem(&issuer.root)?,
            ],
            fingerprints: vec![fingerprint(&issuer.issuing)?, fingerprint(&issuer.root)?],
            policies: vec![netid_ca::ANY_POLICY_OID.to_string()],
            crl_url: self.crl_url(&issuer.key_id),
            ocsp_url: format!("{}/v1/ca/ocsp", self.public_url),
            counts,
        };
        sign_package(&issuer, &filing)
    }

    /// Hands every CA of this service that still signs over to a successor: certifies the
    /// successor's OCSP responder key under each, signs each one's final CRL, and returns the
    /// signed package of the CAs and their certificates. From then on this service issues and
    /// revokes nothing, and answers `unauthorized` to OCSP requests about those CAs.
    pub(crate) async fn hand_over(
        &self,
        successor_responder_key: &str,
        operator: &str,
    ) -> Result<SignedPackage, Error> {
        let deps = &self.deps;
        let _changing = self.changes.write().await;
        self.refresh().await?;
        let issuer = self.issuer()?;
        let generations = self.generations();
        let now = now_seconds(deps)?;
        // Every CA that still signs, but those whose own certificate has ended: nothing they
        // issued is valid any more.
        let own: Vec<&Arc<Authority>> = generations
            .authorities
            .iter()
            .filter(|authority| {
                authority.issuing_key.is_some() && not_after(&authority.issuing) > now
            })
            .collect();
        let mut authorities = Vec::new();
        let mut final_crls = Vec::new();
        let mut issued = Vec::new();
        for authority in &own {
            let successor_key = Suite::new(authority.suite)
                .verifying_key_from_spki_pem(successor_responder_key.trim())
                .map_err(|_| Refusal::InvalidField {
                    field: "successor_responder_key",
                    reason: format!(
                        "expected a {} public key, SPKI PEM (the successor's responder_public_key)",
                        authority.suite.as_str()
                    ),
                })?;
            // The successor answers until the CA's own certificate ends: nothing it issued
            // outlives that.
            let until = not_after(&authority.issuing).max(now + 1);
            let (responder, row) = issue_responder(
                now,
                &authority.root,
                &authority.issuing,
                authority.issuing_key()?,
                &successor_key,
                "CN=netid successor OCSP responder,O=netid",
                until,
            )?;
            let crl = signed_crl(self, authority, now, until).await?;
            let crl_der = der::Encode::to_der(&crl).map_err(|_| Error::Internal("crl encoding"))?;
            authorities.push(HandedOverAuthority {
                root: netid_ca::to_pem(&authority.root)?,
                issuing: netid_ca::to_pem(&authority.issuing)?,
                responder: netid_ca::to_pem(&responder)?,
                final_crl: netid_ca::crl_to_pem(&crl)?,
            });
            final_crls.push((authority.id, crl_der));
            issued.push(row);
        }
        let mut certificates = Vec::new();
        for row in deps.store.certificates().await?.iter().chain(&issued) {
            if own.iter().any(|authority| authority.issued(&row.der)) {
                certificates.push(HandedOverCertificate {
                    certificate: Base64UrlUnpadded::encode_string(&row.der),
                    profile: row.profile.clone(),
                    revoked_at: row.revoked.as_ref().map(|(at, _)| at.0),
                    reason: row.revoked.map(|(_, reason)| reason.name().to_owned()),
                });
            }
        }
        let handover = Handover {
            format: HANDOVER_FORMAT.to_owned(),
            generated_at: deps.clock.now().0,
            authorities,
            certificates,
        };
        let signed = sign_package(&issuer, &handover)?;
        let package =
            serde_json::to_vec(&signed).map_err(|_| Error::Internal("handover encoding"))?;
        // The successor takes the package in one request: refuse before the irreversible step
        // rather than hand over what cannot be taken over.
        if package.len() > MAX_HANDOVER_BYTES {
            return Err(Refusal::Ca(CaRefusal::HandoverTooLarge {
                certificates: handover.certificates.len(),
            })
            .into());
        }
        let log_entry = deps.log.entry_by(
            EntryKind::CaSuccession,
            None,
            None,
            Some((operator, None)),
            deps.clock.now(),
        )?;
        deps.store
            .change_ca(
                CaChange::HandOver {
                    final_crls,
                    package,
                },
                issued,
                log_entry,
                deps.clock.now(),
            )
            .await?;
        self.reload().await?;
        tracing::warn!(target: "netid::security", event = "ca_handed_over", authorities = own.len());
        Ok(signed)
    }

    /// The signed package of the handover, once there was one.
    pub(crate) fn handover_package(&self) -> Result<SignedPackage, Error> {
        let generations = self.generations();
        let package = generations
            .authorities
            .iter()
            .find_map(|authority| authority.handover.as_ref())
            .ok_or(Refusal::Ca(CaRefusal::CaNotCertified))?;
        serde_json::from_slice(package).map_err(|_| Error::Internal("a stored handover package"))
    }

    /// Takes over a predecessor's CAs from its signed handover package. The operator names
    /// the predecessor by its root's SHA-256 fingerprint: every CA in the package must chain
    /// to that root, and the package must be signed by one of them. Checks each chain, that
    /// each responder certificate certifies this service's responder key, that each final CRL
    /// is the CA's and final, and that every certificate is signed by one of the CAs; then
    /// answers status for them, with its records, from now on.
    pub(crate) async fn inherit(
        &self,
        signed: &SignedPackage,
        expected_root_sha256: &str,
        operator: &str,
    ) -> Result<CaStatus, Error> {
        let deps = &self.deps;
        let bad = |reason: String| -> Error {
            Refusal::InvalidField {
                field: "handover",
                reason,
            }
            .into()
        };
        let payload = Base64UrlUnpadded::decode_vec(&signed.payload)
            .map_err(|_| bad("the payload is not base64url".to_owned()))?;
        let signature = Base64UrlUnpadded::decode_vec(&signed.signature)
            .map_err(|_| bad("the signature is not base64url".to_owned()))?;
        let signer = certificate_from_pem(&signed.signer, "signer")?;
        netid_ca::verify_data_signature(&signer, &payload, &signature)
            .map_err(|error| bad(format!("the package's signature does not verify: {error}")))?;
        let handover: Handover = serde_json::from_slice(&payload)
            .map_err(|_| bad("the payload is not a handover".to_owned()))?;
        if handover.format != HANDOVER_FORMAT {
            return Err(bad(format!("the format must be {HANDOVER_FORMAT}")));
        }
        let _changing = self.changes.write().await;
        self.refresh().await?;
        let known = self.generations();
        let now = now_seconds(deps)?;
        let mut generations = Vec::new();
        let mut issuers: Vec<(Vec<u8>, Certificate)> = Vec::new();
        for authority in &handover.authorities {
            let pem = |text: &str| certificate_from_pem(text, "handover");
            let (root, issuing, responder) = (
                pem(&authority.root)?,
                pem(&authority.issuing)?,
                pem(&authority.responder)?,
            );
            let crl = <CertificateList as der::DecodePem>::from_pem(authority.final_crl.trim())
                .map_err(|_| bad("a final CRL is not one PEM CRL".to_owned()))?;
            let key_id = netid_ca::check_handed_over_ca(
                &root,
                &issuing,
                &responder,
                &crl,
                expected_root_sha256,
                (u64::try_from(handover.generated_at).unwrap_or(0), now),
            )
            .map_err(|error| bad(error.to_string()))?;
            let suite = netid_ca::key_suite(&issuing)?;
            let responder_key = keys::load_or_add_signing_key(
                deps.store.as_ref(),
                deps.keys.place(),
                &responder_key_name(suite),
                &Suite::new(suite),
                deps.clock.now(),
            )
            .await?;
            OcspResponder::new(&issuing, responder.clone(), responder_key).map_err(|error| {
                bad(format!(
                    "the responder certificate must certify this service's responder key for OCSP signing: {error}"
                ))
            })?;
            let answered = known.authorities.iter().any(|a| a.key_id == key_id)
                || issuers.iter().any(|(id, _)| *id == key_id);
            if answered {
                return Err(bad(
                    "a CA in the package is already answered for here".to_owned()
                ));
            }
            generations.push(CaGeneration {
                id: 0,
                key_name: None,
                root: to_der(&root)?,
                issuing: to_der(&issuing)?,
                responder: to_der(&responder)?,
                status: CaGenerationStatus::Inherited,
                final_crl: Some(
                    der::Encode::to_der(&crl).map_err(|_| Error::Internal("crl encoding"))?,
                ),
                handover: None,
            });
            issuers.push((key_id, issuing));
        }
        let signer_der = to_der(&signer)?;
        let signed_by_a_handed_over_ca = issuers
            .iter()
            .any(|(_, issuing)| to_der(issuing).is_ok_and(|der| der == signer_der));
        if !signed_by_a_handed_over_ca {
            return Err(bad(
                "the package is not signed by one of the CAs it hands over".to_owned(),
            ));
        }
        let mut rows = Vec::new();
        for certificate in &handover.certificates {
            let der = Base64UrlUnpadded::decode_vec(&certificate.certificate)
                .map_err(|_| bad("a certificate is not base64url".to_owned()))?;
            let parsed = certificate_from_der(&der)
                .map_err(|_| bad("a certificate does not parse".to_owned()))?;
            netid_ca::check_handed_over_certificate(&parsed, &certificate.profile, &issuers)
                .map_err(|error| bad(error.to_string()))?;
            let revoked = match (certificate.revoked_at, &certificate.reason) {
                (None, None) => None,
                (Some(at), Some(reason)) => match RevocationReason::from_name(reason) {
                    Some(reason) => Some((Timestamp(at), reason)),
                    None => return Err(bad("a revocation's reason is not known".to_owned())),
                },
                _ => {
                    return Err(bad(
                        "a revocation needs a time and a known reason".to_owned()
                    ));
                }
            };
            let not_before = parsed
                .tbs_certificate()
                .validity()
                .not_before
                .to_unix_duration()
                .as_secs();
            rows.push(CertificateRow {
                serial: parsed.tbs_certificate().serial_number().as_bytes().to_vec(),
                holder: None,
                profile: certificate.profile.clone(),
                der,
                not_after: Timestamp(i64::try_from(not_after(&parsed)).unwrap_or(i64::MAX)),
                issued_at: Timestamp(i64::try_from(not_before).unwrap_or(0)),
                revoked,
            });
        }
        let log_entry = deps.log.entry_by(
            EntryKind::CaSuccession,
            None,
            None,
            Some((operator, None)),
            deps.clock.now(),
        )?;
        deps.store
            .change_ca(
                CaChange::Inherit(generations),
                rows,
                log_entry,
                deps.clock.now(),
            )
            .await
            .map_err(|error| match error {
                netid_store::Error::AlreadyExists { .. } => {
                    bad("a certificate in the package is already known here".to_owned())
                }
                other => other.into(),
            })?;
        self.reload().await?;
        tracing::warn!(target: "netid::security", event = "ca_inherited", authorities = issuers.len());
        self.status()
    }
}

/// Signs the JSON of `payload` with `authority`'s issuing key.
fn sign_package(
    authority: &Authority,
    payload: &impl serde::Serialize,
) -> Result<SignedPackage, Error> {
    let payload = serde_json::to_vec(payload).map_err(|_| Error::Internal("package encoding"))?;
    let signature = authority.issuing_key()?.sign(&payload)?.to_der()?;
    Ok(SignedPackage {
        alg: authority.suite.jose_alg().to_owned(),
        payload: Base64UrlUnpadded::encode_string(&payload),
        signature: Base64UrlUnpadded::encode_string(&signature),
        signer: netid_ca::to_pem(&authority.issuing)?,
    })
}
