//! The rows the store reads and writes.

/// Seconds since the Unix epoch, handed in by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// A keyed MAC used as a lookup key (blind index): 32 bytes, revealing nothing without the key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BlindIndex([u8; BlindIndex::LEN]);

impl BlindIndex {
    /// Length of a blind index in bytes (one SM3 or SHA-256 output).
    pub const LEN: usize = 32;

    /// Wraps a MAC output.
    pub fn new(bytes: [u8; Self::LEN]) -> Self {
        Self(bytes)
    }

    /// The index bytes.
    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }
}

impl core::fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("BlindIndex(..)")
    }
}

/// The store's own key of a holder row; never shown outside the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HolderId(pub i64);

/// A trusted document authority: its name and its signature public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityRow {
    /// The authority's name, as the roster names it.
    pub name: String,
    /// The crypto suite of its key.
    pub suite: netid_crypto::SuiteId,
    /// The key as `SubjectPublicKeyInfo` DER.
    pub public_key_spki: Vec<u8>,
    /// When it was registered.
    pub registered_at: Timestamp,
}

/// One authoritative record of a roster, sealed by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// Blind index of (document type, document number): the lookup key.
    pub document_index: BlindIndex,
    /// Blind index of the authority's person reference.
    pub person_index: BlindIndex,
    /// The record (personal data), sealed under a service key with `document_index` as AAD.
    pub sealed: Vec<u8>,
    /// Wrong enrollment codes guessed at this record, and the blind index of the code they
    /// were counted against (the code current then). Read only; a roster load ignores it.
    pub code_failures: Option<(BlindIndex, u32)>,
}

/// A wallet public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletKeyRow {
    /// Digest of the key's SPKI DER: the lookup key.
    pub fingerprint: Vec<u8>,
    /// The key as `SubjectPublicKeyInfo` DER.
    pub spki: Vec<u8>,
    /// The suite of the key.
    pub suite: netid_crypto::SuiteId,
}

/// A holder's signed request about their consents to a platform's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentChange {
    /// The holder.
    pub holder: HolderId,
    /// The platform.
    pub client_id: String,
    /// The fields.
    pub fields: Vec<String>,
    /// When the holder signed the request.
    pub signed_at: Timestamp,
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

/// A recovery to record ([`crate::Holders::replace_wallet_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The holder.
    pub holder: HolderId,
    /// Their new wallet key.
    pub new_key: WalletKeyRow,
    /// The enrollment code used, if any (claimed for the holder's person).
    pub code_index: Option<BlindIndex>,
    /// A guardian to record, if any.
    pub guardian: Option<HolderId>,
    /// The recovery's log entry.
    pub log_entry: Vec<u8>,
    /// The holder's certificates to revoke with it.
    pub revocations: Vec<Revocation>,
}

/// A verification to record ([`crate::Verifications::record_verification`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVerification {
    /// The platform that verified.
    pub client_id: String,
    /// The blind index of the presentation's nonce: used once.
    pub nonce_index: BlindIndex,
    /// Until when the nonce is kept as used.
    pub expires_at: Timestamp,
    /// The holder verified.
    pub holder: HolderId,
    /// The fingerprint of the wallet key the holder was authenticated with.
    pub wallet_key: Vec<u8>,
    /// The verification's log entry.
    pub log_entry: Vec<u8>,
    /// The disclosure's log entry, appended only if fields go.
    pub disclosure_entry: Vec<u8>,
    /// The fields the platform asked for, when it named any.
    pub asked: Option<Vec<String>>,
}

/// A Net ID as the store keeps it: never in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredNetId {
    /// Its blind index, which keeps Net IDs unique.
    pub index: BlindIndex,
    /// The Net ID sealed under the master key.
    pub sealed: Vec<u8>,
}

/// A holder to enroll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHolder {
    /// The freshly drawn Net ID.
    pub net_id: StoredNetId,
    /// Blind index of the authority's person reference: one holder per person.
    pub person_index: BlindIndex,
    /// The holder's wallet key.
    pub wallet_key: WalletKeyRow,
    /// The holder's data key, wrapped under the master key.
    pub wrapped_data_key: Vec<u8>,
    /// The holder's personal data, sealed under the data key.
    pub sealed_personal: Vec<u8>,
}

/// A holder as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderRow {
    /// The row key.
    pub id: HolderId,
    /// The holder's Net ID.
    pub net_id: StoredNetId,
    /// Blind index of the authority's person reference.
    pub person_index: BlindIndex,
    /// The current wallet key.
    pub wallet_key: WalletKeyRow,
    /// The data key, wrapped under the master key.
    pub wrapped_data_key: Vec<u8>,
    /// The personal data, sealed under the data key.
    pub sealed_personal: Vec<u8>,
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
}

/// A certificate the CA issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRow {
    /// The serial number's bytes (the DER INTEGER's content).
    pub serial: Vec<u8>,
    /// The holder it was issued to, if any.
    pub holder: Option<HolderId>,
    /// The profile it was issued under (`holder-signing`, `ocsp-responder`, ...).
    pub profile: String,
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// End of its validity.
    pub not_after: Timestamp,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// When and why it was revoked (reason as the CA names it), if it was.
    pub revoked: Option<(Timestamp, String)>,
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

/// An enum stored as text: each variant with its stored name, read back strictly (an
/// unknown stored name is [`crate::Error::Unreadable`], never a default).
macro_rules! stored_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$doc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$doc])* $variant,)*
        }

        impl $name {
            /// The stored name.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)*
                }
            }

            /// The value of a stored name.
            #[must_use]
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($text => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }

        impl From<$name> for crate::sql::Value<'_> {
            fn from(value: $name) -> Self {
                Self::Text(value.as_str())
            }
        }

        crate::sql::from_column_via!($name: String => |name: String| $name::from_name(&name));
    };
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
}

/// A holder's passkey (a WebAuthn credential) for the web app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyRow {
    /// The credential id the authenticator chose.
    pub credential_id: Vec<u8>,
    /// The holder it signs in.
    pub holder: HolderId,
    /// Its public key, SPKI DER (P-256).
    pub spki: Vec<u8>,
    /// The authenticator's signature counter when last used.
    pub sign_count: i64,
    /// When it was registered.
    pub created_at: Timestamp,
}

/// A live consent of a holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRow {
    /// The platform.
    pub client_id: String,
    /// The field.
    pub field: String,
    /// When it was given.
    pub given_at: Timestamp,
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

/// A revocation to carry out inside another act's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// The certificate's serial number bytes.
    pub serial: Vec<u8>,
    /// The reason, as the CA names it.
    pub reason: String,
    /// The log entry to append if the certificate is revoked now.
    pub log_entry: Vec<u8>,
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

/// An operator's read of a holder's personal data (the one audited read path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorReadRow {
    /// The read's entry in the transparency log (assigned by the store on insert).
    pub log_index: u64,
    /// The holder read.
    pub holder: HolderId,
    /// The fields read.
    pub fields: Vec<String>,
    /// The law and article the operator named.
    pub legal_basis: String,
    /// The request's reference.
    pub reference: String,
    /// When.
    pub read_at: Timestamp,
    /// The deferral of the holder's notice, if any.
    pub deferral: Option<NoticeDeferralRow>,
}

/// A holder's values sealed under the master key, sealed again under a new master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResealedHolder {
    /// The holder.
    pub id: HolderId,
    /// The Net ID, sealed under the new key.
    pub sealed_net_id: Vec<u8>,
    /// The data key, wrapped under the new key.
    pub wrapped_data_key: Vec<u8>,
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

/// A deferred notice (Measures Art. 11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeDeferralRow {
    /// `confidentiality` or `emergency`.
    pub ground: String,
    /// The law and article, or the emergency.
    pub legal_basis: String,
    /// The first instant the holder is told.
    pub ends_at: Timestamp,
    /// The one-off key the read's entry was tagged with, sealed under the master key.
    pub sealed_tag_key: Vec<u8>,
}

/// Aggregate counts of operator reads and deferred notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeferralCountsRow {
    /// Operator reads, ever.
    pub operator_reads: u64,
    /// Reads whose notice was deferred.
    pub deferred: u64,
    /// Deferrals not yet ended at the time asked.
    pub deferred_now: u64,
}

/// How many grouped writes (verifications, nonces, enrollments) were committed together, and
/// in how many transactions: `writes / commits` is the average group, what group commit saves
/// in `fsync`s and WAL flushes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupCommits {
    /// Shared transactions committed.
    pub commits: u64,
    /// Grouped writes stored by them.
    pub writes: u64,
}
