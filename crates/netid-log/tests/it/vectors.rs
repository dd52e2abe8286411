//! The certificate-transparency reference vectors (SHA-256), as published with the C++ CT
//! implementation (`cpp/merkletree/merkle_tree_test.cc`) and carried by transparency-dev/merkle
//! `testonly/reference_test_vectors`: eight leaves, the root of every prefix, and audit and
//! consistency paths. Leaf indexes below are 0-based.

use netid_crypto::Suite;
use netid_log::{Hash, MerkleHasher};

use crate::tree_of;

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (leaf index, tree size, audit path).
const INCLUSION: [(u64, u64, &[&str]); 5] = [
    (0, 1, &[]),
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// (old size, new size, consistency path).
const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn hash(hex_str: &str) -> Hash {
    Hash::from_slice(&hex::decode(hex_str).unwrap()).unwrap()
}

fn hashes(list: &[&str]) -> Vec<Hash> {
    list.iter().map(|h| hash(h)).collect()
}

fn reference_tree() -> netid_log::Tree {
    let leaves: Vec<Vec<u8>> = LEAVES.iter().map(|l| hex::decode(l).unwrap()).collect();
    tree_of(Suite::intl(), &leaves)
}

#[test]
fn empty_root_is_the_hash_of_nothing() {
    let hasher = MerkleHasher::new(Suite::intl());
    assert_eq!(
        hex::encode(hasher.empty_root()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn roots_match_the_reference_vectors() {
    let tree = reference_tree();
    for (n, root) in ROOTS.iter().enumerate() {
        let size = u64::try_from(n + 1).unwrap();
        assert_eq!(
            tree.root_at(size).unwrap(),
            hash(root),
            "root of {size} leaves"
        );
    }
}

#[test]
fn inclusion_proofs_match_and_verify_against_the_reference_vectors() {
    let tree = reference_tree();
    let hasher = MerkleHasher::new(Suite::intl());
    for (index, size, path) in INCLUSION {
        let expected = hashes(path);
        assert_eq!(
            tree.inclusion_proof(index, size).unwrap(),
            expected,
            "{index}/{size}"
        );
        let leaf = hasher.leaf_hash(&hex::decode(LEAVES[usize::try_from(index).unwrap()]).unwrap());
        let root = hash(ROOTS[usize::try_from(size - 1).unwrap()]);
        hasher
            .verify_inclusion(index, size, &leaf, &expected, &root)
            .unwrap();
    }
}

#[test]
fn consistency_proofs_match_and_verify_against_the_reference_vectors() {
    let tree = reference_tree();
    let hasher = MerkleHasher::new(Suite::intl());
    for (old, new, path) in CONSISTENCY {
        let expected = hashes(path);
        assert_eq!(
            tree.consistency_proof(old, new).unwrap(),
            expected,
            "{old}->{new}"
        );
        let old_root = hash(ROOTS[usize::try_from(old - 1).unwrap()]);
        let new_root = hash(ROOTS[usize::try_from(new - 1).unwrap()]);
        hasher
            .verify_consistency(old, new, &old_root, &new_root, &expected)
            .unwrap();
    }
}

#[test]
fn sm3_tree_differs_from_sha256_tree_over_the_same_entries() {
    let leaves: Vec<Vec<u8>> = LEAVES.iter().map(|l| hex::decode(l).unwrap()).collect();
    let sm3 = tree_of(Suite::gm(), &leaves);
    assert_ne!(sm3.root(), reference_tree().root());
    // The SM3 tree's leaf is SM3(0x00 || entry), checked against the suite's hash directly.
    let mut prefixed = vec![0u8];
    prefixed.extend(&leaves[1]);
    assert_eq!(sm3.root_at(2).unwrap(), {
        let hasher = MerkleHasher::new(Suite::gm());
        let left = Hash(Suite::gm().hash(&[0u8]).to_bytes());
        let right = Hash(Suite::gm().hash(&prefixed).to_bytes());
        hasher.node_hash(&left, &right)
    });
}
