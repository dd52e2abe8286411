//! netid in a real browser (Debian's Chromium, driven by Playwright, scripts in
//! `tests/oidc/node`), with a sample platform: the consent screen answered with the wallet,
//! and the holder web app with a passkey (a WebAuthn virtual authenticator). Screenshots of
//! each page, in Chinese and English, are saved under `target/screenshots/`.

use netid_proto::{Predicate, RegisterPlatformResponse};
use netid_testkit::Wallet;
use netid_testkit::oidc::{RelyingParty, query};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use crate::client::{Client, World};

const NODE_PROJECT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc/node");
const SCREENSHOTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/screenshots");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A world whose netid is reached at `http://localhost:PORT`, which it returns: WebAuthn wants
/// a domain, not an IP address.
async fn world_at_localhost() -> (World, String) {
    let port = free_port();
    let issuer = format!("http://localhost:{port}");
    let listen = format!("127.0.0.1:{port}");
    let world = World::with_env(&[("NETID_LISTEN", &listen), ("NETID_PUBLIC_URL", &issuer)]).await;
    (world, issuer)
}

/// A platform named `name`, granted `fields`, with its relying party's client settings for a
/// callback on a free loopback port (which it returns, for the sample platform to listen on).
async fn sample_platform(
    client: &Client,
    name: &str,
    fields: &[&str],
) -> (RegisterPlatformResponse, RelyingParty, u16) {
    let platform = client.register_platform(name).await;
    crate::grants::grant(client, &platform, fields).await;
    let port = free_port();
    let rp = RelyingParty::register_with_redirect(
        &client.base_url,
        &platform.client_id,
        &platform.credential,
        &format!("http://127.0.0.1:{port}/callback"),
    )
    .await;
    (platform, rp, port)
}

/// Checks that axe-core audited at least `pages` of netid's pages in a script's `event` and
/// found no WCAG 2.1 A or AA failure on any.
fn assert_accessible(event: &Value, pages: usize) {
    assert!(
        event["audited"].as_array().unwrap().len() >= pages,
        "{event}"
    );
    assert_eq!(event["accessibility"], json!([]), "{event}");
}

/// A browser script running, and its line-by-line channel.
struct Browser {
    child: tokio::process::Child,
    stdin: Option<tokio::process::ChildStdin>,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Browser {
    /// Starts `script` with the platform `rp` (on `port`) of the netid at `issuer`.
    fn start(
        script: &str,
        rp: &RelyingParty,
        issuer: &str,
        port: u16,
        env: &[(&str, &str)],
    ) -> Self {
        let mut private = serde_json::from_str::<Value>(&rp.key.to_jwk_json().unwrap()).unwrap();
        private["kid"] = Value::from("rp-key-1");
        let (client_id, private, port) = (rp.client_id(), private.to_string(), port.to_string());
        let mut all = vec![
            ("RP_CLIENT_ID", client_id),
            ("RP_PRIVATE_JWK", private.as_str()),
            ("RP_PORT", port.as_str()),
        ];
        all.extend_from_slice(env);
        Self::spawn(script, issuer, &all)
    }

    /// Starts `script` against the netid (or the listener) at `issuer`, with `env` besides.
    fn spawn(script: &str, issuer: &str, env: &[(&str, &str)]) -> Self {
        let chromium =
            std::env::var("NETID_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        assert!(
            std::path::Path::new(&chromium).exists(),
            "no Chromium at {chromium}: install Debian's chromium (scripts/test does)"
        );
        assert!(
            std::path::Path::new(&format!("{NODE_PROJECT}/node_modules/playwright-core")).is_dir(),
            "playwright-core is not installed: run `npm ci` in {NODE_PROJECT} (scripts/test does)"
        );
        std::fs::create_dir_all(SCREENSHOTS).unwrap();
        let mut child = Command::new("node")
            .arg(format!("{NODE_PROJECT}/{script}"))
            .env("NETID_ISSUER", issuer)
            .env("SCREENSHOTS", SCREENSHOTS)
            .env("CHROMIUM", &chromium)
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        Self {
            stdin: child.stdin.take(),
            lines: BufReader::new(child.stdout.take().unwrap()).lines(),
            child,
        }
    }

    /// The script's next event.
    async fn next_event(&mut self) -> Value {
        let line = tokio::time::timeout(std::time::Duration::from_secs(90), self.lines.next_line())
            .await
            .expect("the browser went on within 90 seconds")
            .unwrap()
            .expect("the browser script stopped early (see its stderr above)");
        serde_json::from_str(&line).unwrap()
    }

    /// Tells the script the test has done its part.
    async fn tell(&mut self, what: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin
            .write_all(format!("{what}\n").as_bytes())
            .await
            .unwrap();
        stdin.flush().await.unwrap();
    }

    /// Waits for the script to end well, and checks that it saved each of `screenshots`.
    async fn finish(mut self, screenshots: &[&str]) {
        drop(self.stdin.take());
        let status = tokio::time::timeout(std::time::Duration::from_secs(30), self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success());
        for shot in screenshots {
            assert!(
                std::path::Path::new(&format!("{SCREENSHOTS}/{shot}.png")).is_file(),
                "{shot}"
            );
        }
    }
}

#[tokio::test]
async fn a_holder_signs_in_at_a_platform_in_a_real_browser_and_withdraws_consent() {
    let world = World::new().await;
    let client = &world.client;
    let (platform, rp, port) =
        sample_platform(client, "浏览器示例平台 Browser Sample", &["name"]).await;
    let wallet = Wallet::generate();
    let enrolled = client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;

    let mut browser = Browser::start("browser.mjs", &rp, &client.base_url, port, &[]);
    // The consent screen, in both languages, from the platform's redirect.
    let screen = browser.next_event().await;
    assert_eq!(screen["event"], "consent_screen");
    assert_eq!(
        screen["zh_heading"],
        "浏览器示例平台 Browser Sample 请求核验您的身份"
    );
    assert_eq!(
        screen["en_heading"],
        "浏览器示例平台 Browser Sample asks to verify your identity"
    );
    let asked = query(screen["url"].as_str().unwrap());
    assert_eq!(asked["client_id"], platform.client_id);

    // The holder answers with their wallet, giving the name, and continues in the browser.
    let notice: netid_proto::Notice = client.get("/v1/notice").await.json();
    let consent = wallet.consent_request(&platform.client_id, &["name"], &notice.version);
    crate::oidc::decide(
        client,
        &wallet.oidc_decision(
            &asked["request_uri"],
            &platform.client_id,
            true,
            Some(consent),
        ),
    )
    .await;
    browser.tell("answered").await;
    let signed_in = browser.next_event().await;
    assert_eq!(signed_in["event"], "signed_in");
    let claims = &signed_in["claims"];
    let verified = client
        .verify_ok(
            &platform,
            &wallet,
            "browser-nonce-0123456789",
            &[Predicate::AgeOver18],
        )
        .await;
    assert_eq!(claims["sub"], verified.subject);
    assert_eq!(claims["name"], world.people.adult.name);
    assert_eq!(claims["age_over_18"], true);
    let bare: String = enrolled
        .net_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let seen: String = claims
        .to_string()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    assert!(!seen.contains(&bare));
    let kinds = client.log_kinds(&wallet).await;
    assert!(
        kinds.contains(&netid_log::EntryKind::Disclosure),
        "{kinds:?}"
    );

    // The holder withdraws; the platform's next request gets no name.
    let withdrawn = client
        .post(
            "/v1/holders/consents/withdraw",
            None,
            &wallet.withdrawal_request(&platform.client_id, &["name"]),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.body);
    browser.tell("withdrawn").await;
    let profile = browser.next_event().await;
    assert_eq!(profile["event"], "profile");
    assert_eq!(profile["claims"]["sub"], verified.subject);
    assert!(profile["claims"].get("name").is_none(), "{profile}");
    assert_accessible(&profile, 2);
    browser
        .finish(&[
            "consent-zh",
            "consent-en",
            "platform-signed-in",
            "platform-after-withdrawal",
        ])
        .await;
}

#[tokio::test]
async fn a_holder_uses_the_web_app_with_a_passkey_from_link_to_deletion() {
    let (world, issuer) = world_at_localhost().await;
    let client = &world.client;
    let (platform, rp, port) =
        sample_platform(client, "网页示例平台 Web Sample", &["name", "birth_date"]).await;
    let wallet = Wallet::generate();
    let enrolled = client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let request = wallet.passkey_link_request();
    let link: netid_proto::PasskeyLinkResponse = client
        .post("/v1/holders/passkeys/link", None, &request)
        .await
        .json();
    assert!(
        link.url.starts_with(&format!("{issuer}/app/#link=")),
        "{}",
        link.url
    );
    // A captured signed request makes no second link.
    client
        .post("/v1/holders/passkeys/link", None, &request)
        .await
        .problem(StatusCode::CONFLICT, "request_replayed");

    // The platform polls for signals (issue 25): the holder's deletion is told to it.
    let stream = client
        .send(
            client
                .http
                .post(client.url("/ssf/streams"))
                .header(reqwest::header::AUTHORIZATION, crate::client::basic(&platform))
                .json(&serde_json::json!({
                    "delivery": {"method": "urn:ietf:rfc:8936"},
                    "events_requested": ["https://schemas.openid.net/secevent/risc/event-type/account-purged"],
                })),
        )
        .await;
    assert_eq!(stream.status, StatusCode::CREATED, "{}", stream.body);

    let mut browser = Browser::start("webapp.mjs", &rp, &issuer, port, &[("LINK_URL", &link.url)]);
    let home = browser.next_event().await;
    assert_eq!(home["event"], "home");
    assert_eq!(home["net_id"], enrolled.net_id);

    // Issue 26: the offer the page shows takes Net Certificates into a wallet app written
    // apart (its QR code drawn in the page).
    let offered = browser.next_event().await;
    assert_eq!(offered["event"], "offer", "{offered}");
    assert!(offered["qr_modules"].as_u64().unwrap() > 100, "{offered}");
    let taken = crate::vci::node_wallet(
        offered["offer_uri"].as_str().unwrap(),
        offered["tx_code"].as_str().unwrap(),
    )
    .await;
    assert_eq!(taken["credentials"].as_array().unwrap().len(), 2, "{taken}");

    let signed_in = browser.next_event().await;
    assert_eq!(signed_in["event"], "signed_in");
    let claims = &signed_in["claims"];
    let verified = client
        .verify_ok(
            &platform,
            &wallet,
            "webapp-nonce-0123456789",
            &[Predicate::AgeOver18],
        )
        .await;
    assert_eq!(claims["sub"], verified.subject);
    // The name was ticked; the birth date, granted too, was not.
    assert_eq!(claims["name"], world.people.adult.name);
    assert!(claims.get("birthdate").is_none(), "{claims}");

    let history = browser.next_event().await;
    assert_eq!(history["event"], "history");
    let kinds: Vec<&str> = history["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kind| kind.as_str().unwrap())
        .collect();
    for kind in ["enrollment", "consent_given", "verification", "disclosure"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    // Each entry's proof and tag were checked in the page; a proof or checkpoint altered on
    // the way was caught.
    let proofs = history["proofs"].as_array().unwrap();
    assert_eq!(proofs.len(), kinds.len());
    assert!(proofs.iter().all(|proof| proof == "verified"), "{history}");
    // The centre says how long it keeps each use linked to the holder, in both languages,
    // and marks each use it will forget (issue 24); not the holder's own acts.
    assert!(
        history["retention"]["en"]
            .as_str()
            .unwrap()
            .contains("for 180 days only"),
        "{history}"
    );
    assert!(
        history["retention"]["zh"]
            .as_str()
            .unwrap()
            .contains("只在 180 天内"),
        "{history}"
    );
    let mut kept: Vec<&str> = history["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kind| kind.as_str().unwrap())
        .collect();
    kept.sort_unstable();
    kept.dedup();
    assert_eq!(kept, ["disclosure", "verification"], "{history}");
    assert_eq!(history["tampered"]["proof"], "not_included", "{history}");
    assert_eq!(
        history["tampered"]["checkpoint"], "bad_signature",
        "{history}"
    );

    let profile = browser.next_event().await;
    assert_eq!(profile["event"], "profile");
    assert!(profile["claims"].get("name").is_none(), "{profile}");
    let kinds = client.log_kinds(&wallet).await;
    assert!(
        kinds.contains(&netid_log::EntryKind::ConsentWithdrawn),
        "{kinds:?}"
    );

    // Issue 20: adding and removing a passkey are in the history and the log; the web app
    // lists the passkey and this sign-in, each removable.
    let security = browser.next_event().await;
    assert_eq!(security["event"], "security", "{security}");
    // Two sign-ins (this page's and one made as from another device), then the other ended.
    assert_eq!(
        (
            security["passkeys"].as_u64(),
            security["sessions_before"].as_u64(),
            security["sessions"].as_u64()
        ),
        (Some(1), Some(2), Some(1)),
        "{security}"
    );
    let kinds: Vec<&str> = security["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kind| kind.as_str().unwrap())
        .collect();
    for kind in ["passkey_added", "passkey_removed"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let logged = client.log_kinds(&wallet).await;
    assert!(
        logged.contains(&netid_log::EntryKind::PasskeyRemoved),
        "{logged:?}"
    );

    // Issue 24: the holder locks and unlocks their Net ID; both are in their history.
    let lock = browser.next_event().await;
    assert_eq!(lock["event"], "lock", "{lock}");
    let kinds: Vec<&str> = lock["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kind| kind.as_str().unwrap())
        .collect();
    for kind in ["net_id_locked", "net_id_unlocked"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    // The record the service holds was shown to the holder (issue 24).
    let shown = lock["record"].as_str().unwrap();
    assert!(
        shown.contains("测试甲") && shown.contains("Birth date"),
        "{shown}"
    );
    // The correction asked for in the page reached the authority.
    let correction = lock["correction"].as_str().unwrap();
    assert!(
        correction.starts_with("Correction cr-") && correction.ends_with("open"),
        "{correction}"
    );
    let open: Vec<netid_proto::OpenCorrection> = client
        .post(
            "/v1/authority/corrections",
            None,
            &world.authority.corrections_request(),
        )
        .await
        .json();
    assert_eq!(
        open.iter().map(|c| c.message.as_str()).collect::<Vec<_>>(),
        ["My name is written wrongly (synthetic)"]
    );

    // Issue 25: a complaint sent from the platform's profile page reached the operator, with
    // the holder's words and without who they are.
    assert_eq!(lock["commitments"], "false", "{lock}");
    let reference = lock["complaint"].as_str().unwrap();
    let complaints = client
        .send(
            client
                .http
                .get(client.url("/v1/operator/complaints"))
                .header(
                    reqwest::header::AUTHORIZATION,
                    client.as_operator(netid_proto::OperatorRole::SystemAdministrator, 0),
                ),
        )
        .await
        .json::<netid_proto::OperatorComplaints>();
    let filed = complaints
        .complaints
        .iter()
        .find(|complaint| complaint.complaint.reference == reference)
        .unwrap();
    assert_eq!(
        filed.text.as_deref(),
        Some("It asked me for a photo of my ID card after the check (synthetic)")
    );

    let deleted = browser.next_event().await;
    assert_eq!(deleted["event"], "deleted");
    assert_eq!(deleted["signed_in_after"], false);
    assert_accessible(&deleted, 20);
    // The page gave the reference of the platform's signal, to read its receipt by later.
    let reference = deleted["references"][0].as_str().unwrap();
    let told: netid_proto::ReceiptView = client
        .get(&format!("/v1/transparency/receipts/{reference}"))
        .await
        .json();
    assert_eq!(
        (told.client_id.as_str(), told.event),
        (
            platform.client_id.as_str(),
            netid_proto::ReceiptEvent::AccountPurged
        )
    );
    // The holder is gone for the platform too.
    client
        .verify(&platform, &wallet, "webapp-nonce-after-deletion", &[])
        .await
        .problem(StatusCode::FORBIDDEN, "presentation_rejected");
    browser
        .finish(&[
            "webapp-link-zh",
            "webapp-link-en",
            "webapp-home-zh",
            "webapp-home-en",
            "webapp-sign-in-zh",
            "webapp-offer-en",
            "consent-signed-in-zh",
            "consent-signed-in-en",
            "webapp-history-en",
            "webapp-history-zh",
            "webapp-history-tampered-proof-en",
            "webapp-history-tampered-checkpoint-en",
            "webapp-notice-en",
            "webapp-consent-withdrawn-en",
            "webapp-profile-en",
            "webapp-profile-zh",
            "webapp-locked-en",
            "webapp-locked-zh",
            "webapp-delete-en",
            "webapp-delete-zh",
        ])
        .await;
}

#[tokio::test]
async fn a_newcomer_enrols_from_the_web_app_alone_and_signs_in_at_a_platform() {
    let (world, issuer) = world_at_localhost().await;
    let client = &world.client;
    let (_, rp, port) = sample_platform(client, "新用户示例平台 Newcomer Sample", &["name"]).await;
    // 测试乙 has a document on the authority's roster, and no Net ID yet.
    let person = &world.people.guardian;
    let mut browser = Browser::start(
        "enroll.mjs",
        &rp,
        &issuer,
        port,
        &[
            ("DOCUMENT_TYPE", &person.document_type),
            ("DOCUMENT_NUMBER", &person.document_number),
            ("NAME", &person.name),
            ("CODE", person.enrollment_code.as_deref().unwrap()),
        ],
    );
    let home = browser.next_event().await;
    assert_eq!(home["event"], "home");
    let net_id = home["net_id"].as_str().unwrap();
    // A Net ID, grouped in fours, as the wallet shows it.
    assert!(
        net_id.len() > 8 && net_id.split('-').all(|group| group.len() <= 4),
        "{net_id}"
    );
    let signed_in = browser.next_event().await;
    assert_eq!(signed_in["event"], "signed_in");
    let claims = &signed_in["claims"];
    assert_eq!(claims["real_name_verified"], true);
    assert_eq!(claims["sub"].as_str().unwrap().len(), 64);
    // Granted but not ticked: no name; and never the Net ID.
    assert!(claims.get("name").is_none(), "{claims}");
    let bare: String = net_id.chars().filter(char::is_ascii_alphanumeric).collect();
    let seen: String = claims
        .to_string()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    assert!(!seen.contains(&bare));
    assert_accessible(&signed_in, 4);
    browser
        .finish(&[
            "webapp-enroll-zh",
            "webapp-enroll-en",
            "webapp-enrolled-home-en",
        ])
        .await;
}

#[tokio::test]
async fn a_guardian_sees_their_wards_history_checked_in_the_web_app() {
    let (world, issuer) = world_at_localhost().await;
    let client = &world.client;
    let (platform, rp, port) =
        sample_platform(client, "监护示例平台 Guardian Sample", &["name"]).await;
    let (guardian, child, enrolled) = world.enroll_child().await;
    client
        .approve_platform(&guardian, &enrolled.net_id, &platform.client_id)
        .await;
    client
        .verify_ok(&platform, &child, "guardian-view-nonce-01", &[])
        .await;
    let link: netid_proto::PasskeyLinkResponse = client
        .post(
            "/v1/holders/passkeys/link",
            None,
            &guardian.passkey_link_request(),
        )
        .await
        .json();

    let second = client.register_platform("第二个平台 Second").await;
    client
        .verify(&second, &child, "guardian-view-nonce-02", &[])
        .await
        .problem(StatusCode::FORBIDDEN, "guardian_approval_required");
    let mut browser = Browser::start(
        "guardian.mjs",
        &rp,
        &issuer,
        port,
        &[
            ("LINK_URL", &link.url),
            ("SECOND_CLIENT_ID", &second.client_id),
        ],
    );
    let history = browser.next_event().await;
    assert_eq!(history["event"], "history");
    // The guardian's own entries, and their ward's: the child's enrollment and its
    // verification at the platform, which the page names. Every entry checked in the page.
    let kinds = |entries: &Value| -> Vec<(String, String)> {
        serde_json::from_value(entries.clone()).unwrap()
    };
    let own = kinds(&history["own"]);
    assert!(
        own.iter().any(|(kind, _)| kind == "enrollment"),
        "{history}"
    );
    let wards = history["wards"].as_array().unwrap();
    assert_eq!(wards.len(), 1, "{history}");
    let ward = kinds(&wards[0]["entries"]);
    let ward_kinds: Vec<&str> = ward.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(
        ward_kinds,
        ["enrollment", "platform_approved", "verification"],
        "{history}"
    );
    assert!(
        own.iter()
            .chain(&ward)
            .all(|(_, proof)| proof == "verified"),
        "{history}"
    );
    let platforms = wards[0]["platforms"].as_array().unwrap();
    assert_eq!(platforms.len(), 1, "{history}");
    assert!(
        platforms[0]
            .as_str()
            .unwrap()
            .starts_with(&platform.client_id),
        "{history}"
    );
    assert_accessible(&history, 2);
    // Approved in the page: the child is verified at the second platform now.
    let approved = browser.next_event().await;
    assert_eq!(approved["event"], "approved");
    assert_eq!(
        approved["approved"],
        serde_json::json!([platform.client_id, second.client_id])
    );
    browser
        .finish(&["webapp-guardian-history-zh", "webapp-guardian-history-en"])
        .await;
    client
        .verify_ok(&second, &child, "guardian-view-nonce-03", &[])
        .await;
}

/// The operator console in Chromium: a second data-protection officer signs in with their own
/// key file, adds a passkey with the code a security administrator gave, is told to confirm
/// with it before approving, confirms, approves the read the first asked for, and is refused
/// the security events (an auditor's); the pages pass axe-core in both languages.
#[tokio::test]
async fn a_second_officer_approves_a_read_in_the_operator_console() {
    let world = World::new().await;
    let client = &world.client;
    let dpo = netid_proto::OperatorRole::DataProtectionOfficer;
    let wallet = Wallet::generate();
    let enrolled = client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let request = netid_proto::OperatorReadRequest {
        net_id: Some(enrolled.net_id),
        platform_subject: None,
        certificate_serial: None,
        history: None,
        fields: vec!["name".to_owned()],
        basis_kind: netid_proto::LegalBasisKind::CourtOrder,
        legal_basis: "Synthetic Civil Procedure Act, art. 1 (test)".to_owned(),
        reference: "CONSOLE-0001".to_owned(),
        defer_notice: None,
    };
    let asked = client
        .post(
            "/v1/operator/holders/read",
            Some(&client.as_operator(dpo, 0)),
            &request,
        )
        .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);
    let asked: netid_proto::ActPending = asked.json();
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("officer.pem");
    let second = client.team(dpo, 1);
    std::fs::write(&key_file, second.key.to_pkcs8_pem().unwrap().as_bytes()).unwrap();
    let code = client
        .post(
            &format!("/v1/operator/operators/{}/passkey-code", second.id),
            Some(&client.as_operator(netid_proto::OperatorRole::SecurityAdministrator, 0)),
            &json!({}),
        )
        .await;
    assert_eq!(code.status, StatusCode::OK, "{}", code.body);
    let code = code.json::<serde_json::Value>()["code"]
        .as_str()
        .unwrap()
        .to_owned();

    // Passkeys take a name, not an IP address, as their relying party.
    let console = client.admin_url.replace("127.0.0.1", "localhost");
    let mut browser = Browser::spawn(
        "console.mjs",
        &console,
        &[
            ("CONSOLE_KEY_FILE", key_file.to_str().unwrap()),
            ("CONSOLE_PASSKEY_CODE", &code),
        ],
    );
    let signed_in = browser.next_event().await;
    assert_eq!(signed_in["operator_id"], second.id.as_str(), "{signed_in}");
    assert_eq!(signed_in["role"], "数据保护官", "{signed_in}");
    let added = browser.next_event().await;
    assert_eq!(added["status"], "通行密钥已添加。", "{added}");
    let refused = browser.next_event().await;
    assert_eq!(refused["code"], "second_factor_required", "{refused}");
    let approved = browser.next_event().await;
    assert_eq!(
        approved["request_id"],
        asked.request_id.as_str(),
        "{approved}"
    );
    // The service agrees: approved by the second officer, and the first carries it out.
    let read = client
        .post(
            &format!("/v1/operator/acts/{}/carry-out", asked.request_id),
            Some(&client.as_operator(dpo, 0)),
            &json!({}),
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    let events = browser.next_event().await;
    assert_eq!(events["refused"], "wrong_role", "{events}");
    assert_accessible(&events, 4);
    browser
        .finish(&[
            "console-sign-in-zh",
            "console-passkey-zh",
            "console-queue-zh",
            "console-events-en",
            "console-queue-en",
        ])
        .await;
}

/// The operator console's complaints and platforms pages in Chromium: a system administrator
/// reads a holder's complaint (the words, not who wrote them) and upholds it, asks to suspend
/// the platform with a public reason, a second approves (here through the API), the first
/// carries it out from the queue and the page shows it suspended; the platform is then
/// refused, and the holder reads the answer; the pages pass axe-core in both languages.
#[tokio::test]
async fn a_system_administrator_upholds_a_complaint_and_suspends_the_platform_in_the_console() {
    let world = World::new().await;
    let client = &world.client;
    let sysadmin = netid_proto::OperatorRole::SystemAdministrator;
    let platform = client.register_platform("console-platform").await;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let words = "它在核验后要我上传身份证照片（合成测试）";
    let filed = client
        .post(
            "/v1/holders/complaints",
            None,
            &wallet.complaint_request(
                &platform.client_id,
                netid_proto::ComplaintCategory::ExtraPlaintext,
                words,
            ),
        )
        .await;
    assert_eq!(filed.status, StatusCode::OK, "{}", filed.body);
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("sysadmin.pem");
    std::fs::write(
        &key_file,
        client
            .team(sysadmin, 0)
            .key
            .to_pkcs8_pem()
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let console = client.admin_url.replace("127.0.0.1", "localhost");
    let mut browser = Browser::spawn(
        "console-platforms.mjs",
        &console,
        &[
            ("CONSOLE_KEY_FILE", key_file.to_str().unwrap()),
            ("CONSOLE_PLATFORM", &platform.client_id),
        ],
    );
    let upheld = browser.next_event().await;
    assert_eq!(upheld["text"], words, "{upheld}");
    let asked = browser.next_event().await;
    let request_id = asked["request_id"].as_str().unwrap().to_owned();
    let approved = client
        .post(
            &format!("/v1/operator/acts/{request_id}/approve"),
            Some(&client.as_operator(sysadmin, 1)),
            &json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    browser.tell("approved").await;
    let suspended = browser.next_event().await;
    assert_eq!(suspended["standing"]["status"], "suspended", "{suspended}");
    assert_accessible(&suspended, 3);
    browser
        .finish(&[
            "console-complaints-zh",
            "console-platforms-zh",
            "console-platforms-en",
        ])
        .await;
    let record: netid_proto::HolderRecord = client
        .post("/v1/holders/record", None, &wallet.record_request())
        .await
        .json();
    assert_eq!(
        (record.complaints[0].status, record.complaints[0].action),
        (
            netid_proto::ComplaintStatus::Upheld,
            Some(netid_proto::ComplaintAction::Suspension)
        )
    );
    client
        .verify(&platform, &wallet, "console-suspend-nonce-1", &[])
        .await
        .problem(StatusCode::FORBIDDEN, "platform_suspended");
}
