//! What the transparency log costs the store: an act committed durably with its log entry
//! (one transaction, synchronous=FULL), and reading entries back a page at a time, as the
//! sequencer and auditors do. Run with `cargo bench -p netid-store --bench log`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use netid_store::prelude::*;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use netid_store::{PlatformRow, PlatformStatus, SqliteStore, Timestamp};

fn leaf(i: u64) -> Vec<u8> {
    format!(
        "{{\"v\":1,\"kind\":\"grant_changed\",\"minute\":29930060,\"nonce\":\"{i:032x}\",\
         \"platform\":\"pl-{i:032x}\"}}"
    )
    .into_bytes()
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = runtime
        .block_on(SqliteStore::open(&dir.path().join("bench.sqlite3")))
        .unwrap();
    let mut n = 0u64;
    let mut act = || {
        n += 1;
        let platform = PlatformRow {
            client_id: format!("pl-{n:032x}"),
            credential_hash: vec![7; 32],
            sector: format!("sector-{n}"),
            name: "bench".to_owned(),
            registered_at: Timestamp(1_800_000_000),
            status: PlatformStatus::Active,
            status_since: None,
            status_reason: None,
            commitments_at: None,
        };
        runtime
            .block_on(store.insert_platform(platform, leaf(n)))
            .unwrap();
    };

    let mut group = c.benchmark_group("store/log");
    group.throughput(Throughput::Elements(1));
    group.bench_function("act_with_entry_durable", |b| b.iter(&mut act));
    // Make sure a full page exists whatever the number of iterations above was.
    for _ in 0..1000 {
        act();
    }
    group.throughput(Throughput::Elements(1000));
    group.bench_function("read_1000_entries", |b| {
        b.iter(|| {
            runtime
                .block_on(store.log_entries(black_box(0), 1000))
                .unwrap()
        });
    });
    group.finish();
}

criterion_group!(log, benches);
criterion_main!(log);
