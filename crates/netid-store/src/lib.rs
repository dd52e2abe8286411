//! netid-store: where netid keeps its state.
//!
//! What it does: defines the [`Store`] trait, the one interface through which the server reads
//! and writes, and its two backends with the same semantics: the embedded default
//! [`SqliteStore`] (one file, WAL, synchronous commits, migrations on open) and
//! [`PostgresStore`] (a PostgreSQL server through a small pool of connections, writers
//! serialised by an advisory lock, migrations on connect).
//!
//! What it does not do: encrypt or decide. Rows hold what the server hands over: blind indexes
//! (keyed MACs), sealed blobs (AEAD ciphertexts), credential hashes, Net IDs. The store never
//! sees a plaintext name, document number or birth date, and never reads a clock: every
//! timestamp is an argument.
//!
//! # Example
//!
//! ```
//! use netid_store::{SqliteStore, Store, Timestamp};
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

mod error;
mod migrations;
mod migrations_postgres;
mod postgres;
mod sqlite;
mod types;

pub use self::postgres::{DatabaseClaim, PostgresOptions, PostgresStore};
pub use error::{Conflict, Error, PostgresError};
pub use sqlite::SqliteStore;
pub use types::{
    AuthorityRow, BlindIndex, CaChange, CaGeneration, CaGenerationStatus, CertificateRow,
    ConsentRow, CredentialRow, DeferralCountsRow, ForeignCaRow, GroupCommits, HolderId, HolderRow,
    NewHolder, NoticeDeferralRow, OidcClientRow, OperatorReadRow, PasskeyRow, PlatformField,
    PlatformRow, ResealedHolder, Revocation, RosterRow, SealedTagKey, StoredNetId, Timestamp,
    WalletKeyRow,
};

/// Everything netid persists, behind one dyn-compatible async interface.
///
/// Multi-row changes (a roster load, an enrollment with its code and guardianship, a key
/// rotation) are one call each, so a backend runs each in one transaction: either all of it
/// is stored, or none.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Grouped writes committed so far by this store, and in how many transactions.
    fn group_commits(&self) -> GroupCommits;

    /// The sealed bytes of the service key `name`, if it exists.
    async fn service_key(&self, name: &str) -> Result<Option<Vec<u8>>, Error>;

    /// Stores a new service key; [`Error::AlreadyExists`] if `name` is taken.
    async fn insert_service_key(
        &self,
        name: &str,
        sealed: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error>;

    /// Whether the store holds any service key (a database that has been initialised).
    async fn has_service_keys(&self) -> Result<bool, Error>;

    /// Records the hash of a new operator credential.
    async fn insert_operator_credential(&self, hash: Vec<u8>, at: Timestamp) -> Result<(), Error>;

    /// First run: stores every sealed service key and the first operator credential's hash in
    /// one transaction, so an interrupted first run leaves nothing behind and simply runs again.
    async fn initialise(
        &self,
        service_keys: Vec<(String, Vec<u8>)>,
        operator_credential_hash: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error>;

    /// Makes `hash` the only operator credential, in one transaction (a credential provisioned
    /// from a file is authoritative: changing the file withdraws the old one).
    async fn replace_operator_credentials(&self, hash: Vec<u8>, at: Timestamp)
    -> Result<(), Error>;

    /// Hashes of all operator credentials.
    async fn operator_credentials(&self) -> Result<Vec<Vec<u8>>, Error>;

    /// Registers (or replaces the key of) a document authority, and appends `log_entry`.
    async fn upsert_authority(
        &self,
        authority: AuthorityRow,
        log_entry: Vec<u8>,
    ) -> Result<(), Error>;

    /// The document authority called `name`.
    async fn authority(&self, name: &str) -> Result<Option<AuthorityRow>, Error>;

    /// Replaces the whole roster of `authority` with `records`, in one transaction, and records
    /// its issue date `issued_at` (`YYYY-MM-DD`), and appends `log_entry`. [`Error::NotFound`]
    /// if the authority is not registered; [`Error::StaleRoster`] if a roster issued later is
    /// already loaded.
    async fn replace_roster(
        &self,
        authority: &str,
        issued_at: &str,
        records: Vec<RosterRow>,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error>;

    /// The roster record whose document blind index is `document_index`.
    async fn roster_record(&self, document_index: &BlindIndex) -> Result<Option<RosterRow>, Error>;

    /// Counts a wrong enrollment code guessed at the roster record `document_index`, whose
    /// current code has the blind index `code_index`: one more if the count is of that code,
    /// else (the authority issued a new code) the first. Returns the count; 0, with nothing
    /// stored, when no roster lists the document.
    async fn count_code_failure(
        &self,
        document_index: BlindIndex,
        code_index: BlindIndex,
    ) -> Result<u32, Error>;

    /// The holder enrolled for the person with blind index `person_index`.
    async fn holder_by_person(&self, person_index: &BlindIndex)
    -> Result<Option<HolderRow>, Error>;

    /// The holder whose current wallet key has `fingerprint` (retired keys do not match).
    async fn holder_by_wallet_key(&self, fingerprint: &[u8]) -> Result<Option<HolderRow>, Error>;

    /// The holder with `id`.
    async fn holder(&self, id: HolderId) -> Result<Option<HolderRow>, Error>;

    /// Enrolls a new holder in one transaction: claims the enrollment code (if any) for the
    /// person, inserts the holder, records the guardianship (if any), and appends `log_entry`
    /// as an entry of the new holder.
    ///
    /// [`Error::AlreadyExists`] with [`Conflict::NetId`] on a random Net ID collision (draw
    /// again), [`Conflict::Person`] if the person is enrolled, [`Conflict::WalletKey`] if the
    /// key is another holder's; [`Error::EnrollmentCodeClaimed`] if the code was used
    /// before (codes are one-time). Nothing is stored on any error.
    async fn enroll_holder(
        &self,
        holder: NewHolder,
        code_index: Option<BlindIndex>,
        guardian: Option<HolderId>,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<HolderId, Error>;

    /// Recovery: in one transaction, claims the code (if any) for the holder's person, retires
    /// the holder's current wallet key and makes `new_key` current, records the guardianship
    /// (if any), appends `log_entry` as an entry of the holder, carries out `revocations`
    /// of the holder's certificates (each appending its entry if it revoked something), and,
    /// when the key changes, revokes all of the holder's Net Certificates and forgets their passkeys.
    #[allow(clippy::too_many_arguments)]
    async fn replace_wallet_key(
        &self,
        holder: HolderId,
        new_key: WalletKeyRow,
        code_index: Option<BlindIndex>,
        guardian: Option<HolderId>,
        log_entry: Vec<u8>,
        revocations: Vec<Revocation>,
        at: Timestamp,
    ) -> Result<(), Error>;

    /// The certificates not revoked whose validity ends at or before `before`, soonest first.
    async fn expiring_certificates(&self, before: Timestamp) -> Result<Vec<CertificateRow>, Error>;

    /// Per profile: how many certificates the CA issued and how many of them are revoked.
    async fn certificate_counts(&self) -> Result<Vec<(String, u64, u64)>, Error>;

    /// The certificates issued to `holder` that are not revoked.
    async fn holder_certificates(&self, holder: HolderId) -> Result<Vec<CertificateRow>, Error>;

    /// The retired wallet keys of `holder`, oldest first.
    async fn retired_wallet_keys(&self, holder: HolderId) -> Result<Vec<WalletKeyRow>, Error>;

    /// The minors for whom `guardian` is a guardian on record.
    async fn wards_of(&self, guardian: HolderId) -> Result<Vec<HolderRow>, Error>;

    /// The guardians on record for the minor `holder`.
    async fn guardians_of(&self, holder: HolderId) -> Result<Vec<HolderId>, Error>;

    /// Registers a platform and appends `log_entry`; [`Error::AlreadyExists`] if its client id
    /// or sector is taken.
    async fn insert_platform(&self, platform: PlatformRow, log_entry: Vec<u8>)
    -> Result<(), Error>;

    /// The platform with `client_id`.
    async fn platform(&self, client_id: &str) -> Result<Option<PlatformRow>, Error>;

    /// The client ids of the platforms whose pseudonym sector is `sector`, in byte order.
    async fn platforms_in_sector(&self, sector: &str) -> Result<Vec<String>, Error>;

    /// Records a verification of `holder` (whose current wallet key is still `wallet_key`, and
    /// who is not deleted) by `client_id`, in one transaction: the presentation nonce is used
    /// until `expires_at`, `log_entry` is appended as an entry of the holder, and, when fields
    /// are disclosable to the platform at that moment (and among `asked`, when the platform
    /// named the fields it wants), `disclosure_entry` too; returns those fields. [`Error::AlreadyExists`] with [`Conflict::Nonce`] if the nonce was used before,
    /// [`Error::NotFound`] if the holder changed. Expired nonces are purged on the way.
    #[allow(clippy::too_many_arguments)]
    async fn record_verification(
        &self,
        client_id: &str,
        nonce_index: BlindIndex,
        expires_at: Timestamp,
        holder: HolderId,
        wallet_key: Vec<u8>,
        log_entry: Vec<u8>,
        disclosure_entry: Vec<u8>,
        asked: Option<Vec<String>>,
        now: Timestamp,
    ) -> Result<Vec<String>, Error>;

    /// The number of entries in the transparency log.
    async fn log_size(&self) -> Result<u64, Error>;

    /// The log entries `start..end` (leaf bytes, in order); fewer if the log is shorter.
    async fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, Error>;

    /// The indexes of `holder`'s log entries, in order.
    async fn holder_log_indexes(&self, holder: HolderId) -> Result<Vec<u64>, Error>;

    /// Stores the signed checkpoint `note` of the tree of `size` entries, replacing the older
    /// ones (auditors keep their own). Storing the same size again is
    /// [`Error::AlreadyExists`] with [`Conflict::Checkpoint`].
    async fn insert_checkpoint(&self, size: u64, note: String, at: Timestamp) -> Result<(), Error>;

    /// The latest stored checkpoint: its size and signed note.
    async fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, Error>;

    /// Holders stored before schema 4 whose Net ID is still in clear: id and Net ID text.
    async fn legacy_net_ids(&self) -> Result<Vec<(HolderId, String)>, Error>;

    /// Replaces a legacy clear Net ID with its stored form.
    async fn seal_legacy_net_id(&self, holder: HolderId, net_id: StoredNetId) -> Result<(), Error>;

    /// Master-key rotation: up to `limit` holders (not deleted) with an id above `after`, in
    /// id order.
    async fn holders_after(&self, after: HolderId, limit: u32) -> Result<Vec<HolderRow>, Error>;

    /// Master-key rotation: stores these holders' values sealed under the new key, in one
    /// transaction. A holder deleted meanwhile is left as it is.
    async fn reseal_holders(&self, holders: Vec<ResealedHolder>) -> Result<(), Error>;

    /// Every service key: its name and sealed value.
    async fn service_keys(&self) -> Result<Vec<(String, Vec<u8>)>, Error>;

    /// The tag keys of operator reads with a deferred notice that still hold one.
    async fn sealed_tag_keys(&self) -> Result<Vec<SealedTagKey>, Error>;

    /// Master-key rotation's last step, in one transaction: replaces the service keys and tag
    /// keys named with these values sealed under the new key, and deletes the service key
    /// `marker` that said a rotation was under way.
    async fn finish_master_key_rotation(
        &self,
        service_keys: Vec<(String, Vec<u8>)>,
        tag_keys: Vec<SealedTagKey>,
        marker: &str,
    ) -> Result<(), Error>;

    /// The issuing CAs the service answers for, oldest first.
    async fn ca_generations(&self) -> Result<Vec<CaGeneration>, Error>;

    /// Makes `change` to the CA's generations, records `issued` (the certificates the CA
    /// issued for itself, such as its OCSP responder's, or a predecessor's records it took
    /// over) and appends `log_entry`, in one transaction.
    async fn change_ca(
        &self,
        change: CaChange,
        issued: Vec<CertificateRow>,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error>;

    /// Records a certificate the CA issued and appends `log_entry` (an entry of the
    /// certificate's holder, if any), in one transaction.
    async fn insert_certificate(
        &self,
        certificate: CertificateRow,
        log_entry: Vec<u8>,
    ) -> Result<(), Error>;

    /// Records a batch of Net Certificates issued to `holder` and appends `log_entry`, in one
    /// transaction, which first forgets every Net Certificate that expired before
    /// `forget_before` (its status index free again). Refuses, recording nothing:
    /// [`Error::NotFound`] if `wallet_key` is no longer the holder's current key (a recovery
    /// came first), [`Error::CredentialLimit`] if the holder would have more than `limit`
    /// unexpired at `now`, [`Error::AlreadyExists`] with [`Conflict::StatusIndex`] if an
    /// index is taken (draw new indexes).
    #[allow(clippy::too_many_arguments)]
    async fn issue_credentials(
        &self,
        holder: HolderId,
        wallet_key: Vec<u8>,
        credentials: Vec<CredentialRow>,
        log_entry: Vec<u8>,
        limit: u64,
        now: Timestamp,
        forget_before: Timestamp,
    ) -> Result<(), Error>;

    /// The status-list indexes of `suite`'s revoked Net Certificates that expire after
    /// `since`.
    async fn revoked_credentials(&self, suite: &str, since: Timestamp) -> Result<Vec<u64>, Error>;

    /// Deletes `holder`'s data (Art. 9), if `wallet_key` is still their current key, in one
    /// transaction: overwrites the sealed Net ID, person index, wallet key, wrapped data key
    /// and sealed record (the Net ID's blind index stays, so it is never issued again),
    /// forgets retired wallet keys, ends guardianships either way and consents, unlinks the
    /// used enrollment codes from the person, revokes Net Certificates and certificates
    /// (`reason`) and unlinks the certificates, appends `log_entry` and forgets which log
    /// entries were the holder's; then truncates the WAL. A deleted
    /// holder is found by no lookup. [`Error::NotFound`] if the key is not current.
    async fn delete_holder(
        &self,
        holder: HolderId,
        wallet_key: Vec<u8>,
        reason: String,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error>;

    /// Replaces the fields `client_id` asks for with `fields`, each `requested` again (an
    /// approval covers what was asked, not what is asked next).
    async fn request_platform_fields(
        &self,
        client_id: &str,
        fields: Vec<PlatformField>,
        at: Timestamp,
    ) -> Result<(), Error>;

    /// Approves (`true`) or refuses each requested field of `client_id` and appends
    /// `log_entry`, in one transaction; [`Error::NotFound`] if a field was not requested.
    async fn decide_platform_fields(
        &self,
        client_id: &str,
        decisions: Vec<(String, bool)>,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), Error>;

    /// The fields `client_id` asked for, by field name.
    async fn platform_fields(&self, client_id: &str) -> Result<Vec<PlatformField>, Error>;

    /// Records `holder`'s separate consent, signed at `signed_at`, to give `client_id` each of
    /// `fields` (shown `notice_version`) and appends `log_entry` if it changed anything, in one
    /// transaction; returns the fields whose consent it recorded. A request signed no later
    /// than the last change of a consent, or before the platform's terms for the field last
    /// changed, changes nothing for that field. [`Error::NotFound`] if a field is not approved
    /// for the platform. Consents end, and stay on record, when the platform asks again or a
    /// field is refused.
    #[allow(clippy::too_many_arguments)]
    async fn give_consents(
        &self,
        holder: HolderId,
        client_id: &str,
        fields: Vec<String>,
        notice_version: String,
        signed_at: Timestamp,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<Vec<String>, Error>;

    /// Withdraws `holder`'s live consents to give `client_id` each of `fields` (a request
    /// signed at `signed_at`, after their last change), appending `log_entry` if any was live;
    /// returns how many were.
    #[allow(clippy::too_many_arguments)]
    async fn withdraw_consents(
        &self,
        holder: HolderId,
        client_id: &str,
        fields: Vec<String>,
        signed_at: Timestamp,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<u64, Error>;

    /// The fields `client_id` may give `holder`'s data for now: approved, with a live consent.
    async fn disclosable_fields(
        &self,
        holder: HolderId,
        client_id: &str,
    ) -> Result<Vec<String>, Error>;

    /// Every certificate the CA issued or took over, oldest first (for a handover).
    async fn certificates(&self) -> Result<Vec<CertificateRow>, Error>;

    /// The certificate with `serial`.
    async fn certificate(&self, serial: &[u8]) -> Result<Option<CertificateRow>, Error>;

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
    ) -> Result<bool, Error>;

    /// The revoked certificates that have not yet expired at `now`, for the CRL.
    async fn revoked_certificates(&self, now: Timestamp) -> Result<Vec<CertificateRow>, Error>;

    /// Recognises a foreign CA (or replaces the recognition of one of the same name, lifting
    /// a withdrawal) and appends `log_entry`, in one transaction.
    async fn recognise_foreign_ca(&self, ca: ForeignCaRow, log_entry: Vec<u8>)
    -> Result<(), Error>;

    /// Withdraws the recognition of the foreign CA `name` at `at` and appends `log_entry`;
    /// `false`, appending nothing, if it was not recognised.
    async fn withdraw_foreign_ca(
        &self,
        name: &str,
        log_entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<bool, Error>;

    /// The foreign CAs recognised now (not withdrawn), by name.
    async fn foreign_cas(&self) -> Result<Vec<ForeignCaRow>, Error>;

    /// How many holders are enrolled (deleted holders are not).
    async fn holder_count(&self) -> Result<u64, Error>;

    /// The holder (not deleted) whose Net ID has the blind index `net_id_index`.
    async fn holder_by_net_id(&self, net_id_index: &BlindIndex)
    -> Result<Option<HolderRow>, Error>;

    /// Records an operator's read of `read.holder`'s data, in one transaction: appends
    /// `log_entry` as an entry of the holder, then `deferral_entry` (about no holder) if the
    /// notice is deferred, and stores the read with its entry's index, which it returns.
    /// [`Error::NotFound`] if the holder was deleted meanwhile.
    async fn record_operator_read(
        &self,
        read: OperatorReadRow,
        log_entry: Vec<u8>,
        deferral_entry: Option<Vec<u8>>,
    ) -> Result<u64, Error>;

    /// The operator's reads of `holder`'s data, oldest first.
    async fn operator_reads(&self, holder: HolderId) -> Result<Vec<OperatorReadRow>, Error>;

    /// Counts of operator reads and deferrals, with those still running at `now`.
    async fn deferral_counts(&self, now: Timestamp) -> Result<DeferralCountsRow, Error>;

    /// Sets (or replaces) a registered platform's OpenID Connect client settings.
    /// [`Error::NotFound`] if no platform has the client id.
    async fn set_oidc_client(&self, client: OidcClientRow) -> Result<(), Error>;

    /// A platform's OpenID Connect client settings, if it set them.
    async fn oidc_client(&self, client_id: &str) -> Result<Option<OidcClientRow>, Error>;

    /// Marks a one-time value (a client assertion's or proof's `jti`, an authorization code)
    /// of `client_id` as used until `expires_at`. [`Error::AlreadyExists`] with
    /// [`Conflict::Nonce`] if it was used before: a replay. Expired values are purged.
    async fn use_nonce(
        &self,
        client_id: &str,
        nonce_index: BlindIndex,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), Error>;

    /// Marks a wallet-signed request, by the blind index of its wallet key and request id, as
    /// used until `expires_at`. [`Error::AlreadyExists`] with [`Conflict::Nonce`] if it was
    /// used before: a replay. Expired ones are purged.
    async fn use_wallet_request(
        &self,
        request_index: BlindIndex,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), Error>;

    /// Registers a passkey of a (not deleted) holder, with `log_entry` (tagged for them) in
    /// the same transaction. [`Error::AlreadyExists`] with
    /// [`Conflict::Passkey`] if the credential id is known, [`Error::NotFound`] if the holder
    /// is gone.
    async fn add_passkey(&self, passkey: PasskeyRow, log_entry: Vec<u8>) -> Result<(), Error>;

    /// `holder`'s passkeys, oldest first.
    async fn passkeys_of(&self, holder: HolderId) -> Result<Vec<PasskeyRow>, Error>;

    /// Removes `holder`'s passkey `credential_id`, with `log_entry` in the same transaction;
    /// `false` (and nothing logged) if the holder has no such passkey.
    async fn remove_passkey(
        &self,
        holder: HolderId,
        credential_id: Vec<u8>,
        log_entry: Vec<u8>,
    ) -> Result<bool, Error>;

    /// The passkey with `credential_id`, if its holder is not deleted.
    async fn passkey(&self, credential_id: &[u8]) -> Result<Option<PasskeyRow>, Error>;

    /// Records a sign-in with a passkey: its counter is now `sign_count`, which must be above
    /// the stored one unless it is 0 (an authenticator without a counter);
    /// [`Error::NotFound`] otherwise, or if there is no such passkey.
    async fn use_passkey(&self, credential_id: &[u8], sign_count: i64) -> Result<(), Error>;

    /// `holder`'s live consents, by platform and field.
    async fn live_consents(&self, holder: HolderId) -> Result<Vec<ConsentRow>, Error>;
}

/// Whether the consent of holder `?1` to give platform `?2` field `?3` is live and stands as
/// the request signed at `?4` made it.
const CONSENT_STANDS: &str = "SELECT EXISTS (SELECT 1 FROM consents WHERE holder_id = ?1 \
     AND client_id = ?2 AND field = ?3 AND withdrawn_at IS NULL AND signed_at = ?4)";

/// Ends the live consents to a platform whose terms changed (`?1` the platform, `?2` when):
/// kept, with the reason, so that nothing revives them under terms the holder never saw.
const END_CONSENTS_ON_NEW_TERMS: &str = "UPDATE consents SET withdrawn_at = ?2, \
     end_reason = 'terms_changed' WHERE client_id = ?1 AND withdrawn_at IS NULL";

/// Ends the live consents to a field the operator refused (`?1` the platform, `?2` the field,
/// `?3` when), kept with the reason.
const END_CONSENTS_TO_A_REFUSED_FIELD: &str = "UPDATE consents SET withdrawn_at = ?3, \
     end_reason = 'field_refused' WHERE client_id = ?1 AND field = ?2 AND withdrawn_at IS NULL";

/// [`Store::count_code_failure`] on SQLite; PostgreSQL's is the same with typed parameters.
const COUNT_CODE_FAILURE: &str = "INSERT INTO enrollment_code_failures \
     (document_index, code_index, failures) \
     SELECT ?1, ?2, 1 WHERE EXISTS (SELECT 1 FROM roster_records WHERE document_index = ?1) \
     ON CONFLICT (document_index) DO UPDATE SET failures = CASE \
     WHEN enrollment_code_failures.code_index = excluded.code_index \
     THEN enrollment_code_failures.failures + 1 ELSE 1 END, code_index = excluded.code_index \
     RETURNING failures";

/// The failure count of a roster record from its joined columns.
fn code_failures(
    code_index: Option<Vec<u8>>,
    failures: Option<i64>,
) -> Result<Option<(BlindIndex, u32)>, Error> {
    match (code_index, failures) {
        (Some(code_index), Some(failures)) => Ok(Some((
            BlindIndex::from_column(&code_index, "enrollment_code_failures.code_index")?,
            u32::try_from(failures).unwrap_or(u32::MAX),
        ))),
        _ => Ok(None),
    }
}
