//! netid-proto: the wire types of netid's HTTP API, and nothing else.
//!
//! What it does: the JSON requests and responses of `/v1` (serde), the RFC 9457 problem body
//! every error uses, the signed roster envelope, and the exact bytes a wallet signs
//! ([`signing`]), so that the server and every client build them the same way.
//!
//! What it does not do: validate. Fields are plain strings here; the server parses them into
//! netid-core's types at the edge and rejects what does not parse. No crypto, no IO.
//!
//! # Example
//!
//! ```
//! use netid_proto::{Predicate, signing};
//!
//! let message = signing::presentation_message(
//!     "client-1",
//!     "nonce-0123456789abcdef",
//!     &[Predicate::AgeOver18],
//!     1_800_000_000,
//! );
//! assert_eq!(
//!     message,
//!     b"netid-presentation-v1\nclient-1\nnonce-0123456789abcdef\nage_over_18\n1800000000".to_vec()
//! );
//! ```

mod ca;
mod holder;
mod operators;
mod platforms;
pub mod signing;

pub use ca::*;
pub use holder::*;
pub use operators::*;
pub use platforms::*;

use serde::{Deserialize, Serialize};

/// The media type of error bodies (RFC 9457).
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// The version of netid's notice text (Art. 10). A deployment that names its operator or
/// sets another retention serves it followed by `+` and a digest of what it set
/// (`GET /v1/notice` says which); a holder accepts the version they were shown.
pub const NOTICE_TEXT_VERSION: &str = "2026-12-07.2";

/// An RFC 9457 problem details body with netid's stable `code` member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A URI naming the problem type (`urn:netid:problem:<code>`).
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What was wrong in this request, never echoing personal data.
    pub detail: String,
    /// A stable snake_case code for programs.
    pub code: String,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` when the service answers.
    pub status: String,
}

/// A public JWK (RFC 7517) of an elliptic-curve key: `crv` is `SM2` or `P-256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jwk {
    /// Key type; `EC`.
    pub kty: String,
    /// Curve: `SM2` or `P-256`.
    pub crv: String,
    /// x coordinate, base64url.
    pub x: String,
    /// y coordinate, base64url.
    pub y: String,
}

/// A public key in one of the encodings the API accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PublicKey {
    /// `SubjectPublicKeyInfo` PEM (`-----BEGIN PUBLIC KEY-----`).
    Pem(String),
    /// A public JWK.
    Jwk(Jwk),
}

/// `POST /v1/operator/authorities`: trust a document authority's signature key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterAuthorityRequest {
    /// The authority's name, as its rosters name it.
    pub name: String,
    /// The authority's public key.
    pub public_key: PublicKey,
}

/// Answer to [`RegisterAuthorityRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterAuthorityResponse {
    /// The authority's name.
    pub name: String,
    /// The suite of its key (`gm` or `intl`).
    pub suite: String,
}

/// `POST /v1/operator/rosters`: a roster as the authority signed it, JWS-like.
///
/// `payload` is base64url (no padding) of the UTF-8 JSON bytes of a [`RosterPayload`];
/// `signature` is base64url of the fixed-length `r || s` signature over exactly those bytes,
/// SM2 with SM3 and the default distinguishing ID for `alg` = `SM2SM3`, ECDSA P-256 with
/// SHA-256 for `ES256`. The bytes signed are the bytes sent, so no canonicalisation is needed
/// to verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedRoster {
    /// Signature algorithm: `SM2SM3` (netid's name for SM2-with-SM3) or `ES256`.
    pub alg: String,
    /// The authority that signed, as registered.
    pub authority: String,
    /// base64url of the roster JSON bytes.
    pub payload: String,
    /// base64url of the signature.
    pub signature: String,
}

/// The signed content of a roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterPayload {
    /// The authority; must equal [`SignedRoster::authority`].
    pub authority: String,
    /// When the authority issued the roster, `YYYY-MM-DD`.
    pub issued_at: String,
    /// The authoritative records.
    pub records: Vec<RosterEntry>,
}

/// One authoritative record of a roster.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterEntry {
    /// Document type name (`resident-id`, `passport`, ...).
    pub document_type: String,
    /// Document number.
    pub document_number: String,
    /// Name as on the document.
    pub name: String,
    /// Birth date, `YYYY-MM-DD`.
    pub birth_date: String,
    /// `male` or `female`, where the document records sex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    /// ISO 3166-1 alpha-3 nationality.
    pub nationality: String,
    /// Last valid day `YYYY-MM-DD`, or `long-term`.
    pub expiry: String,
    /// The authority's own stable reference for the person (one person, many documents).
    pub person_ref: String,
    /// A one-time code the authority gave the applicant, if enrollment needs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrollment_code: Option<String>,
    /// For a minor: the person reference of a guardian (see `guardian_person_refs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardian_person_ref: Option<String>,
    /// For a minor: the person references of their guardians, with `guardian_person_ref`.
    /// Each who is enrolled is a guardian on record until 18; a roster load that lists others
    /// changes the guardianships, one that lists none ends them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guardian_person_refs: Vec<String>,
}

impl RosterEntry {
    /// The person references of the minor's guardians, from both fields, each once.
    pub fn guardians(&self) -> Vec<&str> {
        let mut all: Vec<&str> = Vec::new();
        for reference in self
            .guardian_person_ref
            .iter()
            .chain(&self.guardian_person_refs)
        {
            if !all.contains(&reference.as_str()) {
                all.push(reference);
            }
        }
        all
    }
}

impl core::fmt::Debug for RosterEntry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RosterEntry")
            .field("document_type", &self.document_type)
            .finish_non_exhaustive()
    }
}

/// Answer to a roster load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadRosterResponse {
    /// The authority whose roster was replaced.
    pub authority: String,
    /// How many records it now has.
    pub records: usize,
}

/// `POST /v1/operator/platforms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterPlatformRequest {
    /// A display name for the platform.
    pub name: String,
    /// The client id of a registered platform whose pseudonym sector the new platform joins
    /// (OpenID Connect's sector identifier: a group of platforms, declared by the operator,
    /// that sees one pseudonym per holder); absent: a sector of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector_of: Option<String>,
}

/// Answer to [`RegisterPlatformRequest`]: the credential is shown this once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterPlatformResponse {
    /// The platform's client id.
    pub client_id: String,
    /// The platform's secret credential; netid stores only its hash.
    pub credential: String,
    /// The sector the platform's pseudonyms are derived for.
    pub sector: String,
}

impl core::fmt::Debug for RegisterPlatformResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RegisterPlatformResponse")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/holders/enroll`: apply for a Net ID with a statutory document.
///
/// `signature` is the wallet key's signature (base64url, fixed `r || s`) over
/// [`signing::enrollment_message`], which proves possession of the key and binds it to this
/// request; `timestamp` (Unix seconds) must be within five minutes of the server's clock.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// Document type name.
    pub document_type: String,
    /// Document number.
    pub document_number: String,
    /// Name as on the document.
    pub name: String,
    /// The one-time code the document authority gave the applicant (every roster record has
    /// one; a request without it is refused like a wrong one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrollment_code: Option<String>,
    /// The applicant's wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before: the server refuses it a second time
    /// ([`signing::is_valid_request_id`]).
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature over [`signing::enrollment_message`].
    pub signature: String,
    /// For an applicant under 14: the guardian's consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardian: Option<GuardianConsent>,
    /// The version of the notice (`GET /v1/notice`) the applicant read and accepts: their
    /// consent to the centre's processing. Required; a missing or old one is refused
    /// (`notice_not_accepted`, naming the current version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_version: Option<String>,
}

impl core::fmt::Debug for EnrollRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EnrollRequest")
            .field("document_type", &self.document_type)
            .finish_non_exhaustive()
    }
}

/// A guardian's consent to a minor's enrollment, signed by the guardian's enrolled wallet key
/// over [`signing::guardian_consent_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardianConsent {
    /// The guardian's current wallet public key.
    pub wallet_key: PublicKey,
    /// base64url signature.
    pub signature: String,
}

/// Whether an enrollment created a Net ID or recovered an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrollOutcome {
    /// A new Net ID was issued.
    Enrolled,
    /// The person already had a Net ID: the wallet key was replaced and the old one retired.
    Recovered,
}

/// Answer to [`EnrollRequest`], for the holder only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The holder's Net ID, grouped in fours.
    pub net_id: String,
    /// What happened.
    pub outcome: EnrollOutcome,
}

impl core::fmt::Debug for EnrollResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EnrollResponse")
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

/// An age predicate a platform may ask about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Predicate {
    /// Whether the holder is 14 or older today.
    #[serde(rename = "age_over_14")]
    AgeOver14,
    /// Whether the holder is 18 or older today.
    #[serde(rename = "age_over_18")]
    AgeOver18,
}

impl Predicate {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AgeOver14 => "age_over_14",
            Self::AgeOver18 => "age_over_18",
        }
    }
}

/// A holder's presentation to a platform. Who the holder is goes to the service only: the
/// wallet key and its signature over [`signing::presentation_message`] (for this platform's
/// client id, nonce, predicates and timestamp) are sealed to the service's presentation key,
/// afresh each time, so the platform holds nothing that is the same in two presentations of
/// one holder (its pairwise pseudonym, in the answer, is the one link it gets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Presentation {
    /// The platform's nonce, 16 to 128 characters.
    pub nonce: String,
    /// The predicates the platform asked for.
    #[serde(default)]
    pub predicates: Vec<Predicate>,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url of the JSON of a [`SealedPresentation`], encrypted with SM2 (GB/T 32918.4,
    /// DER ciphertext) to the key of `GET /v1/presentation-key`.
    pub sealed: String,
}

/// What a [`Presentation`] seals for the service alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedPresentation {
    /// The holder's wallet public key.
    pub wallet_key: PublicKey,
    /// base64url signature over [`signing::presentation_message`].
    pub signature: String,
}

/// `GET /v1/presentation-key`: the SM2 public key presentations are sealed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresentationKey {
    /// `SM2` public-key encryption (GB/T 32918.4), ciphertexts in ASN.1 DER.
    pub alg: String,
    /// The key, SPKI PEM.
    pub public_key: String,
}

/// `POST /v1/platform/verify`, authenticated as the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// What the holder presented.
    pub presentation: Presentation,
}

/// Answer to [`VerifyRequest`]: the result only (Measures Art. 8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyResponse {
    /// The presenter is a holder whose real name was verified at enrollment.
    pub real_name_verified: bool,
    /// Present only when asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_over_14: Option<bool>,
    /// Present only when asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_over_18: Option<bool>,
    /// The holder's pairwise pseudonym at this platform (hex of HMAC-SM3).
    pub subject: String,
    /// Plaintext fields, present only for fields the platform's approved profile grants with a
    /// legal basis and the holder consented to, separately, for this platform.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub claims: std::collections::BTreeMap<String, String>,
}

/// One field a platform asks to receive in plaintext (Art. 7, 8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldRequest {
    /// `net_id`, `name`, `birth_date`, `document_type`, `document_number` or `nationality`.
    pub field: String,
    /// The law and article that allow the platform to receive it.
    pub legal_basis: String,
    /// What the platform needs it for.
    pub purpose: String,
    /// How many days the platform keeps it.
    pub retention_days: u32,
}

/// `POST /v1/platform/profile`: the fields a platform asks to receive in plaintext, each
/// awaiting the operator's decision. Replaces what it asked before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileRequest {
    /// The fields (at most one entry per field).
    pub fields: Vec<FieldRequest>,
}

/// `POST /v1/operator/platforms/profile`: the operator approves or refuses requested fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileDecision {
    /// The platform.
    pub client_id: String,
    /// Fields approved.
    #[serde(default)]
    pub approve: Vec<String>,
    /// Fields refused.
    #[serde(default)]
    pub refuse: Vec<String>,
    /// How many days the approvals hold: 1 to 1095 (three years, the default). A renewal
    /// is a new approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_days: Option<u32>,
}

/// A platform's profile: each field it asked for, and the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The platform's client id.
    pub client_id: String,
    /// Its display name.
    pub name: String,
    /// The fields, by name.
    pub fields: Vec<ProfileField>,
    /// The other platforms of its declared pseudonym sector, which see the same pseudonym
    /// for each holder (and so can link their accounts); empty for a sector of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shares_pseudonyms_with: Vec<String>,
    /// Its standing: whether it may verify, sign people in and receive data now.
    pub standing: Standing,
    /// The commitments of Art. 7 it declared, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitments: Option<Commitments>,
}

/// One field of a [`Profile`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileField {
    /// The field.
    pub field: String,
    /// The law and article that allow it.
    pub legal_basis: String,
    /// What the platform needs it for.
    pub purpose: String,
    /// How many days the platform keeps it.
    pub retention_days: u32,
    /// `requested`, `approved`, `expired` (approved, past its end date) or `refused`.
    pub status: String,
    /// Until when an approval holds (Unix seconds; at most three years after it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_until: Option<i64>,
}

/// Something the service signs with its SM2 key: a published profile, a consent receipt.
/// `payload` is base64url of the JSON, `signature` base64url of the DER signature over those
/// bytes, `key` the service's public key (SPKI PEM), which the operator also publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSigned {
    /// `SM2SM3`.
    pub alg: String,
    /// base64url of the JSON bytes.
    pub payload: String,
    /// base64url of the DER signature.
    pub signature: String,
    /// The signing key, SPKI PEM.
    pub key: String,
}

/// `GET /v1/notice`: the notice of Art. 10, shown before every consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    /// Its version (the same in both languages); an enrollment and a consent record the
    /// version they were given under.
    pub version: String,
    /// Its language: `zh` (the default) or `en` (`GET /v1/notice?lang=en`).
    pub language: String,
    /// Who processes the data, and how to reach them.
    pub operator: String,
    /// Why.
    pub purpose: String,
    /// How.
    pub method: String,
    /// What the centre holds about a holder, item by item.
    pub held: Vec<String>,
    /// The fields a platform may be granted (by name).
    pub data_types: Vec<String>,
    /// How long it is kept.
    pub retention: String,
    /// How to exercise one's rights.
    pub rights: String,
    /// For sensitive personal data: why it is necessary, and the impact on the person.
    pub sensitive_data: String,
}

/// `POST /v1/holders/consents`: a holder's separate consent to give a platform each of
/// `fields`. The wallet signs [`signing::consent_message`]; a holder under 14 also needs the
/// guardian's approval ([`signing::guardian_approval_message`] for `consent`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// The platform.
    pub client_id: String,
    /// The fields (each approved in its profile).
    pub fields: Vec<String>,
    /// The version of the notice shown.
    pub notice_version: String,
    /// The holder's current wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before: the server refuses it a second time
    /// ([`signing::is_valid_request_id`]).
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
    /// The guardian's consent, for a holder under 14.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardian: Option<GuardianConsent>,
}

/// A holder's answer to an OpenID Connect authorization request, signed by their wallet
/// ([`signing::oidc_decision_message`]); with `consent` when they also gave, on the consent
/// screen, a separate consent for plaintext fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcDecision {
    /// The `request_uri` of the pushed authorization request.
    pub request_uri: String,
    /// Whether the holder lets the platform know them.
    pub approve: bool,
    /// The holder's current wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before: the server refuses it a second time
    /// ([`signing::is_valid_request_id`]).
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
    /// A separate consent for plaintext fields, for the same platform and wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentRequest>,
}

/// Where the holder's browser goes next: the platform's redirect URI with the code (or the
/// refusal), the state and the issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcDecisionResponse {
    /// The URL to send the holder's browser to.
    pub redirect_to: String,
}

/// A holder's request for a one-time link to add a passkey in a browser, signed by their
/// wallet ([`signing::passkey_link_message`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasskeyLinkRequest {
    /// The holder's current wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before: the server refuses it a second time
    /// ([`signing::is_valid_request_id`]).
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
}

/// The link: open it in the browser that is to hold the passkey, before it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasskeyLinkResponse {
    /// The web app's URL with the one-time code.
    pub url: String,
    /// Seconds until the link expires.
    pub expires_in: i64,
}

/// A platform's OpenID Connect client settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcClientSettings {
    /// Its redirect URIs, each compared exactly (`https`, or `http` on loopback).
    pub redirect_uris: Vec<String>,
    /// Its public keys for `private_key_jwt` client assertions: a JWK Set.
    pub jwks: serde_json::Value,
    /// `ES256` (the default) or `SM2SM3`: how its ID tokens are signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_signed_response_alg: Option<String>,
    /// `private_key_jwt` (the default) or `tls_client_auth` (RFC 8705, with the client
    /// certificate netid's CA issued it, where the service offers mutual TLS): the one way
    /// it authenticates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
}

/// The payload of a consent receipt (a [`ServiceSigned`] the holder keeps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentReceipt {
    /// `netid-consent-receipt-v1`.
    pub format: String,
    /// The platform.
    pub client_id: String,
    /// The fields consented to, each with its legal basis, purpose and retention.
    pub fields: Vec<ProfileField>,
    /// The notice version shown.
    pub notice_version: String,
    /// When, Unix seconds.
    pub given_at: i64,
}

/// `POST /v1/holders/consents/withdraw`: the wallet signs
/// [`signing::consent_withdrawal_message`]; or, with `ward_net_id`, a guardian on record
/// withdraws consents of a child under 14 in their care, signing
/// [`signing::ward_consent_withdrawal_message`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawConsentRequest {
    /// The platform.
    pub client_id: String,
    /// The fields.
    pub fields: Vec<String>,
    /// For a guardian withdrawing for a child under 14: the child's Net ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ward_net_id: Option<String>,
    /// The holder's current wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before: the server refuses it a second time
    /// ([`signing::is_valid_request_id`]).
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
}

impl core::fmt::Debug for WithdrawConsentRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WithdrawConsentRequest")
            .field("client_id", &self.client_id)
            .field("fields", &self.fields)
            .field("for_ward", &self.ward_net_id.is_some())
            .finish_non_exhaustive()
    }
}

/// Answer to [`WithdrawConsentRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawConsentResponse {
    /// How many consents were live and are withdrawn now.
    pub withdrawn: u64,
}

/// `GET /v1/log/entries?start=S&end=E`: leaves `start..` of the transparency log, each the
/// exact leaf bytes (one line of JSON) as a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEntries {
    /// The index of the first entry.
    pub start: u64,
    /// The entries, in order; fewer than asked at the end of the log or of a page.
    pub entries: Vec<String>,
}

/// `GET /v1/log/proof/inclusion?index=I&size=N`: the audit path (RFC 9162 §2.1.3) of entry
/// `index` in the tree of `size` entries, hashes in standard base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// The entry's index.
    pub index: u64,
    /// The tree size the proof is for.
    pub size: u64,
    /// Sibling hashes from the leaf upwards.
    pub proof: Vec<String>,
}

/// `GET /v1/log/proof/consistency?old=M&new=N`: the consistency proof (RFC 9162 §2.1.4)
/// between two tree sizes, hashes in standard base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// The older size.
    pub old_size: u64,
    /// The newer size.
    pub new_size: u64,
    /// The proof hashes.
    pub proof: Vec<String>,
}

/// `POST /v1/holders/log`: a holder asks for their own log entries, proving the wallet key by
/// a signature over [`signing::holder_log_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolderLogRequest {
    /// The holder's current wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before: the server refuses it a second time
    /// ([`signing::is_valid_request_id`]).
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
}

/// Answer to [`HolderLogRequest`]: the holder's log key (with which they recognise their
/// entries, and which no one else gets), the checkpoint the proofs are against, and each of
/// their entries with its inclusion proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolderLogResponse {
    /// The holder's log key, hex.
    pub log_key: String,
    /// The signed checkpoint (C2SP signed note) the proofs lead to.
    pub checkpoint: String,
    /// The holder's entries in that checkpoint's tree.
    pub entries: Vec<HolderLogEntry>,
    /// For a guardian: the log of each minor in their care, with the minor's log key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wards: Vec<WardLog>,
    /// The operator's reads of the holder's data whose notice is due, with their basis.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operator_reads: Vec<OperatorReadNotice>,
    /// How many days the centre keeps a use (verification, sign-in, disclosure) linked to the
    /// holder before it forgets whose it was.
    pub use_link_retention_days: u32,
}

/// A minor's log entries, shown to their guardian (Measures Art. 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WardLog {
    /// The minor's Net ID, grouped (the guardian acts for a child under 14 with it).
    pub net_id: String,
    /// The platforms a guardian approved for the minor (needed under 14), by client id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approved_platforms: Vec<String>,
    /// The minor's log key, hex.
    pub log_key: String,
    /// The minor's entries in the checkpoint's tree.
    pub entries: Vec<HolderLogEntry>,
    /// The operator's reads of the minor's data whose notice is due.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operator_reads: Vec<OperatorReadNotice>,
    /// Each platform the minor has used, with its first use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<WardPlatform>,
}

/// One of a holder's log entries, with its inclusion proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolderLogEntry {
    /// The entry's index.
    pub index: u64,
    /// The leaf bytes as a string.
    pub leaf: String,
    /// Audit path hashes, standard base64.
    pub proof: Vec<String>,
    /// The key, hex, the entry's tag was made with instead of the holder's log key: for an
    /// operator read whose notice was deferred (Art. 11), the one-off key (so that no one
    /// could recognise it as the holder's while the deferral ran), revealed once the deferral
    /// has ended; for a use (verification, sign-in, disclosure), its key while the centre
    /// keeps the use linked to the holder (see `kept_until`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_key: Option<String>,
    /// For a use: when the centre forgets that it was the holder's (Unix seconds). From then
    /// on the entry stays in the public log, but no one, the centre included, can tell whose
    /// it is; the holder keeps it only in a history they saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_until: Option<i64>,
}

/// `POST /v1/operator/holders/read`: the operator reads personal data of one holder, named
/// by exactly one of `net_id`, `platform_subject` or `certificate_serial`, the one audited way
/// to do so. The read is a log entry of the holder's and is in their history; only with
/// `defer_notice` is the holder told later, never not at all.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorReadRequest {
    /// The holder's Net ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_id: Option<String>,
    /// The holder as a platform knows them: its client id and their pairwise pseudonym there
    /// (what a lawful request to the platform starts from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_subject: Option<PlatformSubject>,
    /// The serial number (hex) of a certificate the CA issued to the holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_serial: Option<String>,
    /// Also (or only: `fields` may then be empty) the holder's authentication history in
    /// these days: which platform verified or signed them in, or got their data, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<HistoryScope>,
    /// The fields to read (`name`, `birth_date`, `document_type`, `document_number`,
    /// `nationality`).
    pub fields: Vec<String>,
    /// The kind of legal basis, from a fixed catalogue: what the public counts are per.
    pub basis_kind: LegalBasisKind,
    /// The law and article that require the read.
    pub legal_basis: String,
    /// The request's reference (case or order number), shown to the holder.
    pub reference: String,
    /// Defers the holder's notice (Art. 11), if a legal ground requires it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defer_notice: Option<NoticeDeferral>,
}

impl core::fmt::Debug for OperatorReadRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OperatorReadRequest")
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

/// The kinds of legal basis a read of personal data may rest on: a fixed catalogue, so that
/// the public counts per basis (`GET /v1/transparency/deferrals`) carry no free text. The law
/// and article themselves are in the read's `legal_basis`, shown to the holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasisKind {
    /// A criminal investigation by a public security, procuratorial or state security organ.
    CriminalInvestigation,
    /// A court's order in proceedings.
    CourtOrder,
    /// National security.
    NationalSecurity,
    /// Public security administration (other than a criminal case).
    PublicSecurityAdministration,
    /// An investigation by a supervisory commission or a regulator.
    SupervisoryInvestigation,
    /// An emergency to protect a person's life, health or property.
    Emergency,
}

impl LegalBasisKind {
    /// Every kind, in a fixed order.
    pub const ALL: [Self; 6] = [
        Self::CriminalInvestigation,
        Self::CourtOrder,
        Self::NationalSecurity,
        Self::PublicSecurityAdministration,
        Self::SupervisoryInvestigation,
        Self::Emergency,
    ];

    /// The kind's wire name (snake_case).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CriminalInvestigation => "criminal_investigation",
            Self::CourtOrder => "court_order",
            Self::NationalSecurity => "national_security",
            Self::PublicSecurityAdministration => "public_security_administration",
            Self::SupervisoryInvestigation => "supervisory_investigation",
            Self::Emergency => "emergency",
        }
    }
}

/// The days of an export of a holder's authentication history (at most 366).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryScope {
    /// The first day (`YYYY-MM-DD`, in China Standard Time, UTC+8, as the service counts days).
    pub from: String,
    /// The last day (`YYYY-MM-DD`, in China Standard Time, UTC+8).
    pub until: String,
}

/// One entry of an exported authentication history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthenticationRecord {
    /// The entry's index in the transparency log.
    pub log_index: u64,
    /// `verification`, `disclosure`, `consent_given` or `consent_withdrawn`.
    pub kind: String,
    /// The minute (since the epoch).
    pub minute: u64,
    /// The platform's client id.
    pub platform: String,
}

/// A holder as a platform knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformSubject {
    /// The platform's client id.
    pub client_id: String,
    /// The pairwise pseudonym it was given (`subject`, or OpenID Connect's `sub`).
    pub subject: String,
}

/// Why and until when a holder's notice of a read is deferred (Measures Art. 11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeDeferral {
    /// `confidentiality` (a law or regulation requires it, Art. 11 para. 1) or `emergency`
    /// (the holder could not be told in time, Art. 11 para. 2).
    pub ground: String,
    /// The law and article, or the emergency, behind the deferral.
    pub legal_basis: String,
    /// The last day (`YYYY-MM-DD`, Beijing time) of the deferral, at most 366 days after the
    /// day of the read; the holder is told from the day after.
    pub until: String,
}

/// Answer to [`OperatorReadRequest`]: the fields read, for the operator only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorReadResponse {
    /// Each field read, by name.
    pub claims: std::collections::BTreeMap<String, String>,
    /// The authentication history asked for, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<AuthenticationRecord>,
    /// The index of the read's entry in the transparency log.
    pub log_index: u64,
    /// When the holder is told: `now`, or the day after the deferral's last day.
    pub holder_notified_from: String,
}

impl core::fmt::Debug for OperatorReadResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OperatorReadResponse")
            .field("log_index", &self.log_index)
            .finish_non_exhaustive()
    }
}

/// An operator's read of the holder's data, as the holder's history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorReadNotice {
    /// The read's entry in the transparency log.
    pub log_index: u64,
    /// The fields read.
    pub fields: Vec<String>,
    /// The law and article the operator named.
    pub legal_basis: String,
    /// The request's reference.
    pub reference: String,
    /// When, Unix seconds.
    pub read_at: i64,
    /// If the notice was deferred: on what ground and until when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferred: Option<NoticeDeferral>,
}

/// `GET /v1/transparency/deferrals`: aggregate counts of operator reads and of deferred
/// notices, always public (no holder, no reference, no basis).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeferralCounts {
    /// Operator reads of personal data, ever.
    pub operator_reads: u64,
    /// Of those, how many had the holder's notice deferred.
    pub deferred: u64,
    /// Of those, how many deferrals are still running today.
    pub deferred_now: u64,
    /// Reads per kind of legal basis (`unspecified`: reads from before the catalogue).
    #[serde(default)]
    pub by_basis: std::collections::BTreeMap<String, u64>,
}

/// A platform a minor's history shows in use for the first time, for the guardian
/// (Measures Art. 5: a guardian is informed of each new platform of a 14-to-17-year-old).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WardPlatform {
    /// The platform's client id.
    pub client_id: String,
    /// The log index of the minor's first entry with it.
    pub first_index: u64,
    /// Its minute (Unix minutes).
    pub first_minute: u64,
}

/// `POST /v1/holders/delete`: a holder deletes their data (Art. 9). The wallet signs
/// [`signing::deletion_message`]; a holder under 14 with a guardian on record also needs the
/// guardian's approval ([`signing::guardian_approval_message`] for `deletion`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteRequest {
    /// The holder's current wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before: the server refuses it a second time
    /// ([`signing::is_valid_request_id`]).
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
    /// The guardian's consent, for a holder under 14.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardian: Option<GuardianConsent>,
}

/// `POST /v1/holders/wards/delete`: a guardian on record deletes the data of a child under 14
/// in their care (Art. 9), without the child's wallet. The guardian's wallet signs
/// [`signing::ward_deletion_message`] over the child's Net ID as given here.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WardDeleteRequest {
    /// The child's Net ID.
    pub ward_net_id: String,
    /// The guardian's current wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before: the server refuses it a second time
    /// ([`signing::is_valid_request_id`]).
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
}

impl core::fmt::Debug for WardDeleteRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WardDeleteRequest")
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

/// Answer to [`DeleteRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteResponse {
    /// Always `true`: the data is gone.
    pub deleted: bool,
    /// The references of the signals that told the platforms: each platform's receipt (what
    /// it deleted) is at `GET /v1/transparency/receipts/{reference}` once it gives one. Keep
    /// them: the centre no longer knows they were yours.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receipts: Vec<String>,
}

/// `POST /v1/holders/net-certificates`: a holder asks for a batch of Net Certificates, one per
/// holder key (each used for one presentation only, so that platforms comparing notes cannot
/// link them). The wallet signs [`signing::net_certificate_request_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetCertificateRequest {
    /// One fresh key per certificate (JWK), of either suite; the certificate is signed with
    /// the issuer key of the same suite.
    pub holder_keys: Vec<Jwk>,
    /// The holder's current wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before: the server refuses it a second time
    /// ([`signing::is_valid_request_id`]).
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
}

/// Answer to [`NetCertificateRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetCertificateResponse {
    /// The SD-JWT VCs (`<JWT>~<Disclosure>~...~`), in the order of the holder keys.
    pub credentials: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_use_their_documented_wire_names() {
        for predicate in [Predicate::AgeOver14, Predicate::AgeOver18] {
            let json = serde_json::to_string(&predicate).unwrap();
            assert_eq!(json, format!("\"{}\"", predicate.as_str()));
            assert_eq!(serde_json::from_str::<Predicate>(&json).unwrap(), predicate);
        }
    }

    #[test]
    fn public_keys_are_tagged_by_encoding() {
        let key = PublicKey::Pem("pem".to_owned());
        assert_eq!(serde_json::to_string(&key).unwrap(), r#"{"pem":"pem"}"#);
    }

    #[test]
    fn debug_of_requests_shows_no_personal_fields() {
        let request = EnrollRequest {
            document_type: "resident-id".to_owned(),
            document_number: "11010519491231002X".to_owned(),
            name: "测试甲".to_owned(),
            enrollment_code: Some("CODE".to_owned()),
            wallet_key: PublicKey::Pem(String::new()),
            request_id: "r".repeat(16),
            timestamp: 0,
            signature: String::new(),
            guardian: None,
            notice_version: Some(NOTICE_TEXT_VERSION.to_owned()),
        };
        let debug = format!("{request:?}");
        assert!(!debug.contains("测试甲") && !debug.contains("11010519491231002X"));
        assert!(!debug.contains("CODE"));
    }
}
