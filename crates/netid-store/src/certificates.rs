//! The X.509 certificates netid's CA issued or took over, and their revocation.

use crate::backend::{HasBackend, read, write};
use crate::log::append_log;
use crate::sql::{FromRow, Row, Sql, Value, args};
use crate::{Conflict, Error, HolderId, Timestamp};
use netid_ca::RevocationReason;

/// The CA's record of the certificates it answers for.
#[async_trait::async_trait]
pub trait Certificates: HasBackend {
    /// Records a certificate the CA issued and appends `log_entry` (an entry of the
    /// certificate's holder, if any), in one transaction.
    async fn insert_certificate(
        &self,
        certificate: CertificateRow,
        log_entry: Vec<u8>,
    ) -> Result<(), Error> {
        write(self, "certificate issuance", move |db| {
            insert_certificate_row(db, &certificate)?;
            append_log(db, &log_entry, certificate.holder).map(drop)
        })
        .await
    }

    /// Every certificate the CA issued or took over, oldest first (for a handover).
    async fn certificates(&self) -> Result<Vec<CertificateRow>, Error> {
        read(self, |db| {
            let filter = "TRUE ORDER BY issued_at, serial";
            certificate_rows(db, "read certificates", filter, args![])
        })
        .await
    }

    /// The certificate with `serial`.
    async fn certificate(&self, serial: &[u8]) -> Result<Option<CertificateRow>, Error> {
        let serial = serial.to_vec();
        read(self, move |db| {
            let found = certificate_rows(db, "read certificate", "serial = $1", args![&serial])?;
            Ok(found.into_iter().next())
        })
        .await
    }

    /// The certificates issued to `holder` that are not revoked.
    async fn holder_certificates(&self, holder: HolderId) -> Result<Vec<CertificateRow>, Error> {
        read(self, move |db| {
            let filter = "holder_id = $1 AND revoked_at IS NULL ORDER BY issued_at, serial";
            certificate_rows(db, "read holder certificates", filter, args![holder])
        })
        .await
    }

    /// The certificates not revoked whose validity ends at or before `before`, soonest first.
    async fn expiring_certificates(&self, before: Timestamp) -> Result<Vec<CertificateRow>, Error> {
        read(self, move |db| {
            let filter = "revoked_at IS NULL AND not_after <= $1 ORDER BY not_after, serial";
            certificate_rows(db, "read expiring certificates", filter, args![before])
        })
        .await
    }

    /// Per profile: how many certificates the CA issued and how many of them are revoked.
    async fn certificate_counts(&self) -> Result<Vec<(String, u64, u64)>, Error> {
        read(self, |db| {
            let sql = "SELECT profile, COUNT(*), COUNT(revoked_at) FROM certificates \
                 GROUP BY profile ORDER BY profile COLLATE \"C\"";
            db.rows("count certificates", sql, args![], FromRow::from_row)
        })
        .await
    }

    /// Revokes the certificate `serial` at `at` for `reason` and appends `log_entry`, in one
    /// transaction. With `holder` given, only that holder's certificate. Returns `false`, and
    /// appends nothing, if it was already revoked; [`Error::NotFound`] if there is no such
    /// certificate (of that holder).
    async fn revoke_certificate(
        &self,
        serial: &[u8],
        holder: Option<HolderId>,
        reason: RevocationReason,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<bool, Error> {
        let serial = serial.to_vec();
        write(self, "revocation", move |db| {
            let sql = "SELECT holder_id, revoked_at FROM certificates WHERE serial = $1";
            let found = db.optional("read certificate", sql, args![&serial], Ok)?;
            let Some(mut found) = found else {
                return Err(Error::NotFound {
                    what: "certificate",
                });
            };
            let (owner, revoked_at): (Option<HolderId>, Option<i64>) =
                (found.get(0)?, found.get(1)?);
            if holder.is_some_and(|holder| owner != Some(holder)) {
                return Err(Error::NotFound {
                    what: "certificate",
                });
            }
            if revoked_at.is_some() {
                return Ok(false);
            }
            let sql = "UPDATE certificates SET revoked_at = $2, reason = $3 WHERE serial = $1";
            db.execute("revoke certificate", sql, args![&serial, at, reason])?;
            append_log(db, &log_entry, owner)?;
            Ok(true)
        })
        .await
    }

    /// The revoked certificates that have not yet expired at `now`, for the CRL.
    async fn revoked_certificates(&self, now: Timestamp) -> Result<Vec<CertificateRow>, Error> {
        read(self, move |db| {
            let filter = "revoked_at IS NOT NULL AND not_after > $1 ORDER BY revoked_at, serial";
            certificate_rows(db, "read revoked certificates", filter, args![now])
        })
        .await
    }
}

const CERTIFICATE_COLUMNS: &str =
    "serial, holder_id, profile, der, not_after, issued_at, revoked_at, reason";

fn certificate_row(mut row: Row) -> Result<CertificateRow, Error> {
    let revoked_at: Option<Timestamp> = row.get(6)?;
    let reason: Option<RevocationReason> = row.get(7)?;
    Ok(CertificateRow {
        serial: row.get(0)?,
        holder: row.get(1)?,
        profile: row.get(2)?,
        der: row.get(3)?,
        not_after: row.get(4)?,
        issued_at: row.get(5)?,
        revoked: revoked_at.zip(reason),
    })
}

/// The certificates matching `filter` (SQL after `WHERE`: a condition on `args`, and an
/// order).
fn certificate_rows(
    db: &mut dyn Sql,
    operation: &'static str,
    filter: &str,
    args: &[Value<'_>],
) -> Result<Vec<CertificateRow>, Error> {
    let sql = format!("SELECT {CERTIFICATE_COLUMNS} FROM certificates WHERE {filter}");
    db.rows(operation, &sql, args, certificate_row)
}

/// Records `certificate` inside the transaction of `db`.
pub(crate) fn insert_certificate_row(
    db: &mut dyn Sql,
    certificate: &CertificateRow,
) -> Result<(), Error> {
    let (revoked_at, reason) = certificate
        .revoked
        .as_ref()
        .map_or((None, None), |(at, reason)| (Some(*at), Some(*reason)));
    let sql = format!(
        "INSERT INTO certificates ({CERTIFICATE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    );
    let args = args![
        &certificate.serial,
        certificate.holder,
        &certificate.profile,
        &certificate.der,
        certificate.not_after,
        certificate.issued_at,
        revoked_at,
        reason
    ];
    db.insert("insert certificate", &sql, args, |_| Conflict::Certificate)
        .map(drop)
}

/// A certificate the CA issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRow {
    /// The serial number's bytes (the DER INTEGER's content).
    pub serial: Vec<u8>,
    /// The holder it was issued to, if any.
    pub holder: Option<HolderId>,
    /// The profile it was issued under (`holder-signing`, `ocsp-responder`, ...).
    pub profile: String,
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// End of its validity.
    pub not_after: Timestamp,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// When and why it was revoked, if it was.
    pub revoked: Option<(Timestamp, RevocationReason)>,
}

/// A revocation to carry out inside another act's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// The certificate's serial number bytes.
    pub serial: Vec<u8>,
    /// Why.
    pub reason: RevocationReason,
    /// The log entry to append if the certificate is revoked now.
    pub log_entry: Vec<u8>,
}
