//! Hostile clients (issue 20): what an attacker on the network tries, each refused.

use std::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::Suite;
use netid_testkit::{Wallet, p256_signature_twin};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::client::World;

/// Issue 20: a captured wallet-signed request, sent again within the freshness window, was
/// answered again (the history with the holder's log key, Net Certificates with their name and
/// document number). Each is now answered once.
#[tokio::test]
async fn issue_20_a_replayed_wallet_signed_request_is_refused_and_tells_nothing() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;

    let history = wallet.log_request();
    let first = client.post("/v1/holders/log", None, &history).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let again = client.post("/v1/holders/log", None, &history).await;
    let problem = again.problem(StatusCode::CONFLICT, "request_replayed");
    assert!(
        problem.detail.contains("sign a new one"),
        "{}",
        problem.detail
    );
    assert!(!again.body.contains("log_key"));

    let certificates =
        wallet.net_certificate_request(&[Suite::gm().generate_signing_key().unwrap()]);
    let first = client
        .post("/v1/holders/net-certificates", None, &certificates)
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    client
        .post("/v1/holders/net-certificates", None, &certificates)
        .await
        .problem(StatusCode::CONFLICT, "request_replayed");

    // The enrollment itself: its answer carries the Net ID.
    let enrollment = Wallet::generate().enroll_request(&world.people.teen);
    client.enroll_ok(&enrollment).await;
    client
        .enroll(&enrollment)
        .await
        .problem(StatusCode::CONFLICT, "request_replayed");

    // A fresh request from the same wallet is answered as before.
    let fresh = client
        .post("/v1/holders/log", None, &wallet.log_request())
        .await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
}

/// Issue 20: the one-time passkey link was refused a second time by its signature's bytes, so
/// the P-256 twin `(r, n - s)` of a captured request's signature got a second link.
#[tokio::test]
async fn issue_20_the_twin_of_a_p256_signature_gets_no_second_passkey_link() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate_in(&Suite::intl());
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;

    let request = wallet.passkey_link_request();
    let first = client
        .post("/v1/holders/passkeys/link", None, &request)
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let mut twin = request.clone();
    twin.signature = p256_signature_twin(&request.signature);
    assert_ne!(twin.signature, request.signature);
    let answer = client.post("/v1/holders/passkeys/link", None, &twin).await;
    assert!(
        answer.status == StatusCode::FORBIDDEN || answer.status == StatusCode::CONFLICT,
        "{} {}",
        answer.status,
        answer.body
    );
    assert!(!answer.body.contains("#link="));

    // A high-S signature on a request never seen is refused too: one encoding per signature.
    let fresh = wallet.passkey_link_request();
    let high = netid_proto::PasskeyLinkRequest {
        signature: p256_signature_twin(&fresh.signature),
        ..fresh
    };
    client
        .post("/v1/holders/passkeys/link", None, &high)
        .await
        .problem(StatusCode::FORBIDDEN, "bad_wallet_signature");
}

/// A request id that is too short to be unguessable, or not base64url, is a field error.
#[tokio::test]
async fn a_request_id_must_be_16_to_64_base64url_characters() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    for bad in ["short", "has space in it, sixteen+", &"a".repeat(65)] {
        let mut request = wallet.log_request();
        request.request_id = bad.to_owned();
        let problem = client
            .post("/v1/holders/log", None, &request)
            .await
            .problem(StatusCode::BAD_REQUEST, "invalid_field");
        assert!(problem.detail.contains("request_id"), "{}", problem.detail);
    }
}

/// A client on another loopback address than the attacker's (127.0.0.1), as a bystander.
fn bystander() -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap()
}

/// Opens `count` connections to `address` that each send the headers of a 100-byte JSON body
/// and one byte of it, then nothing: a slow upload.
async fn slow_uploads(address: std::net::SocketAddr, count: usize) -> Vec<TcpStream> {
    let mut streams = Vec::with_capacity(count);
    for _ in 0..count {
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream
            .write_all(
                b"POST /v1/holders/log HTTP/1.1\r\nHost: netid\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
            )
            .await
            .unwrap();
        streams.push(stream);
    }
    streams
}

/// Issue 20: all routes shared 256 request slots, each held while the body was read, so 300
/// slow uploads left health checks waiting. A body is now read before its request takes a slot.
#[tokio::test]
async fn issue_20_slow_uploads_hold_no_slot_that_health_checks_wait_for() {
    let world = World::with_env(&[("NETID_MAX_CONNECTIONS_PER_ADDRESS", "0")]).await;
    let held = slow_uploads(
        world.server.address,
        netid_server::MAX_CONCURRENT_REQUESTS + 44,
    )
    .await;
    let bystander = bystander();
    for round in 0..5 {
        let answer = bystander
            .get(world.server.url("/healthz"))
            .send()
            .await
            .unwrap_or_else(|error| panic!("round {round}: /healthz did not answer: {error}"));
        assert_eq!(answer.status(), StatusCode::OK);
    }
    drop(held);
}

/// Issue 20: connections had no cap, so one address could use up the process's file
/// descriptors. Past the per-address cap a connection is closed at once; others are served.
#[tokio::test]
async fn issue_20_connections_past_the_per_address_cap_are_closed_and_others_are_served() {
    let world = World::with_env(&[("NETID_MAX_CONNECTIONS_PER_ADDRESS", "8")]).await;
    let held = slow_uploads(world.server.address, 8).await;
    let mut extra = TcpStream::connect(world.server.address).await.unwrap();
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(5), extra.read(&mut byte))
        .await
        .expect("the connection past the cap was left open");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    // Straight to the node whose cap is spent (not through a proxy of several nodes).
    let answer = bystander()
        .get(format!("http://{}/healthz", world.server.address))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    drop(held);
    // Once they are gone, the address is served again.
    let mut retried = None;
    for _ in 0..50 {
        let mut stream = TcpStream::connect(world.server.address).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: netid\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        if answer.starts_with(b"HTTP/1.1 200") {
            retried = Some(answer);
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(retried.is_some(), "the address was not served again");
}

/// Issue 20: the idle timer restarted on every byte and headers had no deadline, so a client
/// trickling a header byte every half second held its connection for ever. Headers now have
/// [`netid_server`]'s ten-second deadline, whatever trickles.
#[tokio::test]
async fn issue_20_headers_trickled_byte_by_byte_meet_a_deadline() {
    let world = World::new().await;
    let mut stream = TcpStream::connect(world.server.address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let closed = loop {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the connection stayed open for 20 s of trickled headers"
        );
        if stream.write_all(b"X").await.is_err() {
            break true;
        }
        let mut byte = [0u8; 64];
        // Anything read (an answer, or the end of the stream) means the server gave up on it.
        let read = tokio::time::timeout(Duration::from_millis(500), stream.read(&mut byte)).await;
        if read.is_ok() {
            break true;
        }
    };
    assert!(closed);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

/// Issue 20: a roster record with no code enrolled anyone who knew the person's number and
/// name, and codes had no minimum strength. Both are now refused when the roster is loaded.
#[tokio::test]
async fn issue_20_a_roster_record_without_a_strong_code_is_refused_when_loaded() {
    let world = World::new().await;
    let client = &world.client;
    let birth = netid_testkit::years_ago(25, netid_testkit::today());
    let mut record = netid_testkit::resident("110106", "测试己", birth, "P-0106", None);
    for (code, says) in [
        (None, "is required"),
        (Some("123"), "10 to 128 characters"),
        (Some("1234567890"), "50 bits"),
        (Some("aaaaaaaaQ7-x2Lm4"), "a third"),
    ] {
        record.enrollment_code = code.map(str::to_owned);
        let problem = client
            .load_roster(
                &world
                    .authority
                    .sign(vec![world.people.adult.clone(), record.clone()]),
            )
            .await
            .problem(StatusCode::BAD_REQUEST, "invalid_roster_record");
        assert!(
            problem.detail.contains("record 1: enrollment_code"),
            "{}",
            problem.detail
        );
        assert!(problem.detail.contains(says), "{}", problem.detail);
    }
    // Nothing changed: the roster loaded before still enrolls.
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
}

/// Issue 20: wrong codes were not counted, so a short recovery code fell to 732 guesses. Five
/// wrong codes now lock the record; the right code then says so; reloading the same code
/// keeps the lock, and only a new code from the authority opens it.
#[tokio::test]
async fn issue_20_five_wrong_codes_lock_a_record_until_the_authority_issues_a_new_one() {
    let world = World::new().await;
    let client = &world.client;
    let adult = &world.people.adult;
    let attacker = Wallet::generate();
    for guess in 0..5 {
        let mut wrong = adult.clone();
        wrong.enrollment_code = Some(format!("CODE-GUESS-{guess:04}"));
        client
            .enroll(&attacker.enroll_request(&wrong))
            .await
            .problem(StatusCode::FORBIDDEN, "evidence_mismatch");
    }
    let holder = Wallet::generate();
    let problem = client
        .enroll(&holder.enroll_request(adult))
        .await
        .problem(StatusCode::FORBIDDEN, "enrollment_code_locked");
    assert!(problem.detail.contains("new code"), "{}", problem.detail);

    // The same roster again: still locked.
    client
        .load_roster(&world.authority.sign(world.people.all()))
        .await;
    client
        .enroll(&holder.enroll_request(adult))
        .await
        .problem(StatusCode::FORBIDDEN, "enrollment_code_locked");

    // A new code from the authority.
    let mut renewed = adult.clone();
    renewed.enrollment_code = Some("CODE-A-REISSUED".to_owned());
    let mut people = world.people.all();
    people[0] = renewed.clone();
    let loaded = client.load_roster(&world.authority.sign(people)).await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    client.enroll_ok(&holder.enroll_request(&renewed)).await;
}

/// Issue 20: enrollment told an unauthenticated caller whether a person is on a roster,
/// enrolled, under 14 or holds an expired document. Without the right code every refusal is
/// now one answer; with it, the answer says exactly what is wrong.
#[tokio::test]
async fn issue_20_without_the_right_code_every_enrollment_refusal_is_one_answer() {
    let world = World::new().await;
    let client = &world.client;
    let people = &world.people;
    client
        .enroll_ok(&Wallet::generate().enroll_request(&people.teen))
        .await;
    let stranger = Wallet::generate();
    let wrong_code = |entry: &netid_proto::RosterEntry| {
        let mut entry = entry.clone();
        entry.enrollment_code = Some("CODE-NOT-THE-ONE".to_owned());
        entry
    };
    let unlisted = netid_testkit::resident(
        "110109",
        "测试庚",
        netid_testkit::years_ago(33, netid_testkit::today()),
        "P-0109",
        None,
    );
    let mut without_code = people.adult.clone();
    without_code.enrollment_code = None;
    let attempts = [
        ("not on a roster", unlisted),
        ("listed, wrong code", wrong_code(&people.adult)),
        ("listed, no code", without_code),
        ("expired document", wrong_code(&people.expired)),
        ("under 14", wrong_code(&people.child)),
        ("already enrolled", wrong_code(&people.teen)),
    ];
    let mut answers = Vec::new();
    for (what, entry) in &attempts {
        let answer = client.enroll(&stranger.enroll_request(entry)).await;
        answer.problem(StatusCode::FORBIDDEN, "evidence_mismatch");
        answers.push((what, answer.body));
    }
    for (what, body) in &answers {
        assert_eq!(body, &answers[0].1, "{what} answers differently");
    }

    // With the right code, the applicant is told what is wrong.
    let mut misnamed = people.adult.clone();
    misnamed.name = "测试错".to_owned();
    client
        .enroll(&stranger.enroll_request(&misnamed))
        .await
        .problem(StatusCode::FORBIDDEN, "name_mismatch");
    client
        .enroll(&stranger.enroll_request(&people.expired))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "document_expired");
}

/// Issue 20: a consent signed ahead of the server's clock outranked the holder's withdrawal
/// for up to five minutes. Consents and withdrawals signed ahead are refused.
#[tokio::test]
async fn issue_20_a_consent_or_withdrawal_signed_ahead_of_the_clock_is_refused() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("ahead platform").await;
    crate::grants::grant(client, &platform, &["name"]).await;
    let mut wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let notice: netid_proto::Notice = client.get("/v1/notice").await.json();
    wallet.sign_at(netid_testkit::now() + 120);
    client
        .post(
            "/v1/holders/consents",
            None,
            &wallet.consent_request(&platform.client_id, &["name"], &notice.version),
        )
        .await
        .problem(StatusCode::BAD_REQUEST, "signed_ahead");
    client
        .post(
            "/v1/holders/consents/withdraw",
            None,
            &wallet.withdrawal_request(&platform.client_id, &["name"]),
        )
        .await
        .problem(StatusCode::BAD_REQUEST, "signed_ahead");
}

/// Issue 20: a consent request signed before the platform's terms changed (a delayed or
/// captured one) recreated the consent under terms the holder never saw, and got a signed
/// receipt. It now records nothing, and no receipt is issued.
#[tokio::test]
async fn issue_20_a_consent_signed_before_the_terms_changed_records_nothing_and_gets_no_receipt() {
    let now = netid_testkit::now();
    let world = World::with_clock(netid_server::Clock::Fixed(netid_store::Timestamp(now))).await;
    let client = &world.client;
    let platform = client.register_platform("terms platform").await;
    let mut wallet = Wallet::generate();
    wallet.sign_at(now);
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let notice: netid_proto::Notice = client.get("/v1/notice").await.json();
    // Signed a minute before the terms it names were approved.
    wallet.sign_at(now - 60);
    let early = wallet.consent_request(&platform.client_id, &["name"], &notice.version);
    crate::grants::grant(client, &platform, &["name"]).await;
    let answer = client.post("/v1/holders/consents", None, &early).await;
    answer.problem(StatusCode::CONFLICT, "consent_not_recorded");
    assert!(!answer.body.contains("payload"));
    // Signed under the terms: recorded, with a receipt for exactly that.
    wallet.sign_at(now);
    let receipt: netid_proto::ServiceSigned = client
        .post(
            "/v1/holders/consents",
            None,
            &wallet.consent_request(&platform.client_id, &["name"], &notice.version),
        )
        .await
        .json();
    assert!(!receipt.payload.is_empty());
}

/// The headers that keep pages from being framed or their forms from posting elsewhere.
fn frame_and_form_policy(response: &reqwest::Response) -> (String, String) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    (header("x-frame-options"), header("content-security-policy"))
}

/// Issue 20: answers lacked `X-Frame-Options` and the CSP's `form-action`. Every answer now
/// forbids framing, and a form may post only where its page needs: nowhere from the API and
/// the web app, to the service and the platform from the consent screen.
#[tokio::test]
async fn issue_20_every_answer_forbids_framing_and_says_where_forms_may_post() {
    let world = World::new().await;
    let http = reqwest::Client::new();
    for path in ["/healthz", "/v1/openapi.json", "/app/", "/no-such-page"] {
        let response = http.get(world.server.url(path)).send().await.unwrap();
        let (frame, policy) = frame_and_form_policy(&response);
        assert_eq!(frame, "DENY", "{path}");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(policy.contains("form-action 'none'"), "{path}: {policy}");
    }
    let rp = crate::oidc::Rp::register(&world.client, "Framed Shop").await;
    let started = rp.start("openid").await;
    let response = http
        .get(world.server.url(&format!(
            "/oidc/authorize?client_id={}&request_uri={}",
            rp.client_id(),
            started.request_uri
        )))
        .send()
        .await
        .unwrap();
    let (frame, policy) = frame_and_form_policy(&response);
    assert_eq!(frame, "DENY");
    let platform = url::Url::parse(&rp.redirect_uri)
        .unwrap()
        .origin()
        .ascii_serialization();
    assert!(
        policy.contains(&format!("form-action 'self' {platform}")),
        "{policy}"
    );
}

/// Every string in a JSON value, for comparing what two platforms hold.
fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => out.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|item| strings(item, out)),
        serde_json::Value::Object(fields) => fields.values().for_each(|item| strings(item, out)),
        _ => {}
    }
}

/// Issue 20: an online presentation carried the holder's wallet public key, the same at every
/// platform and in every presentation: a global identifier beside the pairwise pseudonym. Now
/// two presentations of one holder, to one platform or two, hold no value in common (but what
/// the platform chose: its nonce and predicates), and the wallet key appears in neither.
#[tokio::test]
async fn issue_20_two_presentations_of_one_holder_share_nothing_a_platform_could_link() {
    let world = World::new().await;
    let client = &world.client;
    let (first, second) = (
        client.register_platform("link-a").await,
        client.register_platform("link-b").await,
    );
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let key = netid_testkit::presentation_key(&client.base_url).await;
    let to_first = wallet.present(&key, &first.client_id, "link-nonce-000001", &[]);
    let again_first = wallet.present(&key, &first.client_id, "link-nonce-000002", &[]);
    let to_second = wallet.present(&key, &second.client_id, "link-nonce-000003", &[]);
    let netid_proto::PublicKey::Pem(wallet_pem) = wallet.public_key() else {
        panic!("the test wallet sends PEM");
    };
    let wallet_body: String = wallet_pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let values = |presentation: &netid_proto::Presentation| {
        let mut out = Vec::new();
        strings(&serde_json::to_value(presentation).unwrap(), &mut out);
        out
    };
    // Neither in clear nor in base64url: a platform decoding a value finds no key.
    let holds_the_key = |value: &str| {
        let decoded = Base64UrlUnpadded::decode_vec(value).unwrap_or_default();
        value.contains(&wallet_body[..40])
            || decoded
                .windows(40)
                .any(|window| window == &wallet_body.as_bytes()[..40])
    };
    for (a, b) in [(&to_first, &again_first), (&to_first, &to_second)] {
        let (a, b) = (values(a), values(b));
        for value in &a {
            assert!(!b.contains(value), "both presentations hold {value}");
            assert!(!holds_the_key(value), "the wallet key is in a presentation");
        }
    }
    // Each still verifies, and the platforms get different pseudonyms.
    let mut subjects = Vec::new();
    for (platform, presentation) in [(&first, to_first), (&second, to_second)] {
        let answer: netid_proto::VerifyResponse = client
            .verify_presentation(platform, &netid_proto::VerifyRequest { presentation })
            .await
            .json();
        assert!(answer.real_name_verified);
        subjects.push(answer.subject);
    }
    assert_ne!(subjects[0], subjects[1]);
    // A sealed presentation altered, or sealed to another key, is rejected like a stranger's.
    let mut altered = again_first.clone();
    altered.sealed.replace_range(
        40..41,
        if &altered.sealed[40..41] == "A" {
            "B"
        } else {
            "A"
        },
    );
    client
        .verify_presentation(
            &first,
            &netid_proto::VerifyRequest {
                presentation: altered,
            },
        )
        .await
        .problem(StatusCode::FORBIDDEN, "presentation_rejected");
    let other_key = Suite::gm().generate_signing_key().unwrap();
    let misdirected = wallet.present(
        other_key.verifying_key(),
        &first.client_id,
        "link-nonce-000004",
        &[],
    );
    client
        .verify_presentation(
            &first,
            &netid_proto::VerifyRequest {
                presentation: misdirected,
            },
        )
        .await
        .problem(StatusCode::FORBIDDEN, "presentation_rejected");
}

/// Issue 20: one client could fill the shared pending tables (passkey challenges, OpenID
/// Connect requests) for everyone. Each source address and each platform now holds at most
/// 1,000 of a table at once; past that it is told to wait, and others are served.
#[tokio::test]
async fn issue_20_one_client_cannot_fill_a_pending_table_for_everyone() {
    let world = World::new().await;
    let http = reqwest::Client::new();
    let challenge = |client: &reqwest::Client| {
        let request = client.post(world.server.url("/app/api/challenge")).send();
        async move { request.await.unwrap().status() }
    };
    for n in 0..1000 {
        assert_eq!(challenge(&http).await, StatusCode::OK, "challenge {n}");
    }
    assert_eq!(challenge(&http).await, StatusCode::TOO_MANY_REQUESTS);
    // Behind the tests' round-robin proxy every client has the proxy's address: there the
    // bystander is refused too, as it would be behind any proxy that hides addresses.
    if world.server.proxy.is_none() {
        assert_eq!(challenge(&bystander()).await, StatusCode::OK);
    }

    let greedy = crate::oidc::Rp::register(&world.client, "Greedy Shop").await;
    for _ in 0..1000 {
        greedy.start("openid").await;
    }
    let (params, _) = greedy.request_params("openid");
    let refused = greedy.push(&params).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert!(refused.body.contains("slow_down"), "{}", refused.body);
    let modest = crate::oidc::Rp::register(&world.client, "Modest Shop").await;
    modest.start("openid").await;
}
