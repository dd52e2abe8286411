//! netid-store: where netid keeps its state.
//!
//! What it does: defines the [`Store`] trait, the one interface through which the server reads
//! and writes, made of one trait per aggregate ([`Holders`], [`Platforms`], [`Consents`],
//! ...), and its two backends with the same semantics: the embedded default [`SqliteStore`]
//! (one file, WAL, synchronous commits, migrations on open) and [`PostgresStore`] (a
//! PostgreSQL server through a small pool of connections, writers serialised by an advisory
//! lock, migrations on connect).
//!
//! How: each operation is written once, in its aggregate's module, as hand-written SQL over a
//! thin layer both backends implement (`sql`: run a statement or a query with typed
//! parameters, read typed columns). A backend (`backend`) says only where a call runs: a
//! lookup, a read, a transaction of its own, or a grouped write sharing a commit. Rules that
//! are not about storage (what a platform may receive, when a consent is a replay, the Net
//! Certificate limit) are pure functions in `netid_core::rules`.
//!
//! What it does not do: encrypt or decide. Rows hold what the server hands over: blind indexes
//! (keyed MACs), sealed blobs (AEAD ciphertexts), credential hashes, Net IDs. The store never
//! sees a plaintext name, document number or birth date, and never reads a clock: every
//! timestamp is an argument.
//!
//! # Example
//!
//! ```
//! use netid_store::prelude::*;
//! use netid_store::{SqliteStore, Timestamp};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), netid_store::Error> {
//! let dir = std::env::temp_dir().join(format!("netid-store-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).ok();
//! let store = SqliteStore::open(&dir.join("netid.sqlite3")).await?;
//! store.insert_service_key("mac-pairwise", b"sealed bytes".to_vec(), Timestamp(0)).await?;
//! assert_eq!(store.service_key("mac-pairwise").await?, Some(b"sealed bytes".to_vec()));
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```

mod authorities;
mod backend;
mod ca;
mod certificates;
mod complaints;
mod consents;
mod credentials;
mod error;
mod holders;
mod keys;
mod log;
mod migrations;
mod operator_factors;
mod operator_reads;
mod operators;
mod passkeys;
mod pending;
mod platforms;
mod postgres;
mod security_events;
mod signals;
mod sql;
mod sqlite;
mod types;
mod verifications;

pub use self::postgres::{DatabaseClaim, PostgresOptions, PostgresStore};
pub use authorities::{
    Authorities, AuthorityRow, CorrectionRow, GuardianshipChange, RecordUpdate, RosterLoad,
    RosterRow,
};
#[doc(hidden)]
pub use backend::{BackendRef, HasBackend};
pub use ca::{CaChange, CaGeneration, CaGenerationStatus, CaRecords, ForeignCaRow};
pub use certificates::{CertificateRow, Certificates, Revocation};
pub use complaints::{
    ComplaintAction, ComplaintCategory, ComplaintHandling, ComplaintRow, ComplaintStatus,
    Complaints,
};
pub use consents::{ConsentChange, ConsentRow, Consents};
pub use credentials::{CredentialRow, NetCertificates, NewCredentials};
pub use error::{Conflict, Error, PostgresError};
pub use holders::{
    HolderRow, Holders, NewHolder, Recovery, ResealedHolder, StoredNetId, WalletKeyRow,
};
pub use keys::{Keys, SealedTagKey};
pub use log::{Integration, LogEntries, LogHead, TileKey};
pub use operator_factors::{OperatorFactors, OperatorPasskeyRow};
pub use operator_reads::{DeferralCountsRow, NoticeDeferralRow, OperatorReadRow, OperatorReads};
pub use operators::{ActChange, ActRow, OperatorRow, Operators};
pub use passkeys::{PasskeyRow, Passkeys};
pub use pending::{NewPending, PendingKind, PendingValues};
pub use platforms::{
    ClientAuthMethod, FieldStatus, OidcClientRow, PlatformField, PlatformRow, PlatformStatus,
    Platforms,
};
pub use security_events::{
    GENESIS, NewSecurityEvent, Seal, SecurityEventRow, SecurityEvents, chain_break, chain_hash,
};
pub use signals::{Delivery, DueSignal, ReceiptRow, SignalRow, Signals, StreamRow, StreamStatus};
pub use sqlite::SqliteStore;
pub use types::{BlindIndex, GroupCommits, HolderId, Timestamp};
pub use verifications::{NewVerification, Verifications};

/// The store's traits, to call any of its operations on a `dyn Store`.
pub mod prelude {
    pub use crate::{
        Authorities, CaRecords, Certificates, Complaints, Consents, Holders, Keys, LogEntries,
        NetCertificates, OperatorFactors, OperatorReads, Operators, Passkeys, PendingValues,
        Platforms, SecurityEvents, Signals, Store, Verifications,
    };
}

/// Everything netid persists, behind one dyn-compatible async interface: one trait per
/// aggregate (import [`prelude`] to call them).
///
/// Multi-row changes (a roster load, an enrollment with its code and guardianship, a key
/// rotation) are one call each, so a backend runs each in one transaction: either all of it
/// is stored, or none.
pub trait Store:
    Keys
    + Authorities
    + Holders
    + Platforms
    + Consents
    + Complaints
    + Verifications
    + LogEntries
    + Certificates
    + CaRecords
    + NetCertificates
    + OperatorReads
    + Operators
    + OperatorFactors
    + SecurityEvents
    + Passkeys
    + PendingValues
    + Signals
    + Send
    + Sync
    + 'static
{
    /// Grouped writes committed so far by this store, and in how many transactions.
    fn group_commits(&self) -> GroupCommits;
}

impl<T: backend::HasBackend> Store for T {
    fn group_commits(&self) -> GroupCommits {
        self.backend().0.committed_groups()
    }
}

/// Every backend gets every aggregate's operations, written once in its trait.
macro_rules! for_every_backend {
    ($($aggregate:ident),*) => {
        $(impl<T: backend::HasBackend> $aggregate for T {})*
    };
}
for_every_backend!(
    Keys,
    Authorities,
    Holders,
    Platforms,
    Consents,
    Complaints,
    Verifications,
    LogEntries,
    Certificates,
    CaRecords,
    NetCertificates,
    OperatorReads,
    Operators,
    OperatorFactors,
    SecurityEvents,
    Passkeys,
    PendingValues,
    Signals
);
