//! The OpenID Connect flow in a real browser (Debian's Chromium, driven by Playwright): a
//! holder signs in at a sample platform, reads netid's consent screen in Chinese and English,
//! answers with their wallet, continues with the keyboard, and the platform shows the pairwise
//! `sub` and the one field the holder consented to; after the holder withdraws that consent,
//! the platform's next request no longer gets it. Screenshots of each page are saved under
//! `target/screenshots/`.

use netid_proto::Predicate;
use netid_testkit::Wallet;
use netid_testkit::oidc::{RelyingParty, query};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use crate::client::World;

const NODE_PROJECT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc/node");

#[tokio::test]
async fn a_holder_signs_in_at_a_platform_in_a_real_browser_and_withdraws_consent() {
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
    let world = World::new().await;
    let client = &world.client;
    let platform = client
        .register_platform("浏览器示例平台 Browser Sample")
        .await;
    crate::grants::grant(client, &platform, &["name"]).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let rp = RelyingParty::register_with_redirect(
        &client.base_url,
        &platform.client_id,
        &platform.credential,
        &format!("http://127.0.0.1:{port}/callback"),
    )
    .await;
    let wallet = Wallet::generate();
    let enrolled = client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let screenshots = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/screenshots");
    std::fs::create_dir_all(screenshots).unwrap();

    let mut private = serde_json::from_str::<Value>(&rp.key.to_jwk_json()).unwrap();
    private["kid"] = Value::from("rp-key-1");
    let mut child = Command::new("node")
        .arg(format!("{NODE_PROJECT}/browser.mjs"))
        .env("NETID_ISSUER", &client.base_url)
        .env("RP_CLIENT_ID", &platform.client_id)
        .env("RP_PRIVATE_JWK", private.to_string())
        .env("RP_PORT", port.to_string())
        .env("SCREENSHOTS", screenshots)
        .env("CHROMIUM", &chromium)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next_event = async || -> Value {
        let line = tokio::time::timeout(std::time::Duration::from_secs(90), lines.next_line())
            .await
            .expect("the browser went on within 90 seconds")
            .unwrap()
            .expect("the browser script stopped early (see its stderr above)");
        serde_json::from_str(&line).unwrap()
    };

    // The consent screen, in both languages, from the platform's redirect.
    let screen = next_event().await;
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
    stdin.write_all(b"answered\n").await.unwrap();
    let signed_in = next_event().await;
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
    stdin.write_all(b"withdrawn\n").await.unwrap();
    let profile = next_event().await;
    assert_eq!(profile["event"], "profile");
    assert_eq!(profile["claims"]["sub"], verified.subject);
    assert!(profile["claims"].get("name").is_none(), "{profile}");
    drop(stdin);
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    for shot in [
        "consent-zh",
        "consent-en",
        "platform-signed-in",
        "platform-after-withdrawal",
    ] {
        assert!(
            std::path::Path::new(&format!("{screenshots}/{shot}.png")).is_file(),
            "{shot}"
        );
    }
}
