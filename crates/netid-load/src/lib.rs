//! netid-load: the tools that measure netid under load, as examples of this crate so that
//! `cargo run` at the workspace root still means the one `netid` binary.
//!
//! - `examples/netid-load.rs`: drives a running server over HTTP (enrollments, online
//!   verifications) and prints throughput and p50/p99 latency per phase.
//! - `examples/netid-populate.rs`: adds synthetic holders straight into a stopped server's
//!   SQLite database, to measure at scale.
//!
//! `scripts/load` builds both (`cargo build --release -p netid-load --examples`) and runs them
//! against a release `netid serve`; `BENCHMARKS.md` has the figures.
