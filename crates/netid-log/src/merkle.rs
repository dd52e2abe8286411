//! RFC 9162 §2.1 Merkle trees: hashing, roots, inclusion and consistency proofs.
//!
//! ```text
//! MTH({})      = HASH()
//! MTH({d(0)})  = HASH(0x00 || d(0))
//! MTH(D[n])    = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])),  k the largest power of 2 < n
//! ```

use netid_crypto::{DIGEST_LEN, Suite};

use crate::Error;

/// A tree hash (leaf, node or root), 32 bytes in both suites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; DIGEST_LEN]);

impl Hash {
    /// A hash from bytes; fails unless there are exactly 32.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        bytes.try_into().map(Self).map_err(|_| Error::HashLength {
            got: bytes.len(),
            want: DIGEST_LEN,
        })
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// The RFC 9162 hashing of one suite: the domain-separated leaf and node hashes, and the proof
/// verifiers, which need nothing but hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleHasher {
    suite: Suite,
}

impl MerkleHasher {
    /// Hashing with `suite`'s hash: SM3 for `gm`, SHA-256 for `intl`.
    pub fn new(suite: Suite) -> Self {
        Self { suite }
    }

    /// The suite whose hash this is.
    pub fn suite(&self) -> &Suite {
        &self.suite
    }

    /// `HASH()`, the root of the empty tree.
    pub fn empty_root(&self) -> Hash {
        Hash(self.suite.hash(b"").to_bytes())
    }

    /// `HASH(0x00 || entry)`.
    pub fn leaf_hash(&self, entry: &[u8]) -> Hash {
        let mut hasher = self.suite.hasher();
        hasher.update(&[0x00]);
        hasher.update(entry);
        Hash(hasher.finish().to_bytes())
    }

    /// `HASH(0x01 || left || right)`.
    pub fn node_hash(&self, left: &Hash, right: &Hash) -> Hash {
        let mut hasher = self.suite.hasher();
        hasher.update(&[0x01]);
        hasher.update(&left.0);
        hasher.update(&right.0);
        Hash(hasher.finish().to_bytes())
    }

    /// `MTH` over leaf hashes.
    pub fn root_of(&self, leaves: &[Hash]) -> Hash {
        match leaves {
            [] => self.empty_root(),
            [leaf] => *leaf,
            _ => {
                let n = u64::try_from(leaves.len()).unwrap_or(u64::MAX);
                let k = usize::try_from(split_point(n)).unwrap_or(leaves.len() / 2);
                let (left, right) = leaves.split_at(k);
                self.node_hash(&self.root_of(left), &self.root_of(right))
            }
        }
    }

    /// Checks that `leaf_hash` is entry `index` of the tree of `size` whose root is `root`
    /// (RFC 9162 §2.1.3.2).
    pub fn verify_inclusion(
        &self,
        index: u64,
        size: u64,
        leaf_hash: &Hash,
        proof: &[Hash],
        root: &Hash,
    ) -> Result<(), Error> {
        if index >= size {
            return Err(Error::IndexOutOfRange { index, size });
        }
        let want = inclusion_proof_len(index, size);
        if proof.len() != want {
            return Err(Error::ProofSizeMismatch {
                got: proof.len(),
                want,
            });
        }
        let (mut fn_, mut sn) = (index, size - 1);
        let mut r = *leaf_hash;
        for p in proof {
            if sn == 0 {
                return Err(Error::InclusionMismatch);
            }
            if fn_ & 1 == 1 || fn_ == sn {
                r = self.node_hash(p, &r);
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            } else {
                r = self.node_hash(&r, p);
            }
            fn_ >>= 1;
            sn >>= 1;
        }
        if sn == 0 && r == *root {
            Ok(())
        } else {
            Err(Error::InclusionMismatch)
        }
    }

    /// Checks that the tree of `new_size` with `new_root` extends the tree of `old_size` with
    /// `old_root` (RFC 9162 §2.1.4.2). Equal sizes need equal roots and an empty proof, which is
    /// how a fork shows.
    pub fn verify_consistency(
        &self,
        old_size: u64,
        new_size: u64,
        old_root: &Hash,
        new_root: &Hash,
        proof: &[Hash],
    ) -> Result<(), Error> {
        if old_size > new_size {
            return Err(Error::SizesOutOfOrder {
                old: old_size,
                new: new_size,
            });
        }
        let want = consistency_proof_len(old_size, new_size);
        if proof.len() != want {
            return Err(Error::ProofSizeMismatch {
                got: proof.len(),
                want,
            });
        }
        if old_size == new_size {
            return if old_root == new_root {
                Ok(())
            } else {
                Err(Error::Fork { size: old_size })
            };
        }
        if old_size == 0 {
            // Every tree extends the empty tree.
            return Ok(());
        }
        // Step 2: a complete old tree is its own first node.
        let mut path = proof.iter();
        let seed = if old_size.is_power_of_two() {
            *old_root
        } else {
            *path.next().ok_or(Error::ConsistencyMismatch)?
        };
        let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
        while fn_ & 1 == 1 {
            fn_ >>= 1;
            sn >>= 1;
        }
        let (mut fr, mut sr) = (seed, seed);
        for c in path {
            if sn == 0 {
                return Err(Error::ConsistencyMismatch);
            }
            if fn_ & 1 == 1 || fn_ == sn {
                fr = self.node_hash(c, &fr);
                sr = self.node_hash(c, &sr);
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            } else {
                sr = self.node_hash(&sr, c);
            }
            fn_ >>= 1;
            sn >>= 1;
        }
        if fr == *old_root && sr == *new_root && sn == 0 {
            Ok(())
        } else {
            Err(Error::ConsistencyMismatch)
        }
    }
}

/// An in-memory tree: what the log's sequencer keeps, and what an auditor rebuilds from the
/// entries it fetched.
///
/// It keeps the hash of every complete, aligned subtree (level `h` holds the hashes of the
/// subtrees of `2^h` leaves), so appends are amortised O(1) and every root and proof is
/// O(log n) hashes: any RFC 9162 subtree is a complete subtree or splits into one plus a
/// smaller remainder. These levels are the same hashes that C2SP tiles serve.
#[derive(Debug, Clone)]
pub struct Tree {
    hasher: MerkleHasher,
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// An empty tree.
    pub fn new(hasher: MerkleHasher) -> Self {
        Self {
            hasher,
            levels: vec![Vec::new()],
        }
    }

    /// The hasher this tree uses.
    pub fn hasher(&self) -> &MerkleHasher {
        &self.hasher
    }

    /// Appends an entry; returns its index.
    pub fn append(&mut self, entry: &[u8]) -> u64 {
        let leaf = self.hasher.leaf_hash(entry);
        self.append_leaf_hash(leaf)
    }

    /// Appends an already hashed leaf; returns its index.
    pub fn append_leaf_hash(&mut self, leaf: Hash) -> u64 {
        let mut hash = leaf;
        let mut height = 0;
        loop {
            if self.levels.len() <= height {
                self.levels.resize_with(height + 1, Vec::new);
            }
            let Some(level) = self.levels.get_mut(height) else {
                break;
            };
            level.push(hash);
            // A level with an even count just completed a pair: hash it one level up.
            let (true, [.., left, right]) = (level.len() % 2 == 0, level.as_slice()) else {
                break;
            };
            hash = self.hasher.node_hash(&{ *left }, &{ *right });
            height += 1;
        }
        self.size() - 1
    }

    /// The number of entries.
    pub fn size(&self) -> u64 {
        self.levels
            .first()
            .map_or(0, |leaves| u64::try_from(leaves.len()).unwrap_or(u64::MAX))
    }

    /// The current root.
    pub fn root(&self) -> Hash {
        self.root_at(self.size())
            .unwrap_or_else(|_| self.hasher.empty_root())
    }

    /// The root the tree had at `size` entries.
    pub fn root_at(&self, size: u64) -> Result<Hash, Error> {
        self.check_size(size)?;
        root_at(&self.hasher, self, size)
    }

    /// The hash of leaf `index`.
    pub fn leaf(&self, index: u64) -> Result<Hash, Error> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.levels.first()?.get(i).copied())
            .ok_or(Error::IndexOutOfRange {
                index,
                size: self.size(),
            })
    }

    /// The hashes of the complete subtrees of `2^height` leaves numbered `start..end` (the
    /// subtree `i` covers leaves `i * 2^height ..`): the rows of C2SP tiles. `None` unless all
    /// of them are complete.
    pub fn subtree_hashes(&self, height: u32, start: u64, end: u64) -> Option<&[Hash]> {
        let level = self.levels.get(usize::try_from(height).ok()?)?;
        level.get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
    }

    /// The audit path of entry `index` in the tree of `size` entries (RFC 9162 §2.1.3.1).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, Error> {
        self.check_size(size)?;
        inclusion_proof(&self.hasher, self, index, size)
    }

    /// The proof that the tree of `new_size` entries extends the one of `old_size`
    /// (RFC 9162 §2.1.4.1).
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, Error> {
        self.check_size(new_size)?;
        consistency_proof(&self.hasher, self, old_size, new_size)
    }

    fn check_size(&self, size: u64) -> Result<(), Error> {
        if size > self.size() {
            return Err(Error::SizeOutOfRange {
                requested: size,
                available: self.size(),
            });
        }
        Ok(())
    }
}

impl Subtrees for Tree {
    fn subtree(&self, height: u32, index: u64) -> Result<Hash, Error> {
        self.subtree_hashes(height, index, index.saturating_add(1))
            .and_then(<[Hash]>::first)
            .copied()
            .ok_or(Error::SizeOutOfRange {
                requested: index.saturating_add(1) << height.min(63),
                available: self.size(),
            })
    }
}

/// Where the hashes of complete, aligned subtrees come from: an in-memory [`Tree`], or stored
/// tiles ([`crate::Tiles`]). Every RFC 9162 root and proof is made of such hashes.
pub(crate) trait Subtrees {
    /// The hash of the complete subtree of `2^height` leaves numbered `index` (it covers
    /// leaves `index * 2^height ..`).
    fn subtree(&self, height: u32, index: u64) -> Result<Hash, Error>;
}

/// The root of the first `size` leaves.
pub(crate) fn root_at(
    hasher: &MerkleHasher,
    tree: &dyn Subtrees,
    size: u64,
) -> Result<Hash, Error> {
    range_hash(hasher, tree, 0, size)
}

/// The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1).
pub(crate) fn inclusion_proof(
    hasher: &MerkleHasher,
    tree: &dyn Subtrees,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, Error> {
    if index >= size {
        return Err(Error::IndexOutOfRange { index, size });
    }
    let mut proof = Vec::new();
    path(hasher, tree, index, 0, size, &mut proof)?;
    Ok(proof)
}

/// The proof that the tree of `new_size` leaves extends the one of `old_size`
/// (RFC 9162 §2.1.4.1).
pub(crate) fn consistency_proof(
    hasher: &MerkleHasher,
    tree: &dyn Subtrees,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, Error> {
    if old_size > new_size {
        return Err(Error::SizesOutOfOrder {
            old: old_size,
            new: new_size,
        });
    }
    let mut proof = Vec::new();
    if old_size > 0 && old_size < new_size {
        subproof(hasher, tree, old_size, 0, new_size, true, &mut proof)?;
    }
    Ok(proof)
}

/// `MTH(D[start:end])` for a range the RFC's recursion produces: `start` is aligned to the
/// largest power of two not above `end - start`.
fn range_hash(
    hasher: &MerkleHasher,
    tree: &dyn Subtrees,
    start: u64,
    end: u64,
) -> Result<Hash, Error> {
    let n = end - start;
    if n == 0 {
        return Ok(hasher.empty_root());
    }
    if n.is_power_of_two() && start % n == 0 {
        let height = n.trailing_zeros();
        return tree.subtree(height, start >> height);
    }
    let k = split_point(n);
    Ok(hasher.node_hash(
        &range_hash(hasher, tree, start, start + k)?,
        &range_hash(hasher, tree, start + k, end)?,
    ))
}

/// `PATH(m, D[start:end])`; appends from the leaf upwards.
fn path(
    hasher: &MerkleHasher,
    tree: &dyn Subtrees,
    m: u64,
    start: u64,
    end: u64,
    proof: &mut Vec<Hash>,
) -> Result<(), Error> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split_point(n);
    if m < k {
        path(hasher, tree, m, start, start + k, proof)?;
        proof.push(range_hash(hasher, tree, start + k, end)?);
    } else {
        path(hasher, tree, m - k, start + k, end, proof)?;
        proof.push(range_hash(hasher, tree, start, start + k)?);
    }
    Ok(())
}

/// `SUBPROOF(m, D[start:end], b)`.
fn subproof(
    hasher: &MerkleHasher,
    tree: &dyn Subtrees,
    m: u64,
    start: u64,
    end: u64,
    complete: bool,
    proof: &mut Vec<Hash>,
) -> Result<(), Error> {
    let n = end - start;
    if m == n {
        if !complete {
            proof.push(range_hash(hasher, tree, start, end)?);
        }
        return Ok(());
    }
    let k = split_point(n);
    if m <= k {
        subproof(hasher, tree, m, start, start + k, complete, proof)?;
        proof.push(range_hash(hasher, tree, start + k, end)?);
    } else {
        subproof(hasher, tree, m - k, start + k, end, false, proof)?;
        proof.push(range_hash(hasher, tree, start, start + k)?);
    }
    Ok(())
}

/// The largest power of two smaller than `n` (for `n >= 2`).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    let k = n.next_power_of_two() >> 1;
    if k == n { k >> 1 } else { k }
}

/// The length of an audit path: the number of levels at which the leaf's subtree has a
/// sibling.
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let (mut len, mut fn_, mut sn) = (0usize, index, size - 1);
    while sn > 0 {
        // The last node of a level that is a left child has no sibling: it rises unchanged.
        if fn_ & 1 == 1 || fn_ != sn {
            len += 1;
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    len
}

/// The length of a consistency proof between two sizes (0 when they are equal or the old tree
/// is empty).
fn consistency_proof_len(old_size: u64, new_size: u64) -> usize {
    if old_size == 0 || old_size >= new_size {
        return 0;
    }
    // One hash per level above the old tree's last full subtree, plus that subtree's own hash
    // unless the old tree is complete.
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    let mut len = usize::from(!old_size.is_power_of_two());
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    while sn > 0 {
        if fn_ & 1 == 1 || fn_ != sn {
            len += 1;
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_point_is_the_largest_power_of_two_below_n() {
        for (n, k) in [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (1025, 1024)] {
            assert_eq!(split_point(n), k, "n={n}");
        }
    }

    #[test]
    fn cached_subtree_roots_equal_the_rfc_definition_at_every_size() {
        let hasher = MerkleHasher::new(Suite::gm());
        let mut tree = Tree::new(hasher.clone());
        let mut leaves = Vec::new();
        assert_eq!(tree.root(), hasher.empty_root());
        for i in 0u32..140 {
            tree.append(&i.to_be_bytes());
            leaves.push(hasher.leaf_hash(&i.to_be_bytes()));
            assert_eq!(tree.root(), hasher.root_of(&leaves), "size {}", i + 1);
        }
        for (size, prefix_end) in (0..=140u64).zip(0..=140usize) {
            assert_eq!(
                tree.root_at(size).unwrap(),
                hasher.root_of(&leaves[..prefix_end])
            );
        }
    }

    #[test]
    fn proof_lengths_match_generated_proofs() {
        let hasher = MerkleHasher::new(Suite::intl());
        let mut tree = Tree::new(hasher);
        for i in 0u32..70 {
            tree.append(&i.to_be_bytes());
        }
        for size in 1..=70u64 {
            for index in 0..size {
                let proof = tree.inclusion_proof(index, size).unwrap();
                assert_eq!(
                    proof.len(),
                    inclusion_proof_len(index, size),
                    "{index}/{size}"
                );
            }
            for old in 0..=size {
                let proof = tree.consistency_proof(old, size).unwrap();
                assert_eq!(
                    proof.len(),
                    consistency_proof_len(old, size),
                    "{old}->{size}"
                );
            }
        }
    }
}
