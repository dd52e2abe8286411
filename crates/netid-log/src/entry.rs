//! Log entries: what the centre did, with no personal data and no global identifier.
//!
//! An entry names the kind of act, the minute it happened, the platform involved (platforms
//! are public parties), and for acts about a holder a *holder tag*:
//! `HMAC(holder log key, entry nonce)`. The nonce is fresh per entry, so tags of one holder
//! are unlinkable to anyone without that holder's log key; the holder (and their guardian),
//! who hold the key, recognise their own entries. Entries are serialised as one line of JSON
//! with a fixed member order, and that line is the Merkle leaf.

use netid_crypto::{MacKey, Suite};
use serde::{Deserialize, Serialize};

use crate::Error;

/// The kinds of act the centre logs (issue #7's list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EntryKind {
    /// A holder enrolled and got a Net ID.
    Enrollment,
    /// A holder recovered their Net ID with a new wallet key (the old key retired).
    Recovery,
    /// A Net Certificate was issued.
    CredentialIssued,
    /// A Net Certificate was revoked.
    CredentialRevoked,
    /// An X.509 certificate was issued.
    CertificateIssued,
    /// An X.509 certificate was revoked.
    CertificateRevoked,
    /// A platform verified a holder online.
    Verification,
    /// Personal data went to a platform under a grant and consent.
    Disclosure,
    /// A holder gave consent.
    ConsentGiven,
    /// A holder withdrew consent.
    ConsentWithdrawn,
    /// A holder's data was deleted.
    Deletion,
    /// An operator read a holder's personal data.
    OperatorRead,
    /// A platform's grants changed.
    GrantChanged,
    /// A notice to a holder was deferred (Art. 11).
    NoticeDeferred,
    /// A service key was rolled over.
    KeyRollover,
    /// The operator registered a document authority or replaced its key.
    AuthorityRegistered,
    /// The operator loaded a document authority's roster.
    RosterLoaded,
    /// The operator recognised a foreign CA, or withdrew a recognition.
    RecognitionChanged,
    /// The CA was handed over to a successor, or took over a predecessor's CA.
    CaSuccession,
    /// A holder added a passkey for the web app.
    PasskeyAdded,
    /// A holder removed a passkey.
    PasskeyRemoved,
    /// An operator account was added (at set-up, or by two security administrators).
    OperatorAdded,
    /// An operator account was retired.
    OperatorRetired,
    /// An operator asked for an act that a second operator must approve (`act` says which).
    ActRequested,
    /// A second operator approved a requested act.
    ActApproved,
    /// A requested act was refused, or withdrawn by the operator who asked.
    ActRefused,
    /// The security events' hash chain reached `digest` (its newest event's hash): a rewrite
    /// of the events up to there would no longer match the public log.
    SecurityEventsSealed,
    /// A holder locked their Net ID (and so revoked their Net Certificates).
    NetIdLocked,
    /// A holder unlocked their Net ID.
    NetIdUnlocked,
    /// The document authority's roster renewed, replaced or corrected a holder's record; the
    /// holder keeps their Net ID.
    RecordUpdated,
    /// A holder asked their document authority to correct their record.
    CorrectionRequested,
    /// A guardian approved a platform for a child under 14 in their care.
    PlatformApproved,
    /// A roster changed or ended the guardianships of a minor.
    GuardianshipChanged,
    /// Two system administrators suspended, reinstated or removed a platform.
    PlatformStatusChanged,
    /// A holder complained about a platform.
    ComplaintFiled,
    /// A system administrator recorded how a complaint stands.
    ComplaintHandled,
    /// A platform acknowledged a signal about the holder (a deletion, a lock, a withdrawn
    /// consent).
    SignalAcknowledged,
    /// A platform said what it deleted after a deletion or a withdrawn consent.
    DeletionReceipt,
}

impl EntryKind {
    /// The kind's wire name (snake_case), as entries carry it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enrollment => "enrollment",
            Self::Recovery => "recovery",
            Self::CredentialIssued => "credential_issued",
            Self::CredentialRevoked => "credential_revoked",
            Self::CertificateIssued => "certificate_issued",
            Self::CertificateRevoked => "certificate_revoked",
            Self::Verification => "verification",
            Self::Disclosure => "disclosure",
            Self::ConsentGiven => "consent_given",
            Self::ConsentWithdrawn => "consent_withdrawn",
            Self::Deletion => "deletion",
            Self::OperatorRead => "operator_read",
            Self::GrantChanged => "grant_changed",
            Self::NoticeDeferred => "notice_deferred",
            Self::KeyRollover => "key_rollover",
            Self::AuthorityRegistered => "authority_registered",
            Self::RosterLoaded => "roster_loaded",
            Self::RecognitionChanged => "recognition_changed",
            Self::CaSuccession => "ca_succession",
            Self::PasskeyAdded => "passkey_added",
            Self::PasskeyRemoved => "passkey_removed",
            Self::OperatorAdded => "operator_added",
            Self::OperatorRetired => "operator_retired",
            Self::ActRequested => "act_requested",
            Self::ActApproved => "act_approved",
            Self::ActRefused => "act_refused",
            Self::SecurityEventsSealed => "security_events_sealed",
            Self::NetIdLocked => "net_id_locked",
            Self::NetIdUnlocked => "net_id_unlocked",
            Self::RecordUpdated => "record_updated",
            Self::CorrectionRequested => "correction_requested",
            Self::PlatformApproved => "platform_approved",
            Self::GuardianshipChanged => "guardianship_changed",
            Self::PlatformStatusChanged => "platform_status_changed",
            Self::ComplaintFiled => "complaint_filed",
            Self::ComplaintHandled => "complaint_handled",
            Self::SignalAcknowledged => "signal_acknowledged",
            Self::DeletionReceipt => "deletion_receipt",
        }
    }
}

/// One log entry. Member order is the serialisation order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Format version; 1.
    pub v: u8,
    /// What happened.
    pub kind: EntryKind,
    /// When, in whole minutes since the Unix epoch (finer times would help correlate).
    pub minute: u64,
    /// A fresh random nonce, hex, 16 bytes.
    pub nonce: String,
    /// The holder tag, hex, or absent for acts about no holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_tag: Option<String>,
    /// The platform's public client id, when a platform took part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The operator who acted, by their public pseudonymous operator id (see the signed
    /// operator list), for acts of a named operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// For a request, approval or refusal: the kind of act it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<EntryKind>,
    /// For a seal: the hash it vouches for, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

impl Entry {
    /// An entry for `kind` at `unix_seconds`, tagged for the holder whose log key is
    /// `holder_key` (if any), with the fresh `nonce`.
    pub fn new(
        suite: &Suite,
        kind: EntryKind,
        unix_seconds: u64,
        nonce: [u8; 16],
        holder_key: Option<&MacKey>,
        platform: Option<&str>,
    ) -> Self {
        Self {
            v: 1,
            kind,
            minute: unix_seconds / 60,
            nonce: hex_string(&nonce),
            holder_tag: holder_key.map(|key| holder_tag(suite, key, &nonce)),
            platform: platform.map(str::to_owned),
            operator: None,
            act: None,
            digest: None,
        }
    }

    /// This entry, vouching for `digest` (a seal).
    #[must_use]
    pub fn with_digest(mut self, digest: &[u8]) -> Self {
        self.digest = Some(hex_string(digest));
        self
    }

    /// This entry, naming the operator who acted and, for a request, approval or refusal,
    /// the act it is about.
    #[must_use]
    pub fn by_operator(mut self, operator: &str, act: Option<EntryKind>) -> Self {
        self.operator = Some(operator.to_owned());
        self.act = act;
        self
    }

    /// The leaf bytes: the entry as one line of JSON, members in declaration order.
    pub fn to_leaf(&self) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(self).map_err(|_| Error::MalformedEntry("entry did not serialise"))
    }

    /// Parses leaf bytes back into an entry; refuses unknown members and other versions.
    pub fn from_leaf(leaf: &[u8]) -> Result<Self, Error> {
        let entry: Self =
            serde_json::from_slice(leaf).map_err(|_| Error::MalformedEntry("not an entry"))?;
        if entry.v != 1 {
            return Err(Error::MalformedEntry("unknown entry version"));
        }
        Ok(entry)
    }

    /// Whether this entry is about the holder whose log key is `holder_key`.
    pub fn is_about(&self, suite: &Suite, holder_key: &MacKey) -> bool {
        let (Some(tag), Some(nonce)) = (&self.holder_tag, hex_bytes(&self.nonce)) else {
            return false;
        };
        // Tags are public; an ordinary comparison leaks nothing secret.
        *tag == holder_tag(suite, holder_key, &nonce)
    }
}

fn holder_tag(suite: &Suite, key: &MacKey, nonce: &[u8]) -> String {
    hex_string(
        suite
            .mac(key, &[b"netid log holder tag v1", nonce])
            .as_ref(),
    )
}

pub(crate) fn hex_string(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|byte| [byte >> 4, byte & 0x0f])
        .filter_map(|nibble| char::from_digit(u32::from(nibble), 16))
        .collect()
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_the_serialised_names() {
        use EntryKind as K;
        for kind in [
            K::Enrollment,
            K::Recovery,
            K::CredentialIssued,
            K::CredentialRevoked,
            K::CertificateIssued,
            K::CertificateRevoked,
            K::Verification,
            K::Disclosure,
            K::ConsentGiven,
            K::ConsentWithdrawn,
            K::Deletion,
            K::OperatorRead,
            K::GrantChanged,
            K::NoticeDeferred,
            K::KeyRollover,
            K::AuthorityRegistered,
            K::RosterLoaded,
            K::RecognitionChanged,
            K::CaSuccession,
            K::PasskeyAdded,
            K::PasskeyRemoved,
            K::OperatorAdded,
            K::OperatorRetired,
            K::ActRequested,
            K::ActApproved,
            K::ActRefused,
            K::SecurityEventsSealed,
            K::NetIdLocked,
            K::NetIdUnlocked,
            K::PlatformStatusChanged,
            K::ComplaintFiled,
            K::ComplaintHandled,
            K::SignalAcknowledged,
            K::DeletionReceipt,
        ] {
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
    }
}
