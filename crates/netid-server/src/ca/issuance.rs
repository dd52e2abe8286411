//! What the CA issues and revokes: holders' signing certificates, platforms' client
//! certificates, the Net Certificate issuer's certificate, and revocation with its reasons.

use super::*;

impl Ca {
    /// Issues a holder's signing certificate for the key of the DER request `csr`.
    pub(crate) async fn issue_holder_certificate(
        &self,
        holder: &HolderRow,
        csr: &[u8],
    ) -> Result<(CertificateRow, String), Error> {
        let public_key = self.requested_key(csr)?;
        self.issue_to_holder(holder, &public_key).await
    }

    /// Renews one of `holder`'s certificates: the same key and subject, a new serial and a
    /// full validity from now. The old certificate stays valid until it ends, so nothing it
    /// signed stops verifying.
    pub(crate) async fn renew_holder_certificate(
        &self,
        holder: &HolderRow,
        serial: &[u8],
    ) -> Result<(CertificateRow, String), Error> {
        let deps = &self.deps;
        let old = deps
            .store
            .certificate(serial)
            .await?
            .filter(|row| row.holder == Some(holder.id))
            .ok_or(Refusal::Ca(CaRefusal::CertificateNotFound))?;
        if old.revoked.is_some() {
            return Err(Refusal::InvalidField {
                field: "serial",
                reason: "a revoked certificate cannot be renewed; ask for a new one".to_owned(),
            }
            .into());
        }
        let refuse = |reason: String| -> Error {
            Refusal::InvalidField {
                field: "serial",
                reason,
            }
            .into()
        };
        if old.not_after.0 <= deps.clock.now().0 {
            return Err(refuse(
                "an expired certificate cannot be renewed; ask for a new one".to_owned(),
            ));
        }
        let public_key = netid_ca::public_key(&certificate_from_der(&old.der)?)?;
        if public_key.suite() != self.suite.id() {
            return Err(refuse(format!(
                "the certificate's key is not of this CA's suite, {}; ask for a new one",
                self.suite.id().as_str()
            )));
        }
        self.issue_to_holder(holder, &public_key).await
    }

    async fn issue_to_holder(
        &self,
        holder: &HolderRow,
        public_key: &VerifyingKey,
    ) -> Result<(CertificateRow, String), Error> {
        let deps = &self.deps;
        let subject = format!("CN={},O=netid holder", signing_pseudonym(deps, holder)?);
        let log_key = personal::log_key(&deps.keys.master, holder)?;
        self.issue_end_entity(
            public_key,
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

    /// Certifies a Net Certificate issuer key under the current CA (digitalSignature, one
    /// year): the leaf of the `x5c` chain the issuer metadata publishes. Returns the
    /// certificate and the chain above it, DER, leaf first.
    pub(crate) async fn certify_net_certificate_issuer(
        &self,
        key: &VerifyingKey,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let (row, _) = self
            .issue_end_entity(
                key,
                EndEntity {
                    subject: "CN=netid Net Certificate issuer,O=netid",
                    profile: Profile::CredentialIssuer,
                    profile_name: "net-certificate-issuer",
                    validity: NET_CERTIFICATE_ISSUER_SECONDS,
                    holder: None,
                    platform: None,
                },
            )
            .await?;
        let issuer = self.issuer()?;
        Ok(vec![row.der, to_der(&issuer.issuing)?])
    }

    /// The suite of the CA that issues now, if certified.
    pub(crate) fn issuing_suite(&self) -> Option<SuiteId> {
        self.issuer().ok().map(|issuer| issuer.suite)
    }

    /// Issues a platform's mutual-TLS client certificate, naming it by its client id.
    pub(crate) async fn issue_platform_certificate(
        &self,
        client_id: &str,
        csr: &[u8],
    ) -> Result<(CertificateRow, String), Error> {
        let public_key = self.requested_key(csr)?;
        let subject = platform_subject(client_id);
        self.issue_end_entity(
            &public_key,
            EndEntity {
                subject: &subject,
                profile: Profile::PlatformClient,
                profile_name: PLATFORM_CERTIFICATE_PROFILE,
                validity: PLATFORM_CERTIFICATE_SECONDS,
                holder: None,
                platform: Some(client_id),
            },
        )
        .await
    }

    /// The key a PKCS#10 request proves possession of, if it is of this CA's suite.
    fn requested_key(&self, csr: &[u8]) -> Result<VerifyingKey, Error> {
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
        Ok(request.public_key)
    }

    async fn issue_end_entity(
        &self,
        public_key: &VerifyingKey,
        what: EndEntity<'_>,
    ) -> Result<(CertificateRow, String), Error> {
        let deps = &self.deps;
        let _issuing = self.changes.read().await;
        self.refresh().await?;
        let issuer = self.issuer()?;
        let now = now_seconds(deps)?;
        let mut template = CertificateTemplate::new(
            what.subject,
            what.profile,
            random_serial()?,
            now.saturating_sub(BACKDATE_SECONDS),
            now + what.validity,
        );
        template.crl_url = Some(self.crl_url(&issuer.key_id));
        template.ocsp_url = Some(format!("{}/v1/ca/ocsp", self.public_url));
        let certificate = netid_ca::issue(
            &template,
            public_key,
            Some(&issuer.issuing),
            issuer.issuing_key()?,
        )?;
        let certificate_row = row(
            &certificate,
            what.holder.map(|(holder, _)| holder),
            what.profile_name,
            now,
        )?;
        let log_entry = deps.log.entry(
            EntryKind::CertificateIssued,
            what.holder.map(|(_, log_key)| log_key),
            what.platform,
            deps.clock.now(),
        )?;
        deps.store
            .insert_certificate(certificate_row.clone(), log_entry)
            .await?;
        tracing::info!(target: "netid::security", event = "certificate_issued", profile = what.profile_name);
        Ok((certificate_row, netid_ca::to_pem(&certificate)?))
    }

    /// Revokes the certificate `serial`: one of the holder's when a holder asks, any when a
    /// CA officer does (the entry then names them). The entry goes to the certificate
    /// holder's history either way.
    pub(crate) async fn revoke(
        &self,
        by: Revoker<'_>,
        serial: &[u8],
        reason: RevocationReason,
    ) -> Result<bool, Error> {
        let (holder, officer) = match by {
            Revoker::Holder(holder) => (Some(holder), None),
            Revoker::Officer(id) => (None, Some(id)),
        };
        let deps = &self.deps;
        let _revoking = self.changes.read().await;
        self.refresh().await?;
        let row = deps
            .store
            .certificate(serial)
            .await?
            .filter(|row| holder.is_none_or(|holder| row.holder == Some(holder.id)))
            .ok_or(Refusal::Ca(CaRefusal::CertificateNotFound))?;
        let authority = self
            .generations()
            .authorities
            .iter()
            .find(|authority| authority.issued(&row.der))
            .cloned()
            .ok_or(Refusal::Ca(CaRefusal::CaNotCertified))?;
        if authority.status == CaGenerationStatus::HandedOver {
            return Err(Refusal::Ca(CaRefusal::CaHandedOver).into());
        }
        let owner = match row.holder {
            Some(id) => deps.store.holder(id).await?,
            None => None,
        };
        let log_key = owner
            .as_ref()
            .map(|owner| personal::log_key(&deps.keys.master, owner))
            .transpose()?;
        let log_entry = deps.log.entry_by(
            EntryKind::CertificateRevoked,
            log_key.as_ref(),
            None,
            officer.map(|id| (id, None)),
            deps.clock.now(),
        )?;
        let revoked = deps
            .store
            .revoke_certificate(
                serial,
                holder.map(|holder| holder.id),
                reason,
                log_entry,
                deps.clock.now(),
            )
            .await
            .map_err(|error| match error {
                netid_store::Error::NotFound { .. } => {
                    Error::from(Refusal::Ca(CaRefusal::CertificateNotFound))
                }
                other => other.into(),
            })?;
        tracing::info!(target: "netid::security", event = "certificate_revoked", changed = revoked, by_operator = holder.is_none());
        Ok(revoked)
    }
}

/// The holder's pseudonym in signing certificates: stable for the holder (relying parties of
/// electronic signatures recognise the signer again), unlinkable to their pairwise pseudonyms
/// at platforms and to their Net ID.
fn signing_pseudonym(deps: &Deps, holder: &HolderRow) -> Result<String, Error> {
    let net_id = personal::net_id(&deps.keys.master, holder)?;
    let tag = Suite::gm().mac(
        &deps.keys.pairwise,
        &[
            b"netid signing certificate subject v1",
            net_id.expose().as_bytes(),
        ],
    );
    Ok(hex::encode(tag.as_ref().get(..16).unwrap_or_default()))
}

/// Who revokes a certificate.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Revoker<'a> {
    /// The holder, one of their own.
    Holder(&'a HolderRow),
    /// A CA officer (their operator id), any.
    Officer(&'a str),
}
