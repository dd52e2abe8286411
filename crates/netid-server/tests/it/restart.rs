//! Restarts: data and keys survive; a missing master key file is a clear error, never a new
//! key.

use netid_proto::EnrollOutcome;
use netid_server::{Clock, Error, MasterKey};
use netid_testkit::{TestServer, Wallet};
use reqwest::StatusCode;

use crate::client::{Client, People};

/// A second server on the same data: refused on SQLite (one process per database file); on
/// PostgreSQL it joins as another node of the same service.
#[tokio::test]
async fn a_second_server_on_the_same_data_is_refused_on_sqlite_and_joins_on_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let first = TestServer::start_in(dir.path()).await.unwrap();
    let client = Client::new(&first);
    let second = TestServer::start_in(dir.path()).await;
    if netid_testkit::RawStore::of(dir.path()).is_postgres() {
        let second = second.unwrap();
        // The second node serves the first's data.
        let other = Client::new(&second);
        let platform = client.register_platform("p").await;
        let answer = other
            .get(&format!("/v1/platforms/{}/profile", platform.client_id))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        second.stop().await;
        first.stop().await;
        return;
    }
    let refused = second.unwrap_err();
    assert!(
        matches!(refused, Error::Store(netid_store::Error::InUse)),
        "{refused:?}"
    );
    assert!(
        refused
            .to_string()
            .contains("in use by another running netid server"),
        "{refused}"
    );
    // The first still serves; once it stops, a new server starts.
    assert_eq!(client.get("/healthz").await.status, StatusCode::OK);
    first.stop().await;
    TestServer::start_in(dir.path()).await.unwrap().stop().await;
}

/// On PostgreSQL a node's claim is a shared lock held by a connection; when that connection
/// ends under the node (here it is terminated, as a database restart or failover would), the
/// node takes the claim again and serves on. If by then something holds the database alone
/// (a master-key rotation), it stops, saying why.
#[tokio::test]
async fn a_node_that_loses_its_claim_takes_it_again_unless_the_database_is_held_alone() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path()).await.unwrap();
    let store = netid_testkit::RawStore::of(dir.path());
    if !store.is_postgres() {
        eprintln!("skipped: a claim on SQLite is a lock file, which cannot be lost");
        server.stop().await;
        return;
    }
    let claims = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
    let terminate = "SELECT count(pg_terminate_backend(pid)) FROM pg_locks \
         WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
    // One claim a node (the tests may run each server as several nodes).
    let nodes = store.integer(claims);
    assert!(nodes >= 1);
    assert_eq!(
        store.integer(terminate),
        nodes,
        "each claim's one connection"
    );
    // Taken again within a few checks, and the node still serves.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while store.integer(claims) != nodes {
        assert!(
            std::time::Instant::now() < deadline,
            "the claim is taken again"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let client = Client::new(&server);
    assert_eq!(client.get("/healthz").await.status, StatusCode::OK);

    // Now a rotation's claim takes the database alone as soon as the nodes' end.
    assert_eq!(store.integer(terminate), nodes);
    let url = netid_testkit::database_for(dir.path()).unwrap();
    let options = netid_store::PostgresOptions::default();
    let alone = loop {
        match netid_store::PostgresStore::claim_alone(&url, &options).await {
            Ok(claim) => break claim,
            Err(netid_store::Error::InUse) => tokio::task::yield_now().await,
            Err(error) => panic!("{error}"),
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), server.stopping())
        .await
        .expect("the server stops by itself");
    let stopped = server.shutdown().await.unwrap_err();
    assert!(
        matches!(stopped, Error::Store(netid_store::Error::ClaimLost { .. })),
        "{stopped:?}"
    );
    assert!(stopped.to_string().contains("lost its claim"), "{stopped}");
    // Refused while the database is held alone; served again once it is free.
    let refused = TestServer::start_in(dir.path()).await.unwrap_err();
    assert!(
        matches!(refused, Error::Store(netid_store::Error::InUse)),
        "{refused:?}"
    );
    alone.release().await;
    TestServer::start_in(dir.path()).await.unwrap().stop().await;
}

#[tokio::test]
async fn data_and_credentials_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path()).await.unwrap();
    let client = Client::new(&server);
    let authority = netid_testkit::Authority::generate("test-authority");
    client.register_authority(&authority).await;
    let people = People::new();
    client.load_roster(&authority.sign(people.all())).await;
    let platform = client.register_platform("p").await;
    let wallet = Wallet::generate();
    let enrolled = client
        .enroll_ok(&wallet.enroll_request(&people.adult))
        .await;
    let before = client
        .verify_ok(&platform, &wallet, "nonce-restart-001", &[])
        .await;
    server.stop().await;

    let server = TestServer::start_in(dir.path()).await.unwrap();
    let client = Client::new(&server);
    // The operators' accounts survived: their keys still sign.
    assert_eq!(client.register_platform("q").await.client_id.len(), 35);
    let after = client
        .verify_ok(&platform, &wallet, "nonce-restart-002", &[])
        .await;
    assert_eq!(after.subject, before.subject, "pairwise key survived");
    // The holder is still on record: their wallet applying again gets the same Net ID.
    let again = client
        .enroll_ok(&wallet.enroll_request(&people.adult))
        .await;
    assert_eq!(again.outcome, EnrollOutcome::Enrolled);
    assert_eq!(again.net_id, enrolled.net_id);
    server.stop().await;
}

#[tokio::test]
async fn missing_master_key_file_with_existing_data_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    TestServer::start_in(dir.path()).await.unwrap().stop().await;
    std::fs::remove_file(dir.path().join(netid_server::keys::MASTER_KEY_FILE)).unwrap();
    let error = TestServer::start_in(dir.path()).await.unwrap_err();
    assert!(matches!(error, Error::MasterKeyMissing { .. }), "{error}");
    assert!(error.to_string().contains("restore the key file"));
    assert!(
        !dir.path()
            .join(netid_server::keys::MASTER_KEY_FILE)
            .exists(),
        "no silent new key"
    );
}

#[tokio::test]
async fn a_wrong_master_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    TestServer::start_in(dir.path()).await.unwrap().stop().await;
    let mut config = netid_testkit::test_config(
        dir.path(),
        vec![("NETID_MASTER_KEY".to_owned(), "00".repeat(16))],
    );
    assert!(config.master_key.is_some());
    config.master_key = Some(MasterKey::from_hex(&"11".repeat(16)).unwrap());
    let error = netid_server::open(config, Clock::System).await.unwrap_err();
    assert!(matches!(error, Error::WrongMasterKey), "{error}");
    let _ = StatusCode::OK;
}

/// A database from before schema 4 kept Net IDs in clear: the next start seals them, and the
/// holder goes on verifying with the same pseudonym.
#[tokio::test]
async fn net_ids_left_in_clear_by_an_older_version_are_sealed_on_start() {
    let dir = tempfile::tempdir().unwrap();
    if netid_testkit::database_for(dir.path()).is_some() {
        // Clear Net IDs exist only in SQLite files written before schema 4; no PostgreSQL
        // database ever held one.
        return;
    }
    let server = TestServer::start_in(dir.path()).await.unwrap();
    let client = Client::new(&server);
    let authority = netid_testkit::Authority::generate("test-authority");
    client.register_authority(&authority).await;
    let people = People::new();
    client.load_roster(&authority.sign(people.all())).await;
    let platform = client.register_platform("legacy").await;
    let wallet = Wallet::generate();
    let enrolled = client
        .enroll_ok(&wallet.enroll_request(&people.adult))
        .await;
    let before = client
        .verify_ok(&platform, &wallet, "nonce-legacy-0001", &[])
        .await;
    server.stop().await;

    // Put the row back the way schema 3 kept it: the Net ID in clear.
    let net_id: netid_core::NetId = enrolled.net_id.parse().unwrap();
    let database = dir.path().join(netid_server::keys::DATABASE_FILE);
    let connection = rusqlite::Connection::open(&database).unwrap();
    let changed = connection
        .execute(
            "UPDATE holders SET legacy_net_id = ?1, net_id_index = NULL, sealed_net_id = NULL",
            [net_id.expose()],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(connection);

    let server = TestServer::start_in(dir.path()).await.unwrap();
    let client = Client::new(&server);
    let after = client
        .verify_ok(&platform, &wallet, "nonce-legacy-0002", &[])
        .await;
    assert_eq!(after.subject, before.subject);
    server.stop().await;
    let connection = rusqlite::Connection::open(&database).unwrap();
    let left: i64 = connection
        .query_row(
            "SELECT COUNT(*) FROM holders WHERE legacy_net_id IS NOT NULL",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
    drop(connection);
    // Nor is it left behind in free pages or the write-ahead log.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        // SQLite may remove its -wal and -shm files as the last connection closes.
        let Ok(bytes) = std::fs::read(entry.unwrap().path()) else {
            continue;
        };
        let clear = net_id.expose().as_bytes();
        assert!(!bytes.windows(clear.len()).any(|window| window == clear));
    }
}

/// The retired shared credential's variable stops the server with a pointer to its
/// successor, rather than being ignored.
#[tokio::test]
async fn the_retired_operator_credential_file_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![(
        "NETID_OPERATOR_CREDENTIAL_FILE".to_owned(),
        "/run/secrets/op".to_owned(),
    )];
    let error = TestServer::start_with_env(dir.path(), env)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Config {
                key: "NETID_OPERATOR_CREDENTIAL_FILE",
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error.to_string().contains("netid operator setup"),
        "{error}"
    );
}
