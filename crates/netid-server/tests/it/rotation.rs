//! Master-key rotation: every holder, service key and deferred read's tag key moves to the new
//! key, the old key opens nothing afterwards, and an interrupted rotation blocks the server
//! until it is run again and finishes.

use netid_proto::{EnrollOutcome, NoticeDeferral, OperatorReadRequest};
use netid_server::keys::{MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE};
use netid_server::{Clock, Error, MasterKey, Rotated, rotate_master_key};
use netid_store::Timestamp;
use netid_testkit::{RawStore, TestServer, Wallet, test_config};
use reqwest::StatusCode;

use crate::client::{Client, People};

const OLD_KEY: &str = "0123456789abcdef0123456789abcdef";
const NEW_KEY: &str = "fedcba9876543210fedcba9876543210";

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

/// A data directory with `holders` enrolled holders (the first `wallets` returned), each
/// verified once by platform `p`.
struct Population {
    dir: tempfile::TempDir,
    platform: netid_proto::RegisterPlatformResponse,
    wallets: Vec<Wallet>,
    subjects: Vec<String>,
    net_ids: Vec<String>,
    people: People,
}

async fn population(server_env: &[(&str, &str)]) -> (Population, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with_env(dir.path(), env(server_env))
        .await
        .unwrap();
    let client = Client::new(&server);
    let authority = netid_testkit::Authority::generate("test-authority");
    client.register_authority(&authority).await;
    let people = People::new();
    client.load_roster(&authority.sign(people.all())).await;
    let platform = client.register_platform("p").await;
    let (mut wallets, mut subjects, mut net_ids) = (Vec::new(), Vec::new(), Vec::new());
    for (at, person) in [&people.adult, &people.guardian].into_iter().enumerate() {
        let wallet = Wallet::generate();
        net_ids.push(
            client
                .enroll_ok(&wallet.enroll_request(person))
                .await
                .net_id,
        );
        let nonce = format!("nonce-rotation-{at:03}");
        subjects.push(
            client
                .verify_ok(&platform, &wallet, &nonce, &[])
                .await
                .subject,
        );
        wallets.push(wallet);
    }
    let population = Population {
        dir,
        platform,
        wallets,
        subjects,
        net_ids,
        people,
    };
    (population, server)
}

impl Population {
    /// Checks, on a server started on the data, that every holder verifies with the same
    /// pseudonym and applies again to the same Net ID.
    async fn check(&self, server: &TestServer) {
        let client = Client::new(server);
        let people = [&self.people.adult, &self.people.guardian];
        for (at, wallet) in self.wallets.iter().enumerate() {
            self.verifies(&client, at, &format!("nonce-rotation-after-{at:03}"))
                .await;
            let again = client.enroll_ok(&wallet.enroll_request(people[at])).await;
            assert_eq!(again.outcome, EnrollOutcome::Enrolled);
            assert_eq!(again.net_id, self.net_ids[at], "the same Net ID");
        }
    }

    /// Checks that holder `at` verifies under the pseudonym it had before.
    async fn verifies(&self, client: &Client, at: usize, nonce: &str) {
        let verified = client
            .verify_ok(&self.platform, &self.wallets[at], nonce, &[])
            .await;
        assert_eq!(verified.subject, self.subjects[at], "the same pseudonym");
    }

    fn wrapped_data_keys(&self) -> Vec<Vec<u8>> {
        let raw = RawStore::of(self.dir.path());
        (1..=self.wallets.len())
            .map(|id| {
                raw.blobs(
                    &format!("SELECT wrapped_data_key FROM holders WHERE id = {id}"),
                    1,
                )
                .remove(0)
            })
            .collect()
    }
}

fn key_file(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join(MASTER_KEY_FILE)).unwrap()
}

#[tokio::test]
async fn a_rotation_reseals_everything_and_the_old_key_opens_nothing() {
    let (mut population, server) = population(&[]).await;
    let dir = population.dir.path().to_owned();
    let dir = dir.as_path();
    // A deferred operator read, told to the holder the day after tomorrow: its tag key is
    // sealed under the master key too.
    let client = Client::new(&server);
    let day = |from_today: i64| {
        let today = netid_testkit::today().days_since_unix_epoch();
        netid_core::Date::from_days_since_unix_epoch(today + from_today).unwrap()
    };
    let mut read = OperatorReadRequest {
        net_id: Some(population.net_ids[0].clone()),
        platform_subject: None,
        certificate_serial: None,
        history: None,
        fields: vec!["birth_date".to_owned()],
        basis_kind: netid_proto::LegalBasisKind::CriminalInvestigation,
        legal_basis: "Synthetic Public Security Act, art. 99 (test)".to_owned(),
        reference: "TEST-CASE-0001".to_owned(),
        defer_notice: None,
    };
    read.defer_notice = Some(NoticeDeferral {
        ground: "confidentiality".to_owned(),
        legal_basis: "Synthetic Confidentiality Act, art. 7 (test)".to_owned(),
        until: day(1).to_string(),
    });
    let answer = client
        .post("/v1/operator/holders/read", Some(&client.bearer()), &read)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    // An act left open: what it asks is sealed under the old key, so the rotation waits.
    let dpo = netid_proto::OperatorRole::DataProtectionOfficer;
    let open = client
        .post(
            "/v1/operator/holders/read",
            Some(&client.as_operator(dpo, 0)),
            &read,
        )
        .await;
    assert_eq!(open.status, StatusCode::ACCEPTED, "{}", open.body);
    let open: netid_proto::ActPending = open.json();
    server.stop().await;
    let refused = rotate_master_key(test_config(dir, Vec::new()), 1, |_, _| {})
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, netid_server::Error::RotationRefused { reason } if reason.contains("operator acts are open")),
        "{refused}"
    );
    let server = netid_testkit::TestServer::start_in(dir).await.unwrap();
    let client = Client::new(&server);
    let withdrawn = client
        .post(
            &format!("/v1/operator/acts/{}/refuse", open.request_id),
            Some(&client.as_operator(dpo, 0)),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.body);
    server.stop().await;
    let old_key = key_file(dir);
    let before = population.wrapped_data_keys();

    let mut seen = Vec::new();
    let rotated = rotate_master_key(test_config(dir, Vec::new()), 1, |done, total| {
        seen.push((done, total));
    })
    .await
    .unwrap();
    assert_eq!(
        rotated,
        Rotated {
            holders: 2,
            service_keys: rotated.service_keys,
            tag_keys: 1,
            resumed: false,
            key_file: true,
            share_files: Vec::new(),
        }
    );
    assert!(rotated.service_keys >= 5, "{rotated:?}");
    assert_eq!(seen, [(1, 2), (2, 2)], "progress after each batch");
    assert_ne!(key_file(dir), old_key);
    assert!(!dir.join(NEXT_MASTER_KEY_FILE).exists());
    let after = population.wrapped_data_keys();
    for (before, after) in before.iter().zip(&after) {
        assert_ne!(before, after, "every data key wrapped anew");
    }

    // The old key opens nothing.
    let mut config = test_config(dir, Vec::new());
    config.master_key = Some(MasterKey::from_hex(old_key.trim()).unwrap());
    let error = netid_server::open(config, Clock::System).await.unwrap_err();
    assert!(matches!(error, Error::WrongMasterKey), "{error}");

    // The new one opens everything: holders, and the deferred read's key once it is told.
    let later = netid_server::clock::start_of_day(day(2)).0 + 60;
    let server = TestServer::start_with_clock(dir, Vec::new(), Clock::Fixed(Timestamp(later)))
        .await
        .unwrap();
    population.wallets[0].sign_at(later);
    let history = Client::new(&server).history(&population.wallets[0]).await;
    population.wallets[0].sign_at(netid_testkit::now());
    assert_eq!(history.operator_reads.len(), 1, "{history:?}");
    assert!(
        history.entries.iter().any(|entry| entry.tag_key.is_some()),
        "the read's tag key opened"
    );
    server.stop().await;
    let server = TestServer::start_in(dir).await.unwrap();
    population.check(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn an_interrupted_rotation_blocks_the_server_until_it_is_run_again() {
    let (population, server) = population(&[]).await;
    let dir = population.dir.path().to_owned();
    server.stop().await;

    // Stops hard after its first batch has committed, as a crash would.
    let config = test_config(&dir, Vec::new());
    let interrupted = tokio::spawn(rotate_master_key(config, 1, |_, _| {
        panic!("interrupted after the first batch")
    }))
    .await;
    assert!(interrupted.unwrap_err().is_panic());
    assert!(dir.join(NEXT_MASTER_KEY_FILE).exists());

    let error = TestServer::start_in(&dir).await.unwrap_err();
    assert!(
        matches!(error, Error::MasterKeyRotationUnfinished),
        "{error}"
    );
    assert!(error.to_string().contains("netid rotate-master-key"));

    // The rotation under way is pinned to the key waiting in master.key.next.
    let another = test_config(&dir, env(&[("NETID_NEW_MASTER_KEY", NEW_KEY)]));
    let error = rotate_master_key(another, 1, |_, _| {}).await.unwrap_err();
    assert!(matches!(error, Error::WrongNewMasterKey), "{error}");

    let rotated = rotate_master_key(test_config(&dir, Vec::new()), 1, |_, _| {})
        .await
        .unwrap();
    assert!(rotated.resumed);
    assert_eq!(rotated.holders, 1, "the first holder was resealed already");
    assert!(!dir.join(NEXT_MASTER_KEY_FILE).exists());
    let server = TestServer::start_in(&dir).await.unwrap();
    population.check(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_key_from_the_environment_moves_to_the_one_given_for_it() {
    let (population, server) = population(&[("NETID_MASTER_KEY", OLD_KEY)]).await;
    let dir = population.dir.path();
    server.stop().await;

    let without_new = test_config(dir, env(&[("NETID_MASTER_KEY", OLD_KEY)]));
    let error = rotate_master_key(without_new, 1, |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(error, Error::RotationRefused { .. }), "{error}");
    assert!(
        error.to_string().contains("NETID_NEW_MASTER_KEY"),
        "{error}"
    );

    let both = test_config(
        dir,
        env(&[
            ("NETID_MASTER_KEY", OLD_KEY),
            ("NETID_NEW_MASTER_KEY", NEW_KEY),
        ]),
    );
    let rotated = rotate_master_key(both, 1000, |_, _| {}).await.unwrap();
    assert!(!rotated.key_file);
    assert_eq!(rotated.holders, 2);

    let error = TestServer::start_with_env(dir, env(&[("NETID_MASTER_KEY", OLD_KEY)]))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::WrongMasterKey), "{error}");
    let server = TestServer::start_with_env(dir, env(&[("NETID_MASTER_KEY", NEW_KEY)]))
        .await
        .unwrap();
    population
        .verifies(&Client::new(&server), 1, "nonce-rotation-env")
        .await;
    server.stop().await;
}

#[tokio::test]
async fn a_rotation_is_refused_while_a_server_runs_and_changes_nothing() {
    let (population, server) = population(&[]).await;
    let dir = population.dir.path();
    let old_key = key_file(dir);
    let error = rotate_master_key(test_config(dir, Vec::new()), 1, |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(error, Error::RotationRefused { .. }), "{error}");
    assert!(error.to_string().contains("stop it first"), "{error}");
    assert_eq!(key_file(dir), old_key);
    assert!(!dir.join(NEXT_MASTER_KEY_FILE).exists());
    server.stop().await;
    let server = TestServer::start_in(dir).await.unwrap();
    population.check(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn an_interrupted_rotation_from_the_environment_blocks_both_keys_until_it_finishes() {
    let (population, server) = population(&[("NETID_MASTER_KEY", OLD_KEY)]).await;
    let dir = population.dir.path();
    server.stop().await;
    let keys = env(&[
        ("NETID_MASTER_KEY", OLD_KEY),
        ("NETID_NEW_MASTER_KEY", NEW_KEY),
    ]);
    let interrupted = tokio::spawn(rotate_master_key(
        test_config(dir, keys.clone()),
        1,
        |_, _| panic!("interrupted after the first batch"),
    ))
    .await;
    assert!(interrupted.unwrap_err().is_panic());

    // Half the holders are under each key: no server starts on either.
    for key in [OLD_KEY, NEW_KEY] {
        let error = TestServer::start_with_env(dir, env(&[("NETID_MASTER_KEY", key)]))
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::MasterKeyRotationUnfinished),
            "{error}"
        );
    }
    let third = "00112233445566778899aabbccddeeff";
    let elsewhere = env(&[
        ("NETID_MASTER_KEY", OLD_KEY),
        ("NETID_NEW_MASTER_KEY", third),
    ]);
    let error = rotate_master_key(test_config(dir, elsewhere), 1, |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(error, Error::WrongNewMasterKey), "{error}");

    let rotated = rotate_master_key(test_config(dir, keys), 1, |_, _| {})
        .await
        .unwrap();
    assert!(rotated.resumed);
    assert_eq!(rotated.holders, 1);
    let server = TestServer::start_with_env(dir, env(&[("NETID_MASTER_KEY", NEW_KEY)]))
        .await
        .unwrap();
    population.check(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_rotation_stopped_before_the_key_file_moved_finishes_when_run_again() {
    let (population, server) = population(&[]).await;
    let dir = population.dir.path();
    server.stop().await;
    let old_key = key_file(dir);
    rotate_master_key(test_config(dir, Vec::new()), 1000, |_, _| {})
        .await
        .unwrap();
    // Back to the moment after the last transaction: the data under the new key, which
    // still waits in master.key.next, and the old key in master.key.
    std::fs::rename(dir.join(MASTER_KEY_FILE), dir.join(NEXT_MASTER_KEY_FILE)).unwrap();
    std::fs::write(dir.join(MASTER_KEY_FILE), &old_key).unwrap();
    std::fs::set_permissions(
        dir.join(MASTER_KEY_FILE),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let error = TestServer::start_in(dir).await.unwrap_err();
    assert!(
        matches!(error, Error::MasterKeyRotationUnfinished),
        "{error}"
    );

    let rotated = rotate_master_key(test_config(dir, Vec::new()), 1000, |_, _| {})
        .await
        .unwrap();
    assert!(rotated.resumed);
    assert_eq!(rotated.holders, 0, "nothing left to reseal");
    assert!(!dir.join(NEXT_MASTER_KEY_FILE).exists());
    assert_ne!(key_file(dir), old_key);
    let server = TestServer::start_in(dir).await.unwrap();
    population.check(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_deleted_holder_is_left_alone_and_the_others_rotate() {
    let (population, server) = population(&[]).await;
    let dir = population.dir.path();
    let client = Client::new(&server);
    let answer = client
        .post(
            "/v1/holders/delete",
            None,
            &population.wallets[1].deletion_request(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    server.stop().await;

    let rotated = rotate_master_key(test_config(dir, Vec::new()), 1000, |_, _| {})
        .await
        .unwrap();
    assert_eq!(
        rotated.holders, 1,
        "the deleted holder has nothing to reseal"
    );
    let server = TestServer::start_in(dir).await.unwrap();
    let client = Client::new(&server);
    population.verifies(&client, 0, "nonce-rotation-kept").await;
    let answer = client
        .post(
            "/v1/holders/delete",
            None,
            &population.wallets[1].deletion_request(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "still deleted");
    server.stop().await;
}
