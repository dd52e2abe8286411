//! The CA's generations (issuing CAs it answers for) and the foreign CAs it recognises.

use crate::backend::{HasBackend, read, write};
use crate::certificates::insert_certificate_row;
use crate::log::append_log;
use crate::sql::{FromRow, Sql, args, from_row};
use crate::types::stored_enum;
use crate::{CertificateRow, Error, Timestamp};

// Each read in the order of its query's columns.
from_row! {
    CaGeneration { id, key_name, root, issuing, responder, status, final_crl, handover }
    ForeignCaRow {
        name, der, qualification, certificate_type, technical_standard, scenarios, recognised_at
    }
}

/// The CA's generations and recognitions.
#[async_trait::async_trait]
pub trait CaRecords: HasBackend {
    /// The issuing CAs the service answers for, oldest first.
    async fn ca_generations(&self) -> Result<Vec<CaGeneration>, Error> {
        read(self, |db| {
            let sql = "SELECT id, key_name, root, issuing, responder, status, final_crl, \
                 handover FROM ca_generations ORDER BY id";
            db.rows("read ca generations", sql, args![], CaGeneration::from_row)
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
            db.rows("read foreign cas", sql, args![], ForeignCaRow::from_row)
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

/// One issuing CA whose certificates the service answers for: its own current one, its own
/// earlier ones after a key rollover, or a predecessor's it took over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaGeneration {
    /// Assigned by the store.
    pub id: i64,
    /// The name of its issuing key among the sealed service keys; `None` for an inherited CA
    /// (the service never holds a predecessor's key) and for the first CA of schema 6, whose
    /// key has its suite's default name.
    pub key_name: Option<String>,
    /// The offline root, DER.
    pub root: Vec<u8>,
    /// The issuing CA certificate, DER.
    pub issuing: Vec<u8>,
    /// The OCSP responder certificate that answers for it, DER.
    pub responder: Vec<u8>,
    /// Where it stands.
    pub status: CaGenerationStatus,
    /// Its last CRL, DER, once it issues no more (handed over or inherited).
    pub final_crl: Option<Vec<u8>>,
    /// The signed handover package, on the generation that was current at the handover.
    pub handover: Option<Vec<u8>>,
}

stored_enum! {
    /// Where a [`CaGeneration`] stands.
    pub enum CaGenerationStatus {
        /// Issues certificates now; at most one is current.
        Current = "current",
        /// Rolled over: issues nothing new, still signs status for what it issued.
        Retired = "retired",
        /// A predecessor's: status is answered by a responder the predecessor certified.
        Inherited = "inherited",
        /// Handed over to a successor: this service answers nothing more for it.
        HandedOver = "handed_over",
    }
}

/// A change to the CA's generations, made in one transaction with the certificates it issues
/// and its log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaChange {
    /// A newly certified issuing CA becomes current (its `id` is ignored); the current one,
    /// if any, retires.
    Install(CaGeneration),
    /// New certificates for generation `id` (a renewed issuing or responder certificate);
    /// only a current or retired one.
    Recertify {
        /// The generation.
        id: i64,
        /// The root, DER.
        root: Vec<u8>,
        /// The issuing CA certificate, DER.
        issuing: Vec<u8>,
        /// The responder certificate, DER.
        responder: Vec<u8>,
    },
    /// A predecessor's CAs (`id`s ignored, status inherited) whose status this service
    /// answers from now on.
    Inherit(Vec<CaGeneration>),
    /// The listed current and retired generations are handed over, each with its final CRL
    /// (any other id refuses the whole change); the current one keeps the signed package, so
    /// that it can be fetched again.
    HandOver {
        /// Generation id and its final CRL, DER.
        final_crls: Vec<(i64, Vec<u8>)>,
        /// The signed handover package.
        package: Vec<u8>,
    },
}

/// A foreign CA the operator recognises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignCaRow {
    /// The operator's name for it.
    pub name: String,
    /// Its root certificate, DER.
    pub der: Vec<u8>,
    /// Its qualification (licence, supervisor), as documented.
    pub qualification: String,
    /// The type of certificates it issues.
    pub certificate_type: String,
    /// The technical standard its certificates follow.
    pub technical_standard: String,
    /// The application scenarios its certificates are recognised for.
    pub scenarios: Vec<String>,
    /// When it was recognised.
    pub recognised_at: Timestamp,
}
