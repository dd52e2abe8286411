//! Complaints about platforms (issue 25; the Electronic Certification Service Measures ask
//! for a complaint and reporting mechanism). A holder files one (what the platform did, in a
//! category, and their own words) with their wallet or in the web app; it is an entry in their
//! history. The words are sealed under the master key, and only system administrators read
//! them, never who wrote them; nothing goes to the platform. A system administrator records
//! where it stands, the answer the holder reads and what was done (a suspension is asked for
//! separately, and two decide it). Counts per platform and outcome are public.

use netid_log::EntryKind;
use netid_proto::{
    ComplaintAction, ComplaintCategory, ComplaintCounts, ComplaintRequest, ComplaintStatus,
    ComplaintView, HandleComplaintRequest, OperatorComplaint, OperatorComplaints,
    PlatformComplaintCounts, signing,
};
use netid_store::{ComplaintHandling, ComplaintRow, HolderRow};

use crate::deps::Deps;
use crate::error::{Error, Refusal};
use crate::wallet::authenticate_holder;

/// The longest text, a holder's or an operator's, in characters.
const MAX_TEXT: usize = 1000;
/// How many complaints the operator's list shows.
const LIST_LENGTH: u32 = 200;

fn seal_purpose(reference: &str) -> Vec<u8> {
    [b"netid complaint v1\0".as_slice(), reference.as_bytes()].concat()
}

/// Refuses a text that is blank, longer than [`MAX_TEXT`] characters, or more than a line.
fn check_text(text: &str, field: &'static str) -> Result<(), Refusal> {
    if text.trim().is_empty() || text.chars().count() > MAX_TEXT || text.contains(['\n', '\r']) {
        return Err(Refusal::InvalidField {
            field,
            reason: format!("1 to {MAX_TEXT} characters on one line"),
        });
    }
    Ok(())
}

/// Records the complaint of the holder whose wallet signed `request`.
pub(crate) async fn file(deps: &Deps, request: ComplaintRequest) -> Result<ComplaintView, Error> {
    check_text(&request.text, "text")?;
    let holder = authenticate_holder(
        deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &signing::complaint_message(
            &request.client_id,
            request.category.as_str(),
            &request.text,
            &request.request_id,
            request.timestamp,
        ),
        &request.signature,
    )
    .await?;
    file_for(
        deps,
        &holder,
        &request.client_id,
        request.category,
        &request.text,
    )
    .await
}

/// Records `holder`'s complaint about `client_id`. A locked Net ID may still complain.
pub(crate) async fn file_for(
    deps: &Deps,
    holder: &HolderRow,
    client_id: &str,
    category: ComplaintCategory,
    text: &str,
) -> Result<ComplaintView, Error> {
    check_text(text, "text")?;
    deps.store
        .platform(client_id)
        .await?
        .ok_or(Refusal::UnknownPlatform)?;
    let reference = crate::credentials::random_id("cmp")?;
    let now = deps.clock.now();
    let log_key = crate::personal::log_key(&deps.keys.master, holder)?;
    let entry = deps.log.entry(
        EntryKind::ComplaintFiled,
        Some(&log_key),
        Some(client_id),
        now,
    )?;
    let row = ComplaintRow {
        reference: reference.clone(),
        holder: Some(holder.id),
        client_id: client_id.to_owned(),
        category: stored_category(category),
        sealed_text: Some(
            deps.keys
                .master
                .seal(&seal_purpose(&reference), text.as_bytes())?,
        ),
        status: netid_store::ComplaintStatus::Received,
        resolution: None,
        action: None,
        handled_by: None,
        filed_at: now,
        updated_at: now,
    };
    deps.store.add_complaint(row.clone(), entry).await?;
    tracing::info!(target: "netid::security", event = "complaint_filed", platform_id = %client_id);
    view(&row)
}

/// `holder`'s complaints, newest first.
pub(crate) async fn of_holder(
    deps: &Deps,
    holder: &HolderRow,
) -> Result<Vec<ComplaintView>, Error> {
    deps.store
        .holder_complaints(holder.id)
        .await?
        .iter()
        .map(view)
        .collect()
}

/// The complaints for system administrators, with the holders' words (never who they are).
pub(crate) async fn for_operator(deps: &Deps) -> Result<OperatorComplaints, Error> {
    let mut complaints = Vec::new();
    for row in deps.store.complaints(LIST_LENGTH).await? {
        let text = match &row.sealed_text {
            Some(sealed) => {
                let opened = deps
                    .keys
                    .master
                    .open(&seal_purpose(&row.reference), sealed)?;
                Some(
                    String::from_utf8(opened.to_vec())
                        .map_err(|_| Error::Internal("a complaint's text is not UTF-8"))?,
                )
            }
            None => None,
        };
        complaints.push(OperatorComplaint {
            complaint: view(&row)?,
            text,
            handled_by: row.handled_by,
        });
    }
    Ok(OperatorComplaints { complaints })
}

/// Records how `operator` handled the open complaint `reference`; an entry in the public log
/// naming them (and in the holder's history).
pub(crate) async fn handle(
    deps: &Deps,
    operator: &str,
    reference: &str,
    request: HandleComplaintRequest,
) -> Result<ComplaintView, Error> {
    check_text(&request.resolution, "resolution")?;
    if request.status == ComplaintStatus::Received {
        return Err(Refusal::InvalidField {
            field: "status",
            reason: "investigating, upheld or dismissed".to_owned(),
        }
        .into());
    }
    let row = deps
        .store
        .complaint(reference)
        .await?
        .ok_or_else(|| Refusal::InvalidField {
            field: "reference",
            reason: "no complaint has this reference".to_owned(),
        })?;
    let holder_key = match row.holder {
        Some(id) => match deps.store.holder(id).await? {
            Some(holder) => Some(crate::personal::log_key(&deps.keys.master, &holder)?),
            None => None,
        },
        None => None,
    };
    let now = deps.clock.now();
    let entry = deps.log.entry_by(
        EntryKind::ComplaintHandled,
        holder_key.as_ref(),
        Some(&row.client_id),
        Some((operator, None)),
        now,
    )?;
    let handling = ComplaintHandling {
        status: stored_status(request.status),
        resolution: request.resolution,
        action: stored_action(request.action),
        operator: operator.to_owned(),
        at: now,
    };
    if !deps
        .store
        .handle_complaint(reference, handling, entry)
        .await?
    {
        return Err(Refusal::InvalidField {
            field: "reference",
            reason: "this complaint is closed (upheld or dismissed)".to_owned(),
        }
        .into());
    }
    tracing::info!(target: "netid::security", event = "complaint_handled", platform_id = %row.client_id, operator = %operator);
    let handled = deps
        .store
        .complaint(reference)
        .await?
        .ok_or(Error::Internal("a handled complaint is gone"))?;
    view(&handled)
}

/// Every platform's complaints, counted by where they stand (public).
pub(crate) async fn counts(deps: &Deps) -> Result<ComplaintCounts, Error> {
    let mut platforms: Vec<PlatformComplaintCounts> = Vec::new();
    for (client_id, status, count) in deps.store.complaint_counts().await? {
        if platforms
            .last()
            .is_none_or(|last| last.client_id != client_id)
        {
            platforms.push(PlatformComplaintCounts {
                client_id,
                ..PlatformComplaintCounts::default()
            });
        }
        let counts = platforms
            .last_mut()
            .ok_or(Error::Internal("a count without a platform"))?;
        let count = u64::try_from(count).map_err(|_| Error::Internal("a negative count"))?;
        match status {
            netid_store::ComplaintStatus::Received => counts.received = count,
            netid_store::ComplaintStatus::Investigating => counts.investigating = count,
            netid_store::ComplaintStatus::Upheld => counts.upheld = count,
            netid_store::ComplaintStatus::Dismissed => counts.dismissed = count,
        }
    }
    Ok(ComplaintCounts { platforms })
}

fn view(row: &ComplaintRow) -> Result<ComplaintView, Error> {
    Ok(ComplaintView {
        reference: row.reference.clone(),
        client_id: row.client_id.clone(),
        category: match row.category {
            netid_store::ComplaintCategory::ExtraPlaintext => ComplaintCategory::ExtraPlaintext,
            netid_store::ComplaintCategory::RefusedWithoutNetId => {
                ComplaintCategory::RefusedWithoutNetId
            }
            netid_store::ComplaintCategory::KeptPastRetention => {
                ComplaintCategory::KeptPastRetention
            }
            netid_store::ComplaintCategory::Other => ComplaintCategory::Other,
        },
        status: match row.status {
            netid_store::ComplaintStatus::Received => ComplaintStatus::Received,
            netid_store::ComplaintStatus::Investigating => ComplaintStatus::Investigating,
            netid_store::ComplaintStatus::Upheld => ComplaintStatus::Upheld,
            netid_store::ComplaintStatus::Dismissed => ComplaintStatus::Dismissed,
        },
        resolution: row.resolution.clone(),
        action: row.action.map(|action| match action {
            netid_store::ComplaintAction::None => ComplaintAction::None,
            netid_store::ComplaintAction::Warning => ComplaintAction::Warning,
            netid_store::ComplaintAction::Suspension => ComplaintAction::Suspension,
            netid_store::ComplaintAction::Removal => ComplaintAction::Removal,
        }),
        filed_at: row.filed_at.0,
        updated_at: row.updated_at.0,
    })
}

fn stored_category(category: ComplaintCategory) -> netid_store::ComplaintCategory {
    match category {
        ComplaintCategory::ExtraPlaintext => netid_store::ComplaintCategory::ExtraPlaintext,
        ComplaintCategory::RefusedWithoutNetId => {
            netid_store::ComplaintCategory::RefusedWithoutNetId
        }
        ComplaintCategory::KeptPastRetention => netid_store::ComplaintCategory::KeptPastRetention,
        ComplaintCategory::Other => netid_store::ComplaintCategory::Other,
    }
}

fn stored_status(status: ComplaintStatus) -> netid_store::ComplaintStatus {
    match status {
        ComplaintStatus::Received => netid_store::ComplaintStatus::Received,
        ComplaintStatus::Investigating => netid_store::ComplaintStatus::Investigating,
        ComplaintStatus::Upheld => netid_store::ComplaintStatus::Upheld,
        ComplaintStatus::Dismissed => netid_store::ComplaintStatus::Dismissed,
    }
}

fn stored_action(action: ComplaintAction) -> netid_store::ComplaintAction {
    match action {
        ComplaintAction::None => netid_store::ComplaintAction::None,
        ComplaintAction::Warning => netid_store::ComplaintAction::Warning,
        ComplaintAction::Suspension => netid_store::ComplaintAction::Suspension,
        ComplaintAction::Removal => netid_store::ComplaintAction::Removal,
    }
}
