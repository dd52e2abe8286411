//! The holder web app's sign-in: a holder links a passkey to their Net ID from the wallet (a
//! one-time link the wallet asks for with its signature), then signs in with the passkey and
//! gets a session. Challenges, links and sessions are pending values in the store, for
//! minutes: any node of the service answers any step, and a restart signs no one out.

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_log::EntryKind;
use netid_proto::{PasskeyLinkRequest, PasskeyLinkResponse, signing};
use netid_store::{HolderId, HolderRow, PasskeyRow, PendingKind};
use serde::{Deserialize, Serialize};

use crate::deps::Deps;
use crate::error::{Error, Refusal};
use crate::oidc::{digest_key, random_token};
use crate::pending::{NotKept, Pending};
use crate::wallet::authenticate_holder;
use netid_authn::webauthn::{self, PasskeyError, RelyingParty};

/// How long a sign-in challenge may be answered, in seconds.
const CHALLENGE_LIFETIME: i64 = 300;
/// How long a link from the wallet may be used, in seconds.
const LINK_LIFETIME: i64 = 600;
/// How long a session lasts, in seconds.
pub(crate) const SESSION_LIFETIME: i64 = 1800;
/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "netid_session";

/// The web app's relying party and short-lived state.
pub(crate) struct Web {
    deps: Deps,
    /// Where the service is, for WebAuthn; `None` when its public URL has no host.
    pub(crate) relying_party: Option<RelyingParty>,
    /// Whether the service is reached over https (then cookies are `Secure`).
    pub(crate) https: bool,
    public_url: String,
    challenges: Pending<()>,
    /// Links by digest: the holder and the wallet key that asked (a recovery voids them).
    links: Pending<(HolderId, Vec<u8>)>,
    /// Sessions by digest: the holder and their wallet key at sign-in (a recovery ends them).
    sessions: Pending<(HolderId, Vec<u8>)>,
}

impl Web {
    /// The web app of a service reached at `public_url`.
    pub(crate) fn new(deps: Deps, public_url: &str) -> Self {
        Self {
            relying_party: RelyingParty::of(public_url),
            https: public_url.starts_with("https://"),
            public_url: public_url.trim_end_matches('/').to_owned(),
            challenges: Pending::of(&deps, PendingKind::WebChallenge),
            links: Pending::of(&deps, PendingKind::WebLink),
            sessions: Pending::of(&deps, PendingKind::WebSession),
            deps,
        }
    }
}

/// A challenge for `navigator.credentials.create()` or `.get()`.
#[derive(Debug, Serialize)]
pub(crate) struct Challenge {
    challenge: String,
    rp_id: String,
    rp_name: &'static str,
}

/// A new passkey, as the browser gives it (each binary value base64url).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Registration {
    link: String,
    challenge: String,
    credential_id: String,
    client_data_json: String,
    authenticator_data: String,
    public_key: String,
    public_key_algorithm: i64,
}

/// A sign-in with a passkey, as the browser gives it (each binary value base64url).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Assertion {
    challenge: String,
    credential_id: String,
    client_data_json: String,
    authenticator_data: String,
    signature: String,
}

fn relying_party(web: &Web) -> Result<&RelyingParty, Error> {
    web.relying_party.as_ref().ok_or(Error::Internal(
        "the public URL has no host: set NETID_PUBLIC_URL for passkeys",
    ))
}

/// A one-time link that lets the holder who signed `request` add a passkey in a browser.
pub(crate) async fn link(
    web: &Web,
    request: PasskeyLinkRequest,
) -> Result<PasskeyLinkResponse, Error> {
    let holder = authenticate_holder(
        &web.deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &signing::passkey_link_message(&request.request_id, request.timestamp),
        &request.signature,
    )
    .await?;
    let now = web.deps.clock.now().0;
    let code = random_token()?;
    let linked = (holder.id, holder.wallet_key.fingerprint.clone());
    web.links
        .insert(
            digest_key(&code),
            &linked,
            (&holder_owner(&holder), Some(holder.id)),
            now + LINK_LIFETIME,
            now,
        )
        .await
        .map_err(|not_kept| pending_full(not_kept, LINK_LIFETIME))?;
    tracing::info!(target: "netid::security", event = "passkey_link_made");
    Ok(PasskeyLinkResponse {
        url: format!("{}/app/#link={code}", web.public_url),
        expires_in: LINK_LIFETIME,
    })
}

/// A fresh challenge for a browser at `source` (its address, when addresses are limited).
pub(crate) async fn challenge(web: &Web, source: Option<&str>) -> Result<Challenge, Error> {
    let rp = relying_party(web)?;
    let challenge = random_token()?;
    let now = web.deps.clock.now().0;
    web.challenges
        .insert(
            challenge.clone(),
            &(),
            (source.unwrap_or("any address"), None),
            now + CHALLENGE_LIFETIME,
            now,
        )
        .await
        .map_err(|not_kept| pending_full(not_kept, CHALLENGE_LIFETIME))?;
    Ok(Challenge {
        challenge,
        rp_id: rp.id.clone(),
        rp_name: "netid",
    })
}

/// Takes a challenge: each is answered once, before it expires.
async fn take_challenge(web: &Web, challenge: &str) -> Result<(), Error> {
    let taken = web
        .challenges
        .take(challenge, web.deps.clock.now().0)
        .await?;
    Ok(taken
        .ok_or_else(|| passkey_refusal("the challenge is unknown, used or expired; try again"))?)
}

fn passkey_refusal(reason: &str) -> Refusal {
    Refusal::InvalidField {
        field: "passkey",
        reason: reason.to_owned(),
    }
}

pub(crate) fn bytes(value: &str, field: &'static str) -> Result<Vec<u8>, Refusal> {
    Base64UrlUnpadded::decode_vec(value.trim_end_matches('=')).map_err(|_| Refusal::InvalidField {
        field,
        reason: "expected base64url".to_owned(),
    })
}

impl From<PasskeyError> for Refusal {
    fn from(error: PasskeyError) -> Self {
        passkey_refusal(&error.to_string())
    }
}

/// Adds the passkey of `registration` to the holder whose link it carries; returns a session.
pub(crate) async fn register(web: &Web, registration: Registration) -> Result<String, Error> {
    let rp = relying_party(web)?;
    take_challenge(web, &registration.challenge).await?;
    let link = digest_key(&registration.link);
    let (holder, wallet_key) = web
        .links
        .take(&link, web.deps.clock.now().0)
        .await?
        .ok_or_else(|| {
            passkey_refusal("the link is unknown, used or expired; ask your wallet for a new one")
        })?;
    // The holder as the link was made: not deleted, no recovery since.
    let holder = web
        .deps
        .store
        .holder(holder)
        .await?
        .filter(|row| row.wallet_key.fingerprint == wallet_key)
        .ok_or(Refusal::Unauthenticated)?;
    let credential_id = bytes(&registration.credential_id, "credential_id")?;
    let credential = webauthn::check_registration(
        rp,
        &registration.challenge,
        &credential_id,
        &bytes(&registration.client_data_json, "client_data_json")?,
        &bytes(&registration.authenticator_data, "authenticator_data")?,
        &bytes(&registration.public_key, "public_key")?,
        registration.public_key_algorithm,
    )
    .map_err(Refusal::from)?;
    let now = web.deps.clock.now();
    let log_key = crate::personal::log_key(&web.deps.keys.master, &holder)?;
    let log_entry = web
        .deps
        .log
        .entry(EntryKind::PasskeyAdded, Some(&log_key), None, now)?;
    web.deps
        .store
        .add_passkey(
            PasskeyRow {
                credential_id,
                holder: holder.id,
                spki: credential.spki,
                sign_count: i64::from(credential.sign_count),
                created_at: now,
            },
            log_entry,
        )
        .await
        .map_err(|error| match error {
            netid_store::Error::AlreadyExists { .. } => {
                Error::from(passkey_refusal("this passkey is registered already"))
            }
            netid_store::Error::NotFound { .. } => Error::from(Refusal::Unauthenticated),
            other => other.into(),
        })?;
    tracing::info!(target: "netid::security", event = "passkey_added");
    start_session(web, &holder).await
}

/// Signs in with a passkey; returns a session.
pub(crate) async fn sign_in(web: &Web, assertion: Assertion) -> Result<String, Error> {
    let rp = relying_party(web)?;
    take_challenge(web, &assertion.challenge).await?;
    let credential_id = bytes(&assertion.credential_id, "credential_id")?;
    let refused = || {
        tracing::info!(target: "netid::security", event = "authentication_failed", role = "passkey");
        Error::from(Refusal::Unauthenticated)
    };
    let passkey = web
        .deps
        .store
        .passkey(&credential_id)
        .await?
        .ok_or_else(refused)?;
    let last_count = u32::try_from(passkey.sign_count).unwrap_or(u32::MAX);
    let count = webauthn::check_assertion(
        rp,
        &assertion.challenge,
        &passkey.spki,
        last_count,
        &bytes(&assertion.client_data_json, "client_data_json")?,
        &bytes(&assertion.authenticator_data, "authenticator_data")?,
        &bytes(&assertion.signature, "signature")?,
    )
    .map_err(|_| refused())?;
    web.deps
        .store
        .use_passkey(&credential_id, i64::from(count))
        .await
        .map_err(|error| match error {
            // Another sign-in with the same counter got there first: a clone, or a replay.
            netid_store::Error::NotFound { .. } => refused(),
            other => other.into(),
        })?;
    let holder = web
        .deps
        .store
        .holder(passkey.holder)
        .await?
        .ok_or_else(refused)?;
    start_session(web, &holder).await
}

async fn start_session(web: &Web, holder: &HolderRow) -> Result<String, Error> {
    let token = random_token()?;
    let now = web.deps.clock.now().0;
    let signed_in = (holder.id, holder.wallet_key.fingerprint.clone());
    web.sessions
        .insert(
            digest_key(&token),
            &signed_in,
            (&holder_owner(holder), Some(holder.id)),
            now + SESSION_LIFETIME,
            now,
        )
        .await
        .map_err(|not_kept| pending_full(not_kept, SESSION_LIFETIME))?;
    Ok(token)
}

/// A passkey as the holder sees it: its credential id (base64url) and when it was added.
#[derive(Debug, Serialize)]
pub(crate) struct PasskeyView {
    id: String,
    added_at: i64,
}

/// A web session as the holder sees it: a short id, when it ends, and whether it is the one
/// asking.
#[derive(Debug, Serialize)]
pub(crate) struct SessionView {
    id: String,
    expires_at: i64,
    current: bool,
}

/// Characters of a session's digest that name it to its holder (not the token: a listed id
/// cannot be used to sign in).
const SESSION_ID_LEN: usize = 16;

/// `holder`'s passkeys and web sessions; `current_token` is the session asking.
pub(crate) async fn security(
    web: &Web,
    holder: &HolderRow,
    current_token: &str,
) -> Result<(Vec<PasskeyView>, Vec<SessionView>), Error> {
    let passkeys = web
        .deps
        .store
        .passkeys_of(holder.id)
        .await?
        .into_iter()
        .map(|passkey| PasskeyView {
            id: Base64UrlUnpadded::encode_string(&passkey.credential_id),
            added_at: passkey.created_at.0,
        })
        .collect();
    let current = digest_key(current_token);
    let sessions = web
        .sessions
        .owned_by(&holder_owner(holder), web.deps.clock.now().0)
        .await?
        .into_iter()
        .map(|(key, expires_at)| SessionView {
            id: key.chars().take(SESSION_ID_LEN).collect(),
            current: key == current,
            expires_at,
        })
        .collect();
    Ok((passkeys, sessions))
}

/// Removes `holder`'s passkey `id` (base64url credential id): a log entry in their history.
pub(crate) async fn remove_passkey(web: &Web, holder: &HolderRow, id: &str) -> Result<(), Error> {
    let credential_id = bytes(id, "id")?;
    let log_key = crate::personal::log_key(&web.deps.keys.master, holder)?;
    let log_entry = web.deps.log.entry(
        EntryKind::PasskeyRemoved,
        Some(&log_key),
        None,
        web.deps.clock.now(),
    )?;
    if !web
        .deps
        .store
        .remove_passkey(holder.id, credential_id, log_entry)
        .await?
    {
        return Err(passkey_refusal("you have no passkey with this id").into());
    }
    tracing::info!(target: "netid::security", event = "passkey_removed");
    Ok(())
}

/// Ends `holder`'s web session `id` (as [`security`] lists it).
pub(crate) async fn remove_session(web: &Web, holder: &HolderRow, id: &str) -> Result<(), Error> {
    let now = web.deps.clock.now().0;
    let key = web
        .sessions
        .owned_by(&holder_owner(holder), now)
        .await?
        .into_iter()
        .map(|(key, _)| key)
        .find(|key| id.len() == SESSION_ID_LEN && key.starts_with(id))
        .ok_or_else(|| passkey_refusal("you have no session with this id"))?;
    web.sessions.remove(&key).await?;
    tracing::info!(target: "netid::security", event = "session_ended");
    Ok(())
}

/// Whose a holder's pending values are.
fn holder_owner(holder: &HolderRow) -> String {
    format!("holder {}", holder.id.0)
}

/// A value not kept as an error: a full quota is a refusal (come back once values of yours
/// expire).
fn pending_full(not_kept: NotKept, lifetime: i64) -> Error {
    match not_kept {
        NotKept::Full => Refusal::RateLimited {
            retry_after_seconds: lifetime.unsigned_abs(),
        }
        .into(),
        NotKept::Failed(error) => error,
    }
}

/// The holder of a session token, if the session is current, the holder not deleted and
/// their wallet key what it was at sign-in (a recovery ends every session).
pub(crate) async fn holder_of(web: &Web, token: &str) -> Result<Option<HolderRow>, Error> {
    let session = web
        .sessions
        .get(&digest_key(token), web.deps.clock.now().0)
        .await?;
    let Some((holder, wallet_key)) = session else {
        return Ok(None);
    };
    Ok(web
        .deps
        .store
        .holder(holder)
        .await?
        .filter(|row| row.wallet_key.fingerprint == wallet_key))
}

/// Ends a session.
pub(crate) async fn sign_out(web: &Web, token: &str) -> Result<(), Error> {
    web.sessions.remove(&digest_key(token)).await
}
