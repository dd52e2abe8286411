//! The transparency log through the real API: every act writes its entry, refused acts write
//! none, proofs verify against signed checkpoints, holders recognise only their own entries,
//! and a log altered behind the service's back stops it from starting.

use base64ct::{Base64, Encoding};
use netid_crypto::{MacKey, Suite};
use netid_log::{Entry, EntryKind, Hash, MerkleHasher, NoteVerifier};
use netid_proto::{ConsistencyProof, HolderLogResponse, InclusionProof, LogEntries};
use netid_testkit::{TestServer, Wallet};
use reqwest::StatusCode;

use crate::client::{Client, World};

pub(crate) async fn verifier(client: &Client) -> NoteVerifier {
    let answer = client.get("/v1/log/key").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.content_type.starts_with("text/plain"));
    NoteVerifier::from_vkey(&answer.body).unwrap()
}

pub(crate) async fn checkpoint(client: &Client) -> String {
    let answer = client.get("/v1/log/checkpoint").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body
}

pub(crate) async fn all_entries(client: &Client, size: u64) -> Vec<Vec<u8>> {
    let mut leaves = Vec::new();
    while (leaves.len() as u64) < size {
        let answer = client
            .get(&format!(
                "/v1/log/entries?start={}&end={size}",
                leaves.len()
            ))
            .await;
        let page: LogEntries = answer.json();
        assert_eq!(page.start, leaves.len() as u64);
        assert!(!page.entries.is_empty());
        leaves.extend(page.entries.into_iter().map(String::into_bytes));
    }
    leaves
}

pub(crate) fn hashes(encoded: &[String]) -> Vec<Hash> {
    encoded
        .iter()
        .map(|hash| Hash::from_slice(&Base64::decode_vec(hash).unwrap()).unwrap())
        .collect()
}

/// The entries every test server's log begins with: its operators' set-up.
pub(crate) const SETUP: usize = netid_testkit::SETUP_ENTRIES;

pub(crate) fn kinds(leaves: &[Vec<u8>]) -> Vec<EntryKind> {
    leaves
        .iter()
        .map(|leaf| Entry::from_leaf(leaf).unwrap().kind)
        .collect()
}

#[tokio::test]
async fn every_act_is_logged_and_the_log_audits_end_to_end() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("log-platform").await;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    client
        .verify_ok(&platform, &wallet, "nonce-log-000001", &[])
        .await;
    // Refused acts leave no entry: a replayed presentation and a mismatched enrollment.
    client
        .verify(&platform, &wallet, "nonce-log-000001", &[])
        .await
        .problem(StatusCode::FORBIDDEN, "presentation_replayed");
    let stranger = Wallet::generate();
    let mut wrong = stranger.enroll_request(&world.people.teen);
    wrong.name = "测试错".to_owned();
    let wrong = stranger.enroll_request_with(
        &wrong.document_type,
        &wrong.document_number,
        &wrong.name,
        None,
    );
    client
        .enroll(&wrong)
        .await
        .problem(StatusCode::FORBIDDEN, "evidence_mismatch");

    let verifier = verifier(client).await;
    let note = checkpoint(client).await;
    let signed = verifier.verify(&note).unwrap();
    assert_eq!(signed.origin, "netid.localhost/log");
    let leaves = all_entries(client, signed.size).await;
    // The operators' set-up first, each account an entry naming itself.
    let mut expected = vec![EntryKind::OperatorAdded; SETUP];
    expected.extend([
        EntryKind::AuthorityRegistered,
        EntryKind::RosterLoaded,
        EntryKind::GrantChanged,
        EntryKind::Enrollment,
        EntryKind::Verification,
    ]);
    assert_eq!(kinds(&leaves), expected);
    for leaf in &leaves[..SETUP] {
        let added = Entry::from_leaf(leaf).unwrap();
        assert!(added.operator.as_deref().unwrap().starts_with("op-"));
    }
    // The system administrator's acts name them; the holder's and platform's name no one.
    let system = client
        .operators
        .get(netid_proto::OperatorRole::SystemAdministrator, 0)
        .id
        .clone();
    let named: Vec<Option<String>> = leaves[SETUP..]
        .iter()
        .map(|leaf| Entry::from_leaf(leaf).unwrap().operator)
        .collect();
    assert_eq!(
        named,
        vec![
            Some(system.clone()),
            Some(system.clone()),
            Some(system),
            None,
            None
        ]
    );
    let verification = Entry::from_leaf(&leaves[SETUP + 4]).unwrap();
    assert_eq!(verification.platform.as_deref(), Some(&*platform.client_id));

    let hasher = MerkleHasher::new(Suite::gm());
    let report = netid_log::audit(&hasher, &verifier, &[note], &leaves).unwrap();
    assert_eq!(report.entries, SETUP as u64 + 5);
    assert_eq!(report.counts.values().sum::<u64>(), SETUP as u64 + 5);

    // No personal data and no global identifier in any entry.
    let text = String::from_utf8(leaves.concat()).unwrap();
    for secret in [
        &world.people.adult.name,
        &world.people.adult.document_number,
        &world.people.adult.person_ref,
    ] {
        assert!(!text.contains(secret.as_str()));
    }
    world.server.stop().await;
}

#[tokio::test]
async fn proofs_connect_checkpoints_and_bad_ranges_are_refused() {
    let world = World::new().await;
    let client = &world.client;
    let verifier = verifier(client).await;
    let old = verifier.verify(&checkpoint(client).await).unwrap();
    let platform = client.register_platform("proof-platform").await;
    let wallet = Wallet::generate();
    client
        .enroll_ok(&wallet.enroll_request(&world.people.adult))
        .await;
    client
        .verify_ok(&platform, &wallet, "nonce-proof-00001", &[])
        .await;
    let new = verifier.verify(&checkpoint(client).await).unwrap();
    let setup = SETUP as u64;
    assert_eq!((old.size, new.size), (setup + 2, setup + 5));

    let hasher = MerkleHasher::new(Suite::gm());
    let consistency: ConsistencyProof = client
        .get(&format!(
            "/v1/log/proof/consistency?old={}&new={}",
            old.size, new.size
        ))
        .await
        .json();
    hasher
        .verify_consistency(
            old.size,
            new.size,
            &old.root,
            &new.root,
            &hashes(&consistency.proof),
        )
        .unwrap();

    let leaves = all_entries(client, new.size).await;
    for (index, leaf) in leaves.iter().enumerate() {
        let inclusion: InclusionProof = client
            .get(&format!(
                "/v1/log/proof/inclusion?index={index}&size={}",
                new.size
            ))
            .await
            .json();
        hasher
            .verify_inclusion(
                index as u64,
                new.size,
                &hasher.leaf_hash(leaf),
                &hashes(&inclusion.proof),
                &new.root,
            )
            .unwrap();
    }

    let (size, old_size) = (new.size, old.size);
    for (path, code) in [
        (
            format!("/v1/log/proof/inclusion?index={size}&size={size}"),
            "log_range",
        ),
        (
            "/v1/log/proof/inclusion?index=0&size=99".to_owned(),
            "log_range",
        ),
        (
            format!("/v1/log/proof/consistency?old={size}&new={old_size}"),
            "log_range",
        ),
        (
            "/v1/log/proof/consistency?old=1&new=99".to_owned(),
            "log_range",
        ),
        (format!("/v1/log/entries?start={size}&end=99"), "log_range"),
        ("/v1/log/entries?start=3&end=3".to_owned(), "log_range"),
        ("/v1/log/entries?start=-1&end=3".to_owned(), "invalid_query"),
        ("/v1/log/entries?end=3".to_owned(), "invalid_query"),
        (
            "/v1/log/proof/inclusion?index=x&size=5".to_owned(),
            "invalid_query",
        ),
    ] {
        client
            .get(&path)
            .await
            .problem(StatusCode::BAD_REQUEST, code);
    }
    // A page never runs past the signed size.
    let page: LogEntries = client
        .get(&format!("/v1/log/entries?start={}&end=1000", size - 2))
        .await
        .json();
    assert_eq!(page.entries.len(), 2);
    world.server.stop().await;
}

#[tokio::test]
async fn holders_get_their_own_entries_with_proofs_and_recognise_only_those() {
    let world = World::new().await;
    let client = &world.client;
    let platform = client.register_platform("holder-log-platform").await;
    let alice = Wallet::generate();
    let bob = Wallet::generate();
    client
        .enroll_ok(&alice.enroll_request(&world.people.adult))
        .await;
    client
        .enroll_ok(&bob.enroll_request(&world.people.teen))
        .await;
    client
        .verify_ok(&platform, &alice, "nonce-holder-0001", &[])
        .await;

    let verifier = verifier(client).await;
    let hasher = MerkleHasher::new(Suite::gm());
    let alice_log: HolderLogResponse = client
        .post("/v1/holders/log", None, &alice.log_request())
        .await
        .json();
    let bob_log: HolderLogResponse = client
        .post("/v1/holders/log", None, &bob.log_request())
        .await
        .json();
    let alice_key = MacKey::from_bytes(&hex::decode(&alice_log.log_key).unwrap()).unwrap();
    let bob_key = MacKey::from_bytes(&hex::decode(&bob_log.log_key).unwrap()).unwrap();
    let signed = verifier.verify(&alice_log.checkpoint).unwrap();

    let alice_kinds: Vec<EntryKind> = alice_log
        .entries
        .iter()
        .map(|entry| {
            hasher
                .verify_inclusion(
                    entry.index,
                    signed.size,
                    &hasher.leaf_hash(entry.leaf.as_bytes()),
                    &hashes(&entry.proof),
                    &signed.root,
                )
                .unwrap();
            let parsed = Entry::from_leaf(entry.leaf.as_bytes()).unwrap();
            // A use is tagged with its own key (so the centre can forget it), given with it.
            let key = entry
                .tag_key
                .as_deref()
                .map_or(alice_key.clone(), |hex_key| {
                    MacKey::from_bytes(&hex::decode(hex_key).unwrap()).unwrap()
                });
            assert!(parsed.is_about(&Suite::gm(), &key));
            assert!(!parsed.is_about(&Suite::gm(), &bob_key));
            parsed.kind
        })
        .collect();
    assert_eq!(
        alice_kinds,
        vec![EntryKind::Enrollment, EntryKind::Verification]
    );
    assert_eq!(bob_log.entries.len(), 1);

    // Across the whole public log, each key recognises exactly its holder's entries.
    let leaves = all_entries(client, signed.size).await;
    let recognised = |key: &MacKey| {
        leaves
            .iter()
            .filter(|leaf| Entry::from_leaf(leaf).unwrap().is_about(&Suite::gm(), key))
            .count()
    };
    let alice_use_key =
        MacKey::from_bytes(&hex::decode(alice_log.entries[1].tag_key.as_deref().unwrap()).unwrap())
            .unwrap();
    assert_eq!(
        (
            recognised(&alice_key),
            recognised(&alice_use_key),
            recognised(&bob_key)
        ),
        (1, 1, 1)
    );

    // Someone else's key, or a key that is not enrolled, gets nothing.
    let stranger = Wallet::generate();
    client
        .post("/v1/holders/log", None, &stranger.log_request())
        .await
        .problem(StatusCode::FORBIDDEN, "bad_wallet_signature");
    let mut forged = alice.log_request();
    forged.signature = bob.log_request().signature;
    client
        .post("/v1/holders/log", None, &forged)
        .await
        .problem(StatusCode::FORBIDDEN, "bad_wallet_signature");
    world.server.stop().await;
}

/// Rewrites log entry `index` (a platform's `grant_changed`) of the stopped server whose data
/// directory is `data_dir` into a `key_rollover`, behind the service's back.
fn rewrite_grant_entry(data_dir: &std::path::Path, index: u64) {
    let store = netid_testkit::RawStore::of(data_dir);
    let changed = store.execute(&if store.is_postgres() {
        format!(
            "UPDATE log_entries SET leaf = convert_to(replace(convert_from(leaf, 'UTF8'), \
             'grant_changed', 'key_rollover'), 'UTF8') WHERE idx = {index}"
        )
    } else {
        format!(
            "UPDATE log_entries SET leaf = CAST(replace(CAST(leaf AS TEXT), 'grant_changed', \
             'key_rollover') AS BLOB) WHERE idx = {index}"
        )
    });
    assert_eq!(changed, 1);
}

#[tokio::test]
async fn the_log_survives_restarts_and_a_tampered_log_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path()).await.unwrap();
    let client = Client::new(&server);
    client.register_platform("before-restart").await;
    let verifier = verifier(&client).await;
    let before = checkpoint(&client).await;
    server.stop().await;

    let server = TestServer::start_in(dir.path()).await.unwrap();
    let client = Client::new(&server);
    client.register_platform("after-restart").await;
    let after = checkpoint(&client).await;
    let leaves = all_entries(&client, SETUP as u64 + 2).await;
    let report = netid_log::audit(
        &MerkleHasher::new(Suite::gm()),
        &verifier,
        &[before, after],
        &leaves,
    )
    .unwrap();
    assert_eq!(report.checkpoints[0].size, SETUP as u64 + 2);
    server.stop().await;

    // Rewrite history behind the service's back: the next start refuses.
    rewrite_grant_entry(dir.path(), SETUP as u64);
    let error = TestServer::start_in(dir.path()).await.unwrap_err();
    assert!(
        matches!(error, netid_server::Error::LogCorrupt(_)),
        "{error}"
    );
    assert!(error.to_string().contains("restore the database"));
}

/// A database from before tiles (schema 18: entries and a checkpoint, no tiles; here made by
/// removing the tiles) has them built at its first start, and its old checkpoint must be
/// their root: the log goes on consistent with it, and one whose entries were changed does
/// not start.
#[tokio::test]
async fn a_log_from_before_tiles_gets_them_once_and_they_must_match_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path()).await.unwrap();
    let client = Client::new(&server);
    for name in ["one", "two", "three"] {
        client.register_platform(name).await;
    }
    let verifier = verifier(&client).await;
    let old = checkpoint(&client).await;
    server.stop().await;
    let forget_tiles = |data: &std::path::Path| {
        let store = netid_testkit::RawStore::of(data);
        store.execute("DELETE FROM log_tiles");
        store.execute("UPDATE log_integration SET size = 0");
    };
    forget_tiles(dir.path());
    let tampered = tempfile::tempdir().unwrap();
    let tampered = tampered.path().join("data");
    netid_testkit::copy_data_dir(dir.path(), &tampered);

    let server = TestServer::start_in(dir.path()).await.unwrap();
    let client = Client::new(&server);
    client.register_platform("four").await;
    let new = checkpoint(&client).await;
    let old_size = verifier.verify(&old).unwrap().size;
    let new_size = verifier.verify(&new).unwrap().size;
    assert_eq!(new_size, old_size + 1);
    let leaves = all_entries(&client, new_size).await;
    netid_log::audit(
        &MerkleHasher::new(Suite::gm()),
        &verifier,
        &[old, new],
        &leaves,
    )
    .unwrap();
    server.stop().await;

    rewrite_grant_entry(&tampered, SETUP as u64 + 1);
    let error = TestServer::start_in(&tampered).await.unwrap_err();
    assert!(
        matches!(error, netid_server::Error::LogCorrupt(_)),
        "{error}"
    );
}

#[tokio::test]
async fn a_guardian_sees_the_log_of_the_minor_in_their_care() {
    let world = World::new().await;
    let client = &world.client;
    let (guardian, child, _) = world.enroll_child().await;

    let guardian_log: HolderLogResponse = client
        .post("/v1/holders/log", None, &guardian.log_request())
        .await
        .json();
    let child_log: HolderLogResponse = client
        .post("/v1/holders/log", None, &child.log_request())
        .await
        .json();
    assert_eq!(guardian_log.wards.len(), 1);
    let ward = &guardian_log.wards[0];
    assert_eq!(ward.log_key, child_log.log_key);
    assert_eq!(ward.entries, child_log.entries);
    let key = MacKey::from_bytes(&hex::decode(&ward.log_key).unwrap()).unwrap();
    let entry = Entry::from_leaf(ward.entries[0].leaf.as_bytes()).unwrap();
    assert_eq!(entry.kind, EntryKind::Enrollment);
    assert!(entry.is_about(&Suite::gm(), &key));
    // The minor's view has no wards, and an adult without wards gets none either.
    assert!(child_log.wards.is_empty());
    world.server.stop().await;
}

fn split_bundle(mut bundle: &[u8]) -> Vec<Vec<u8>> {
    let mut entries = Vec::new();
    while let [high, low, rest @ ..] = bundle {
        let len = usize::from(u16::from_be_bytes([*high, *low]));
        entries.push(rest[..len].to_vec());
        bundle = &rest[len..];
    }
    entries
}

/// The tree can be rebuilt from C2SP tiles alone: entry bundles give the leaves, level-0
/// tiles their hashes, level-1 tiles the hashes of 256-leaf subtrees.
#[tokio::test]
async fn the_log_is_served_as_c2sp_tiles_that_rebuild_the_checkpoint() {
    let (server, _dir) = TestServer::start().await;
    let client = Client::new(&server);
    for n in 0..300 {
        client.register_platform(&format!("tile-{n}")).await;
    }
    let verifier = verifier(&client).await;
    let signed = verifier.verify(&checkpoint(&client).await).unwrap();
    assert_eq!(signed.size, SETUP as u64 + 300);
    let partial = signed.size - 256;
    let hasher = MerkleHasher::new(Suite::gm());

    let (status, cache, first) = client.get_bytes("/v1/log/tile/entries/000").await;
    assert_eq!(status, StatusCode::OK);
    assert!(cache.contains("immutable"), "{cache}");
    let (status, cache, rest) = client
        .get_bytes(&format!("/v1/log/tile/entries/001.p/{partial}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!cache.contains("immutable"), "{cache}");
    let mut leaves = split_bundle(&first);
    leaves.extend(split_bundle(&rest));
    assert_eq!(leaves.len() as u64, signed.size);
    assert_eq!(leaves, all_entries(&client, signed.size).await);

    let (_, _, level0) = client.get_bytes("/v1/log/tile/0/000").await;
    let (_, _, level0_rest) = client
        .get_bytes(&format!("/v1/log/tile/0/001.p/{partial}"))
        .await;
    let leaf_hashes: Vec<Hash> = level0
        .chunks(32)
        .chain(level0_rest.chunks(32))
        .map(|chunk| Hash::from_slice(chunk).unwrap())
        .collect();
    let expected: Vec<Hash> = leaves.iter().map(|leaf| hasher.leaf_hash(leaf)).collect();
    assert_eq!(leaf_hashes, expected);
    assert_eq!(hasher.root_of(&leaf_hashes), signed.root);

    let (status, _, level1) = client.get_bytes("/v1/log/tile/1/000.p/1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(level1, hasher.root_of(&leaf_hashes[..256]).0.to_vec());

    // Not covered by the checkpoint yet, or not a tile path: 404.
    for path in [
        "/v1/log/tile/0/001",
        "/v1/log/tile/0/002.p/1",
        &format!("/v1/log/tile/entries/001.p/{}", partial + 1),
        "/v1/log/tile/1/000",
        "/v1/log/tile/0/1",
        "/v1/log/tile/x/000",
    ] {
        let (status, _, _) = client.get_bytes(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    server.stop().await;
}

/// RFC 6962 §2.1's Merkle tree hash with SHA-256, written out here apart from netid-log.
fn sha256_tree_hash(leaves: &[Vec<u8>]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    match leaves {
        [] => Sha256::digest([]).into(),
        [leaf] => Sha256::new()
            .chain_update([0u8])
            .chain_update(leaf)
            .finalize()
            .into(),
        _ => {
            let split = leaves.len().next_power_of_two() / 2;
            Sha256::new()
                .chain_update([1u8])
                .chain_update(sha256_tree_hash(&leaves[..split]))
                .chain_update(sha256_tree_hash(&leaves[split..]))
                .finalize()
                .into()
        }
    }
}

/// Issue 20: docs/transparency.md described a SHA-256/ECDSA log for `NETID_CA_SUITE=intl`,
/// while the log was SM3/SM2 whatever the suite. An `intl` deployment's log now has an ECDSA
/// P-256 key (signed-note type 0x02) and a SHA-256 tree, which a plain RFC 6962 computation
/// reproduces.
#[tokio::test]
async fn issue_20_an_intl_deployments_log_is_sha256_with_ecdsa_p256_checkpoints() {
    let world = World::with_env(&[("NETID_CA_SUITE", "intl")]).await;
    let client = &world.client;
    client
        .enroll_ok(&Wallet::generate().enroll_request(&world.people.adult))
        .await;
    let vkey = client.get("/v1/log/key").await.body;
    let key = Base64::decode_vec(vkey.trim().splitn(3, '+').nth(2).unwrap()).unwrap();
    assert_eq!(key[0], 0x02, "signed-note type of ECDSA");
    Suite::intl()
        .verifying_key_from_spki_der(&key[1..])
        .unwrap();
    let note = checkpoint(client).await;
    let signed = verifier(client).await.verify(&note).unwrap();
    let leaves = all_entries(client, signed.size).await;
    assert!(leaves.len() >= 3, "authority, roster and enrollment");
    let root = note.lines().nth(2).unwrap();
    assert_eq!(
        Base64::decode_vec(root).unwrap(),
        sha256_tree_hash(&leaves).to_vec()
    );
}
