//! netid-testkit: test-only helpers. Starts a real netid server on `127.0.0.1:0` with a
//! temporary data directory, and makes obviously synthetic fixtures: a document authority
//! with its own SM2 key and signed roster, wallets, synthetic document numbers (sequence
//! code 999), names such as 测试甲.
//!
//! Not for production: nothing here is hardened, and helpers panic on failure because a
//! failing helper is a failing test.

// A test-support crate: a helper that cannot do its job fails the test that called it, so
// unwrap/expect/panic are the right reaction here (clippy allows them only inside #[test]).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod logs;
pub mod oidc;
mod operators;
pub mod passkey;
mod postgres;
mod proxy;
pub mod vci;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_core::{Date, DocumentError, DocumentNumber, DocumentType};
use netid_crypto::{SigningKey, Suite};
use netid_proto::{
    ConsentRequest, DeleteRequest, EnrollRequest, GuardianConsent, HolderCertificateRequest,
    HolderLogRequest, Jwk, NetCertificateRequest, Predicate, Presentation, PublicKey,
    RenewCertificateRequest, RevokeCertificateRequest, RosterEntry, RosterPayload, SignedRoster,
    WardDeleteRequest, WithdrawConsentRequest, signing,
};
use netid_server::{Config, Overrides, Running};

pub use logs::{LogCapture, capture_logs};
pub use operators::{SETUP_ENTRIES, TestOperator, TestOperators, operator_authorization};
pub use postgres::{RawStore, copy_data_dir, database_for, test_config};
pub use proxy::Proxy;

/// A running test server and what a test needs to talk to it.
#[derive(Debug)]
pub struct TestServer {
    /// `http://127.0.0.1:PORT` (`https://` when the server serves TLS).
    pub base_url: String,
    /// The address it listens on.
    pub address: SocketAddr,
    /// `http://127.0.0.1:PORT` of its administration listener (operator endpoints only).
    pub admin_url: String,
    /// Its operators, made at set-up on first start (kept in the data directory).
    pub operators: std::sync::Arc<TestOperators>,
    /// Its clock, which operators' proofs are dated by.
    pub clock: netid_server::Clock,
    /// The data directory.
    pub data_dir: PathBuf,
    running: Running,
    /// More nodes on the same database, behind [`TestServer::proxy`] with the first.
    others: Vec<Running>,
    /// The round-robin proxy in front of the nodes, when there are several; `base_url` is its.
    pub proxy: Option<Proxy>,
}

/// The variable that asks every test server on PostgreSQL to be this many nodes on one
/// database behind a round-robin proxy (`NETID_TEST_NODES=2`).
pub const TEST_NODES: &str = "NETID_TEST_NODES";

impl TestServer {
    /// Starts a server in a fresh temporary data directory, owned by the returned guard.
    pub async fn start() -> (Self, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let server = Self::start_in(dir.path()).await.unwrap();
        (server, dir)
    }

    /// Starts a server on `data_dir` (which may hold a previous run's data).
    pub async fn start_in(data_dir: &Path) -> Result<Self, netid_server::Error> {
        Self::start_with_env(data_dir, Vec::new()).await
    }

    /// Starts a server on `data_dir` with `NETID_*` environment variables `env`.
    pub async fn start_with_env(
        data_dir: &Path,
        env: Vec<(String, String)>,
    ) -> Result<Self, netid_server::Error> {
        Self::start_with_clock(data_dir, env, netid_server::Clock::System).await
    }

    /// Starts a server on `data_dir` with `env` whose clock is `clock`. With
    /// `NETID_TEST_DATABASE_URL` set (a PostgreSQL server) and no `NETID_DATABASE_URL` in
    /// `env`, the server stores its data in a database of its own on that server instead of
    /// SQLite, the same one on every start in the same `data_dir`.
    ///
    /// With [`TEST_NODES`] set to 2 or more, a server on PostgreSQL that serves plain HTTP on
    /// a port of its choosing is that many nodes on its database, behind a proxy that sends
    /// each request to the next node ([`TestServer::start_nodes`]).
    pub async fn start_with_clock(
        data_dir: &Path,
        env: Vec<(String, String)>,
        clock: netid_server::Clock,
    ) -> Result<Self, netid_server::Error> {
        let nodes = std::env::var(TEST_NODES)
            .ok()
            .and_then(|count| count.parse().ok())
            .unwrap_or(1);
        let plain = !env.iter().any(|(name, _)| {
            matches!(
                name.as_str(),
                "NETID_TLS_CERT" | "NETID_PUBLIC_URL" | "NETID_LISTEN" | "NETID_MTLS_LISTEN"
            )
        });
        if nodes > 1 && plain {
            if let Some(server) = Self::start_nodes(data_dir, env.clone(), clock, nodes).await? {
                return Ok(server);
            }
        }
        Self::start_node(data_dir, env, clock).await
    }

    /// Starts `count` nodes on the PostgreSQL database of `data_dir` behind a round-robin
    /// proxy, whose URL is every node's public URL and the server's `base_url`; `None` when
    /// the tests run on SQLite (one process per database).
    pub async fn start_nodes(
        data_dir: &Path,
        mut env: Vec<(String, String)>,
        clock: netid_server::Clock,
        count: usize,
    ) -> Result<Option<Self>, netid_server::Error> {
        let on_postgres = env.iter().any(|(name, _)| name == "NETID_DATABASE_URL")
            || postgres::database_for(data_dir).is_some();
        if !on_postgres {
            return Ok(None);
        }
        let (listener, proxy_url) = Proxy::bind().await;
        env.push(("NETID_PUBLIC_URL".to_owned(), proxy_url.clone()));
        let mut first = Self::start_node(data_dir, env.clone(), clock).await?;
        let mut backends = vec![format!("http://{}", first.address)];
        for _ in 1..count.max(2) {
            let node = Self::start_node(data_dir, env.clone(), clock).await?;
            backends.push(format!("http://{}", node.address));
            first.others.push(node.running);
        }
        first.proxy = Some(Proxy::serve(listener, proxy_url.clone(), backends));
        first.base_url = proxy_url;
        Ok(Some(first))
    }

    /// Starts one node.
    async fn start_node(
        data_dir: &Path,
        mut env: Vec<(String, String)>,
        clock: netid_server::Clock,
    ) -> Result<Self, netid_server::Error> {
        let chosen = env.iter().any(|(name, _)| name == "NETID_DATABASE_URL");
        // Any free loopback port, unless the test needs a known one (`NETID_LISTEN`).
        let listen = (!env.iter().any(|(name, _)| name == "NETID_LISTEN"))
            .then(|| "127.0.0.1:0".parse().unwrap());
        if !env.iter().any(|(name, _)| name == "NETID_ADMIN_LISTEN") {
            env.push(("NETID_ADMIN_LISTEN".to_owned(), "127.0.0.1:0".to_owned()));
        }
        if !chosen {
            if let Some(url) = postgres::database_for(data_dir) {
                env.push(("NETID_DATABASE_URL".to_owned(), url));
            }
        }
        let overrides = || Overrides {
            listen,
            data_dir: Some(data_dir.to_owned()),
        };
        let operators = std::sync::Arc::new(
            TestOperators::of(data_dir, &Config::load(env.clone(), overrides())?).await,
        );
        let config = Config::load(env, overrides())?;
        let running = netid_server::start_with_clock(config, clock).await?;
        Ok(Self {
            base_url: running.base_url.clone(),
            address: running.address,
            admin_url: running.admin_url.clone(),
            operators,
            clock,
            data_dir: data_dir.to_owned(),
            running,
            others: Vec::new(),
            proxy: None,
        })
    }

    /// The URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Stops the server (every node) gracefully.
    pub async fn stop(self) {
        self.shutdown().await.unwrap();
    }

    /// Resolves when the server begins to stop by itself (see [`Running::stopping`]).
    pub async fn stopping(&self) {
        self.running.stopping().await;
    }

    /// Stops the server (every node) and says how the first node ended.
    pub async fn shutdown(self) -> Result<(), netid_server::Error> {
        for other in self.others {
            other.shutdown().await?;
        }
        self.running.shutdown().await
    }
}

/// Seconds since the Unix epoch now.
pub fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// Today in China Standard Time, as the server computes it.
pub fn today() -> Date {
    netid_server::clock::date_of(netid_store::Timestamp(now())).unwrap()
}

/// The date `years` years before `today` (29 February becomes 28 February).
pub fn years_ago(years: u16, today: Date) -> Date {
    let year = today.year() - years;
    Date::from_ymd(year, today.month(), today.day())
        .or_else(|_| Date::from_ymd(year, today.month(), 28))
        .unwrap()
}

/// A synthetic resident ID number: address code `address` (e.g. `110101`), the birth date,
/// sequence code 999 (male) or 998 (female), and the correct check character.
pub fn synthetic_resident_id(address: &str, birth: Date, female: bool) -> String {
    synthetic_gb11643(DocumentType::ResidentId, address, birth, female)
}

/// A synthetic GB 11643 number of `document` (resident ID, residence permits, the 2023
/// permanent resident card): `address`, the birth date, sequence 999 or 998, check character.
pub fn synthetic_gb11643(
    document: DocumentType,
    address: &str,
    birth: Date,
    female: bool,
) -> String {
    let sequence = if female { "998" } else { "999" };
    let body = format!(
        "{address}{:04}{:02}{:02}{sequence}",
        birth.year(),
        birth.month(),
        birth.day()
    );
    // Let core compute the check character: parse with a placeholder and read the expected
    // character from the error.
    let candidate = format!("{body}0");
    match DocumentNumber::parse(document, &candidate, today()) {
        Ok(_) => candidate,
        Err(DocumentError::CheckCharMismatch { expected }) => format!("{body}{expected}"),
        Err(other) => panic!("synthetic number rejected: {other}"),
    }
}

/// A synthetic roster entry of any document type (male, valid to 2099), with `code` or, when
/// `None`, a fresh strong code of its own (every roster record needs one).
pub fn roster_entry(
    document_type: DocumentType,
    number: &str,
    name: &str,
    birth: Date,
    nationality: &str,
    person_ref: &str,
    code: Option<&str>,
) -> RosterEntry {
    RosterEntry {
        document_type: document_type.name().to_owned(),
        document_number: number.to_owned(),
        name: name.to_owned(),
        birth_date: birth.to_string(),
        sex: Some("male".to_owned()),
        nationality: nationality.to_owned(),
        expiry: "2099-12-31".to_owned(),
        person_ref: person_ref.to_owned(),
        enrollment_code: Some(code.map_or_else(
            || format!("CODE-{}", netid_crypto::random_token().unwrap()),
            str::to_owned,
        )),
        guardian_person_ref: None,
        guardian_person_refs: Vec::new(),
    }
}

/// A synthetic roster entry for a resident ID holder.
pub fn resident(
    address: &str,
    name: &str,
    birth: Date,
    person_ref: &str,
    code: Option<&str>,
) -> RosterEntry {
    roster_entry(
        DocumentType::ResidentId,
        &synthetic_resident_id(address, birth, false),
        name,
        birth,
        "CHN",
        person_ref,
        code,
    )
}

/// A synthetic document authority with its own SM2 key.
#[derive(Debug)]
pub struct Authority {
    /// Its name.
    pub name: String,
    key: SigningKey,
}

impl Authority {
    /// A new authority called `name` with a fresh key.
    pub fn generate(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            key: Suite::gm().generate_signing_key().unwrap(),
        }
    }

    /// Its public key as the API takes it.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::Pem(self.key.verifying_key().to_spki_pem().unwrap())
    }

    /// Signs a roster of `records`.
    pub fn sign(&self, records: Vec<RosterEntry>) -> SignedRoster {
        self.sign_issued(records, &today().to_string())
    }

    /// A signed request for the open corrections of this authority's people.
    pub fn corrections_request(&self) -> netid_proto::AuthorityCorrectionsRequest {
        let timestamp = now();
        let request_id = netid_crypto::random_token().unwrap();
        let message = signing::authority_corrections_message(&self.name, &request_id, timestamp);
        netid_proto::AuthorityCorrectionsRequest {
            authority: self.name.clone(),
            request_id,
            timestamp,
            signature: Base64UrlUnpadded::encode_string(
                &self.key.sign(&message).unwrap().to_fixed(),
            ),
        }
    }

    /// Signs a roster of `records` dated `issued_at` (`YYYY-MM-DD`).
    pub fn sign_issued(&self, records: Vec<RosterEntry>, issued_at: &str) -> SignedRoster {
        let payload = RosterPayload {
            authority: self.name.clone(),
            issued_at: issued_at.to_owned(),
            records,
        };
        let bytes = serde_json::to_vec(&payload).unwrap();
        let signature = self.key.sign(&bytes).unwrap();
        SignedRoster {
            alg: "SM2SM3".to_owned(),
            authority: self.name.clone(),
            payload: Base64UrlUnpadded::encode_string(&bytes),
            signature: Base64UrlUnpadded::encode_string(&signature.to_fixed()),
        }
    }
}

/// A synthetic holder wallet.
#[derive(Debug)]
pub struct Wallet {
    key: SigningKey,
    encoding: KeyForm,
    /// The time the wallet signs at; `None`: the system clock.
    signs_at: Option<i64>,
}

/// How a wallet sends its public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyForm {
    Pem,
    Jwk,
}

impl Wallet {
    /// A wallet with a fresh SM2 key.
    pub fn generate() -> Self {
        Self::generate_in(&Suite::gm())
    }

    /// A wallet with a fresh key of `suite`.
    pub fn generate_in(suite: &Suite) -> Self {
        Self {
            key: suite.generate_signing_key().unwrap(),
            encoding: KeyForm::Pem,
            signs_at: None,
        }
    }

    /// The same wallet, sending its public key as a JWK instead of SPKI PEM.
    pub fn with_jwk(self) -> Self {
        Self {
            encoding: KeyForm::Jwk,
            ..self
        }
    }

    /// Signs from now on as if it were `timestamp` (for a server with a fixed clock).
    pub fn sign_at(&mut self, timestamp: i64) {
        self.signs_at = Some(timestamp);
    }

    fn now(&self) -> i64 {
        self.signs_at.unwrap_or_else(now)
    }

    /// A guardian's signed request to delete the data of the child with `ward_net_id`.
    pub fn ward_deletion_request(&self, ward_net_id: &str) -> WardDeleteRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        WardDeleteRequest {
            ward_net_id: ward_net_id.to_owned(),
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
            signature: self.sign(&signing::ward_deletion_message(
                ward_net_id,
                &request_id,
                timestamp,
            )),
        }
    }

    /// Its public key as the API takes it.
    pub fn public_key(&self) -> PublicKey {
        match self.encoding {
            KeyForm::Pem => PublicKey::Pem(self.key.verifying_key().to_spki_pem().unwrap()),
            KeyForm::Jwk => {
                let jwk = self.key.verifying_key().to_jwk();
                PublicKey::Jwk(netid_proto::Jwk {
                    kty: jwk.kty,
                    crv: jwk.crv,
                    x: jwk.x,
                    y: jwk.y,
                })
            }
        }
    }

    fn sign(&self, message: &[u8]) -> String {
        Base64UrlUnpadded::encode_string(&self.key.sign(message).unwrap().to_fixed())
    }

    /// A signed enrollment request for `entry`'s document, name and code.
    pub fn enroll_request(&self, entry: &RosterEntry) -> EnrollRequest {
        self.enroll_request_with(
            &entry.document_type,
            &entry.document_number,
            &entry.name,
            entry.enrollment_code.as_deref(),
        )
    }

    /// A signed enrollment request for `entry` that accepts the notice of `notice_version`
    /// (none: accepts none), for a deployment whose notice is not the default one.
    pub fn enroll_request_under(
        &self,
        entry: &RosterEntry,
        notice_version: Option<&str>,
    ) -> EnrollRequest {
        self.signed_enrollment(
            [&entry.document_type, &entry.document_number, &entry.name],
            entry.enrollment_code.as_deref(),
            notice_version,
        )
    }

    /// A signed enrollment request with the given evidence, accepting the default notice.
    pub fn enroll_request_with(
        &self,
        document_type: &str,
        document_number: &str,
        name: &str,
        code: Option<&str>,
    ) -> EnrollRequest {
        self.signed_enrollment(
            [document_type, document_number, name],
            code,
            Some(netid_proto::NOTICE_TEXT_VERSION),
        )
    }

    fn signed_enrollment(
        &self,
        [document_type, document_number, name]: [&str; 3],
        code: Option<&str>,
        notice_version: Option<&str>,
    ) -> EnrollRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        let message = signing::enrollment_message(
            document_type,
            document_number,
            name,
            code,
            notice_version,
            &request_id,
            timestamp,
        );
        EnrollRequest {
            document_type: document_type.to_owned(),
            document_number: document_number.to_owned(),
            name: name.to_owned(),
            enrollment_code: code.map(str::to_owned),
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
            signature: self.sign(&message),
            guardian: None,
            notice_version: notice_version.map(str::to_owned),
        }
    }

    /// This wallet's consent, as a guardian, to the minor's `request`.
    pub fn guardian_consent(&self, request: &EnrollRequest) -> GuardianConsent {
        GuardianConsent {
            wallet_key: self.public_key(),
            signature: self.sign(&signing::guardian_consent_message(&request.signature)),
        }
    }

    /// A signed consent to give `client_id` each of `fields`, under `notice_version`.
    pub fn consent_request(
        &self,
        client_id: &str,
        fields: &[&str],
        notice_version: &str,
    ) -> ConsentRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        let fields: Vec<String> = fields.iter().map(|field| (*field).to_owned()).collect();
        ConsentRequest {
            signature: self.sign(&signing::consent_message(
                client_id,
                &fields,
                notice_version,
                &request_id,
                timestamp,
            )),
            client_id: client_id.to_owned(),
            fields,
            notice_version: notice_version.to_owned(),
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
            guardian: None,
        }
    }

    /// A signed answer to the OpenID Connect authorization request `request_uri` of
    /// `client_id`: approve or deny, with `consent` for plaintext fields when given.
    pub fn oidc_decision(
        &self,
        request_uri: &str,
        client_id: &str,
        approve: bool,
        consent: Option<ConsentRequest>,
    ) -> netid_proto::OidcDecision {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        netid_proto::OidcDecision {
            signature: self.sign(&signing::oidc_decision_message(
                request_uri,
                client_id,
                approve,
                &request_id,
                timestamp,
            )),
            request_uri: request_uri.to_owned(),
            approve,
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
            consent,
        }
    }

    /// A signed request for a one-time link to add a passkey in a browser.
    pub fn passkey_link_request(&self) -> netid_proto::PasskeyLinkRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        netid_proto::PasskeyLinkRequest {
            signature: self.sign(&signing::passkey_link_message(&request_id, timestamp)),
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
        }
    }

    /// A signed withdrawal of the consents to give `client_id` each of `fields`.
    pub fn withdrawal_request(&self, client_id: &str, fields: &[&str]) -> WithdrawConsentRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        let fields: Vec<String> = fields.iter().map(|field| (*field).to_owned()).collect();
        WithdrawConsentRequest {
            signature: self.sign(&signing::consent_withdrawal_message(
                client_id,
                &fields,
                &request_id,
                timestamp,
            )),
            client_id: client_id.to_owned(),
            fields,
            ward_net_id: None,
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
        }
    }

    /// A guardian's signed withdrawal of consents of the child with `ward_net_id`.
    pub fn ward_withdrawal_request(
        &self,
        ward_net_id: &str,
        client_id: &str,
        fields: &[&str],
    ) -> WithdrawConsentRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        let fields: Vec<String> = fields.iter().map(|field| (*field).to_owned()).collect();
        WithdrawConsentRequest {
            signature: self.sign(&signing::ward_consent_withdrawal_message(
                ward_net_id,
                client_id,
                &fields,
                &request_id,
                timestamp,
            )),
            client_id: client_id.to_owned(),
            fields,
            ward_net_id: Some(ward_net_id.to_owned()),
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
        }
    }

    /// A signed request to delete this holder's data.
    pub fn deletion_request(&self) -> DeleteRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        DeleteRequest {
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
            signature: self.sign(&signing::deletion_message(&request_id, timestamp)),
            guardian: None,
        }
    }

    /// A signed request for an OpenID4VCI credential offer.
    pub fn credential_offer_request(&self) -> netid_proto::CredentialOfferRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        netid_proto::CredentialOfferRequest {
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
            signature: self.sign(&signing::credential_offer_message(&request_id, timestamp)),
        }
    }

    /// A signed request to read the record the service holds about this holder.
    pub fn record_request(&self) -> netid_proto::HolderRecordRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        netid_proto::HolderRecordRequest {
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
            signature: self.sign(&signing::holder_record_message(&request_id, timestamp)),
        }
    }

    /// A guardian's signed approval of the platform `client_id` for the child `ward_net_id`.
    pub fn ward_platform_request(
        &self,
        ward_net_id: &str,
        client_id: &str,
    ) -> netid_proto::WardPlatformRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        netid_proto::WardPlatformRequest {
            ward_net_id: ward_net_id.to_owned(),
            client_id: client_id.to_owned(),
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
            signature: self.sign(&signing::ward_platform_message(
                ward_net_id,
                client_id,
                &request_id,
                timestamp,
            )),
        }
    }

    /// A signed request to be told of each use through `subscription`.
    pub fn push_request(
        &self,
        subscription: netid_proto::PushSubscription,
    ) -> netid_proto::PushSubscribeRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        let message = signing::push_subscription_message(
            &subscription.endpoint,
            &subscription.keys.p256dh,
            &subscription.keys.auth,
            &request_id,
            timestamp,
        );
        netid_proto::PushSubscribeRequest {
            subscription,
            wallet_key: self.public_key(),
            request_id,
            timestamp,
            signature: self.sign(&message),
        }
    }

    /// A signed request for a correction of this holder's record, saying `message`.
    pub fn correction_request(&self, message: &str) -> netid_proto::CorrectionRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        netid_proto::CorrectionRequest {
            message: message.to_owned(),
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
            signature: self.sign(&signing::correction_message(
                message,
                &request_id,
                timestamp,
            )),
        }
    }

    /// A signed complaint about `client_id`.
    pub fn complaint_request(
        &self,
        client_id: &str,
        category: netid_proto::ComplaintCategory,
        text: &str,
    ) -> netid_proto::ComplaintRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        netid_proto::ComplaintRequest {
            client_id: client_id.to_owned(),
            category,
            text: text.to_owned(),
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
            signature: self.sign(&signing::complaint_message(
                client_id,
                category.as_str(),
                text,
                &request_id,
                timestamp,
            )),
        }
    }

    /// A signed acceptance of the notice of `notice_version`.
    pub fn notice_request(&self, notice_version: &str) -> netid_proto::NoticeAcceptRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        netid_proto::NoticeAcceptRequest {
            notice_version: notice_version.to_owned(),
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
            signature: self.sign(&signing::notice_acceptance_message(
                notice_version,
                &request_id,
                timestamp,
            )),
        }
    }

    /// A signed request to lock (`locked`) or unlock this holder's Net ID.
    pub fn lock_request(&self, locked: bool) -> netid_proto::LockRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        netid_proto::LockRequest {
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
            signature: self.sign(&signing::lock_message(locked, &request_id, timestamp)),
        }
    }

    /// This guardian's approval of the deletion `request` of their ward.
    pub fn deletion_consent(&self, request: &DeleteRequest) -> GuardianConsent {
        self.guardian_approval("deletion", &request.signature)
    }

    /// This guardian's approval of the act `act` (`deletion`, `consent`) that their ward
    /// signed with `ward_signature`.
    pub fn guardian_approval(&self, act: &str, ward_signature: &str) -> GuardianConsent {
        GuardianConsent {
            wallet_key: self.public_key(),
            signature: self.sign(&signing::guardian_approval_message(act, ward_signature)),
        }
    }

    /// A signed request for a signing certificate for the PKCS#10 request `csr` (DER).
    pub fn certificate_request(&self, csr: &[u8]) -> HolderCertificateRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        let csr = Base64UrlUnpadded::encode_string(csr);
        HolderCertificateRequest {
            signature: self.sign(&signing::certificate_request_message(
                &csr,
                &request_id,
                timestamp,
            )),
            csr,
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
        }
    }

    /// A signed request for one Net Certificate per key of `holder_keys`.
    pub fn net_certificate_request(
        &self,
        holder_keys: &[netid_crypto::SigningKey],
    ) -> NetCertificateRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        let jwks: Vec<netid_crypto::Jwk> = holder_keys
            .iter()
            .map(|key| key.verifying_key().to_jwk())
            .collect();
        let thumbprints: Vec<String> = jwks.iter().map(netid_sdjwt::thumbprint).collect();
        NetCertificateRequest {
            holder_keys: jwks
                .into_iter()
                .map(|jwk| Jwk {
                    kty: jwk.kty,
                    crv: jwk.crv,
                    x: jwk.x,
                    y: jwk.y,
                })
                .collect(),
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
            signature: self.sign(&signing::net_certificate_request_message(
                &thumbprints,
                &request_id,
                timestamp,
            )),
        }
    }

    /// A signed request to renew the certificate `serial` (hex).
    pub fn renewal_request(&self, serial: &str) -> RenewCertificateRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        RenewCertificateRequest {
            serial: serial.to_owned(),
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
            signature: self.sign(&signing::certificate_renewal_message(
                serial,
                &request_id,
                timestamp,
            )),
        }
    }

    /// A signed request to revoke the certificate `serial` (hex) for `reason`.
    pub fn revocation_request(
        &self,
        serial: &str,
        reason: Option<&str>,
    ) -> RevokeCertificateRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        RevokeCertificateRequest {
            serial: serial.to_owned(),
            reason: reason.map(str::to_owned),
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
            signature: self.sign(&signing::certificate_revocation_message(
                serial,
                reason,
                &request_id,
                timestamp,
            )),
        }
    }

    /// A signed request for this holder's own log entries.
    pub fn log_request(&self) -> HolderLogRequest {
        let timestamp = self.now();
        let request_id = netid_crypto::random_token().unwrap();
        HolderLogRequest {
            wallet_key: self.public_key(),
            request_id: request_id.clone(),
            timestamp,
            signature: self.sign(&signing::holder_log_message(&request_id, timestamp)),
        }
    }

    /// A presentation to the platform `client_id` for `nonce` and `predicates`, sealed to the
    /// service's presentation key `service_key` (see [`presentation_key`]).
    pub fn present(
        &self,
        service_key: &netid_crypto::VerifyingKey,
        client_id: &str,
        nonce: &str,
        predicates: &[Predicate],
    ) -> Presentation {
        let timestamp = self.now();
        let message = signing::presentation_message(client_id, nonce, predicates, timestamp);
        let sealed = netid_proto::SealedPresentation {
            wallet_key: self.public_key(),
            signature: self.sign(&message),
        };
        let ciphertext = service_key
            .sm2_encrypt(&serde_json::to_vec(&sealed).unwrap())
            .unwrap();
        Presentation {
            nonce: nonce.to_owned(),
            predicates: predicates.to_vec(),
            timestamp,
            sealed: Base64UrlUnpadded::encode_string(&ciphertext),
        }
    }
}

/// The twin `(r, n - s)` of a base64url P-256 signature `r || s`: it verifies for the same key
/// and message, as an attacker who captured the original can make it.
pub fn p256_signature_twin(signature: &str) -> String {
    let fixed = Base64UrlUnpadded::decode_vec(signature).unwrap();
    let parsed = p256::ecdsa::Signature::from_slice(&fixed).unwrap();
    let (r, s) = parsed.split_scalars();
    let twin = p256::ecdsa::Signature::from_scalars(r.to_bytes(), (-s).to_bytes()).unwrap();
    Base64UrlUnpadded::encode_string(&twin.to_bytes())
}

/// The key the service at `base_url` has presentations sealed to (`GET /v1/presentation-key`).
pub async fn presentation_key(base_url: &str) -> netid_crypto::VerifyingKey {
    let key: netid_proto::PresentationKey = reqwest::get(format!("{base_url}/v1/presentation-key"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Suite::gm()
        .verifying_key_from_spki_pem(&key.public_key)
        .unwrap()
}
