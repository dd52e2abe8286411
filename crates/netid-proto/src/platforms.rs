//! What platforms answer for (issue 25): their standing, which two system administrators set;
//! the commitments of Art. 7 they declare.

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
