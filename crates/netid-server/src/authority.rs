//! The document authority: given an applicant's evidence, the authoritative record or a
//! refusal. In the real system this is the population and exit-entry registries; here its one
//! implementation is [`RosterAuthority`], the signed rosters the operator loaded.

use std::sync::Arc;

use netid_core::{Date, DocumentNumber, DocumentRecord, PersonName, enrollment_code};
use netid_crypto::Suite;
use netid_store::{BlindIndex, Store};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::blind;
use crate::error::Error;
use crate::keys::ServiceKeys;
use crate::personal::StoredRecord;

/// What an applicant shows: the document number, the name and the authority's one-time code.
pub struct Evidence {
    /// The document number (its type included).
    pub number: DocumentNumber,
    /// The name as entered.
    pub name: PersonName,
    /// The enrollment code, if the applicant has one.
    pub enrollment_code: Option<String>,
}

impl core::fmt::Debug for Evidence {
    /// Personal data and the code are secrets: only the document type is shown.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Evidence")
            .field("document_type", &self.number.document_type())
            .finish_non_exhaustive()
    }
}

/// The authority's answer. Only an applicant with the record's code learns more than
/// [`Answer::Refused`]: without it, an unknown document, a wrong code and a locked record are
/// one answer, so that the service is no oracle of who is on a roster.
#[derive(Debug)]
pub enum Answer {
    /// The evidence matches this record.
    Confirmed(AuthoritativeRecord),
    /// No record has this document with this code.
    Refused,
    /// The code is right, but the name is not the record's.
    NameMismatch,
    /// The code is right, but so many wrong codes were tried for the record that it is locked
    /// until the authority issues a new code.
    CodeLocked,
}

/// A record the authority vouches for, with the blind indexes that enrollment needs.
#[derive(Debug)]
pub struct AuthoritativeRecord {
    /// The document record.
    pub record: DocumentRecord,
    /// Blind index of the authority's person reference: one Net ID per person.
    pub person_index: BlindIndex,
    /// Blind index of the code the record required, if any.
    pub code_index: Option<BlindIndex>,
    /// For a minor: blind indexes of the guardians' person references.
    pub guardian_indexes: Vec<BlindIndex>,
}

/// A document authority.
#[async_trait::async_trait]
pub trait DocumentAuthority: Send + Sync + 'static {
    /// Checks `evidence` on `today`.
    async fn check(&self, evidence: &Evidence, today: Date) -> Result<Answer, Error>;
}

/// A roster record as sealed at rest (under the roster key, AAD = the document index).
#[derive(Serialize, Deserialize)]
pub(crate) struct SealedRosterRecord {
    /// The authority whose roster holds the record.
    pub(crate) authority: String,
    pub(crate) record: StoredRecord,
    /// Hex of the blind index of the enrollment code, if the record has one.
    pub(crate) code_index: Option<String>,
    /// Hex of the blind index of a guardian's person reference, for minors (rosters loaded
    /// before several guardians; read only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) guardian_index: Option<String>,
    /// Hex of the blind indexes of the guardians' person references, for minors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) guardian_indexes: Vec<String>,
}

/// The AAD of a sealed roster record.
pub(crate) fn roster_aad(document_index: &BlindIndex) -> Vec<u8> {
    let mut aad = b"netid roster record v1\n".to_vec();
    aad.extend_from_slice(document_index.as_bytes());
    aad
}

/// The document authority backed by the loaded rosters.
#[derive(Clone)]
pub struct RosterAuthority {
    store: Arc<dyn Store>,
    keys: Arc<ServiceKeys>,
}

impl RosterAuthority {
    /// An authority over the rosters in `store`.
    pub fn new(store: Arc<dyn Store>, keys: Arc<ServiceKeys>) -> Self {
        Self { store, keys }
    }
}

impl RosterAuthority {
    /// A write like a wrong code's count, for a document on no roster: without it, the
    /// refusal of an unlisted document would come back sooner (no commit to wait for), and its
    /// time would tell who is listed. It records a random blind index among the used wallet
    /// requests, which are purged once expired, so that it keeps nothing for long.
    async fn decoy_write(&self) -> Result<(), Error> {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).map_err(|_| Error::Internal("no randomness"))?;
        let decoy = blind::enrollment_code(&self.keys.blind_index, "decoy", &hex::encode(random));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| {
                i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
            });
        let expires_at = netid_store::Timestamp(now.saturating_add(DECOY_LIFETIME_SECONDS));
        Ok(self
            .store
            .use_wallet_request(decoy, expires_at, netid_store::Timestamp(now))
            .await?)
    }
}

/// How long a decoy write's row is kept, in seconds.
const DECOY_LIFETIME_SECONDS: i64 = 600;

impl core::fmt::Debug for RosterAuthority {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RosterAuthority").finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl DocumentAuthority for RosterAuthority {
    async fn check(&self, evidence: &Evidence, today: Date) -> Result<Answer, Error> {
        let document_index = blind::document(&self.keys.blind_index, &evidence.number);
        let Some(row) = self.store.roster_record(&document_index).await? else {
            self.decoy_write().await?;
            return Ok(Answer::Refused);
        };
        let json: Zeroizing<Vec<u8>> =
            Suite::gm().decrypt(&self.keys.roster, &roster_aad(&document_index), &row.sealed)?;
        let sealed: SealedRosterRecord = serde_json::from_slice(&json)
            .map_err(|_| Error::Internal("sealed roster record is not json"))?;
        let record = sealed
            .record
            .to_record(today)
            .map_err(|_| Error::Internal("sealed roster record does not parse"))?;
        // The code first: without it the applicant learns nothing more of the record.
        let code_index = match &sealed.code_index {
            // Rosters loaded before codes were required; such a record cannot recover a Net ID.
            None => None,
            Some(expected) => {
                let expected = decode_index(expected)?;
                let given = blind::enrollment_code(
                    &self.keys.blind_index,
                    &sealed.authority,
                    evidence.enrollment_code.as_deref().unwrap_or_default(),
                );
                if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
                    let failures = self
                        .store
                        .count_code_failure(document_index, expected)
                        .await?;
                    if failures == enrollment_code::MAX_FAILURES {
                        tracing::warn!(target: "netid::security", event = "enrollment_code_locked", failures, "a roster record's enrollment code is locked after wrong guesses");
                        // Rare (once a record): written at once, not gathered.
                        crate::security_events::record_now(
                            self.store.as_ref(),
                            crate::security_events::SecurityEventKind::EnrollmentCodeLocked,
                            serde_json::json!({ "authority": sealed.authority, "failures": failures }),
                        )
                        .await?;
                    }
                    return Ok(Answer::Refused);
                }
                let locked = row
                    .code_failures
                    .as_ref()
                    .is_some_and(|(counted, failures)| {
                        counted == &expected && enrollment_code::is_locked(*failures)
                    });
                if locked {
                    return Ok(Answer::CodeLocked);
                }
                Some(given)
            }
        };
        if record.name() != &evidence.name {
            return Ok(Answer::NameMismatch);
        }
        Ok(Answer::Confirmed(AuthoritativeRecord {
            record,
            person_index: row.person_index,
            code_index,
            guardian_indexes: sealed
                .guardian_index
                .iter()
                .chain(&sealed.guardian_indexes)
                .map(|index| decode_index(index))
                .collect::<Result<_, _>>()?,
        }))
    }
}

fn decode_index(text: &str) -> Result<BlindIndex, Error> {
    hex::decode(text)
        .ok()
        .and_then(|bytes| <[u8; BlindIndex::LEN]>::try_from(bytes).ok())
        .map(BlindIndex::new)
        .ok_or(Error::Internal("sealed blind index is malformed"))
}

pub(crate) fn encode_index(index: &BlindIndex) -> String {
    hex::encode(index.as_bytes())
}
