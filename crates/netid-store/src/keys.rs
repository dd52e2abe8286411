//! Service keys, operator credentials, and master-key rotation.

use crate::HolderId;
use crate::backend::{HasBackend, read, write};
use crate::sql::{FromRow, Sql, args, from_row};
use crate::{Conflict, Error, Timestamp};

// Each read in the order of its query's columns.
from_row! {
    SealedTagKey { log_index, holder, sealed }
}

/// The sealed service keys and the operator credentials' hashes.
#[async_trait::async_trait]
pub trait Keys: HasBackend {
    /// The sealed bytes of the service key `name`, if it exists.
    async fn service_key(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        let name = name.to_owned();
        read(self, move |db| {
            let sql = "SELECT sealed FROM service_keys WHERE name = $1";
            db.optional("read service key", sql, args![&name], |mut row| row.get(0))
        })
        .await
    }

    /// Stores a new service key; [`Error::AlreadyExists`] if `name` is taken.
    async fn insert_service_key(
        &self,
        name: &str,
        sealed: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error> {
        let name = name.to_owned();
        write(self, "insert service key", move |db| {
            insert_key(db, &name, &sealed, at)
        })
        .await
    }

    /// Replaces the sealed value of the service key `name` ([`Error::NotFound`] if there is
    /// none): a key moved into a token leaves its reference in its place.
    async fn replace_service_key(&self, name: &str, sealed: Vec<u8>) -> Result<(), Error> {
        let name = name.to_owned();
        write(self, "replace service key", move |db| {
            let sql = "UPDATE service_keys SET sealed = $2 WHERE name = $1";
            match db.execute("replace service key", sql, args![&name, &sealed])? {
                0 => Err(Error::NotFound {
                    what: "service key",
                }),
                _ => Ok(()),
            }
        })
        .await
    }

    /// Whether the store holds any service key (a database that has been initialised).
    async fn has_service_keys(&self) -> Result<bool, Error> {
        read(self, |db| {
            let sql = "SELECT EXISTS (SELECT 1 FROM service_keys)";
            db.value("count service keys", sql, args![])
        })
        .await
    }

    /// Every service key: its name and sealed value.
    async fn service_keys(&self) -> Result<Vec<(String, Vec<u8>)>, Error> {
        read(self, |db| {
            let sql = "SELECT name, sealed FROM service_keys ORDER BY name COLLATE \"C\"";
            db.rows("read service keys", sql, args![], FromRow::from_row)
        })
        .await
    }

    /// First run: stores every sealed service key in one transaction, so an interrupted first
    /// run leaves nothing behind and simply runs again.
    async fn initialise(
        &self,
        service_keys: Vec<(String, Vec<u8>)>,
        at: Timestamp,
    ) -> Result<(), Error> {
        write(self, "first-run initialisation", move |db| {
            for (name, sealed) in &service_keys {
                insert_key(db, name, sealed, at)?;
            }
            Ok(())
        })
        .await
    }

    /// The tag keys of operator reads with a deferred notice that still hold one.
    async fn sealed_tag_keys(&self) -> Result<Vec<SealedTagKey>, Error> {
        read(self, |db| {
            let sql = "SELECT log_index, holder_id, sealed_tag_key FROM operator_reads \
                 WHERE sealed_tag_key IS NOT NULL AND holder_id IS NOT NULL ORDER BY log_index";
            db.rows("read tag keys", sql, args![], SealedTagKey::from_row)
        })
        .await
    }

    /// Master-key rotation's last step, in one transaction: replaces the service keys, tag
    /// keys and use-link keys named with these values sealed under the new key, and deletes the service key
    /// `marker` that said a rotation was under way.
    async fn finish_master_key_rotation(
        &self,
        service_keys: Vec<(String, Vec<u8>)>,
        tag_keys: Vec<SealedTagKey>,
        use_link_keys: Vec<(Timestamp, Vec<u8>)>,
        marker: &str,
    ) -> Result<(), Error> {
        let marker = marker.to_owned();
        write(self, "finish the rotation", move |db| {
            for (name, sealed) in &service_keys {
                let sql = "UPDATE service_keys SET sealed = $2 WHERE name = $1";
                db.execute("reseal service key", sql, args![name, sealed])?;
            }
            for key in &tag_keys {
                let sql = "UPDATE operator_reads SET sealed_tag_key = $2 \
                     WHERE log_index = $1 AND sealed_tag_key IS NOT NULL";
                db.execute("reseal tag key", sql, args![key.log_index, &key.sealed])?;
            }
            for (forget_at, sealed) in &use_link_keys {
                let sql = "UPDATE use_link_keys SET sealed = $2 WHERE forget_at = $1";
                db.execute("reseal use-link key", sql, args![*forget_at, sealed])?;
            }
            let sql = "DELETE FROM service_keys WHERE name = $1";
            db.execute("end the rotation", sql, args![&marker])
                .map(drop)
        })
        .await
    }
}

/// Stores a sealed service key inside the transaction of `db`; [`Conflict::ServiceKey`] if
/// the name is taken.
fn insert_key(db: &mut dyn Sql, name: &str, sealed: &[u8], at: Timestamp) -> Result<(), Error> {
    let sql = "INSERT INTO service_keys (name, sealed, created_at) VALUES ($1, $2, $3)";
    db.insert("insert service key", sql, args![name, sealed, at], |_| {
        Conflict::ServiceKey
    })
    .map(drop)
}

/// The one-off key an operator read's entry was tagged with, sealed under the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedTagKey {
    /// The read's entry in the transparency log.
    pub log_index: u64,
    /// The holder read.
    pub holder: HolderId,
    /// The key, sealed.
    pub sealed: Vec<u8>,
}
