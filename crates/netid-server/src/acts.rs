//! No one acts alone on what matters: an act that needs two people is asked for by one
//! operator, approved by a second of the role it needs, and then carried out, once, by the
//! one who asked (who alone sees its result: a holder's data, a new account's id). Request,
//! approval and refusal are separate log entries naming their operator; the act's own entry
//! names the one who carried it out (an account's addition or retirement: the account). What
//! was asked is sealed under the master key while the request is open and forgotten once it
//! closes.

use netid_log::EntryKind;
use netid_proto::{
    ActKind, ActPending, ActQueue, ActStatus, ActView, AddOperatorRequest, CertifyCaRequest,
    HandoverRequest, InheritRequest, OperatorReadRequest, OperatorRole, PlatformStatusRequest,
    ProfileDecision, RetireOperatorRequest,
};
use netid_store::{ActChange, ActRow, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, OperatorRefusal, Refusal};
use crate::operators::AuthenticatedOperator;
use crate::state::AppState;

/// How long a request waits for approval, and an approval for its carrying out.
pub(crate) const ACT_LIFETIME_SECONDS: i64 = 24 * 60 * 60;
/// How many requests the queue shows.
const QUEUE_LENGTH: u32 = 100;

/// What an act asks for, as sealed while it waits.
#[derive(Serialize, Deserialize)]
#[serde(tag = "act", content = "request", rename_all = "snake_case")]
pub(crate) enum Act {
    OperatorRead(OperatorReadRequest),
    AddOperator(AddOperatorRequest),
    RetireOperator(RetireOperatorRequest),
    GrantDecision(ProfileDecision),
    CaCertify(CertifyCaRequest),
    CaRollover,
    CaHandover(HandoverRequest),
    CaInherit(InheritRequest),
    PlatformStatus(PlatformStatusRequest),
}

impl Act {
    fn kind(&self) -> ActKind {
        match self {
            Self::OperatorRead(_) => ActKind::OperatorRead,
            Self::AddOperator(_) => ActKind::AddOperator,
            Self::RetireOperator(_) => ActKind::RetireOperator,
            Self::GrantDecision(_) => ActKind::GrantDecision,
            Self::CaCertify(_) => ActKind::CaCertify,
            Self::CaRollover => ActKind::CaRollover,
            Self::CaHandover(_) => ActKind::CaHandover,
            Self::CaInherit(_) => ActKind::CaInherit,
            Self::PlatformStatus(_) => ActKind::PlatformStatus,
        }
    }

    /// Checks what can be checked before anyone approves, so that an approval is not
    /// spent on a request that cannot be carried out.
    async fn check(&self, state: &AppState) -> Result<(), Error> {
        match self {
            Self::OperatorRead(request) => crate::operator_read::check(state, request).await?,
            Self::AddOperator(request) => crate::operators::check_new(state, request).await?,
            Self::RetireOperator(request) => {
                crate::operators::check_retirement(state, &request.operator_id).await?;
            }
            Self::GrantDecision(decision) => {
                crate::grants::check_decision(&state.deps, decision).await?;
            }
            Self::PlatformStatus(request) => {
                crate::standing::check_change(&state.deps, request).await?;
            }
            // The CA checks certificates and packages when the act is carried out.
            Self::CaCertify(_) | Self::CaRollover | Self::CaHandover(_) | Self::CaInherit(_) => {}
        }
        Ok(())
    }
}

/// The role that asks for and approves an act of `kind`.
pub(crate) fn role_for(kind: ActKind) -> OperatorRole {
    match kind {
        ActKind::OperatorRead => OperatorRole::DataProtectionOfficer,
        ActKind::AddOperator | ActKind::RetireOperator => OperatorRole::SecurityAdministrator,
        ActKind::GrantDecision | ActKind::PlatformStatus => OperatorRole::SystemAdministrator,
        ActKind::CaCertify | ActKind::CaRollover | ActKind::CaHandover | ActKind::CaInherit => {
            OperatorRole::CaOfficer
        }
    }
}

/// The log's name for the act of `kind`.
fn entry_kind(kind: ActKind) -> EntryKind {
    match kind {
        ActKind::OperatorRead => EntryKind::OperatorRead,
        ActKind::AddOperator => EntryKind::OperatorAdded,
        ActKind::RetireOperator => EntryKind::OperatorRetired,
        ActKind::GrantDecision => EntryKind::GrantChanged,
        ActKind::PlatformStatus => EntryKind::PlatformStatusChanged,
        ActKind::CaCertify | ActKind::CaRollover => EntryKind::KeyRollover,
        ActKind::CaHandover | ActKind::CaInherit => EntryKind::CaSuccession,
    }
}

fn parse_kind(name: &str) -> Result<ActKind, Error> {
    ActKind::ALL
        .into_iter()
        .find(|kind| kind.as_str() == name)
        .ok_or(Error::Internal("a requested act has an unknown kind"))
}

const PENDING: &str = "pending";
const APPROVED: &str = "approved";
const DONE: &str = "done";
const REFUSED: &str = "refused";

fn status_of(row: &ActRow, now: Timestamp) -> Result<ActStatus, Error> {
    Ok(match row.status.as_str() {
        PENDING | APPROVED if row.expires_at <= now => ActStatus::Expired,
        PENDING => ActStatus::Pending,
        APPROVED => ActStatus::Approved,
        DONE => ActStatus::Done,
        REFUSED => ActStatus::Refused,
        _ => return Err(Error::Internal("a requested act has an unknown status")),
    })
}

fn status_name(status: ActStatus) -> &'static str {
    match status {
        ActStatus::Pending => "waiting for approval",
        ActStatus::Approved => "approved",
        ActStatus::Done => "carried out",
        ActStatus::Refused => "refused",
        ActStatus::Expired => "expired",
    }
}

fn seal_purpose(request_id: &str) -> Vec<u8> {
    [b"netid operator act v1\0".as_slice(), request_id.as_bytes()].concat()
}

/// Records `act` as asked for by `operator`, who must hold the role it needs; it waits for a
/// second operator of that role.
pub(crate) async fn request(
    state: &AppState,
    operator: &AuthenticatedOperator,
    act: Act,
) -> Result<ActPending, Error> {
    let kind = act.kind();
    let role = role_for(kind);
    operator.require(role)?;
    act.check(state).await?;
    let deps = &state.deps;
    let now = deps.clock.now();
    let request_id = crate::credentials::random_id("act")?;
    let body = serde_json::to_vec(&act).map_err(|_| Error::Internal("act encoding"))?;
    let sealed_body = deps.keys.master.seal(&seal_purpose(&request_id), &body)?;
    let expires_at = Timestamp(now.0 + ACT_LIFETIME_SECONDS);
    let entry = deps.log.entry_by(
        EntryKind::ActRequested,
        None,
        None,
        Some((&operator.id, Some(entry_kind(kind)))),
        now,
    )?;
    let row = ActRow {
        request_id: request_id.clone(),
        act: kind.as_str().to_owned(),
        sealed_body,
        requested_by: operator.id.clone(),
        requested_at: now,
        status: PENDING.to_owned(),
        decided_by: None,
        decided_at: None,
        expires_at,
    };
    deps.store.request_act(row, entry).await?;
    tracing::info!(target: "netid::security", event = "act_requested", act = kind.as_str(), operator = %operator.id);
    Ok(ActPending {
        request_id,
        act: kind,
        approver_role: role,
        expires_at: expires_at.0,
    })
}

/// The open act `request_id` in status `from`, for `step`.
async fn open_act(
    state: &AppState,
    request_id: &str,
    from: ActStatus,
    step: &'static str,
) -> Result<(ActRow, ActKind), Error> {
    let row = state
        .deps
        .store
        .act(request_id)
        .await?
        .ok_or(Refusal::from(OperatorRefusal::UnknownAct))?;
    let status = status_of(&row, state.deps.clock.now())?;
    if status != from {
        return Err(Refusal::from(OperatorRefusal::ActClosed {
            status: status_name(status),
            step,
        })
        .into());
    }
    let kind = parse_kind(&row.act)?;
    Ok((row, kind))
}

/// Moves `row` from `from` on, with `entry`; a request another operator moved first is
/// closed.
async fn decide(
    state: &AppState,
    row: &ActRow,
    from: &'static str,
    change: ActChange,
    entry: Option<Vec<u8>>,
    step: &'static str,
) -> Result<(), Error> {
    if state
        .deps
        .store
        .decide_act(&row.request_id, from, change, entry)
        .await?
    {
        return Ok(());
    }
    Err(Refusal::from(OperatorRefusal::ActClosed {
        status: "no longer open",
        step,
    })
    .into())
}

/// A second operator of the act's role approves it: the one who asked may carry it out
/// within [`ACT_LIFETIME_SECONDS`].
pub(crate) async fn approve(
    state: &AppState,
    operator: &AuthenticatedOperator,
    request_id: &str,
) -> Result<ActView, Error> {
    let (row, kind) = open_act(state, request_id, ActStatus::Pending, "approved").await?;
    operator.require(role_for(kind))?;
    if operator.id == row.requested_by {
        tracing::info!(target: "netid::security", event = "operator_act_refused", operator = %operator.id, reason = "approving own request");
        return Err(Refusal::from(OperatorRefusal::SameOperator).into());
    }
    decide_pending(state, operator, &row, kind, true).await
}

/// Refuses a waiting act: a second operator of its role, or the one who asked (withdrawing
/// it).
pub(crate) async fn refuse(
    state: &AppState,
    operator: &AuthenticatedOperator,
    request_id: &str,
) -> Result<ActView, Error> {
    let (row, kind) = open_act(state, request_id, ActStatus::Pending, "refused").await?;
    if operator.id != row.requested_by {
        operator.require(role_for(kind))?;
    }
    decide_pending(state, operator, &row, kind, false).await
}

/// Approves (or refuses) the waiting act `row` for `operator`: a log entry naming them, and
/// the act moved on (approved for [`ACT_LIFETIME_SECONDS`]; refused for good, what was asked
/// forgotten).
async fn decide_pending(
    state: &AppState,
    operator: &AuthenticatedOperator,
    row: &ActRow,
    kind: ActKind,
    approved: bool,
) -> Result<ActView, Error> {
    let now = state.deps.clock.now();
    let (logged, status, expires_at, step) = if approved {
        let until = Timestamp(now.0 + ACT_LIFETIME_SECONDS);
        (EntryKind::ActApproved, APPROVED, until, "approved")
    } else {
        (EntryKind::ActRefused, REFUSED, now, "refused")
    };
    let entry = state.deps.log.entry_by(
        logged,
        None,
        None,
        Some((&operator.id, Some(entry_kind(kind)))),
        now,
    )?;
    let change = ActChange {
        status: status.to_owned(),
        decided_by: Some(operator.id.clone()),
        at: now,
        expires_at,
        forget_body: !approved,
    };
    decide(state, row, PENDING, change, Some(entry), step).await?;
    view_of(state, &row.request_id).await
}

/// Carries out an approved act, once, for the operator who asked: its answer is theirs.
/// The act is marked done before it runs, so it runs at most once; if it then fails (the
/// holder deleted meanwhile), it is asked for again.
pub(crate) async fn carry_out(
    state: &AppState,
    operator: &AuthenticatedOperator,
    request_id: &str,
) -> Result<serde_json::Value, Error> {
    let (row, _) = open_act(state, request_id, ActStatus::Approved, "carried out").await?;
    if operator.id != row.requested_by {
        return Err(Refusal::from(OperatorRefusal::NotRequester).into());
    }
    let body = state
        .deps
        .keys
        .master
        .open(&seal_purpose(request_id), &row.sealed_body)?;
    let act: Act = serde_json::from_slice(&body)
        .map_err(|_| Error::Internal("a sealed act does not parse"))?;
    let now = state.deps.clock.now();
    let change = ActChange {
        status: DONE.to_owned(),
        decided_by: None,
        at: now,
        expires_at: now,
        forget_body: true,
    };
    decide(state, &row, APPROVED, change, None, "carried out").await?;
    let answer = match act {
        Act::OperatorRead(request) => {
            to_value(crate::operator_read::read(state, request, &operator.id).await?)
        }
        Act::AddOperator(request) => to_value(crate::operators::add(&state.deps, &request).await?),
        Act::RetireOperator(request) => {
            crate::operators::retire(&state.deps, &request.operator_id).await?;
            Ok(serde_json::json!({ "operator_id": request.operator_id, "retired": true }))
        }
        Act::GrantDecision(decision) => {
            to_value(crate::grants::decide(&state.deps, decision, &operator.id).await?)
        }
        Act::PlatformStatus(request) => {
            to_value(crate::standing::set_status(&state.deps, request, &operator.id).await?)
        }
        Act::CaCertify(request) => {
            let status = state
                .ca
                .certify(
                    &request.root_certificate,
                    &request.issuing_certificate,
                    &operator.id,
                )
                .await?;
            // The Net Certificate issuer key gets its certificate from the new CA at once; a
            // failure there is retried hourly and does not undo the certification.
            if let Err(error) = state.net_certificates.certify_keys().await {
                tracing::warn!(%error, "certifying the Net Certificate issuer key failed");
            }
            to_value(status)
        }
        Act::CaRollover => to_value(state.ca.start_rollover().await?),
        Act::CaHandover(request) => to_value(
            state
                .ca
                .hand_over(&request.successor_responder_key, &operator.id)
                .await?,
        ),
        Act::CaInherit(request) => to_value(
            state
                .ca
                .inherit(
                    &request.package,
                    &request.expected_root_sha256,
                    &operator.id,
                )
                .await?,
        ),
    }?;
    tracing::info!(target: "netid::security", event = "act_carried_out", act = %row.act, operator = %operator.id);
    Ok(answer)
}

fn to_value(value: impl Serialize) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value).map_err(|_| Error::Internal("answer encoding"))
}

fn view(row: ActRow, now: Timestamp) -> Result<ActView, Error> {
    Ok(ActView {
        status: status_of(&row, now)?,
        act: parse_kind(&row.act)?,
        request_id: row.request_id,
        requested_by: row.requested_by,
        decided_by: row.decided_by,
        requested_at: row.requested_at.0,
        expires_at: row.expires_at.0,
    })
}

async fn view_of(state: &AppState, request_id: &str) -> Result<ActView, Error> {
    let row = state
        .deps
        .store
        .act(request_id)
        .await?
        .ok_or(Error::Internal("a decided act is gone"))?;
    view(row, state.deps.clock.now())
}

/// The newest requests, for any operator (auditors included): no personal data.
pub(crate) async fn queue(state: &AppState) -> Result<ActQueue, Error> {
    let now = state.deps.clock.now();
    let acts = state
        .deps
        .store
        .acts(QUEUE_LENGTH)
        .await?
        .into_iter()
        .map(|row| view(row, now))
        .collect::<Result<_, _>>()?;
    Ok(ActQueue { acts })
}
