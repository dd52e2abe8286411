//! `netid wallet take`: the CLI wallet takes Net Certificates from an OpenID4VCI 1.0 credential
//! offer (the pre-authorized code flow), as any wallet app does: the issuer's and the
//! authorization server's metadata, the token with the transaction code and a DPoP proof, a
//! nonce, and one key proof per certificate. Any issuer that speaks the standard will do; the
//! certificates go into the same file as `netid wallet net-certificates` fills.

use std::path::Path;

use anyhow::{Context, bail};
use netid_crypto::{SigningKey, Suite, SuiteId};
use serde_json::{Map, Value, json};

const PRE_AUTHORIZED: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/// The string at `pointer` in `value`, if there is one.
fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// A JWS of `typ` with the public key of `key` in `jwk`.
fn signed(typ: &str, key: &SigningKey, claims: &Value) -> anyhow::Result<String> {
    let jwk = key.verifying_key().to_jwk();
    let mut header = Map::new();
    header.insert("typ".to_owned(), Value::from(typ));
    header.insert(
        "jwk".to_owned(),
        json!({"kty": jwk.kty, "crv": jwk.crv, "x": jwk.x, "y": jwk.y}),
    );
    Ok(netid_sdjwt::sign(header, claims, key)?)
}

/// A DPoP proof (RFC 9449) of `key` for a POST to `url`, bound to `token` when given.
fn dpop(key: &SigningKey, url: &str, token: Option<&str>) -> anyhow::Result<String> {
    let mut claims = Map::new();
    claims.insert("htm".to_owned(), json!("POST"));
    claims.insert("htu".to_owned(), json!(url));
    claims.insert("iat".to_owned(), json!(crate::now()?));
    claims.insert("jti".to_owned(), json!(netid_crypto::random_token()?));
    if let Some(token) = token {
        let ath = netid_authn::jwt::base64_sha256(token.as_bytes());
        claims.insert("ath".to_owned(), json!(ath));
    }
    signed("dpop+jwt", key, &Value::Object(claims))
}

/// The JSON answer of an HTTP exchange, or an error naming the endpoint and its `error`.
async fn json_of(what: &str, response: reqwest::Response) -> anyhow::Result<Value> {
    let status = response.status();
    let answer = response
        .text()
        .await
        .with_context(|| format!("reading {what}"))?;
    let body: Value =
        serde_json::from_str(&answer).with_context(|| format!("{what} is not JSON"))?;
    if !status.is_success() {
        bail!(
            "{what} refused ({status}): {} {}",
            text(&body, "/error").unwrap_or_default(),
            text(&body, "/error_description").unwrap_or_default()
        );
    }
    Ok(body)
}

/// `netid wallet take`: `count` certificates of `suite` from the offer link `offer`.
pub(crate) fn take(
    offer: &str,
    tx_code: &str,
    count: usize,
    suite: &str,
    out: &Path,
) -> anyhow::Result<()> {
    let suite_id: SuiteId = suite.parse().context("--suite")?;
    let configuration = match suite_id {
        SuiteId::Intl => "net_certificate_es256",
        SuiteId::Gm => "net_certificate_sm2",
    };
    let query = offer
        .strip_prefix("openid-credential-offer://?")
        .context("an offer link starts with openid-credential-offer://?")?;
    let offer: Value = url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "credential_offer")
        .and_then(|(_, value)| serde_json::from_str(&value).ok())
        .context(
            "the offer link holds no credential_offer (credential_offer_uri is not supported)",
        )?;
    let issuer = text(&offer, "/credential_issuer")
        .context("the offer names no credential_issuer")?
        .trim_end_matches('/')
        .to_owned();
    let code = text(
        &offer,
        &format!("/grants/{PRE_AUTHORIZED}/pre-authorized_code"),
    )
    .context("the offer has no pre-authorized code")?
    .to_owned();
    if !offer
        .pointer("/credential_configuration_ids")
        .and_then(Value::as_array)
        .is_some_and(|ids| ids.iter().any(|id| id == configuration))
    {
        bail!("the offer does not offer {configuration} (--suite {suite})");
    }
    let keys = (0..count)
        .map(|_| Suite::new(suite_id).generate_signing_key())
        .collect::<Result<Vec<_>, _>>()?;
    let http = reqwest::Client::new();
    let credentials = crate::block_on(async {
        let metadata = json_of(
            "the issuer metadata",
            http.get(format!("{issuer}/.well-known/openid-credential-issuer"))
                .send()
                .await?,
        )
        .await?;
        let server = text(&metadata, "/authorization_servers/0")
            .unwrap_or(&issuer)
            .trim_end_matches('/')
            .to_owned();
        let authorization = json_of(
            "the authorization server metadata",
            http.get(format!("{server}/.well-known/oauth-authorization-server"))
                .send()
                .await?,
        )
        .await?;
        let token_endpoint = text(&authorization, "/token_endpoint")
            .context("the authorization server has no token_endpoint")?;
        let dpop_key = Suite::intl().generate_signing_key()?;
        let token = json_of(
            "the token endpoint",
            http.post(token_endpoint)
                .header("dpop", dpop(&dpop_key, token_endpoint, None)?)
                .form(&[
                    ("grant_type", PRE_AUTHORIZED),
                    ("pre-authorized_code", &code),
                    ("tx_code", tx_code),
                ])
                .send()
                .await?,
        )
        .await?;
        let access_token = text(&token, "/access_token")
            .context("no access_token")?
            .to_owned();
        let nonce_endpoint =
            text(&metadata, "/nonce_endpoint").context("the issuer has no nonce_endpoint")?;
        let nonce = json_of(
            "the nonce endpoint",
            http.post(nonce_endpoint).send().await?,
        )
        .await?;
        let nonce = text(&nonce, "/c_nonce").context("no c_nonce")?.to_owned();
        let proofs = keys
            .iter()
            .map(|key| {
                signed(
                    "openid4vci-proof+jwt",
                    key,
                    &json!({"aud": issuer, "iat": crate::now()?, "nonce": nonce}),
                )
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let credential_endpoint = text(&metadata, "/credential_endpoint")
            .context("the issuer has no credential_endpoint")?;
        let issued = json_of(
            "the credential endpoint",
            http.post(credential_endpoint)
                .header("authorization", format!("DPoP {access_token}"))
                .header(
                    "dpop",
                    dpop(&dpop_key, credential_endpoint, Some(&access_token))?,
                )
                .json(&json!({"credential_configuration_id": configuration, "proofs": {"jwt": proofs}}))
                .send()
                .await?,
        )
        .await?;
        issued
            .pointer("/credentials")
            .and_then(Value::as_array)
            .context("no credentials")?
            .iter()
            .map(|entry| {
                text(entry, "/credential")
                    .map(str::to_owned)
                    .context("a credential is not a string")
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    if credentials.len() != keys.len() {
        bail!(
            "the issuer issued {} certificates for {} keys",
            credentials.len(),
            keys.len()
        );
    }
    crate::net_certificates::keep(out, keys.iter().zip(credentials))
}
