//! The tree kept as C2SP tlog-tiles, so that a log need not hold its tree in memory.
//!
//! A tile of level `L` holds up to 256 consecutive hashes of tree level `8L` (level 0: leaf
//! hashes); tile `N` of a level starts at hash `256 N`. A tile is partial until it holds 256;
//! hashes are only ever appended, so any prefix of a stored tile is the tile as it was at a
//! smaller tree. Every root and proof up to the tiles' size is computed from a few tiles: one
//! per level for a root (the right edge), at most two per level for a proof.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use crate::merkle::{Subtrees, consistency_proof, inclusion_proof, root_at};
use crate::{Error, Hash, MerkleHasher};

/// Hashes in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels a tile spans: a tile of level `L` holds hashes of tree level `8L`.
pub const TILE_HEIGHT: u32 = 8;

/// A tile's place: its level and its index within the level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TileId {
    /// The tile level (tree level `8 * level`).
    pub level: u32,
    /// The tile's index within its level.
    pub index: u64,
}

/// A tile and its hashes.
pub type Tile = (TileId, Vec<Hash>);

/// Some tiles of one tree, with their hashes: enough to compute the roots and proofs asked of
/// them (ask [`Tiles::for_root`] and the like which to load).
#[derive(Debug, Clone)]
pub struct Tiles {
    hasher: MerkleHasher,
    tiles: BTreeMap<TileId, Vec<Hash>>,
}

impl Tiles {
    /// The tiles given, each as its hashes.
    pub fn new(hasher: MerkleHasher, tiles: impl IntoIterator<Item = Tile>) -> Self {
        Self {
            hasher,
            tiles: tiles.into_iter().collect(),
        }
    }

    /// The tiles given as stored: each the concatenation of its 32-byte hashes.
    pub fn from_bytes(
        hasher: MerkleHasher,
        tiles: impl IntoIterator<Item = (TileId, Vec<u8>)>,
    ) -> Result<Self, Error> {
        let tiles = tiles
            .into_iter()
            .map(|(id, bytes)| Ok((id, hashes_of(&bytes)?)))
            .collect::<Result<BTreeMap<_, _>, Error>>()?;
        Ok(Self { hasher, tiles })
    }

    /// The hashes of tile `id`, as far as given.
    pub fn tile(&self, id: TileId) -> Option<&[Hash]> {
        self.tiles.get(&id).map(Vec::as_slice)
    }

    /// The tiles that hold the right edge of the tree of `size`: the partial tile of each
    /// level (a level whose hashes fill whole tiles has none). They are what
    /// [`Tiles::root_at`] of `size` and [`Tiles::extend`] from `size` need.
    pub fn right_edge(size: u64) -> Vec<TileId> {
        let mut edge = Vec::new();
        let mut level = 0;
        while let Some(count) = size.checked_shr(level * TILE_HEIGHT).filter(|&c| c > 0) {
            if count % TILE_WIDTH > 0 {
                edge.push(TileId {
                    level,
                    index: count / TILE_WIDTH,
                });
            }
            level += 1;
        }
        edge
    }

    /// The tiles [`Tiles::inclusion_proof`] of `index` in the tree of `size` reads.
    pub fn for_inclusion(index: u64, size: u64) -> Vec<TileId> {
        needed(|hasher, tree| inclusion_proof(hasher, tree, index, size).map(drop))
    }

    /// The tiles [`Tiles::consistency_proof`] between `old_size` and `new_size` reads.
    pub fn for_consistency(old_size: u64, new_size: u64) -> Vec<TileId> {
        needed(|hasher, tree| consistency_proof(hasher, tree, old_size, new_size).map(drop))
    }

    /// The tiles [`Tiles::root_at`] of `size` reads.
    pub fn for_root(size: u64) -> Vec<TileId> {
        needed(|hasher, tree| root_at(hasher, tree, size).map(drop))
    }

    /// The root of the tree of `size` leaves. [`Error::MissingTile`] if a tile it needs was
    /// not given, or is shorter than `size` makes it.
    pub fn root_at(&self, size: u64) -> Result<Hash, Error> {
        root_at(&self.hasher, self, size)
    }

    /// The audit path of leaf `index` in the tree of `size` (RFC 9162 §2.1.3.1).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, Error> {
        inclusion_proof(&self.hasher, self, index, size)
    }

    /// The proof that the tree of `new_size` extends the one of `old_size` (RFC 9162 §2.1.4.1).
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, Error> {
        consistency_proof(&self.hasher, self, old_size, new_size)
    }

    /// Appends `leaves` (leaf hashes) to the tree of `size`, whose right edge these tiles hold
    /// ([`Tiles::right_edge`]): returns every tile that changed or is new, whole, and the new
    /// tree's root.
    pub fn extend(&self, size: u64, leaves: &[Hash]) -> Result<(Vec<Tile>, Hash), Error> {
        let added = u64::try_from(leaves.len()).unwrap_or(u64::MAX);
        let new_size = size.checked_add(added).ok_or(Error::SizeOutOfRange {
            requested: u64::MAX,
            available: size,
        })?;
        let mut changed = Vec::new();
        // The hashes new at this level, which start where the level's count at `size` ends.
        let mut fresh = leaves.to_vec();
        let mut level = 0;
        while !fresh.is_empty() {
            let count = size.checked_shr(level * TILE_HEIGHT).unwrap_or(0);
            let first = TileId {
                level,
                index: count / TILE_WIDTH,
            };
            let kept = usize::try_from(count % TILE_WIDTH).unwrap_or(0);
            let mut row = match kept {
                0 => Vec::new(),
                _ => self
                    .tile(first)
                    .and_then(|hashes| hashes.get(..kept))
                    .ok_or(Error::MissingTile {
                        level,
                        index: first.index,
                    })?
                    .to_vec(),
            };
            row.extend_from_slice(&fresh);
            // Every whole tile in the row was partial or absent before: its root is a new
            // hash of the level above.
            fresh = row
                .chunks_exact(256)
                .map(|tile| self.hasher.root_of(tile))
                .collect();
            for (index, tile) in (first.index..).zip(row.chunks(256)) {
                changed.push((TileId { level, index }, tile.to_vec()));
            }
            level += 1;
        }
        let after = Tiles {
            hasher: self.hasher.clone(),
            tiles: self
                .tiles
                .iter()
                .map(|(id, hashes)| (*id, hashes.clone()))
                .chain(changed.iter().cloned())
                .collect(),
        };
        let root = after.root_at(new_size)?;
        Ok((changed, root))
    }
}

impl Subtrees for Tiles {
    fn subtree(&self, height: u32, index: u64) -> Result<Hash, Error> {
        let level = height / TILE_HEIGHT;
        let rise = height % TILE_HEIGHT;
        // The subtree is the top of 2^rise consecutive hashes of the tile level.
        let start = index << rise;
        let id = TileId {
            level,
            index: start / TILE_WIDTH,
        };
        let missing = Error::MissingTile {
            level,
            index: id.index,
        };
        let from = usize::try_from(start % TILE_WIDTH).map_err(|_| missing.clone())?;
        let to = from + (1usize << rise);
        let hashes = self
            .tile(id)
            .and_then(|hashes| hashes.get(from..to))
            .ok_or(missing)?;
        Ok(self.hasher.root_of(hashes))
    }
}

/// The tiles a computation reads, found by running it over a recorder.
fn needed(run: impl FnOnce(&MerkleHasher, &dyn Subtrees) -> Result<(), Error>) -> Vec<TileId> {
    struct Recorder(RefCell<BTreeSet<TileId>>);
    impl Subtrees for Recorder {
        fn subtree(&self, height: u32, index: u64) -> Result<Hash, Error> {
            let start = index << (height % TILE_HEIGHT);
            self.0.borrow_mut().insert(TileId {
                level: height / TILE_HEIGHT,
                index: start / TILE_WIDTH,
            });
            Ok(Hash([0; 32]))
        }
    }
    let recorder = Recorder(RefCell::new(BTreeSet::new()));
    // Any hasher will do: the hashes are thrown away.
    let hasher = MerkleHasher::new(netid_crypto::Suite::intl());
    let _ = run(&hasher, &recorder);
    recorder.0.into_inner().into_iter().collect()
}

/// A stored tile's hashes.
fn hashes_of(bytes: &[u8]) -> Result<Vec<Hash>, Error> {
    if bytes.len() % 32 != 0 || bytes.len() > 32 * 256 {
        return Err(Error::HashLength {
            got: bytes.len() % 32,
            want: 32,
        });
    }
    bytes.chunks_exact(32).map(Hash::from_slice).collect()
}

/// A tile's hashes as stored and served: concatenated.
pub fn tile_bytes(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|hash| hash.0).collect()
}

#[cfg(test)]
mod tests {
    use netid_crypto::Suite;

    use super::*;
    use crate::Tree;

    /// Grows a tree and its tiles side by side, in uneven steps, and checks every root and
    /// proof the tiles give against the in-memory tree.
    #[test]
    fn tiles_give_the_roots_and_proofs_of_the_tree() {
        let hasher = MerkleHasher::new(Suite::gm());
        let mut tree = Tree::new(hasher.clone());
        let mut stored: BTreeMap<TileId, Vec<Hash>> = BTreeMap::new();
        let mut size = 0u64;
        for step in [1u64, 2, 250, 3, 256, 700, 1, 64_000, 1000] {
            let leaves: Vec<Hash> = (size..size + step)
                .map(|i| hasher.leaf_hash(&i.to_be_bytes()))
                .collect();
            for leaf in &leaves {
                tree.append_leaf_hash(*leaf);
            }
            let edge = Tiles::new(
                hasher.clone(),
                Tiles::right_edge(size)
                    .into_iter()
                    .filter_map(|id| Some((id, stored.get(&id)?.clone()))),
            );
            let (changed, root) = edge.extend(size, &leaves).unwrap();
            stored.extend(changed);
            size += step;
            assert_eq!(root, tree.root(), "root at {size}");
            let all = Tiles::new(hasher.clone(), stored.clone());
            // Only the right edge is needed for the root.
            assert!(
                Tiles::for_root(size)
                    .iter()
                    .all(|id| Tiles::right_edge(size).contains(id))
            );
            for old in [1, size / 3, size / 2, size - 1] {
                let index = old.min(size - 1);
                assert_eq!(
                    all.inclusion_proof(index, size).unwrap(),
                    tree.inclusion_proof(index, size).unwrap()
                );
                assert_eq!(all.root_at(old).unwrap(), tree.root_at(old).unwrap());
                assert_eq!(
                    all.consistency_proof(old, size).unwrap(),
                    tree.consistency_proof(old, size).unwrap()
                );
                // What `for_*` names is all a proof reads.
                let only = |ids: Vec<TileId>| {
                    Tiles::new(
                        hasher.clone(),
                        ids.into_iter().map(|id| (id, stored[&id].clone())),
                    )
                };
                assert!(
                    only(Tiles::for_inclusion(index, size))
                        .inclusion_proof(index, size)
                        .is_ok()
                );
                assert!(
                    only(Tiles::for_consistency(old, size))
                        .consistency_proof(old, size)
                        .is_ok()
                );
            }
        }
        // The tiles are the ones C2SP defines: level 1 tile 0 holds the roots of level 0's
        // first 256 tiles.
        assert_eq!(
            stored[&TileId { level: 1, index: 0 }][..],
            tree.subtree_hashes(8, 0, 256).unwrap()[..]
        );
    }

    #[test]
    fn a_missing_tile_is_an_error_not_a_wrong_hash() {
        let hasher = MerkleHasher::new(Suite::intl());
        let empty = Tiles::new(hasher, []);
        assert!(matches!(empty.root_at(3), Err(Error::MissingTile { .. })));
        assert!(matches!(
            empty.extend(5, &[Hash([1; 32])]),
            Err(Error::MissingTile { level: 0, index: 0 })
        ));
    }
}
