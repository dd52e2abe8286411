//! The one error type of `netid-server` (start-up, configuration, keys, services).
//! `http/error.rs` maps each variant to an HTTP status and a stable problem code.

use std::path::PathBuf;

/// What went wrong in the server.
///
/// Messages name fields and rules, never values: no name, document number, birth date, Net
/// ID, credential or key bytes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value did not parse.
    #[error("configuration key {key} is invalid; expected {expected}")]
    Config {
        /// The variable or flag.
        key: &'static str,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// A `NETID_*` environment variable that netid does not know (a typo?).
    #[error(
        "unknown configuration key {key}; known keys are NETID_LISTEN, NETID_ADMIN_LISTEN, NETID_DATA_DIR, NETID_MASTER_KEY, NETID_MASTER_KEY_SHARES, NETID_PKCS11_MODULE, NETID_PKCS11_TOKEN, NETID_PKCS11_PIN_FILE, NETID_PKCS11_KEY, NETID_NEW_MASTER_KEY, NETID_TRANSPARENCY_ORIGIN, NETID_CA_SUITE, NETID_PUBLIC_URL, NETID_NOTICE_OPERATOR, NETID_RATE_LIMIT_PER_ADDRESS, NETID_RATE_LIMIT_PER_PLATFORM, NETID_DATABASE_URL, NETID_DATABASE_POOL_SIZE, NETID_DATABASE_STATEMENT_TIMEOUT_MS, NETID_DATABASE_CA_FILE, NETID_TLS_CERT, NETID_TLS_KEY, NETID_MTLS_LISTEN, NETID_MTLS_PUBLIC_URL, NETID_IDLE_TIMEOUT_SECONDS, NETID_SECURITY_EVENT_RETENTION_DAYS, NETID_MAX_CONNECTIONS, NETID_MAX_CONNECTIONS_PER_ADDRESS, NETID_LOG, NETID_LOG_FORMAT"
    )]
    UnknownConfigKey {
        /// The variable.
        key: String,
    },
    /// A TLS file given by `NETID_TLS_CERT` or `NETID_TLS_KEY` could not be used.
    #[error("cannot use {path} for TLS; expected {what}")]
    Tls {
        /// What the file should hold.
        what: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// The data directory or key file could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// `netid backup` or `netid restore` cannot run as asked.
    #[error("cannot back up or restore: {reason}")]
    BackupRefused {
        /// Why, and what to do.
        reason: &'static str,
    },
    /// The deletion journal has a line that is not a deletion: it was edited or damaged.
    #[error(
        "line {line} of the deletion journal {path} is not `<unix seconds> <64 hex digits>`; restore the file from the node's own copy, or remove that line if it is not a deletion"
    )]
    DeletionJournal {
        /// The journal.
        path: PathBuf,
        /// The line's number, from 1.
        line: usize,
    },
    /// The data directory has a database but its master key file is gone: generating a new
    /// key would silently make every stored key and record unreadable.
    #[error(
        "the database is set up but there is no master key file at {path}; restore the key file or set NETID_MASTER_KEY (a new key cannot decrypt the existing data)"
    )]
    MasterKeyMissing {
        /// Where the key file should be.
        path: PathBuf,
    },
    /// The master key file does not hold a 128-bit hex key.
    #[error("master key file {path} is malformed; expected 32 hex digits")]
    MasterKeyMalformed {
        /// The key file.
        path: PathBuf,
    },
    /// The master key file can be read by other users.
    #[error("{path} holds a secret and is readable by other users; run chmod 600 on it")]
    SecretFilePermissions {
        /// The key file.
        path: PathBuf,
    },
    /// The master key does not decrypt the stored service keys.
    #[error(
        "the master key does not decrypt the service keys in this data directory; use the key this database was created with"
    )]
    WrongMasterKey,
    /// A master-key rotation began and did not finish: part of the data may be sealed under
    /// the new key already.
    #[error(
        "a master-key rotation was interrupted; run `netid rotate-master-key` again (with the same NETID_NEW_MASTER_KEY if one was given; for a split key, with the new shares in NETID_NEW_MASTER_KEY_SHARES, found in the --shares-out directory) to finish it before serving"
    )]
    MasterKeyRotationUnfinished,
    /// A rotation was asked to move to another key than the one the interrupted rotation was
    /// moving to.
    #[error(
        "the interrupted master-key rotation was moving to another new key; give that key in NETID_NEW_MASTER_KEY, or leave NETID_NEW_MASTER_KEY unset when the key file is used (the key waits in master.key.next)"
    )]
    WrongNewMasterKey,
    /// A holder row opens under neither the old nor the new master key during a rotation.
    #[error(
        "holder row {holder} opens under neither the old nor the new master key: the row is damaged; restore it from a backup, then run `netid rotate-master-key` again"
    )]
    SealedUnderNeitherKey {
        /// The row key (an internal number, not a Net ID).
        holder: i64,
    },
    /// The data directory's master key is split and no shares were given.
    #[error(
        "the master key of this data directory is split into {shares} shares, {threshold} of which recover it; name {threshold} share files in NETID_MASTER_KEY_SHARES (comma-separated paths)"
    )]
    MasterKeySplit {
        /// How many shares recover it.
        threshold: u8,
        /// How many were made.
        shares: u8,
    },
    /// The shares given do not recover the data directory's master key.
    #[error("master key shares: {reason}")]
    MasterKeyShares {
        /// What is wrong, naming the file (never a share's content).
        reason: String,
    },
    /// The record of where the master key is kept (split, or wrapped by a token) is damaged.
    #[error(
        "{path} is damaged; restore it from where this data directory came from (without it the master key cannot be found)"
    )]
    MasterKeyRecordDamaged {
        /// The record.
        path: PathBuf,
    },
    /// The PKCS#11 token that wraps the master key cannot be used as asked.
    #[error("PKCS#11 token: {reason}")]
    Token {
        /// What failed, naming the operation (never the PIN).
        reason: String,
    },
    /// `netid master-key split` cannot split as asked.
    #[error("cannot split the master key: {reason}")]
    MasterKeySplitRefused {
        /// Why, and what to do.
        reason: String,
    },
    /// `netid operator setup` cannot add an operator as asked.
    #[error("cannot set up an operator: {reason}")]
    OperatorSetupRefused {
        /// Why, and what to do.
        reason: String,
    },
    /// A master-key rotation cannot start as asked.
    #[error("cannot rotate the master key: {reason}")]
    RotationRefused {
        /// Why, and what to do.
        reason: &'static str,
    },
    /// Binding the listen address failed.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: std::net::SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// Serving failed after start-up.
    #[error("the http server stopped with an error: {0}")]
    Serve(std::io::Error),
    /// A storage operation failed.
    #[error(transparent)]
    Store(#[from] netid_store::Error),
    /// A cryptographic operation on service data failed.
    #[error(transparent)]
    Crypto(#[from] netid_crypto::Error),
    /// A request was refused; see [`Refusal`].
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The stored transparency log does not verify against its own latest checkpoint: the
    /// database was altered or damaged outside netid.
    #[error(
        "the transparency log in this data directory does not verify ({0}); restore the database from a backup, do not start over it"
    )]
    LogCorrupt(&'static str),
    /// A certificate operation failed.
    #[error(transparent)]
    Ca(#[from] netid_ca::Error),
    /// A Net Certificate operation failed.
    #[error(transparent)]
    NetCertificate(#[from] netid_sdjwt::Error),
    /// A transparency-log operation failed.
    #[error(transparent)]
    Log(#[from] netid_log::Error),
    /// An impossible state: a bug in netid.
    #[error("internal error in netid-server ({0}); please report this as a bug")]
    Internal(&'static str),
}

impl Error {
    /// What an IO error becomes while doing `action` to `path`: for `map_err`.
    pub(crate) fn io(
        action: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_owned();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}

/// Why a request was refused: each has a stable snake_case code (see `http/error.rs`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// No credential, or one that matches nothing. Says nothing about what exists.
    #[error("authentication required")]
    Unauthenticated,
    /// An operator endpoint asked on the public listener.
    #[error(
        "operator endpoints are served on the administration listener only (NETID_ADMIN_LISTEN, loopback), not on the public one"
    )]
    AdministrationElsewhere,
    /// A field did not parse; `field` names it, `reason` says what was wrong.
    #[error("{field} is invalid: {reason}")]
    InvalidField {
        /// The request field.
        field: &'static str,
        /// What was wrong (never the value).
        reason: String,
    },
    /// The wallet's signature over the request does not verify.
    #[error("wallet signature does not verify for this request")]
    BadWalletSignature,
    /// A consent or withdrawal signed at a time ahead of the server's clock.
    #[error(
        "the request is signed at a time ahead of the service's clock; set your device's clock right and sign again"
    )]
    SignedAhead,
    /// The holder's identity document expired after they enrolled: the service no longer
    /// vouches for it.
    #[error(
        "the identity document behind this Net ID has expired: the holder renews it at the document authority before it is verified, signed in with or used for new credentials again"
    )]
    DocumentNoLongerValid,
    /// The holder has locked their Net ID.
    #[error(
        "this Net ID is locked by its holder: nothing is verified, signed in, consented to or issued with it until they unlock it from their wallet or the web app"
    )]
    NetIdLocked,
    /// A child under 14 at a platform no guardian approved for them.
    #[error(
        "a guardian approves each platform a child under 14 uses: the guardian approves this one in the web app (History, the child's section) or with `netid wallet approve-platform`"
    )]
    GuardianApprovalRequired,
    /// No document authority's roster lists the holder, so no correction can go anywhere.
    #[error(
        "no document authority's roster lists you any more: ask the authority that issued your document directly"
    )]
    NoAuthorityListsHolder,
    /// A request said to be a document authority's is not signed by its registered key.
    #[error("the request is not signed by the registered key of the authority it names")]
    BadAuthoritySignature,
    /// The holder has not accepted the current notice (or an applicant sent an old one).
    #[error(
        "the holder has not accepted the current notice (version {version}): read it (GET /v1/notice) and accept it on the web app's home page or with `netid wallet notice --accept VERSION`"
    )]
    NoticeNotAccepted {
        /// The current version.
        version: String,
    },
    /// A wallet-signed request whose request id was used before: a replay, or a wallet that
    /// sent one id twice.
    #[error("this signed request was used already; sign a new one with a fresh request id")]
    RequestReplayed,
    /// The signed timestamp is too far from the server's clock.
    #[error(
        "signed timestamp is more than {window_seconds} seconds from the server clock; sign again"
    )]
    StaleTimestamp {
        /// The allowed window.
        window_seconds: i64,
    },
    /// No platform has that client id.
    #[error("no platform has this client id")]
    UnknownPlatform,
    /// The platform has no signal stream with that id.
    #[error("this platform has no stream with this stream_id (GET /ssf/streams lists yours)")]
    UnknownStream,
    /// The platform has a signal stream already.
    #[error(
        "this platform has a stream already: read it (GET /ssf/streams), change it (PATCH, PUT) or delete it"
    )]
    StreamExists,
    /// No acknowledged signal of this platform waits for a receipt with that jti.
    #[error(
        "no signal to this platform that asked it to delete has this jti waiting for a receipt: acknowledge the signal first (a 202, or ack in a poll); a receipt follows only a deletion or a withdrawn consent, within the days the centre keeps it"
    )]
    UnknownReceipt,
    /// The platform gave its receipt for that signal already.
    #[error("this platform already said what it deleted for this signal: a receipt is given once")]
    ReceiptGiven,
    /// The operator suspended the platform.
    #[error(
        "this platform is suspended by the operator: it verifies no one, signs no one in and receives nothing until reinstated; its profile (GET /v1/platforms/{{client_id}}/profile) says since when and why"
    )]
    PlatformSuspended,
    /// The operator removed the platform, for good.
    #[error(
        "this platform was removed by the operator, for good: the consents given to it ended; its profile (GET /v1/platforms/{{client_id}}/profile) says since when and why"
    )]
    PlatformRemoved,
    /// A query parameter is missing or does not parse.
    #[error("query parameter {parameter} is missing or invalid; expected {expected}")]
    InvalidQuery {
        /// The parameter.
        parameter: &'static str,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// A log range or size outside what the latest checkpoint covers, or out of order.
    #[error("log range is invalid: {reason}")]
    LogRange {
        /// What was wrong.
        reason: String,
    },
    /// The platform name, or the sector, already exists.
    #[error("a platform with this client id already exists")]
    PlatformExists,
    /// Too many requests from one source address or platform.
    #[error("too many requests; retry after {retry_after_seconds} seconds")]
    RateLimited {
        /// Whole seconds until a request will be accepted again.
        retry_after_seconds: u64,
    },
    /// No holder (not deleted) has that Net ID.
    #[error("no holder has this net id (it may be mistyped, or its holder deleted their data)")]
    UnknownHolder,
    /// Why a document authority's roster was refused.
    #[error(transparent)]
    Roster(#[from] RosterRefusal),
    /// Why an enrollment, a recovery or a guardian's act was refused.
    #[error(transparent)]
    Enrollment(#[from] EnrollmentRefusal),
    /// Why a presentation or a consent was refused.
    #[error(transparent)]
    Verification(#[from] VerificationRefusal),
    /// Why a request to the certification authority was refused.
    #[error(transparent)]
    Ca(#[from] CaRefusal),
    /// Why Net Certificates were not issued.
    #[error(transparent)]
    NetCertificate(#[from] NetCertificateRefusal),
    /// Why an operator's act was refused.
    #[error(transparent)]
    Operator(#[from] OperatorRefusal),
}

/// Why an operator's request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OperatorRefusal {
    /// A bearer credential: the anonymous operator credential is retired.
    #[error(
        "operator bearer credentials are retired: each operator signs their requests with their own key; \
         a security administrator is made with `netid operator setup` (server stopped), the others with `netid operator add`"
    )]
    BearerRetired,
    /// The request's operator proof does not check.
    #[error("operator proof refused: {0}")]
    BadProof(netid_authn::jwt::DpopError),
    /// The proof's `jti` was used before.
    #[error("this operator proof was used already; sign each request afresh")]
    ProofReplayed,
    /// The operator's role may not do this.
    #[error("this needs a {needed}; your account is a {have}")]
    WrongRole {
        /// The role the act needs.
        needed: netid_proto::OperatorRole,
        /// The operator's role.
        have: netid_proto::OperatorRole,
    },
    /// The operator who asked tried to approve their own request.
    #[error("a second operator must approve: the operator who asked for an act cannot approve it")]
    SameOperator,
    /// Only the operator who asked may carry out (or withdraw) an approved request.
    #[error("only the operator who asked for this act may carry it out or withdraw it")]
    NotRequester,
    /// No requested act has that id.
    #[error("no requested act has this id")]
    UnknownAct,
    /// The act is not in the state this step needs.
    #[error("this request is {status}, so it cannot be {step}")]
    ActClosed {
        /// Where it stands.
        status: &'static str,
        /// What was tried.
        step: &'static str,
    },
    /// No active operator has that id.
    #[error("no active operator has this id")]
    UnknownOperator,
    /// A change that would leave fewer than two security administrators.
    #[error(
        "at least two security administrators must stay active, so that operator changes always have a second person to approve them"
    )]
    TooFewSecurityAdministrators,
    /// An act (of every role but the auditor's) without a recent confirmation with the operator's
    /// passkey.
    #[error(
        "this act needs your second factor: confirm with your passkey in the operator console (/console/ at the console's URL, NETID_ADMIN_PUBLIC_URL or http://localhost:PORT); a confirmation holds 15 minutes"
    )]
    SecondFactorRequired,
    /// An act by an account with no passkey, where one is required.
    #[error(
        "this act needs your second factor, and your account has no passkey: ask another security administrator for an enrollment code (`netid operator passkey-code`) and add a passkey in the operator console"
    )]
    NoSecondFactor,
    /// A first passkey without a valid enrollment code, or another without a confirmation.
    #[error("{0}")]
    PasskeyEnrollment(&'static str),
    /// Over TLS to the administration listener, a client certificate that is not for the key
    /// that signed the request.
    #[error(
        "the connection's client certificate is not for the key that signed this request: connect with a certificate for your own operator key (the CLI makes one from it)"
    )]
    CertificateNotTheirs,
    /// A passkey confirmation that does not check (bad, replayed or another's).
    #[error("the passkey confirmation is refused: {0}; ask for a new challenge and try again")]
    PasskeyRefused(String),
}

/// Why a document authority's roster was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RosterRefusal {
    /// A roster record did not parse or is inconsistent (field named, value never shown).
    #[error("roster record {index}: {field} is invalid: {reason}")]
    InvalidRosterRecord {
        /// 0-based position of the record in the roster.
        index: usize,
        /// The record field.
        field: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// Two records of a roster are for the same document.
    #[error("roster record {index} repeats the document of an earlier record")]
    DuplicateRosterRecord {
        /// 0-based position of the repeated record.
        index: usize,
    },
    /// A roster older than the one already loaded for its authority (a replay).
    #[error("the roster is older than the roster already loaded for this authority")]
    StaleRoster,
    /// A roster lists a document that another authority's roster already lists.
    #[error("a roster record's document is listed by another document authority")]
    RosterRecordOfAnotherAuthority,
    /// The document authority is not registered.
    #[error("document authority is not registered; register its key first")]
    UnknownAuthority,
    /// The roster's signature does not verify under the authority's key.
    #[error("roster signature does not verify under the registered authority key")]
    BadRosterSignature,
}

impl From<RosterRefusal> for Error {
    fn from(refusal: RosterRefusal) -> Self {
        Self::Refused(refusal.into())
    }
}

/// Why an enrollment, a recovery or a guardian's act was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnrollmentRefusal {
    /// A concurrent enrollment of the same person finished first.
    #[error("another enrollment for this document finished at the same time; apply again")]
    EnrollmentConflict,
    /// No roster record has this document with this enrollment code: an unknown document, a
    /// wrong or missing code and a locked record are not told apart.
    #[error(
        "the document number and enrollment code do not match the document authority's records; check both, or ask the authority for a code"
    )]
    EvidenceMismatch,
    /// The enrollment code is right but the name is not the one on the record.
    #[error(
        "the name does not match the document authority's record; enter it exactly as on the document"
    )]
    NameMismatch,
    /// The enrollment code is right, but too many wrong codes were tried for this document.
    #[error(
        "too many wrong enrollment codes were tried for this document, so its code is locked; ask the document authority for a new code"
    )]
    EnrollmentCodeLocked,
    /// The document has expired.
    #[error("the document has expired; apply with a valid document")]
    DocumentExpired,
    /// The enrollment code was already used (codes are one-time).
    #[error("the enrollment code has already been used; ask the document authority for a new one")]
    EnrollmentCodeUsed,
    /// Moving an enrolled Net ID to a new wallet key without a fresh enrollment code.
    #[error(
        "recovering a net id to a new wallet key needs a new enrollment code from the document authority"
    )]
    RecoveryRequiresCode,
    /// An applicant under 14 came without a valid guardian consent.
    #[error("an applicant under 14 must be enrolled with the consent of a guardian on record")]
    GuardianRequired,
    /// The guardian's consent does not come from an enrolled adult recorded as guardian.
    #[error(
        "the guardian consent is not from an enrolled adult recorded as the applicant's guardian"
    )]
    GuardianNotRecognised,
    /// The wallet key is the current key of another holder.
    #[error("this wallet key is already in use; create a new wallet key")]
    WalletKeyInUse,
}

impl From<EnrollmentRefusal> for Error {
    fn from(refusal: EnrollmentRefusal) -> Self {
        Self::Refused(refusal.into())
    }
}

/// Why a presentation or a consent was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerificationRefusal {
    /// A presentation could not be accepted (unknown key, bad signature): not told apart.
    #[error("the presentation was not accepted")]
    PresentationRejected,
    /// The presentation's nonce was used before.
    #[error("the presentation nonce was already used; ask the holder for a new presentation")]
    PresentationReplayed,
    /// A consent that changed nothing: signed before the last change of the consent, or before
    /// the platform's terms for the field were set. No receipt is issued.
    #[error(
        "this consent was signed before the last change to it or to the platform's terms, so nothing was recorded; read the platform's profile and consent again"
    )]
    ConsentNotRecorded,
}

impl From<VerificationRefusal> for Error {
    fn from(refusal: VerificationRefusal) -> Self {
        Self::Refused(refusal.into())
    }
}

/// Why a request to the certification authority was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaRefusal {
    /// The CA has no issuing certificate yet: the operator must certify it first.
    #[error(
        "the certification authority is not certified yet; the operator runs `netid ca certify`"
    )]
    CaNotCertified,
    /// The CA was handed over to a successor, which answers for its certificates now.
    #[error(
        "this certification authority was handed over to a successor; ask the successor's service"
    )]
    CaHandedOver,
    /// A certificate handed to the CA is not what it must be.
    #[error("the certificate is not acceptable: {reason}")]
    InvalidCertificate {
        /// What is wrong with it.
        reason: String,
    },
    /// A certificate is not trusted here: no valid path to netid's root or a recognised
    /// foreign root.
    #[error("the certificate is not trusted here: {reason}")]
    CertificateNotTrusted {
        /// Why (the path validation's error).
        reason: String,
    },
    /// A recognised foreign CA's certificate used outside the scenarios of its recognition.
    #[error("the certificate chains to the foreign CA {anchor}, recognised only for: {}", scenarios.join(", "))]
    OutsideRecognisedScope {
        /// The foreign CA.
        anchor: String,
        /// Its recognised scenarios.
        scenarios: Vec<String>,
    },
    /// No certificate has that serial number (among the holder's own, when a holder asks).
    #[error("no certificate with this serial number was found (a holder sees only their own)")]
    CertificateNotFound,
    /// No issuing CA this service answers for has that key identifier.
    #[error(
        "no certification authority of this service has this key identifier; see GET /v1/ca/chain"
    )]
    UnknownCa,
    /// The handover package would not fit in one request to the successor.
    #[error(
        "the CA has too many certificates ({certificates}) to hand over in one package; nothing was changed"
    )]
    HandoverTooLarge {
        /// How many certificates it would carry.
        certificates: usize,
    },
}

impl From<CaRefusal> for Error {
    fn from(refusal: CaRefusal) -> Self {
        Self::Refused(refusal.into())
    }
}

/// Why Net Certificates were not issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetCertificateRefusal {
    /// The holder has as many unexpired Net Certificates as allowed.
    #[error(
        "you already have {limit} unexpired Net Certificates; use them, or wait until some expire"
    )]
    NetCertificateLimit {
        /// The limit.
        limit: u64,
    },
    /// No free status-list index was found for a batch (the lists are nearly full).
    #[error("Net Certificates cannot be issued at the moment; try again later")]
    NetCertificatesUnavailable,
}

impl From<NetCertificateRefusal> for Error {
    fn from(refusal: NetCertificateRefusal) -> Self {
        Self::Refused(refusal.into())
    }
}
