//! The X.509 certificates netid's CA issued or took over, and their revocation.

use crate::backend::{HasBackend, read, write};
use crate::log::append_log;
use crate::sql::{Row, Sql, args};
use crate::{CertificateRow, Conflict, Error, HolderId, Timestamp};

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
            certificate_rows(db, "read certificates", "TRUE", None, "issued_at, serial")
        })
        .await
    }

    /// The certificate with `serial`.
    async fn certificate(&self, serial: &[u8]) -> Result<Option<CertificateRow>, Error> {
        let serial = serial.to_vec();
        read(self, move |db| {
            let sql = format!("SELECT {CERTIFICATE_COLUMNS} FROM certificates WHERE serial = $1");
            db.optional("read certificate", &sql, args![&serial], certificate_row)
        })
        .await
    }

    /// The certificates issued to `holder` that are not revoked.
    async fn holder_certificates(&self, holder: HolderId) -> Result<Vec<CertificateRow>, Error> {
        read(self, move |db| {
            let condition = "holder_id = $1 AND revoked_at IS NULL";
            let order = "issued_at, serial";
            certificate_rows(
                db,
                "read holder certificates",
                condition,
                Some(holder.0),
                order,
            )
        })
        .await
    }

    /// The certificates not revoked whose validity ends at or before `before`, soonest first.
    async fn expiring_certificates(&self, before: Timestamp) -> Result<Vec<CertificateRow>, Error> {
        read(self, move |db| {
            let condition = "revoked_at IS NULL AND not_after <= $1";
            let order = "not_after, serial";
            certificate_rows(
                db,
                "read expiring certificates",
                condition,
                Some(before.0),
                order,
            )
        })
        .await
    }

    /// Per profile: how many certificates the CA issued and how many of them are revoked.
    async fn certificate_counts(&self) -> Result<Vec<(String, u64, u64)>, Error> {
        read(self, |db| {
            let sql = "SELECT profile, COUNT(*), COUNT(revoked_at) FROM certificates \
                 GROUP BY profile ORDER BY profile COLLATE \"C\"";
            db.rows("count certificates", sql, args![], |mut row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
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
        reason: &str,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<bool, Error> {
        let serial = serial.to_vec();
        let reason = reason.to_owned();
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
            db.execute("revoke certificate", sql, args![&serial, at, &reason])?;
            append_log(db, &log_entry, owner)?;
            Ok(true)
        })
        .await
    }

    /// The revoked certificates that have not yet expired at `now`, for the CRL.
    async fn revoked_certificates(&self, now: Timestamp) -> Result<Vec<CertificateRow>, Error> {
        read(self, move |db| {
            let condition = "revoked_at IS NOT NULL AND not_after > $1";
            let order = "revoked_at, serial";
            certificate_rows(
                db,
                "read revoked certificates",
                condition,
                Some(now.0),
                order,
            )
        })
        .await
    }
}

const CERTIFICATE_COLUMNS: &str =
    "serial, holder_id, profile, der, not_after, issued_at, revoked_at, reason";

fn certificate_row(mut row: Row) -> Result<CertificateRow, Error> {
    let revoked_at: Option<Timestamp> = row.get(6)?;
    let reason: Option<String> = row.get(7)?;
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

/// The certificates matching `condition` (SQL after `WHERE`, with one parameter `$1` if it
/// uses one), in `order`.
fn certificate_rows(
    db: &mut dyn Sql,
    operation: &'static str,
    condition: &str,
    parameter: Option<i64>,
    order: &str,
) -> Result<Vec<CertificateRow>, Error> {
    let sql = format!(
        "SELECT {CERTIFICATE_COLUMNS} FROM certificates WHERE {condition} ORDER BY {order}"
    );
    let args = match parameter {
        Some(value) => vec![value.into()],
        None => Vec::new(),
    };
    db.rows(operation, &sql, &args, certificate_row)
}

/// Records `certificate` inside the transaction of `db`.
pub(crate) fn insert_certificate_row(
    db: &mut dyn Sql,
    certificate: &CertificateRow,
) -> Result<(), Error> {
    let (revoked_at, reason) = certificate
        .revoked
        .as_ref()
        .map_or((None, None), |(at, reason)| (Some(*at), Some(reason)));
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
