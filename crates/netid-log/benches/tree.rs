//! Transparency-log tree costs: appends, roots, and proof generation and verification at a
//! million entries, in both hash suites. Run with `cargo bench -p netid-log --bench tree`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use netid_crypto::Suite;
use netid_log::{MerkleHasher, Tree};

// Not a power of two: most subtrees on a proof path are then incomplete and must be hashed.
const SIZE: u64 = 1_000_003;

/// A realistic leaf: the JSON line of an entry, about 170 bytes.
fn leaf(i: u64) -> Vec<u8> {
    format!(
        "{{\"v\":1,\"kind\":\"verification\",\"minute\":29930060,\"nonce\":\"{i:032x}\",\
         \"holder_tag\":\"{i:064x}\",\"platform\":\"pl-0123456789abcdef0123456789abcdef\"}}"
    )
    .into_bytes()
}

fn tree_of(suite: &Suite, size: u64) -> Tree {
    let mut tree = Tree::new(MerkleHasher::new(suite.clone()));
    for i in 0..size {
        tree.append(&leaf(i));
    }
    tree
}

fn benches(c: &mut Criterion) {
    for (name, suite) in [("gm", Suite::gm()), ("intl", Suite::intl())] {
        let hasher = MerkleHasher::new(suite.clone());
        let tree = tree_of(&suite, SIZE);
        let root = tree.root();

        let mut group = c.benchmark_group(format!("log/{name}"));
        group.throughput(Throughput::Elements(1));
        group.bench_function("append", |b| {
            b.iter_batched_ref(
                || tree_of(&suite, 1000),
                |tree| tree.append(black_box(&leaf(7))),
                BatchSize::SmallInput,
            );
        });
        let mut index = 0u64;
        group.bench_function("inclusion_proof_1M", |b| {
            b.iter(|| {
                index = (index + 7919) % SIZE;
                tree.inclusion_proof(black_box(index), SIZE).unwrap()
            });
        });
        let proof = tree.inclusion_proof(123_457, SIZE).unwrap();
        let leaf_hash = hasher.leaf_hash(&leaf(123_457));
        group.bench_function("verify_inclusion_1M", |b| {
            b.iter(|| {
                hasher
                    .verify_inclusion(123_457, SIZE, black_box(&leaf_hash), &proof, &root)
                    .unwrap();
            });
        });
        let mut old = 1u64;
        group.bench_function("consistency_proof_1M", |b| {
            b.iter(|| {
                old = (old + 104_729) % SIZE + 1;
                tree.consistency_proof(black_box(old), SIZE).unwrap()
            });
        });
        group.bench_function("root_at_1M", |b| {
            b.iter(|| tree.root_at(black_box(SIZE - 3)).unwrap());
        });
        group.finish();
    }
}

criterion_group!(tree, benches);
criterion_main!(tree);
