//! The deletion journal: how a holder's deletion outlives a restore from a backup taken before
//! it (Art. 9). A backup holds the deleted holder's sealed record and wrapped data key, which
//! the master key still opens; restored, it would bring them back. So each deletion is first
//! appended to a file in the data directory, kept apart from the database and from its backups
//! (`deletions.journal`, one line each: the time and the blind index of the holder's Net ID,
//! which the database keeps after a deletion anyway, so the journal holds nothing the live
//! database does not), and every start deletes again each holder it names who is still there.
//!
//! A line is written and flushed to disk before the deletion is committed: a crash between the
//! two leaves a line for a holder who asked to be deleted but was not told so, whom the next
//! start deletes. A line cut short by a crash while it was written (no newline) names a
//! deletion that was never committed, and is skipped.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use netid_store::{BlindIndex, Timestamp};

use crate::error::Error;

/// The journal's file name in the data directory.
pub const JOURNAL_FILE: &str = "deletions.journal";

/// The deletion journal of one node.
#[derive(Debug)]
pub(crate) struct DeletionJournal {
    path: PathBuf,
    /// One append at a time, so that lines do not interleave.
    appending: tokio::sync::Mutex<()>,
}

impl DeletionJournal {
    /// The journal in `data_dir`.
    pub(crate) fn new(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join(JOURNAL_FILE),
            appending: tokio::sync::Mutex::new(()),
        }
    }

    /// Appends the deletion of the holder whose Net ID has the blind index `net_id_index`, and
    /// waits until it is on disk.
    pub(crate) async fn record(
        &self,
        net_id_index: &BlindIndex,
        at: Timestamp,
    ) -> Result<(), Error> {
        let line = format!("{} {}\n", at.0, hex::encode(net_id_index.as_bytes()));
        let path = self.path.clone();
        let _one = self.appending.lock().await;
        tokio::task::spawn_blocking(move || {
            let io = |source| Error::Io {
                action: "append to the deletion journal",
                path: path.clone(),
                source,
            };
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(io)?;
            file.write_all(line.as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)
        })
        .await
        .map_err(|_| Error::Internal("the deletion journal's writer stopped"))?
    }

    /// The Net ID blind indexes of every deletion recorded, oldest first; none if there is no
    /// journal yet.
    pub(crate) fn deleted(&self) -> Result<Vec<BlindIndex>, Error> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(Error::Io {
                    action: "read the deletion journal",
                    path: self.path.clone(),
                    source,
                });
            }
        };
        parse(&text).map_err(|line| Error::DeletionJournal {
            path: self.path.clone(),
            line,
        })
    }
}

/// The blind indexes in a journal's text; the number of the first malformed line otherwise.
fn parse(text: &str) -> Result<Vec<BlindIndex>, usize> {
    let mut deleted = Vec::new();
    for (number, line) in text.split_inclusive('\n').enumerate() {
        let Some(line) = line.strip_suffix('\n') else {
            // Cut short while it was written: its deletion never committed.
            break;
        };
        let index = line
            .split_once(' ')
            .filter(|(seconds, _)| seconds.parse::<i64>().is_ok())
            .and_then(|(_, index)| hex::decode(index).ok())
            .and_then(|bytes| <[u8; BlindIndex::LEN]>::try_from(bytes).ok())
            .ok_or(number + 1)?;
        deleted.push(BlindIndex::new(index));
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_a_torn_last_line_is_skipped_and_a_bad_line_is_named() {
        let one = "a".repeat(64);
        let two = "b".repeat(64);
        let text = format!("1800000000 {one}\n1800000001 {two}\n1800000002 cc");
        let parsed = parse(&text).unwrap();
        assert_eq!(
            parsed,
            vec![BlindIndex::new([0xaa; 32]), BlindIndex::new([0xbb; 32])]
        );
        assert_eq!(parse(&format!("1800000000 {one}\nnot a line\n")), Err(2));
        assert_eq!(parse(&format!("soon {one}\n")), Err(1));
        assert_eq!(parse("1800000000 abcd\n"), Err(1));
        assert_eq!(parse(""), Ok(Vec::new()));
    }
}
