//! Platforms: registration, the fields they ask for and the operator's decisions, and their
//! OpenID Connect client settings.

use crate::backend::{HasBackend, lookup, read, write};
use crate::log::append_log;
use crate::sql::args;
use crate::sql::{FromRow, from_row};
use crate::types::stored_enum;
use crate::{Conflict, Error, Timestamp};

// Each read in the order of its query's columns.
from_row! {
    PlatformRow {
        client_id, credential_hash, sector, name, registered_at, status, status_since,
        status_reason, commitments_at
    }
    PlatformField { field, legal_basis, purpose, retention_days, status, approved_until }
}

/// The platforms and their profiles.
#[async_trait::async_trait]
pub trait Platforms: HasBackend {
    /// Registers a platform and appends `log_entry`; [`Error::AlreadyExists`] if its client id
    /// or sector is taken.
    async fn insert_platform(
        &self,
        platform: PlatformRow,
        log_entry: Vec<u8>,
    ) -> Result<(), Error> {
        write(self, "platform registration", move |db| {
            let sql = "INSERT INTO platforms (client_id, credential_hash, sector, name, \
                 registered_at, status, status_since, status_reason, commitments_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
            let args = args![
                &platform.client_id,
                &platform.credential_hash,
                &platform.sector,
                &platform.name,
                platform.registered_at,
                platform.status,
                platform.status_since,
                platform.status_reason.as_deref(),
                platform.commitments_at
            ];
            db.insert("insert platform", sql, args, |_| Conflict::Platform)?;
            append_log(db, &log_entry, None).map(drop)
        })
        .await
    }

    /// The platform with `client_id`.
    async fn platform(&self, client_id: &str) -> Result<Option<PlatformRow>, Error> {
        let client_id = client_id.to_owned();
        lookup(self, move |db| {
            let sql = "SELECT client_id, credential_hash, sector, name, registered_at, status, \
                 status_since, status_reason, commitments_at FROM platforms WHERE client_id = $1";
            db.optional(
                "read platform",
                sql,
                args![&client_id],
                PlatformRow::from_row,
            )
        })
        .await
    }

    /// Every platform, in registration order (the operator console's list).
    async fn platforms(&self) -> Result<Vec<PlatformRow>, Error> {
        read(self, move |db| {
            let sql = "SELECT client_id, credential_hash, sector, name, registered_at, status, \
                 status_since, status_reason, commitments_at FROM platforms \
                 ORDER BY registered_at, client_id COLLATE \"C\"";
            db.rows("read platforms", sql, args![], PlatformRow::from_row)
        })
        .await
    }

    /// Sets `client_id`'s standing to `status` for `reason` and appends `log_entry`, in one
    /// transaction; a removal ends the consents given to it, kept with that reason. `false`
    /// if the platform was removed before (removal is for good) or is unknown.
    async fn set_platform_status(
        &self,
        client_id: &str,
        status: PlatformStatus,
        reason: String,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<bool, Error> {
        let client_id = client_id.to_owned();
        write(self, "platform status", move |db| {
            let sql = "UPDATE platforms SET status = $2, status_since = $3, status_reason = $4 \
                 WHERE client_id = $1 AND status <> 'removed'";
            let args = args![&client_id, status, at, &reason];
            if db.execute("set platform status", sql, args)? != 1 {
                return Ok(false);
            }
            if status == PlatformStatus::Removed {
                let sql = "UPDATE consents SET withdrawn_at = $2, \
                     end_reason = 'platform_removed' WHERE client_id = $1 \
                     AND withdrawn_at IS NULL";
                db.execute("end consents", sql, args![&client_id, at])?;
            }
            append_log(db, &log_entry, None)?;
            Ok(true)
        })
        .await
    }

    /// Records that `client_id` declared the commitments of Art. 7 at `at`.
    async fn declare_commitments(&self, client_id: &str, at: Timestamp) -> Result<(), Error> {
        let client_id = client_id.to_owned();
        write(self, "commitments", move |db| {
            let sql = "UPDATE platforms SET commitments_at = $2 WHERE client_id = $1";
            db.execute("declare commitments", sql, args![&client_id, at])
                .map(drop)
        })
        .await
    }

    /// The client ids of the platforms whose pseudonym sector is `sector`, in byte order.
    async fn platforms_in_sector(&self, sector: &str) -> Result<Vec<String>, Error> {
        let sector = sector.to_owned();
        read(self, move |db| {
            let sql = "SELECT client_id FROM platforms WHERE sector = $1 \
                 ORDER BY client_id COLLATE \"C\"";
            db.values("read sector", sql, args![&sector])
        })
        .await
    }

    /// Replaces the fields `client_id` asks for with `fields`, each `requested` again (an
    /// approval covers what was asked, not what is asked next).
    async fn request_platform_fields(
        &self,
        client_id: &str,
        fields: Vec<PlatformField>,
        at: Timestamp,
    ) -> Result<(), Error> {
        let client_id = client_id.to_owned();
        write(self, "profile request", move |db| {
            let sql = "DELETE FROM platform_fields WHERE client_id = $1";
            db.execute("replace profile", sql, args![&client_id])?;
            // Consents were to the terms asked before: they end with them, and stay on
            // record, so that nothing revives them under terms the holder never saw.
            let sql = "UPDATE consents SET withdrawn_at = $2, end_reason = 'terms_changed' \
                 WHERE client_id = $1 AND withdrawn_at IS NULL";
            db.execute("end consents", sql, args![&client_id, at])?;
            for field in &fields {
                let sql = "INSERT INTO platform_fields (client_id, field, legal_basis, purpose, \
                     retention_days, status, changed_at, approved_until) \
                     VALUES ($1, $2, $3, $4, $5, 'requested', $6, NULL)";
                let args = args![
                    &client_id,
                    &field.field,
                    &field.legal_basis,
                    &field.purpose,
                    field.retention_days,
                    at
                ];
                db.execute("request a field", sql, args)?;
            }
            Ok(())
        })
        .await
    }

    /// Approves (`true`, until `approved_until`; again for a renewal) or refuses each
    /// requested field of `client_id` and appends `log_entry`, in one transaction;
    /// [`Error::NotFound`] if a field was not requested.
    async fn decide_platform_fields(
        &self,
        client_id: &str,
        decisions: Vec<(String, bool)>,
        approved_until: Timestamp,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error> {
        let client_id = client_id.to_owned();
        write(self, "profile decision", move |db| {
            for (field, approve) in &decisions {
                let (status, until) = if *approve {
                    (FieldStatus::Approved, Some(approved_until))
                } else {
                    (FieldStatus::Refused, None)
                };
                let sql = "UPDATE platform_fields SET status = $3, changed_at = $4, \
                     approved_until = $5 WHERE client_id = $1 AND field = $2";
                let args = args![&client_id, field, status, at, until];
                if db.execute("decide a field", sql, args)? != 1 {
                    return Err(Error::NotFound {
                        what: "requested field",
                    });
                }
                if !approve {
                    // Consents to a refused field end, kept with the reason.
                    let sql = "UPDATE consents SET withdrawn_at = $3, \
                         end_reason = 'field_refused' WHERE client_id = $1 AND field = $2 \
                         AND withdrawn_at IS NULL";
                    db.execute("end consents", sql, args![&client_id, field, at])?;
                }
            }
            append_log(db, &log_entry, None).map(drop)
        })
        .await
    }

    /// The fields `client_id` asked for, by field name.
    async fn platform_fields(&self, client_id: &str) -> Result<Vec<PlatformField>, Error> {
        let client_id = client_id.to_owned();
        read(self, move |db| {
            let sql = "SELECT field, legal_basis, purpose, retention_days, status, \
                 approved_until FROM platform_fields WHERE client_id = $1 ORDER BY field COLLATE \"C\"";
            db.rows(
                "read profile",
                sql,
                args![&client_id],
                PlatformField::from_row,
            )
        })
        .await
    }

    /// Sets (or replaces) a registered platform's OpenID Connect client settings.
    /// [`Error::NotFound`] if no platform has the client id.
    async fn set_oidc_client(&self, client: OidcClientRow) -> Result<(), Error> {
        let redirect_uris = serde_json::to_string(&client.redirect_uris)
            .map_err(|_| Error::Internal("redirect uris encoding"))?;
        write(self, "set oidc client", move |db| {
            let sql = "SELECT 1 FROM platforms WHERE client_id = $1";
            if !db.exists("read platform", sql, args![&client.client_id])? {
                return Err(Error::NotFound { what: "platform" });
            }
            let sql = "INSERT INTO oidc_clients (client_id, redirect_uris, jwks, id_token_alg, \
                 auth_method, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (client_id) DO UPDATE SET redirect_uris = excluded.redirect_uris, \
                 jwks = excluded.jwks, id_token_alg = excluded.id_token_alg, \
                 auth_method = excluded.auth_method, updated_at = excluded.updated_at";
            let args = args![
                &client.client_id,
                &redirect_uris,
                &client.jwks,
                client.id_token_suite.jose_alg(),
                client.auth_method,
                client.updated_at
            ];
            db.execute("set oidc client", sql, args).map(drop)
        })
        .await
    }

    /// A platform's OpenID Connect client settings, if it set them.
    async fn oidc_client(&self, client_id: &str) -> Result<Option<OidcClientRow>, Error> {
        let client_id = client_id.to_owned();
        read(self, move |db| {
            let sql = "SELECT client_id, redirect_uris, jwks, id_token_alg, updated_at, \
                 auth_method FROM oidc_clients WHERE client_id = $1";
            db.optional("read oidc client", sql, args![&client_id], |mut row| {
                Ok(OidcClientRow {
                    client_id: row.get(0)?,
                    redirect_uris: row.get(1)?,
                    jwks: row.get(2)?,
                    id_token_suite: {
                        let alg: String = row.get(3)?;
                        netid_crypto::SuiteId::from_jose_alg(&alg).ok_or(Error::Unreadable {
                            operation: "read oidc client",
                            index: 3,
                        })?
                    },
                    updated_at: row.get(4)?,
                    auth_method: row.get(5)?,
                })
            })
        })
        .await
    }
}

/// A registered platform (relying party).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformRow {
    /// The public client id.
    pub client_id: String,
    /// Hash of the platform's credential; the credential itself is never stored.
    pub credential_hash: Vec<u8>,
    /// The sector its pairwise pseudonyms are derived for.
    pub sector: String,
    /// A display name given by the operator.
    pub name: String,
    /// When it was registered.
    pub registered_at: Timestamp,
    /// Its standing: whether it may verify, sign people in and receive data.
    pub status: PlatformStatus,
    /// When two system administrators last set its standing (none: never).
    pub status_since: Option<Timestamp>,
    /// Why, in the operator's words (public in its profile).
    pub status_reason: Option<String>,
    /// When it last declared the commitments of Art. 7 (none: it has not).
    pub commitments_at: Option<Timestamp>,
}

stored_enum! {
    /// A platform's standing, as the operator's two-person act set it.
    pub enum PlatformStatus {
        /// It may verify, sign people in and receive what it is granted.
        Active = "active",
        /// Refused everything until reinstated; consents stay.
        Suspended = "suspended",
        /// Refused for good; the consents given to it ended.
        Removed = "removed",
    }
}

stored_enum! {
    /// How an OpenID Connect client authenticates at the token endpoint (RFC 8705 §2).
    pub enum ClientAuthMethod {
        /// A client assertion signed with one of its registered keys (RFC 7523).
        PrivateKeyJwt = "private_key_jwt",
        /// Its client certificate from netid's CA, over mutual TLS (RFC 8705).
        TlsClientAuth = "tls_client_auth",
    }
}

stored_enum! {
    /// Where a field a platform asked for stands: the operator's decision.
    pub enum FieldStatus {
        /// Asked for, not yet decided; releases nothing.
        Requested = "requested",
        /// Approved: released to the platform where the holder consents.
        Approved = "approved",
        /// Refused; releases nothing.
        Refused = "refused",
    }
}

/// A field a platform asks to receive in plaintext (Art. 7, 8), and the operator's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformField {
    /// The field (`net_id`, `name`, `birth_date`, ...).
    pub field: String,
    /// The law and article that allow it.
    pub legal_basis: String,
    /// What the platform needs it for.
    pub purpose: String,
    /// How long the platform keeps it, in days.
    pub retention_days: u32,
    /// The operator's decision.
    pub status: FieldStatus,
    /// Until when an approval holds (at most three years); none unless approved.
    pub approved_until: Option<Timestamp>,
}

/// A platform's OpenID Connect client settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcClientRow {
    /// The platform's client id.
    pub client_id: String,
    /// The redirect URIs it registered, compared exactly.
    pub redirect_uris: Vec<String>,
    /// Its public keys for `private_key_jwt`, a JWK Set as JSON text.
    pub jwks: String,
    /// The suite its ID tokens are signed with (stored as its JOSE `alg`).
    pub id_token_suite: netid_crypto::SuiteId,
    /// How it authenticates: the one method it registered.
    pub auth_method: ClientAuthMethod,
    /// When the settings were last set.
    pub updated_at: Timestamp,
}
