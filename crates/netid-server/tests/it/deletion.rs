//! Deletion (Art. 9) through the real API: the holder's data is unreadable afterwards, what
//! was theirs is revoked, the Net ID is never issued again, and a child's data goes only with
//! a guardian's consent.

use netid_crypto::Suite;
use netid_log::EntryKind;
use netid_proto::{DeleteResponse, EnrollResponse};
use netid_testkit::Wallet;
use reqwest::StatusCode;

use crate::ca::{certify_with_new_root, holder_certificate, world_with_authority};
use crate::client::{Client, People, World};
use crate::transparency::{all_entries, checkpoint, kinds};

async fn public_kinds(client: &Client) -> Vec<EntryKind> {
    let note = checkpoint(client).await;
    let size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
    kinds(&all_entries(client, size).await)
}

#[tokio::test]
async fn deletion_shreds_the_data_revokes_what_was_theirs_and_retires_the_net_id() {
    let suite = Suite::intl();
    let (server, data, client, wallet, authority) = world_with_authority("intl").await;
    certify_with_new_root(&client, &suite).await;
    let certificate = holder_certificate(&client, &wallet, &suite).await;
    let holder_key = suite.generate_signing_key().unwrap();
    let batch: netid_proto::NetCertificateResponse = client
        .post(
            "/v1/holders/net-certificates",
            None,
            &wallet.net_certificate_request(std::slice::from_ref(&holder_key)),
        )
        .await
        .json();
    let old_net_id = {
        let history: netid_proto::HolderLogResponse = client
            .post("/v1/holders/log", None, &wallet.log_request())
            .await
            .json();
        assert!(!history.entries.is_empty());
        // The Net ID itself: from the Net Certificate's disclosure.
        let credential = &batch.credentials[0];
        credential
            .split('~')
            .skip(1)
            .filter(|part| !part.is_empty())
            .map(|part| netid_sdjwt::Disclosure::parse(part).unwrap())
            .find(|disclosure| disclosure.name.as_deref() == Some("net_id"))
            .unwrap()
            .value
            .as_str()
            .unwrap()
            .to_owned()
    };

    let answer = client
        .post("/v1/holders/delete", None, &wallet.deletion_request())
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(answer.json::<DeleteResponse>().deleted);

    // The wallet is nobody's now: deleting again, reading the history, asking for anything.
    for answer in [
        client
            .post("/v1/holders/delete", None, &wallet.deletion_request())
            .await,
        client
            .post("/v1/holders/log", None, &wallet.log_request())
            .await,
    ] {
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    }
    assert!(public_kinds(&client).await.contains(&EntryKind::Deletion));

    // Revoked: the signing certificate (in the CRL) and the Net Certificate (status list).
    let (_, _, crl) = client.get_bytes("/v1/ca/crl").await;
    let crl = <netid_ca::CertificateList as der::Decode>::from_der(&crl).unwrap();
    let listed: Vec<String> = crl
        .tbs_cert_list
        .revoked_certificates
        .iter()
        .flatten()
        .map(|entry| hex::encode(entry.serial_number.as_bytes()))
        .collect();
    assert_eq!(listed, vec![certificate.serial.clone()]);
    let mut verifier =
        netid_verify::Verifier::new(&client.base_url, netid_verify::Policy::default());
    verifier
        .load_issuer_metadata(&client.get("/.well-known/jwt-vc-issuer").await.body)
        .unwrap();
    let uri = format!("{}/v1/status/intl", client.base_url);
    let now = netid_testkit::now();
    verifier
        .load_status_list(&uri, &client.get("/v1/status/intl").await.body, now)
        .unwrap();
    let request = netid_verify::Request::new("platform", "nonce-after-deletion", &[]);
    let shown = netid_sdjwt::present(
        &batch.credentials[0],
        &[],
        &holder_key,
        netid_sdjwt::Binding {
            audience: "platform",
            nonce: "nonce-after-deletion",
            issued_at: now,
        },
    )
    .unwrap();
    assert_eq!(
        verifier.verify(&shown, &request, now),
        Err(netid_verify::Error::Revoked)
    );

    // The same person may enroll again (with a fresh code) and gets a new Net ID.
    let mut renewed = People::new().adult;
    renewed.enrollment_code = Some("CODE-A-AFTER-DELETION".to_owned());
    let mut roster = People::new().all();
    roster[0] = renewed.clone();
    assert_eq!(
        client.load_roster(&authority.sign(roster)).await.status,
        StatusCode::OK
    );
    let returning = Wallet::generate();
    let enrolled: EnrollResponse = client.enroll_ok(&returning.enroll_request(&renewed)).await;
    assert_eq!(enrolled.outcome, netid_proto::EnrollOutcome::Enrolled);
    assert_ne!(enrolled.net_id, old_net_id);
    server.stop().await;

    // The stored row is empty: no data key, no record, no Net ID, only the blind index.
    let store = netid_testkit::RawStore::of(data.path());
    let emptied = store.blobs(
        "SELECT wrapped_data_key, sealed_personal, sealed_net_id FROM holders \
         WHERE deleted_at IS NOT NULL",
        3,
    );
    assert_eq!(emptied, vec![Vec::<u8>::new(); 3]);
    assert_eq!(
        store.integer("SELECT COUNT(*) FROM holders WHERE deleted_at IS NOT NULL"),
        1
    );
}

#[tokio::test]
async fn a_childs_data_is_deleted_only_with_a_guardians_consent() {
    let world = World::new().await;
    let client = &world.client;
    let (guardian, child, _) = world.enroll_child().await;
    client
        .post("/v1/holders/delete", None, &child.deletion_request())
        .await
        .problem(StatusCode::FORBIDDEN, "guardian_required");
    // A stranger's consent is not a guardian's.
    let stranger = Wallet::generate();
    client
        .enroll_ok(&stranger.enroll_request(&world.people.adult))
        .await;
    let mut request = child.deletion_request();
    request.guardian = Some(stranger.deletion_consent(&request));
    client
        .post("/v1/holders/delete", None, &request)
        .await
        .problem(StatusCode::FORBIDDEN, "guardian_not_recognised");
    let mut request = child.deletion_request();
    request.guardian = Some(guardian.deletion_consent(&request));
    let answer = client.post("/v1/holders/delete", None, &request).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    // The guardian remains, with no ward.
    assert_eq!(
        client
            .post("/v1/holders/log", None, &guardian.log_request())
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_guardian_deletes_a_childs_data_without_the_childs_wallet() {
    let world = World::new().await;
    let client = &world.client;
    let (guardian, child, enrolled) = world.enroll_child().await;
    let stranger = Wallet::generate();
    client
        .enroll_ok(&stranger.enroll_request(&world.people.adult))
        .await;
    let teen = Wallet::generate();
    let teen_enrolled = client
        .enroll_ok(&teen.enroll_request(&world.people.teen))
        .await;
    let kinds_before = public_kinds(client).await;

    // Only a guardian on record, only with their own current key, only for a child under 14.
    let answer = client
        .post(
            "/v1/holders/wards/delete",
            None,
            &stranger.ward_deletion_request(&enrolled.net_id),
        )
        .await;
    answer.problem(StatusCode::FORBIDDEN, "guardian_not_recognised");
    let answer = client
        .post(
            "/v1/holders/wards/delete",
            None,
            &guardian.ward_deletion_request(&teen_enrolled.net_id),
        )
        .await;
    answer.problem(StatusCode::FORBIDDEN, "guardian_not_recognised");
    let mut forged = guardian.ward_deletion_request(&enrolled.net_id);
    forged.ward_net_id = teen_enrolled.net_id.clone();
    let answer = client.post("/v1/holders/wards/delete", None, &forged).await;
    answer.problem(StatusCode::FORBIDDEN, "bad_wallet_signature");
    assert_eq!(public_kinds(client).await, kinds_before);
    assert_eq!(
        client
            .post("/v1/holders/log", None, &child.log_request())
            .await
            .status,
        StatusCode::OK
    );

    let answer = client
        .post(
            "/v1/holders/wards/delete",
            None,
            &guardian.ward_deletion_request(&enrolled.net_id),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let deleted: DeleteResponse = answer.json();
    assert!(deleted.deleted);
    // The child's wallet no longer names anyone; the guardian has no ward left.
    client
        .post("/v1/holders/log", None, &child.log_request())
        .await
        .problem(StatusCode::FORBIDDEN, "bad_wallet_signature");
    let history: netid_proto::HolderLogResponse = client
        .post("/v1/holders/log", None, &guardian.log_request())
        .await
        .json();
    assert!(history.wards.is_empty());
    assert_eq!(
        public_kinds(client).await.last(),
        Some(&EntryKind::Deletion)
    );
    // Once deleted, there is nothing left to delete.
    client
        .post(
            "/v1/holders/wards/delete",
            None,
            &guardian.ward_deletion_request(&enrolled.net_id),
        )
        .await
        .problem(StatusCode::FORBIDDEN, "guardian_not_recognised");
}
