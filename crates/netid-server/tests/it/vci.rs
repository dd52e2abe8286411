//! OpenID4VCI (issue 26): a wallet written apart on `@openid4vc/openid4vci` 0.4.6
//! (`tests/oidc/node/vci-wallet.mjs`) takes a batch of Net Certificates from a credential offer
//! with the pre-authorized code flow, the transaction code and DPoP; and a wallet app of our
//! own (`netid_testkit::vci`) sends each part wrong, and then right in the SM2 suite, which
//! no off-the-shelf wallet speaks.

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::{SigningKey, Suite};
use netid_log::EntryKind;
use netid_proto::CredentialOfferResponse;
use netid_testkit::Wallet;
use netid_testkit::vci::{VciWallet, pre_authorized_code};
use netid_verify::{Policy, Request, Verifier};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::{Client, World};

const NODE_PROJECT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc/node");

async fn offer(client: &Client, wallet: &Wallet) -> CredentialOfferResponse {
    let answer = client
        .post(
            "/v1/holders/credential-offer",
            None,
            &wallet.credential_offer_request(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()
}

/// Runs the wallet written apart on the offer link `offer_uri`; its one line of JSON.
pub(crate) async fn node_wallet(offer_uri: &str, tx_code: &str) -> Value {
    assert!(
        std::path::Path::new(&format!(
            "{NODE_PROJECT}/node_modules/@openid4vc/openid4vci"
        ))
        .is_dir(),
        "@openid4vc/openid4vci is not installed: run `npm ci` in {NODE_PROJECT} (scripts/test does)"
    );
    let output = tokio::process::Command::new("node")
        .arg(format!("{NODE_PROJECT}/vci-wallet.mjs"))
        .env("OFFER_URL", offer_uri)
        .env("TX_CODE", tx_code)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn payload(credential: &str) -> Value {
    let jwt = credential.split('~').next().unwrap();
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&Base64UrlUnpadded::decode_vec(part).unwrap()).unwrap()
}

#[tokio::test]
async fn a_wallet_written_apart_takes_net_certificates_from_a_credential_offer() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let metadata: Value = client
        .get("/.well-known/openid-credential-issuer")
        .await
        .json();
    assert_eq!(metadata["credential_issuer"], client.base_url.as_str());
    let offer = offer(client, &wallet).await;
    assert!(
        offer
            .offer_uri
            .starts_with("openid-credential-offer://?credential_offer=")
    );
    assert_eq!(offer.tx_code.len(), 6);

    let taken = node_wallet(&offer.offer_uri, &offer.tx_code).await;
    let credentials = taken["credentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 2, "{taken}");
    assert_eq!(taken["version"], "V1", "read as OpenID4VCI 1.0 metadata");
    for (credential, key) in credentials.iter().zip(taken["keys"].as_array().unwrap()) {
        let payload = payload(credential.as_str().unwrap());
        assert_eq!(payload["vct"], json!(netid_verify::NET_CERTIFICATE_VCT));
        assert_eq!(payload["iss"], client.base_url.as_str());
        // Bound to the key the wallet proved for it, and no other.
        assert_eq!(
            (&payload["cnf"]["jwk"]["x"], &payload["cnf"]["jwk"]["y"]),
            (&key["x"], &key["y"]),
            "{payload}"
        );
    }
    assert!(
        client
            .log_kinds(&wallet)
            .await
            .contains(&EntryKind::CredentialIssued)
    );
    // The offer is used up: the same link takes nothing again.
    let again = node_wallet(&offer.offer_uri, &offer.tx_code).await;
    assert_eq!(again["error"], "invalid_grant", "{again}");
}

#[tokio::test]
async fn the_credential_issuer_refuses_what_openid4vci_forbids_and_issues_to_sm2_keys() {
    let world = World::new().await;
    let client = &world.client;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    let app = VciWallet::new(&client.base_url);

    // A wrong transaction code three times, and the offer is gone.
    let first = offer(client, &wallet).await;
    let code = pre_authorized_code(&first.offer_uri);
    for tries_left in ["2 tries left", "1 try left"] {
        let wrong = app.token(&code, "000000x").await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
        assert!(wrong.body.contains(tries_left), "{}", wrong.body);
    }
    let last = app.token(&code, "000000x").await;
    assert!(last.body.contains("for the last time"), "{}", last.body);
    let gone = app.token(&code, &first.tx_code).await;
    assert_eq!(gone.json::<Value>()["error"], "invalid_grant");

    // Redeemed once, with DPoP; the token is bound to that key.
    let second = offer(client, &wallet).await;
    let code = pre_authorized_code(&second.offer_uri);
    let token = app.token(&code, &second.tx_code).await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.body);
    let token: Value = token.json();
    assert_eq!(token["token_type"], "DPoP");
    let token = token["access_token"].as_str().unwrap();
    assert_eq!(
        app.token(&code, &second.tx_code).await.json::<Value>()["error"],
        "invalid_grant"
    );

    let nonce = app.nonce().await;
    let sm2 = |count: usize| -> Vec<SigningKey> {
        (0..count)
            .map(|_| Suite::gm().generate_signing_key().unwrap())
            .collect()
    };
    let keys = sm2(3);
    let proofs: Vec<String> = keys.iter().map(|key| app.key_proof(key, &nonce)).collect();
    let request = |configuration: &str, proofs: &[String]| json!({"credential_configuration_id": configuration, "proofs": {"jwt": proofs}});
    let refused = |reply: netid_testkit::oidc::Reply, error: &str| {
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert_eq!(reply.json::<Value>()["error"], error, "{}", reply.body);
    };
    // Each part wrong, and nothing is issued.
    let foreign = app.key_proof_with(&keys[0], &nonce, |claims| {
        claims["aud"] = json!("https://other.example");
    });
    refused(
        app.credential(token, &request("net_certificate_sm2", &[foreign]))
            .await,
        "invalid_proof",
    );
    // A nonce of the right shape whose MAC is not netid's.
    let mut forged = nonce.clone().into_bytes();
    let last = forged.len() - 2;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let made_up = app.key_proof(&keys[0], &String::from_utf8(forged).unwrap());
    refused(
        app.credential(token, &request("net_certificate_sm2", &[made_up]))
            .await,
        "invalid_nonce",
    );
    let twice = [proofs[0].clone(), proofs[0].clone()];
    refused(
        app.credential(token, &request("net_certificate_sm2", &twice))
            .await,
        "invalid_proof",
    );
    refused(
        app.credential(token, &request("net_certificate_es256", &proofs))
            .await,
        "invalid_proof",
    );
    refused(
        app.credential(token, &request("mdl", &proofs)).await,
        "unknown_credential_configuration",
    );
    let too_many: Vec<String> = sm2(11)
        .iter()
        .map(|key| app.key_proof(key, &nonce))
        .collect();
    refused(
        app.credential(token, &request("net_certificate_sm2", &too_many))
            .await,
        "invalid_credential_request",
    );
    let singular = json!({"credential_configuration_id": "net_certificate_sm2", "proof": {"proof_type": "jwt", "jwt": proofs[0]}});
    refused(
        app.credential(token, &singular).await,
        "invalid_credential_request",
    );
    // Another wallet app's DPoP key cannot use the token.
    let thief = VciWallet::new(&client.base_url);
    let stolen = thief
        .credential(token, &request("net_certificate_sm2", &proofs))
        .await;
    assert_eq!(stolen.status, StatusCode::UNAUTHORIZED, "{}", stolen.body);
    assert!(
        !client
            .log_kinds(&wallet)
            .await
            .contains(&EntryKind::CredentialIssued),
        "nothing issued"
    );

    // Right: three SM2 Net Certificates, each verified offline and presented with its key.
    let issued = app
        .credential(token, &request("net_certificate_sm2", &proofs))
        .await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.body);
    let credentials: Vec<String> = issued.json::<Value>()["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["credential"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(credentials.len(), 3);
    let mut verifier = Verifier::new(&client.base_url, Policy::default());
    let metadata = client.get("/.well-known/jwt-vc-issuer").await;
    verifier.load_issuer_metadata(&metadata.body).unwrap();
    let now = netid_testkit::now();
    let asked = Request::new("platform-vci-test", "nonce-vci-000001", &["age_over_18"]);
    let shown = netid_sdjwt::present(
        &credentials[2],
        &["age_over_18"],
        &keys[2],
        netid_sdjwt::Binding {
            audience: "platform-vci-test",
            nonce: &asked.nonce,
            issued_at: now,
        },
    )
    .unwrap();
    let disclosed = match verifier.verify(&shown, &asked, now) {
        Err(netid_verify::Error::StatusUnavailable { uri }) => {
            let token = client
                .get(uri.strip_prefix(&client.base_url).unwrap())
                .await;
            verifier.load_status_list(&uri, &token.body, now).unwrap();
            verifier.verify(&shown, &asked, now).unwrap()
        }
        other => other.unwrap(),
    };
    assert_eq!(disclosed.claims["age_over_18"], json!(true));

    // A locked Net ID takes none.
    let locked = client
        .post("/v1/holders/lock", None, &wallet.lock_request(true))
        .await;
    assert_eq!(locked.status, StatusCode::OK, "{}", locked.body);
    let fresh = sm2(1);
    let proof = app.key_proof(&fresh[0], &app.nonce().await);
    refused(
        app.credential(token, &request("net_certificate_sm2", &[proof]))
            .await,
        "credential_request_denied",
    );
}
