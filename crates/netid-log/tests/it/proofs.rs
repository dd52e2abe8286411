//! Properties of proofs over random trees, in both suites, and tampering.

use netid_crypto::Suite;
use netid_log::{Error, Hash, MerkleHasher};
use proptest::prelude::*;

use crate::tree_of;

fn suite() -> impl Strategy<Value = Suite> {
    prop_oneof![Just(Suite::gm()), Just(Suite::intl())]
}

/// Random entries, made distinct by their index: with two equal entries, a proof for one
/// position is also a valid proof for the other.
fn entries() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 1..80).prop_map(
        |entries| {
            entries
                .into_iter()
                .enumerate()
                .map(|(i, mut entry)| {
                    entry.splice(0..0, u32::try_from(i).unwrap().to_be_bytes());
                    entry
                })
                .collect()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_inclusion_proof_verifies_and_a_flipped_bit_does_not(
        suite in suite(), entries in entries(), pick in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let tree = tree_of(suite.clone(), &entries);
        let hasher = MerkleHasher::new(suite);
        let size = tree.size();
        let index = u64::try_from(pick.index(entries.len())).unwrap();
        let proof = tree.inclusion_proof(index, size).unwrap();
        let leaf = hasher.leaf_hash(&entries[pick.index(entries.len())]);
        let root = tree.root();
        prop_assert!(hasher.verify_inclusion(index, size, &leaf, &proof, &root).is_ok());

        if !proof.is_empty() {
            let mut bad = proof.clone();
            let bit = flip.index(bad.len() * 256);
            bad[bit / 256].0[(bit % 256) / 8] ^= 1 << (bit % 8);
            prop_assert_eq!(hasher.verify_inclusion(index, size, &leaf, &bad, &root), Err(Error::InclusionMismatch));
        }
        let other_leaf = hasher.leaf_hash(b"an entry that was never appended");
        prop_assert!(hasher.verify_inclusion(index, size, &other_leaf, &proof, &root).is_err());
        if size > 1 {
            let other_index = (index + 1) % size;
            prop_assert!(hasher.verify_inclusion(other_index, size, &leaf, &proof, &root).is_err());
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_a_rewritten_prefix_does_not(
        suite in suite(), entries in entries(), pick in any::<prop::sample::Index>(),
    ) {
        let tree = tree_of(suite.clone(), &entries);
        let hasher = MerkleHasher::new(suite.clone());
        let new = tree.size();
        let old = u64::try_from(pick.index(entries.len() + 1)).unwrap();
        let proof = tree.consistency_proof(old, new).unwrap();
        let (old_root, new_root) = (tree.root_at(old).unwrap(), tree.root());
        prop_assert!(hasher.verify_consistency(old, new, &old_root, &new_root, &proof).is_ok());

        // A log that rewrote one of the old entries cannot prove consistency with the old root.
        if old > 0 && old < new {
            let mut rewritten = entries.clone();
            rewritten[0].push(0xff);
            let forged = tree_of(suite, &rewritten);
            let forged_proof = forged.consistency_proof(old, new).unwrap();
            prop_assert_eq!(
                hasher.verify_consistency(old, new, &old_root, &forged.root(), &forged_proof),
                Err(Error::ConsistencyMismatch)
            );
        }
    }
}

#[test]
fn same_size_with_different_roots_is_a_fork() {
    let hasher = MerkleHasher::new(Suite::gm());
    let a = tree_of(Suite::gm(), &[b"a".to_vec(), b"b".to_vec()]);
    let b = tree_of(Suite::gm(), &[b"a".to_vec(), b"c".to_vec()]);
    assert_eq!(
        hasher.verify_consistency(2, 2, &a.root(), &b.root(), &[]),
        Err(Error::Fork { size: 2 })
    );
    assert!(
        hasher
            .verify_consistency(2, 2, &a.root(), &a.root(), &[])
            .is_ok()
    );
}

#[test]
fn removed_and_reordered_entries_change_the_root() {
    let entries: Vec<Vec<u8>> = (0u8..10).map(|i| vec![i]).collect();
    let root = tree_of(Suite::intl(), &entries).root();
    let mut removed = entries.clone();
    removed.remove(4);
    assert_ne!(tree_of(Suite::intl(), &removed).root(), root);
    let mut reordered = entries.clone();
    reordered.swap(2, 3);
    assert_ne!(tree_of(Suite::intl(), &reordered).root(), root);
}

#[test]
fn malformed_proof_requests_get_distinct_errors() {
    let tree = tree_of(
        Suite::intl(),
        &[b"a".to_vec(), b"b".to_vec(), b"c".to_vec()],
    );
    let hasher = MerkleHasher::new(Suite::intl());
    assert_eq!(
        tree.inclusion_proof(3, 3),
        Err(Error::IndexOutOfRange { index: 3, size: 3 })
    );
    assert_eq!(
        tree.inclusion_proof(0, 4),
        Err(Error::SizeOutOfRange {
            requested: 4,
            available: 3
        })
    );
    assert_eq!(
        tree.consistency_proof(3, 2),
        Err(Error::SizesOutOfOrder { old: 3, new: 2 })
    );
    let root = tree.root();
    let leaf = hasher.leaf_hash(b"a");
    assert_eq!(
        hasher.verify_inclusion(0, 3, &leaf, &[], &root),
        Err(Error::ProofSizeMismatch { got: 0, want: 2 })
    );
    assert_eq!(
        Hash::from_slice(&[0u8; 31]),
        Err(Error::HashLength { got: 31, want: 32 })
    );
}
