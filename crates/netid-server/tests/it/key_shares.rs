//! The master key split k-of-n (`netid master-key split`): the data directory keeps no copy of
//! it, and the service starts only with enough shares of its own split.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use netid_server::keys::MASTER_KEY_FILE;
use netid_server::{Error, split_master_key};
use netid_testkit::{TestServer, Wallet};
use reqwest::StatusCode;

use crate::client::{Client, People};

/// Starts a server on `dir` with the master key shares `shares`.
async fn start(dir: &Path, shares: &[&Path]) -> Result<TestServer, Error> {
    let joined = shares
        .iter()
        .map(|path| path.to_str().unwrap())
        .collect::<Vec<_>>()
        .join(",");
    let env = if shares.is_empty() {
        Vec::new()
    } else {
        vec![("NETID_MASTER_KEY_SHARES".to_owned(), joined)]
    };
    TestServer::start_with_env(dir, env).await
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push(path);
        }
    }
    found
}

fn shares_error(result: Result<TestServer, Error>) -> String {
    match result {
        Err(Error::MasterKeyShares { reason }) => reason,
        other => panic!("expected a refusal of the shares, got {:?}", other.err()),
    }
}

#[tokio::test]
async fn a_split_master_key_leaves_no_copy_behind_and_opens_only_with_enough_shares_of_its_split() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let server = start(dir, &[]).await.unwrap();
    let client = Client::new(&server);
    let authority = netid_testkit::Authority::generate("test-authority");
    client.register_authority(&authority).await;
    let people = People::new();
    client.load_roster(&authority.sign(people.all())).await;
    let holder = Wallet::generate();
    client
        .enroll_ok(&holder.enroll_request(&people.adult))
        .await;
    server.stop().await;
    let key_hex = std::fs::read_to_string(dir.join(MASTER_KEY_FILE)).unwrap();
    let key_hex = key_hex.trim().to_owned();
    let key_bytes = hex::decode(&key_hex).unwrap();

    let config = netid_testkit::test_config(dir, Vec::new());
    let outside = tempfile::tempdir().unwrap();
    let out = outside.path().join("shares");
    for (threshold, count) in [(1, 3), (4, 3)] {
        assert!(matches!(
            split_master_key(&config, threshold, count, &out).await,
            Err(Error::MasterKeySplitRefused { .. })
        ));
    }
    assert!(
        dir.join(MASTER_KEY_FILE).exists(),
        "a refused split keeps the key"
    );
    let split = split_master_key(&config, 2, 3, &out).await.unwrap();
    assert_eq!(split.files.len(), 3);
    assert_eq!(split.threshold, 2);

    // No file of the data directory holds the key, in hex or in bytes.
    assert!(!dir.join(MASTER_KEY_FILE).exists());
    for file in files(dir) {
        let content = std::fs::read(&file).unwrap();
        assert!(
            !content
                .windows(key_bytes.len())
                .any(|window| window == key_bytes.as_slice())
                && !content
                    .windows(key_hex.len())
                    .any(|window| window == key_hex.as_bytes()),
            "{} holds the master key",
            file.display()
        );
    }
    // A second split is refused: there is no key file to split.
    assert!(matches!(
        split_master_key(&config, 2, 3, &outside.path().join("again")).await,
        Err(Error::MasterKeySplitRefused { .. })
    ));

    // Without shares, with one, with one twice, or with a share of another split: no start.
    assert!(matches!(
        start(dir, &[]).await.err(),
        Some(Error::MasterKeySplit {
            threshold: 2,
            shares: 3
        })
    ));
    let reason = shares_error(start(dir, &[&split.files[0]]).await);
    assert!(reason.contains("1 share given, 2 needed"), "{reason}");
    let reason = shares_error(start(dir, &[&split.files[1], &split.files[1]]).await);
    assert!(reason.contains("given twice"), "{reason}");
    let other = tempfile::tempdir().unwrap();
    netid_server::keys::load_or_create_master_key(other.path(), Default::default(), false).unwrap();
    let other_config = netid_testkit::test_config(other.path(), Vec::new());
    let foreign = split_master_key(&other_config, 2, 2, &outside.path().join("foreign"))
        .await
        .unwrap();
    let reason = shares_error(start(dir, &[&split.files[0], &foreign.files[1]]).await);
    assert!(reason.contains("another split"), "{reason}");
    // A damaged share (one digit changed) recovers another key, which the split's record
    // tells apart.
    let damaged = outside.path().join("damaged-share");
    let mut line = std::fs::read_to_string(&split.files[1])
        .unwrap()
        .trim()
        .to_owned();
    let last = if line.ends_with('0') { "1" } else { "0" };
    line.replace_range(line.len() - 1.., last);
    std::fs::write(&damaged, line).unwrap();
    std::fs::set_permissions(&damaged, std::fs::Permissions::from_mode(0o600)).unwrap();
    let reason = shares_error(start(dir, &[&split.files[0], &damaged]).await);
    assert!(reason.contains("damaged"), "{reason}");
    // A share others may read is refused too.
    let exposed = outside.path().join("exposed-share");
    std::fs::copy(&split.files[2], &exposed).unwrap();
    std::fs::set_permissions(&exposed, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(
        start(dir, &[&split.files[0], &exposed]).await.err(),
        Some(Error::SecretFilePermissions { path }) if path == exposed
    ));

    // A rotation of a split key without its shares is refused, changing nothing.
    let rotation = netid_testkit::test_config(dir, Vec::new());
    assert!(matches!(
        netid_server::rotate_master_key(rotation, 1, |_, _| {}).await,
        Err(Error::MasterKeySplit { .. })
    ));

    // Any two of the three open everyone's records again.
    for pair in [[0, 2], [2, 1]] {
        let server = start(dir, &[&split.files[pair[0]], &split.files[pair[1]]])
            .await
            .unwrap();
        let client = Client::new(&server);
        let history = client
            .post("/v1/holders/log", None, &holder.log_request())
            .await;
        assert_eq!(history.status, StatusCode::OK, "{}", history.body);
        server.stop().await;
    }

    // A split cut short between writing its record and removing the key file leaves both:
    // the key file serves, and another split is refused until it is removed by hand.
    let key_file = dir.join(MASTER_KEY_FILE);
    std::fs::write(&key_file, format!("{key_hex}\n")).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    start(dir, &[]).await.unwrap().stop().await;
    match split_master_key(&config, 2, 3, &outside.path().join("after-a-crash")).await {
        Err(Error::MasterKeySplitRefused { reason }) => {
            assert!(reason.contains("master.key.split exists"), "{reason}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Nor does a rotation run beside that record, which would go on naming the old key.
    let rotation = netid_testkit::test_config(dir, Vec::new());
    assert!(matches!(
        netid_server::rotate_master_key(rotation, 1, |_, _| {}).await,
        Err(Error::RotationRefused { .. })
    ));
    // And a split while a server runs on the data is refused.
    std::fs::remove_file(dir.join("master.key.split")).unwrap();
    let running = start(dir, &[]).await.unwrap();
    match split_master_key(&config, 2, 3, &outside.path().join("while-serving")).await {
        Err(Error::MasterKeySplitRefused { reason }) => {
            assert!(reason.contains("a netid server is running"), "{reason}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(dir.join(MASTER_KEY_FILE).exists());
    running.stop().await;
}

/// A rotation of a split key stopped after its last transaction, before the new split's
/// record took the old one's place: the service does not start, and the rotation, run again
/// with the new shares, finishes; then only the new shares open the data.
#[tokio::test]
async fn a_split_keys_rotation_cut_short_finishes_with_the_new_shares() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let server = start(dir, &[]).await.unwrap();
    let client = Client::new(&server);
    let platform = client.register_platform("测试平台").await;
    server.stop().await;
    let outside = tempfile::tempdir().unwrap();
    let config = netid_testkit::test_config(dir, Vec::new());
    let old = split_master_key(&config, 2, 3, &outside.path().join("old"))
        .await
        .unwrap()
        .files;
    let old_record = std::fs::read(dir.join("master.key.split")).unwrap();
    let named = |files: &[PathBuf]| {
        files
            .iter()
            .map(|file| file.to_str().unwrap())
            .collect::<Vec<_>>()
            .join(",")
    };
    let with = |pairs: &[(&str, String)]| {
        let env = pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect();
        netid_testkit::test_config(dir, env)
    };

    let mut rotation = with(&[("NETID_MASTER_KEY_SHARES", named(&old[..2]))]);
    rotation.new_shares_out = Some(outside.path().join("new"));
    let rotated = netid_server::rotate_master_key(rotation, 1000, |_, _| {})
        .await
        .unwrap();
    assert_eq!(rotated.share_files.len(), 3);
    // Back to the moment after the last transaction.
    std::fs::rename(
        dir.join("master.key.split"),
        dir.join("master.key.split.next"),
    )
    .unwrap();
    std::fs::write(dir.join("master.key.split"), &old_record).unwrap();
    std::fs::set_permissions(
        dir.join("master.key.split"),
        PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    assert!(matches!(
        start(dir, &[&old[0], &old[1]]).await.err(),
        Some(Error::MasterKeyRotationUnfinished)
    ));
    let unnamed = with(&[("NETID_MASTER_KEY_SHARES", named(&old[..2]))]);
    let refused = netid_server::rotate_master_key(unnamed, 1000, |_, _| {}).await;
    assert!(
        matches!(&refused, Err(Error::RotationRefused { reason }) if reason.contains("NETID_NEW_MASTER_KEY_SHARES")),
        "{refused:?}"
    );
    let finishing = with(&[
        ("NETID_MASTER_KEY_SHARES", named(&old[1..])),
        (
            "NETID_NEW_MASTER_KEY_SHARES",
            named(&rotated.share_files[1..]),
        ),
    ]);
    let finished = netid_server::rotate_master_key(finishing, 1000, |_, _| {})
        .await
        .unwrap();
    assert!(finished.resumed);
    assert!(!dir.join("master.key.split.next").exists());
    assert!(shares_error(start(dir, &[&old[0], &old[2]]).await).contains("another split"));
    let server = start(dir, &[&rotated.share_files[0], &rotated.share_files[2]])
        .await
        .unwrap();
    let client = Client::new(&server);
    let answer = client
        .get(&format!("/v1/platforms/{}/profile", platform.client_id))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    server.stop().await;
}
