//! Net Certificates: the batches issued to a holder, and their status-list indexes.

use crate::HolderId;
use crate::backend::{HasBackend, read, write};
use crate::log::append_log;
use crate::sql::args;
use crate::{Conflict, Error, Timestamp};

/// The Net Certificates issued, by status-list index.
#[async_trait::async_trait]
pub trait NetCertificates: HasBackend {
    /// Records a `batch` of Net Certificates issued to its holder and appends its log entry, in one
    /// transaction, which first forgets every Net Certificate that expired before
    /// `forget_before` (its status index free again). Refuses, recording nothing:
    /// [`Error::NotFound`] if `wallet_key` is no longer the holder's current key (a recovery
    /// came first), [`Error::CredentialLimit`] if the holder would have more than `limit`
    /// unexpired at `now`, [`Error::AlreadyExists`] with [`Conflict::StatusIndex`] if an
    /// index is taken (draw new indexes).
    async fn issue_credentials(
        &self,
        batch: NewCredentials,
        limit: u64,
        now: Timestamp,
        forget_before: Timestamp,
    ) -> Result<(), Error> {
        let NewCredentials {
            holder,
            wallet_key,
            credentials,
            log_entry,
        } = batch;
        write(self, "net certificate issuance", move |db| {
            let sql = "SELECT 1 FROM holders WHERE id = $1 AND wallet_key_fingerprint = $2";
            if !db.exists("read holder", sql, args![holder, &wallet_key])? {
                return Err(Error::NotFound {
                    what: "holder with this wallet key",
                });
            }
            let sql = "DELETE FROM credentials WHERE expires_at < $1";
            db.execute("forget expired net certificates", sql, args![forget_before])?;
            let sql = "SELECT COUNT(*) FROM credentials WHERE holder_id = $1 AND expires_at > $2";
            let unexpired: u64 = db.value("count net certificates", sql, args![holder, now])?;
            let batch = u64::try_from(credentials.len()).unwrap_or(u64::MAX);
            if !netid_core::rules::within_credential_limit(unexpired, batch, limit) {
                return Err(Error::CredentialLimit { limit });
            }
            for credential in &credentials {
                let sql = "INSERT INTO credentials (suite, status_index, holder_id, issued_at, \
                     expires_at) VALUES ($1, $2, $3, $4, $5)";
                let args = args![
                    &credential.suite,
                    credential.status_index,
                    holder,
                    credential.issued_at,
                    credential.expires_at
                ];
                db.insert("insert net certificate", sql, args, |_| {
                    Conflict::StatusIndex
                })?;
            }
            append_log(db, &log_entry, Some(holder)).map(drop)
        })
        .await
    }

    /// The status-list indexes of `suite`'s revoked Net Certificates that expire after
    /// `since`.
    async fn revoked_credentials(
        &self,
        suite: netid_crypto::SuiteId,
        since: Timestamp,
    ) -> Result<Vec<u64>, Error> {
        read(self, move |db| {
            let sql = "SELECT status_index FROM credentials \
                 WHERE suite = $1 AND revoked_at IS NOT NULL AND expires_at > $2";
            db.values("read revoked net certificates", sql, args![suite, since])
        })
        .await
    }
}

/// A batch of Net Certificates to record ([`crate::NetCertificates::issue_credentials`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredentials {
    /// Whose.
    pub holder: HolderId,
    /// The fingerprint of the wallet key the holder asked with: still their current key.
    pub wallet_key: Vec<u8>,
    /// The Net Certificates.
    pub credentials: Vec<CredentialRow>,
    /// The issuance's log entry.
    pub log_entry: Vec<u8>,
}

/// A Net Certificate's place in its suite's status list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRow {
    /// Whose status list: the suite of the key that signed it.
    pub suite: netid_crypto::SuiteId,
    /// Its index in that list.
    pub status_index: u64,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// When it expires (after which its status no longer matters).
    pub expires_at: Timestamp,
}
