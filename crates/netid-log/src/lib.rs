//! The core of netid's transparency log: an append-only Merkle tree per RFC 9162, in the hash
//! of a netid suite (SM3 for `gm`, SHA-256 for `intl`), with inclusion and consistency proofs
//! and checkpoints in the C2SP `tlog-checkpoint` / `signed-note` formats.
//!
//! What this crate does not do: store entries, serve HTTP, read clocks. It is pure: the
//! service keeps the leaves and calls in; auditors and wallets verify with the same code.
//!
//! ```
//! use netid_crypto::Suite;
//! use netid_log::{MerkleHasher, Tree};
//!
//! let hasher = MerkleHasher::new(Suite::gm());
//! let mut tree = Tree::new(hasher.clone());
//! for entry in [&b"enrolment"[..], b"verification", b"disclosure"] {
//!     tree.append(entry);
//! }
//! let root = tree.root();
//! let proof = tree.inclusion_proof(1, 3)?;
//! hasher.verify_inclusion(1, 3, &hasher.leaf_hash(b"verification"), &proof, &root)?;
//!
//! let old_root = tree.root_at(2)?;
//! let consistency = tree.consistency_proof(2, 3)?;
//! hasher.verify_consistency(2, 3, &old_root, &root, &consistency)?;
//! # Ok::<(), netid_log::Error>(())
//! ```

mod audit;
mod checkpoint;
mod entry;
mod error;
mod merkle;
mod tiles;

pub use audit::{AuditReport, audit};
pub use checkpoint::{Checkpoint, NoteSigner, NoteVerifier};
pub use entry::{Entry, EntryKind};
pub use error::Error;
pub use merkle::{Hash, MerkleHasher, Tree};
pub use tiles::{TILE_HEIGHT, TILE_WIDTH, Tile, TileId, Tiles, tile_bytes};
