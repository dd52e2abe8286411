//! A wallet app for tests of netid's OpenID4VCI credential issuer, written from OpenID4VCI 1.0
//! and RFC 9449: it redeems an offer's pre-authorized code with DPoP, asks for nonces, makes
//! key proofs (`openid4vci-proof+jwt`) in either suite and sends credential requests. Its
//! parts are separate so that a test can send each one wrong.

use netid_crypto::{SigningKey, Suite};
use serde_json::{Value, json};

use crate::oidc::{Reply, jwk, jws, random, reply, s256};

/// A wallet app with its DPoP key.
#[derive(Debug)]
pub struct VciWallet {
    issuer: String,
    http: reqwest::Client,
    /// The key its access tokens are bound to.
    pub dpop: SigningKey,
}

/// The pre-authorized code and the URL of an offer link.
pub fn pre_authorized_code(offer_uri: &str) -> String {
    let offer = crate::oidc::query(&offer_uri.replacen(
        "openid-credential-offer://",
        "https://offer.invalid/",
        1,
    ))["credential_offer"]
        .clone();
    let offer: Value = serde_json::from_str(&offer).unwrap();
    offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
        .as_str()
        .unwrap()
        .to_owned()
}

impl VciWallet {
    /// A wallet app for the issuer at `issuer`.
    pub fn new(issuer: &str) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            dpop: Suite::intl().generate_signing_key().unwrap(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// A DPoP proof of this wallet's key for `method` on `path`, bound to `token` if given.
    pub fn dpop_proof(&self, method: &str, path: &str, token: Option<&str>) -> String {
        let mut claims =
            json!({"htm": method, "htu": self.url(path), "iat": crate::now(), "jti": random(12)});
        if let Some(token) = token {
            claims["ath"] = json!(s256(token));
        }
        jws(
            json!({"typ": "dpop+jwt", "jwk": jwk(&self.dpop)}),
            &claims,
            &self.dpop,
        )
    }

    /// Redeems `code` with `tx_code` at the token endpoint, with a DPoP proof.
    pub async fn token(&self, code: &str, tx_code: &str) -> Reply {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair(
                "grant_type",
                "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            )
            .append_pair("pre-authorized_code", code)
            .append_pair("tx_code", tx_code)
            .finish();
        let request = self
            .http
            .post(self.url("/oidc/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("dpop", self.dpop_proof("POST", "/oidc/token", None))
            .body(body);
        reply(request).await
    }

    /// A fresh nonce from the nonce endpoint.
    pub async fn nonce(&self) -> String {
        let answer = reply(self.http.post(self.url("/vci/nonce"))).await;
        assert_eq!(answer.status, reqwest::StatusCode::OK, "{}", answer.body);
        answer.json::<Value>()["c_nonce"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A key proof of `key` for this issuer with `nonce`, its claims changed by `change`.
    pub fn key_proof_with(
        &self,
        key: &SigningKey,
        nonce: &str,
        change: impl FnOnce(&mut Value),
    ) -> String {
        let mut claims = json!({"aud": self.issuer, "iat": crate::now(), "nonce": nonce});
        change(&mut claims);
        jws(
            json!({"typ": "openid4vci-proof+jwt", "jwk": jwk(key)}),
            &claims,
            key,
        )
    }

    /// A good key proof of `key` with `nonce`.
    pub fn key_proof(&self, key: &SigningKey, nonce: &str) -> String {
        self.key_proof_with(key, nonce, |_| {})
    }

    /// Sends the credential request `body` with `token` and a DPoP proof.
    pub async fn credential(&self, token: &str, body: &Value) -> Reply {
        let request = self
            .http
            .post(self.url("/vci/credential"))
            .header("authorization", format!("DPoP {token}"))
            .header(
                "dpop",
                self.dpop_proof("POST", "/vci/credential", Some(token)),
            )
            .json(body);
        reply(request).await
    }
}
