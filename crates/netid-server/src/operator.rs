//! The operator's services: trust a document authority, load its signed roster, register a
//! platform.

use std::collections::HashSet;

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_core::DocumentRecord;
use netid_core::rules::ADULT_AGE;
use netid_crypto::Suite;
use netid_log::EntryKind;
use netid_proto::{
    LoadRosterResponse, RegisterAuthorityRequest, RegisterAuthorityResponse,
    RegisterPlatformRequest, RegisterPlatformResponse, RosterPayload, SignedRoster,
};
use netid_store::{
    AuthorityRow, BlindIndex, GuardianshipChange, PlatformRow, RecordUpdate, RosterRow,
};

use crate::authority::{SealedRosterRecord, encode_index, roster_aad};
use crate::error::RosterRefusal;
use crate::error::{Error, Refusal};
use crate::personal::StoredRecord;
use crate::state::AppState;
use crate::wallet::WalletKey;
use crate::{blind, credentials};

/// Longest name of an authority or platform, in characters.
const MAX_NAME_CHARS: usize = 100;

pub(crate) fn check_name(field: &'static str, name: &str) -> Result<(), Refusal> {
    let count = name.chars().count();
    if name.trim().is_empty() || count > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Refusal::InvalidField {
            field,
            reason: format!("expected 1 to {MAX_NAME_CHARS} characters without control characters"),
        });
    }
    Ok(())
}

/// Registers (or re-keys) a document authority.
pub(crate) async fn register_authority(
    state: &AppState,
    request: RegisterAuthorityRequest,
    operator: &str,
) -> Result<RegisterAuthorityResponse, Error> {
    check_name("name", &request.name)?;
    let key = WalletKey::parse(&request.public_key, "public_key")?;
    let suite = key.suite.id();
    let now = state.deps.clock.now();
    let log_entry = state.deps.log.entry_by(
        EntryKind::AuthorityRegistered,
        None,
        None,
        Some((operator, None)),
        now,
    )?;
    state
        .deps
        .store
        .upsert_authority(
            AuthorityRow {
                name: request.name.clone(),
                suite,
                public_key_spki: key.key.to_spki_der()?,
                registered_at: now,
            },
            log_entry,
        )
        .await?;
    tracing::info!(target: "netid::security", event = "authority_registered", suite = %suite);
    Ok(RegisterAuthorityResponse {
        name: request.name,
        suite: suite.as_str().to_owned(),
    })
}

/// Verifies a signed roster and replaces the authority's records with it, in one
/// transaction. A bad signature or any bad record changes nothing.
pub(crate) async fn load_roster(
    state: &AppState,
    signed: SignedRoster,
    operator: &str,
) -> Result<LoadRosterResponse, Error> {
    let authority = state
        .deps
        .store
        .authority(&signed.authority)
        .await?
        .ok_or(Refusal::Roster(RosterRefusal::UnknownAuthority))?;
    let suite = Suite::new(authority.suite);
    if signed.alg != suite.id().jose_alg() {
        return Err(Refusal::Roster(RosterRefusal::BadRosterSignature).into());
    }
    let key = suite.verifying_key_from_spki_der(&authority.public_key_spki)?;
    let payload =
        Base64UrlUnpadded::decode_vec(&signed.payload).map_err(|_| Refusal::InvalidField {
            field: "payload",
            reason: "expected base64url without padding".to_owned(),
        })?;
    let signature = Base64UrlUnpadded::decode_vec(&signed.signature)
        .ok()
        .and_then(|bytes| suite.signature_from_fixed(&bytes).ok())
        .ok_or(Refusal::Roster(RosterRefusal::BadRosterSignature))?;
    key.verify(&payload, &signature)
        .map_err(|_| Refusal::Roster(RosterRefusal::BadRosterSignature))?;
    let roster: RosterPayload =
        serde_json::from_slice(&payload).map_err(|_| Refusal::InvalidField {
            field: "payload",
            reason: "expected the json of a roster".to_owned(),
        })?;
    if roster.authority != signed.authority {
        return Err(Refusal::InvalidField {
            field: "payload.authority",
            reason: "does not match the signing authority".to_owned(),
        }
        .into());
    }
    let today = state.deps.clock.today()?;
    let issued_at: netid_core::Date =
        roster
            .issued_at
            .parse()
            .map_err(|_| Refusal::InvalidField {
                field: "payload.issued_at",
                reason: "expected a date, YYYY-MM-DD".to_owned(),
            })?;
    if issued_at > today {
        return Err(Refusal::InvalidField {
            field: "payload.issued_at",
            reason: "is in the future".to_owned(),
        }
        .into());
    }
    let blind_key = &state.deps.keys.blind_index;
    let mut seen = HashSet::new();
    let mut rows = Vec::with_capacity(roster.records.len());
    let mut people: Vec<Listed> = Vec::with_capacity(roster.records.len());
    for (index, entry) in roster.records.iter().enumerate() {
        let stored = StoredRecord {
            document_type: entry.document_type.clone(),
            document_number: entry.document_number.clone(),
            name: entry.name.clone(),
            birth_date: entry.birth_date.clone(),
            sex: entry.sex.clone(),
            nationality: entry.nationality.clone(),
            expiry: entry.expiry.clone(),
        };
        let record = stored.to_record(today).map_err(|error| {
            Refusal::Roster(RosterRefusal::InvalidRosterRecord {
                index,
                field: error.field,
                reason: error.reason,
            })
        })?;
        // Numbers without a birth date in them (passports, permits) rely on this field alone.
        if record.birth_date() > today {
            return Err(Refusal::Roster(RosterRefusal::InvalidRosterRecord {
                index,
                field: "birth_date",
                reason: "is in the future".to_owned(),
            })
            .into());
        }
        // Number and name are not secrets: without a strong code anyone knowing them could
        // enroll in the person's place, and lock the person out.
        let code = entry
            .enrollment_code
            .as_deref()
            .ok_or_else(|| Refusal::Roster(RosterRefusal::InvalidRosterRecord {
                index,
                field: "enrollment_code",
                reason: "is required: every record needs the one-time code the authority gave the person"
                    .to_owned(),
            }))?;
        netid_core::enrollment_code::check_strength(code).map_err(|weak| {
            Refusal::Roster(RosterRefusal::InvalidRosterRecord {
                index,
                field: "enrollment_code",
                reason: weak.to_string(),
            })
        })?;
        if entry.person_ref.trim().is_empty() {
            return Err(Refusal::Roster(RosterRefusal::InvalidRosterRecord {
                index,
                field: "person_ref",
                reason: "must not be empty".to_owned(),
            })
            .into());
        }
        let guardians: Vec<BlindIndex> = entry
            .guardians()
            .into_iter()
            .map(|reference| blind::person(blind_key, &roster.authority, reference))
            .collect();
        let document_index = blind::document(blind_key, record.number());
        if !seen.insert(document_index.clone()) {
            return Err(Refusal::Roster(RosterRefusal::DuplicateRosterRecord { index }).into());
        }
        let sealed = SealedRosterRecord {
            authority: roster.authority.clone(),
            // Re-serialise from the parsed record so that what is stored is canonical.
            record: StoredRecord::from_record(&record),
            code_index: Some(encode_index(&blind::enrollment_code(
                blind_key,
                &roster.authority,
                code,
            ))),
            guardian_index: None,
            guardian_indexes: guardians.iter().map(encode_index).collect(),
        };
        let json = zeroize::Zeroizing::new(
            serde_json::to_vec(&sealed).map_err(|_| Error::Internal("serialising roster"))?,
        );
        let person_index = blind::person(blind_key, &roster.authority, &entry.person_ref);
        people.push(Listed {
            person: person_index.clone(),
            record,
            guardians,
        });
        rows.push(RosterRow {
            sealed: Suite::gm().encrypt(
                &state.deps.keys.roster,
                &roster_aad(&document_index),
                &json,
            )?,
            person_index,
            document_index,
            code_failures: None,
        });
    }
    let count = rows.len();
    let now = state.deps.clock.now();
    let (updates, guardianships) = holder_updates(&state.deps, &people, today, now).await?;
    let log_entry = state.deps.log.entry_by(
        EntryKind::RosterLoaded,
        None,
        None,
        Some((operator, None)),
        now,
    )?;
    state
        .deps
        .store
        .replace_roster(
            netid_store::RosterLoad {
                authority: roster.authority.clone(),
                issued_at: issued_at.to_string(),
                records: rows,
                updates,
                guardianships,
                log_entry,
            },
            now,
        )
        .await
        .map_err(|error| match error {
            netid_store::Error::AlreadyExists {
                what: netid_store::Conflict::RosterRecord,
            } => Refusal::Roster(RosterRefusal::RosterRecordOfAnotherAuthority).into(),
            netid_store::Error::StaleRoster => Refusal::Roster(RosterRefusal::StaleRoster).into(),
            other => Error::from(other),
        })?;
    tracing::info!(target: "netid::security", event = "roster_loaded", records = count);
    Ok(LoadRosterResponse {
        authority: roster.authority,
        records: count,
    })
}

/// A person as a roster lists them: their blind index, one of their records, and the blind
/// indexes of their guardians.
struct Listed {
    person: BlindIndex,
    record: DocumentRecord,
    guardians: Vec<BlindIndex>,
}

/// What a roster listing `people` changes of the enrolled holders, each an entry in their
/// history; the Net ID stays.
///
/// Records: a holder's record follows the roster's record of the same document type: the one
/// with the same number (renewed or corrected), or, when the roster has one record of that
/// type for the person, that one (a replaced document).
///
/// Guardianships (Art. 4): a minor's guardians on record are the enrolled adults the roster
/// lists as their guardians, changed or ended as it lists them.
async fn holder_updates(
    deps: &crate::deps::Deps,
    people: &[Listed],
    today: netid_core::Date,
    now: netid_store::Timestamp,
) -> Result<(Vec<RecordUpdate>, Vec<GuardianshipChange>), Error> {
    let mut updates = Vec::new();
    let mut guardianships = Vec::new();
    let mut done = HashSet::new();
    for Listed { person, .. } in people {
        if !done.insert(person) {
            continue;
        }
        let Some(holder) = deps.store.holder_by_person(person).await? else {
            continue;
        };
        let opened = crate::personal::open_all(&deps.keys.master, &holder, today)?;
        let current = &opened.record;
        let listed: Vec<&Listed> = people
            .iter()
            .filter(|listed| &listed.person == person)
            .collect();
        if crate::personal::age_of(current, today)? < ADULT_AGE {
            let mut guardians = Vec::new();
            for index in listed.iter().flat_map(|listed| &listed.guardians) {
                if let Some(guardian) = adult_holder(deps, index, today).await? {
                    if guardian != holder.id && !guardians.contains(&guardian) {
                        guardians.push(guardian);
                    }
                }
            }
            guardians.sort_unstable_by_key(|id| id.0);
            if deps.store.guardians_of(holder.id).await? != guardians {
                guardianships.push(GuardianshipChange {
                    minor: holder.id,
                    guardians,
                    log_entry: deps.log.entry(
                        EntryKind::GuardianshipChanged,
                        Some(&opened.log_key()?),
                        None,
                        now,
                    )?,
                });
            }
        }
        let same_type: Vec<&DocumentRecord> = listed
            .iter()
            .map(|listed| &listed.record)
            .filter(|record| record.document_type() == current.document_type())
            .collect();
        let chosen = match same_type
            .iter()
            .find(|record| record.number() == current.number())
        {
            Some(record) => Some(*record),
            None if same_type.len() == 1 => same_type.first().copied(),
            None => None,
        };
        let Some(record) = chosen.filter(|record| *record != current) else {
            continue;
        };
        updates.push(RecordUpdate {
            holder: holder.id,
            sealed_personal: opened.seal_record(record)?,
            log_entry: deps.log.entry(
                EntryKind::RecordUpdated,
                Some(&opened.log_key()?),
                None,
                now,
            )?,
        });
    }
    Ok((updates, guardianships))
}

/// The enrolled adult with person blind index `person`, if there is one.
pub(crate) async fn adult_holder(
    deps: &crate::deps::Deps,
    person: &BlindIndex,
    today: netid_core::Date,
) -> Result<Option<netid_store::HolderId>, Error> {
    let Some(holder) = deps.store.holder_by_person(person).await? else {
        return Ok(None);
    };
    let age = crate::personal::age(&deps.keys.master, &holder, today)?;
    Ok((age >= ADULT_AGE).then_some(holder.id))
}

/// Registers a platform: a random client id, credential (returned once, stored hashed) and
/// pseudonym sector: its own, or the declared sector of the platform named in `sector_of`.
pub(crate) async fn register_platform(
    state: &AppState,
    request: RegisterPlatformRequest,
    operator: &str,
) -> Result<RegisterPlatformResponse, Error> {
    check_name("name", &request.name)?;
    let client_id = credentials::random_id("pl")?;
    let credential = credentials::generate("netid-pl")?;
    let sector = match &request.sector_of {
        Some(member) => {
            state
                .deps
                .store
                .platform(member)
                .await?
                .ok_or(Refusal::UnknownPlatform)?
                .sector
        }
        None => credentials::random_id("sector")?,
    };
    let now = state.deps.clock.now();
    // Registration grants the platform result-only verification: a grant change.
    let log_entry = state.deps.log.entry_by(
        EntryKind::GrantChanged,
        None,
        Some(&client_id),
        Some((operator, None)),
        now,
    )?;
    state
        .deps
        .store
        .insert_platform(
            PlatformRow {
                client_id: client_id.clone(),
                credential_hash: credentials::hash(&credential),
                sector: sector.clone(),
                name: request.name,
                registered_at: now,
                status: netid_store::PlatformStatus::Active,
                status_since: None,
                status_reason: None,
                commitments_at: None,
            },
            log_entry,
        )
        .await
        .map_err(|error| match error {
            netid_store::Error::AlreadyExists { .. } => Error::Refused(Refusal::PlatformExists),
            other => other.into(),
        })?;
    tracing::info!(target: "netid::security", event = "platform_registered", platform_id = %client_id, sector_of = request.sector_of.as_deref().unwrap_or("-"));
    Ok(RegisterPlatformResponse {
        client_id,
        credential: credential.to_string(),
        sector,
    })
}
