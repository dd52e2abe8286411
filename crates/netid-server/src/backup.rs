//! Backups of the embedded store, and their restore (issue 22).
//!
//! A backup is the SQLite database as committed at one moment, transparency log included,
//! taken while the server runs ([`backup`]). It holds no key: the master key, which opens
//! every holder's record, is kept apart (`docs/operations.md`), so a stolen backup opens
//! nothing, and a lost master key loses every holder. A restore ([`restore`]) puts a backup in
//! place of the database of a stopped server; the next start deletes again every holder the
//! deletion journal (`crate::journal`, which is not part of the backup) names, so that a holder
//! deleted after the backup stays deleted.
//!
//! PostgreSQL is backed up with PostgreSQL's own tools (base backups and a WAL archive, or
//! pgBackRest); the deletion journal of every node is replayed the same way at their start.

use std::path::{Path, PathBuf};

use netid_store::SqliteStore;

use crate::config::Config;
use crate::error::Error;
use crate::journal::DeletionJournal;
use crate::keys::DATABASE_FILE;
use crate::server::{ServerClaim, Sharing};

/// What [`backup`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackedUp {
    /// The database's schema version.
    pub schema: u32,
    /// The backup's size in bytes.
    pub bytes: u64,
}

/// What [`restore`] put in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The backup's schema version (the next start migrates it if it is older).
    pub schema: u32,
    /// How many deletions the journal holds, which the next start applies again.
    pub journaled_deletions: usize,
}

/// Writes a consistent copy of the data directory's database to the new file `to`, while a
/// server may be running on it.
pub async fn backup(config: &Config, to: &Path) -> Result<BackedUp, Error> {
    let database = embedded_database(config)?;
    if to.exists() {
        return Err(Error::BackupRefused {
            reason: "the backup file exists already; name a new file",
        });
    }
    let schema = SqliteStore::backup(&database, to).await?;
    let bytes = std::fs::metadata(to)
        .map_err(Error::io("read the size of", to))?
        .len();
    Ok(BackedUp { schema, bytes })
}

/// Puts the backup `from` in place of the data directory's database: checked first (whole,
/// of a schema this build knows), refused while a server runs on the data directory.
pub async fn restore(config: &Config, from: &Path) -> Result<Restored, Error> {
    let database = embedded_database(config)?;
    let schema = SqliteStore::check_backup(from).await?;
    let claim = ServerClaim::take(config, Sharing::Alone)
        .await
        .map_err(|error| match error {
            Error::Store(netid_store::Error::InUse) => Error::BackupRefused {
                reason: "a netid server is running on this data; stop it first",
            },
            other => other,
        })?;
    let replaced = replace_database(from, &database);
    claim.release().await;
    replaced?;
    Ok(Restored {
        schema,
        journaled_deletions: DeletionJournal::new(&config.data_dir).deleted()?.len(),
    })
}

/// The SQLite file of `config`'s data directory; refused on PostgreSQL and where there is none.
fn embedded_database(config: &Config) -> Result<PathBuf, Error> {
    if config.database_url.is_some() {
        return Err(Error::BackupRefused {
            reason: "the data is in PostgreSQL: back it up with PostgreSQL's own tools (base backups and a WAL archive, or pgBackRest; see docs/operations.md)",
        });
    }
    let database = config.data_dir.join(DATABASE_FILE);
    if !database.exists() {
        return Err(Error::BackupRefused {
            reason: "there is no database in the data directory",
        });
    }
    Ok(database)
}

/// Copies `from` beside `database`, flushes it, and renames it over `database` (whose WAL
/// goes first: it belongs to the database being replaced).
fn replace_database(from: &Path, database: &Path) -> Result<(), Error> {
    let staged = database.with_extension("sqlite3.restoring");
    std::fs::copy(from, &staged).map_err(Error::io("copy the backup to", &staged))?;
    std::fs::File::open(&staged)
        .and_then(|file| file.sync_all())
        .map_err(Error::io("flush", &staged))?;
    for suffix in ["-wal", "-shm"] {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io("remove", &path)(error));
            }
            _ => {}
        }
    }
    std::fs::rename(&staged, database)
        .map_err(Error::io("put the backup in place at", database))?;
    if let Some(directory) = database.parent() {
        std::fs::File::open(directory)
            .and_then(|dir| dir.sync_all())
            .map_err(Error::io("flush", directory))?;
    }
    Ok(())
}
