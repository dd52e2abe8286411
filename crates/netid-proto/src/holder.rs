//! What a holder controls of their own record (issue 24): reading it and asking for its
//! correction, the notice they accept, the lock, the alerts they ask for, and a guardian's
//! approval of a platform for a child.

use serde::{Deserialize, Serialize};

use crate::PublicKey;
#[cfg(doc)]
use crate::signing;

/// `POST /v1/holders/wards/platforms`: a guardian on record approves a platform for a child
/// under 14 in their care (Art. 5): without it, the child is not verified or signed in there,
/// result-only included. Signed by the guardian's wallet over
/// [`signing::ward_platform_message`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WardPlatformRequest {
    /// The child's Net ID.
    pub ward_net_id: String,
    /// The platform's client id.
    pub client_id: String,
    /// The guardian's current wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before.
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
}

impl core::fmt::Debug for WardPlatformRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WardPlatformRequest")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Answer to [`WardPlatformRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WardPlatformResponse {
    /// The platform approved.
    pub client_id: String,
    /// Whether this request approved it (`false`: it was approved before).
    pub changed: bool,
}

/// `POST /v1/holders/record`: a holder reads the record the service holds about them (Art. 9,
/// the right to know), opened for them alone. The wallet signs
/// [`signing::holder_record_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolderRecordRequest {
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

/// Answer to [`HolderRecordRequest`]: what the service holds about the holder, as the
/// document authority's roster gave it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolderRecord {
    /// The Net ID, grouped.
    pub net_id: String,
    /// The document type.
    pub document_type: String,
    /// The document number.
    pub document_number: String,
    /// The name on the document.
    pub name: String,
    /// The birth date, YYYY-MM-DD.
    pub birth_date: String,
    /// The sex, where the document states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    /// The nationality (ISO 3166 alpha-3).
    pub nationality: String,
    /// The document's last valid day (YYYY-MM-DD), or `long-term`.
    pub expiry: String,
    /// Whether the document is still valid today.
    pub document_valid: bool,
    /// Whether the holder has locked their Net ID.
    pub locked: bool,
    /// The corrections the holder asked the document authority for, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<CorrectionStatus>,
    /// The holder's complaints about platforms, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub complaints: Vec<crate::ComplaintView>,
    /// What platforms said they deleted after the holder withdrew a consent, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receipts: Vec<crate::ReceiptView>,
}

/// A correction a holder asked for, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionStatus {
    /// Its reference, to quote to the authority.
    pub reference: String,
    /// The authority it went to.
    pub authority: String,
    /// When it was asked (Unix seconds).
    pub asked_at: i64,
    /// When the authority's roster changed the record after it (Unix seconds); open until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<i64>,
}

/// `POST /v1/holders/corrections`: the holder asks the document authority whose roster lists
/// them to correct their record, saying what is wrong. The wallet signs
/// [`signing::correction_message`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRequest {
    /// What is wrong and what is right, in the holder's words (1 to 500 characters, one line).
    pub message: String,
    /// The holder's current wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before.
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
}

impl core::fmt::Debug for CorrectionRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CorrectionRequest").finish_non_exhaustive()
    }
}

/// `POST /v1/authority/corrections`: a document authority fetches the corrections its
/// enrolled people asked for and it has not answered with a roster yet. Signed with the
/// authority's roster key over [`signing::authority_corrections_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorityCorrectionsRequest {
    /// The authority, as registered.
    pub authority: String,
    /// A fresh id for this request, never sent before.
    pub request_id: String,
    /// Unix seconds when the authority signed.
    pub timestamp: i64,
    /// base64url signature (fixed r||s).
    pub signature: String,
}

/// One open correction, as its authority reads it: the record the centre holds and what the
/// holder says is wrong.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenCorrection {
    /// Its reference.
    pub reference: String,
    /// When it was asked (Unix seconds).
    pub asked_at: i64,
    /// The document type held.
    pub document_type: String,
    /// The document number held.
    pub document_number: String,
    /// The name held.
    pub name: String,
    /// The birth date held.
    pub birth_date: String,
    /// The holder's message.
    pub message: String,
}

impl core::fmt::Debug for OpenCorrection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OpenCorrection")
            .field("reference", &self.reference)
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for HolderRecord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HolderRecord").finish_non_exhaustive()
    }
}

/// `POST /v1/holders/lock` and `POST /v1/holders/unlock`: a holder locks their Net ID (no
/// verification, sign-in, consent or issuance while it is locked; their Net Certificates are
/// revoked) or unlocks it. The wallet signs [`signing::lock_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockRequest {
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

/// A browser's push subscription, as `PushSubscription.toJSON()` gives it (W3C Push API).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSubscription {
    /// The push service's endpoint (RFC 8030), https.
    pub endpoint: String,
    /// When the subscription expires, if the browser says (milliseconds); ignored.
    #[serde(
        default,
        rename = "expirationTime",
        skip_serializing_if = "Option::is_none"
    )]
    pub expiration_time: Option<i64>,
    /// The browser's keys for the messages (RFC 8291).
    pub keys: PushKeys,
}

impl core::fmt::Debug for PushSubscription {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PushSubscription").finish_non_exhaustive()
    }
}

/// A push subscription's keys, base64url.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushKeys {
    /// The browser's P-256 public key, uncompressed (65 bytes).
    pub p256dh: String,
    /// The authentication secret (16 bytes).
    pub auth: String,
}

/// `POST /v1/holders/push`: a holder asks to be told of each use of their Net ID through a
/// push subscription. The wallet signs [`signing::push_subscription_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSubscribeRequest {
    /// The subscription.
    pub subscription: PushSubscription,
    /// The holder's current wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before.
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
}

/// Answer to a push subscription: its id (to remove it with).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSubscribed {
    /// The subscription's id.
    pub id: String,
}

/// `POST /v1/holders/notice`: a holder accepts the current notice (after a new version; the
/// first is accepted at enrollment). The wallet signs [`signing::notice_acceptance_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeAcceptRequest {
    /// The version of the notice read and accepted.
    pub notice_version: String,
    /// The holder's current wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before.
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
}

/// Answer to [`NoticeAcceptRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeAcceptResponse {
    /// The version accepted.
    pub notice_version: String,
    /// When (Unix seconds).
    pub accepted_at: i64,
}

/// Answer to [`LockRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockResponse {
    /// Whether the Net ID is now locked.
    pub locked: bool,
    /// Whether this request changed it (`false`: it was so already; nothing is logged).
    pub changed: bool,
}

/// `POST /v1/holders/credential-offer`: a holder asks for an OpenID4VCI credential offer, to
/// take Net Certificates into a wallet app (the pre-authorized code flow). The wallet signs
/// [`signing::credential_offer_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialOfferRequest {
    /// The holder's current wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before.
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
}

/// Answer to [`CredentialOfferRequest`]: the offer to open in a wallet app, and the
/// transaction code to type there.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialOfferResponse {
    /// `openid-credential-offer://?credential_offer=…`, for a link or a QR code.
    pub offer_uri: String,
    /// The transaction code (six digits) the wallet app asks for: keep it apart from the
    /// offer; whoever has both can take the holder's Net Certificates.
    pub tx_code: String,
    /// Seconds the offer stays valid.
    pub expires_in: i64,
}

impl core::fmt::Debug for CredentialOfferResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CredentialOfferResponse")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}
