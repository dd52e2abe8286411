//! The OpenID Connect provider through real HTTP, with a relying party written here from the
//! RFCs (the independent libraries' runs are in `oidc_interop`): the whole flow, and each thing
//! FAPI 2.0 says a provider must refuse.

use std::sync::atomic::{AtomicI64, Ordering};

use netid_crypto::Suite;
use netid_log::EntryKind;
use netid_proto::{OidcDecisionResponse, Predicate, RegisterPlatformResponse};
use netid_testkit::Wallet;
use reqwest::StatusCode;
use serde_json::{Value, json};

use netid_testkit::oidc::{RelyingParty, Reply, query, random, reply};

use crate::client::{Answer, Client, World};

/// A registered platform with its relying party.
pub(crate) struct Rp {
    pub(crate) platform: RegisterPlatformResponse,
    relying_party: RelyingParty,
}

impl core::ops::Deref for Rp {
    type Target = RelyingParty;

    fn deref(&self) -> &RelyingParty {
        &self.relying_party
    }
}

impl Rp {
    /// Registers a platform named `name` and sets its client settings.
    pub(crate) async fn register(client: &Client, name: &str) -> Self {
        let platform = client.register_platform(name).await;
        let relying_party =
            RelyingParty::register(&client.base_url, &platform.client_id, &platform.credential)
                .await;
        Self {
            platform,
            relying_party,
        }
    }
}

/// Asserts an OAuth error response with `status` and `error`.
fn oauth_error(answer: &Reply, status: StatusCode, error: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    let body: Value = answer.json();
    assert_eq!(body["error"], error, "{}", answer.body);
    assert!(body["error_description"].is_string());
}

/// The consent screen of the pushed request `request_uri` of `rp`, with `extra` query
/// parameters (`&lang=en`, say).
async fn consent_screen(client: &Client, rp: &Rp, request_uri: &str, extra: &str) -> Answer {
    client
        .get(&format!(
            "/oidc/authorize?client_id={}&request_uri={request_uri}{extra}",
            rp.client_id()
        ))
        .await
}

pub(crate) async fn decide(
    client: &Client,
    decision: &netid_proto::OidcDecision,
) -> OidcDecisionResponse {
    let answer = client
        .post("/v1/holders/oidc/decision", None, decision)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()
}

#[tokio::test]
async fn a_platform_signs_a_holder_in_and_gets_the_pairwise_sub_and_only_what_was_granted() {
    let world = World::new().await;
    let client = &world.client;
    let rp = Rp::register(client, "OIDC Example Shop").await;
    crate::grants::grant(client, &rp.platform, &["name", "birth_date"]).await;
    let wallet = Wallet::generate();
    let enrolled = client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;

    let discovery: Value = client.get("/.well-known/openid-configuration").await.json();
    assert_eq!(discovery["issuer"], client.base_url);
    assert_eq!(discovery["subject_types_supported"], json!(["pairwise"]));
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(discovery["require_pushed_authorization_requests"], true);
    assert_eq!(
        discovery["token_endpoint_auth_methods_supported"],
        json!(["private_key_jwt"])
    );

    let started = rp.start("openid age_over_18 name").await;
    // The consent screen, in Chinese by default and in English: the platform, the predicate,
    // and the plaintext field asked for (the birth date is granted but not asked).
    let screen = consent_screen(client, &rp, &started.request_uri, "").await;
    assert_eq!(screen.status, StatusCode::OK);
    assert!(screen.content_type.starts_with("text/html"));
    assert!(
        screen.body.contains("OIDC Example Shop 请求核验您的身份"),
        "{}",
        screen.body
    );
    assert!(screen.body.contains("您是否年满18周岁"));
    assert!(screen.body.contains("姓名"));
    assert!(!screen.body.contains("出生日期"));
    let english = consent_screen(client, &rp, &started.request_uri, "&lang=en").await;
    assert!(
        english
            .body
            .contains("OIDC Example Shop asks to verify your identity")
    );
    assert!(english.body.contains("Synthetic Act, art. 2"));

    // "Continue" before the holder answered shows the screen again.
    let continue_params = [
        ("request_uri", started.request_uri.as_str()),
        ("client_id", rp.client_id()),
        ("lang", "en"),
    ];
    let early = rp
        .form("/oidc/authorize/continue", &continue_params, None)
        .await;
    assert_eq!(early.status, StatusCode::OK);
    assert!(early.body.contains("You have not answered this request"));

    // The holder approves with their wallet and consents, separately, to the name.
    let notice: netid_proto::Notice = client.get("/v1/notice").await.json();
    let consent = wallet.consent_request(rp.client_id(), &["name"], &notice.version);
    let decided = decide(
        client,
        &wallet.oidc_decision(&started.request_uri, rp.client_id(), true, Some(consent)),
    )
    .await;
    let callback = query(&decided.redirect_to);
    assert!(decided.redirect_to.starts_with(&rp.redirect_uri));
    assert_eq!(callback["state"], started.state);
    assert_eq!(callback["iss"], client.base_url);
    let code = &callback["code"];
    // The browser's "continue" now goes to the platform, once.
    let onward = rp
        .form("/oidc/authorize/continue", &continue_params, None)
        .await;
    assert_eq!(onward.status, StatusCode::SEE_OTHER);
    assert!(onward.body.starts_with(&decided.redirect_to));
    let again = rp
        .form("/oidc/authorize/continue", &continue_params, None)
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);

    let tokens = rp.redeem(code, &started.verifier, &rp.dpop).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    let tokens: Value = tokens.json();
    assert_eq!(tokens["token_type"], "DPoP");
    let claims = rp
        .id_token_claims(tokens["id_token"].as_str().unwrap())
        .await;
    assert_eq!(claims["iss"], client.base_url);
    assert_eq!(claims["aud"], rp.client_id());
    assert_eq!(claims["nonce"], started.nonce);
    assert_eq!(claims["acr"], "urn:netid:acr:document-checked");
    assert_eq!(claims["real_name_verified"], true);
    assert_eq!(claims["age_over_18"], true);
    assert_eq!(claims["name"], world.people.adult.name);
    // Granted but not consented, and never granted: not there.
    for absent in ["birthdate", "net_id", "document_number", "age_over_14"] {
        assert!(claims.get(absent).is_none(), "{absent} in {claims}");
    }
    // The sub is the pairwise pseudonym that result-only verification gives this platform.
    let verified = client
        .verify_ok(&rp.platform, &wallet, &random(16), &[Predicate::AgeOver18])
        .await;
    assert_eq!(claims["sub"], verified.subject);
    // Never the global Net ID, where no grant and consent allow it.
    let bare_net_id: String = enrolled
        .net_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let all_claims: String = claims
        .to_string()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    assert!(!all_claims.contains(&bare_net_id));

    let access_token = tokens["access_token"].as_str().unwrap();
    let userinfo = rp.userinfo(access_token).await;
    assert_eq!(userinfo.status, StatusCode::OK, "{}", userinfo.body);
    let userinfo: Value = userinfo.json();
    assert_eq!(userinfo["sub"], claims["sub"]);
    assert_eq!(userinfo["name"], world.people.adult.name);

    // The consent, the verification and the disclosure are in the holder's history.
    let kinds = client.log_kinds(&wallet).await;
    for kind in [
        EntryKind::ConsentGiven,
        EntryKind::Verification,
        EntryKind::Disclosure,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} in {kinds:?}");
    }

    // A sign-in whose scope does not name the field gets none, consent or not.
    let unnamed = rp.start("openid").await;
    let decided = decide(
        client,
        &wallet.oidc_decision(&unnamed.request_uri, rp.client_id(), true, None),
    )
    .await;
    let tokens_without: Value = rp
        .redeem(
            &query(&decided.redirect_to)["code"],
            &unnamed.verifier,
            &rp.dpop,
        )
        .await
        .json();
    let claims_without = rp
        .id_token_claims(tokens_without["id_token"].as_str().unwrap())
        .await;
    assert!(claims_without.get("name").is_none(), "{claims_without}");
    assert_eq!(claims_without["sub"], verified.subject);

    // Withdrawn at once: userinfo leaves the name out, and the next sign-in has none.
    let withdrawn = client
        .post(
            "/v1/holders/consents/withdraw",
            None,
            &wallet.withdrawal_request(rp.client_id(), &["name"]),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.body);
    let userinfo: Value = rp.userinfo(access_token).await.json();
    assert!(userinfo.get("name").is_none(), "{userinfo}");
    let next = rp.start("openid name").await;
    let decided = decide(
        client,
        &wallet.oidc_decision(&next.request_uri, rp.client_id(), true, None),
    )
    .await;
    let tokens: Value = rp
        .redeem(
            &query(&decided.redirect_to)["code"],
            &next.verifier,
            &rp.dpop,
        )
        .await
        .json();
    let claims = rp
        .id_token_claims(tokens["id_token"].as_str().unwrap())
        .await;
    assert!(claims.get("name").is_none(), "{claims}");
    assert_eq!(claims["sub"], verified.subject);

    // A second redemption of a code is refused and revokes the token of the first.
    let reused = rp
        .redeem(
            &query(&decided.redirect_to)["code"],
            &next.verifier,
            &rp.dpop,
        )
        .await;
    oauth_error(&reused, StatusCode::BAD_REQUEST, "invalid_grant");
    let revoked = rp.userinfo(tokens["access_token"].as_str().unwrap()).await;
    oauth_error(&revoked, StatusCode::UNAUTHORIZED, "invalid_token");
}

#[tokio::test]
async fn the_provider_refuses_what_fapi_forbids_and_changes_nothing() {
    let world = World::new().await;
    let client = &world.client;
    let rp = Rp::register(client, "OIDC Strict Shop").await;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;

    let with = |name: &'static str, value: &str| {
        let (mut params, _) = rp.request_params("openid");
        params.retain(|(known, _)| *known != name);
        if !value.is_empty() {
            params.push((name, value.to_owned()));
        }
        params
    };
    // Client authentication: missing, by another key, expired, replayed.
    oauth_error(
        &rp.push(&with("client_assertion", "")).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );
    let stranger = Suite::intl().generate_signing_key().unwrap();
    let forged = rp.assertion_with(&stranger, "forged-1", 60);
    oauth_error(
        &rp.push(&with("client_assertion", &forged)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );
    let expired = rp.assertion_with(&rp.key, "expired-1", -1);
    oauth_error(
        &rp.push(&with("client_assertion", &expired)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );
    let once = rp.assertion_with(&rp.key, "once-1", 60);
    assert_eq!(
        rp.push(&with("client_assertion", &once)).await.status,
        StatusCode::CREATED
    );
    oauth_error(
        &rp.push(&with("client_assertion", &once)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );

    // The request itself: redirect URI, PKCE, scope, response type.
    oauth_error(
        &rp.push(&with("redirect_uri", "http://127.0.0.1:9/elsewhere"))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    oauth_error(
        &rp.push(&with("code_challenge_method", "plain")).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    oauth_error(
        &rp.push(&with("code_challenge", "")).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    oauth_error(
        &rp.push(&with("scope", "age_over_18")).await,
        StatusCode::BAD_REQUEST,
        "invalid_scope",
    );
    oauth_error(
        &rp.push(&with("scope", "openid religion")).await,
        StatusCode::BAD_REQUEST,
        "invalid_scope",
    );
    oauth_error(
        &rp.push(&with("response_type", "token")).await,
        StatusCode::BAD_REQUEST,
        "unsupported_response_type",
    );
    // Not form-encoded, and a repeated parameter.
    let json_body = rp
        .http
        .post(rp.url("/oidc/par"))
        .json(&json!({"scope": "openid"}));
    oauth_error(
        &reply(json_body).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    let mut repeated = with("scope", "openid");
    repeated.push(("scope", "openid".to_owned()));
    oauth_error(
        &rp.push(&repeated).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );

    // An unknown request_uri gets a page that says so, not a redirect.
    let unknown = client
        .get(&format!(
            "/oidc/authorize?client_id={}&request_uri=urn:ietf:params:oauth:request_uri:nope",
            rp.client_id()
        ))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.body.contains("请求已失效"));

    // A denial goes back to the platform as access_denied, with state and iss.
    let denied = rp.start("openid").await;
    let decided = decide(
        client,
        &wallet.oidc_decision(&denied.request_uri, rp.client_id(), false, None),
    )
    .await;
    let callback = query(&decided.redirect_to);
    assert_eq!(callback["error"], "access_denied");
    assert_eq!(callback["state"], denied.state);
    assert!(!callback.contains_key("code"));
    // A second answer to the same request is refused; so is one signed by another wallet.
    let second = client
        .post(
            "/v1/holders/oidc/decision",
            None,
            &wallet.oidc_decision(&denied.request_uri, rp.client_id(), true, None),
        )
        .await;
    second.problem(StatusCode::BAD_REQUEST, "invalid_field");
    let started = rp.start("openid").await;
    let mut forged = wallet.oidc_decision(&started.request_uri, rp.client_id(), true, None);
    forged.request_uri = rp.start("openid").await.request_uri;
    client
        .post("/v1/holders/oidc/decision", None, &forged)
        .await
        .problem(StatusCode::FORBIDDEN, "bad_wallet_signature");

    // Another client cannot redeem (or burn) this client's code.
    let theirs = rp.start("openid").await;
    let answered = decide(
        client,
        &wallet.oidc_decision(&theirs.request_uri, rp.client_id(), true, None),
    )
    .await;
    let their_code = query(&answered.redirect_to)["code"].clone();
    let other = Rp::register(client, "OIDC Other Shop").await;
    oauth_error(
        &other
            .redeem(&their_code, &theirs.verifier, &other.dpop)
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    assert_eq!(
        rp.redeem(&their_code, &theirs.verifier, &rp.dpop)
            .await
            .status,
        StatusCode::OK
    );

    // The token request: wrong verifier, no DPoP proof, another DPoP key than at PAR.
    let decided = decide(
        client,
        &wallet.oidc_decision(&started.request_uri, rp.client_id(), true, None),
    )
    .await;
    let code = query(&decided.redirect_to)["code"].clone();
    oauth_error(
        &rp.redeem(&code, &random(32), &rp.dpop).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    let started = rp.start("openid").await;
    let decided = decide(
        client,
        &wallet.oidc_decision(&started.request_uri, rp.client_id(), true, None),
    )
    .await;
    let code = query(&decided.redirect_to)["code"].clone();
    let other_key = Suite::intl().generate_signing_key().unwrap();
    oauth_error(
        &rp.redeem(&code, &started.verifier, &other_key).await,
        StatusCode::BAD_REQUEST,
        "invalid_dpop_proof",
    );
    let no_proof = rp
        .redeem_with(&code, &started.verifier, &rp.assertion(), None)
        .await;
    oauth_error(&no_proof, StatusCode::BAD_REQUEST, "invalid_dpop_proof");

    // Userinfo wants the DPoP scheme with a proof; a Bearer token is not accepted.
    let bearer = reply(
        rp.http
            .get(rp.url("/oidc/userinfo"))
            .header("authorization", "Bearer x"),
    )
    .await;
    oauth_error(&bearer, StatusCode::UNAUTHORIZED, "invalid_token");

    // None of these refusals reached the holder's history: one verification, the one code
    // its own client redeemed.
    let kinds = client.log_kinds(&wallet).await;
    let verifications = kinds
        .iter()
        .filter(|kind| **kind == EntryKind::Verification)
        .count();
    assert_eq!(verifications, 1, "{kinds:?}");
}

#[tokio::test]
async fn a_request_after_300_seconds_and_a_code_after_60_are_refused() {
    static AHEAD: AtomicI64 = AtomicI64::new(0);
    let world = World::with_clock(netid_server::Clock::Ahead(&AHEAD)).await;
    let client = &world.client;
    let rp = Rp::register(client, "Expiry Shop").await;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;

    // A pushed request, 301 seconds later: gone for the browser and for the holder's answer.
    let started = rp.start("openid").await;
    AHEAD.store(301, Ordering::Relaxed);
    let screen = consent_screen(client, &rp, &started.request_uri, "&lang=en").await;
    assert_eq!(screen.status, StatusCode::BAD_REQUEST, "{}", screen.body);
    assert!(
        screen.body.contains("This request is no longer valid"),
        "{}",
        screen.body
    );
    client
        .post(
            "/v1/holders/oidc/decision",
            None,
            &wallet.oidc_decision(&started.request_uri, rp.client_id(), true, None),
        )
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");

    // A code, 61 seconds later: refused with invalid_grant, with a client assertion and a
    // DPoP proof that are good at that time.
    AHEAD.store(0, Ordering::Relaxed);
    let started = rp.start("openid").await;
    let decided = decide(
        client,
        &wallet.oidc_decision(&started.request_uri, rp.client_id(), true, None),
    )
    .await;
    let code = query(&decided.redirect_to)["code"].clone();
    AHEAD.store(61, Ordering::Relaxed);
    let assertion = rp.assertion_with(&rp.key, &random(12), 600);
    let proof = rp.dpop_proof_issued(
        &rp.dpop,
        "POST",
        &rp.url("/oidc/token"),
        None,
        netid_testkit::now() + 61,
    );
    let late = rp
        .redeem_with(&code, &started.verifier, &assertion, Some(proof))
        .await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST, "{}", late.body);
    let body: Value = late.json();
    assert_eq!(body["error"], "invalid_grant", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
    // Nothing reached the holder's history but the enrollment.
    assert_eq!(client.log_kinds(&wallet).await, vec![EntryKind::Enrollment]);
}

/// Issue 25: a suspended platform's client authentication is refused at PAR with OAuth's
/// `unauthorized_client`, a token it got before reads nothing at userinfo, and a reinstated
/// one is let through again.
#[tokio::test]
async fn a_suspended_platform_is_refused_at_the_pushed_authorization_endpoint() {
    let world = World::new().await;
    let client = &world.client;
    let rp = Rp::register(client, "OIDC Suspended Shop").await;
    // A holder signed in before the suspension: the platform holds an access token.
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let started = rp.start("openid").await;
    let decided = decide(
        client,
        &wallet.oidc_decision(&started.request_uri, rp.client_id(), true, None),
    )
    .await;
    let tokens: Value = rp
        .redeem(
            &query(&decided.redirect_to)["code"],
            &started.verifier,
            &rp.dpop,
        )
        .await
        .json();
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(rp.userinfo(access_token).await.status, StatusCode::OK);
    let set = |status: netid_proto::PlatformStatus| {
        let request = netid_proto::PlatformStatusRequest {
            client_id: rp.platform.client_id.clone(),
            status,
            reason: "Synthetic complaint upheld".to_owned(),
        };
        async move {
            let answer = client
                .post(
                    "/v1/operator/platforms/status",
                    Some(&client.bearer()),
                    &request,
                )
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        }
    };
    set(netid_proto::PlatformStatus::Suspended).await;
    let (params, _) = rp.request_params("openid");
    let refused = rp.push(&params).await;
    oauth_error(&refused, StatusCode::BAD_REQUEST, "unauthorized_client");
    assert!(refused.body.contains("suspended"), "{}", refused.body);
    // The token issued before reads nothing while the platform is suspended.
    let userinfo = rp.userinfo(access_token).await;
    oauth_error(&userinfo, StatusCode::UNAUTHORIZED, "invalid_token");
    set(netid_proto::PlatformStatus::Active).await;
    let (params, _) = rp.request_params("openid");
    assert_eq!(rp.push(&params).await.status, StatusCode::CREATED);
    assert_eq!(rp.userinfo(access_token).await.status, StatusCode::OK);
}
