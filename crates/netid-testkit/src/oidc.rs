//! A relying party for tests of netid's OpenID Connect provider, written from the RFCs:
//! `private_key_jwt` client assertions, DPoP proofs, PAR with PKCE S256, token and userinfo
//! requests, and ID-token signature checks against the JWKS.

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use netid_crypto::{SigningKey, Suite};
use serde_json::{Value, json};

/// A response: status, content type and body (a redirect's `Location` on the first line).
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: reqwest::StatusCode,
    /// The content type.
    pub content_type: String,
    /// The body, after the `Location` line of a redirect.
    pub body: String,
}

impl Reply {
    /// The body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("{} {}: {error}", self.status, self.body))
    }
}

/// The query parameters of a URL.
pub fn query(url: &str) -> std::collections::BTreeMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// A relying party: a platform with an ES256 client key and a DPoP key.
#[derive(Debug)]
pub struct RelyingParty {
    /// The platform's client id.
    pub client_id: String,
    /// Its client key (ES256), registered as `rp-key-1`.
    pub key: SigningKey,
    /// Its DPoP key.
    pub dpop: SigningKey,
    /// Its one redirect URI.
    pub redirect_uri: String,
    /// netid's issuer identifier (its base URL).
    pub issuer: String,
    /// An HTTP client that does not follow redirects.
    pub http: reqwest::Client,
}

/// The client assertion type of `private_key_jwt`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A pushed request's `request_uri`, and the secrets the RP keeps for it.
#[derive(Debug)]
pub struct Started {
    /// The `request_uri` netid gave.
    pub request_uri: String,
    /// The PKCE verifier.
    pub verifier: String,
    /// The state.
    pub state: String,
    /// The nonce.
    pub nonce: String,
}

/// `len` random bytes, base64url.
pub fn random(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).unwrap();
    Base64UrlUnpadded::encode_string(&bytes)
}

pub(crate) fn s256(verifier: &str) -> String {
    Base64UrlUnpadded::encode_string(Suite::intl().hash(verifier.as_bytes()).as_ref())
}

pub(crate) fn jwk(key: &SigningKey) -> Value {
    let jwk = key.verifying_key().to_jwk();
    json!({"kty": jwk.kty, "crv": jwk.crv, "x": jwk.x, "y": jwk.y})
}

pub(crate) fn jws(header: Value, claims: &Value, key: &SigningKey) -> String {
    let Value::Object(header) = header else {
        panic!("a header object")
    };
    netid_sdjwt::sign(header, claims, key).unwrap()
}

impl RelyingParty {
    /// Sets the client settings of the platform `client_id` (authenticated with its
    /// `credential`) at the netid at `issuer`: a fresh client key and one redirect URI.
    pub async fn register(issuer: &str, client_id: &str, credential: &str) -> Self {
        Self::register_with_redirect(issuer, client_id, credential, "http://127.0.0.1:9/callback")
            .await
    }

    /// The same, with the redirect URI `redirect_uri`.
    pub async fn register_with_redirect(
        issuer: &str,
        client_id: &str,
        credential: &str,
        redirect_uri: &str,
    ) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self::register_with(http, issuer, client_id, credential, redirect_uri).await
    }

    /// The same, over `http` (a client that trusts the server's TLS certificate, say); it
    /// should not follow redirects.
    pub async fn register_with(
        http: reqwest::Client,
        issuer: &str,
        client_id: &str,
        credential: &str,
        redirect_uri: &str,
    ) -> Self {
        let rp = Self {
            client_id: client_id.to_owned(),
            key: Suite::intl().generate_signing_key().unwrap(),
            dpop: Suite::intl().generate_signing_key().unwrap(),
            redirect_uri: redirect_uri.to_owned(),
            issuer: issuer.to_owned(),
            http,
        };
        let mut public = jwk(&rp.key);
        public["kid"] = json!("rp-key-1");
        let basic = Base64::encode_string(format!("{client_id}:{credential}").as_bytes());
        let settings = reply(
            rp.http
                .post(rp.url("/v1/platform/oidc-client"))
                .header("authorization", format!("Basic {basic}"))
                .json(&json!({"redirect_uris": [rp.redirect_uri], "jwks": {"keys": [public]}})),
        )
        .await;
        assert_eq!(
            settings.status,
            reqwest::StatusCode::OK,
            "{}",
            settings.body
        );
        rp
    }

    /// The platform's client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The URL of `path` at netid.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// A client assertion for the issuer, with `jti`, valid for `lifetime` seconds.
    pub fn assertion_with(&self, key: &SigningKey, jti: &str, lifetime: i64) -> String {
        let now = crate::now();
        jws(
            json!({"kid": "rp-key-1"}),
            &json!({"iss": self.client_id(), "sub": self.client_id(), "aud": self.issuer,
                    "jti": jti, "iat": now, "exp": now + lifetime}),
            key,
        )
    }

    /// A fresh client assertion of the registered key, valid for a minute.
    pub fn assertion(&self) -> String {
        self.assertion_with(&self.key, &random(12), 60)
    }

    /// A DPoP proof of `key` for `method` on `path`, bound to `token` when given.
    pub fn dpop_proof(
        &self,
        key: &SigningKey,
        method: &str,
        path: &str,
        token: Option<&str>,
    ) -> String {
        self.dpop_proof_at(key, method, &self.url(path), token)
    }

    /// A DPoP proof for a request to the full URL `url` (a mutual-TLS alias, say).
    pub fn dpop_proof_at(
        &self,
        key: &SigningKey,
        method: &str,
        url: &str,
        token: Option<&str>,
    ) -> String {
        self.dpop_proof_issued(key, method, url, token, crate::now())
    }

    /// The same, made at `iat` (for a server whose clock a test moved ahead).
    pub fn dpop_proof_issued(
        &self,
        key: &SigningKey,
        method: &str,
        url: &str,
        token: Option<&str>,
        iat: i64,
    ) -> String {
        let mut claims = json!({"htm": method, "htu": url, "iat": iat, "jti": random(12)});
        if let Some(token) = token {
            claims["ath"] = json!(s256(token));
        }
        jws(json!({"typ": "dpop+jwt", "jwk": jwk(key)}), &claims, key)
    }

    /// Posts `params` form-encoded to `path`, with the DPoP proof `dpop` when given.
    pub async fn form(&self, path: &str, params: &[(&str, &str)], dpop: Option<String>) -> Reply {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let mut request = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(proof) = dpop {
            request = request.header("dpop", proof);
        }
        reply(request).await
    }

    /// The parameters of a good pushed request for `scope`, with its secrets.
    pub fn request_params(&self, scope: &str) -> (Vec<(&'static str, String)>, Started) {
        let started = Started {
            request_uri: String::new(),
            verifier: random(32),
            state: random(8),
            nonce: random(8),
        };
        let params = vec![
            ("response_type", "code".to_owned()),
            ("client_id", self.client_id().to_owned()),
            ("redirect_uri", self.redirect_uri.clone()),
            ("scope", scope.to_owned()),
            ("state", started.state.clone()),
            ("nonce", started.nonce.clone()),
            ("code_challenge", s256(&started.verifier)),
            ("code_challenge_method", "S256".to_owned()),
            ("client_assertion_type", JWT_BEARER.to_owned()),
            ("client_assertion", self.assertion()),
        ];
        (params, started)
    }

    /// Sends a pushed authorization request of `params`, with a DPoP proof of its key.
    pub async fn push(&self, params: &[(&str, String)]) -> Reply {
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let proof = self.dpop_proof(&self.dpop, "POST", "/oidc/par", None);
        self.form("/oidc/par", &pairs, Some(proof)).await
    }

    /// A pushed request for `scope` that the server accepted.
    pub async fn start(&self, scope: &str) -> Started {
        let (params, mut started) = self.request_params(scope);
        let answer = self.push(&params).await;
        assert_eq!(
            answer.status,
            reqwest::StatusCode::CREATED,
            "{}",
            answer.body
        );
        let body: Value = answer.json();
        assert_eq!(body["expires_in"], 300);
        started.request_uri = body["request_uri"].as_str().unwrap().to_owned();
        assert!(
            started
                .request_uri
                .starts_with("urn:ietf:params:oauth:request_uri:")
        );
        started
    }

    /// Redeems `code` with `verifier`, a fresh assertion and a DPoP proof of `dpop`.
    pub async fn redeem(&self, code: &str, verifier: &str, dpop: &SigningKey) -> Reply {
        let proof = self.dpop_proof(dpop, "POST", "/oidc/token", None);
        self.redeem_with(code, verifier, &self.assertion(), Some(proof))
            .await
    }

    /// Redeems `code` with `verifier`, the client assertion `assertion` and the DPoP proof
    /// `dpop`, if any.
    pub async fn redeem_with(
        &self,
        code: &str,
        verifier: &str,
        assertion: &str,
        dpop: Option<String>,
    ) -> Reply {
        self.form(
            "/oidc/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &self.redirect_uri),
                ("code_verifier", verifier),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", assertion),
            ],
            dpop,
        )
        .await
    }

    /// Calls userinfo with `token` and a DPoP proof bound to it.
    pub async fn userinfo(&self, token: &str) -> Reply {
        let proof = self.dpop_proof(&self.dpop, "GET", "/oidc/userinfo", Some(token));
        reply(
            self.http
                .get(self.url("/oidc/userinfo"))
                .header("authorization", format!("DPoP {token}"))
                .header("dpop", proof),
        )
        .await
    }

    /// The claims of an ID token, after checking its signature against the JWKS.
    pub async fn id_token_claims(&self, id_token: &str) -> Value {
        let jwks: Value = reply(self.http.get(self.url("/oidc/jwks"))).await.json();
        let token = netid_sdjwt::Jws::parse(id_token, "id_token").unwrap();
        assert_eq!(token.header_str("alg"), Some("ES256"));
        let kid = token.header_str("kid").unwrap();
        let key = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|key| key["kid"] == kid)
            .expect("the ID token's kid is in the JWKS");
        let key = netid_sdjwt::key_of_jwk(&netid_crypto::Jwk {
            kty: key["kty"].as_str().unwrap().to_owned(),
            crv: key["crv"].as_str().unwrap().to_owned(),
            x: key["x"].as_str().unwrap().to_owned(),
            y: key["y"].as_str().unwrap().to_owned(),
        })
        .unwrap();
        assert!(token.verify(&key), "the ID token's signature verifies");
        Value::Object(token.payload)
    }
}

/// Sends `request` and reads the reply.
pub async fn reply(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let location = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned());
    let body = response.text().await.unwrap();
    Reply {
        status,
        content_type,
        body: location.map_or(body.clone(), |location| format!("{location}\n{body}")),
    }
}
