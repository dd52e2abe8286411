//! Named operators, their roles, and the acts that a second operator must approve.

use serde::{Deserialize, Serialize};

/// An operator's role. Each account holds exactly one, so duties stay apart (GB/T 22239
/// level 3: system, security and audit administrators separated); a person who needs two
/// roles is two accounts, and may never approve their own request under either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatorRole {
    /// Operator accounts and their roles, keys, rotation.
    SecurityAdministrator,
    /// Document authorities, rosters, platforms and their grants, configuration.
    SystemAdministrator,
    /// The certification authority: certification, rollover, revocation, succession.
    CaOfficer,
    /// Reads of holders' personal data and deferrals of their notice.
    DataProtectionOfficer,
    /// Reads the operator acts and their queue; changes nothing.
    Auditor,
}

impl OperatorRole {
    /// Every role, in a fixed order.
    pub const ALL: [Self; 5] = [
        Self::SecurityAdministrator,
        Self::SystemAdministrator,
        Self::CaOfficer,
        Self::DataProtectionOfficer,
        Self::Auditor,
    ];

    /// The role's wire name (snake_case).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecurityAdministrator => "security_administrator",
            Self::SystemAdministrator => "system_administrator",
            Self::CaOfficer => "ca_officer",
            Self::DataProtectionOfficer => "data_protection_officer",
            Self::Auditor => "auditor",
        }
    }
}

impl core::fmt::Display for OperatorRole {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::str::FromStr for OperatorRole {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Self, UnknownRole> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or(UnknownRole)
    }
}

/// A role name that is not one of [`OperatorRole::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownRole;

impl core::fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(
            "unknown role; expected security_administrator, system_administrator, ca_officer, \
             data_protection_officer or auditor",
        )
    }
}

impl std::error::Error for UnknownRole {}

/// `POST /v1/operator/operators`: a security administrator asks to add an operator; a second
/// security administrator approves.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddOperatorRequest {
    /// The person's name, kept for security administrators only, never published or logged.
    pub name: String,
    /// Their role.
    pub role: OperatorRole,
    /// Their public key (a JWK: EC P-256 or SM2), whose private half they alone hold.
    pub public_key: serde_json::Value,
}

impl core::fmt::Debug for AddOperatorRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AddOperatorRequest")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/operator/operators/retire`: a security administrator asks to retire an
/// operator; a second one approves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetireOperatorRequest {
    /// The operator id (`op-…`).
    pub operator_id: String,
}

/// The answer to an act that waits for a second operator (`202 Accepted`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActPending {
    /// The request's id (`act-…`), to approve, refuse or carry out.
    pub request_id: String,
    /// What is asked.
    pub act: ActKind,
    /// Who must approve: another operator of this role.
    pub approver_role: OperatorRole,
    /// Until when (seconds since the epoch) it may be approved.
    pub expires_at: i64,
}

/// The acts that need a second operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActKind {
    /// A read of a holder's personal data (with its notice deferral, if any).
    OperatorRead,
    /// Adding an operator.
    AddOperator,
    /// Retiring an operator.
    RetireOperator,
    /// A decision on a platform's plaintext fields (a grant).
    GrantDecision,
    /// Installing an issuing CA certificate (the CA's key goes into use).
    CaCertify,
    /// Starting an issuing-key rollover.
    CaRollover,
    /// Handing the CA over to a successor.
    CaHandover,
    /// Taking over a predecessor's CA.
    CaInherit,
    /// Suspending, reinstating or removing a platform.
    PlatformStatus,
}

impl ActKind {
    /// Every act, in a fixed order.
    pub const ALL: [Self; 9] = [
        Self::OperatorRead,
        Self::AddOperator,
        Self::RetireOperator,
        Self::GrantDecision,
        Self::CaCertify,
        Self::CaRollover,
        Self::CaHandover,
        Self::CaInherit,
        Self::PlatformStatus,
    ];

    /// The act's wire name (snake_case).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OperatorRead => "operator_read",
            Self::AddOperator => "add_operator",
            Self::RetireOperator => "retire_operator",
            Self::GrantDecision => "grant_decision",
            Self::CaCertify => "ca_certify",
            Self::CaRollover => "ca_rollover",
            Self::CaHandover => "ca_handover",
            Self::CaInherit => "ca_inherit",
            Self::PlatformStatus => "platform_status",
        }
    }
}

/// Where a requested act stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActStatus {
    /// Waiting for a second operator.
    Pending,
    /// Approved; the operator who asked may carry it out once.
    Approved,
    /// Carried out.
    Done,
    /// Refused by a second operator, or withdrawn by the one who asked.
    Refused,
    /// Not approved or carried out in time.
    Expired,
}

/// One requested act, as the queue (`GET /v1/operator/acts`) shows it: no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActView {
    /// The request's id.
    pub request_id: String,
    /// What is asked.
    pub act: ActKind,
    /// Where it stands.
    pub status: ActStatus,
    /// Who asked (operator id).
    pub requested_by: String,
    /// Who approved or refused it, once someone did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// When it was asked (seconds since the epoch).
    pub requested_at: i64,
    /// Until when it may be approved, or (once approved) carried out.
    pub expires_at: i64,
}

/// The queue of requested acts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActQueue {
    /// Newest first.
    pub acts: Vec<ActView>,
}

/// One operator as the public list shows it: an id and a role, never a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicOperator {
    /// The stable pseudonymous operator id that log entries name.
    pub operator_id: String,
    /// Their role.
    pub role: OperatorRole,
    /// The minute (since the epoch) the account was added.
    pub added_minute: i64,
    /// The minute it was retired, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_minute: Option<i64>,
}

/// `GET /v1/operators`: every operator account there has been, signed by the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorList {
    /// Oldest first.
    pub operators: Vec<PublicOperator>,
}

/// An operator account, as security administrators see it (`GET /v1/operator/operators`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorAccount {
    /// The public operator id.
    pub operator_id: String,
    /// The person's name.
    pub name: String,
    /// Their role.
    pub role: OperatorRole,
    /// The RFC 7638 thumbprint of their key.
    pub key_thumbprint: String,
    /// When the account was added (seconds since the epoch).
    pub added_at: i64,
    /// When it was retired, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<i64>,
}

/// The accounts, for security administrators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorAccounts {
    /// Oldest first.
    pub operators: Vec<OperatorAccount>,
}

/// The answer to adding an operator, once carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorAdded {
    /// The new operator's id.
    pub operator_id: String,
    /// Their role.
    pub role: OperatorRole,
}

/// One security event, with its place in the hash chain (`GET /v1/operator/security-events`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityEvent {
    /// Its number, from 1, without gaps.
    pub seq: u64,
    /// When (seconds since the epoch).
    pub at: i64,
    /// What happened (`operator_authentication_failed`, `operator_act_refused`,
    /// `rate_limited`, `enrollment_code_locked`, `service_started`, ...).
    pub kind: String,
    /// The details, as recorded: a JSON object's text, with no personal data.
    pub detail: String,
    /// The hash of the event before (hex; zeros before the first).
    pub prev_hash: String,
    /// SM3 over `prev_hash`, `seq` and `at` (8 bytes each, big-endian), `kind`, a zero byte
    /// and `detail` (hex).
    pub hash: String,
}

/// A page of security events, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityEventPage {
    /// The events after the one asked for.
    pub events: Vec<SecurityEvent>,
    /// How long events are kept, in days.
    pub retention_days: u32,
}
