//! Signals to platforms (issue 25): netid is an OpenID Shared Signals Framework 1.0
//! transmitter. A platform configures one stream (`/ssf/streams`, with its client credential):
//! push (RFC 8935: netid posts each Security Event Token to its endpoint) or poll (RFC 8936:
//! it fetches them from `/ssf/poll`). Each SET (RFC 8417) is signed with the ES256 key of the
//! OpenID provider (`/oidc/jwks`) and addressed by the platform's own pairwise subject
//! (`iss_sub`): a holder's deletion (RISC account-purged), a lock of their Net ID (CAEP
//! session-revoked), a recovery with a new wallet key (CAEP credential-change) and a withdrawn
//! consent (netid's consent-withdrawn, naming the fields). No identifier netid gives a
//! platform ever changes (a pseudonym follows the Net ID, which a recovery keeps), so RISC
//! identifier-changed has nothing to say. Signals wait in the store, retried with backoff by
//! whichever node claims them first, until the platform acknowledges them (a 202, or `ack` in
//! a poll) or [`RETENTION_DAYS`] pass; each acknowledgement is an entry in the
//! holder's history while the holder exists (a deletion's is public, unlinked). The centre
//! does not keep which platforms a holder used, so a deletion is signalled to every platform
//! with a stream (a lock too): one that never knew the holder gets a pseudonym it has never
//! seen.

use netid_crypto::{SigningKey, Suite};
use netid_log::EntryKind;
use netid_proto::{ReceiptEvent, ReceiptRequest, ReceiptView};
use netid_store::{
    Delivery, DueSignal, HolderId, HolderRow, ReceiptRow, SignalRow, Store, StreamRow,
    StreamStatus, Timestamp,
};
use serde_json::{Value, json};

use crate::deps::Deps;
use crate::error::{Error, Refusal};
use crate::keys::KeyPlace;

/// How long a signal waits for its platform, in days.
pub(crate) const RETENTION_DAYS: u32 = 7;
/// The push delivery method's URN (RFC 8935).
pub(crate) const PUSH: &str = "urn:ietf:rfc:8935";
/// The poll delivery method's URN (RFC 8936).
pub(crate) const POLL: &str = "urn:ietf:rfc:8936";
/// The stream's minimum interval between verification requests, in seconds.
pub(crate) const MIN_VERIFICATION_INTERVAL: u32 = 60;
/// How many signals a node delivers per round, and how long it holds its claim on them.
const ROUND: u32 = 50;
const CLAIM_SECONDS: i64 = 60;
/// The longest wait between two delivery attempts, in seconds.
const MAX_BACKOFF_SECONDS: i64 = 3600;
/// The most SETs one poll answers with.
pub(crate) const MAX_POLL: u32 = 100;
/// The most things a receipt names, and the longest name.
const MAX_RECEIPT_ITEMS: usize = 20;
const MAX_RECEIPT_ITEM_CHARS: usize = 100;

/// An event type netid transmits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// The holder deleted their data (RISC account-purged).
    AccountPurged,
    /// The holder withdrew a consent to plaintext fields (netid's own event type).
    ConsentWithdrawn,
    /// The holder locked their Net ID: their sessions should end (CAEP session-revoked).
    SessionRevoked,
    /// The holder recovered their Net ID with a new wallet key: what the old one signed for
    /// (its passkeys, Net Certificates and signing certificates) is revoked (CAEP
    /// credential-change).
    CredentialChange,
    /// A stream verification (SSF 1.0 §8.1.4).
    Verification,
}

impl Event {
    /// Every event type a platform may ask for.
    pub(crate) const REQUESTABLE: [Self; 4] = [
        Self::AccountPurged,
        Self::ConsentWithdrawn,
        Self::SessionRevoked,
        Self::CredentialChange,
    ];

    /// The event type's URI.
    pub(crate) fn uri(self) -> &'static str {
        match self {
            Self::AccountPurged => {
                "https://schemas.openid.net/secevent/risc/event-type/account-purged"
            }
            Self::ConsentWithdrawn => "urn:netid:secevent:event-type:consent-withdrawn",
            Self::SessionRevoked => {
                "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
            }
            Self::CredentialChange => {
                "https://schemas.openid.net/secevent/caep/event-type/credential-change"
            }
            Self::Verification => "https://schemas.openid.net/secevent/ssf/event-type/verification",
        }
    }

    /// netid's short name, as the store keeps a stream's requested events.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::AccountPurged => "account_purged",
            Self::ConsentWithdrawn => "consent_withdrawn",
            Self::SessionRevoked => "session_revoked",
            Self::CredentialChange => "credential_change",
            Self::Verification => "verification",
        }
    }

    /// The event type a URI names, if netid transmits it.
    pub(crate) fn from_uri(uri: &str) -> Option<Self> {
        Self::REQUESTABLE
            .into_iter()
            .find(|event| event.uri() == uri)
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::REQUESTABLE
            .into_iter()
            .find(|event| event.name() == name)
    }
}

/// The signing key, the issuer and the HTTP client of the transmitter.
pub(crate) struct Signals {
    key: SigningKey,
    issuer: String,
    retention_seconds: i64,
    http: reqwest::Client,
}

impl core::fmt::Debug for Signals {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Signals")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl Signals {
    /// The transmitter of the service at `issuer`, signing with the OpenID provider's ES256
    /// key (made and stored sealed on first use).
    pub(crate) async fn open(
        store: &dyn Store,
        place: KeyPlace<'_>,
        now: Timestamp,
        issuer: &str,
    ) -> Result<Self, Error> {
        let key = crate::keys::load_or_add_signing_key(
            store,
            place,
            crate::oidc::ES256_KEY,
            &Suite::intl(),
            now,
        )
        .await?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| Error::Internal("building the signals' HTTP client"))?;
        Ok(Self {
            key,
            issuer: issuer.trim_end_matches('/').to_owned(),
            retention_seconds: i64::from(RETENTION_DAYS) * 86_400,
            http,
        })
    }

    /// The issuer (`iss` of every SET).
    pub(crate) fn issuer(&self) -> &str {
        &self.issuer
    }

    /// A signed SET for `client_id` about `sub_id`, and its row to queue.
    fn signal(
        &self,
        client_id: &str,
        holder: Option<HolderId>,
        sub_id: Value,
        event: Event,
        payload: Value,
        now: Timestamp,
    ) -> Result<SignalRow, Error> {
        let jti = crate::credentials::random_id("set")?;
        let claims = json!({
            "iss": self.issuer,
            "aud": client_id,
            "jti": jti,
            "iat": now.0,
            "txn": jti,
            "sub_id": sub_id,
            "events": { event.uri(): payload },
        });
        let mut header = serde_json::Map::new();
        header.insert("typ".to_owned(), Value::from("secevent+jwt"));
        header.insert(
            "kid".to_owned(),
            Value::from(netid_sdjwt::thumbprint(&self.key.verifying_key().to_jwk())),
        );
        let token = netid_sdjwt::sign(header, &claims, &self.key)
            .map_err(|_| Error::Internal("signing a security event token"))?;
        Ok(SignalRow {
            jti,
            client_id: client_id.to_owned(),
            holder,
            event: event.name().to_owned(),
            token,
            created_at: now,
            expires_at: Timestamp(now.0 + self.retention_seconds),
        })
    }

    fn subject(&self, pseudonym: &str) -> Value {
        json!({ "format": "iss_sub", "iss": self.issuer, "sub": pseudonym })
    }
}

/// The signals of `holder`'s deletion: one to every platform whose stream asks for it.
pub(crate) async fn of_deletion(deps: &Deps, holder: &HolderRow) -> Result<Vec<SignalRow>, Error> {
    to_every_stream(deps, holder, None, Event::AccountPurged, json!({})).await
}

/// The signals of `holder`'s lock: one to every platform whose stream asks for it, each
/// acknowledgement an entry in their history.
pub(crate) async fn of_lock(deps: &Deps, holder: &HolderRow) -> Result<Vec<SignalRow>, Error> {
    let payload = json!({
        "event_timestamp": deps.clock.now().0,
        "initiating_entity": "user",
        "reason_user": {
            "zh": "持有人锁定了网号，请结束其会话。",
            "en": "The holder locked their Net ID; end their sessions.",
        },
    });
    to_every_stream(
        deps,
        holder,
        Some(holder.id),
        Event::SessionRevoked,
        payload,
    )
    .await
}

/// The signals of `holder`'s recovery with a new wallet key (CAEP credential-change of the
/// wallet, an `app` credential): one to every platform whose stream asks for it.
pub(crate) async fn of_recovery(deps: &Deps, holder: &HolderRow) -> Result<Vec<SignalRow>, Error> {
    let payload = json!({
        "credential_type": "app",
        "change_type": "update",
        "friendly_name": "Net ID wallet",
        "event_timestamp": deps.clock.now().0,
        "initiating_entity": "user",
        "reason_user": {
            "zh": "持有人用新的钱包密钥找回了网号；旧密钥的通行密钥、网证和签名证书均已吊销。",
            "en": "The holder recovered their Net ID with a new wallet key; the old key's passkeys, Net Certificates and signing certificates are revoked.",
        },
    });
    to_every_stream(
        deps,
        holder,
        Some(holder.id),
        Event::CredentialChange,
        payload,
    )
    .await
}

/// `event` about `holder` for every platform whose stream asks for it (the centre keeps no
/// list of the platforms a holder used), addressed by each platform's own pseudonym; linked
/// to the holder (`link`) while they exist.
async fn to_every_stream(
    deps: &Deps,
    holder: &HolderRow,
    link: Option<HolderId>,
    event: Event,
    payload: Value,
) -> Result<Vec<SignalRow>, Error> {
    let net_id = crate::personal::net_id(&deps.keys.master, holder)?;
    let now = deps.clock.now();
    let mut signals = Vec::new();
    for (stream, sector) in deps.store.open_streams().await? {
        if !requests(&stream, event)? {
            continue;
        }
        let pseudonym = crate::verification::pseudonym(deps, net_id.expose(), &sector);
        signals.push(deps.signals.signal(
            &stream.client_id,
            link,
            deps.signals.subject(&pseudonym),
            event,
            payload.clone(),
            now,
        )?);
    }
    Ok(signals)
}

/// The signal of `holder`'s withdrawal of `fields` from `client_id`, if its stream asks for it.
pub(crate) async fn of_withdrawal(
    deps: &Deps,
    holder: &HolderRow,
    client_id: &str,
    fields: &[String],
) -> Result<Vec<SignalRow>, Error> {
    let Some(stream) = deps.store.stream(client_id).await? else {
        return Ok(Vec::new());
    };
    if stream.status == StreamStatus::Disabled || !requests(&stream, Event::ConsentWithdrawn)? {
        return Ok(Vec::new());
    }
    let Some(platform) = deps.store.platform(client_id).await? else {
        return Ok(Vec::new());
    };
    let net_id = crate::personal::net_id(&deps.keys.master, holder)?;
    let pseudonym = crate::verification::pseudonym(deps, net_id.expose(), &platform.sector);
    let now = deps.clock.now();
    Ok(vec![deps.signals.signal(
        client_id,
        Some(holder.id),
        deps.signals.subject(&pseudonym),
        Event::ConsentWithdrawn,
        json!({
            "fields": fields,
            "event_timestamp": now.0,
            "initiating_entity": "user",
        }),
        now,
    )?])
}

/// A verification event for `stream`, echoing `state`.
pub(crate) fn verification(
    deps: &Deps,
    stream: &StreamRow,
    state: Option<&str>,
) -> Result<SignalRow, Error> {
    let payload = state.map_or_else(|| json!({}), |state| json!({ "state": state }));
    deps.signals.signal(
        &stream.client_id,
        None,
        json!({ "format": "opaque", "id": stream.stream_id }),
        Event::Verification,
        payload,
        deps.clock.now(),
    )
}

/// The event types `stream` asked for, by netid's short names.
pub(crate) fn requested(stream: &StreamRow) -> Result<Vec<Event>, Error> {
    let names: Vec<String> = serde_json::from_str(&stream.events_requested)
        .map_err(|_| Error::Internal("a stream's events do not parse"))?;
    Ok(names
        .iter()
        .filter_map(|name| Event::from_name(name))
        .collect())
}

fn requests(stream: &StreamRow, event: Event) -> Result<bool, Error> {
    Ok(requested(stream)?.contains(&event))
}

/// `client_id` acknowledged `jtis`: each waiting one is removed, with an entry in its holder's
/// history (or a public one, unlinked, once they are gone). How many were waiting.
pub(crate) async fn acknowledge(
    deps: &Deps,
    client_id: &str,
    jtis: Vec<String>,
) -> Result<u64, Error> {
    if jtis.is_empty() {
        return Ok(0);
    }
    let now = deps.clock.now();
    let mut acknowledged = Vec::new();
    for (jti, holder) in deps.store.signal_holders(client_id, jtis).await? {
        let entry = holder_entry(deps, EntryKind::SignalAcknowledged, holder, client_id).await?;
        acknowledged.push((jti, entry));
    }
    // A receipt may follow for as long as a use stays linked to its holder.
    let receipts_until = Timestamp(now.0 + i64::from(deps.use_links.retention_days()) * 86_400);
    Ok(deps
        .store
        .acknowledge_signals(client_id, acknowledged, now, receipts_until)
        .await?)
}

/// The log entry of `kind` about `client_id`, tagged for `holder` if they still exist.
async fn holder_entry(
    deps: &Deps,
    kind: EntryKind,
    holder: Option<HolderId>,
    client_id: &str,
) -> Result<Vec<u8>, Error> {
    let holder_key = match holder {
        Some(id) => match deps.store.holder(id).await? {
            Some(row) => Some(crate::personal::log_key(&deps.keys.master, &row)?),
            None => None,
        },
        None => None,
    };
    deps.log
        .entry(kind, holder_key.as_ref(), Some(client_id), deps.clock.now())
}

/// Records `client_id`'s receipt: what it deleted after the signal `request.jti`, which it
/// has acknowledged. An entry in the holder's history while they exist.
pub(crate) async fn give_receipt(
    deps: &Deps,
    client_id: &str,
    request: ReceiptRequest,
) -> Result<ReceiptView, Error> {
    if request.deleted.is_empty() || request.deleted.len() > MAX_RECEIPT_ITEMS {
        return Err(invalid_receipt("list 1 to 20 things deleted"));
    }
    for item in &request.deleted {
        let length = item.chars().count();
        if length == 0 || length > MAX_RECEIPT_ITEM_CHARS || item.chars().any(char::is_control) {
            return Err(invalid_receipt(
                "each thing deleted is one line of 1 to 100 characters",
            ));
        }
    }
    let now = deps.clock.now();
    let slot = deps
        .store
        .receipt(&request.jti)
        .await?
        .filter(|slot| {
            slot.client_id == client_id && slot.acknowledged_at.is_some() && slot.expires_at > now
        })
        .ok_or(Refusal::UnknownReceipt)?;
    if slot.deleted.is_some() {
        return Err(Refusal::ReceiptGiven.into());
    }
    let entry = holder_entry(deps, EntryKind::DeletionReceipt, slot.holder, client_id).await?;
    let deleted = serde_json::to_string(&request.deleted)
        .map_err(|_| Error::Internal("serialising a receipt"))?;
    if !deps
        .store
        .record_receipt(client_id, &request.jti, deleted, entry, now)
        .await?
    {
        return Err(Refusal::ReceiptGiven.into());
    }
    tracing::info!(platform_id = %client_id, event = %slot.event, "a platform said what it deleted");
    let mut answer = view(ReceiptRow {
        received_at: Some(now),
        ..slot
    })?;
    answer.deleted = Some(request.deleted);
    Ok(answer)
}

fn invalid_receipt(reason: &str) -> Error {
    Refusal::InvalidField {
        field: "deleted",
        reason: reason.to_owned(),
    }
    .into()
}

/// The receipts (and waits for them) of `holder`'s withdrawals, newest first.
pub(crate) async fn receipts_of(
    deps: &Deps,
    holder: &HolderRow,
) -> Result<Vec<ReceiptView>, Error> {
    deps.store
        .receipts_of(holder.id)
        .await?
        .into_iter()
        .map(view)
        .collect()
}

/// The receipt `reference`, for whoever has the reference (a deleted holder kept it).
pub(crate) async fn receipt(deps: &Deps, reference: &str) -> Result<ReceiptView, Error> {
    let now = deps.clock.now();
    let row = deps
        .store
        .receipt(reference)
        .await?
        .filter(|row| row.expires_at > now)
        .ok_or(Refusal::UnknownReceipt)?;
    view(row)
}

fn view(row: ReceiptRow) -> Result<ReceiptView, Error> {
    let event = match Event::from_name(&row.event) {
        Some(Event::AccountPurged) => ReceiptEvent::AccountPurged,
        Some(Event::ConsentWithdrawn) => ReceiptEvent::ConsentWithdrawn,
        _ => {
            return Err(Error::Internal(
                "a receipt of a signal that deletes nothing",
            ));
        }
    };
    let deleted = row
        .deleted
        .map(|json| serde_json::from_str(&json))
        .transpose()
        .map_err(|_| Error::Internal("a receipt does not parse"))?;
    Ok(ReceiptView {
        reference: row.reference,
        client_id: row.client_id,
        event,
        acknowledged_at: row.acknowledged_at.map(|at| at.0),
        deleted,
        received_at: row.received_at.map(|at| at.0),
        kept_until: row.expires_at.0,
    })
}

/// One round of push delivery: the signals due now that this node claims, each posted to its
/// platform (RFC 8935); a 202 acknowledges it, anything else is tried again later, waiting
/// twice as long each time (from 30 s, at most an hour), until its time runs out.
pub(crate) async fn deliver_due(deps: &Deps) -> Result<usize, Error> {
    let now = deps.clock.now();
    let due = deps
        .store
        .claim_due_signals(now, Timestamp(now.0 + CLAIM_SECONDS), ROUND)
        .await?;
    let count = due.len();
    for signal in due {
        if push(deps, &signal).await {
            acknowledge(deps, &signal.client_id, vec![signal.jti.clone()]).await?;
        } else {
            let wait = 30_i64
                .saturating_mul(1_i64 << signal.attempts.clamp(0, 7))
                .min(MAX_BACKOFF_SECONDS);
            deps.store
                .signal_failed(&signal.jti, Timestamp(now.0 + wait))
                .await?;
        }
    }
    Ok(count)
}

/// Posts `signal` to its platform's endpoint; whether the platform accepted it.
async fn push(deps: &Deps, signal: &DueSignal) -> bool {
    let Some(endpoint) = &signal.endpoint_url else {
        return false;
    };
    let mut request = deps
        .signals
        .http
        .post(endpoint)
        .header(reqwest::header::CONTENT_TYPE, "application/secevent+jwt")
        .header(reqwest::header::ACCEPT, "application/json")
        .body(signal.token.clone());
    if let Some(sealed) = &signal.sealed_authorization {
        match deps
            .keys
            .master
            .open(&authorization_purpose(&signal.client_id), sealed)
        {
            Ok(value) => match String::from_utf8(value.to_vec()) {
                Ok(value) => request = request.header(reqwest::header::AUTHORIZATION, value),
                Err(_) => return false,
            },
            Err(_) => return false,
        }
    }
    match request.send().await {
        Ok(response) if response.status() == reqwest::StatusCode::ACCEPTED => true,
        Ok(response) => {
            tracing::info!(platform_id = %signal.client_id, status = %response.status(), "a platform refused a signal; trying again later");
            false
        }
        Err(error) => {
            tracing::info!(platform_id = %signal.client_id, error = %error, "a platform could not be reached with a signal; trying again later");
            false
        }
    }
}

/// What the `Authorization` header a platform gave for its pushes is sealed for.
pub(crate) fn authorization_purpose(client_id: &str) -> Vec<u8> {
    [
        b"netid signal authorization v1\0".as_slice(),
        client_id.as_bytes(),
    ]
    .concat()
}

/// The transmitter configuration metadata (SSF 1.0 §7.1).
pub(crate) fn metadata(deps: &Deps) -> Value {
    let issuer = deps.signals.issuer();
    json!({
        "spec_version": "1_0",
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/oidc/jwks"),
        "delivery_methods_supported": [PUSH, POLL],
        "configuration_endpoint": format!("{issuer}/ssf/streams"),
        "status_endpoint": format!("{issuer}/ssf/status"),
        "verification_endpoint": format!("{issuer}/ssf/verify"),
        "authorization_schemes": [{ "spec_urn": "urn:ietf:rfc:7617" }],
        "default_subjects": "ALL",
    })
}

/// A stream's configuration as SSF 1.0 §8.1.1 shows it.
pub(crate) fn configuration(deps: &Deps, stream: &StreamRow) -> Result<Value, Error> {
    let requested: Vec<&str> = requested(stream)?.into_iter().map(Event::uri).collect();
    let issuer = deps.signals.issuer();
    let delivery = match stream.delivery {
        Delivery::Push => json!({ "method": PUSH, "endpoint_url": stream.endpoint_url }),
        Delivery::Poll => json!({ "method": POLL, "endpoint_url": format!("{issuer}/ssf/poll") }),
    };
    let mut configuration = json!({
        "stream_id": stream.stream_id,
        "iss": issuer,
        "aud": stream.client_id,
        "events_supported": Event::REQUESTABLE.map(Event::uri),
        "events_requested": requested,
        "events_delivered": requested,
        "delivery": delivery,
        "min_verification_interval": MIN_VERIFICATION_INTERVAL,
    });
    if let (Some(description), Some(map)) = (&stream.description, configuration.as_object_mut()) {
        map.insert("description".to_owned(), Value::from(description.clone()));
    }
    Ok(configuration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_round_trip_and_only_requestable_ones_parse() {
        for event in Event::REQUESTABLE {
            assert_eq!(Event::from_uri(event.uri()), Some(event));
            assert_eq!(Event::from_name(event.name()), Some(event));
        }
        assert_eq!(Event::from_uri(Event::Verification.uri()), None);
        assert_eq!(
            Event::from_uri(
                "https://schemas.openid.net/secevent/risc/event-type/identifier-changed"
            ),
            None
        );
    }
}
