//! What platforms answer for (issue 25): their standing, which two system administrators set;
//! the commitments of Art. 7 they declare; holders' complaints about them.

use serde::{Deserialize, Serialize};

/// Where a platform stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformStatus {
    /// It may verify, sign people in and receive what it is granted.
    Active,
    /// Refused everything until reinstated; the consents given to it stay.
    Suspended,
    /// Refused for good; the consents given to it ended.
    Removed,
}

impl PlatformStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Removed => "removed",
        }
    }
}

/// A platform's standing, public in its signed profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standing {
    /// Where it stands.
    pub status: PlatformStatus,
    /// Since when (Unix seconds), if the operator ever changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    /// Why, in the operator's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The commitments of Art. 7 a platform declared: it asks people it verified through netid
/// for no further plaintext identity data, and serves people who do not use a Net ID as it
/// serves those who do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitments {
    /// No further plaintext identity data asked of a verified holder.
    pub no_extra_plaintext: bool,
    /// The same service for people who do not use a Net ID.
    pub equal_service: bool,
    /// When it declared them (Unix seconds).
    pub declared_at: i64,
}

/// `POST /v1/platform/commitments`: a platform declares the commitments of Art. 7; both must
/// be `true`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentsRequest {
    /// It asks verified holders for no further plaintext identity data.
    pub no_extra_plaintext: bool,
    /// It serves people who do not use a Net ID equally.
    pub equal_service: bool,
}

/// `POST /v1/operator/platforms/status`: two system administrators suspend, reinstate or
/// remove a platform (an act: one asks, another approves, the first carries it out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformStatusRequest {
    /// The platform.
    pub client_id: String,
    /// Its new standing.
    pub status: PlatformStatus,
    /// Why, 1 to 300 characters; public in the platform's profile, so no personal data.
    pub reason: String,
}

/// One platform as the operator console lists it (`GET /v1/operator/platforms`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformSummary {
    /// Its client id.
    pub client_id: String,
    /// Its display name.
    pub name: String,
    /// When it was registered (Unix seconds).
    pub registered_at: i64,
    /// Its standing.
    pub standing: Standing,
}

/// `GET /v1/operator/platforms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformList {
    /// Every platform, in registration order.
    pub platforms: Vec<PlatformSummary>,
}

/// What a complaint says the platform did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintCategory {
    /// It asked a holder it verified through netid for further plaintext identity data.
    ExtraPlaintext,
    /// It refused service to someone who does not use a Net ID.
    RefusedWithoutNetId,
    /// It kept data past the retention it declared.
    KeptPastRetention,
    /// Something else.
    Other,
}

impl ComplaintCategory {
    /// Every category.
    pub const ALL: [Self; 4] = [
        Self::ExtraPlaintext,
        Self::RefusedWithoutNetId,
        Self::KeptPastRetention,
        Self::Other,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExtraPlaintext => "extra_plaintext",
            Self::RefusedWithoutNetId => "refused_without_net_id",
            Self::KeptPastRetention => "kept_past_retention",
            Self::Other => "other",
        }
    }
}

/// Where a complaint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStatus {
    /// Filed, not yet looked at.
    Received,
    /// An operator is looking into it.
    Investigating,
    /// Found to be right (closed).
    Upheld,
    /// Found not to be (closed).
    Dismissed,
}

/// What the operator did about the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintAction {
    /// Nothing.
    None,
    /// The platform was warned.
    Warning,
    /// The platform's suspension was asked for (two system administrators decide it).
    Suspension,
    /// The platform's removal was asked for.
    Removal,
}

/// `POST /v1/holders/complaints`: a holder complains about a platform. Signed by the wallet
/// over [`crate::signing::complaint_message`]. Nothing of it goes to the platform.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintRequest {
    /// The platform's client id.
    pub client_id: String,
    /// What it did.
    pub category: ComplaintCategory,
    /// What happened, in the holder's words (1 to 1000 characters, one line); only the
    /// operator's system administrators read it.
    pub text: String,
    /// The holder's current wallet public key.
    pub wallet_key: crate::PublicKey,
    /// A fresh id for this request, never sent before.
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
}

impl core::fmt::Debug for ComplaintRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ComplaintRequest").finish_non_exhaustive()
    }
}

/// A complaint as its holder sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintView {
    /// Its reference.
    pub reference: String,
    /// The platform.
    pub client_id: String,
    /// What it says the platform did.
    pub category: ComplaintCategory,
    /// Where it stands.
    pub status: ComplaintStatus,
    /// The operator's answer, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// What was done about the platform, once decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ComplaintAction>,
    /// When it was filed (Unix seconds).
    pub filed_at: i64,
    /// When it last changed.
    pub updated_at: i64,
}

/// A complaint as a system administrator handles it: the holder's words, never who they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorComplaint {
    /// The complaint.
    #[serde(flatten)]
    pub complaint: ComplaintView,
    /// The holder's words; none once they deleted their data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The operator who last handled it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_by: Option<String>,
}

/// `GET /v1/operator/complaints`: open complaints first, then the newest closed ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorComplaints {
    /// At most 200.
    pub complaints: Vec<OperatorComplaint>,
}

/// `POST /v1/operator/complaints/{reference}`: a system administrator records where an open
/// complaint stands, the answer the holder reads, and what was done about the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandleComplaintRequest {
    /// `investigating`, `upheld` or `dismissed` (the last two close it).
    pub status: ComplaintStatus,
    /// The answer to the holder (1 to 1000 characters).
    pub resolution: String,
    /// What was done about the platform (a suspension or removal is asked for separately,
    /// and two system administrators decide it).
    pub action: ComplaintAction,
}

/// One platform's complaints, counted by where they stand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformComplaintCounts {
    /// The platform.
    pub client_id: String,
    /// Filed, not yet looked at.
    pub received: u64,
    /// Being looked into.
    pub investigating: u64,
    /// Upheld.
    pub upheld: u64,
    /// Dismissed.
    pub dismissed: u64,
}

/// `GET /v1/transparency/complaints`: every platform's complaints, counted (public).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintCounts {
    /// By platform, in client id order.
    pub platforms: Vec<PlatformComplaintCounts>,
}

/// `POST /ssf/receipts`: a platform says what it deleted after a signal that asked it to (a
/// deletion or a withdrawn consent), once it has acknowledged that signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequest {
    /// The signal's `jti`.
    pub jti: String,
    /// What it deleted, in its own words: 1 to 20 items, each one line of 1 to 100
    /// characters (for example `name`, `order history`).
    pub deleted: Vec<String>,
}

/// The kind of signal a receipt answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptEvent {
    /// The holder deleted their data.
    AccountPurged,
    /// The holder withdrew a consent.
    ConsentWithdrawn,
}

/// A platform's receipt of deletion (or the wait for it, or for the platform to acknowledge
/// the signal), as its holder, or anyone with its reference, sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptView {
    /// Its reference: the `jti` of the signal it answers.
    pub reference: String,
    /// The platform.
    pub client_id: String,
    /// What the signal told the platform.
    pub event: ReceiptEvent,
    /// When the platform acknowledged the signal (Unix seconds); none while it has not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<i64>,
    /// What the platform says it deleted, once it says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Vec<String>>,
    /// When it said so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<i64>,
    /// Until when the centre keeps it (then it forgets it).
    pub kept_until: i64,
}
