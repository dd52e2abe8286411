//! Named operators (issue 23): each a person with a role and a key of their own, who signs
//! every request (`netid_authn::jwt::check_operator_proof`). No bearer secret, no shared
//! account. The first accounts are made at set-up, with the server stopped; once two
//! security administrators exist, accounts change only by the two-person path
//! (`crate::acts`).

use netid_authn::jwt::{DPOP_WINDOW, check_operator_proof};
use netid_crypto::{Suite, VerifyingKey};
use netid_log::EntryKind;
use netid_proto::{
    AddOperatorRequest, OperatorAccount, OperatorAccounts, OperatorAdded, OperatorList,
    OperatorRole, PublicOperator, ServiceSigned,
};
use netid_store::{OperatorRow, Store, Timestamp};

use crate::config::Config;
use crate::deps::Deps;
use crate::error::{Error, OperatorRefusal, Refusal};
use crate::security_events::SecurityEventKind;
use crate::state::AppState;

/// An operator whose request's proof checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthenticatedOperator {
    /// Their public operator id.
    pub(crate) id: String,
    /// Their role.
    pub(crate) role: OperatorRole,
    /// The RFC 7638 thumbprint of the key that signed the request.
    pub(crate) key_thumbprint: String,
}

impl AuthenticatedOperator {
    /// Refuses unless the operator holds `role`.
    pub(crate) fn require(&self, role: OperatorRole) -> Result<(), Refusal> {
        self.require_one_of(&[role])
    }

    /// Refuses unless the operator holds one of `roles` (the first is named if not).
    pub(crate) fn require_one_of(&self, roles: &[OperatorRole]) -> Result<(), Refusal> {
        if roles.contains(&self.role) {
            return Ok(());
        }
        let needed = roles.first().copied().unwrap_or(OperatorRole::Auditor);
        tracing::info!(target: "netid::security", event = "operator_act_refused", operator = %self.id, needed = %needed);
        Err(OperatorRefusal::WrongRole {
            needed,
            have: self.role,
        }
        .into())
    }
}

/// Checks an operator's `proof` for a request of `method` to `path` carrying `body`, records
/// its `jti` as used, and returns the active operator whose key signed it.
pub(crate) async fn authenticate(
    deps: &Deps,
    (method, path, body): (&str, &str, &[u8]),
    proof: &str,
) -> Result<AuthenticatedOperator, Error> {
    let now = deps.clock.now();
    let proof = check_operator_proof(proof, method, path, body, now.0).map_err(|reason| {
        tracing::info!(target: "netid::security", event = "authentication_failed", role = "operator", %reason);
        Refusal::from(OperatorRefusal::BadProof(reason))
    })?;
    let Some(row) = deps
        .store
        .operator_with_key(&proof.jkt)
        .await?
        .filter(|row| row.retired_at.is_none())
    else {
        tracing::info!(target: "netid::security", event = "authentication_failed", role = "operator", reason = "no active operator has this key");
        return Err(Refusal::Unauthenticated.into());
    };
    let index = crate::blind::wallet_request(
        &deps.keys.blind_index,
        row.operator_id.as_bytes(),
        &format!("operator-proof:{}", proof.jti),
    );
    // Kept as long as the proof could pass the time check.
    let expires_at = Timestamp(proof.issued_at.max(now.0) + DPOP_WINDOW);
    match deps.store.use_wallet_request(index, expires_at, now).await {
        Ok(()) => {}
        Err(netid_store::Error::AlreadyExists { .. }) => {
            return Err(Refusal::from(OperatorRefusal::ProofReplayed).into());
        }
        Err(other) => return Err(other.into()),
    }
    Ok(AuthenticatedOperator {
        role: role_of(&row)?,
        id: row.operator_id,
        key_thumbprint: row.key_thumbprint,
    })
}

/// Refuses a connection to the administration listener over TLS whose client certificate is
/// not for `operator`'s own key (the key that signed the request): the handshake proved the
/// client holds that certificate's key.
pub(crate) fn check_channel(
    operator: &AuthenticatedOperator,
    client_certificate: Option<&[u8]>,
) -> Result<(), Refusal> {
    let key = client_certificate
        .and_then(|der| <netid_ca::Certificate as der::Decode>::from_der(der).ok())
        .and_then(|certificate| netid_ca::public_key(&certificate).ok());
    let matches = key.is_some_and(|key| {
        let thumbprint = netid_sdjwt::thumbprint(&key.to_jwk());
        bool::from(subtle::ConstantTimeEq::ct_eq(
            thumbprint.as_bytes(),
            operator.key_thumbprint.as_bytes(),
        ))
    });
    if matches {
        return Ok(());
    }
    tracing::info!(target: "netid::security", event = "authentication_failed", role = "operator", reason = "client certificate not the operator's key");
    Err(OperatorRefusal::CertificateNotTheirs.into())
}

/// The role stored with an account; an unknown one is an error, never a default.
fn role_of(row: &OperatorRow) -> Result<OperatorRole, Error> {
    row.role
        .parse()
        .map_err(|_| Error::Internal("an operator account has an unknown role"))
}

/// The public key of an account request: a public P-256 or SM2 JWK.
pub(crate) fn public_key(jwk: &serde_json::Value) -> Result<VerifyingKey, Refusal> {
    jwk.as_object()
        .and_then(netid_authn::jwt::public_jwk)
        .ok_or_else(|| Refusal::InvalidField {
            field: "public_key",
            reason: "expected a public EC JWK on P-256 or SM2 (kty, crv, x, y; no d)".to_owned(),
        })
}

/// Checks an operator's name: 1 to 100 characters, no control characters.
pub(crate) fn check_name(name: &str) -> Result<(), Refusal> {
    let length = name.chars().count();
    if length == 0 || length > 100 || name.chars().any(char::is_control) {
        return Err(Refusal::InvalidField {
            field: "name",
            reason: "expected 1 to 100 characters without control characters".to_owned(),
        });
    }
    Ok(())
}

/// A new account's row and its log entry, which names the new account (so that the log
/// alone tells which ids exist; who asked and who approved are the request's entries).
fn new_account(
    request: &AddOperatorRequest,
    key: &VerifyingKey,
    now: Timestamp,
) -> Result<(OperatorRow, Vec<u8>), Error> {
    let jwk = key.to_jwk();
    let row = OperatorRow {
        operator_id: crate::credentials::random_id("op")?,
        name: request.name.clone(),
        role: request.role.as_str().to_owned(),
        public_key: netid_authn::jwt::jwk_value(&jwk).to_string(),
        key_thumbprint: netid_sdjwt::thumbprint(&jwk),
        added_at: now,
        retired_at: None,
    };
    // About no holder: the suite makes no tag, so set-up needs no log of its own.
    let entry =
        crate::transparency::fresh_entry(&Suite::gm(), EntryKind::OperatorAdded, None, None, now)?
            .by_operator(&row.operator_id, None);
    Ok((row, entry.to_leaf()?))
}

/// Adds the operator of `request` (asked for by one security administrator and approved by
/// another).
pub(crate) async fn add(deps: &Deps, request: &AddOperatorRequest) -> Result<OperatorAdded, Error> {
    check_name(&request.name)?;
    let key = public_key(&request.public_key)?;
    let (row, entry) = new_account(request, &key, deps.clock.now())?;
    let operator_id = row.operator_id.clone();
    insert(deps.store.as_ref(), row, entry).await?;
    Ok(OperatorAdded {
        operator_id,
        role: request.role,
    })
}

async fn insert(store: &dyn Store, row: OperatorRow, entry: Vec<u8>) -> Result<(), Error> {
    store
        .add_operator(row, entry)
        .await
        .map_err(|error| match error {
            netid_store::Error::AlreadyExists { .. } => Refusal::InvalidField {
                field: "public_key",
                reason: "another operator account has this key; each person has a key of their own"
                    .to_owned(),
            }
            .into(),
            other => other.into(),
        })
}

/// Checks a request to add an operator before anyone approves it: a valid name and key,
/// and a key no account has (an operator cannot give their own key a second role).
pub(crate) async fn check_new(state: &AppState, request: &AddOperatorRequest) -> Result<(), Error> {
    check_name(&request.name)?;
    let key = public_key(&request.public_key)?;
    let thumbprint = netid_sdjwt::thumbprint(&key.to_jwk());
    if state
        .deps
        .store
        .operator_with_key(&thumbprint)
        .await?
        .is_some()
    {
        return Err(Refusal::InvalidField {
            field: "public_key",
            reason: "an operator account has this key already; each account has a key of its own"
                .to_owned(),
        }
        .into());
    }
    Ok(())
}

/// Checks a retirement before anyone approves it: an active account, and never one that
/// would leave fewer than two security administrators.
pub(crate) async fn check_retirement(state: &AppState, operator_id: &str) -> Result<(), Error> {
    check_retirable(&state.deps.store.operators().await?, operator_id)
}

fn check_retirable(accounts: &[OperatorRow], operator_id: &str) -> Result<(), Error> {
    let target = accounts
        .iter()
        .find(|row| row.operator_id == operator_id && row.retired_at.is_none())
        .ok_or(OperatorRefusal::UnknownOperator)
        .map_err(Refusal::from)?;
    if role_of(target)? == OperatorRole::SecurityAdministrator
        && active_security_administrators(accounts) <= 2
    {
        return Err(Refusal::from(OperatorRefusal::TooFewSecurityAdministrators).into());
    }
    Ok(())
}

/// Retires `operator_id` (asked for by one security administrator, approved by another):
/// refused if it would leave fewer than two security administrators. The entry names the
/// account retired.
pub(crate) async fn retire(deps: &Deps, operator_id: &str) -> Result<(), Error> {
    check_retirable(&deps.store.operators().await?, operator_id)?;
    let now = deps.clock.now();
    let entry = deps.log.entry_by(
        EntryKind::OperatorRetired,
        None,
        None,
        Some((operator_id, None)),
        now,
    )?;
    if !deps.store.retire_operator(operator_id, now, entry).await? {
        return Err(Refusal::from(OperatorRefusal::UnknownOperator).into());
    }
    Ok(())
}

fn active_security_administrators(accounts: &[OperatorRow]) -> usize {
    accounts
        .iter()
        .filter(|row| {
            row.retired_at.is_none() && row.role == OperatorRole::SecurityAdministrator.as_str()
        })
        .count()
}

/// `GET /v1/operators`: every account there has been, by id and role, signed.
pub(crate) async fn public_list(deps: &Deps) -> Result<ServiceSigned, Error> {
    let operators = deps
        .store
        .operators()
        .await?
        .iter()
        .map(|row| {
            Ok(PublicOperator {
                operator_id: row.operator_id.clone(),
                role: role_of(row)?,
                added_minute: row.added_at.0 / 60,
                retired_minute: row.retired_at.map(|at| at.0 / 60),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    crate::grants::sign(deps, &OperatorList { operators })
}

/// The accounts with names, for security administrators.
pub(crate) async fn accounts(deps: &Deps) -> Result<OperatorAccounts, Error> {
    let operators = deps
        .store
        .operators()
        .await?
        .into_iter()
        .map(|row| {
            Ok(OperatorAccount {
                role: role_of(&row)?,
                operator_id: row.operator_id,
                name: row.name,
                key_thumbprint: row.key_thumbprint,
                added_at: row.added_at.0,
                retired_at: row.retired_at.map(|at| at.0),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(OperatorAccounts { operators })
}

/// An account to make at set-up: the person's name, their role and their public key.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The person's name (kept for security administrators, never published or logged).
    pub name: String,
    /// Their role.
    pub role: OperatorRole,
    /// Their public key.
    pub key: VerifyingKey,
}

/// `netid operator setup`: adds `accounts` directly to the data of `config`, with the server
/// stopped, and returns their operator ids. Allowed only while fewer than two security
/// administrators are active: after that, accounts change by a request of one security
/// administrator and the approval of another. Every account so made is an `operator_added`
/// entry naming itself.
pub async fn setup(config: &Config, accounts: &[NewAccount]) -> Result<Vec<String>, Error> {
    let refused = |reason: String| Error::OperatorSetupRefused { reason };
    for account in accounts {
        check_name(&account.name).map_err(|refusal| refused(refusal.to_string()))?;
    }
    crate::server::create_data_dir(&config.data_dir)?;
    let claim = crate::keys::claim_alone(config, refused).await?;
    let result = async {
        let (store, _) = crate::server::open_store(config).await?;
        if active_security_administrators(&store.operators().await?) >= 2 {
            return Err(refused(
                "two security administrators are active, so set-up is closed; \
                 one of them asks with `netid operator add` and the other approves"
                    .to_owned(),
            ));
        }
        let now = crate::clock::Clock::System.now();
        let mut ids = Vec::with_capacity(accounts.len());
        for account in accounts {
            let request = AddOperatorRequest {
                name: account.name.clone(),
                role: account.role,
                public_key: serde_json::Value::Null,
            };
            let (row, entry) = new_account(&request, &account.key, now)?;
            let operator_id = row.operator_id.clone();
            insert(store.as_ref(), row, entry)
                .await
                .map_err(|error| match error {
                    Error::Refused(refusal) => refused(refusal.to_string()),
                    other => other,
                })?;
            crate::security_events::record_now(
                store.as_ref(),
                SecurityEventKind::OperatorSetUp,
                serde_json::json!({ "operator": operator_id, "role": account.role }),
            )
            .await?;
            ids.push(operator_id);
        }
        Ok(ids)
    }
    .await;
    claim.release().await;
    result
}
