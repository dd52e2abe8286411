//! Tests of netid-log through its public API: the RFC 6962/9162 reference vectors, proof
//! properties over random trees in both suites, tampering, and signed checkpoints.

// A test binary: helpers outside `#[test]` functions should fail loudly too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod audit;
mod checkpoints;
mod proofs;
mod vectors;

use netid_crypto::Suite;
use netid_log::{MerkleHasher, Tree};

pub(crate) fn tree_of(suite: Suite, entries: &[Vec<u8>]) -> Tree {
    let mut tree = Tree::new(MerkleHasher::new(suite));
    for entry in entries {
        tree.append(entry);
    }
    tree
}
