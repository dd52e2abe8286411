//! The CA's generations (issuing CAs it answers for) and the foreign CAs it recognises.

use crate::backend::{HasBackend, read, write};
use crate::certificates::insert_certificate_row;
use crate::log::append_log;
use crate::sql::{Sql, args};
use crate::{
    CaChange, CaGeneration, CaGenerationStatus, CertificateRow, Error, ForeignCaRow, Timestamp,
};

/// The CA's generations and recognitions.
#[async_trait::async_trait]
pub trait CaRecords: HasBackend {
    /// The issuing CAs the service answers for, oldest first.
    async fn ca_generations(&self) -> Result<Vec<CaGeneration>, Error> {
        read(self, |db| {
            let sql = "SELECT id, key_name, root, issuing, responder, status, final_crl, \
                 handover FROM ca_generations ORDER BY id";
            db.rows("read ca generations", sql, args![], |mut row| {
                Ok(CaGeneration {
                    id: row.get(0)?,
                    key_name: row.get(1)?,
                    root: row.get(2)?,
                    issuing: row.get(3)?,
                    responder: row.get(4)?,
                    status: row.get(5)?,
                    final_crl: row.get(6)?,
                    handover: row.get(7)?,
                })
            })
        })
        .await
    }

    /// Makes `change` to the CA's generations, records `issued` (the certificates the CA
    /// issued for itself, such as its OCSP responder's, or a predecessor's records it took
    /// over) and appends `log_entry`, in one transaction.
    async fn change_ca(
        &self,
        change: CaChange,
        issued: Vec<CertificateRow>,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error> {
        write(self, "ca change", move |db| {
            apply(db, &change, at)?;
            for certificate in &issued {
                insert_certificate_row(db, certificate)?;
            }
            append_log(db, &log_entry, None).map(drop)
        })
        .await
    }

    /// Recognises a foreign CA (or replaces the recognition of one of the same name, lifting
    /// a withdrawal) and appends `log_entry`, in one transaction.
    async fn recognise_foreign_ca(
        &self,
        ca: ForeignCaRow,
        log_entry: Vec<u8>,
    ) -> Result<(), Error> {
        let scenarios = serde_json::to_string(&ca.scenarios)
            .map_err(|_| Error::Internal("scenarios encoding"))?;
        write(self, "recognition", move |db| {
            let sql = "INSERT INTO foreign_cas (name, der, qualification, certificate_type, \
                 technical_standard, scenarios, recognised_at, withdrawn_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, NULL) ON CONFLICT (name) DO UPDATE SET \
                 der = excluded.der, qualification = excluded.qualification, \
                 certificate_type = excluded.certificate_type, \
                 technical_standard = excluded.technical_standard, \
                 scenarios = excluded.scenarios, recognised_at = excluded.recognised_at, \
                 withdrawn_at = NULL";
            let args = args![
                &ca.name,
                &ca.der,
                &ca.qualification,
                &ca.certificate_type,
                &ca.technical_standard,
                &scenarios,
                ca.recognised_at
            ];
            db.execute("recognise foreign ca", sql, args)?;
            append_log(db, &log_entry, None).map(drop)
        })
        .await
    }

    /// Withdraws the recognition of the foreign CA `name` at `at` and appends `log_entry`;
    /// `false`, appending nothing, if it was not recognised.
    async fn withdraw_foreign_ca(
        &self,
        name: &str,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<bool, Error> {
        let name = name.to_owned();
        write(self, "withdrawal", move |db| {
            let sql = "UPDATE foreign_cas SET withdrawn_at = $2 \
                 WHERE name = $1 AND withdrawn_at IS NULL";
            if db.execute("withdraw foreign ca", sql, args![&name, at])? == 0 {
                return Ok(false);
            }
            append_log(db, &log_entry, None)?;
            Ok(true)
        })
        .await
    }

    /// The foreign CAs recognised now (not withdrawn), by name.
    async fn foreign_cas(&self) -> Result<Vec<ForeignCaRow>, Error> {
        read(self, |db| {
            let sql = "SELECT name, der, qualification, certificate_type, technical_standard, \
                 scenarios, recognised_at FROM foreign_cas WHERE withdrawn_at IS NULL \
                 ORDER BY name COLLATE \"C\"";
            db.rows("read foreign cas", sql, args![], |mut row| {
                let scenarios: String = row.get(5)?;
                Ok(ForeignCaRow {
                    name: row.get(0)?,
                    der: row.get(1)?,
                    qualification: row.get(2)?,
                    certificate_type: row.get(3)?,
                    technical_standard: row.get(4)?,
                    scenarios: serde_json::from_str(&scenarios).map_err(|_| Error::Corrupt {
                        column: "foreign_cas.scenarios",
                    })?,
                    recognised_at: row.get(6)?,
                })
            })
        })
        .await
    }
}

/// Records a generation with `status`; its id is the highest plus one, under the write lock.
fn insert_generation(
    db: &mut dyn Sql,
    generation: &CaGeneration,
    status: CaGenerationStatus,
    at: Timestamp,
) -> Result<(), Error> {
    let sql = "INSERT INTO ca_generations \
         (id, key_name, root, issuing, responder, status, final_crl, changed_at) \
         VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM ca_generations), \
         $1, $2, $3, $4, $5, $6, $7)";
    let args = args![
        generation.key_name.as_ref(),
        &generation.root,
        &generation.issuing,
        &generation.responder,
        status,
        generation.final_crl.as_ref(),
        at
    ];
    db.execute("insert ca generation", sql, args).map(drop)
}

/// Makes `change` inside the transaction of `db`.
fn apply(db: &mut dyn Sql, change: &CaChange, at: Timestamp) -> Result<(), Error> {
    match change {
        CaChange::Install(generation) => {
            let sql = "UPDATE ca_generations SET status = 'retired', changed_at = $1 \
                 WHERE status = 'current'";
            db.execute("retire the current ca", sql, args![at])?;
            insert_generation(db, generation, CaGenerationStatus::Current, at)
        }
        CaChange::Recertify {
            id,
            root,
            issuing,
            responder,
        } => {
            let sql = "UPDATE ca_generations SET root = $2, issuing = $3, responder = $4, \
                 changed_at = $5 WHERE id = $1 AND status IN ('current', 'retired')";
            let args = args![*id, root, issuing, responder, at];
            if db.execute("recertify a ca", sql, args)? != 1 {
                return Err(Error::NotFound {
                    what: "ca generation",
                });
            }
            Ok(())
        }
        CaChange::Inherit(generations) => generations.iter().try_for_each(|generation| {
            insert_generation(db, generation, CaGenerationStatus::Inherited, at)
        }),
        CaChange::HandOver {
            final_crls,
            package,
        } => {
            let sql = "UPDATE ca_generations SET handover = $1 WHERE status = 'current'";
            db.execute("record the handover package", sql, args![package])?;
            for (id, crl) in final_crls {
                let sql = "UPDATE ca_generations SET status = 'handed_over', final_crl = $2, \
                     changed_at = $3 WHERE id = $1 AND status IN ('current', 'retired')";
                if db.execute("hand over a ca", sql, args![*id, crl, at])? != 1 {
                    return Err(Error::NotFound {
                        what: "ca generation that still signs",
                    });
                }
            }
            Ok(())
        }
    }
}
