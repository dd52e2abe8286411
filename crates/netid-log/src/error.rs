//! The one error type of `netid-log`.

/// What went wrong computing or checking a tree, a proof or a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A leaf index is not inside the tree it is claimed to be in.
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A tree size asked for is larger than the tree has grown.
    #[error("tree size {requested} is larger than the log's {available} entries")]
    SizeOutOfRange {
        /// The size asked for.
        requested: u64,
        /// The size available.
        available: u64,
    },
    /// A consistency proof was asked for from a larger tree to a smaller one.
    #[error(
        "consistency from size {old} to smaller size {new} is undefined; order the checkpoints"
    )]
    SizesOutOfOrder {
        /// The first (older) size.
        old: u64,
        /// The second (newer) size.
        new: u64,
    },
    /// A proof has the wrong number of hashes for the sizes it claims to connect.
    #[error("proof has {got} hashes but the sizes need {want}")]
    ProofSizeMismatch {
        /// Hashes supplied.
        got: usize,
        /// Hashes the sizes require.
        want: usize,
    },
    /// An inclusion proof does not lead to the root it should.
    #[error("inclusion proof does not lead to the tree head's root; the entry is not in that tree")]
    InclusionMismatch,
    /// A consistency proof does not connect the two roots: the log was rewritten (or forked).
    #[error(
        "consistency proof does not connect the two roots; the log is not append-only between them"
    )]
    ConsistencyMismatch,
    /// Two checkpoints of the same size carry different roots: a fork.
    #[error("two checkpoints of size {size} have different roots; the log has forked")]
    Fork {
        /// The size both checkpoints claim.
        size: u64,
    },
    /// A checkpoint or signed note is not in the C2SP format.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),
    /// A hash has the wrong length for the log's hash function.
    #[error("hash is {got} bytes but the log's hash has {want}")]
    HashLength {
        /// Length supplied.
        got: usize,
        /// Length required.
        want: usize,
    },
    /// No signature from the expected log key verifies on the note.
    #[error("no valid signature from the log key `{key_name}` on the checkpoint")]
    MissingSignature {
        /// The key name the verifier trusts.
        key_name: String,
    },
    /// A signature by the trusted key is present but does not verify.
    #[error("the log key's signature on the checkpoint does not verify")]
    BadSignature,
    /// A verifier key is not in the signed-note `vkey` form.
    #[error("malformed verifier key: {0}")]
    MalformedVerifierKey(&'static str),
    /// A hash needed from a tile is not in the tiles given: the tile is missing or shorter.
    #[error("tile {level}/{index} is missing or too short for the hash asked of it")]
    MissingTile {
        /// The tile's level.
        level: u32,
        /// The tile's index.
        index: u64,
    },
    /// A log entry is not the JSON of a known entry version.
    #[error("malformed log entry: {0}")]
    MalformedEntry(&'static str),
    /// A cryptographic operation failed.
    #[error(transparent)]
    Crypto(#[from] netid_crypto::Error),
}
