//! Privacy invariant 5 (and 1): a planted synthetic name, document number, birth date and the
//! issued Net ID appear in no log line and in no response that is not the holder's own.

use netid_proto::Predicate;
use netid_testkit::{TestServer, Wallet, capture_logs};
use reqwest::StatusCode;

use crate::client::{Answer, Client};

const PLANTED_NAME: &str = "测试泄漏者";

fn escaped(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                format!("\\u{:04x}", u32::from(c))
            }
        })
        .collect()
}

#[tokio::test]
async fn invariant_5_planted_personal_data_never_appears_in_logs_or_other_responses() {
    let logs = capture_logs();
    let (server, _dir) = TestServer::start().await;
    let client = Client::new(&server);
    let authority = netid_testkit::Authority::generate("test-authority");
    let birth = netid_testkit::years_ago(33, netid_testkit::today());
    let holder = netid_testkit::resident(
        "110111",
        PLANTED_NAME,
        birth,
        "P-LEAK",
        Some("CODE-LEAK-2026"),
    );
    let number = holder.document_number.clone();

    let mut others: Vec<Answer> = Vec::new();
    others.push(client.register_authority(&authority).await);
    others.push(
        client
            .load_roster(&authority.sign(vec![holder.clone()]))
            .await,
    );
    let platform = client.register_platform("leak test").await;

    let wallet = Wallet::generate();
    // Refusals that carry the planted data in the request.
    let mut wrong_name = wallet.enroll_request(&holder);
    wrong_name.name = format!("{PLANTED_NAME}x");
    others.push(client.enroll(&wrong_name).await);
    others.push(
        client
            .enroll(&wallet.enroll_request_with("resident-id", &number, PLANTED_NAME, Some("nope")))
            .await,
    );
    let mut bad_number = number.clone();
    bad_number.insert(3, '!');
    others.push(
        client
            .enroll(&wallet.enroll_request_with("resident-id", &bad_number, PLANTED_NAME, None))
            .await,
    );
    others.push(
        client
            .post_raw(
                "/v1/holders/enroll",
                None,
                format!(r#"{{"document_type":"resident-id","document_number":{number:?},"name":{PLANTED_NAME:?},"timestamp":"x"}}"#)
                    .into_bytes(),
            )
            .await,
    );

    // The holder's own enrollment: the only response allowed to carry the Net ID.
    let own = client.enroll(&wallet.enroll_request(&holder)).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    let net_id: netid_proto::EnrollResponse = own.json();
    // Someone else with the used code is refused, and the refusal carries nothing personal.
    let takeover = client
        .enroll(&Wallet::generate().enroll_request(&holder))
        .await;
    assert_eq!(takeover.status, StatusCode::FORBIDDEN, "{}", takeover.body);
    others.push(takeover);

    // Recovery with a fresh code from the authority moves the Net ID to a new wallet.
    let mut renewed = holder.clone();
    renewed.enrollment_code = Some("CODE-LEAK-2".to_owned());
    others.push(
        client
            .load_roster(&authority.sign(vec![renewed.clone()]))
            .await,
    );
    let wallet2 = Wallet::generate();
    let recovered = client.enroll(&wallet2.enroll_request(&renewed)).await;
    assert_eq!(recovered.status, StatusCode::OK, "{}", recovered.body);
    let verified = client
        .verify(
            &platform,
            &wallet2,
            "nonce-leak-000001",
            &[Predicate::AgeOver14, Predicate::AgeOver18],
        )
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    others.push(verified);
    others.push(
        client
            .verify(&platform, &wallet, "nonce-leak-000002", &[])
            .await,
    );
    server.stop().await;

    let secrets = [
        PLANTED_NAME.to_owned(),
        escaped(PLANTED_NAME),
        number.clone(),
        birth.to_string(),
        net_id.net_id.clone(),
        net_id.net_id.replace('-', ""),
        "P-LEAK".to_owned(),
        "CODE-LEAK-2026".to_owned(),
        "CODE-LEAK-2".to_owned(),
    ];
    let log_text = logs.text();
    assert!(log_text.contains("request finished"), "logs were captured");
    assert!(log_text.contains("holder_enrolled"));
    for line in log_text.lines() {
        for secret in &secrets {
            assert!(
                !line.contains(secret.as_str()),
                "log line leaks personal data: {line}"
            );
        }
    }
    assert!(others.iter().any(|answer| answer.status == StatusCode::OK));
    for answer in &others {
        for secret in &secrets {
            assert!(
                !answer.body.contains(secret.as_str()),
                "response leaks personal data: {}",
                answer.body
            );
        }
    }
}

#[tokio::test]
async fn personal_data_and_the_net_id_are_not_in_the_database_files_in_clear() {
    let (server, dir) = TestServer::start().await;
    let client = Client::new(&server);
    let authority = netid_testkit::Authority::generate("test-authority");
    let birth = netid_testkit::years_ago(33, netid_testkit::today());
    let holder = netid_testkit::resident(
        "110111",
        PLANTED_NAME,
        birth,
        "P-REST",
        Some("CODE-REST-2026"),
    );
    client.register_authority(&authority).await;
    client
        .load_roster(&authority.sign(vec![holder.clone()]))
        .await;
    let enrolled = client
        .enroll_ok(&Wallet::generate().enroll_request(&holder))
        .await;
    let platform = client.register_platform("at rest").await;
    server.stop().await;

    let secrets = [
        PLANTED_NAME.as_bytes().to_vec(),
        holder.document_number.as_bytes().to_vec(),
        birth.to_string().into_bytes(),
        "P-REST".as_bytes().to_vec(),
        "CODE-REST-2026".as_bytes().to_vec(),
        platform.credential.into_bytes(),
        // The Net ID, in both its compact and its grouped form.
        enrolled.net_id.replace('-', "").into_bytes(),
        enrolled.net_id.clone().into_bytes(),
    ];
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        scanned += bytes.len();
        for secret in &secrets {
            assert!(
                !bytes
                    .windows(secret.len())
                    .any(|window| window == secret.as_slice()),
                "{} holds personal data or a credential in clear",
                path.display()
            );
        }
    }
    assert!(scanned > 0);
    assert_eq!(enrolled.net_id.len(), 17);
}
