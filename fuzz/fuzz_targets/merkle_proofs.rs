#![no_main]
//! Inclusion and consistency proofs as an auditor or wallet checks them: any index, sizes,
//! root and proof hashes. A check may fail, never panic; and a proof made by the log for a
//! tree built from the input must pass.

use libfuzzer_sys::fuzz_target;
use netid_crypto::Suite;
use netid_log::{Hash, MerkleHasher, Tree};

fn u64_at(data: &[u8], at: usize) -> u64 {
    let mut bytes = [0u8; 8];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = data.get(at + i).copied().unwrap_or(0);
    }
    u64::from_le_bytes(bytes)
}

fuzz_target!(|data: &[u8]| {
    let hasher = MerkleHasher::new(Suite::gm());
    let (index, size, other) = (u64_at(data, 0), u64_at(data, 8), u64_at(data, 16));
    let hashes: Vec<Hash> = data
        .get(24..)
        .unwrap_or_default()
        .chunks_exact(32)
        .filter_map(|chunk| Hash::from_slice(chunk).ok())
        .collect();
    if let Some((root, proof)) = hashes.split_first() {
        let leaf = proof.first().copied().unwrap_or(*root);
        let _ = hasher.verify_inclusion(index, size, &leaf, proof, root);
        let _ = hasher.verify_consistency(index, size, &leaf, root, proof);
        let _ = hasher.verify_consistency(other, size, root, &leaf, proof);
    }

    // A small tree from the input's bytes: every proof it makes verifies.
    let leaves = data.get(24..).unwrap_or_default();
    let count = u64::try_from(leaves.len().min(64)).expect("small");
    if count == 0 {
        return;
    }
    let mut tree = Tree::new(hasher.clone());
    for byte in &leaves[..usize::try_from(count).expect("small")] {
        tree.append(&[*byte]);
    }
    let (index, old) = (index % count, other % count + 1);
    let proof = tree.inclusion_proof(index, count).expect("a proof");
    let leaf = tree.leaf(index).expect("a leaf");
    hasher
        .verify_inclusion(index, count, &leaf, &proof, &tree.root())
        .expect("the log's own proof verifies");
    let consistency = tree.consistency_proof(old, count).expect("a proof");
    hasher
        .verify_consistency(
            old,
            count,
            &tree.root_at(old).expect("a root"),
            &tree.root(),
            &consistency,
        )
        .expect("the log's own proof verifies");
});
