//! The steps of the flow: a platform's client settings, the pushed request, the holder's
//! answer, the token and userinfo requests. Errors of the platform-facing steps are OAuth
//! errors (RFC 6749 §5.2), as every client library expects them.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use netid_proto::{
    OidcClientSettings, OidcDecision, OidcDecisionResponse, Predicate, VerifyResponse, signing,
};
use netid_store::{ClientAuthMethod, OidcClientRow, PlatformRow, Timestamp};
use serde_json::{Value, json};

use super::{
    ACR_DOCUMENT_CHECKED, AccessGrant, CODE_LIFETIME, IssuedCode, Oidc, PushedRequest,
    REQUEST_LIFETIME, TOKEN_LIFETIME, claim_name, digest_key, known_scope, random_token,
};
use crate::error::EnrollmentRefusal;

use crate::error::{Error, Refusal};
use crate::pending::NotKept;
use crate::wallet::authenticate_holder;
use netid_authn::jwt::{
    ClientAssertion, DPOP_WINDOW, DpopProof, check_client_assertion, check_dpop_proof,
};

/// The prefix of every `request_uri` (RFC 9126 §2.2).
const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// The client assertion type of `private_key_jwt`.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The client authentication methods a client registers one of.
/// The longest `state` or `nonce` accepted, in bytes.
const MAX_STATE: usize = 512;

/// An OAuth error response: status, error code and a description that repeats no input.
#[derive(Debug)]
pub(crate) struct OauthError {
    pub(crate) status: StatusCode,
    pub(crate) error: &'static str,
    pub(crate) description: String,
}

impl OauthError {
    pub(crate) fn new(status: StatusCode, error: &'static str, description: &str) -> Self {
        Self {
            status,
            error,
            description: description.to_owned(),
        }
    }

    fn request(description: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn client(description: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    fn grant(description: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    fn dpop(description: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_dpop_proof", description)
    }

    pub(crate) fn token(description: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", description)
    }

    /// A bad DPoP proof at a resource (userinfo): 401 with a challenge (RFC 9449 §7.1).
    fn resource_proof(description: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_dpop_proof", description)
    }
}

impl From<Error> for OauthError {
    fn from(error: Error) -> Self {
        if let Error::Refused(refusal) = &error {
            return Self::grant(&refusal.to_string());
        }
        // The database away for a moment (a failover): retry shortly (RFC 6749's
        // temporarily_unavailable, sent with Retry-After).
        if matches!(&error, Error::Store(store) if store.is_unavailable()) {
            tracing::warn!(error = %error, "oidc request: database unavailable");
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the service's database is not reachable for a moment; try again shortly",
            );
        }
        tracing::error!(error = %error, "oidc request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the service could not complete the request; try again",
        )
    }
}

impl From<netid_store::Error> for OauthError {
    fn from(error: netid_store::Error) -> Self {
        Error::from(error).into()
    }
}

/// Form parameters, each at most once (RFC 6749 §3.1).
pub(crate) struct Params(BTreeMap<String, String>);

impl Params {
    /// Parses an `application/x-www-form-urlencoded` body or query.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, OauthError> {
        Self::parse_with_list(bytes, "").map(|(params, _)| params)
    }

    /// The same, except that the parameter `list` may repeat: its values, in order.
    pub(crate) fn parse_with_list(
        bytes: &[u8],
        list: &str,
    ) -> Result<(Self, Vec<String>), OauthError> {
        let mut params = BTreeMap::new();
        let mut values = Vec::new();
        for (name, value) in url::form_urlencoded::parse(bytes) {
            if !list.is_empty() && name == list {
                values.push(value.into_owned());
            } else if params
                .insert(name.into_owned(), value.into_owned())
                .is_some()
            {
                return Err(OauthError::request("a parameter is repeated"));
            }
        }
        Ok((Self(params), values))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub(crate) fn required(&self, name: &'static str) -> Result<&str, OauthError> {
        self.get(name)
            .filter(|value| !value.is_empty())
            .ok_or_else(|| OauthError::request(&format!("{name} is required")))
    }
}

/// Sets a platform's client settings, after checking them.
pub(crate) async fn set_client(
    oidc: &Oidc,
    platform: &PlatformRow,
    settings: OidcClientSettings,
) -> Result<OidcClientSettings, Error> {
    let invalid = |field: &'static str, reason: &str| Refusal::InvalidField {
        field,
        reason: reason.to_owned(),
    };
    if settings.redirect_uris.is_empty() || settings.redirect_uris.len() > 10 {
        return Err(invalid("redirect_uris", "expected 1 to 10 redirect URIs").into());
    }
    for uri in &settings.redirect_uris {
        if !acceptable_redirect_uri(uri) {
            return Err(invalid(
                "redirect_uris",
                "each must be an absolute https URL (http only on loopback), without a fragment",
            )
            .into());
        }
    }
    let keys = settings
        .jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("jwks", "expected a JWK Set: {\"keys\": [...]}"))?;
    let auth_method = match settings.token_endpoint_auth_method.as_deref() {
        None => ClientAuthMethod::PrivateKeyJwt,
        Some(name) => ClientAuthMethod::from_name(name).ok_or_else(|| {
            invalid(
                "token_endpoint_auth_method",
                "expected private_key_jwt or tls_client_auth",
            )
        })?,
    };
    if auth_method == ClientAuthMethod::TlsClientAuth && oidc.mtls_base.is_none() {
        return Err(invalid(
            "token_endpoint_auth_method",
            "this service offers no mutual TLS (NETID_MTLS_LISTEN); use private_key_jwt",
        )
        .into());
    }
    let all_public = keys.iter().all(|key| {
        key.as_object()
            .and_then(netid_authn::jwt::public_jwk)
            .is_some()
    });
    // A client that authenticates by certificate needs no keys.
    let too_few = keys.is_empty() && auth_method == ClientAuthMethod::PrivateKeyJwt;
    if too_few || keys.len() > 5 || !all_public {
        return Err(invalid(
            "jwks",
            "expected 1 to 5 public EC keys on P-256 or SM2 (0 to 5 with tls_client_auth)",
        )
        .into());
    }
    let id_token_suite = match settings.id_token_signed_response_alg.as_deref() {
        None => netid_crypto::SuiteId::Intl,
        Some(alg) => netid_crypto::SuiteId::from_jose_alg(alg)
            .ok_or_else(|| invalid("id_token_signed_response_alg", "expected ES256 or SM2SM3"))?,
    };
    oidc.deps
        .store
        .set_oidc_client(OidcClientRow {
            client_id: platform.client_id.clone(),
            redirect_uris: settings.redirect_uris.clone(),
            jwks: settings.jwks.to_string(),
            id_token_suite,
            auth_method,
            updated_at: oidc.deps.clock.now(),
        })
        .await?;
    tracing::info!(target: "netid::security", event = "oidc_client_set", platform_id = %platform.client_id);
    Ok(OidcClientSettings {
        id_token_signed_response_alg: Some(id_token_suite.jose_alg().to_owned()),
        token_endpoint_auth_method: Some(auth_method.as_str().to_owned()),
        ..settings
    })
}

pub(crate) fn acceptable_redirect_uri(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    let loopback = matches!(
        url.host(),
        Some(url::Host::Ipv4(ip)) if ip.is_loopback()
    ) || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
        || url.host_str() == Some("localhost");
    url.fragment().is_none() && (url.scheme() == "https" || (url.scheme() == "http" && loopback))
}

/// The platform a request authenticates as with `private_key_jwt`, at the endpoint `url`.
async fn authenticate_client(
    oidc: &Oidc,
    params: &Params,
    url: &str,
    peer: Option<&crate::tls::Peer>,
) -> Result<(PlatformRow, OidcClientRow), OauthError> {
    let asserted =
        params.get("client_assertion_type").is_some() || params.get("client_assertion").is_some();
    if peer.is_some_and(|peer| peer.mutual_tls) && !asserted {
        let der = peer.and_then(|peer| peer.client_certificate.as_deref());
        return authenticate_by_certificate(oidc, params, der).await;
    }
    if params.get("client_assertion_type") != Some(JWT_BEARER) {
        return Err(OauthError::client(if oidc.mtls_base.is_some() {
            "authenticate with private_key_jwt (client_assertion_type jwt-bearer), or with your client certificate at the mtls_endpoint_aliases (tls_client_auth)"
        } else {
            "authenticate with private_key_jwt (client_assertion_type jwt-bearer)"
        }));
    }
    let assertion = params
        .get("client_assertion")
        .ok_or_else(|| OauthError::client("client_assertion is required"))?;
    // The client id is the assertion's `sub` (checked against `iss` and the key below); a
    // `client_id` parameter, if sent, must agree.
    let claimed = netid_sdjwt::Jws::parse(assertion, "client_assertion")
        .ok()
        .and_then(|jws| {
            jws.payload
                .get("sub")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .ok_or_else(|| OauthError::client("the client assertion is not a JWT with a sub"))?;
    if params.get("client_id").is_some_and(|id| id != claimed) {
        return Err(OauthError::client(
            "client_id and the assertion's sub differ",
        ));
    }
    let (platform, client) =
        registered_client(oidc, &claimed, ClientAuthMethod::PrivateKeyJwt).await?;
    let jwks: Value = serde_json::from_str(&client.jwks)
        .map_err(|_| Error::Internal("stored client jwks do not parse"))?;
    let now = oidc.deps.clock.now().0;
    let issuer = oidc.issuer.as_str();
    let ClientAssertion { jti, expires_at } =
        check_client_assertion(assertion, &claimed, &jwks, &[issuer, url], now).map_err(
            |reason| {
                tracing::info!(target: "netid::security", event = "authentication_failed", role = "oidc_client");
                OauthError::client(&reason.to_string())
            },
        )?;
    use_once(oidc, &claimed, "assertion", &jti, expires_at)
        .await
        .map_err(|replayed| {
            replayed.unwrap_or_else(|| OauthError::client("the client assertion was used before"))
        })?;
    admit(oidc, platform, client)
}

/// Mutual-TLS client authentication (RFC 8705 §2.1, `tls_client_auth`): the certificate the
/// client proved it holds the key of must be one netid's CA issued to the platform named by
/// `client_id`, byte for byte, unrevoked and unexpired. The store's record is the trust
/// anchor, so a renewed CA root changes nothing.
async fn authenticate_by_certificate(
    oidc: &Oidc,
    params: &Params,
    der: Option<&[u8]>,
) -> Result<(PlatformRow, OidcClientRow), OauthError> {
    let refused = |reason: &str| {
        tracing::info!(target: "netid::security", event = "authentication_failed", role = "oidc_client", method = "tls_client_auth");
        OauthError::client(reason)
    };
    let der = der.ok_or_else(|| {
        refused("present the client certificate netid's CA issued you, or a client assertion")
    })?;
    let client_id = params
        .get("client_id")
        .ok_or_else(|| refused("client_id is required with tls_client_auth"))?;
    let certificate = <netid_ca::Certificate as der::Decode>::from_der(der)
        .map_err(|_| refused("the client certificate is not X.509"))?;
    let issued = oidc
        .deps
        .store
        .certificate(certificate.tbs_certificate().serial_number().as_bytes())
        .await?
        .filter(|row| row.der == der && row.profile == crate::ca::PLATFORM_CERTIFICATE_PROFILE)
        .ok_or_else(|| {
            refused("the client certificate is not a platform certificate netid issued")
        })?;
    if !netid_ca::has_subject(&certificate, &crate::ca::platform_subject(client_id)) {
        return Err(refused(
            "the client certificate was issued to another client",
        ));
    }
    if issued.revoked.is_some() {
        return Err(refused("the client certificate is revoked"));
    }
    if issued.not_after <= oidc.deps.clock.now() {
        return Err(refused("the client certificate has expired"));
    }
    let (platform, client) = registered_client(oidc, client_id, ClientAuthMethod::TlsClientAuth)
        .await
        .inspect_err(|_| {
            tracing::info!(target: "netid::security", event = "authentication_failed", role = "oidc_client", method = "tls_client_auth");
        })?;
    admit(oidc, platform, client)
}

/// The platform `client_id` and its client settings, if it registered `method`.
async fn registered_client(
    oidc: &Oidc,
    client_id: &str,
    method: ClientAuthMethod,
) -> Result<(PlatformRow, OidcClientRow), OauthError> {
    let unknown = || OauthError::client("no client with this id has OpenID Connect settings");
    let platform = oidc
        .deps
        .store
        .platform(client_id)
        .await?
        .ok_or_else(unknown)?;
    let client = oidc
        .deps
        .store
        .oidc_client(client_id)
        .await?
        .ok_or_else(unknown)?;
    if client.auth_method != method {
        return Err(OauthError::client(
            if method == ClientAuthMethod::PrivateKeyJwt {
                "this client registered tls_client_auth: present its certificate at the mtls_endpoint_aliases"
            } else {
                "this client registered private_key_jwt: send a client assertion"
            },
        ));
    }
    Ok((platform, client))
}

/// Lets an authenticated client through unless the operator suspended or removed it, or it
/// is over its rate limit.
fn admit(
    oidc: &Oidc,
    platform: PlatformRow,
    client: OidcClientRow,
) -> Result<(PlatformRow, OidcClientRow), OauthError> {
    crate::standing::ensure_active(&platform).map_err(|refusal| {
        OauthError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            &refusal.to_string(),
        )
    })?;
    oidc.platform_limits
        .admit(&platform.client_id, &oidc.metrics)
        .map_err(|_| {
            OauthError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "slow_down",
                "this client is over its rate limit; retry later",
            )
        })?;
    Ok((platform, client))
}

/// Records `value` (of `kind`) as used by `client_id` until `expires_at`: `Err(None)` if it
/// was used before, `Err(Some(error))` if the store failed.
async fn use_once(
    oidc: &Oidc,
    client_id: &str,
    kind: &str,
    value: &str,
    expires_at: i64,
) -> Result<(), Option<OauthError>> {
    let index = crate::blind::nonce(
        &oidc.deps.keys.blind_index,
        client_id,
        &format!("oidc-{kind}:{value}"),
    );
    match oidc
        .deps
        .store
        .use_nonce(
            client_id,
            index,
            Timestamp(expires_at),
            oidc.deps.clock.now(),
        )
        .await
    {
        Ok(()) => Ok(()),
        Err(netid_store::Error::AlreadyExists { .. }) => Err(None),
        Err(other) => Err(Some(other.into())),
    }
}

/// Checks a DPoP proof `(proof, method, url, access token)` of `client_id` and records its
/// `jti` as used; a failure is an `error` (`invalid_dpop_proof`: 400 at the authorization
/// server, 401 with a challenge at userinfo).
async fn fresh_proof(
    oidc: &Oidc,
    client_id: &str,
    (proof, method, url, token): (&str, &str, &str, Option<&str>),
    error: fn(&str) -> OauthError,
) -> Result<DpopProof, OauthError> {
    let now = oidc.deps.clock.now().0;
    let proof = check_dpop_proof(proof, method, url, token, now)
        .map_err(|reason| error(&reason.to_string()))?;
    // Kept as long as the proof could pass the time check (its `iat` may be ahead of us).
    let expires_at = proof.issued_at.max(now) + DPOP_WINDOW;
    use_once(oidc, client_id, "dpop", &proof.jti, expires_at)
        .await
        .map_err(|failed| failed.unwrap_or_else(|| error("the DPoP proof was used before")))?;
    Ok(proof)
}

/// The access token of an `Authorization: DPoP <token>` header (RFC 9449 §7.1).
pub(crate) fn dpop_token(authorization: Option<&str>) -> Result<&str, OauthError> {
    authorization
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("DPoP"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| OauthError::token("send the access token as Authorization: DPoP <token>"))
}

/// A pushed authorization request (RFC 9126): checks it and returns its `request_uri` and
/// lifetime.
pub(crate) async fn push(
    oidc: &Oidc,
    params: &Params,
    dpop: Option<&str>,
    peer: Option<&crate::tls::Peer>,
) -> Result<Value, OauthError> {
    let url = oidc.endpoint_for("/oidc/par", peer);
    let (platform, client) = authenticate_client(oidc, params, &url, peer).await?;
    if params.get("request_uri").is_some() || params.get("request").is_some() {
        return Err(OauthError::request(
            "request and request_uri are not accepted here",
        ));
    }
    if params.get("response_type") != Some("code") {
        return Err(OauthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            "response_type must be code",
        ));
    }
    let redirect_uri = params.required("redirect_uri")?;
    if !client
        .redirect_uris
        .iter()
        .any(|known| known == redirect_uri)
    {
        return Err(OauthError::request(
            "redirect_uri is not one the client registered",
        ));
    }
    let scopes: Vec<String> = params
        .required("scope")?
        .split(' ')
        .filter(|scope| !scope.is_empty())
        .map(str::to_owned)
        .collect();
    if !scopes.iter().any(|scope| scope == "openid") {
        return Err(OauthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "scope must include openid",
        ));
    }
    if !scopes.iter().all(|scope| known_scope(scope)) {
        return Err(OauthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "a scope is unknown; see scopes_supported in the discovery document",
        ));
    }
    if params.get("code_challenge_method") != Some("S256") {
        return Err(OauthError::request(
            "PKCE is required, with code_challenge_method S256",
        ));
    }
    let code_challenge = params.required("code_challenge")?;
    if code_challenge.len() != 43 || !code_challenge.bytes().all(is_base64url) {
        return Err(OauthError::request(
            "code_challenge must be base64url of a SHA-256 digest",
        ));
    }
    let short = |name: &'static str| -> Result<Option<String>, OauthError> {
        match params.get(name) {
            Some(value) if value.len() > MAX_STATE || value.is_empty() => Err(OauthError::request(
                &format!("{name} must be 1 to {MAX_STATE} bytes"),
            )),
            value => Ok(value.map(str::to_owned)),
        }
    };
    let (request_state, nonce) = (short("state")?, short("nonce")?);
    // The DPoP key the tokens will be bound to: named at PAR (`dpop_jkt`) or proven here.
    let now = oidc.deps.clock.now().0;
    let mut dpop_jkt = params.get("dpop_jkt").map(str::to_owned);
    if let Some(proof) = dpop {
        let proof = fresh_proof(
            oidc,
            &platform.client_id,
            (proof, "POST", &url, None),
            OauthError::dpop,
        )
        .await?;
        if dpop_jkt.as_ref().is_some_and(|jkt| *jkt != proof.jkt) {
            return Err(OauthError::dpop("dpop_jkt and the DPoP proof's key differ"));
        }
        dpop_jkt = Some(proof.jkt);
    }
    let handle = random_token()?;
    let request_uri = format!("{REQUEST_URI_PREFIX}{handle}");
    let pushed = PushedRequest {
        client_id: platform.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state: request_state,
        nonce,
        code_challenge: code_challenge.to_owned(),
        dpop_jkt,
        redirect_to: None,
    };
    let owner = pushed.client_id.clone();
    oidc.requests
        .insert(
            request_uri.clone(),
            &pushed,
            (&owner, None),
            now + REQUEST_LIFETIME,
            now,
        )
        .await
        .map_err(busy)?;
    Ok(json!({ "request_uri": request_uri, "expires_in": REQUEST_LIFETIME }))
}

/// The answer when a value was not kept: this client has many authorizations pending and
/// must let them finish or expire; or the store failed.
fn busy(not_kept: NotKept) -> OauthError {
    match not_kept {
        NotKept::Full => OauthError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "slow_down",
            "this client has too many authorizations pending; let them finish or expire",
        ),
        NotKept::Failed(error) => error.into(),
    }
}

fn is_base64url(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// The pushed request behind an authorization request, if it is current and of `client_id`.
pub(crate) async fn pending(
    oidc: &Oidc,
    client_id: &str,
    request_uri: &str,
) -> Result<Option<PushedRequest>, Error> {
    let request = oidc
        .requests
        .get(request_uri, oidc.deps.clock.now().0)
        .await?;
    Ok(request.filter(|request| request.client_id == client_id))
}

/// The holder's answer to a pushed request, signed by their wallet; on approval, the code.
pub(crate) async fn decide(
    oidc: &Oidc,
    decision: OidcDecision,
) -> Result<OidcDecisionResponse, Error> {
    let request = current(oidc, &decision.request_uri).await?;
    let holder = authenticate_holder(
        &oidc.deps,
        &decision.wallet_key,
        &decision.request_id,
        decision.timestamp,
        &signing::oidc_decision_message(
            &decision.request_uri,
            &request.client_id,
            decision.approve,
            &decision.request_id,
            decision.timestamp,
        ),
        &decision.signature,
    )
    .await?;
    if decision.approve {
        crate::lock::ensure_usable(&oidc.deps, &holder)?;
    }
    unanswered(&request)?;
    if let Some(consent) = decision.consent.filter(|_| decision.approve) {
        if consent.client_id != request.client_id || consent.wallet_key != decision.wallet_key {
            return Err(Refusal::InvalidField {
                field: "consent",
                reason: "a consent for this platform, signed by the same wallet".to_owned(),
            }
            .into());
        }
        crate::grants::consent(&oidc.deps, consent).await?;
    }
    let redirect_to = answer(
        oidc,
        &holder,
        &decision.request_uri,
        &request,
        decision.approve,
    )
    .await?;
    Ok(OidcDecisionResponse { redirect_to })
}

/// The answer of a holder signed in to the web app with a passkey, on the consent screen:
/// approve, with a separate consent for each of `fields` ticked, or deny. A child under 14
/// consents to fields with the wallet and a guardian's approval, not here.
pub(crate) async fn decide_in_session(
    oidc: &Oidc,
    holder: &netid_store::HolderRow,
    request_uri: &str,
    client_id: &str,
    approve: bool,
    fields: Vec<String>,
) -> Result<String, Error> {
    let request = current(oidc, request_uri).await?;
    if request.client_id != client_id {
        return Err(unknown_request().into());
    }
    unanswered(&request)?;
    if approve {
        crate::lock::ensure_usable(&oidc.deps, holder)?;
    }
    if approve && !fields.is_empty() {
        let age = crate::personal::age(&oidc.deps.keys.master, holder, oidc.deps.clock.today()?)?;
        if age < netid_core::rules::GUARDIAN_REQUIRED_BELOW {
            return Err(Refusal::Enrollment(EnrollmentRefusal::GuardianRequired).into());
        }
        crate::grants::record_consent(
            &oidc.deps,
            holder,
            client_id,
            &fields,
            oidc.deps.notice.version(),
            oidc.deps.clock.now().0,
        )
        .await?;
    }
    answer(oidc, holder, request_uri, &request, approve).await
}

fn unknown_request() -> Refusal {
    Refusal::InvalidField {
        field: "request_uri",
        reason:
            "no current authorization request has this request_uri; the platform must start again"
                .to_owned(),
    }
}

async fn current(oidc: &Oidc, request_uri: &str) -> Result<PushedRequest, Error> {
    let request = oidc
        .requests
        .get(request_uri, oidc.deps.clock.now().0)
        .await?;
    Ok(request.ok_or_else(unknown_request)?)
}

fn unanswered(request: &PushedRequest) -> Result<(), Refusal> {
    if request.redirect_to.is_some() {
        return Err(Refusal::InvalidField {
            field: "request_uri",
            reason: "this authorization request was already answered".to_owned(),
        });
    }
    Ok(())
}

/// Records `holder`'s answer to the pending `request`: on approval a code, and either way
/// where the browser goes next, which it returns.
async fn answer(
    oidc: &Oidc,
    holder: &netid_store::HolderRow,
    request_uri: &str,
    request: &PushedRequest,
    approve: bool,
) -> Result<String, Error> {
    let now = oidc.deps.clock.now().0;
    let redirect_to = if approve {
        let code = random_token()?;
        let issued = IssuedCode {
            request: request.clone(),
            holder: holder.id,
            wallet_fingerprint: holder.wallet_key.fingerprint.clone(),
            approved_at: now,
            expires_at: now + CODE_LIFETIME,
            redeemed_for: None,
            reused: false,
        };
        // A redeemed code is kept a while longer, so that its reuse revokes its token.
        let owner = request.client_id.clone();
        let kept = oidc
            .codes
            .insert(
                digest_key(&code),
                &issued,
                (&owner, Some(holder.id)),
                now + TOKEN_LIFETIME,
                now,
            )
            .await;
        match kept {
            Ok(()) => {}
            Err(NotKept::Full) => {
                return Err(Error::Internal("too many pending authorization codes"));
            }
            Err(NotKept::Failed(error)) => return Err(error),
        }
        tracing::info!(target: "netid::security", event = "oidc_approved", platform_id = %request.client_id);
        callback(oidc, request, &[("code", &code)])?
    } else {
        tracing::info!(target: "netid::security", event = "oidc_denied", platform_id = %request.client_id);
        callback(
            oidc,
            request,
            &[
                ("error", "access_denied"),
                ("error_description", "the holder declined"),
            ],
        )?
    };
    let answered = oidc
        .requests
        .update(request_uri, now, |pending| {
            if pending.redirect_to.is_some() {
                return false;
            }
            pending.redirect_to = Some(redirect_to.clone());
            true
        })
        .await?;
    if answered != Some(true) {
        return Err(unknown_request().into());
    }
    Ok(redirect_to)
}

/// The redirect URI with `params`, the state and the issuer (RFC 9207).
fn callback(
    oidc: &Oidc,
    request: &PushedRequest,
    params: &[(&str, &str)],
) -> Result<String, Error> {
    // Registered redirect URIs were parsed when they were set.
    let mut url = url::Url::parse(&request.redirect_uri)
        .map_err(|_| Error::Internal("a registered redirect URI does not parse"))?;
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
        if let Some(request_state) = &request.state {
            query.append_pair("state", request_state);
        }
        query.append_pair("iss", &oidc.issuer);
    }
    Ok(url.to_string())
}

/// The token request: redeems a code for an access token and an ID token, and records the
/// verification (and any disclosure) in the holder's history and the log.
pub(crate) async fn token(
    oidc: &Oidc,
    params: &Params,
    dpop: Option<&str>,
    peer: Option<&crate::tls::Peer>,
) -> Result<Value, OauthError> {
    // A wallet app redeeming a credential offer is anonymous: no client to authenticate.
    if params.get("grant_type") == Some(super::vci::PRE_AUTHORIZED_GRANT) {
        return super::vci::token(oidc, params, dpop).await;
    }
    let url = oidc.endpoint_for("/oidc/token", peer);
    let (platform, client) = authenticate_client(oidc, params, &url, peer).await?;
    if params.get("grant_type") != Some("authorization_code") {
        return Err(OauthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be authorization_code (or, for a wallet app, the pre-authorized code)",
        ));
    }
    let code = params.required("code")?;
    let verifier = params.required("code_verifier")?;
    let redirect_uri = params.required("redirect_uri")?;
    let now = oidc.deps.clock.now().0;
    let proof = dpop.ok_or_else(|| OauthError::dpop("a DPoP proof is required"))?;
    let proof = fresh_proof(
        oidc,
        &platform.client_id,
        (proof, "POST", &url, None),
        OauthError::dpop,
    )
    .await?;
    let key = digest_key(code);
    // Take the code (only its own client can): a second redemption finds it redeemed and
    // revokes the first's token, or, while the first is still under way, makes it fail.
    let taken = oidc
        .codes
        .update(&key, now, |issued| {
            if issued.request.client_id != platform.client_id {
                return None;
            }
            let first = issued.redeemed_for.is_none();
            if first {
                issued.redeemed_for = Some(String::new());
            } else {
                issued.reused = true;
            }
            Some((first, issued.clone()))
        })
        .await?;
    let Some(Some((first, issued))) = taken else {
        return Err(OauthError::grant(
            "the code is unknown, expired or issued to another client",
        ));
    };
    if !first {
        if let Some(token) = issued.redeemed_for.as_deref().filter(|t| !t.is_empty()) {
            oidc.tokens.remove(token).await?;
        }
        tracing::info!(target: "netid::security", event = "oidc_code_reused", platform_id = %platform.client_id);
        return Err(OauthError::grant(
            "the code was already used; its tokens are revoked",
        ));
    }
    let request = &issued.request;
    if issued.expires_at <= now {
        return Err(OauthError::grant("the code has expired"));
    }
    if request.redirect_uri != redirect_uri {
        return Err(OauthError::grant(
            "redirect_uri differs from the authorization request's",
        ));
    }
    let challenge = <base64ct::Base64UrlUnpadded as base64ct::Encoding>::encode_string(
        netid_crypto::Suite::intl()
            .hash(verifier.as_bytes())
            .as_ref(),
    );
    let matches: bool =
        subtle::ConstantTimeEq::ct_eq(challenge.as_bytes(), request.code_challenge.as_bytes())
            .into();
    if !(43..=128).contains(&verifier.len()) || !matches {
        return Err(OauthError::grant(
            "code_verifier does not match the code_challenge",
        ));
    }
    if request
        .dpop_jkt
        .as_ref()
        .is_some_and(|jkt| *jkt != proof.jkt)
    {
        return Err(OauthError::dpop(
            "the DPoP key is not the one the request was bound to",
        ));
    }

    let holder = oidc
        .deps
        .store
        .holder(issued.holder)
        .await?
        .filter(|holder| holder.wallet_key.fingerprint == issued.wallet_fingerprint)
        .ok_or_else(|| {
            OauthError::grant("the holder is no longer enrolled with the key that approved")
        })?;
    let predicates = predicates(&request.scopes);
    let code_index = crate::blind::nonce(
        &oidc.deps.keys.blind_index,
        &platform.client_id,
        &format!("oidc-code:{key}"),
    );
    // Plaintext fields only as the scope asked, and as the holder consented.
    let asked: Vec<String> = request
        .scopes
        .iter()
        .filter(|scope| netid_core::rules::GRANTABLE_FIELDS.contains(&scope.as_str()))
        .cloned()
        .collect();
    let answer = crate::verification::record(
        &oidc.deps,
        &oidc.metrics,
        &platform,
        &holder,
        (code_index, Timestamp(issued.expires_at)),
        &predicates,
        Some(asked),
    )
    .await?;
    let fields: Vec<String> = answer.claims.keys().cloned().collect();
    let access_token = random_token()?;
    let grant = AccessGrant {
        client_id: platform.client_id.clone(),
        holder: holder.id,
        jkt: proof.jkt,
        scopes: request.scopes.clone(),
        fields,
    };
    let token_key = digest_key(&access_token);
    let owner = grant.client_id.clone();
    oidc.tokens
        .insert(
            token_key.clone(),
            &grant,
            (&owner, Some(grant.holder)),
            now + TOKEN_LIFETIME,
            now,
        )
        .await
        .map_err(busy)?;
    let reused = oidc
        .codes
        .update(&key, now, |issued| {
            issued.redeemed_for = Some(token_key.clone());
            issued.reused
        })
        .await?;
    if reused != Some(false) {
        // Redeemed again while this redemption was under way: no token for either.
        oidc.tokens.remove(&token_key).await?;
        return Err(OauthError::grant(
            "the code was already used; its tokens are revoked",
        ));
    }
    let mut claims = claims(&answer);
    claims.insert("iss".to_owned(), json!(oidc.issuer));
    claims.insert("aud".to_owned(), json!(platform.client_id));
    claims.insert("iat".to_owned(), json!(now));
    claims.insert("exp".to_owned(), json!(now + TOKEN_LIFETIME));
    claims.insert("auth_time".to_owned(), json!(issued.approved_at));
    claims.insert("acr".to_owned(), json!(ACR_DOCUMENT_CHECKED));
    if let Some(nonce) = &request.nonce {
        claims.insert("nonce".to_owned(), json!(nonce));
    }
    let signing_key = oidc.id_token_key(client.id_token_suite);
    let mut header = serde_json::Map::new();
    header.insert("typ".to_owned(), json!("JWT"));
    header.insert(
        "kid".to_owned(),
        json!(netid_sdjwt::thumbprint(
            &signing_key.verifying_key().to_jwk()
        )),
    );
    let id_token = netid_sdjwt::sign(header, &Value::Object(claims), signing_key)
        .map_err(|_| Error::Internal("signing an ID token"))?;
    Ok(json!({
        "access_token": access_token,
        "token_type": "DPoP",
        "expires_in": TOKEN_LIFETIME,
        "scope": request.scopes.join(" "),
        "id_token": id_token,
    }))
}

fn predicates(scopes: &[String]) -> Vec<Predicate> {
    let mut predicates = Vec::new();
    if scopes.iter().any(|scope| scope == "age_over_14") {
        predicates.push(Predicate::AgeOver14);
    }
    if scopes.iter().any(|scope| scope == "age_over_18") {
        predicates.push(Predicate::AgeOver18);
    }
    predicates
}

/// The claims of an answer: `sub`, `real_name_verified`, the predicates asked and the
/// plaintext fields under their claim names.
fn claims(answer: &VerifyResponse) -> serde_json::Map<String, Value> {
    let mut claims = serde_json::Map::new();
    claims.insert("sub".to_owned(), json!(answer.subject));
    claims.insert(
        "real_name_verified".to_owned(),
        json!(answer.real_name_verified),
    );
    if let Some(over) = answer.age_over_14 {
        claims.insert("age_over_14".to_owned(), json!(over));
    }
    if let Some(over) = answer.age_over_18 {
        claims.insert("age_over_18".to_owned(), json!(over));
    }
    for (field, value) in &answer.claims {
        claims.insert(claim_name(field).to_owned(), json!(value));
    }
    claims
}

/// The userinfo request: the claims of the token's grant, to the holder of its DPoP key.
/// Plaintext fields whose consent was withdrawn since are left out.
pub(crate) async fn userinfo(
    oidc: &Oidc,
    method: &str,
    authorization: Option<&str>,
    dpop: Option<&str>,
) -> Result<Value, OauthError> {
    let token = dpop_token(authorization)?;
    let now = oidc.deps.clock.now().0;
    let grant = oidc
        .tokens
        .get(&digest_key(token), now)
        .await?
        .ok_or_else(|| OauthError::token("the access token is unknown or has expired"))?;
    let url = oidc.endpoint("/oidc/userinfo");
    let proof = dpop.ok_or_else(|| OauthError::token("a DPoP proof is required"))?;
    let proof = fresh_proof(
        oidc,
        &grant.client_id,
        (proof, method, &url, Some(token)),
        OauthError::resource_proof,
    )
    .await?;
    if proof.jkt != grant.jkt {
        return Err(OauthError::token(
            "the DPoP key is not the one the token is bound to",
        ));
    }
    let gone = || OauthError::token("the holder or the platform is gone");
    let platform = oidc
        .deps
        .store
        .platform(&grant.client_id)
        .await?
        .ok_or_else(gone)?;
    // A token issued before a suspension answers nothing after it.
    crate::standing::ensure_active(&platform)
        .map_err(|refusal| OauthError::token(&refusal.to_string()))?;
    let holder = oidc
        .deps
        .store
        .holder(grant.holder)
        .await?
        .ok_or_else(gone)?;
    let live = oidc
        .deps
        .store
        .disclosable_fields(holder.id, &grant.client_id, oidc.deps.clock.now())
        .await?;
    let fields: Vec<String> = grant
        .fields
        .iter()
        .filter(|field| live.contains(field))
        .cloned()
        .collect();
    let opened =
        crate::personal::open_all(&oidc.deps.keys.master, &holder, oidc.deps.clock.today()?)?;
    let answer = crate::verification::answer(
        &oidc.deps,
        &platform,
        &opened,
        &predicates(&grant.scopes),
        &fields,
    )?;
    Ok(Value::Object(claims(&answer)))
}
