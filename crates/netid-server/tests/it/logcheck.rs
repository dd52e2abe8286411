//! The web app's check of the log (`src/web/logcheck.js`), run by Node on what netid's own
//! log code makes: a real service's history (a `gm` log, with a guardian's view of a minor)
//! and an `intl` log built here. `logcheck.mjs` also refuses tampered copies of both, and
//! checks the vendored sm-crypto against its npm package and the SM3 and SM2 test vectors.

use base64ct::{Base64, Encoding};
use netid_crypto::{MacKey, Suite};
use netid_log::{Checkpoint, Entry, EntryKind, MerkleHasher, NoteSigner, Tree};
use netid_testkit::Wallet;
use serde_json::{Value, json};

use crate::client::World;

const NODE_PROJECT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc/node");

/// An `intl` log of `size` entries in which every third entry is not the holder's; returns
/// the history the service would answer for the holder, and the verifier key.
fn intl_history(size: u64) -> Value {
    let suite = Suite::intl();
    let signer = NoteSigner::new(
        "netid.example/intl-log",
        suite.generate_signing_key().unwrap(),
    )
    .unwrap();
    let holder_key = [0x5a; 32];
    let holder = MacKey::from_bytes(&holder_key).unwrap();
    let mut tree = Tree::new(MerkleHasher::new(suite.clone()));
    let mut leaves = Vec::new();
    for i in 0..size {
        let nonce = [u8::try_from(i).unwrap(); 16];
        let tagged = (i % 3 != 0).then_some(&holder);
        let entry = Entry::new(
            &suite,
            EntryKind::Verification,
            1_800_000_000 + i * 60,
            nonce,
            tagged,
            Some("pf-intl-test"),
        );
        let leaf = String::from_utf8(entry.to_leaf().unwrap()).unwrap();
        tree.append(leaf.as_bytes());
        leaves.push((leaf, tagged.is_some()));
    }
    let checkpoint = Checkpoint {
        origin: "netid.example/intl-log".to_owned(),
        size: tree.size(),
        root: tree.root(),
        extensions: Vec::new(),
    };
    let entries: Vec<Value> = (0..size)
        .filter(|&i| leaves[usize::try_from(i).unwrap()].1)
        .map(|i| {
            let proof: Vec<String> = tree
                .inclusion_proof(i, size)
                .unwrap()
                .iter()
                .map(|hash| Base64::encode_string(&hash.0))
                .collect();
            json!({"index": i, "leaf": leaves[usize::try_from(i).unwrap()].0, "proof": proof})
        })
        .collect();
    json!({
        "vkey": signer.verifier().to_vkey().unwrap(),
        "history": {
            "log_key": hex::encode(holder_key),
            "checkpoint": signer.sign(&checkpoint).unwrap(),
            "entries": entries,
            "wards": [],
        },
    })
}

#[tokio::test]
async fn the_pages_log_check_accepts_what_the_log_proves_and_nothing_else() {
    assert!(
        std::path::Path::new(&format!("{NODE_PROJECT}/node_modules/sm-crypto")).is_dir(),
        "sm-crypto is not installed: run `npm ci` in {NODE_PROJECT} (scripts/test does)"
    );
    // A real service's log: a guardian and their child, and an adult verified twice, so
    // that the guardian's history has their own entries and their ward's.
    let world = World::new().await;
    let client = &world.client;
    let (guardian, _child, _) = world.enroll_child().await;
    let platform = client.register_platform("logcheck-platform").await;
    let adult = Wallet::generate();
    client
        .enroll_ok(&adult.enroll_request(&world.people.adult))
        .await;
    for nonce in ["nonce-logcheck-01", "nonce-logcheck-02"] {
        client.verify_ok(&platform, &adult, nonce, &[]).await;
    }
    let gm_history = client.history(&guardian).await;
    assert_eq!(gm_history.wards.len(), 1);
    let vectors = json!({
        "gm": {
            "vkey": client.get("/v1/log/key").await.body,
            "history": gm_history,
        },
        "intl": intl_history(13),
    });
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), vectors.to_string()).unwrap();

    let output = tokio::process::Command::new("node")
        .arg(format!("{NODE_PROJECT}/logcheck.mjs"))
        .env("VECTORS", file.path())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    // Every entry verified, in both logs: the guardian's own and their ward's, and the
    // intl holder's 8 of 13 (every third is someone else's).
    let gm_entries = gm_history.entries.len() + gm_history.wards[0].entries.len();
    assert_eq!(report["gm"]["verified"], json!(gm_entries), "{report}");
    assert_eq!(report["intl"]["verified"], json!(8), "{report}");
    // Each tampered copy was refused (the script fails on any that is not).
    for suite in ["gm", "intl"] {
        assert!(report[suite]["refused"].as_u64().unwrap() >= 6, "{report}");
    }
}
