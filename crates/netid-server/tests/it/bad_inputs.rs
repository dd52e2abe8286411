//! Bad inputs: each gets a clear problem body and changes nothing.

use netid_proto::{EnrollOutcome, Predicate, VerifyRequest};
use netid_testkit::{Authority, Wallet};
use reqwest::StatusCode;

use crate::client::{World, basic};

#[tokio::test]
async fn malformed_and_mistyped_json_are_problems_that_do_not_echo_the_input() {
    let world = World::new().await;
    let client = &world.client;
    let answer = client
        .post_raw(
            "/v1/holders/enroll",
            None,
            b"{\"name\": \"\xe6\xb5\x8b\xe8\xaf\x95\xe7\x94\xb2".to_vec(),
        )
        .await;
    answer.problem(StatusCode::BAD_REQUEST, "invalid_json");
    assert!(!answer.body.contains("测试甲"));

    let answer = client
        .post_raw(
            "/v1/holders/enroll",
            None,
            br#"{"document_type": 7, "name": "SECRETNAME"}"#.to_vec(),
        )
        .await;
    answer.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert!(!answer.body.contains("SECRETNAME"));

    let answer = client
        .send(
            client
                .http
                .post(world.server.url("/v1/holders/enroll"))
                .body("{}"),
        )
        .await;
    answer.problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
}

#[tokio::test]
async fn deeply_nested_json_is_refused_and_the_service_goes_on() {
    let world = World::new().await;
    let client = &world.client;
    // 200,000 levels deep, well under the body limit: a parser without a depth limit would
    // overflow its stack.
    let depth = 200_000;
    let mut body = b"{\"name\":".to_vec();
    body.extend(std::iter::repeat_n(b'[', depth));
    body.extend(std::iter::repeat_n(b']', depth));
    body.push(b'}');
    assert!(body.len() < netid_server::MAX_BODY_BYTES);
    let answer = client.post_raw("/v1/holders/enroll", None, body).await;
    assert!(
        answer.status == StatusCode::BAD_REQUEST
            || answer.status == StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert_eq!(answer.content_type, "application/problem+json");
    assert_eq!(client.get("/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn oversize_body_is_refused() {
    let world = World::new().await;
    let mut body = b"{\"name\":\"".to_vec();
    body.resize(netid_server::MAX_BODY_BYTES + 10, b'a');
    world
        .client
        .post_raw("/v1/holders/enroll", None, body)
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

/// Sends `request` on a fresh connection and returns the status line of the answer.
async fn raw_status_line(address: std::net::SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    // The server may answer and close before it has read all of an oversize request.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn oversize_or_too_many_headers_are_refused_and_the_service_goes_on() {
    let world = World::new().await;
    let address = world.server.address;
    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: netid\r\nX-Filler: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(512 * 1024)
    );
    assert_eq!(
        raw_status_line(address, big.as_bytes()).await,
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
    let many: String = (0..200).map(|n| format!("X-Filler-{n}: a\r\n")).collect();
    let many = format!("GET /healthz HTTP/1.1\r\nHost: netid\r\n{many}Connection: close\r\n\r\n");
    assert_eq!(
        raw_status_line(address, many.as_bytes()).await,
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
    let fine = "GET /healthz HTTP/1.1\r\nHost: netid\r\nConnection: close\r\n\r\n";
    assert_eq!(
        raw_status_line(address, fine.as_bytes()).await,
        "HTTP/1.1 200 OK"
    );
}

/// Reads one HTTP/1.1 answer (headers and a `Content-Length` body) and returns its status
/// line.
async fn read_answer(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|line| {
                    line.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|n| n.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if body.len() >= length {
                return head.lines().next().unwrap_or_default().to_owned();
            }
        }
        let read = stream.read(&mut chunk).await.unwrap();
        assert!(
            read > 0,
            "the connection closed before the answer was complete"
        );
        answer.extend_from_slice(&chunk[..read]);
    }
}

#[tokio::test]
async fn idle_connections_are_closed_and_connections_in_use_are_not() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    let world = World::with_env(&[("NETID_IDLE_TIMEOUT_SECONDS", "2")]).await;
    let address = world.server.address;
    let started = std::time::Instant::now();
    let mut silent = TcpStream::connect(address).await.unwrap();
    let mut half_way = TcpStream::connect(address).await.unwrap();
    half_way
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: ne")
        .await
        .unwrap();
    // A keep-alive connection with a request every second, for five seconds, stays open.
    let mut in_use = TcpStream::connect(address).await.unwrap();
    for _ in 0..5 {
        in_use
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: netid\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(read_answer(&mut in_use).await, "HTTP/1.1 200 OK");
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    // The idle ones were closed by then: each read ends (EOF or reset) at once.
    for stream in [&mut silent, &mut half_way] {
        let mut rest = Vec::new();
        let ended = tokio::time::timeout(
            std::time::Duration::from_secs(1),
            stream.read_to_end(&mut rest),
        )
        .await;
        assert!(ended.is_ok(), "an idle connection is still open after 5 s");
        assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    }
    assert!(started.elapsed() >= std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let world = World::new().await;
    let client = &world.client;
    client
        .send(client.http.get(world.server.url("/v1/holders/list")))
        .await
        .problem(StatusCode::NOT_FOUND, "not_found");
    client
        .send(client.http.get(world.server.url("/v1/holders/enroll")))
        .await
        .problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[tokio::test]
async fn bad_roster_signatures_are_refused_and_keep_the_previous_roster() {
    let world = World::new().await;
    let client = &world.client;
    let newcomer = netid_testkit::resident(
        "110106",
        "测试己",
        netid_testkit::years_ago(25, netid_testkit::today()),
        "P-0099",
        None,
    );

    // Tampered payload.
    let mut tampered = world.authority.sign(vec![newcomer.clone()]);
    let other = world.authority.sign(vec![world.people.adult.clone()]);
    tampered.payload = other.payload.clone();
    tampered.signature = world.authority.sign(vec![newcomer.clone()]).signature;
    client
        .load_roster(&tampered)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "bad_roster_signature");

    // Signed by a key the operator does not trust for this authority.
    let impostor = Authority::generate("test-authority");
    client
        .load_roster(&impostor.sign(vec![newcomer.clone()]))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "bad_roster_signature");

    // An authority never registered.
    let unknown = Authority::generate("unknown-authority");
    client
        .load_roster(&unknown.sign(vec![newcomer.clone()]))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "unknown_authority");

    // A record that does not validate (birth date contradicts the number).
    let mut inconsistent = newcomer.clone();
    inconsistent.birth_date = "1990-01-01".to_owned();
    let problem = client
        .load_roster(&world.authority.sign(vec![inconsistent]))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_roster_record");
    assert_eq!(
        problem.detail,
        "roster record 0: record is invalid: birth date does not match the one in the document number"
    );

    // Nothing changed: the newcomer is unknown, the previous roster still enrolls.
    client
        .enroll(&Wallet::generate().enroll_request(&newcomer))
        .await
        .problem(StatusCode::FORBIDDEN, "evidence_mismatch");
    let enrolled = client
        .enroll_ok(&Wallet::generate().enroll_request(&world.people.adult))
        .await;
    assert_eq!(enrolled.outcome, EnrollOutcome::Enrolled);
}

#[tokio::test]
async fn mismatched_evidence_is_refused_without_telling_what_differs_and_stores_nothing() {
    let world = World::new().await;
    let client = &world.client;
    let adult = &world.people.adult;
    let wallet = Wallet::generate();

    for (name, code) in [
        ("测试甲", Some("CODE-WRONG")),
        ("测试甲", None),
        ("测试庚", Some("CODE-WRONG")),
    ] {
        let request =
            wallet.enroll_request_with(&adult.document_type, &adult.document_number, name, code);
        let problem = client
            .enroll(&request)
            .await
            .problem(StatusCode::FORBIDDEN, "evidence_mismatch");
        assert_eq!(
            problem.detail,
            "the document number and enrollment code do not match the document authority's records; check both, or ask the authority for a code"
        );
    }
    // With the right code, a wrong name is named as such (issue 20).
    client
        .enroll(&wallet.enroll_request_with(
            &adult.document_type,
            &adult.document_number,
            "测试庚",
            Some("CODE-A-2026"),
        ))
        .await
        .problem(StatusCode::FORBIDDEN, "name_mismatch");
    // A valid number that is not in the roster gets the same answer.
    let stranger = netid_testkit::synthetic_resident_id(
        "110107",
        netid_testkit::years_ago(30, netid_testkit::today()),
        false,
    );
    client
        .enroll(&wallet.enroll_request_with(
            "resident-id",
            &stranger,
            "测试甲",
            Some("CODE-A-2026"),
        ))
        .await
        .problem(StatusCode::FORBIDDEN, "evidence_mismatch");

    // A number with a typo is a field error that names the rule, not the value.
    let mut typo = adult.document_number.clone();
    let last = typo.pop().unwrap();
    typo.push(if last == '0' { '1' } else { '0' });
    let problem = client
        .enroll(&wallet.enroll_request_with("resident-id", &typo, "测试甲", Some("CODE-A-2026")))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    assert!(
        problem
            .detail
            .starts_with("document_number is invalid: check character should be")
    );
    assert!(!problem.detail.contains(&typo));

    // Nothing was stored: the right evidence now makes a new holder, not a recovery.
    let enrolled = client.enroll_ok(&wallet.enroll_request(adult)).await;
    assert_eq!(enrolled.outcome, EnrollOutcome::Enrolled);
}

#[tokio::test]
async fn expired_document_is_refused() {
    let world = World::new().await;
    world
        .client
        .enroll(&Wallet::generate().enroll_request(&world.people.expired))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "document_expired");
}

#[tokio::test]
async fn an_enrollment_code_used_by_one_person_is_refused_for_another() {
    let world = World::new().await;
    let client = &world.client;
    let today = netid_testkit::today();
    let first = netid_testkit::resident(
        "110108",
        "测试辛",
        netid_testkit::years_ago(20, today),
        "P-0008",
        Some("SHARED-CODE"),
    );
    let second = netid_testkit::resident(
        "110109",
        "测试壬",
        netid_testkit::years_ago(21, today),
        "P-0009",
        Some("SHARED-CODE"),
    );
    let mut records = world.people.all();
    records.extend([first.clone(), second.clone()]);
    assert_eq!(
        client
            .load_roster(&world.authority.sign(records))
            .await
            .status,
        StatusCode::OK
    );

    client
        .enroll_ok(&Wallet::generate().enroll_request(&first))
        .await;
    let late = Wallet::generate();
    client
        .enroll(&late.enroll_request(&second))
        .await
        .problem(StatusCode::FORBIDDEN, "enrollment_code_used");
    // Nothing stored for the second person: their wallet key presents nowhere.
    let platform = client.register_platform("p").await;
    client
        .verify(&platform, &late, "nonce-late-000001", &[])
        .await
        .problem(StatusCode::FORBIDDEN, "presentation_rejected");
}

#[tokio::test]
async fn forged_wallet_signature_and_stale_timestamp_are_refused() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    let mut request = wallet.enroll_request(&world.people.adult);
    // Signed by another key than the one presented.
    request.wallet_key = Wallet::generate().public_key();
    client
        .enroll(&request)
        .await
        .problem(StatusCode::FORBIDDEN, "bad_wallet_signature");

    let mut stale = wallet.enroll_request(&world.people.adult);
    stale.timestamp -= 3600;
    client
        .enroll(&stale)
        .await
        .problem(StatusCode::BAD_REQUEST, "stale_timestamp");
}

#[tokio::test]
async fn replayed_presentation_is_refused() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let platform = client.register_platform("p").await;
    let other_platform = client.register_platform("q").await;

    let key = netid_testkit::presentation_key(&client.base_url).await;
    let request = VerifyRequest {
        presentation: wallet.present(
            &key,
            &platform.client_id,
            "nonce-replay-0001",
            &[Predicate::AgeOver18],
        ),
    };
    assert_eq!(
        client.verify_presentation(&platform, &request).await.status,
        StatusCode::OK
    );
    client
        .verify_presentation(&platform, &request)
        .await
        .problem(StatusCode::FORBIDDEN, "presentation_replayed");
    // Bound to the platform: another platform cannot use it either.
    client
        .verify_presentation(&other_platform, &request)
        .await
        .problem(StatusCode::FORBIDDEN, "presentation_rejected");
    // Tampered predicates break the signature.
    let mut tampered = VerifyRequest {
        presentation: wallet.present(&key, &platform.client_id, "nonce-replay-0002", &[]),
    };
    tampered.presentation.predicates = vec![Predicate::AgeOver14];
    client
        .verify_presentation(&platform, &tampered)
        .await
        .problem(StatusCode::FORBIDDEN, "presentation_rejected");
}

#[tokio::test]
async fn missing_or_wrong_credentials_get_the_same_401() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("p").await;
    let body = serde_json::json!({"name": "x"});
    let bad_platform = netid_proto::RegisterPlatformResponse {
        client_id: platform.client_id.clone(),
        credential: "netid-pl-wrong".to_owned(),
        sector: String::new(),
    };
    let unknown_platform = netid_proto::RegisterPlatformResponse {
        client_id: "pl-unknown".to_owned(),
        credential: platform.credential.clone(),
        sector: String::new(),
    };
    // A well-made proof by a key no operator holds.
    let stranger = netid_testkit::TestOperator {
        id: "op-stranger".to_owned(),
        role: netid_proto::OperatorRole::SystemAdministrator,
        key: netid_crypto::Suite::intl().generate_signing_key().unwrap(),
    };
    let body_bytes = serde_json::to_vec(&body).unwrap();
    let by_stranger = netid_testkit::operator_authorization(
        &stranger,
        "POST",
        "/v1/operator/platforms",
        &body_bytes,
        netid_testkit::now(),
    );
    let answers = [
        client.post("/v1/operator/platforms", None, &body).await,
        client
            .post("/v1/operator/platforms", Some(&by_stranger), &body)
            .await,
        client
            .post("/v1/operator/platforms", Some(&basic(&platform)), &body)
            .await,
        client
            .post_raw("/v1/operator/rosters", None, b"not json".to_vec())
            .await,
        client.post("/v1/platform/verify", None, &body).await,
        client
            .post("/v1/platform/verify", Some(&basic(&bad_platform)), &body)
            .await,
        client
            .post(
                "/v1/platform/verify",
                Some(&basic(&unknown_platform)),
                &body,
            )
            .await,
        client
            .post("/v1/platform/verify", Some(&client.bearer()), &body)
            .await,
    ];
    let first = answers[0].body.clone();
    for answer in &answers {
        answer.problem(StatusCode::UNAUTHORIZED, "unauthenticated");
        assert_eq!(answer.body, first, "no hint of what exists");
    }
    // The retired shared credential is told apart: it says what replaced it.
    let retired = client
        .post(
            "/v1/operator/platforms",
            Some("Bearer netid-op-0123456789abcdef0123456789abcdef"),
            &body,
        )
        .await;
    let problem = retired.problem(StatusCode::UNAUTHORIZED, "bearer_credential_retired");
    assert!(
        problem.detail.contains("netid operator setup"),
        "{problem:?}"
    );
}

/// Issue 4 review: one authority must not overwrite (and so redirect) another's records.
#[tokio::test]
async fn a_roster_listing_another_authoritys_document_is_refused_whole() {
    let world = World::new().await;
    let client = &world.client;
    let intruder = netid_testkit::Authority::generate("intruding-authority");
    assert_eq!(
        client.register_authority(&intruder).await.status,
        StatusCode::OK
    );
    let mut hijacked = world.people.adult.clone();
    hijacked.person_ref = "P-INTRUDER".to_owned();
    hijacked.enrollment_code = Some("CODE-INTRUDER".to_owned());
    client
        .load_roster(&intruder.sign(vec![hijacked.clone()]))
        .await
        .problem(StatusCode::CONFLICT, "roster_record_of_another_authority");

    // The intruder's code does not enroll; the rightful record still does.
    let wallet = Wallet::generate();
    client
        .enroll(&wallet.enroll_request(&hijacked))
        .await
        .problem(StatusCode::FORBIDDEN, "evidence_mismatch");
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
}

/// An older roster replayed over a newer one would bring back records (and codes) the
/// authority withdrew; a future-dated roster or birth date is refused too.
#[tokio::test]
async fn stale_future_and_impossible_rosters_are_refused() {
    let world = World::new().await;
    let client = &world.client;
    let today = netid_testkit::today();
    let yesterday =
        netid_core::Date::from_days_since_unix_epoch(today.days_since_unix_epoch() - 1).unwrap();
    client
        .load_roster(
            &world
                .authority
                .sign_issued(world.people.all(), &yesterday.to_string()),
        )
        .await
        .problem(StatusCode::CONFLICT, "stale_roster");
    let tomorrow =
        netid_core::Date::from_days_since_unix_epoch(today.days_since_unix_epoch() + 1).unwrap();
    client
        .load_roster(
            &world
                .authority
                .sign_issued(world.people.all(), &tomorrow.to_string()),
        )
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    let mut unborn = world.people.all();
    unborn[0].birth_date = tomorrow.to_string();
    client
        .load_roster(&world.authority.sign(unborn))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_roster_record");
    // The loaded roster still stands.
    client
        .enroll_ok(&Wallet::generate().enroll_request(&world.people.adult))
        .await;
}
