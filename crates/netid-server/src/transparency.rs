//! The transparency log as the service runs it (issue #7).
//!
//! Every act writes its entry in the same store transaction as the act itself, so an
//! acknowledged act is always in the log and a refused one never is. Sequencing is batched
//! and separate: [`TransparencyLog::sequence`] hashes whatever entries were committed since
//! the last call into the in-memory tree and signs one checkpoint for all of them. It runs
//! every [`SEQUENCE_INTERVAL`] in the background and whenever someone asks for the checkpoint,
//! so the log never slows an act down by more than one row insert.
//!
//! On start the tree is rebuilt from the stored entries and the latest stored checkpoint must
//! be a checkpoint of that tree: a database that was altered behind the service's back does
//! not start.

use std::time::Duration;

use base64ct::{Base64, Encoding};
use netid_crypto::{MacKey, SigningKey, Suite};
use netid_log::{Checkpoint, EntryKind, Hash, MerkleHasher, NoteSigner, Tree};
use netid_proto::{ConsistencyProof, InclusionProof, LogEntries};
use netid_store::{Store, Timestamp};
use tokio::sync::Mutex;

use crate::error::{Error, Refusal};

/// How often committed entries are sequenced and a new checkpoint signed.
pub const SEQUENCE_INTERVAL: Duration = Duration::from_secs(1);
/// The most entries one `GET /v1/log/entries` returns.
pub const MAX_ENTRIES_PER_PAGE: u64 = 1000;
/// Entries read from the store at a time while rebuilding or sequencing.
const LOAD_BATCH: u64 = 10_000;

/// The log: its signer and the sequenced tree.
pub(crate) struct TransparencyLog {
    suite: Suite,
    signer: NoteSigner,
    origin: String,
    sequenced: Mutex<Sequenced>,
}

struct Sequenced {
    tree: Tree,
    /// The latest signed checkpoint: size and note.
    checkpoint: Option<(u64, String)>,
}

impl core::fmt::Debug for TransparencyLog {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TransparencyLog")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl TransparencyLog {
    /// Rebuilds the tree from `store` and checks the latest stored checkpoint against it.
    pub(crate) async fn open(
        store: &dyn Store,
        key: SigningKey,
        origin: String,
    ) -> Result<Self, Error> {
        let suite = Suite::new(key.suite());
        let signer = NoteSigner::new(&origin, key)?;
        let mut tree = Tree::new(MerkleHasher::new(suite.clone()));
        append_new_entries(store, &mut tree).await?;
        let checkpoint = store.latest_checkpoint().await?;
        if let Some((size, note)) = &checkpoint {
            check_checkpoint(&signer, &origin, &tree, *size, note)?;
        }
        Ok(Self {
            suite,
            signer,
            origin,
            sequenced: Mutex::new(Sequenced { tree, checkpoint }),
        })
    }

    /// A new entry's leaf bytes: `kind` now, tagged for the holder whose log key is given.
    pub(crate) fn entry(
        &self,
        kind: EntryKind,
        holder_key: Option<&MacKey>,
        platform: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<u8>, Error> {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce)
            .map_err(|_| Error::Internal("the operating system's random generator failed"))?;
        let entry = netid_log::Entry::new(
            &self.suite,
            kind,
            u64::try_from(now.0).unwrap_or(0),
            nonce,
            holder_key,
            platform,
        );
        Ok(entry.to_leaf()?)
    }

    /// The log's verifier key (C2SP `vkey`).
    pub(crate) fn vkey(&self) -> Result<String, Error> {
        Ok(self.signer.verifier().to_vkey()?)
    }

    /// Sequences the entries committed since the last call and, if the tree grew (or no
    /// checkpoint exists yet), signs and stores a checkpoint. Returns the latest checkpoint.
    pub(crate) async fn sequence(
        &self,
        store: &dyn Store,
        now: Timestamp,
    ) -> Result<(u64, String), Error> {
        let mut sequenced = self.sequenced.lock().await;
        append_new_entries(store, &mut sequenced.tree).await?;
        let size = sequenced.tree.size();
        if let Some(latest) = &sequenced.checkpoint {
            if latest.0 == size {
                return Ok(latest.clone());
            }
        }
        let note = self.signer.sign(&Checkpoint {
            origin: self.origin.clone(),
            size,
            root: sequenced.tree.root(),
            extensions: Vec::new(),
        })?;
        match store.insert_checkpoint(size, note.clone(), now).await {
            // Another node stored its checkpoint of this size first: it signs the same tree
            // (the same entries at the same indexes), so both notes stand.
            Ok(())
            | Err(netid_store::Error::AlreadyExists {
                what: netid_store::Conflict::Checkpoint,
            }) => {}
            Err(error) => return Err(error.into()),
        }
        sequenced.checkpoint = Some((size, note.clone()));
        Ok((size, note))
    }

    /// Brings this node's tree up to the latest checkpoint stored (by any node), checked
    /// against the entries, so that it serves what another node published: one lookup when
    /// it is up to date.
    pub(crate) async fn catch_up(&self, store: &dyn Store) -> Result<(), Error> {
        let Some((size, note)) = store.latest_checkpoint().await? else {
            return Ok(());
        };
        let mut sequenced = self.sequenced.lock().await;
        if sequenced
            .checkpoint
            .as_ref()
            .is_some_and(|(mine, _)| *mine >= size)
        {
            return Ok(());
        }
        append_new_entries(store, &mut sequenced.tree).await?;
        check_checkpoint(&self.signer, &self.origin, &sequenced.tree, size, &note)?;
        sequenced.checkpoint = Some((size, note));
        Ok(())
    }

    /// Entries `start..end` of the sequenced tree, at most [`MAX_ENTRIES_PER_PAGE`].
    pub(crate) async fn entries(
        &self,
        store: &dyn Store,
        start: u64,
        end: u64,
    ) -> Result<LogEntries, Error> {
        let size = self.checkpoint_size().await;
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
        index: u64,
        size: u64,
    ) -> Result<InclusionProof, Error> {
        let sequenced = self.sequenced.lock().await;
        check_size(&sequenced, size)?;
        let proof = sequenced
            .tree
            .inclusion_proof(index, size)
            .map_err(range_refusal)?;
        Ok(InclusionProof {
            index,
            size,
            proof: encode_hashes(&proof),
        })
    }

    /// The consistency proof between the trees of `old_size` and `new_size`.
    pub(crate) async fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<ConsistencyProof, Error> {
        let sequenced = self.sequenced.lock().await;
        check_size(&sequenced, new_size)?;
        let proof = sequenced
            .tree
            .consistency_proof(old_size, new_size)
            .map_err(range_refusal)?;
        Ok(ConsistencyProof {
            old_size,
            new_size,
            proof: encode_hashes(&proof),
        })
    }

    async fn checkpoint_size(&self) -> u64 {
        let sequenced = self.sequenced.lock().await;
        sequenced.checkpoint.as_ref().map_or(0, |(size, _)| *size)
    }
}

/// Hashes or entries per full tile (C2SP tlog-tiles).
const TILE_WIDTH: u64 = 256;
/// Tree levels per tile level.
const TILE_HEIGHT: u32 = 8;

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
        let sequenced = self.sequenced.lock().await;
        let size = sequenced.checkpoint.as_ref().map_or(0, |(size, _)| *size);
        let height = request.level.map_or(0, |level| level * TILE_HEIGHT);
        let available = size >> height;
        let width = request.width.unwrap_or(TILE_WIDTH);
        let start = request.index.saturating_mul(TILE_WIDTH);
        let end = start.saturating_add(width);
        if end > available {
            return Ok(None);
        }
        if request.level.is_some() {
            let hashes = sequenced
                .tree
                .subtree_hashes(height, start, end)
                .ok_or(Error::Internal("a signed subtree is missing from the tree"))?;
            return Ok(Some(hashes.iter().flat_map(|hash| hash.0).collect()));
        }
        drop(sequenced);
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

/// Checks a stored checkpoint of `size`: signed by this log's key, of this origin and size,
/// over the root of the first `size` entries of `tree`.
fn check_checkpoint(
    signer: &NoteSigner,
    origin: &str,
    tree: &Tree,
    size: u64,
    note: &str,
) -> Result<(), Error> {
    let signed = signer
        .verifier()
        .verify(note)
        .map_err(|_| Error::LogCorrupt("the latest checkpoint's signature fails"))?;
    if signed.size != size || signed.origin != origin {
        return Err(Error::LogCorrupt(
            "the latest checkpoint names another size or origin",
        ));
    }
    if tree.root_at(size).ok() != Some(signed.root) {
        return Err(Error::LogCorrupt(
            "the stored entries do not hash to the latest checkpoint",
        ));
    }
    Ok(())
}

/// Proofs are served only for sizes that a signed checkpoint covers.
fn check_size(sequenced: &Sequenced, size: u64) -> Result<(), Error> {
    let signed = sequenced.checkpoint.as_ref().map_or(0, |(size, _)| *size);
    if size > signed {
        return Err(Refusal::LogRange {
            reason: format!("size {size} is beyond the latest checkpoint's {signed}"),
        }
        .into());
    }
    Ok(())
}

fn range_refusal(error: netid_log::Error) -> Error {
    Refusal::LogRange {
        reason: error.to_string(),
    }
    .into()
}

fn encode_hashes(hashes: &[Hash]) -> Vec<String> {
    hashes
        .iter()
        .map(|hash| Base64::encode_string(hash.as_ref()))
        .collect()
}

async fn append_new_entries(store: &dyn Store, tree: &mut Tree) -> Result<(), Error> {
    let size = store.log_size().await?;
    while tree.size() < size {
        let start = tree.size();
        let end = start.saturating_add(LOAD_BATCH).min(size);
        let leaves = store.log_entries(start, end).await?;
        if u64::try_from(leaves.len()).ok() != Some(end - start) {
            return Err(Error::LogCorrupt("the log has a gap"));
        }
        for leaf in &leaves {
            tree.append(leaf);
        }
    }
    Ok(())
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
