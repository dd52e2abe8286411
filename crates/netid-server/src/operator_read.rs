//! The operator's one way to read a holder's personal data (design invariant 8), and the
//! deferred notice of Measures Art. 11.
//!
//! A read names the holder's Net ID, the fields, the law that requires it and a reference; it
//! is an `operator_read` entry of the holder's in the transparency log, and the holder's
//! history shows it with its basis. There is no other read path: no operator endpoint answers
//! with personal data but this one.
//!
//! A notice may be deferred only on one of the two grounds of Art. 11 (a legal duty of
//! confidentiality, or an emergency), with a basis and an end date at most 366 days ahead.
//! While it runs, the read's entry is tagged with a one-off key instead of the holder's log
//! key, so not even the holder can recognise it in the public log, and a `notice_deferred`
//! entry (about no one) counts it publicly; from the day after the end date the holder's
//! history shows the read, the deferral and the one-off key that proves the entry is theirs.

use netid_core::{Date, NetId};
use netid_crypto::MacKey;
use netid_log::EntryKind;
use netid_proto::{
    AuthenticationRecord, DeferralCounts, HistoryScope, NoticeDeferral, OperatorReadNotice,
    OperatorReadRequest, OperatorReadResponse, PlatformSubject,
};
use netid_store::{
    HolderId, HolderRow, NoticeDeferralRow, OperatorReadRow, SealedTagKey, Timestamp,
};

use crate::error::{Error, Refusal};
use crate::grants::{check_field_names, is_short_text};
use crate::keys::MasterKey;
use crate::state::AppState;
use crate::{clock, personal};

/// The grounds of Art. 11 on which a notice may be deferred.
const DEFERRAL_GROUNDS: [&str; 2] = ["confidentiality", "emergency"];
/// The longest deferral, in days after the day of the read.
pub(crate) const MAX_DEFERRAL_DAYS: i64 = 366;

/// Checks a read request before anyone approves it: its fields, its deferral, and that it
/// names a holder (so that no approval is spent on what cannot be carried out).
pub(crate) async fn check(state: &AppState, request: &OperatorReadRequest) -> Result<(), Error> {
    check_fields(state, request)?;
    holder_named(state, request).await.map(drop)
}

fn check_fields(state: &AppState, request: &OperatorReadRequest) -> Result<(), Error> {
    // A history export may read no field besides.
    if !(request.fields.is_empty() && request.history.is_some()) {
        check_field_names(&request.fields, "fields")?;
    }
    if let Some(scope) = &request.history {
        history_minutes(scope)?;
    }
    check_text(&request.legal_basis, "legal_basis")?;
    check_text(&request.reference, "reference")?;
    if let Some(deferral) = &request.defer_notice {
        deferral_end(deferral, state.deps.clock.today()?)?;
    }
    Ok(())
}

/// The longest history export, in days.
const MAX_HISTORY_DAYS: i64 = 366;
/// The field a read's record names for an exported history (the holder sees it).
const HISTORY_FIELD: &str = "authentication_history";

/// The minutes `[first, end)` of a history scope's days (in UTC+8, the service's days): a
/// valid range of at most 366 days.
fn history_minutes(scope: &HistoryScope) -> Result<(u64, u64), Refusal> {
    let invalid = |field, reason: &str| Refusal::InvalidField {
        field,
        reason: reason.to_owned(),
    };
    let from: Date = scope
        .from
        .parse()
        .map_err(|_| invalid("history.from", "expected a date YYYY-MM-DD"))?;
    let until: Date = scope
        .until
        .parse()
        .map_err(|_| invalid("history.until", "expected a date YYYY-MM-DD"))?;
    let days = until.days_since_unix_epoch() - from.days_since_unix_epoch() + 1;
    if !(1..=MAX_HISTORY_DAYS).contains(&days) {
        return Err(invalid(
            "history.until",
            "expected a day on or after history.from, at most 366 days in all",
        ));
    }
    // Days as the service counts them (China Standard Time), as "today" is everywhere else.
    let minute = |day: i64| {
        Date::from_days_since_unix_epoch(day)
            .map(|date| u64::try_from(clock::start_of_day(date).0 / 60).unwrap_or(0))
            .unwrap_or(0)
    };
    Ok((
        minute(from.days_since_unix_epoch()),
        minute(until.days_since_unix_epoch() + 1),
    ))
}

/// The holder's authentication history in `scope`: their verifications, disclosures and
/// consents, platform by platform, from their own log entries.
async fn history(
    state: &AppState,
    holder: &HolderRow,
    scope: &HistoryScope,
) -> Result<Vec<AuthenticationRecord>, Error> {
    let (first, end) = history_minutes(scope)?;
    let mut records = Vec::new();
    let now = state.deps.clock.now();
    for (index, _) in state.deps.store.holder_entries(holder.id, now).await? {
        for leaf in state.deps.store.log_entries(index, index + 1).await? {
            let entry = netid_log::Entry::from_leaf(&leaf)?;
            let interaction = matches!(
                entry.kind,
                EntryKind::Verification
                    | EntryKind::Disclosure
                    | EntryKind::ConsentGiven
                    | EntryKind::ConsentWithdrawn
            );
            if let (true, Some(platform)) = (interaction, entry.platform) {
                if (first..end).contains(&entry.minute) {
                    records.push(AuthenticationRecord {
                        log_index: index,
                        kind: entry.kind.as_str().to_owned(),
                        minute: entry.minute,
                        platform,
                    });
                }
            }
        }
    }
    Ok(records)
}

/// The holder a read names, by exactly one of: a Net ID, a platform and its pairwise
/// pseudonym, or a certificate serial; with their Net ID. [`Refusal::UnknownHolder`] if
/// there is none (or they deleted their data).
async fn holder_named(
    state: &AppState,
    request: &OperatorReadRequest,
) -> Result<(HolderRow, NetId), Error> {
    let deps = &state.deps;
    let named = |field| Refusal::InvalidField {
        field,
        reason: "name the holder by exactly one of net_id, platform_subject or certificate_serial"
            .to_owned(),
    };
    let holder = match (
        &request.net_id,
        &request.platform_subject,
        &request.certificate_serial,
    ) {
        (Some(net_id), None, None) => {
            let net_id = personal::parse_net_id(net_id, "net_id")?;
            personal::holder_with_net_id(deps, &net_id).await?
        }
        (None, Some(named), None) => by_pseudonym(state, named).await?,
        (None, None, Some(serial)) => {
            let serial = hex::decode(serial).map_err(|_| Refusal::InvalidField {
                field: "certificate_serial",
                reason: "expected the serial number in hex".to_owned(),
            })?;
            match deps
                .store
                .certificate(&serial)
                .await?
                .and_then(|row| row.holder)
            {
                Some(id) => deps.store.holder(id).await?,
                None => None,
            }
        }
        (None, None, None) => return Err(named("net_id").into()),
        _ => return Err(named("platform_subject").into()),
    };
    // The store answers for holders who did not delete their data only.
    let holder = holder.ok_or(Refusal::UnknownHolder)?;
    let net_id = personal::net_id(&deps.keys.master, &holder)?;
    Ok((holder, net_id))
}

/// The holder whose pairwise pseudonym at `named.client_id` is `named.subject`: among the
/// holders with a log entry at that platform (the only ones it can have seen), the one whose
/// pseudonym, computed again, matches.
async fn by_pseudonym(
    state: &AppState,
    named: &PlatformSubject,
) -> Result<Option<HolderRow>, Error> {
    let deps = &state.deps;
    let platform = deps
        .store
        .platform(&named.client_id)
        .await?
        .ok_or(Refusal::UnknownPlatform)?;
    for id in deps.store.holders_seen_by(&platform.client_id).await? {
        let Some(holder) = deps.store.holder(id).await? else {
            continue;
        };
        let net_id = personal::net_id(&deps.keys.master, &holder)?;
        let pseudonym = crate::verification::pseudonym(deps, net_id.expose(), &platform.sector);
        // Pseudonyms are not secrets to the operator; an ordinary comparison will do.
        if pseudonym.eq_ignore_ascii_case(named.subject.trim()) {
            return Ok(Some(holder));
        }
    }
    Ok(None)
}

/// Reads the fields `request` names of the holder with its Net ID, for `operator` (whose
/// request a second data-protection officer approved), recording the read.
pub(crate) async fn read(
    state: &AppState,
    request: OperatorReadRequest,
    operator: &str,
) -> Result<OperatorReadResponse, Error> {
    check_fields(state, &request)?;
    let now = state.deps.clock.now();
    let today = state.deps.clock.today()?;
    let deferral = request
        .defer_notice
        .as_ref()
        .map(|deferral| deferral_end(deferral, today))
        .transpose()?;

    let (holder, net_id) = holder_named(state, &request).await?;
    let record = personal::open(&state.deps.keys.master, &holder, today)?;
    let claims = crate::grants::claims(&request.fields, &record, net_id.expose());
    let history = match &request.history {
        Some(scope) => history(state, &holder, scope).await?,
        None => Vec::new(),
    };
    // What the holder is told was read: the fields, and the history if it was.
    let mut fields = request.fields.clone();
    if request.history.is_some() {
        fields.push(HISTORY_FIELD.to_owned());
    }

    let (tag_key, deferral_row, deferral_entry) = match (&request.defer_notice, deferral) {
        (Some(asked), Some(ends_at)) => {
            let one_off = MacKey::generate()?;
            let sealed_tag_key = state
                .deps
                .keys
                .master
                .seal(&tag_key_aad(holder.id), one_off.expose_secret())?;
            let entry = state.deps.log.entry_by(
                EntryKind::NoticeDeferred,
                None,
                None,
                Some((operator, None)),
                now,
            )?;
            let row = NoticeDeferralRow {
                ground: asked.ground.clone(),
                legal_basis: asked.legal_basis.clone(),
                ends_at,
                sealed_tag_key,
            };
            (one_off, Some(row), Some(entry))
        }
        _ => (
            personal::log_key(&state.deps.keys.master, &holder)?,
            None,
            None,
        ),
    };
    let log_entry = state.deps.log.entry_by(
        EntryKind::OperatorRead,
        Some(&tag_key),
        None,
        Some((operator, None)),
        now,
    )?;
    let holder_notified_from = match &deferral_row {
        Some(row) => clock::date_of(row.ends_at)
            .ok_or(Error::Internal("deferral end out of range"))?
            .to_string(),
        None => "now".to_owned(),
    };
    let deferred = deferral_row.is_some();
    let log_index = state
        .deps
        .store
        .record_operator_read(
            OperatorReadRow {
                log_index: 0,
                holder: holder.id,
                fields,
                legal_basis: request.legal_basis,
                basis_kind: Some(request.basis_kind.as_str().to_owned()),
                reference: request.reference,
                read_at: now,
                deferral: deferral_row,
            },
            log_entry,
            deferral_entry,
        )
        .await
        .map_err(|error| match error {
            netid_store::Error::NotFound { .. } => Error::from(Refusal::UnknownHolder),
            other => other.into(),
        })?;
    tracing::info!(target: "netid::security", event = "operator_read", log_index, fields = claims.len(), deferred);
    // The holder is alerted now, or when the deferral ends (`server::maintain_periodically`).
    if !deferred && holder.has_push {
        crate::push::notify(&state.deps, holder.id);
    }
    Ok(OperatorReadResponse {
        claims,
        history,
        log_index,
        holder_notified_from,
    })
}

/// What the holder's history shows of the operator's reads of `holder`'s data at `now`: every
/// read whose notice is due, and the log indexes of those still deferred (to leave out), and
/// for each ended deferral, its entry's index and one-off tag key (hex).
pub(crate) struct HolderReads {
    pub(crate) notices: Vec<OperatorReadNotice>,
    pub(crate) hidden: Vec<u64>,
    pub(crate) tag_keys: Vec<(u64, String)>,
}

/// The operator's reads of `holder`, as their history shows them at `now`.
pub(crate) async fn holder_reads(
    state: &AppState,
    holder: HolderId,
    now: Timestamp,
) -> Result<HolderReads, Error> {
    let mut reads = HolderReads {
        notices: Vec::new(),
        hidden: Vec::new(),
        tag_keys: Vec::new(),
    };
    for row in state.deps.store.operator_reads(holder).await? {
        let deferred = match &row.deferral {
            Some(deferral) if deferral.ends_at > now => {
                reads.hidden.push(row.log_index);
                continue;
            }
            Some(deferral) => {
                let key = state
                    .deps
                    .keys
                    .master
                    .open(&tag_key_aad(holder), &deferral.sealed_tag_key)?;
                reads.tag_keys.push((row.log_index, hex::encode(&*key)));
                let last_day = clock::date_of(Timestamp(deferral.ends_at.0.saturating_sub(1)))
                    .ok_or(Error::Internal("deferral end out of range"))?;
                Some(NoticeDeferral {
                    ground: deferral.ground.clone(),
                    legal_basis: deferral.legal_basis.clone(),
                    until: last_day.to_string(),
                })
            }
            None => None,
        };
        reads.notices.push(OperatorReadNotice {
            log_index: row.log_index,
            fields: row.fields,
            legal_basis: row.legal_basis,
            reference: row.reference,
            read_at: row.read_at.0,
            deferred,
        });
    }
    Ok(reads)
}

/// The public counts of reads and deferrals.
pub(crate) async fn counts(state: &AppState) -> Result<DeferralCounts, Error> {
    let counts = state
        .deps
        .store
        .deferral_counts(state.deps.clock.now())
        .await?;
    let by_basis = state
        .deps
        .store
        .reads_by_basis()
        .await?
        .into_iter()
        .map(|(kind, count)| (kind.unwrap_or_else(|| "unspecified".to_owned()), count))
        .collect();
    Ok(DeferralCounts {
        operator_reads: counts.operator_reads,
        deferred: counts.deferred,
        deferred_now: counts.deferred_now,
        by_basis,
    })
}

/// Checks a deferral against `today` and returns its end: the start of the day after its
/// last day, Beijing time.
fn deferral_end(deferral: &NoticeDeferral, today: Date) -> Result<Timestamp, Refusal> {
    let invalid = |field, reason: &str| Refusal::InvalidField {
        field,
        reason: reason.to_owned(),
    };
    if !DEFERRAL_GROUNDS.contains(&deferral.ground.as_str()) {
        return Err(invalid(
            "defer_notice.ground",
            "expected confidentiality or emergency (Art. 11)",
        ));
    }
    check_text(&deferral.legal_basis, "defer_notice.legal_basis")?;
    let until: Date = deferral
        .until
        .parse()
        .map_err(|_| invalid("defer_notice.until", "expected a date YYYY-MM-DD"))?;
    let days_ahead = until.days_since_unix_epoch() - today.days_since_unix_epoch();
    if !(1..=MAX_DEFERRAL_DAYS).contains(&days_ahead) {
        return Err(invalid(
            "defer_notice.until",
            "expected a date after today and at most 366 days ahead",
        ));
    }
    let next_day = Date::from_days_since_unix_epoch(until.days_since_unix_epoch() + 1)
        .ok_or_else(|| invalid("defer_notice.until", "expected a date before 9999-12-31"))?;
    Ok(clock::start_of_day(next_day))
}

fn check_text(text: &str, field: &'static str) -> Result<(), Refusal> {
    if !is_short_text(text) {
        return Err(Refusal::InvalidField {
            field,
            reason: "expected 1 to 300 characters".to_owned(),
        });
    }
    Ok(())
}

/// A deferred read's tag key sealed again under `new`: a master-key rotation.
pub(crate) fn reseal_tag_key(
    old: &MasterKey,
    new: &MasterKey,
    key: SealedTagKey,
) -> Result<SealedTagKey, Error> {
    let sealed = old.reseal(new, &tag_key_aad(key.holder), &key.sealed)?;
    Ok(SealedTagKey { sealed, ..key })
}

fn tag_key_aad(holder: HolderId) -> Vec<u8> {
    format!("netid deferred read tag key v1\n{}", holder.0).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deferral(ground: &str, until: &str) -> NoticeDeferral {
        NoticeDeferral {
            ground: ground.to_owned(),
            legal_basis: "Synthetic Confidentiality Act, art. 1".to_owned(),
            until: until.to_owned(),
        }
    }

    #[test]
    fn a_history_export_covers_whole_days_in_beijing() {
        let scope = HistoryScope {
            from: "2026-12-07".to_owned(),
            until: "2026-12-07".to_owned(),
        };
        let (first, end) = history_minutes(&scope).unwrap();
        // 2026-12-07T00:00:00+08:00 is 2026-12-06T16:00:00Z; the day is 1440 minutes long.
        assert_eq!(first, 1_796_572_800 / 60);
        assert_eq!(end - first, 1440);
    }

    #[test]
    fn a_deferral_ends_at_the_start_of_the_day_after_its_last_day_in_beijing() {
        let today = Date::from_ymd(2026, 12, 2).unwrap();
        let end = deferral_end(&deferral("confidentiality", "2026-12-31"), today).unwrap();
        // 2027-01-01T00:00:00+08:00 is 2026-12-31T16:00:00Z.
        assert_eq!(end, Timestamp(1_798_732_800));
        assert_eq!(
            clock::date_of(end).unwrap(),
            Date::from_ymd(2027, 1, 1).unwrap()
        );
        assert_eq!(
            clock::date_of(Timestamp(end.0 - 1)).unwrap(),
            Date::from_ymd(2026, 12, 31).unwrap()
        );
    }

    #[test]
    fn a_deferral_needs_a_ground_of_art_11_and_an_end_within_a_year() {
        let today = Date::from_ymd(2026, 12, 2).unwrap();
        let field = |result: Result<Timestamp, Refusal>| match result {
            Err(Refusal::InvalidField { field, .. }) => field,
            other => panic!("expected a field refusal, got {other:?}"),
        };
        assert_eq!(
            field(deferral_end(&deferral("convenience", "2026-12-31"), today)),
            "defer_notice.ground"
        );
        for until in [
            "2026-12-02",
            "2026-11-30",
            "2027-12-04",
            "tomorrow",
            "2026-02-30",
        ] {
            assert_eq!(
                field(deferral_end(&deferral("emergency", until), today)),
                "defer_notice.until",
                "{until}"
            );
        }
        assert!(deferral_end(&deferral("emergency", "2026-12-03"), today).is_ok());
        assert!(deferral_end(&deferral("emergency", "2027-12-03"), today).is_ok());
    }
}
