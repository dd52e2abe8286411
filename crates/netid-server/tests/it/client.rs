//! A small HTTP client over the API, and a world of synthetic fixtures.

use netid_proto::{
    EnrollRequest, EnrollResponse, OperatorRole, Predicate, Problem, RegisterAuthorityRequest,
    RegisterPlatformRequest, RegisterPlatformResponse, RosterEntry, SignedRoster, VerifyRequest,
    VerifyResponse,
};
use netid_testkit::{Authority, TestServer, Wallet};
use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The answer to a request: status and body text.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) content_type: String,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("{} {}: {error}", self.status, self.body))
    }

    /// Asserts a problem body with `status` and `code`, and returns it.
    pub(crate) fn problem(&self, status: StatusCode, code: &str) -> Problem {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.content_type, "application/problem+json",
            "{}",
            self.body
        );
        let problem: Problem = self.json();
        assert_eq!(problem.code, code, "{}", self.body);
        assert_eq!(problem.status, status.as_u16());
        problem
    }
}

pub(crate) struct Client {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    /// The administration listener, where operator endpoints are.
    pub(crate) admin_url: String,
    /// What a test puts as a bearer credential to have the request signed by an operator
    /// (see [`Client::send`]).
    pub(crate) operator: String,
    pub(crate) operators: std::sync::Arc<netid_testkit::TestOperators>,
    pub(crate) clock: netid_server::Clock,
}

/// The stand-in credential: a request carrying `Bearer <it>` is signed, before it leaves,
/// by the test team's operator of the role its path needs (or of the role and number after
/// a colon: `<it>:auditor:0`).
const SIGN_AS_OPERATOR: &str = "netid-test-operator";
/// The acts that take two operators: asked by the first of the team's operators of the role,
/// approved by the second, carried out by the first.
const TWO_PERSON_PATHS: [&str; 7] = [
    "/v1/operator/holders/read",
    "/v1/operator/platforms/profile",
    "/v1/operator/platforms/status",
    "/v1/operator/ca/certify",
    "/v1/operator/ca/rollover",
    "/v1/operator/ca/handover",
    "/v1/operator/ca/inherit",
];

/// The role of the team member who signs a request to `path` by default.
fn default_role(path: &str) -> OperatorRole {
    if path.starts_with("/v1/operator/ca") {
        OperatorRole::CaOfficer
    } else if path.starts_with("/v1/operator/holders") {
        OperatorRole::DataProtectionOfficer
    } else if path.starts_with("/v1/operator/operators") {
        OperatorRole::SecurityAdministrator
    } else {
        OperatorRole::SystemAdministrator
    }
}

impl Client {
    pub(crate) fn new(server: &TestServer) -> Self {
        Self::trusting(server, None)
    }

    /// A client of `server` that trusts the TLS certificate `root` (PEM) when given.
    pub(crate) fn trusting(server: &TestServer, root: Option<&[u8]>) -> Self {
        let mut http = reqwest::Client::builder();
        if let Some(pem) = root {
            http = http.add_root_certificate(reqwest::Certificate::from_pem(pem).unwrap());
        }
        Self {
            http: http.build().unwrap(),
            base_url: server.base_url.clone(),
            admin_url: server.admin_url.clone(),
            operator: SIGN_AS_OPERATOR.to_owned(),
            operators: server.operators.clone(),
            clock: server.clock,
        }
    }

    /// The `Authorization` value that has a request signed by the `n`th operator of `role`.
    pub(crate) fn as_operator(&self, role: OperatorRole, n: usize) -> String {
        format!("Bearer {SIGN_AS_OPERATOR}:{role}:{n}")
    }

    /// The team's `n`th operator of `role`.
    pub(crate) fn team(&self, role: OperatorRole, n: usize) -> &netid_testkit::TestOperator {
        self.operators.get(role, n)
    }

    /// Signs `request` as `operator`.
    fn sign(&self, request: &mut reqwest::Request, operator: &netid_testkit::TestOperator) {
        let body = request
            .body()
            .and_then(reqwest::Body::as_bytes)
            .unwrap_or_default()
            .to_vec();
        let value = netid_testkit::operator_authorization(
            operator,
            request.method().as_str(),
            request.url().path(),
            &body,
            self.clock.now().0,
        );
        request.headers_mut().insert(
            reqwest::header::AUTHORIZATION,
            reqwest::header::HeaderValue::from_str(&value).unwrap(),
        );
    }

    /// The operator a stand-in `Authorization` value asks for, if it is one.
    fn stand_in(&self, request: &reqwest::Request) -> Option<(&netid_testkit::TestOperator, bool)> {
        let value = request
            .headers()
            .get(reqwest::header::AUTHORIZATION)?
            .to_str()
            .ok()?
            .strip_prefix("Bearer ")?
            .strip_prefix(SIGN_AS_OPERATOR)?;
        if value.is_empty() {
            let role = default_role(request.url().path());
            return Some((self.operators.get(role, 0), true));
        }
        let (role, n) = value.strip_prefix(':')?.split_once(':')?;
        Some((
            self.operators.get(role.parse().ok()?, n.parse().ok()?),
            false,
        ))
    }

    async fn execute(&self, request: reqwest::Request) -> Answer {
        let response = self.http.execute(request).await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Answer {
            status,
            content_type,
            body: response.text().await.unwrap(),
        }
    }

    /// As the second operator of `role`, approves the act `pending` answered, and as the
    /// first carries it out; the first answer that is not a success, or the act's answer.
    pub(crate) async fn approve_and_carry_out(
        &self,
        pending: Answer,
        role: OperatorRole,
    ) -> Answer {
        if pending.status != StatusCode::ACCEPTED {
            return pending;
        }
        let pending: netid_proto::ActPending = pending.json();
        self.approve_and_carry_out_as(&pending.request_id, role, (1, 0))
            .await
    }

    /// The act `id` approved by the `approver`th operator of `role` and carried out by the
    /// `requester`th.
    pub(crate) async fn approve_and_carry_out_as(
        &self,
        id: &str,
        role: OperatorRole,
        (approver, requester): (usize, usize),
    ) -> Answer {
        let step = |step: &str, n: usize| {
            self.http
                .post(self.url(&format!("/v1/operator/acts/{id}/{step}")))
                .header(reqwest::header::AUTHORIZATION, self.as_operator(role, n))
        };
        let approved = self.send_once(step("approve", approver)).await;
        if approved.status != StatusCode::OK {
            return approved;
        }
        self.send_once(step("carry-out", requester)).await
    }

    /// The URL of `path`: operator endpoints on the administration listener, the rest on the
    /// public one.
    pub(crate) fn url(&self, path: &str) -> String {
        if path.starts_with("/v1/operator/") {
            format!("{}{path}", self.admin_url)
        } else {
            format!("{}{path}", self.base_url)
        }
    }

    /// Sends `request`; one that carries the stand-in credential is signed by an operator of
    /// the test team first, and an act that takes two operators by default goes the
    /// two-person way (asked, approved by a second operator of the role, carried out).
    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let request = request.build().unwrap();
        let path = request.url().path().to_owned();
        let two_person = TWO_PERSON_PATHS.contains(&path.as_str())
            && self
                .stand_in(&request)
                .is_some_and(|(_, by_default)| by_default);
        let answer = self.send_request(request).await;
        if two_person {
            return self
                .approve_and_carry_out(answer, default_role(&path))
                .await;
        }
        answer
    }

    /// Sends `request`, signed by an operator of the team if it carries the stand-in.
    async fn send_once(&self, request: reqwest::RequestBuilder) -> Answer {
        self.send_request(request.build().unwrap()).await
    }

    async fn send_request(&self, mut request: reqwest::Request) -> Answer {
        if let Some((operator, _)) = self.stand_in(&request) {
            self.sign(&mut request, operator);
        }
        self.execute(request).await
    }

    pub(crate) async fn post(
        &self,
        path: &str,
        authorization: Option<&str>,
        body: &impl Serialize,
    ) -> Answer {
        let mut request = self.http.post(self.url(path)).json(body);
        if let Some(authorization) = authorization {
            request = request.header(reqwest::header::AUTHORIZATION, authorization);
        }
        self.send(request).await
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.send(self.http.get(self.url(path))).await
    }

    /// A GET whose body is bytes: status, `Cache-Control` and body.
    pub(crate) async fn get_bytes(&self, path: &str) -> (StatusCode, String, Vec<u8>) {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        let status = response.status();
        let cache = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, cache, response.bytes().await.unwrap().to_vec())
    }

    /// The guardian with `guardian` approves the platform `client_id` for the child with
    /// `ward_net_id` (a child under 14 is verified only at platforms so approved).
    pub(crate) async fn approve_platform(
        &self,
        guardian: &Wallet,
        ward_net_id: &str,
        client_id: &str,
    ) {
        let answer = self
            .post(
                "/v1/holders/wards/platforms",
                None,
                &guardian.ward_platform_request(ward_net_id, client_id),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }

    /// The history (`POST /v1/holders/log`) of the holder with `wallet`.
    pub(crate) async fn history(&self, wallet: &Wallet) -> netid_proto::HolderLogResponse {
        let answer = self
            .post("/v1/holders/log", None, &wallet.log_request())
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.json()
    }

    /// The kinds of the log entries of the holder with `wallet`, in order.
    pub(crate) async fn log_kinds(&self, wallet: &Wallet) -> Vec<netid_log::EntryKind> {
        self.history(wallet)
            .await
            .entries
            .iter()
            .map(|entry| {
                netid_log::Entry::from_leaf(entry.leaf.as_bytes())
                    .unwrap()
                    .kind
            })
            .collect()
    }

    pub(crate) async fn post_raw(
        &self,
        path: &str,
        authorization: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let mut request = self
            .http
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(authorization) = authorization {
            request = request.header(reqwest::header::AUTHORIZATION, authorization);
        }
        self.send(request).await
    }

    pub(crate) fn bearer(&self) -> String {
        format!("Bearer {}", self.operator)
    }

    pub(crate) async fn register_authority(&self, authority: &Authority) -> Answer {
        let request = RegisterAuthorityRequest {
            name: authority.name.clone(),
            public_key: authority.public_key(),
        };
        self.post("/v1/operator/authorities", Some(&self.bearer()), &request)
            .await
    }

    pub(crate) async fn load_roster(&self, roster: &SignedRoster) -> Answer {
        self.post("/v1/operator/rosters", Some(&self.bearer()), roster)
            .await
    }

    pub(crate) async fn register_platform(&self, name: &str) -> RegisterPlatformResponse {
        let answer = self
            .post(
                "/v1/operator/platforms",
                Some(&self.bearer()),
                &RegisterPlatformRequest {
                    name: name.to_owned(),
                    sector_of: None,
                },
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer.json()
    }

    pub(crate) async fn enroll(&self, request: &EnrollRequest) -> Answer {
        self.post("/v1/holders/enroll", None, request).await
    }

    pub(crate) async fn enroll_ok(&self, request: &EnrollRequest) -> EnrollResponse {
        let answer = self.enroll(request).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.json()
    }

    pub(crate) async fn verify(
        &self,
        platform: &RegisterPlatformResponse,
        wallet: &Wallet,
        nonce: &str,
        predicates: &[Predicate],
    ) -> Answer {
        let key = netid_testkit::presentation_key(&self.base_url).await;
        let presentation = wallet.present(&key, &platform.client_id, nonce, predicates);
        self.verify_presentation(platform, &VerifyRequest { presentation })
            .await
    }

    /// `wallet` asks for one Net Certificate, for a fresh SM2 key.
    pub(crate) async fn ask_net_certificate(&self, wallet: &Wallet) -> Answer {
        let key = netid_crypto::Suite::gm().generate_signing_key().unwrap();
        let request = wallet.net_certificate_request(std::slice::from_ref(&key));
        self.post("/v1/holders/net-certificates", None, &request)
            .await
    }

    pub(crate) async fn verify_presentation(
        &self,
        platform: &RegisterPlatformResponse,
        request: &VerifyRequest,
    ) -> Answer {
        self.post("/v1/platform/verify", Some(&basic(platform)), request)
            .await
    }

    pub(crate) async fn verify_ok(
        &self,
        platform: &RegisterPlatformResponse,
        wallet: &Wallet,
        nonce: &str,
        predicates: &[Predicate],
    ) -> VerifyResponse {
        let answer = self.verify(platform, wallet, nonce, predicates).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.json()
    }
}

pub(crate) fn basic(platform: &RegisterPlatformResponse) -> String {
    use base64ct::{Base64, Encoding};
    format!(
        "Basic {}",
        Base64::encode_string(format!("{}:{}", platform.client_id, platform.credential).as_bytes())
    )
}

impl World {
    /// Enrolls the guardian, then the child with the guardian's consent; returns both wallets
    /// and the child's answer.
    pub(crate) async fn enroll_child(&self) -> (Wallet, Wallet, netid_proto::EnrollResponse) {
        let guardian = Wallet::generate();
        self.client
            .enroll_ok(&guardian.enroll_request(&self.people.guardian))
            .await;
        let child = Wallet::generate();
        let mut request = child.enroll_request(&self.people.child);
        request.guardian = Some(guardian.guardian_consent(&request));
        let enrolled = self.client.enroll_ok(&request).await;
        (guardian, child, enrolled)
    }
}

/// The synthetic people of the tests.
pub(crate) struct People {
    /// An adult, 测试甲, born 30 years ago, with code CODE-A-2026.
    pub(crate) adult: RosterEntry,
    /// Another adult, 测试乙, the child's guardian, code CODE-B-2026.
    pub(crate) guardian: RosterEntry,
    /// A ten-year-old, 测试丙, whose guardian is 测试乙.
    pub(crate) child: RosterEntry,
    /// A sixteen-year-old, 测试丁.
    pub(crate) teen: RosterEntry,
    /// An adult whose document expired, 测试戊.
    pub(crate) expired: RosterEntry,
}

impl People {
    pub(crate) fn new() -> Self {
        let today = netid_testkit::today();
        let ago = |years| netid_testkit::years_ago(years, today);
        let mut child =
            netid_testkit::resident("110103", "测试丙", ago(10), "P-0003", Some("CODE-C-2026"));
        child.guardian_person_ref = Some("P-0002".to_owned());
        let mut expired =
            netid_testkit::resident("110105", "测试戊", ago(40), "P-0005", Some("CODE-E-2026"));
        expired.expiry = "2020-01-01".to_owned();
        Self {
            adult: netid_testkit::resident(
                "110101",
                "测试甲",
                ago(30),
                "P-0001",
                Some("CODE-A-2026"),
            ),
            guardian: netid_testkit::resident(
                "110102",
                "测试乙",
                ago(35),
                "P-0002",
                Some("CODE-B-2026"),
            ),
            child,
            teen: netid_testkit::resident(
                "110104",
                "测试丁",
                ago(16),
                "P-0004",
                Some("CODE-D-2026"),
            ),
            expired,
        }
    }

    pub(crate) fn all(&self) -> Vec<RosterEntry> {
        vec![
            self.adult.clone(),
            self.guardian.clone(),
            self.child.clone(),
            self.teen.clone(),
            self.expired.clone(),
        ]
    }
}

/// A started server with an authority registered and the synthetic roster loaded.
pub(crate) struct World {
    pub(crate) server: TestServer,
    pub(crate) client: Client,
    pub(crate) authority: Authority,
    pub(crate) people: People,
    _dir: tempfile::TempDir,
}

impl World {
    pub(crate) async fn new() -> Self {
        Self::with_clock(netid_server::Clock::System).await
    }

    /// A world whose server's clock is `clock`.
    pub(crate) async fn with_clock(clock: netid_server::Clock) -> Self {
        Self::start(Vec::new(), clock).await
    }

    /// A world whose server has the `NETID_*` settings `env`.
    pub(crate) async fn with_env(env: &[(&str, &str)]) -> Self {
        let env = env
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        Self::start(env, netid_server::Clock::System).await
    }

    async fn start(env: Vec<(String, String)>, clock: netid_server::Clock) -> Self {
        let dir = tempfile::tempdir().unwrap();
        // A server that serves TLS is trusted by its own certificate.
        let root = env
            .iter()
            .find(|(name, _)| name == "NETID_TLS_CERT")
            .map(|(_, path)| std::fs::read(path).unwrap());
        let server = TestServer::start_with_clock(dir.path(), env, clock)
            .await
            .unwrap();
        let client = Client::trusting(&server, root.as_deref());
        let authority = Authority::generate("test-authority");
        assert_eq!(
            client.register_authority(&authority).await.status,
            StatusCode::OK
        );
        let people = People::new();
        let answer = client.load_roster(&authority.sign(people.all())).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        Self {
            server,
            client,
            authority,
            people,
            _dir: dir,
        }
    }
}

impl World {
    /// The same world, its server restarted on the same data with the clock `clock`.
    pub(crate) async fn restart_at(self, clock: netid_server::Clock) -> Self {
        self.restart_after(clock, async |_| {}).await
    }

    /// The data directory.
    pub(crate) fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// The same world, its server stopped, `between` run on its data directory, and started
    /// again with the clock `clock`.
    pub(crate) async fn restart_after(
        self,
        clock: netid_server::Clock,
        between: impl AsyncFnOnce(&std::path::Path),
    ) -> Self {
        self.restart(clock, Vec::new(), between).await
    }

    /// The same world, its server restarted on the same data with the `NETID_*` settings
    /// `env`.
    pub(crate) async fn restart_with_env(self, env: &[(&str, &str)]) -> Self {
        let env = env
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        self.restart(netid_server::Clock::System, env, async |_| {})
            .await
    }

    async fn restart(
        self,
        clock: netid_server::Clock,
        env: Vec<(String, String)>,
        between: impl AsyncFnOnce(&std::path::Path),
    ) -> Self {
        let Self {
            server,
            client,
            authority,
            people,
            _dir,
        } = self;
        server.stop().await;
        between(_dir.path()).await;
        let server = TestServer::start_with_clock(_dir.path(), env, clock)
            .await
            .unwrap();
        let client = Client {
            base_url: server.base_url.clone(),
            admin_url: server.admin_url.clone(),
            ..client
        };
        Self {
            server,
            client,
            authority,
            people,
            _dir,
        }
    }
}
