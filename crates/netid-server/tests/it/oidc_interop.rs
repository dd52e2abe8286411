//! Two independent, widely used relying-party libraries complete the whole OpenID Connect flow
//! against netid, unmodified: openid-client (JavaScript, Node) and requests-oauth2client
//! (Python). Each runs as a child program (`tests/oidc/`) that prints the authorization URL it
//! built, is given the callback URL the holder's wallet approval produced, and prints what it
//! received after its library validated everything. `scripts/test` installs both (pinned);
//! `NETID_TEST_OIDC_PYTHON` names the Python with requests-oauth2client.

use netid_proto::Predicate;
use netid_testkit::Wallet;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use crate::client::World;
use netid_testkit::oidc::query;

use crate::oidc::{Rp, decide};

/// The directory of the relying-party programs.
const PROGRAMS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc");

fn node_rp() -> Command {
    let node_modules = format!("{PROGRAMS}/node/node_modules/openid-client");
    assert!(
        std::path::Path::new(&node_modules).is_dir(),
        "openid-client is not installed: run `npm ci` in {PROGRAMS}/node (scripts/test does)"
    );
    let mut command = Command::new("node");
    command.arg(format!("{PROGRAMS}/node/rp.mjs"));
    command
}

fn python_rp() -> Command {
    let python = std::env::var("NETID_TEST_OIDC_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut command = Command::new(python);
    command.arg(format!("{PROGRAMS}/python/rp.py"));
    command
}

/// Runs `program` as `rp` asking for `scope`; the holder with `wallet` answers `approve`.
/// Returns the program's exit code and its last line of output.
async fn run(
    mut program: Command,
    world: &World,
    rp: &Rp,
    wallet: &Wallet,
    scope: &str,
    approve: bool,
) -> (i32, Value) {
    let mut private = serde_json::from_str::<Value>(&rp.key.to_jwk_json().unwrap()).unwrap();
    private["kid"] = Value::from("rp-key-1");
    let mut child = program
        .env("NETID_ISSUER", &world.client.base_url)
        .env("RP_CLIENT_ID", rp.client_id())
        .env("RP_PRIVATE_JWK", private.to_string())
        .env("RP_REDIRECT_URI", &rp.redirect_uri)
        .env("RP_SCOPE", scope)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the relying-party program starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap_or_else(|| {
        panic!("the relying party stopped before its authorization URL (see its stderr above)")
    });
    let authorization_url = serde_json::from_str::<Value>(&first).unwrap()["authorization_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        authorization_url.starts_with(&format!("{}/oidc/authorize?", world.client.base_url)),
        "{authorization_url}"
    );
    let asked = query(&authorization_url);
    assert_eq!(asked["client_id"], rp.client_id());
    // Pushed: nothing but the client id and the request_uri travels in the browser.
    assert_eq!(asked.len(), 2, "{asked:?}");
    let decided = decide(
        &world.client,
        &wallet.oidc_decision(&asked["request_uri"], rp.client_id(), approve, None),
    )
    .await;
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{}\n", decided.redirect_to).as_bytes())
        .await
        .unwrap();
    stdin.flush().await.unwrap();
    drop(stdin);
    let last = lines.next_line().await.unwrap().unwrap_or_default();
    let status = child.wait().await.unwrap();
    let output = serde_json::from_str(&last).unwrap_or(Value::Null);
    (status.code().unwrap_or(-1), output)
}

/// A hung relying party fails the test instead of hanging the suite.
async fn within_a_minute<T>(run: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .expect("the relying party finished within a minute")
}

async fn completes_the_flow(program: fn() -> Command, name: &str) {
    let world = World::new().await;
    let rp = Rp::register(&world.client, name).await;
    let wallet = Wallet::generate();
    let enrolled = world
        .client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;

    let (code, output) = within_a_minute(run(
        program(),
        &world,
        &rp,
        &wallet,
        "openid age_over_18",
        true,
    ))
    .await;
    assert_eq!(code, 0, "{output}");
    assert!(
        output["token_type"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("dpop")
    );
    let claims = &output["id_token_claims"];
    // The pairwise subject: what result-only verification gives this platform.
    let verified = world
        .client
        .verify_ok(
            &rp.platform,
            &wallet,
            "interop-nonce-0123456789",
            &[Predicate::AgeOver18],
        )
        .await;
    assert_eq!(claims["sub"], verified.subject);
    assert_eq!(claims["iss"], world.client.base_url);
    assert_eq!(claims["aud"], rp.client_id());
    assert_eq!(claims["real_name_verified"], true);
    assert_eq!(claims["age_over_18"], true);
    assert_eq!(output["userinfo"]["sub"], verified.subject);
    // Nothing granted, nothing plaintext: no name, no Net ID.
    assert!(claims.get("name").is_none(), "{claims}");
    let bare: String = enrolled
        .net_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let seen: String = output
        .to_string()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    assert!(!seen.contains(&bare));
    let kinds = world.client.log_kinds(&wallet).await;
    assert!(kinds.contains(&netid_log::EntryKind::Verification));

    // A holder who declines: the library reports access_denied (after checking iss, state).
    let (code, output) =
        within_a_minute(run(program(), &world, &rp, &wallet, "openid", false)).await;
    assert_eq!(code, 2, "{output}");
    assert_eq!(output["error"], "access_denied");
}

#[tokio::test]
async fn openid_client_for_node_completes_the_flow_unmodified() {
    completes_the_flow(node_rp, "Interop Node Shop").await;
}

#[tokio::test]
async fn requests_oauth2client_for_python_completes_the_flow_unmodified() {
    completes_the_flow(python_rp, "Interop Python Shop").await;
}
