//! The transparency log as the service runs it (issues #7 and #22).
//!
//! Every act writes its entry in the same store transaction as the act itself, so an
//! acknowledged act is always in the log and a refused one never is; the store hands out the
//! indexes (see `netid_store::LogEntries`). Integration is separate and batched:
//! [`TransparencyLog::integrate`] hashes the entries committed since the stored tiles' size
//! into the tiles, signs one checkpoint for all of them and stores both, moving the stored
//! size from where it read it (a compare-and-swap: of two nodes integrating at once, one
//! stores and the other reads again). One node at a time does so every [`SEQUENCE_INTERVAL`],
//! chosen by a lease in the store; any node does when someone asks for the checkpoint.
//!
//! Nothing of the tree is kept in memory: roots and proofs are computed from the few stored
//! tiles they need, so start-up reads only the right edge of the tree, and memory and start-up
//! time do not grow with the log. On start the latest stored checkpoint must be signed by this
//! log's key and be the root of the stored tiles, and the last tile of leaf hashes must hash
//! the stored entries: a database altered behind the service's back does not start.

use std::time::Duration;

use base64ct::{Base64, Encoding};
use netid_crypto::{MacKey, SigningKey, Suite};
use netid_log::{
    Checkpoint, EntryKind, Hash, MerkleHasher, NoteSigner, TILE_HEIGHT, TILE_WIDTH, TileId, Tiles,
};
use netid_proto::{ConsistencyProof, InclusionProof, LogEntries};
use netid_store::{Integration, Store, Timestamp};
use tokio::sync::Mutex;

use crate::error::{Error, Refusal};

/// How often committed entries are integrated and a new checkpoint signed.
pub const SEQUENCE_INTERVAL: Duration = Duration::from_secs(1);
/// The most entries one `GET /v1/log/entries` returns.
pub const MAX_ENTRIES_PER_PAGE: u64 = 1000;
/// Entries integrated at a time (one checkpoint each): bounds the memory and the length of one
/// store transaction when a node catches up a long way (a database from before tiles).
const INTEGRATION_BATCH: u64 = 100_000;
/// How long the integrator's lease lasts: renewed every [`SEQUENCE_INTERVAL`] by its holder,
/// taken by another node this long after its holder stopped.
const LEASE_SECONDS: i64 = 3;

/// The log: its signer, and this node's part in integrating it.
pub(crate) struct TransparencyLog {
    suite: Suite,
    hasher: MerkleHasher,
    signer: NoteSigner,
    origin: String,
    /// This node's name in the integrator's lease: random, new at each start.
    node: String,
    /// One integration at a time on this node.
    integrating: Mutex<()>,
}

impl core::fmt::Debug for TransparencyLog {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TransparencyLog")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl TransparencyLog {
    /// Checks the stored log's right edge against its latest checkpoint (after building the
    /// tiles once, in a database from before them, and checking the old checkpoint against
    /// them).
    pub(crate) async fn open(
        store: &dyn Store,
        key: SigningKey,
        origin: String,
        now: Timestamp,
    ) -> Result<Self, Error> {
        let suite = Suite::new(key.suite());
        let signer = NoteSigner::new(&origin, key)?;
        let mut node = [0u8; 8];
        getrandom::fill(&mut node)
            .map_err(|_| Error::Internal("the operating system's random generator failed"))?;
        let log = Self {
            hasher: MerkleHasher::new(suite.clone()),
            suite,
            signer,
            origin,
            node: hex::encode(node),
            integrating: Mutex::new(()),
        };
        let head = store.log_head().await?;
        match head.checkpoint {
            // A checkpoint from before tiles: build them up to it, and it must be their root.
            Some((size, note)) if size > head.integrated => {
                let signed = log.verify(&note, size)?;
                tracing::info!(entries = size, "building the transparency log's tiles once");
                log.extend_to(store, size, Some(signed.root), now).await?;
            }
            Some((size, note)) => {
                let signed = log.verify(&note, size)?;
                if log.root_at(store, size).await? != signed.root {
                    return Err(Error::LogCorrupt(
                        "the stored tiles do not hash to the latest checkpoint",
                    ));
                }
                log.check_last_leaves(store, size).await?;
            }
            None if head.integrated > 0 => {
                return Err(Error::LogCorrupt("the log's checkpoint is missing"));
            }
            None => {}
        }
        Ok(log)
    }

    /// A new entry's leaf bytes: `kind` now, tagged for the holder whose log key is given.
    pub(crate) fn entry(
        &self,
        kind: EntryKind,
        holder_key: Option<&MacKey>,
        platform: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<u8>, Error> {
        self.entry_by(kind, holder_key, platform, None, now)
    }

    /// An entry like [`Self::entry`] that names the operator who acted and, for a request,
    /// approval or refusal, the act it is about (`by`).
    pub(crate) fn entry_by(
        &self,
        kind: EntryKind,
        holder_key: Option<&MacKey>,
        platform: Option<&str>,
        by: Option<(&str, Option<EntryKind>)>,
        now: Timestamp,
    ) -> Result<Vec<u8>, Error> {
        let mut entry = fresh_entry(&self.suite, kind, holder_key, platform, now)?;
        if let Some((operator, act)) = by {
            entry = entry.by_operator(operator, act);
        }
        Ok(entry.to_leaf()?)
    }

    /// A seal's entry: `kind` now, vouching for `digest`, about no holder.
    pub(crate) fn seal_entry(
        &self,
        kind: EntryKind,
        digest: &[u8],
        now: Timestamp,
    ) -> Result<Vec<u8>, Error> {
        let entry = fresh_entry(&self.suite, kind, None, None, now)?.with_digest(digest);
        Ok(entry.to_leaf()?)
    }

    /// The log's verifier key (C2SP `vkey`).
    pub(crate) fn vkey(&self) -> Result<String, Error> {
        Ok(self.signer.verifier().to_vkey()?)
    }

    /// Integrates what was committed before this call and returns the latest checkpoint,
    /// which covers it: signed by this node, or by another that integrated first.
    pub(crate) async fn integrate(
        &self,
        store: &dyn Store,
        now: Timestamp,
    ) -> Result<(u64, String), Error> {
        let committed = store.log_size().await?;
        let _one = self.integrating.lock().await;
        self.extend_to(store, committed, None, now).await?;
        self.checkpoint(store).await
    }

    /// Integrates if this node holds (or can take) the integrator's lease: what one node does
    /// every [`SEQUENCE_INTERVAL`]. The latest checkpoint's size if it held the lease.
    pub(crate) async fn integrate_if_leader(
        &self,
        store: &dyn Store,
        now: Timestamp,
    ) -> Result<Option<u64>, Error> {
        let until = Timestamp(now.0.saturating_add(LEASE_SECONDS));
        if !store.take_log_lease(self.node.clone(), now, until).await? {
            return Ok(None);
        }
        let (size, _) = self.integrate(store, now).await?;
        Ok(Some(size))
    }

    /// Extends the stored tiles until they reach at least `target` entries, a batch (and a
    /// signed checkpoint) at a time; `expected` is the root the tree of `target` must have.
    async fn extend_to(
        &self,
        store: &dyn Store,
        target: u64,
        expected: Option<Hash>,
        now: Timestamp,
    ) -> Result<(), Error> {
        loop {
            let head = store.log_head().await?;
            let from = head.integrated;
            let up_to_date = head.checkpoint.as_ref().map(|(size, _)| *size) == Some(from);
            if from >= target && (up_to_date || from == 0) {
                return Ok(());
            }
            let to = target.max(from).min(from.saturating_add(INTEGRATION_BATCH));
            let edge = self.tiles(store, Tiles::right_edge(from)).await?;
            let leaves = store.log_entries(from, to).await?;
            if u64::try_from(leaves.len()).ok() != Some(to - from) {
                return Err(Error::LogCorrupt("the log has a gap"));
            }
            let hashes: Vec<Hash> = leaves
                .iter()
                .map(|leaf| self.hasher.leaf_hash(leaf))
                .collect();
            let (changed, root) = edge
                .extend(from, &hashes)
                .map_err(|_| Error::LogCorrupt("a tile at the right edge of the log is missing"))?;
            if to == target && expected.is_some_and(|expected| expected != root) {
                return Err(Error::LogCorrupt(
                    "the stored entries do not hash to the latest checkpoint",
                ));
            }
            let note = self.signer.sign(&Checkpoint {
                origin: self.origin.clone(),
                size: to,
                root,
                extensions: Vec::new(),
            })?;
            let integration = Integration {
                from,
                to,
                tiles: changed
                    .iter()
                    .map(|(id, hashes)| ((id.level, id.index), netid_log::tile_bytes(hashes)))
                    .collect(),
                note,
                at: now,
            };
            match store.integrate(integration).await {
                // Another node moved the tiles first: read where they are now.
                Ok(())
                | Err(netid_store::Error::AlreadyExists {
                    what: netid_store::Conflict::Checkpoint,
                }) => {}
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// The latest stored checkpoint; `(0, note)` of the empty tree signed now if there is none.
    async fn checkpoint(&self, store: &dyn Store) -> Result<(u64, String), Error> {
        match store.log_head().await?.checkpoint {
            Some(checkpoint) => Ok(checkpoint),
            None => Ok((
                0,
                self.signer.sign(&Checkpoint {
                    origin: self.origin.clone(),
                    size: 0,
                    root: self.hasher.empty_root(),
                    extensions: Vec::new(),
                })?,
            )),
        }
    }

    /// The size of the latest stored checkpoint.
    async fn checkpoint_size(&self, store: &dyn Store) -> Result<u64, Error> {
        Ok(store
            .log_head()
            .await?
            .checkpoint
            .map_or(0, |(size, _)| size))
    }

    /// Entries `start..end` of the checkpointed tree, at most [`MAX_ENTRIES_PER_PAGE`].
    pub(crate) async fn entries(
        &self,
        store: &dyn Store,
        start: u64,
        end: u64,
    ) -> Result<LogEntries, Error> {
        let size = self.checkpoint_size(store).await?;
        if start >= end || start >= size {
            return Err(Refusal::LogRange {
                reason: format!(
                    "expected start < end and start < {size}, the size of the latest checkpoint"
                ),
            }
            .into());
        }
        let end = end
            .min(size)
            .min(start.saturating_add(MAX_ENTRIES_PER_PAGE));
        let leaves = store.log_entries(start, end).await?;
        let entries = leaves
            .into_iter()
            .map(|leaf| {
                String::from_utf8(leaf).map_err(|_| Error::LogCorrupt("a stored entry is not text"))
            })
            .collect::<Result<_, _>>()?;
        Ok(LogEntries { start, entries })
    }

    /// The inclusion proof of entry `index` in the tree of `size`.
    pub(crate) async fn inclusion_proof(
        &self,
        store: &dyn Store,
        index: u64,
        size: u64,
    ) -> Result<InclusionProof, Error> {
        self.check_size(store, size).await?;
        if index >= size {
            return Err(range_refusal(netid_log::Error::IndexOutOfRange {
                index,
                size,
            }));
        }
        let tiles = self.tiles(store, Tiles::for_inclusion(index, size)).await?;
        let proof = tiles.inclusion_proof(index, size).map_err(tile_error)?;
        Ok(InclusionProof {
            index,
            size,
            proof: encode_hashes(&proof),
        })
    }

    /// The consistency proof between the trees of `old_size` and `new_size`.
    pub(crate) async fn consistency_proof(
        &self,
        store: &dyn Store,
        old_size: u64,
        new_size: u64,
    ) -> Result<ConsistencyProof, Error> {
        self.check_size(store, new_size).await?;
        if old_size > new_size {
            return Err(range_refusal(netid_log::Error::SizesOutOfOrder {
                old: old_size,
                new: new_size,
            }));
        }
        let tiles = self
            .tiles(store, Tiles::for_consistency(old_size, new_size))
            .await?;
        let proof = tiles
            .consistency_proof(old_size, new_size)
            .map_err(tile_error)?;
        Ok(ConsistencyProof {
            old_size,
            new_size,
            proof: encode_hashes(&proof),
        })
    }

    /// Proofs are served only for sizes that a signed checkpoint covers.
    async fn check_size(&self, store: &dyn Store, size: u64) -> Result<(), Error> {
        let signed = self.checkpoint_size(store).await?;
        if size > signed {
            return Err(Refusal::LogRange {
                reason: format!("size {size} is beyond the latest checkpoint's {signed}"),
            }
            .into());
        }
        Ok(())
    }

    /// The stored tiles `ids`.
    async fn tiles(&self, store: &dyn Store, ids: Vec<TileId>) -> Result<Tiles, Error> {
        let keys = ids.iter().map(|id| (id.level, id.index)).collect();
        let stored = store.log_tiles(keys).await?;
        Tiles::from_bytes(
            self.hasher.clone(),
            stored
                .into_iter()
                .map(|((level, index), hashes)| (TileId { level, index }, hashes)),
        )
        .map_err(|_| Error::LogCorrupt("a stored tile is not a whole number of hashes"))
    }

    async fn root_at(&self, store: &dyn Store, size: u64) -> Result<Hash, Error> {
        self.tiles(store, Tiles::for_root(size))
            .await?
            .root_at(size)
            .map_err(tile_error)
    }

    /// The stored entries of the last tile of leaf hashes hash to it.
    async fn check_last_leaves(&self, store: &dyn Store, size: u64) -> Result<(), Error> {
        let start = size - size % TILE_WIDTH;
        if start == size {
            return Ok(());
        }
        let id = TileId {
            level: 0,
            index: start / TILE_WIDTH,
        };
        let tiles = self.tiles(store, vec![id]).await?;
        let stored = store.log_entries(start, size).await?;
        let hashes: Vec<Hash> = stored
            .iter()
            .map(|leaf| self.hasher.leaf_hash(leaf))
            .collect();
        if tiles.tile(id).and_then(|tile| tile.get(..hashes.len())) != Some(&hashes[..])
            || u64::try_from(hashes.len()).ok() != Some(size - start)
        {
            return Err(Error::LogCorrupt(
                "the stored entries do not hash to the latest checkpoint",
            ));
        }
        Ok(())
    }

    /// Checks a stored checkpoint of `size`: signed by this log's key, of this origin and size.
    fn verify(&self, note: &str, size: u64) -> Result<Checkpoint, Error> {
        let signed = self
            .signer
            .verifier()
            .verify(note)
            .map_err(|_| Error::LogCorrupt("the latest checkpoint's signature fails"))?;
        if signed.size != size || signed.origin != self.origin {
            return Err(Error::LogCorrupt(
                "the latest checkpoint names another size or origin",
            ));
        }
        Ok(signed)
    }
}

/// A C2SP tlog-tiles resource, parsed from the path after `/v1/log/tile/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TileRequest {
    /// `None` for an entry bundle, else the tile level.
    pub(crate) level: Option<u32>,
    /// The tile index.
    pub(crate) index: u64,
    /// The width of a partial tile (1..=255); `None` for a full tile.
    pub(crate) width: Option<u64>,
}

impl TileRequest {
    /// Parses `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`, where `N` is written in groups of
    /// three digits, every group but the last prefixed with `x` (`x001/x234/067`).
    pub(crate) fn parse(path: &str) -> Option<Self> {
        let (level, rest) = path.split_once('/')?;
        let level = match level {
            "entries" => None,
            digits => {
                let level: u32 = digits.parse().ok()?;
                // Levels are written without leading zeros.
                // 8 * L must stay a tree height below 64; compare before multiplying.
                if digits != level.to_string() || level >= 64 / TILE_HEIGHT {
                    return None;
                }
                Some(level)
            }
        };
        let (index_path, width) = match rest.split_once(".p/") {
            Some((index_path, width)) => {
                let parsed: u64 = width.parse().ok()?;
                let canonical = width == parsed.to_string();
                if !canonical || parsed == 0 || parsed >= TILE_WIDTH {
                    return None;
                }
                (index_path, Some(parsed))
            }
            None => (rest, None),
        };
        let groups: Vec<&str> = index_path.split('/').collect();
        let (last, leading) = groups.split_last()?;
        let mut index: u64 = 0;
        for group in leading {
            index = append_group(index, group.strip_prefix('x')?)?;
        }
        index = append_group(index, last)?;
        Some(Self {
            level,
            index,
            width,
        })
    }

    /// Whether the resource never changes once it exists (full tiles).
    pub(crate) fn is_immutable(&self) -> bool {
        self.width.is_none()
    }
}

fn append_group(index: u64, group: &str) -> Option<u64> {
    if group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    index.checked_mul(1000)?.checked_add(group.parse().ok()?)
}

impl TransparencyLog {
    /// The bytes of a tile within the latest checkpoint: concatenated 32-byte hashes, or an
    /// entry bundle (each entry as a big-endian u16 length and its bytes). `None` if the
    /// checkpoint does not cover it yet.
    pub(crate) async fn tile(
        &self,
        store: &dyn Store,
        request: TileRequest,
    ) -> Result<Option<Vec<u8>>, Error> {
        let size = self.checkpoint_size(store).await?;
        let height = request.level.map_or(0, |level| level * TILE_HEIGHT);
        let available = size >> height;
        let width = request.width.unwrap_or(TILE_WIDTH);
        let start = request.index.saturating_mul(TILE_WIDTH);
        let end = start.saturating_add(width);
        if end > available {
            return Ok(None);
        }
        if let Some(level) = request.level {
            let id = TileId {
                level,
                index: request.index,
            };
            let tiles = self.tiles(store, vec![id]).await?;
            // A stored tile may have grown past the checkpoint: its prefix is the tile then.
            let hashes = tiles
                .tile(id)
                .and_then(|hashes| hashes.get(..usize::try_from(width).ok()?))
                .ok_or(Error::LogCorrupt("a signed tile is missing from the store"))?;
            return Ok(Some(netid_log::tile_bytes(hashes)));
        }
        let leaves = store.log_entries(start, end).await?;
        if u64::try_from(leaves.len()).ok() != Some(end - start) {
            return Err(Error::LogCorrupt("the log has a gap"));
        }
        let mut bundle = Vec::new();
        for leaf in leaves {
            let len = u16::try_from(leaf.len())
                .map_err(|_| Error::Internal("a log entry longer than 65535 bytes"))?;
            bundle.extend_from_slice(&len.to_be_bytes());
            bundle.extend_from_slice(&leaf);
        }
        Ok(Some(bundle))
    }
}

fn range_refusal(error: netid_log::Error) -> Error {
    Refusal::LogRange {
        reason: error.to_string(),
    }
    .into()
}

/// A tile a signed size needs is not stored.
fn tile_error(error: netid_log::Error) -> Error {
    match error {
        netid_log::Error::MissingTile { .. } => {
            Error::LogCorrupt("a signed tile is missing from the store")
        }
        other => range_refusal(other),
    }
}

fn encode_hashes(hashes: &[Hash]) -> Vec<String> {
    hashes
        .iter()
        .map(|hash| Base64::encode_string(hash.as_ref()))
        .collect()
}

/// An entry of `kind` at `now` with a fresh random nonce, tagged for the holder whose log key
/// is given (the suite makes the tag), naming the platform if any.
pub(crate) fn fresh_entry(
    suite: &Suite,
    kind: EntryKind,
    holder_key: Option<&MacKey>,
    platform: Option<&str>,
    now: Timestamp,
) -> Result<netid_log::Entry, Error> {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce)
        .map_err(|_| Error::Internal("the operating system's random generator failed"))?;
    Ok(netid_log::Entry::new(
        suite,
        kind,
        u64::try_from(now.0).unwrap_or(0),
        nonce,
        holder_key,
        platform,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_paths_parse_as_c2sp_writes_them() {
        let tile = |level, index, width| TileRequest {
            level,
            index,
            width,
        };
        assert_eq!(TileRequest::parse("0/000"), Some(tile(Some(0), 0, None)));
        assert_eq!(
            TileRequest::parse("1/x001/x234/067"),
            Some(tile(Some(1), 1_234_067, None))
        );
        assert_eq!(
            TileRequest::parse("entries/x001/234.p/17"),
            Some(tile(None, 1234, Some(17)))
        );
        assert_eq!(
            TileRequest::parse("2/005.p/255"),
            Some(tile(Some(2), 5, Some(255)))
        );
        for bad in [
            "",
            "0",
            "0/1",
            "0/0001",
            "0/001/002",
            "0/x001",
            "00/001",
            "8/000",
            "0/000.p/0",
            "0/000.p/256",
            "0/000.p/017",
            "entries/abc",
            "0/-01",
            "tiles/000",
        ] {
            assert_eq!(TileRequest::parse(bad), None, "{bad:?}");
        }
    }
}
