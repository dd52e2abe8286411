//! Entries, holder tags and the auditor: a passing audit, and every tampering it must catch.

use netid_crypto::{MacKey, Suite};
use netid_log::{Entry, EntryKind, Error, MerkleHasher, NoteSigner, Tree, audit};

/// 2026-11-27T10:00:00Z.
const T: u64 = 1_795_773_600;

struct Log {
    hasher: MerkleHasher,
    signer: NoteSigner,
    leaves: Vec<Vec<u8>>,
}

impl Log {
    fn new(suite: &Suite) -> Self {
        Self {
            hasher: MerkleHasher::new(suite.clone()),
            signer: NoteSigner::new("netid.example/log", suite.generate_signing_key().unwrap())
                .unwrap(),
            leaves: Vec::new(),
        }
    }

    fn append(&mut self, entry: &Entry) {
        self.leaves.push(entry.to_leaf().unwrap());
    }

    fn checkpoint(&self, size: usize) -> String {
        let mut tree = Tree::new(self.hasher.clone());
        for leaf in &self.leaves[..size] {
            tree.append(leaf);
        }
        self.signer
            .sign(&netid_log::Checkpoint {
                origin: "netid.example/log".to_owned(),
                size: tree.size(),
                root: tree.root(),
                extensions: vec![],
            })
            .unwrap()
    }
}

fn populated(suite: &Suite, holder: &MacKey) -> Log {
    let mut log = Log::new(suite);
    let kinds = [
        EntryKind::Enrollment,
        EntryKind::Verification,
        EntryKind::Verification,
        EntryKind::OperatorRead,
        EntryKind::NoticeDeferred,
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        let nonce = [u8::try_from(i).unwrap(); 16];
        let platform = (kind == EntryKind::Verification).then_some("platform-test-a");
        log.append(&Entry::new(
            suite,
            kind,
            T + 3600 * u64::try_from(i).unwrap(),
            nonce,
            Some(holder),
            platform,
        ));
    }
    // One entry in December, about nobody.
    log.append(&Entry::new(
        suite,
        EntryKind::KeyRollover,
        T + 5 * 86_400,
        [9; 16],
        None,
        None,
    ));
    log
}

#[test]
fn an_honest_log_passes_the_audit_with_its_counts() {
    for suite in [Suite::gm(), Suite::intl()] {
        let holder = MacKey::generate().unwrap();
        let log = populated(&suite, &holder);
        let notes = vec![log.checkpoint(2), log.checkpoint(6), log.checkpoint(4)];
        let report = audit(&log.hasher, &log.signer.verifier(), &notes, &log.leaves).unwrap();
        assert_eq!(report.entries, 6);
        assert_eq!(
            report
                .checkpoints
                .iter()
                .map(|c| c.size)
                .collect::<Vec<_>>(),
            vec![6, 4, 2]
        );
        assert_eq!(
            report
                .counts
                .get(&("2026-11".to_owned(), EntryKind::Verification)),
            Some(&2)
        );
        assert_eq!(
            report
                .counts
                .get(&("2026-11".to_owned(), EntryKind::OperatorRead)),
            Some(&1)
        );
        assert_eq!(
            report
                .counts
                .get(&("2026-11".to_owned(), EntryKind::NoticeDeferred)),
            Some(&1)
        );
        assert_eq!(
            report
                .counts
                .get(&("2026-12".to_owned(), EntryKind::KeyRollover)),
            Some(&1)
        );
    }
}

#[test]
fn changed_removed_and_reordered_entries_fail_the_audit() {
    let suite = Suite::gm();
    let holder = MacKey::generate().unwrap();
    let log = populated(&suite, &holder);
    let notes = vec![log.checkpoint(6)];
    let verifier = log.signer.verifier();

    let mut changed = log.leaves.clone();
    let mut entry = Entry::from_leaf(&changed[3]).unwrap();
    entry.kind = EntryKind::Verification; // hide an operator read
    changed[3] = entry.to_leaf().unwrap();
    assert_eq!(
        audit(&log.hasher, &verifier, &notes, &changed).unwrap_err(),
        Error::ConsistencyMismatch
    );

    let mut removed = log.leaves.clone();
    removed.remove(3);
    removed.push(log.leaves[3].clone()); // same count, different order
    assert_eq!(
        audit(&log.hasher, &verifier, &notes, &removed).unwrap_err(),
        Error::ConsistencyMismatch
    );

    let truncated = &log.leaves[..5];
    assert!(matches!(
        audit(&log.hasher, &verifier, &notes, truncated),
        Err(Error::SizeOutOfRange {
            requested: 6,
            available: 5
        })
    ));

    let mut reordered = log.leaves.clone();
    reordered.swap(1, 2);
    assert_eq!(
        audit(&log.hasher, &verifier, &notes, &reordered).unwrap_err(),
        Error::ConsistencyMismatch
    );
}

#[test]
fn two_checkpoints_of_one_size_with_different_roots_are_a_fork() {
    let suite = Suite::intl();
    let holder = MacKey::generate().unwrap();
    let mut log = populated(&suite, &holder);
    // A forking log signs a second, diverging history with the same key.
    let key = suite.generate_signing_key().unwrap();
    let pkcs8 = key.to_pkcs8_der().unwrap();
    log.signer = NoteSigner::new("netid.example/log", key).unwrap();
    let mut other = Log {
        hasher: log.hasher.clone(),
        signer: NoteSigner::new(
            "netid.example/log",
            suite.signing_key_from_pkcs8_der(&pkcs8).unwrap(),
        )
        .unwrap(),
        leaves: log.leaves.clone(),
    };
    other.leaves[4] = Entry::new(&suite, EntryKind::Deletion, T, [7; 16], None, None)
        .to_leaf()
        .unwrap();
    let notes = vec![log.checkpoint(6), other.checkpoint(6)];
    assert_eq!(
        audit(&log.hasher, &log.signer.verifier(), &notes, &log.leaves).unwrap_err(),
        Error::Fork { size: 6 }
    );
}

#[test]
fn a_checkpoint_signed_by_another_key_is_refused() {
    let suite = Suite::gm();
    let holder = MacKey::generate().unwrap();
    let log = populated(&suite, &holder);
    let impostor = Log::new(&suite);
    let mut forged_notes = vec![log.checkpoint(6)];
    forged_notes.push(
        impostor
            .signer
            .sign(&netid_log::Checkpoint {
                origin: "netid.example/log".to_owned(),
                size: 6,
                root: netid_log::Hash([0; 32]),
                extensions: vec![],
            })
            .unwrap(),
    );
    assert!(matches!(
        audit(
            &log.hasher,
            &log.signer.verifier(),
            &forged_notes,
            &log.leaves
        ),
        Err(Error::MissingSignature { .. })
    ));
}

#[test]
fn holders_recognise_their_entries_and_no_one_else_does() {
    let suite = Suite::gm();
    let holder = MacKey::generate().unwrap();
    let stranger = MacKey::generate().unwrap();
    let log = populated(&suite, &holder);
    let entries: Vec<Entry> = log
        .leaves
        .iter()
        .map(|l| Entry::from_leaf(l).unwrap())
        .collect();
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.is_about(&suite, &holder))
            .count(),
        5
    );
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.is_about(&suite, &stranger))
            .count(),
        0
    );
    // Tags of one holder differ from entry to entry: nothing links them without the key.
    let tags: std::collections::BTreeSet<_> = entries
        .iter()
        .filter_map(|e| e.holder_tag.clone())
        .collect();
    assert_eq!(tags.len(), 5);
    // No global identifier, name or number can appear: the members are fixed.
    assert!(
        Entry::from_leaf(br#"{"v":1,"kind":"enrollment","minute":1,"nonce":"00","net_id":"X"}"#)
            .is_err()
    );
}
