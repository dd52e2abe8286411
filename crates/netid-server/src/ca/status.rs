//! The CA's status services: CRLs (RFC 5280) and OCSP (RFC 6960), made from the store when
//! asked, with CRL numbers that strictly increase.

use super::*;
use crate::error::CaRefusal;

impl Ca {
    /// The CRL (DER) of the CA with subject key identifier `key_id`, or of the current CA:
    /// made now for a CA that still signs, its final CRL otherwise.
    pub(crate) async fn crl(&self, key_id: Option<&[u8]>) -> Result<Vec<u8>, Error> {
        self.refresh().await?;
        // Certificates issued before schema 7 name `/v1/ca/crl`: it stays their CA's CRL.
        let legacy = || {
            self.generations()
                .authorities
                .iter()
                .find(|authority| authority.legacy)
                .cloned()
        };
        let authority = match key_id {
            Some(key_id) => self.authority(key_id)?,
            None => match legacy() {
                Some(authority) => authority,
                None => self.issuer()?,
            },
        };
        self.crl_of(&authority).await
    }

    pub(super) async fn crl_of(&self, authority: &Authority) -> Result<Vec<u8>, Error> {
        if let Some(crl) = &authority.final_crl {
            return Ok(crl.clone());
        }
        let now = now_seconds(&self.deps)?;
        let crl = signed_crl(self, authority, now, now + STATUS_VALIDITY_SECONDS).await?;
        der::Encode::to_der(&crl).map_err(|_| Error::Internal("crl encoding"))
    }

    /// The OCSP response (DER) to the DER `request`, from the responder of the CA it asks
    /// about; `unauthorized` for a CA this service does not (or no longer) answer for.
    pub(crate) async fn ocsp(&self, request: &[u8]) -> Result<Vec<u8>, Error> {
        self.refresh().await?;
        let deps = &self.deps;
        let generations = self.generations();
        let Some(first) = generations.authorities.first() else {
            return Err(Refusal::Ca(CaRefusal::CaNotCertified).into());
        };
        let now = now_seconds(deps)?;
        let next_update = now + STATUS_VALIDITY_SECONDS;
        let Some(authority) = generations
            .authorities
            .iter()
            .find(|authority| authority.responder.answers_for(request))
        else {
            // Malformed, or about someone else's CA: the responder says which, signing nothing.
            return Ok(first
                .responder
                .respond(request, now, next_update, |_| CertificateStatus::Unknown)?);
        };
        if authority.status == CaGenerationStatus::HandedOver {
            return Ok(netid_ca::ocsp_failure_response(OcspFailure::Unauthorized)?);
        }
        let mut statuses = Vec::new();
        for serial in netid_ca::requested_serials(request) {
            let status = match deps.store.certificate(serial.as_bytes()).await? {
                Some(row) if authority.issued(&row.der) => match row.revoked {
                    Some((at, reason)) => CertificateStatus::Revoked {
                        revoked_at: u64::try_from(at.0).unwrap_or(0),
                        reason,
                    },
                    None => CertificateStatus::Good,
                },
                _ => CertificateStatus::Unknown,
            };
            statuses.push((serial, status));
        }
        Ok(authority
            .responder
            .respond(request, now, next_update, |serial| {
                statuses
                    .iter()
                    .find(|(known, _)| known == serial)
                    .map_or(CertificateStatus::Unknown, |(_, status)| *status)
            })?)
    }
}

/// A CRL of `authority`, signed with its key, listing its revoked certificates that have not
/// expired.
pub(super) async fn signed_crl(
    ca: &Ca,
    authority: &Authority,
    now: u64,
    next_update: u64,
) -> Result<CertificateList, Error> {
    let deps = &ca.deps;
    let mut revoked = Vec::new();
    for row in deps.store.revoked_certificates(deps.clock.now()).await? {
        if !authority.issued(&row.der) {
            continue;
        }
        let (at, reason) = row
            .revoked
            .ok_or(Error::Internal("a listed certificate is not revoked"))?;
        revoked.push(RevokedEntry {
            serial: SerialNumber::new(&row.serial)
                .map_err(|_| Error::Internal("a stored serial number"))?,
            revoked_at: u64::try_from(at.0).unwrap_or(0),
            reason,
        });
    }
    let number = ca
        .last_crl_number
        .fetch_update(
            std::sync::atomic::Ordering::SeqCst,
            std::sync::atomic::Ordering::SeqCst,
            |last| Some(next_crl_number(last, now)),
        )
        .map_or(now << 20, |last| next_crl_number(last, now));
    Ok(netid_ca::issue_crl(
        &authority.issuing,
        authority.issuing_key()?,
        number,
        now,
        next_update,
        &revoked,
    )?)
}

/// The CRL number after `last` for a CRL made at `now` (Unix seconds): the second shifted
/// left by 20 bits, or one more than `last` when that is not larger. So numbers strictly
/// increase (RFC 5280 §5.2.3) for CRLs made in one second, and across restarts while fewer
/// than a million are made a second and the clock does not go back.
fn next_crl_number(last: u64, now: u64) -> u64 {
    (now << 20).max(last.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crl_numbers_grow_within_a_second_and_past_the_old_second_numbers() {
        let first = next_crl_number(0, 1_800_000_000);
        // Numbers of the same second, and of a clock that went back, still grow.
        let second = next_crl_number(first, 1_800_000_000);
        let third = next_crl_number(second, 1_799_999_999);
        assert!(first < second && second < third);
        // The next second starts above them; every number is above the old seconds-only ones.
        assert!(next_crl_number(third, 1_800_000_001) > third);
        assert!(first > 1_800_000_000);
    }
}
