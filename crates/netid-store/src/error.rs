//! The one error type of `netid-store`.

/// What went wrong in a storage operation.
///
/// Messages name the operation and the constraint, never a stored value: rows hold blind
/// indexes, sealed blobs and Net IDs, none of which belongs in a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database file could not be opened or configured (journal mode, synchronous).
    #[error("cannot open the database: {source}")]
    Open {
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// A backup file could not be written or flushed.
    #[error("cannot {action}: {source}")]
    Backup {
        /// What was being done.
        action: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// A schema migration failed; the database is left at its previous version.
    #[error("schema migration to version {version} failed: {source}")]
    Migration {
        /// The version being migrated to.
        version: u32,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// The database was written by a newer netid whose schema this build does not know.
    #[error(
        "database schema is version {found} but this build knows up to {supported}; upgrade netid"
    )]
    SchemaTooNew {
        /// The version recorded in the database.
        found: u32,
        /// The newest version this build can migrate to.
        supported: u32,
    },
    /// A query or statement failed.
    #[error("database operation `{operation}` failed: {source}")]
    Database {
        /// Which store operation ran it.
        operation: &'static str,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// An insert hit a unique constraint: the thing exists already.
    #[error("{what} already exists")]
    AlreadyExists {
        /// What was being inserted (`service key`, `platform`, `net id`, `wallet key`, ...).
        what: Conflict,
    },
    /// A holder already has as many unexpired Net Certificates as allowed.
    #[error("the holder already has {limit} unexpired Net Certificates")]
    CredentialLimit {
        /// The limit.
        limit: u64,
    },
    /// An owner (a platform, a holder, an address) already holds as many pending values of a
    /// kind as one may.
    #[error("as many as {limit} values are pending for this owner; let some expire first")]
    PendingLimit {
        /// The limit.
        limit: u64,
    },
    /// An enrollment code was already used by another person.
    #[error("enrollment code was already used by another person")]
    EnrollmentCodeClaimed,
    /// A roster is older than the roster already loaded for its authority.
    #[error("roster is older than the one already loaded for its authority")]
    StaleRoster,
    /// A row that an operation needs does not exist (for example the authority of a roster).
    #[error("{what} not found")]
    NotFound {
        /// What was missing.
        what: &'static str,
    },
    /// A stored value could not be read back (wrong length, unknown enum text).
    #[error("stored {column} is malformed; the database may be corrupt")]
    Corrupt {
        /// Which column.
        column: &'static str,
    },
    /// A column could not be read as the type the operation expects (a NULL where none
    /// belongs, text where bytes belong): the schema is not the one this build knows.
    #[error("database operation `{operation}` read an unexpected value in column {index}")]
    Unreadable {
        /// Which store operation read it.
        operation: &'static str,
        /// The column's position in the result.
        index: usize,
    },
    /// The blocking task that runs database calls could not complete (the runtime is shutting
    /// down, or a call panicked).
    #[error("the storage task did not complete")]
    Task,
    /// A write was rolled back, and is not stored, because the transaction it shared with
    /// other writes (group commit) failed as a whole; it may be retried.
    #[error("the write was not stored: the transaction it shared failed ({cause}); retry it")]
    RolledBack {
        /// The database's message for the failure of the shared transaction.
        cause: String,
        /// Whether it failed because the database was away ([`Error::is_unavailable`]).
        unavailable: bool,
    },
    /// The commit of a write failed in a way that leaves unknown whether it is stored (the
    /// connection or the disk failed during the commit); read before retrying.
    #[error(
        "the commit failed ({cause}); the write may or may not be stored, so check before retrying"
    )]
    CommitUncertain {
        /// The database's message.
        cause: String,
    },
    /// A CA file for TLS to PostgreSQL is given, but the URL does not ask for TLS.
    #[error(
        "a CA file is given for the database, but its url does not say sslmode=require, so the \
         connection would not use it; add sslmode=require"
    )]
    DatabaseCaFileWithoutTls,
    /// The database is claimed in a way that excludes this claim: a node while a master-key
    /// rotation runs, or a rotation while nodes run (SQLite: a second server on one file).
    #[error(
        "the database is in use by another running netid server or rotation; stop that one \
         first, or give this one a database of its own"
    )]
    InUse,
    /// This server's claim on its database ended while it ran (the database restarted or
    /// failed over, or the connection was cut): another server may now take the database.
    #[error(
        "this server lost its claim on the database ({cause}) and could not take it again; it \
         stops: start it again once the database is free"
    )]
    ClaimLost {
        /// Why the claim is gone, without the connection's credentials.
        cause: String,
    },
    /// The PostgreSQL server could not be reached or refused the connection (wrong URL,
    /// authentication, server down), or a pooled connection could not be configured.
    #[error("cannot connect to the postgresql database: {source}")]
    Connect {
        /// The PostgreSQL client's error, redacted.
        source: PostgresError,
    },
    /// The CA file for TLS to PostgreSQL holds no usable PEM certificate.
    #[error("cannot use {path} as the database's CA certificates; expected PEM certificates")]
    DatabaseCaFile {
        /// The file.
        path: std::path::PathBuf,
    },
    /// A PostgreSQL schema migration failed; the database is left at its previous version.
    #[error("postgresql schema migration to version {version} failed: {source}")]
    PostgresMigration {
        /// The version being migrated to.
        version: u32,
        /// The PostgreSQL client's error, redacted.
        source: PostgresError,
    },
    /// A PostgreSQL query or statement failed (including a statement timeout).
    #[error("postgresql operation `{operation}` failed: {source}")]
    Postgres {
        /// Which store operation ran it.
        operation: &'static str,
        /// The PostgreSQL client's error, redacted.
        source: PostgresError,
    },
    /// The operating system's random number generator failed (the store draws the random
    /// bytes that overwrite a deleted holder's lookup keys).
    #[error("the system random number generator failed")]
    Random,
    /// An impossible state: a bug in netid.
    #[error("internal error in netid-store ({0}); please report this as a bug")]
    Internal(&'static str),
}

impl Error {
    /// Whether the database is away for now (down, restarting, failing over, or the server
    /// reached is a read-only standby), so that the same request may succeed in a moment:
    /// a caller answers "unavailable, retry", and the connection is not used again.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        use postgres::error::SqlState;
        match self {
            Self::Connect { .. } | Self::ClaimLost { .. } => true,
            Self::RolledBack { unavailable, .. } => *unavailable,
            Self::Postgres { source, .. } | Self::PostgresMigration { source, .. } => {
                let Some(code) = source.code() else {
                    // No answer from the server: the connection broke or was closed.
                    let error = source.unredacted();
                    return error.is_closed()
                        || std::error::Error::source(error)
                            .is_some_and(|cause| cause.is::<std::io::Error>());
                };
                code.code().starts_with("08")
                    || [
                        SqlState::ADMIN_SHUTDOWN,
                        SqlState::CRASH_SHUTDOWN,
                        SqlState::CANNOT_CONNECT_NOW,
                        SqlState::READ_ONLY_SQL_TRANSACTION,
                    ]
                    .contains(code)
            }
            _ => false,
        }
    }

    /// A unique violation as [`Error::AlreadyExists`], with what `classify` makes of the
    /// constraint (SQLite names `table.column`, PostgreSQL its constraint
    /// `table_column_key`: classifiers look for the column's name); any other error as it is.
    pub(crate) fn conflict(self, classify: impl Fn(&str) -> Conflict) -> Self {
        match self.unique_violation() {
            Some(constraint) => Self::AlreadyExists {
                what: classify(&constraint),
            },
            None => self,
        }
    }

    /// The constraint (SQLite: `table.column`; PostgreSQL: its name) if this is a unique
    /// violation.
    pub(crate) fn unique_violation(&self) -> Option<String> {
        match self {
            Self::Database {
                source: rusqlite::Error::SqliteFailure(failure, message),
                ..
            } if failure.code == rusqlite::ErrorCode::ConstraintViolation
                && (failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY) =>
            {
                Some(message.clone().unwrap_or_default())
            }
            Self::Postgres { source, .. }
                if source.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) =>
            {
                Some(
                    source
                        .unredacted()
                        .as_db_error()
                        .and_then(|db| db.constraint())
                        .unwrap_or_default()
                        .to_owned(),
                )
            }
            _ => None,
        }
    }
}

/// The unique constraints an insert can hit, named in [`Error::AlreadyExists`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Conflict {
    /// A service key of the same name.
    ServiceKey,
    /// A platform with the same client id or sector.
    Platform,
    /// A holder with the same Net ID (a random collision: draw again).
    NetId,
    /// A holder for the same person (same blind index).
    Person,
    /// A holder whose current wallet key is the same key.
    WalletKey,
    /// A presentation nonce already used by the platform.
    Nonce,
    /// A passkey with the same credential id.
    Passkey,
    /// A roster record for a document that another authority's roster lists.
    RosterRecord,
    /// A log checkpoint of the same size.
    Checkpoint,
    /// A certificate with the same serial number.
    Certificate,
    /// A Net Certificate at the same status-list index (a random collision: draw again).
    StatusIndex,
    /// An operator account with the same key.
    OperatorKey,
}

impl core::fmt::Display for Conflict {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::ServiceKey => "service key",
            Self::Platform => "platform",
            Self::NetId => "net id",
            Self::Person => "holder for this person",
            Self::WalletKey => "holder with this wallet key",
            Self::Nonce => "presentation nonce",
            Self::RosterRecord => "roster record of another authority",
            Self::Checkpoint => "log checkpoint of this size",
            Self::Certificate => "certificate with this serial number",
            Self::StatusIndex => "net certificate at this status index",
            Self::Passkey => "passkey with this credential id",
            Self::OperatorKey => "operator account with this key",
        })
    }
}

/// A PostgreSQL client error, redacted for messages.
///
/// PostgreSQL's `DETAIL` lines quote stored values (`Key (net_id_index)=(\x..) already
/// exists`, `Failing row contains (..)`), so this wrapper prints only the kind, the SQLSTATE,
/// the primary message and the constraint, in `Display` and `Debug` alike, and hides the
/// client error from the `source()` chain that error reporters walk.
pub struct PostgresError(postgres::Error);

impl PostgresError {
    pub(crate) fn new(error: postgres::Error) -> Self {
        Self(error)
    }

    /// The SQLSTATE code, if the server answered with an error.
    #[must_use]
    pub fn code(&self) -> Option<&postgres::error::SqlState> {
        self.0.code()
    }

    /// The client error with everything the server said, `DETAIL` included: it may quote
    /// stored values (blind indexes, sealed bytes), so never log or show it.
    #[must_use]
    pub fn unredacted(&self) -> &postgres::Error {
        &self.0
    }
}

impl core::fmt::Display for PostgresError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&self.0, f)?;
        if let Some(db) = self.0.as_db_error() {
            write!(
                f,
                ": {} {}: {}",
                db.severity(),
                db.code().code(),
                db.message()
            )?;
            if let Some(constraint) = db.constraint() {
                write!(f, " (constraint {constraint})")?;
            }
        }
        Ok(())
    }
}

impl core::fmt::Debug for PostgresError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("PostgresError")
            .field(&format_args!("{self}"))
            .finish()
    }
}

impl std::error::Error for PostgresError {}
