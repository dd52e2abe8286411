//! The CA over time: renewal of holders' and the issuing CA's certificates, operator
//! revocation, issuer-key rollover with overlap, and the orderly handover to a successor
//! instance, each through the real API and checked with stock OpenSSL where it can.

use std::path::Path;

use base64ct::{Base64UrlUnpadded, Encoding};

use netid_ca::{Certificate, CertificateList, CertificateStatus, RevocationReason};
use netid_crypto::Suite;
use netid_log::EntryKind;
use netid_proto::{
    CaStatus, ExpiringCertificates, HandoverRequest, HolderCertificateResponse,
    OperatorRevokeRequest, RevokeCertificateResponse, SignedPackage,
};
use netid_testkit::{TestServer, Wallet};
use reqwest::StatusCode;

use crate::ca::{
    DAY, Root, ca_status, certify, certify_with_new_root, holder_certificate, now, openssl, s,
    world, write,
};
use crate::client::Client;
use crate::transparency::{all_entries, checkpoint, kinds};

fn pem_certificate(pem: &str) -> Certificate {
    <Certificate as der::DecodePem>::from_pem(pem.trim()).unwrap()
}

fn key_id(certificate: &Certificate) -> String {
    hex::encode(netid_ca::subject_key_identifier(certificate).unwrap())
}

/// The kinds of every entry in the public log.
async fn public_kinds(client: &Client) -> Vec<EntryKind> {
    let note = checkpoint(client).await;
    let size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
    kinds(&all_entries(client, size).await)
}

async fn crl(client: &Client, path: &str) -> CertificateList {
    let (status, _, der) = client.get_bytes(path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    <CertificateList as der::Decode>::from_der(&der).unwrap()
}

fn listed(crl: &CertificateList, serial: &str) -> bool {
    crl.tbs_cert_list
        .revoked_certificates
        .iter()
        .flatten()
        .any(|entry| hex::encode(entry.serial_number.as_bytes()) == serial)
}

async fn revoke_as_operator(client: &Client, serial: &str, reason: &str) -> crate::client::Answer {
    client
        .post(
            "/v1/operator/ca/revoke",
            Some(&client.bearer()),
            &OperatorRevokeRequest {
                serial: serial.to_owned(),
                reason: Some(reason.to_owned()),
            },
        )
        .await
}

/// `openssl ocsp` against the live responder at `base_url`: the output, which says
/// `Response verify OK` and `<file>: good|revoked` when all is well.
fn ask_ocsp(
    dir: &Path,
    base_url: &str,
    root: &Certificate,
    issuing: &Certificate,
    leaf: &str,
) -> String {
    let root = write(dir, "root.pem", netid_ca::to_pem(root).unwrap());
    let issuing = write(dir, "issuing.pem", netid_ca::to_pem(issuing).unwrap());
    let leaf = write(dir, "leaf.pem", leaf);
    let (_, out) = openssl(&[
        "ocsp",
        "-url",
        &format!("{base_url}/v1/ca/ocsp"),
        "-issuer",
        s(&issuing),
        "-cert",
        s(&leaf),
        "-CAfile",
        s(&root),
        "-verify_other",
        s(&issuing),
    ]);
    out
}

/// A rollover: the next issuing key is certified while the first still issues; afterwards
/// the new CA issues, and the old one keeps answering for what it issued (OCSP and its own
/// CRL), as OpenSSL checks, across a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuer_key_rollover_keeps_the_old_certificates_verifiable() {
    let suite = Suite::intl();
    let (server, data, client, wallet) = world("intl").await;
    let (root, first_issuing) = certify_with_new_root(&client, &suite).await;
    let kept = holder_certificate(&client, &wallet, &suite).await;
    let revoked = holder_certificate(&client, &wallet, &suite).await;
    client
        .post(
            "/v1/holders/certificates/revoke",
            None,
            &wallet.revocation_request(&revoked.serial, Some("key_compromise")),
        )
        .await;

    // The rollover starts: a next key, the same on a second ask; the first CA still issues.
    let start = || async {
        let answer = client
            .post("/v1/operator/ca/rollover", Some(&client.bearer()), &())
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.json::<CaStatus>()
    };
    let started = start().await;
    let next_key = started.pending_public_key.clone().unwrap();
    assert_ne!(next_key, started.issuing_public_key);
    assert_eq!(start().await.pending_public_key, Some(next_key.clone()));
    let meanwhile = holder_certificate(&client, &wallet, &suite).await;
    assert_eq!(
        netid_ca::authority_key_identifier(&pem_certificate(&meanwhile.certificate)),
        netid_ca::subject_key_identifier(&first_issuing)
    );

    // A certificate for some other key is refused; the next key's is installed.
    let stranger = Suite::intl().generate_signing_key().unwrap();
    let wrong = root.certify_numbered(
        &suite,
        &stranger.verifying_key().to_spki_pem().unwrap(),
        0x24,
    );
    certify(&client, &root, &wrong)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_certificate");
    let second_issuing = root.certify_numbered(&suite, &next_key, 0x23);
    let answer = certify(&client, &root, &second_issuing).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let status: CaStatus = answer.json();
    assert_eq!(status.issuing_public_key, next_key);
    assert_eq!(status.pending_public_key, None);
    let statuses: Vec<(&str, &str)> = status
        .authorities
        .iter()
        .map(|authority| (authority.key_id.as_str(), authority.status.as_str()))
        .collect();
    let (first_id, second_id) = (key_id(&first_issuing), key_id(&second_issuing));
    assert_eq!(
        statuses,
        vec![
            (first_id.as_str(), "retired"),
            (second_id.as_str(), "current")
        ]
    );
    assert!(
        public_kinds(&client)
            .await
            .contains(&EntryKind::KeyRollover)
    );

    // The new CA issues, naming its own CRL.
    let fresh = holder_certificate(&client, &wallet, &suite).await;
    let fresh_certificate = pem_certificate(&fresh.certificate);
    assert_eq!(
        netid_ca::authority_key_identifier(&fresh_certificate),
        netid_ca::subject_key_identifier(&second_issuing)
    );
    assert!(
        fresh
            .chain
            .starts_with(&netid_ca::to_pem(&second_issuing).unwrap())
    );

    // Each CA's CRL lists its own revocations only; the old one is still signed fresh.
    let old_crl = crl(&client, &format!("/v1/ca/crl/{first_id}")).await;
    let new_crl = crl(&client, &format!("/v1/ca/crl/{second_id}")).await;
    assert!(listed(&old_crl, &revoked.serial));
    assert!(!listed(&new_crl, &revoked.serial));
    netid_ca::verify_crl(&old_crl, &first_issuing).unwrap();
    netid_ca::verify_crl(&new_crl, &second_issuing).unwrap();
    client
        .get("/v1/ca/crl/00ff")
        .await
        .problem(StatusCode::NOT_FOUND, "unknown_ca");

    // OpenSSL: chains and CRLs of both CAs, and the live responder for both.
    let files = tempfile::tempdir().unwrap();
    let dir = files.path();
    let verify = |leaf: &str, issuing: &Certificate, crl: &CertificateList| {
        let root_path = write(
            dir,
            "v-root.pem",
            netid_ca::to_pem(&root.certificate).unwrap(),
        );
        let issuing_path = write(dir, "v-issuing.pem", netid_ca::to_pem(issuing).unwrap());
        let crl_path = write(dir, "v-crl.pem", netid_ca::crl_to_pem(crl).unwrap());
        let leaf_path = write(dir, "v-leaf.pem", leaf);
        openssl(&[
            "verify",
            "-x509_strict",
            "-crl_check",
            "-CAfile",
            s(&root_path),
            "-untrusted",
            s(&issuing_path),
            "-CRLfile",
            s(&crl_path),
            s(&leaf_path),
        ])
    };
    let (ok, out) = verify(&kept.certificate, &first_issuing, &old_crl);
    assert!(ok, "{out}");
    let (ok, out) = verify(&revoked.certificate, &first_issuing, &old_crl);
    assert!(!ok && out.contains("revoked"), "{out}");
    let (ok, out) = verify(&fresh.certificate, &second_issuing, &new_crl);
    assert!(ok, "{out}");
    let out = ask_ocsp(
        dir,
        &server.base_url,
        &root.certificate,
        &first_issuing,
        &kept.certificate,
    );
    assert!(
        out.contains("Response verify OK") && out.contains("leaf.pem: good"),
        "{out}"
    );
    let out = ask_ocsp(
        dir,
        &server.base_url,
        &root.certificate,
        &first_issuing,
        &revoked.certificate,
    );
    assert!(
        out.contains("Response verify OK") && out.contains("leaf.pem: revoked"),
        "{out}"
    );
    let out = ask_ocsp(
        dir,
        &server.base_url,
        &root.certificate,
        &second_issuing,
        &fresh.certificate,
    );
    assert!(
        out.contains("Response verify OK") && out.contains("leaf.pem: good"),
        "{out}"
    );

    // netid's own check: both CAs' certificates, with both CRLs of the same CA name in play.
    let check = |leaf: &str, issuing: &Certificate| netid_proto::VerifyCertificateRequest {
        chain: vec![leaf.to_owned(), netid_ca::to_pem(issuing).unwrap()],
        scenario: None,
        crls: Vec::new(),
    };
    for (leaf, issuing) in [
        (&kept.certificate, &first_issuing),
        (&fresh.certificate, &second_issuing),
    ] {
        let answer = client
            .post("/v1/ca/verify", None, &check(leaf, issuing))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }
    client
        .post(
            "/v1/ca/verify",
            None,
            &check(&revoked.certificate, &first_issuing),
        )
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "certificate_not_trusted");

    // A restart keeps both generations.
    server.stop().await;
    let server = TestServer::start_in(data.path()).await.unwrap();
    let out = ask_ocsp(
        dir,
        &server.base_url,
        &root.certificate,
        &first_issuing,
        &kept.certificate,
    );
    assert!(out.contains("leaf.pem: good"), "{out}");
    let mut restarted = Client::new(&server);
    restarted.operator = client.operator.clone();
    assert_eq!(ca_status(&restarted).await.authorities.len(), 2);
    server.stop().await;
}

/// Holders renew their certificates (same key and subject, new serial, the old one still
/// good); the issuing CA's certificate is renewed for the same key; the operator revokes any
/// certificate, and the holder's history shows it.
#[tokio::test]
async fn certificates_are_renewed_and_the_operator_revokes_any() {
    let suite = Suite::gm();
    let (server, _data, client, wallet) = world("gm").await;
    let (root, issuing) = certify_with_new_root(&client, &suite).await;
    let original = holder_certificate(&client, &wallet, &suite).await;

    let answer = client
        .post(
            "/v1/holders/certificates/renew",
            None,
            &wallet.renewal_request(&original.serial),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let renewed: HolderCertificateResponse = answer.json();
    assert_ne!(renewed.serial, original.serial);
    let (old, new) = (
        pem_certificate(&original.certificate),
        pem_certificate(&renewed.certificate),
    );
    assert_eq!(
        old.tbs_certificate().subject_public_key_info(),
        new.tbs_certificate().subject_public_key_info()
    );
    assert_eq!(
        old.tbs_certificate().subject(),
        new.tbs_certificate().subject()
    );
    assert!(
        new.tbs_certificate()
            .validity()
            .not_after
            .to_unix_duration()
            >= old
                .tbs_certificate()
                .validity()
                .not_after
                .to_unix_duration()
    );
    // Another holder cannot renew it; a forged signature is refused.
    let stranger = Wallet::generate();
    assert_eq!(
        client
            .post(
                "/v1/holders/certificates/renew",
                None,
                &stranger.renewal_request(&original.serial),
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut forged = wallet.renewal_request(&original.serial);
    forged.serial = renewed.serial.clone();
    assert_eq!(
        client
            .post("/v1/holders/certificates/renew", None, &forged)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // The issuing CA's certificate renewed for the same key: one generation, a new
    // certificate, and what it issued before still verifies under it.
    let before = ca_status(&client).await;
    let reissued = root.certify_numbered(&suite, &before.issuing_public_key, 0x25);
    let answer = certify(&client, &root, &reissued).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let after: CaStatus = answer.json();
    assert_eq!(after.authorities.len(), 1);
    assert_ne!(after.chain, before.chain);
    assert!(
        after
            .chain
            .unwrap()
            .starts_with(&netid_ca::to_pem(&reissued).unwrap())
    );
    netid_ca::verify_signed_by(&old, &reissued).unwrap();
    assert_eq!(key_id(&reissued), key_id(&issuing));

    // The renewal worklist names the CA's own certificates too.
    let worklist: ExpiringCertificates = client
        .send(
            client
                .http
                .get(format!(
                    "{}/v1/operator/ca/expiring?days=3650",
                    client.admin_url
                ))
                .bearer_auth(&client.operator),
        )
        .await
        .json();
    let profiles: Vec<&str> = worklist
        .certificates
        .iter()
        .map(|certificate| certificate.profile.as_str())
        .collect();
    assert!(
        profiles.contains(&"issuing-ca") && profiles.contains(&"root"),
        "{profiles:?}"
    );
    assert!(profiles.contains(&"holder-signing"), "{profiles:?}");

    // The operator revokes the original; once.
    let history_before = client.log_kinds(&wallet).await;
    let first: RevokeCertificateResponse =
        revoke_as_operator(&client, &original.serial, "key_compromise")
            .await
            .json();
    let again: RevokeCertificateResponse =
        revoke_as_operator(&client, &original.serial, "key_compromise")
            .await
            .json();
    assert_eq!((first.revoked, again.revoked), (true, false));
    let history = client.log_kinds(&wallet).await;
    assert_eq!(history.len(), history_before.len() + 1);
    assert_eq!(history.last(), Some(&EntryKind::CertificateRevoked));
    revoke_as_operator(&client, "0badbeef", "key_compromise")
        .await
        .problem(StatusCode::NOT_FOUND, "certificate_not_found");
    revoke_as_operator(&client, &renewed.serial, "because")
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    let anonymous = client
        .post(
            "/v1/operator/ca/revoke",
            None,
            &OperatorRevokeRequest {
                serial: renewed.serial.clone(),
                reason: None,
            },
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    // A revoked certificate is not renewed.
    client
        .post(
            "/v1/holders/certificates/renew",
            None,
            &wallet.renewal_request(&original.serial),
        )
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    server.stop().await;
}

async fn hand_over(client: &Client, key: &str) -> crate::client::Answer {
    client
        .post(
            "/v1/operator/ca/handover",
            Some(&client.bearer()),
            &HandoverRequest {
                successor_responder_key: key.to_owned(),
            },
        )
        .await
}

async fn inherit(
    client: &Client,
    package: &SignedPackage,
    root: &Certificate,
) -> crate::client::Answer {
    let fingerprint = hex::encode(
        Suite::intl()
            .hash(&der::Encode::to_der(root).unwrap())
            .as_ref(),
    );
    client
        .post(
            "/v1/operator/ca/inherit",
            Some(&client.bearer()),
            &netid_proto::InheritRequest {
                package: package.clone(),
                expected_root_sha256: fingerprint,
            },
        )
        .await
}

/// A forged package: the genuine one with its revocations erased, a self-made CA added, and
/// signed by that CA.
fn forged_package(genuine: &SignedPackage) -> SignedPackage {
    let suite = Suite::intl();
    let mut handover: netid_proto::Handover =
        serde_json::from_slice(&Base64UrlUnpadded::decode_vec(&genuine.payload).unwrap()).unwrap();
    for certificate in &mut handover.certificates {
        certificate.revoked_at = None;
        certificate.reason = None;
    }
    let root = Root::named(&suite, "CN=forger root,O=forger");
    let key = suite.generate_signing_key().unwrap();
    let issuing = root.certify_numbered(&suite, &key.verifying_key().to_spki_pem().unwrap(), 0x66);
    let crl = netid_ca::issue_crl(&issuing, &key, 1, now() - 60, now() + DAY, &[]).unwrap();
    handover.authorities.push(netid_proto::HandedOverAuthority {
        root: netid_ca::to_pem(&root.certificate).unwrap(),
        issuing: netid_ca::to_pem(&issuing).unwrap(),
        responder: netid_ca::to_pem(&issuing).unwrap(),
        final_crl: netid_ca::crl_to_pem(&crl).unwrap(),
    });
    let payload = serde_json::to_vec(&handover).unwrap();
    let signature = key.sign(&payload).unwrap().to_der().unwrap();
    SignedPackage {
        alg: "ES256".to_owned(),
        payload: Base64UrlUnpadded::encode_string(&payload),
        signature: Base64UrlUnpadded::encode_string(&signature),
        signer: netid_ca::to_pem(&issuing).unwrap(),
    }
}

/// Orderly exit: a CA hands its records and status service to a successor instance; the
/// certificates it issued before get correct status from the successor afterwards (stock
/// OpenSSL asks the successor's live responder), and the predecessor issues nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_hands_over_to_a_successor_that_answers_for_its_certificates() {
    let suite = Suite::intl();
    let (predecessor, _data, old_client, wallet) = world("intl").await;
    let (root, issuing) = certify_with_new_root(&old_client, &suite).await;
    let good = holder_certificate(&old_client, &wallet, &suite).await;
    let revoked = holder_certificate(&old_client, &wallet, &suite).await;
    old_client
        .post(
            "/v1/holders/certificates/revoke",
            None,
            &wallet.revocation_request(&revoked.serial, Some("key_compromise")),
        )
        .await;

    let successor_dir = tempfile::tempdir().unwrap();
    let successor = TestServer::start_with_env(
        successor_dir.path(),
        vec![("NETID_CA_SUITE".to_owned(), "intl".to_owned())],
    )
    .await
    .unwrap();
    let new_client = Client::new(&successor);
    let successor_key = ca_status(&new_client).await.responder_public_key;

    // A key of the other suite, or no key, is refused and changes nothing.
    let sm2_key = Suite::gm().generate_signing_key().unwrap();
    hand_over(&old_client, &sm2_key.verifying_key().to_spki_pem().unwrap())
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    hand_over(&old_client, "not a key")
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    assert!(ca_status(&old_client).await.certified);

    let answer = hand_over(&old_client, &successor_key).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let package: SignedPackage = answer.json();
    let again = old_client
        .send(
            old_client
                .http
                .get(format!(
                    "{}/v1/operator/ca/handover/package",
                    old_client.admin_url
                ))
                .bearer_auth(&old_client.operator),
        )
        .await;
    assert_eq!(again.json::<SignedPackage>(), package);

    // The predecessor is done: no issuance, no revocation, no status answers of its own.
    let csr = netid_ca::build_request("CN=x", &suite.generate_signing_key().unwrap()).unwrap();
    old_client
        .post(
            "/v1/holders/certificates",
            None,
            &wallet.certificate_request(&csr),
        )
        .await
        .problem(StatusCode::GONE, "ca_handed_over");
    old_client
        .post(
            "/v1/holders/certificates/revoke",
            None,
            &wallet.revocation_request(&good.serial, None),
        )
        .await
        .problem(StatusCode::GONE, "ca_handed_over");
    hand_over(&old_client, &successor_key)
        .await
        .problem(StatusCode::GONE, "ca_handed_over");
    // It makes no new key to start over with, and says what it was.
    let after = ca_status(&old_client).await;
    assert!(!after.certified && after.pending_public_key.is_none());
    assert_eq!(after.authorities[0].status, "handed_over");
    let files = tempfile::tempdir().unwrap();
    let dir = files.path();
    let out = ask_ocsp(
        dir,
        &predecessor.base_url,
        &root.certificate,
        &issuing,
        &good.certificate,
    );
    assert!(out.contains("unauthorized"), "{out}");
    let final_crl = crl(&old_client, &format!("/v1/ca/crl/{}", key_id(&issuing))).await;
    assert!(listed(&final_crl, &revoked.serial));
    assert!(
        public_kinds(&old_client)
            .await
            .contains(&EntryKind::CaSuccession)
    );

    // A tampered package is refused by the successor, and changes nothing there.
    let mut tampered = package.clone();
    let mut payload = Base64UrlUnpadded::decode_vec(&tampered.payload).unwrap();
    let position = payload.len() / 2;
    payload[position] ^= 0x01;
    tampered.payload = Base64UrlUnpadded::encode_string(&payload);
    inherit(&new_client, &tampered, &root.certificate)
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    // A forged package, signed by a CA the forger added, is refused whichever root the
    // operator names: the forger's CA does not chain to the predecessor's root, and the
    // predecessor's CAs do not chain to the forger's.
    let forged = forged_package(&package);
    let problem = inherit(&new_client, &forged, &root.certificate)
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    assert!(problem.detail.contains("root"), "{}", problem.detail);
    let forger_root = pem_certificate(
        &serde_json::from_slice::<netid_proto::Handover>(
            &Base64UrlUnpadded::decode_vec(&forged.payload).unwrap(),
        )
        .unwrap()
        .authorities
        .last()
        .unwrap()
        .root,
    );
    inherit(&new_client, &forged, &forger_root)
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    // The genuine package with another root named is refused too.
    inherit(&new_client, &package, &forger_root)
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    assert!(ca_status(&new_client).await.authorities.is_empty());
    // A package for another successor's key is refused: the responder certificate must
    // certify this service's key.
    let other_dir = tempfile::tempdir().unwrap();
    let other = TestServer::start_with_env(
        other_dir.path(),
        vec![("NETID_CA_SUITE".to_owned(), "intl".to_owned())],
    )
    .await
    .unwrap();
    let problem = inherit(&Client::new(&other), &package, &root.certificate)
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    assert!(problem.detail.contains("responder"), "{}", problem.detail);
    other.stop().await;

    let answer = inherit(&new_client, &package, &root.certificate).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let status: CaStatus = answer.json();
    assert_eq!(status.authorities.len(), 1);
    assert_eq!(status.authorities[0].status, "inherited");
    assert!(
        !status.certified,
        "the successor's own CA is another matter"
    );
    inherit(&new_client, &package, &root.certificate)
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_field");
    assert!(
        public_kinds(&new_client)
            .await
            .contains(&EntryKind::CaSuccession)
    );

    // The successor's live responder answers for the predecessor's certificates, with a
    // responder certificate the predecessor's CA issued: OpenSSL accepts it.
    let out = ask_ocsp(
        dir,
        &successor.base_url,
        &root.certificate,
        &issuing,
        &good.certificate,
    );
    assert!(
        out.contains("Response verify OK") && out.contains("leaf.pem: good"),
        "{out}"
    );
    let out = ask_ocsp(
        dir,
        &successor.base_url,
        &root.certificate,
        &issuing,
        &revoked.certificate,
    );
    assert!(
        out.contains("leaf.pem: revoked") && out.contains("Reason: keyCompromise"),
        "{out}"
    );
    // The successor serves the final CRL, and its own trust check uses it.
    let served = crl(&new_client, &format!("/v1/ca/crl/{}", key_id(&issuing))).await;
    assert_eq!(served, final_crl);
    let check = netid_proto::VerifyCertificateRequest {
        chain: vec![
            revoked.certificate.clone(),
            netid_ca::to_pem(&issuing).unwrap(),
        ],
        scenario: None,
        crls: Vec::new(),
    };
    new_client
        .post("/v1/ca/verify", None, &check)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "certificate_not_trusted");

    // After the handover the successor revokes, and its responder and its own trust check
    // say so at once (the final CRL cannot).
    let good_check = netid_proto::VerifyCertificateRequest {
        chain: vec![
            good.certificate.clone(),
            netid_ca::to_pem(&issuing).unwrap(),
        ],
        scenario: None,
        crls: Vec::new(),
    };
    let answer = new_client.post("/v1/ca/verify", None, &good_check).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let first: RevokeCertificateResponse =
        revoke_as_operator(&new_client, &good.serial, "cessation_of_operation")
            .await
            .json();
    assert!(first.revoked);
    let out = ask_ocsp(
        dir,
        &successor.base_url,
        &root.certificate,
        &issuing,
        &good.certificate,
    );
    assert!(out.contains("leaf.pem: revoked"), "{out}");
    let problem = new_client
        .post("/v1/ca/verify", None, &good_check)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "certificate_not_trusted");
    assert!(problem.detail.contains("revoked"), "{}", problem.detail);

    // netid's own check of a successor's answer, too: signed by the responder the
    // predecessor's CA certified.
    let request = {
        let issuing_path = write(dir, "n-issuing.pem", netid_ca::to_pem(&issuing).unwrap());
        let leaf_path = write(dir, "n-leaf.pem", &good.certificate);
        let request_path = dir.join("n-request.der");
        let (ok, out) = openssl(&[
            "ocsp",
            "-issuer",
            s(&issuing_path),
            "-cert",
            s(&leaf_path),
            "-reqout",
            s(&request_path),
        ]);
        assert!(ok, "{out}");
        std::fs::read(request_path).unwrap()
    };
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/ca/ocsp", successor.base_url))
        .body(request)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let body = answer.bytes().await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let checked = netid_ca::verify_ocsp_response(&body, &issuing, now()).unwrap();
    assert!(matches!(
        checked.statuses[0].1,
        CertificateStatus::Revoked {
            reason: RevocationReason::CessationOfOperation,
            ..
        }
    ));
    predecessor.stop().await;
    successor.stop().await;
}

/// An issuing certificate whose subject key identifier is not the one netid computes for its
/// key (OpenSSL's default is SHA-1) is refused: netid's certificates could not be matched to
/// it. Nothing is installed.
#[tokio::test]
async fn an_issuing_certificate_with_a_foreign_key_identifier_is_refused() {
    let (server, _data, client, _wallet) = world("intl").await;
    let files = tempfile::tempdir().unwrap();
    let dir = files.path();
    let status = ca_status(&client).await;
    let issuing_pub = write(dir, "issuing.pub", &status.issuing_public_key);
    let root_key = dir.join("root.key");
    let root_pem = dir.join("root.pem");
    let issuing_pem = dir.join("issuing.pem");
    let extensions = write(
        dir,
        "ext.cnf",
        "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n",
    );
    for args in [
        vec![
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            s(&root_key),
        ],
        vec![
            "req",
            "-x509",
            "-new",
            "-key",
            s(&root_key),
            "-subj",
            "/CN=openssl test root",
            "-days",
            "30",
            "-out",
            s(&root_pem),
        ],
        vec![
            "x509",
            "-new",
            "-force_pubkey",
            s(&issuing_pub),
            "-subj",
            "/CN=openssl test issuing",
            "-CA",
            s(&root_pem),
            "-CAkey",
            s(&root_key),
            "-days",
            "20",
            "-extfile",
            s(&extensions),
            "-out",
            s(&issuing_pem),
        ],
    ] {
        let (ok, out) = openssl(&args);
        assert!(ok, "{out}");
    }
    let request = netid_proto::CertifyCaRequest {
        root_certificate: std::fs::read_to_string(&root_pem).unwrap(),
        issuing_certificate: std::fs::read_to_string(&issuing_pem).unwrap(),
    };
    let problem = client
        .post("/v1/operator/ca/certify", Some(&client.bearer()), &request)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_certificate");
    assert!(
        problem.detail.contains("key identifier"),
        "{}",
        problem.detail
    );
    assert!(!ca_status(&client).await.certified);
    server.stop().await;
}
