//! The CA's own life: certification of its issuing key by the offline root, key rollover,
//! and its OCSP responders' certificates, renewed before they expire.

use super::*;

impl Ca {
    /// Installs an issuing CA certificate the offline root issued: for the current key (a
    /// renewal of the issuing certificate) or for the key a rollover waits for (which then
    /// becomes current, and the previous CA retires). Certifies an OCSP responder under it.
    pub(crate) async fn certify(
        &self,
        root_pem: &str,
        issuing_pem: &str,
        operator: &str,
    ) -> Result<CaStatus, Error> {
        let deps = &self.deps;
        let invalid = |reason: &str| {
            Refusal::Ca(CaRefusal::InvalidCertificate {
                reason: reason.to_owned(),
            })
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
        // Certificates name their issuer by the key identifier netid computes; an issuing
        // certificate that says otherwise (or nothing) could not be matched to them.
        let key_id = netid_ca::subject_key_identifier(&issuing);
        if key_id.is_none() || key_id != netid_ca::computed_key_identifier(&issuing) {
            return Err(invalid(
                "the issuing certificate's subject key identifier must be the RFC 7093 method-1 identifier of its key, as `netid ca sign-issuing` writes it",
            )
            .into());
        }
        let certified_key = spki_der(&issuing)?;
        let _changing = self.changes.write().await;
        self.refresh().await?;
        let generations = self.generations();
        let current = self.issuer().ok();
        let now = now_seconds(deps)?;
        let renewal = match &current {
            Some(current) => spki_der(&current.issuing)? == certified_key,
            None => false,
        };
        if let Some(current) = current.as_ref().filter(|_| renewal) {
            if current.issuing.tbs_certificate().subject() != issuing.tbs_certificate().subject() {
                return Err(invalid(
                    "a renewed issuing certificate must keep the subject name: the certificates it issued name it",
                )
                .into());
            }
        }
        let issuing_key = match (&current, &generations.pending) {
            (Some(current), _) if renewal => current.issuing_key()?,
            (_, Some(pending)) if pending.verifying_key().to_spki_der()? == certified_key => {
                pending
            }
            _ => {
                return Err(invalid(
                    "the issuing certificate certifies another key than this service's issuing key or the key awaiting a rollover",
                )
                .into());
            }
        };
        let (responder, responder_row) = issue_responder(
            now,
            &root,
            &issuing,
            issuing_key,
            generations.responder_key.verifying_key(),
            "CN=netid OCSP responder,O=netid",
            now + RESPONDER_CERTIFICATE_SECONDS,
        )
        .map_err(|error| match error {
            Error::Ca(error) => invalid(&error.to_string()).into(),
            other => other,
        })?;
        let (root, issuing, responder) = (to_der(&root)?, to_der(&issuing)?, to_der(&responder)?);
        let (change, kind) = match &current {
            Some(current) if renewal => (
                CaChange::Recertify {
                    id: current.id,
                    root,
                    issuing,
                    responder,
                },
                EntryKind::CertificateIssued,
            ),
            _ => (
                CaChange::Install(CaGeneration {
                    id: 0,
                    key_name: Some(generations.pending_name.clone()),
                    root,
                    issuing,
                    responder,
                    status: CaGenerationStatus::Current,
                    final_crl: None,
                    handover: None,
                }),
                if generations
                    .authorities
                    .iter()
                    .any(|authority| authority.status == CaGenerationStatus::Current)
                {
                    EntryKind::KeyRollover
                } else {
                    EntryKind::CertificateIssued
                },
            ),
        };
        let log_entry =
            deps.log
                .entry_by(kind, None, None, Some((operator, None)), deps.clock.now())?;
        deps.store
            .change_ca(change, vec![responder_row], log_entry, deps.clock.now())
            .await?;
        self.reload().await?;
        tracing::info!(target: "netid::security", event = "ca_certified", suite = self.suite.id().as_str(), kind = kind.as_str());
        self.status()
    }

    /// Starts an issuer-key rollover: makes the next issuing key, which the offline root then
    /// certifies like the first. Until that certificate is installed the current CA issues.
    pub(crate) async fn start_rollover(&self) -> Result<CaStatus, Error> {
        let deps = &self.deps;
        let _changing = self.changes.write().await;
        self.refresh().await?;
        self.issuer()?;
        let generations = self.generations();
        if generations.pending.is_none() {
            keys::load_or_add_signing_key(
                deps.store.as_ref(),
                deps.keys.place(),
                &generations.pending_name,
                &self.suite,
                deps.clock.now(),
            )
            .await?;
            self.reload().await?;
            tracing::info!(target: "netid::security", event = "ca_rollover_started");
        }
        self.status()
    }

    /// Renews each OCSP responder certificate of the service's own CAs that has less than 30
    /// days left (the same key, a new certificate). Returns whether it renewed any.
    pub(crate) async fn renew_responders_if_due(&self) -> Result<bool, Error> {
        let deps = &self.deps;
        let _changing = self.changes.write().await;
        self.refresh().await?;
        let generations = self.generations();
        let now = now_seconds(deps)?;
        let mut renewed = false;
        for authority in &generations.authorities {
            // A CA whose own certificate has ended answers for nothing that is still valid.
            let due = authority.issuing_key.is_some()
                && not_after(&authority.issuing) > now
                && authority.responder_not_after <= now + RENEW_RESPONDER_WITHIN_SECONDS;
            if !due {
                continue;
            }
            // One CA's failure must not keep the others' responders from being renewed.
            match self.renew_responder(authority, now).await {
                Ok(()) => renewed = true,
                Err(error) => tracing::warn!(
                    target: "netid::security",
                    event = "ocsp_responder_renewal_failed",
                    key_id = hex::encode(&authority.key_id),
                    %error
                ),
            }
        }
        if renewed {
            self.reload().await?;
        }
        Ok(renewed)
    }

    async fn renew_responder(&self, authority: &Authority, now: u64) -> Result<(), Error> {
        let deps = &self.deps;
        let responder_key = keys::load_or_add_signing_key(
            deps.store.as_ref(),
            deps.keys.place(),
            &responder_key_name(authority.suite),
            &Suite::new(authority.suite),
            deps.clock.now(),
        )
        .await?;
        let (responder, row) = issue_responder(
            now,
            &authority.root,
            &authority.issuing,
            authority.issuing_key()?,
            responder_key.verifying_key(),
            "CN=netid OCSP responder,O=netid",
            now + RESPONDER_CERTIFICATE_SECONDS,
        )?;
        let log_entry =
            deps.log
                .entry(EntryKind::CertificateIssued, None, None, deps.clock.now())?;
        deps.store
            .change_ca(
                CaChange::Recertify {
                    id: authority.id,
                    root: to_der(&authority.root)?,
                    issuing: to_der(&authority.issuing)?,
                    responder: to_der(&responder)?,
                },
                vec![row],
                log_entry,
                deps.clock.now(),
            )
            .await?;
        tracing::info!(target: "netid::security", event = "ocsp_responder_renewed");
        Ok(())
    }

    /// The CA's own certificates (roots and issuing CAs that still sign) whose validity ends
    /// before `before`: the start of the operator's renewal worklist.
    pub(crate) fn expiring_authorities(&self, before: u64) -> Vec<ExpiringCertificate> {
        let mut expiring: Vec<ExpiringCertificate> = Vec::new();
        for authority in &self.generations().authorities {
            if authority.issuing_key.is_none() {
                continue;
            }
            for (certificate, profile) in [
                (&authority.issuing, "issuing-ca"),
                (&authority.root, "root"),
            ] {
                let serial = hex::encode(certificate.tbs_certificate().serial_number().as_bytes());
                let ends = not_after(certificate);
                if ends <= before && !expiring.iter().any(|known| known.serial == serial) {
                    expiring.push(ExpiringCertificate {
                        serial,
                        profile: profile.to_owned(),
                        not_after: i64::try_from(ends).unwrap_or(i64::MAX),
                    });
                }
            }
        }
        expiring
    }
}

/// Issues an OCSP responder certificate for `responder_key` under `issuing`, valid from now
/// until `until`, and checks the path root → issuing → responder now.
pub(super) fn issue_responder(
    now: u64,
    root: &Certificate,
    issuing: &Certificate,
    issuing_key: &SigningKey,
    responder_key: &VerifyingKey,
    subject: &str,
    until: u64,
) -> Result<(Certificate, CertificateRow), Error> {
    let template = CertificateTemplate::new(
        subject,
        Profile::OcspResponder,
        random_serial()?,
        now.saturating_sub(BACKDATE_SECONDS),
        until,
    );
    let responder = netid_ca::issue(&template, responder_key, Some(issuing), issuing_key)?;
    // The whole path must hold now: the root and the issuing certificate are CAs that may
    // sign certificates, within their validity and path length.
    netid_ca::validate_path(
        &responder,
        std::slice::from_ref(issuing),
        std::slice::from_ref(root),
        now,
        &[],
    )?;
    let row = row(&responder, None, "ocsp-responder", now)?;
    Ok((responder, row))
}
