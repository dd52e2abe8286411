//! netid as an OpenID for Verifiable Credential Issuance 1.0 credential issuer (issue 26): a
//! wallet app takes Net Certificates (`dc+sd-jwt`, in either suite) with the pre-authorized
//! code flow. The holder asks for an offer (wallet-signed, or from the web app): a
//! pre-authorized code in an `openid-credential-offer://` link, and a six-digit transaction
//! code shown apart. The wallet app redeems both at the provider's token endpoint with a DPoP
//! proof for an access token bound to its DPoP key, fetches a nonce, and asks the credential
//! endpoint for a batch: one key proof per credential, each signed by the key the credential
//! is bound to. Each issuance is a `credential_issued` entry in the holder's history, as
//! `/v1/holders/net-certificates` makes.
//!
//! Nonces are stateless: the expiry, a random part and a MAC under the blind-index key. A
//! proof cannot be replayed without the access token and its DPoP key, and the wallet app may
//! use one nonce for every proof of a batch, as the specification lets it.

use axum::http::StatusCode;
use base64ct::{Base64UrlUnpadded, Encoding};
use netid_authn::jwt::check_dpop_proof;
use netid_authn::key_proof::check_key_proof;
use netid_crypto::{Suite, SuiteId, VerifyingKey};
use netid_store::{HolderId, HolderRow, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Oidc;
use super::flow::{OauthError, Params};
use crate::error::Error;
use crate::net_certificates::NetCertificateIssuer;
use crate::pending::NotKept;

/// The pre-authorized code grant type (OpenID4VCI 1.0 §4.1.1).
pub(crate) const PRE_AUTHORIZED_GRANT: &str =
    "urn:ietf:params:oauth:grant-type:pre-authorized_code";
/// How long an offer waits for its wallet app, in seconds.
pub(crate) const OFFER_LIFETIME: i64 = 300;
/// How long an access token for the credential endpoint holds, in seconds.
const TOKEN_LIFETIME: i64 = 300;
/// How long a nonce holds, in seconds (a key proof's `iat` may be no older).
const NONCE_LIFETIME: i64 = netid_authn::key_proof::MAX_AGE;
/// Wrong transaction codes an offer takes before it is gone.
const TX_CODE_ATTEMPTS: u8 = 3;
/// The digits of a transaction code.
const TX_CODE_DIGITS: usize = 6;
/// The most credentials one request may ask for (one key proof each).
pub(crate) const BATCH_SIZE: usize = 10;

/// A credential configuration netid offers: the Net Certificate in one suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Configuration {
    /// ES256, P-256 holder keys.
    Intl,
    /// SM2SM3, SM2 holder keys.
    Gm,
}

impl Configuration {
    const ALL: [Self; 2] = [Self::Intl, Self::Gm];

    /// Its `credential_configuration_id`.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Self::Intl => "net_certificate_es256",
            Self::Gm => "net_certificate_sm2",
        }
    }

    fn suite(self) -> SuiteId {
        match self {
            Self::Intl => SuiteId::Intl,
            Self::Gm => SuiteId::Gm,
        }
    }

    fn of_id(id: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|configuration| configuration.id() == id)
    }
}

/// An offer's pre-authorized code, waiting for its wallet app.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Offer {
    holder: HolderId,
    wallet_fingerprint: Vec<u8>,
    tx_code: String,
    wrong_codes: u8,
}

/// What an access token of the credential endpoint lets its DPoP key holder take.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CredentialGrant {
    holder: HolderId,
    wallet_fingerprint: Vec<u8>,
    jkt: String,
}

/// The credential issuer metadata (OpenID4VCI 1.0 §12.2).
pub(crate) fn metadata(oidc: &Oidc) -> Value {
    let configurations: serde_json::Map<String, Value> = Configuration::ALL
        .into_iter()
        .map(|configuration| {
            let alg = netid_sdjwt::alg(configuration.suite());
            let entry = json!({
                "format": "dc+sd-jwt",
                "vct": netid_sdjwt::NET_CERTIFICATE_VCT,
                "cryptographic_binding_methods_supported": ["jwk"],
                "credential_signing_alg_values_supported": [alg],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": [alg]}},
                "credential_metadata": {
                    "display": [
                        {"name": "网证", "locale": "zh-CN", "description": "网络身份认证凭证"},
                        {"name": "Net Certificate", "locale": "en", "description": "National network identity credential"},
                    ],
                    "claims": claims_metadata(),
                },
            });
            (configuration.id().to_owned(), entry)
        })
        .collect();
    json!({
        "credential_issuer": oidc.issuer,
        "authorization_servers": [oidc.issuer],
        "credential_endpoint": oidc.endpoint("/vci/credential"),
        "nonce_endpoint": oidc.endpoint("/vci/nonce"),
        "batch_credential_issuance": {"batch_size": BATCH_SIZE},
        "display": [
            {"name": "国家网络身份认证公共服务", "locale": "zh-CN"},
            {"name": "National Network Identity Authentication Service", "locale": "en"},
        ],
        "credential_configurations_supported": configurations,
    })
}

/// Each claim of a Net Certificate with its names in both languages.
fn claims_metadata() -> Value {
    let names = [
        ("net_id", "网号", "Net ID"),
        ("name", "姓名", "Name"),
        ("birth_date", "出生日期", "Birth date"),
        ("document_type", "证件类型", "Document type"),
        ("document_number", "证件号码", "Document number"),
        ("nationality", "国籍", "Nationality"),
        ("age_over_14", "年满14周岁", "Aged 14 or over"),
        ("age_over_16", "年满16周岁", "Aged 16 or over"),
        ("age_over_18", "年满18周岁", "Aged 18 or over"),
        ("real_name_verified", "已实名核验", "Real name verified"),
    ];
    Value::Array(
        names
            .into_iter()
            .map(|(claim, zh, en)| {
                json!({"path": [claim], "display": [{"name": zh, "locale": "zh-CN"}, {"name": en, "locale": "en"}]})
            })
            .collect(),
    )
}

/// A credential offer for `holder`: the `openid-credential-offer://` link with a fresh
/// pre-authorized code, and its transaction code.
pub(crate) async fn offer(
    oidc: &Oidc,
    holder: &HolderRow,
) -> Result<netid_proto::CredentialOfferResponse, Error> {
    crate::lock::ensure_usable(&oidc.deps, holder)?;
    let code = super::random_token()?;
    let tx_code = transaction_code()?;
    let now = oidc.deps.clock.now().0;
    let offer = Offer {
        holder: holder.id,
        wallet_fingerprint: holder.wallet_key.fingerprint.clone(),
        tx_code: tx_code.clone(),
        wrong_codes: 0,
    };
    oidc.offers
        .insert(
            super::digest_key(&code),
            &offer,
            (&owner(holder.id), Some(holder.id)),
            now + OFFER_LIFETIME,
            now,
        )
        .await
        .map_err(|not_kept| match not_kept {
            // Held offers expire in five minutes: then there is room again.
            NotKept::Full => crate::error::Refusal::RateLimited {
                retry_after_seconds: u64::try_from(OFFER_LIFETIME).unwrap_or(300),
            }
            .into(),
            NotKept::Failed(error) => error,
        })?;
    let credential_offer = json!({
        "credential_issuer": oidc.issuer,
        "credential_configuration_ids": Configuration::ALL.map(Configuration::id),
        "grants": {
            PRE_AUTHORIZED_GRANT: {
                "pre-authorized_code": code,
                "tx_code": {
                    "input_mode": "numeric",
                    "length": TX_CODE_DIGITS,
                    "description": "网证交易码 / netid code",
                },
            },
        },
    });
    let encoded: String =
        url::form_urlencoded::byte_serialize(credential_offer.to_string().as_bytes()).collect();
    tracing::info!(target: "netid::security", event = "credential_offer_made");
    Ok(netid_proto::CredentialOfferResponse {
        offer_uri: format!("openid-credential-offer://?credential_offer={encoded}"),
        tx_code,
        expires_in: OFFER_LIFETIME,
    })
}

/// `text` as a QR code: its rows of modules, `1` dark and `0` light, for the web app to draw
/// (a page under netid's content policy loads no image it did not serve).
pub(crate) fn qr_rows(text: &str) -> Result<Vec<String>, Error> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|_| Error::Internal("a credential offer too long for a QR code"))?;
    let width = code.width();
    let modules: Vec<char> = code
        .to_colors()
        .into_iter()
        .map(|color| {
            if color == qrcode::Color::Dark {
                '1'
            } else {
                '0'
            }
        })
        .collect();
    Ok(modules
        .chunks(width)
        .map(|row| row.iter().collect())
        .collect())
}

/// Who an offer or token is held for (at most so many at once).
fn owner(holder: HolderId) -> String {
    format!("vci-holder-{}", holder.0)
}

/// Six random digits.
fn transaction_code() -> Result<String, Error> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|_| Error::Internal("no randomness"))?;
    // 2^64 is so much larger than 10^6 that the bias of the remainder is below 10^-13.
    Ok(format!("{:06}", u64::from_le_bytes(bytes) % 1_000_000))
}

/// The token request of the pre-authorized code grant (OpenID4VCI 1.0 §6.1): no client
/// authentication (the wallet app is anonymous), the transaction code, a DPoP proof.
pub(crate) async fn token(
    oidc: &Oidc,
    params: &Params,
    dpop: Option<&str>,
) -> Result<Value, OauthError> {
    let code = params.required("pre-authorized_code")?;
    let url = oidc.endpoint("/oidc/token");
    let now = oidc.deps.clock.now().0;
    let proof = dpop.ok_or_else(|| dpop_error("a DPoP proof is required"))?;
    let proof = check_dpop_proof(proof, "POST", &url, None, now)
        .map_err(|reason| dpop_error(&reason.to_string()))?;
    let key = super::digest_key(code);
    let given = params.get("tx_code").unwrap_or_default();
    let checked = oidc
        .offers
        .update(&key, now, |offer| {
            let right: bool =
                subtle::ConstantTimeEq::ct_eq(offer.tx_code.as_bytes(), given.as_bytes()).into();
            if !right {
                offer.wrong_codes = offer.wrong_codes.saturating_add(1);
            }
            (right, offer.wrong_codes)
        })
        .await?;
    let Some((right, wrong_codes)) = checked else {
        return Err(grant_error(
            "the pre-authorized code is unknown, used or expired: ask netid for a new offer",
        ));
    };
    if !right {
        if wrong_codes >= TX_CODE_ATTEMPTS {
            oidc.offers.remove(&key).await?;
            tracing::info!(target: "netid::security", event = "credential_offer_tx_code_exhausted");
            return Err(grant_error(
                "the transaction code is wrong, for the last time: ask netid for a new offer",
            ));
        }
        let left = TX_CODE_ATTEMPTS - wrong_codes;
        return Err(grant_error(&format!(
            "the transaction code is wrong: type the six digits netid shows ({left} {} left)",
            if left == 1 { "try" } else { "tries" }
        )));
    }
    // One-time: of two redemptions at once, one takes it.
    let offer = oidc.offers.take(&key, now).await?.ok_or_else(|| {
        grant_error(
            "the pre-authorized code is unknown, used or expired: ask netid for a new offer",
        )
    })?;
    use_proof_once(oidc, &proof.jti, proof.issued_at.max(now)).await?;
    let access_token = super::random_token()?;
    let grant = CredentialGrant {
        holder: offer.holder,
        wallet_fingerprint: offer.wallet_fingerprint,
        jkt: proof.jkt,
    };
    oidc.credential_tokens
        .insert(
            super::digest_key(&access_token),
            &grant,
            (&owner(grant.holder), Some(grant.holder)),
            now + TOKEN_LIFETIME,
            now,
        )
        .await
        .map_err(|not_kept| match not_kept {
            NotKept::Full => OauthError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "slow_down",
                "too many tokens at once for this holder; try again in a few minutes",
            ),
            NotKept::Failed(error) => error.into(),
        })?;
    tracing::info!(target: "netid::security", event = "credential_token_issued");
    Ok(json!({
        "access_token": access_token,
        "token_type": "DPoP",
        "expires_in": TOKEN_LIFETIME,
    }))
}

/// Records a DPoP proof's `jti` as used for as long as it could pass the time check.
async fn use_proof_once(oidc: &Oidc, jti: &str, issued_at: i64) -> Result<(), OauthError> {
    let index = crate::blind::nonce(&oidc.deps.keys.blind_index, "vci", &format!("dpop:{jti}"));
    let until = Timestamp(issued_at + netid_authn::jwt::DPOP_WINDOW);
    match oidc
        .deps
        .store
        .use_wallet_request(index, until, oidc.deps.clock.now())
        .await
    {
        Ok(()) => Ok(()),
        Err(netid_store::Error::AlreadyExists { .. }) => {
            Err(dpop_error("the DPoP proof was used before"))
        }
        Err(other) => Err(other.into()),
    }
}

/// A fresh nonce for key proofs (OpenID4VCI 1.0 §7).
pub(crate) fn nonce(oidc: &Oidc) -> Result<Value, Error> {
    let expires = oidc.deps.clock.now().0 + NONCE_LIFETIME;
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|_| Error::Internal("no randomness"))?;
    let expiry = expires.to_be_bytes();
    let tag = nonce_tag(oidc, &expiry, &random);
    let nonce = Base64UrlUnpadded::encode_string(&[&expiry[..], &random, &tag].concat());
    Ok(json!({ "c_nonce": nonce }))
}

fn nonce_tag(oidc: &Oidc, expiry: &[u8], random: &[u8]) -> [u8; 32] {
    Suite::gm()
        .mac(&oidc.deps.keys.blind_index, &[b"vci-nonce", expiry, random])
        .to_bytes()
}

/// Whether `nonce` is one [`nonce`] made and it has not expired.
fn nonce_is_fresh(oidc: &Oidc, nonce: &str) -> bool {
    let Ok(bytes) = Base64UrlUnpadded::decode_vec(nonce) else {
        return false;
    };
    let (Some(expiry), Some(random), Some(tag)) =
        (bytes.get(..8), bytes.get(8..24), bytes.get(24..))
    else {
        return false;
    };
    let expected = nonce_tag(oidc, expiry, random);
    let genuine: bool = subtle::ConstantTimeEq::ct_eq(&expected[..], tag).into();
    let expires = expiry
        .try_into()
        .map(i64::from_be_bytes)
        .unwrap_or(i64::MIN);
    genuine && expires > oidc.deps.clock.now().0
}

/// A credential request (OpenID4VCI 1.0 §8.2): what the wallet app sends with its token.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CredentialRequest {
    credential_configuration_id: Option<String>,
    credential_identifier: Option<String>,
    proofs: Option<Proofs>,
    proof: Option<Value>,
    credential_response_encryption: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Proofs {
    jwt: Vec<String>,
}

/// The credential endpoint: checks the DPoP-bound token, then each key proof, and issues one
/// Net Certificate per proven key.
pub(crate) async fn credential(
    oidc: &Oidc,
    issuer: &NetCertificateIssuer,
    (authorization, dpop): (Option<&str>, Option<&str>),
    request: CredentialRequest,
) -> Result<Value, OauthError> {
    let token = super::flow::dpop_token(authorization)?;
    let now = oidc.deps.clock.now().0;
    let grant = oidc
        .credential_tokens
        .get(&super::digest_key(token), now)
        .await?
        .ok_or_else(|| OauthError::token("the access token is unknown or has expired"))?;
    let url = oidc.endpoint("/vci/credential");
    let proof = dpop.ok_or_else(|| OauthError::token("a DPoP proof is required"))?;
    let proof = check_dpop_proof(proof, "POST", &url, Some(token), now).map_err(|reason| {
        OauthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_dpop_proof",
            &reason.to_string(),
        )
    })?;
    if proof.jkt != grant.jkt {
        return Err(OauthError::token(
            "the DPoP key is not the one the token is bound to",
        ));
    }
    use_proof_once(oidc, &proof.jti, proof.issued_at.max(now)).await?;

    let configuration = requested_configuration(&request)?;
    let proofs = match (request.proofs, request.proof) {
        (Some(proofs), None) => proofs.jwt,
        _ => {
            return Err(credential_error(
                "invalid_credential_request",
                "send the key proofs as proofs: {jwt: [...]}, one per credential",
            ));
        }
    };
    if proofs.is_empty() || proofs.len() > BATCH_SIZE {
        return Err(credential_error(
            "invalid_credential_request",
            &format!("send 1 to {BATCH_SIZE} key proofs, one per credential"),
        ));
    }
    let keys = proven_keys(oidc, configuration, &proofs, now)?;
    let holder = oidc
        .deps
        .store
        .holder(grant.holder)
        .await?
        .filter(|holder| holder.wallet_key.fingerprint == grant.wallet_fingerprint)
        .ok_or_else(|| {
            credential_error(
                "credential_request_denied",
                "the holder is no longer enrolled with the wallet key that made the offer",
            )
        })?;
    let credentials = issuer
        .issue_to(&holder, &keys)
        .await
        .map_err(|error| match error {
            Error::Refused(refusal) => {
                credential_error("credential_request_denied", &refusal.to_string())
            }
            other => other.into(),
        })?;
    let credentials: Vec<Value> = credentials
        .into_iter()
        .map(|credential| json!({ "credential": credential }))
        .collect();
    Ok(json!({ "credentials": credentials }))
}

/// The configuration a request names; netid issues no credential identifiers and encrypts no
/// responses.
fn requested_configuration(request: &CredentialRequest) -> Result<Configuration, OauthError> {
    if request.credential_identifier.is_some() {
        return Err(credential_error(
            "invalid_credential_request",
            "netid issues no credential identifiers: name a credential_configuration_id",
        ));
    }
    if request.credential_response_encryption.is_some() {
        return Err(credential_error(
            "invalid_encryption_parameters",
            "netid does not encrypt credential responses (its metadata offers none)",
        ));
    }
    let id = request
        .credential_configuration_id
        .as_deref()
        .ok_or_else(|| {
            credential_error(
                "invalid_credential_request",
                "name a credential_configuration_id",
            )
        })?;
    Configuration::of_id(id).ok_or_else(|| {
        credential_error(
            "unknown_credential_configuration",
            "net_certificate_es256 and net_certificate_sm2 are the configurations netid issues",
        )
    })
}

/// The key of each proof, checked: for this issuer, fresh, with a nonce netid gave, in the
/// configuration's suite, each key once.
fn proven_keys(
    oidc: &Oidc,
    configuration: Configuration,
    proofs: &[String],
    now: i64,
) -> Result<Vec<VerifyingKey>, OauthError> {
    let mut keys: Vec<VerifyingKey> = Vec::with_capacity(proofs.len());
    for proof in proofs {
        let checked = check_key_proof(proof, &oidc.issuer, now)
            .map_err(|reason| credential_error("invalid_proof", &reason.to_string()))?;
        if !nonce_is_fresh(oidc, &checked.nonce) {
            return Err(credential_error(
                "invalid_nonce",
                "the key proof's nonce is not one the nonce endpoint gave, or it has expired: ask for a new one",
            ));
        }
        if checked.key.suite() != configuration.suite() {
            return Err(credential_error(
                "invalid_proof",
                "the key proof's key is not of the configuration's suite (P-256 for net_certificate_es256, SM2 for net_certificate_sm2)",
            ));
        }
        if keys.contains(&checked.key) {
            return Err(credential_error(
                "invalid_proof",
                "each credential needs a key of its own: two proofs name the same key",
            ));
        }
        keys.push(checked.key);
    }
    Ok(keys)
}

fn grant_error(description: &str) -> OauthError {
    OauthError::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

fn dpop_error(description: &str) -> OauthError {
    OauthError::new(StatusCode::BAD_REQUEST, "invalid_dpop_proof", description)
}

fn credential_error(error: &'static str, description: &str) -> OauthError {
    OauthError::new(StatusCode::BAD_REQUEST, error, description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_round_trip_and_transaction_codes_are_six_digits() {
        for configuration in Configuration::ALL {
            assert_eq!(
                Configuration::of_id(configuration.id()),
                Some(configuration)
            );
        }
        assert_eq!(Configuration::of_id("net_certificate"), None);
        // A square of modules with the finder pattern's dark corner where a reader seeks it.
        let rows = qr_rows("openid-credential-offer://?credential_offer=%7B%7D").unwrap();
        assert!(rows.iter().all(|row| row.len() == rows.len()));
        assert!(rows[0].starts_with("1111111") && rows[0].ends_with("1111111"));
        assert!(rows[rows.len() - 1].starts_with("1111111"));
        for _ in 0..50 {
            let code = transaction_code().unwrap();
            assert_eq!(code.len(), TX_CODE_DIGITS);
            assert!(code.bytes().all(|byte| byte.is_ascii_digit()), "{code}");
        }
    }
}
