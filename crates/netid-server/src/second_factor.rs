//! Operators' second factor (GB/T 22239-2019 level 3 asks two authentication techniques for
//! administrators, one of them cryptographic): besides the key that signs each request, an
//! operator of a role that changes things (every role but the auditor's) confirms with a
//! passkey (WebAuthn, user verification required: the authenticator's PIN or biometric) in
//! the operator console, and for [`CONFIRMATION_HOLDS`] their requests that change something
//! pass, from the console or the CLI. With `NETID_OPERATOR_SECOND_FACTOR=required` every such
//! account needs it; with `enrolled` (the default, so that a first run needs no
//! authenticator), the accounts that have a passkey.
//!
//! Every passkey is added with a one-time code that another security administrator gives:
//! whoever holds an operator's key file alone cannot add a passkey to it, even while its
//! operator's confirmation holds. The passkeys' relying party is the console's URL
//! (`NETID_ADMIN_PUBLIC_URL`; on loopback `http://localhost:PORT` by default).

use netid_authn::webauthn::{self, RelyingParty};
use netid_proto::OperatorRole;
use netid_store::{OperatorPasskeyRow, Timestamp};
use serde::{Deserialize, Serialize};

use crate::deps::Deps;
use crate::error::{Error, OperatorRefusal, Refusal};
use crate::operators::AuthenticatedOperator;
use crate::security_events::SecurityEventKind;
use crate::web::bytes;

/// How long a confirmation with a passkey lets a sensitive role act, in seconds.
pub(crate) const CONFIRMATION_HOLDS: i64 = 15 * 60;
/// How long a challenge may be answered, in seconds.
const CHALLENGE_LIFETIME: i64 = 5 * 60;
/// How long an enrollment code may be used, in seconds.
const CODE_LIFETIME: i64 = 24 * 3600;

/// The roles whose acts need the second factor: all that change anything.
pub(crate) const SENSITIVE_ROLES: [OperatorRole; 4] = [
    OperatorRole::SecurityAdministrator,
    OperatorRole::SystemAdministrator,
    OperatorRole::CaOfficer,
    OperatorRole::DataProtectionOfficer,
];

/// Whether `role`'s acts need a passkey confirmation, for an account that has `passkeys`.
pub(crate) fn needed(policy: SecondFactorPolicy, role: OperatorRole, passkeys: usize) -> bool {
    SENSITIVE_ROLES.contains(&role) && (passkeys > 0 || policy == SecondFactorPolicy::Required)
}

/// Which sensitive accounts need the second factor (`NETID_OPERATOR_SECOND_FACTOR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecondFactorPolicy {
    /// Every one: an account without a passkey acts on nothing until it adds one.
    Required,
    /// Those that have a passkey.
    #[default]
    Enrolled,
}

impl std::str::FromStr for SecondFactorPolicy {
    type Err = ();

    fn from_str(value: &str) -> Result<Self, ()> {
        match value {
            "required" => Ok(Self::Required),
            "enrolled" => Ok(Self::Enrolled),
            _ => Err(()),
        }
    }
}

/// The paths an operator uses to get and use their second factor, which cannot need it.
const OWN_FACTOR_PATHS: [&str; 3] = [
    "/v1/operator/me/passkeys/challenge",
    "/v1/operator/me/passkeys",
    "/v1/operator/me/confirm",
];

/// Refuses a request of `operator` that changes something (not `GET`) when [`needed`] and
/// they have not confirmed with their passkey in the last [`CONFIRMATION_HOLDS`]. A security
/// administrator who has no passkey yet gives enrollment codes without one (a code alone adds
/// nothing: the account's own key must use it), so that the first accounts can begin.
pub(crate) async fn check(
    deps: &Deps,
    policy: SecondFactorPolicy,
    operator: &AuthenticatedOperator,
    (method, path): (&axum::http::Method, &str),
) -> Result<(), Error> {
    if method == axum::http::Method::GET
        || method == axum::http::Method::HEAD
        || OWN_FACTOR_PATHS.contains(&path)
    {
        return Ok(());
    }
    let passkeys = deps.store.operator_passkeys(&operator.id).await?.len();
    let gives_code = path.starts_with("/v1/operator/operators/") && path.ends_with("/passkey-code");
    if !needed(policy, operator.role, passkeys) || (gives_code && passkeys == 0) {
        return Ok(());
    }
    if passkeys == 0 {
        return Err(Refusal::from(OperatorRefusal::NoSecondFactor).into());
    }
    if deps.store.operator_verified_until(&operator.id).await? > deps.clock.now() {
        return Ok(());
    }
    Err(Refusal::from(OperatorRefusal::SecondFactorRequired).into())
}

/// A challenge for `navigator.credentials.create()` or `.get()`.
#[derive(Debug, Serialize)]
pub(crate) struct OperatorChallenge {
    challenge: String,
    rp_id: String,
    /// The operator's id, the passkey's user handle.
    user_id: String,
    /// The credential ids (base64url) of the operator's passkeys.
    passkeys: Vec<String>,
}

/// A new passkey, as the browser gives it (binary values base64url), and the code another
/// security administrator gave for it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewOperatorPasskey {
    credential_id: String,
    client_data_json: String,
    authenticator_data: String,
    public_key: String,
    public_key_algorithm: i64,
    #[serde(default)]
    enrollment_code: Option<String>,
}

/// A confirmation with a passkey, as the browser gives it (binary values base64url).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OperatorAssertion {
    credential_id: String,
    client_data_json: String,
    authenticator_data: String,
    signature: String,
}

/// Until when a confirmation holds (seconds since the epoch).
#[derive(Debug, Serialize)]
pub(crate) struct Confirmed {
    verified_until: i64,
}

/// An enrollment code, shown once.
#[derive(Debug, Serialize)]
pub(crate) struct EnrollmentCode {
    operator_id: String,
    code: String,
    expires_at: i64,
}

/// A fresh challenge for `operator` (replacing any earlier one).
pub(crate) async fn challenge(
    deps: &Deps,
    rp: &RelyingParty,
    operator: &AuthenticatedOperator,
) -> Result<OperatorChallenge, Error> {
    let challenge = crate::oidc::random_token()?;
    let expires_at = Timestamp(deps.clock.now().0 + CHALLENGE_LIFETIME);
    deps.store
        .set_operator_challenge(&operator.id, &challenge, expires_at)
        .await?;
    let passkeys = deps.store.operator_passkeys(&operator.id).await?;
    Ok(OperatorChallenge {
        challenge,
        rp_id: rp.id.clone(),
        user_id: operator.id.clone(),
        passkeys: passkeys
            .iter()
            .map(|passkey| {
                <base64ct::Base64UrlUnpadded as base64ct::Encoding>::encode_string(
                    &passkey.credential_id,
                )
            })
            .collect(),
    })
}

/// The challenge in `client_data_json`, used up if it is `operator`'s current one.
async fn take_challenge(
    deps: &Deps,
    operator: &AuthenticatedOperator,
    client_data_json: &[u8],
) -> Result<String, Error> {
    #[derive(Deserialize)]
    struct Challenged {
        challenge: String,
    }
    let refused = || refuse(deps, operator, "the challenge is unknown, used or expired");
    let challenge = serde_json::from_slice::<Challenged>(client_data_json)
        .map_err(|_| refused())?
        .challenge;
    if !deps
        .store
        .take_operator_challenge(&operator.id, &challenge, deps.clock.now())
        .await?
    {
        return Err(refused());
    }
    Ok(challenge)
}

/// A refused passkey step, recorded as a security event.
fn refuse(deps: &Deps, operator: &AuthenticatedOperator, reason: &str) -> Error {
    refused(
        deps,
        operator,
        OperatorRefusal::PasskeyRefused(reason.to_owned()),
    )
}

/// `refusal` of a step of `operator`'s, recorded as a security event.
fn refused(deps: &Deps, operator: &AuthenticatedOperator, refusal: OperatorRefusal) -> Error {
    deps.security.record(
        SecurityEventKind::OperatorPasskeyRefused,
        serde_json::json!({ "operator": operator.id, "reason": refusal.to_string() }),
    );
    Refusal::from(refusal).into()
}

/// Adds `operator`'s passkey, checked first, then with an unused enrollment code (so that a
/// registration that fails does not use the code up).
pub(crate) async fn enroll(
    deps: &Deps,
    rp: &RelyingParty,
    operator: &AuthenticatedOperator,
    passkey: NewOperatorPasskey,
) -> Result<(), Error> {
    let client_data_json = bytes(&passkey.client_data_json, "client_data_json")?;
    let challenge = take_challenge(deps, operator, &client_data_json).await?;
    let now = deps.clock.now();
    let credential_id = bytes(&passkey.credential_id, "credential_id")?;
    let credential = webauthn::check_registration(
        rp,
        &challenge,
        &credential_id,
        &client_data_json,
        &bytes(&passkey.authenticator_data, "authenticator_data")?,
        &bytes(&passkey.public_key, "public_key")?,
        passkey.public_key_algorithm,
    )
    .map_err(|error| refuse(deps, operator, &error.to_string()))?;
    let enrollment = |reason| refused(deps, operator, OperatorRefusal::PasskeyEnrollment(reason));
    let code = passkey.enrollment_code.as_deref().ok_or_else(|| {
        enrollment("a passkey needs the enrollment code another security administrator gave you")
    })?;
    if !deps
        .store
        .take_operator_enrollment_code(&operator.id, &code_digest(code), now)
        .await?
    {
        return Err(enrollment(
            "the enrollment code is wrong, used or expired; ask a security administrator for a new one",
        ));
    }
    let first = deps.store.operator_passkeys(&operator.id).await?.is_empty();
    deps.store
        .add_operator_passkey(OperatorPasskeyRow {
            credential_id,
            operator_id: operator.id.clone(),
            spki: credential.spki,
            sign_count: i64::from(credential.sign_count),
            added_at: now,
        })
        .await
        .map_err(|error| match error {
            netid_store::Error::AlreadyExists { .. } => {
                refuse(deps, operator, "this passkey is registered already")
            }
            other => other.into(),
        })?;
    deps.security.record(
        SecurityEventKind::OperatorPasskeyAdded,
        serde_json::json!({ "operator": operator.id, "first": first }),
    );
    Ok(())
}

/// Checks `operator`'s confirmation with one of their passkeys; it then holds for
/// [`CONFIRMATION_HOLDS`].
pub(crate) async fn confirm(
    deps: &Deps,
    rp: &RelyingParty,
    operator: &AuthenticatedOperator,
    assertion: OperatorAssertion,
) -> Result<Confirmed, Error> {
    let client_data_json = bytes(&assertion.client_data_json, "client_data_json")?;
    let challenge = take_challenge(deps, operator, &client_data_json).await?;
    let credential_id = bytes(&assertion.credential_id, "credential_id")?;
    let passkey = deps
        .store
        .operator_passkeys(&operator.id)
        .await?
        .into_iter()
        .find(|passkey| passkey.credential_id == credential_id)
        .ok_or_else(|| refuse(deps, operator, "this passkey is not one of your account's"))?;
    let count = webauthn::check_assertion(
        rp,
        &challenge,
        &passkey.spki,
        u32::try_from(passkey.sign_count).unwrap_or(u32::MAX),
        &client_data_json,
        &bytes(&assertion.authenticator_data, "authenticator_data")?,
        &bytes(&assertion.signature, "signature")?,
    )
    .map_err(|error| refuse(deps, operator, &error.to_string()))?;
    let until = Timestamp(deps.clock.now().0 + CONFIRMATION_HOLDS);
    deps.store
        .use_operator_passkey(&operator.id, &credential_id, i64::from(count), until)
        .await
        .map_err(|error| match error {
            netid_store::Error::NotFound { .. } => refuse(
                deps,
                operator,
                "the passkey's counter did not grow: a clone or a replay",
            ),
            other => other.into(),
        })?;
    deps.security.record(
        SecurityEventKind::OperatorConfirmed,
        serde_json::json!({ "operator": operator.id }),
    );
    Ok(Confirmed {
        verified_until: until.0,
    })
}

/// A one-time code with which `operator_id` adds a passkey, given by the security
/// administrator `by` (never for their own account).
pub(crate) async fn enrollment_code(
    deps: &Deps,
    by: &AuthenticatedOperator,
    operator_id: &str,
) -> Result<EnrollmentCode, Error> {
    by.require(OperatorRole::SecurityAdministrator)?;
    if by.id == operator_id {
        return Err(refused(
            deps,
            by,
            OperatorRefusal::PasskeyEnrollment(
                "a security administrator cannot give an enrollment code for their own account; another one must",
            ),
        ));
    }
    deps.store
        .operators()
        .await?
        .iter()
        .find(|row| row.operator_id == operator_id && row.retired_at.is_none())
        .ok_or(Refusal::from(OperatorRefusal::UnknownOperator))?;
    let code = crate::oidc::random_token()?;
    let expires_at = Timestamp(deps.clock.now().0 + CODE_LIFETIME);
    deps.store
        .set_operator_enrollment_code(operator_id, &code_digest(&code), expires_at)
        .await?;
    deps.security.record(
        SecurityEventKind::OperatorPasskeyCodeGiven,
        serde_json::json!({ "operator": operator_id, "by": by.id }),
    );
    Ok(EnrollmentCode {
        operator_id: operator_id.to_owned(),
        code,
        expires_at: expires_at.0,
    })
}

/// What the store keeps of an enrollment code: its digest, so that a copy of the database
/// gives no usable code.
fn code_digest(code: &str) -> String {
    crate::oidc::digest_key(code.trim())
}
