//! The master key split k-of-n among people (Shamir's scheme, `netid_crypto::shares`), so that
//! no single file or person holds it: `netid master-key split` writes one share file per
//! holder and removes the key file; each start combines at least `k` shares named in
//! `NETID_MASTER_KEY_SHARES`. The data directory keeps only a record of the split (its
//! threshold, its set's id and a value sealed under the key, to tell the right key from a
//! wrong one): a copy of it, or of the database, decrypts nothing.

use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding};
use netid_crypto::shares::{self, Share};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::config::Config;
use crate::error::Error;
use crate::keys::{self, MasterKey};

/// The record of a split, in the data directory in place of the key file.
pub const MASTER_KEY_SPLIT_FILE: &str = "master.key.split";

/// The record of the new key's split while a rotation moves to it.
pub const NEXT_MASTER_KEY_SPLIT_FILE: &str = "master.key.split.next";

/// What the sealed check value is, for its AAD.
const CHECK_PURPOSE: &[u8] = b"netid master key split check v1";
/// The first word of a share file.
const SHARE_MAGIC: &str = "netid-master-key-share-v1";

/// The record of a split (JSON in [`MASTER_KEY_SPLIT_FILE`]).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitRecord {
    /// How many shares recover the key.
    threshold: u8,
    /// How many shares were made.
    shares: u8,
    /// The split's random id, hex: every share names it.
    set: String,
    /// An empty value sealed under the key (base64): opens under the right key only.
    check: String,
}

/// What a split wrote.
#[derive(Debug)]
pub struct Split {
    /// The share files, one per holder, in the order of their numbers.
    pub files: Vec<PathBuf>,
    /// How many of them recover the key.
    pub threshold: u8,
}

/// Splits the master key file of `data_dir` into `count` share files in `out` (created if
/// needed, mode 0700; no file in it is overwritten), any `threshold` of which recover it;
/// checks that they do, records the split and only then removes the key file. Run with the
/// server stopped; hand each file to its holder and remove it from this machine.
pub async fn split_master_key(
    config: &Config,
    threshold: u8,
    count: u8,
    out: &Path,
) -> Result<Split, Error> {
    let refused = |reason: String| Error::MasterKeySplitRefused { reason };
    let claim = keys::claim_alone(config, refused).await?;
    let split = split_claimed(&config.data_dir, threshold, count, out);
    claim.release().await;
    split
}

fn split_claimed(data_dir: &Path, threshold: u8, count: u8, out: &Path) -> Result<Split, Error> {
    let refused = |reason: String| Error::MasterKeySplitRefused { reason };
    let key = keys::key_file_to_move(data_dir, refused)?;
    let (record, split) = split_key(&key, threshold, count, out)?;
    keys::replace_key_file(data_dir, MASTER_KEY_SPLIT_FILE, &record)?;
    Ok(split)
}

/// Splits `key` into `count` share files in `out` (created if needed, mode 0700; no file in
/// it is overwritten), any `threshold` of which recover it, and checks that they do; returns
/// the split's record, for the caller to write.
fn split_key(
    key: &MasterKey,
    threshold: u8,
    count: u8,
    out: &Path,
) -> Result<(SplitRecord, Split), Error> {
    let refused = |reason: String| Error::MasterKeySplitRefused { reason };
    let made = shares::split(key.expose_bytes(), threshold, count).map_err(|error| {
        refused(format!(
            "{error}: give --threshold of at least 2 and --shares of at least the threshold, at most 255"
        ))
    })?;
    let mut set = [0u8; 8];
    getrandom::fill(&mut set).map_err(|_| Error::Internal("the OS random source failed"))?;
    let set = hex::encode(set);

    create_private_dir(out)?;
    // The directory's own entry durable too, before the key file can go.
    keys::sync_parent(out).map_err(|source| Error::Io {
        action: "create the share directory",
        path: out.to_owned(),
        source,
    })?;
    let files: Vec<PathBuf> = made
        .iter()
        .map(|share| {
            out.join(format!(
                "netid-master-key-share-{}-of-{count}.txt",
                share.number()
            ))
        })
        .collect();
    if let Some(existing) = files.iter().find(|file| file.exists()) {
        return Err(refused(format!(
            "{} exists; a split overwrites nothing: choose another directory for the shares",
            existing.display()
        )));
    }
    for (share, file) in made.iter().zip(&files) {
        let encoded = Zeroizing::new(hex::encode(share.expose_bytes()));
        let head = format!("{SHARE_MAGIC} set={set} threshold={threshold} count={count} share=");
        keys::write_secret_file(
            file,
            &[head.as_bytes(), encoded.as_bytes(), b"\n"],
            "write a master key share",
        )?;
    }
    // Read back what was written: the first and the last `threshold` shares recover the key.
    let written = files
        .iter()
        .map(|file| read_share(file))
        .collect::<Result<Vec<_>, Error>>()?;
    let shares: Vec<Share> = written.into_iter().map(|(_, share)| share).collect();
    let first = usize::from(threshold);
    let last = shares.len().saturating_sub(first);
    for chosen in [shares.get(..first), shares.get(last..)] {
        let shares = chosen.ok_or(Error::Internal("fewer shares written than the threshold"))?;
        let recovered = combine(shares)?;
        if !recovered.same_as(key) {
            return Err(Error::Internal(
                "the written shares do not recover the master key",
            ));
        }
    }
    let record = SplitRecord {
        threshold,
        shares: count,
        set,
        check: Base64::encode_string(&key.seal(CHECK_PURPOSE, b"")?),
    };
    Ok((record, Split { files, threshold }))
}

/// Splits `key`, a rotation's new master key, as the current key of `data_dir` is split (the
/// same threshold and number of shares), into share files in `out`, and writes the record as
/// `file` (before anything is sealed under the key).
pub(crate) fn write_split_like_current(
    data_dir: &Path,
    file: &str,
    key: &MasterKey,
    out: &Path,
) -> Result<Split, Error> {
    let current = keys::read_key_record::<SplitRecord>(data_dir, MASTER_KEY_SPLIT_FILE)?.ok_or(
        Error::Internal("the master key's split record went away during a rotation"),
    )?;
    let (record, split) = split_key(key, current.threshold, current.shares, out)?;
    keys::write_key_record(data_dir, file, &record)?;
    Ok(split)
}

/// The master key of `data_dir` from the share files `given`, if its key is split (`None`
/// if it is not): at least the split's threshold of them, of this split, recovering the key
/// the split record was sealed under.
pub(crate) fn load_split_master_key(
    data_dir: &Path,
    given: &[PathBuf],
) -> Result<Option<MasterKey>, Error> {
    load_split(data_dir, MASTER_KEY_SPLIT_FILE, given)
}

/// The key split as the record `file` of `data_dir` says, from the share files `given`
/// (`None` if there is no such record).
pub(crate) fn load_split(
    data_dir: &Path,
    file: &str,
    given: &[PathBuf],
) -> Result<Option<MasterKey>, Error> {
    let Some(record) = keys::read_key_record::<SplitRecord>(data_dir, file)? else {
        return Ok(None);
    };
    let wrong = |reason: String| Error::MasterKeyShares { reason };
    if given.is_empty() {
        return Err(Error::MasterKeySplit {
            threshold: record.threshold,
            shares: record.shares,
        });
    }
    let mut shares: Vec<Share> = Vec::with_capacity(given.len());
    for path in given {
        let (head, share) = read_share(path)?;
        if head.set != record.set {
            return Err(wrong(format!(
                "{} is a share of another split than this data directory's",
                path.display()
            )));
        }
        if shares.iter().any(|other| other.number() == share.number()) {
            return Err(wrong(format!(
                "share {} is given twice ({} is one of them)",
                share.number(),
                path.display()
            )));
        }
        shares.push(share);
    }
    if shares.len() < usize::from(record.threshold) {
        return Err(wrong(format!(
            "{} share{} given, {} needed: name {} share files in NETID_MASTER_KEY_SHARES",
            shares.len(),
            if shares.len() == 1 { "" } else { "s" },
            record.threshold,
            record.threshold
        )));
    }
    let key = combine(&shares)?;
    let check = Base64::decode_vec(&record.check).map_err(|_| Error::MasterKeyRecordDamaged {
        path: data_dir.join(file),
    })?;
    if key.open(CHECK_PURPOSE, &check).is_err() {
        return Err(wrong(
            "the shares do not recover this data directory's master key: one of them is damaged"
                .to_owned(),
        ));
    }
    Ok(Some(key))
}

/// What a share file says of its split.
struct ShareHead {
    set: String,
}

/// Reads the share file at `path` (mode 0600: a share is a secret).
fn read_share(path: &Path) -> Result<(ShareHead, Share), Error> {
    let text = keys::read_secret_file(path, "read a master key share")?.ok_or_else(|| {
        Error::MasterKeyShares {
            reason: format!("there is no share file at {}", path.display()),
        }
    })?;
    parse_share(text.trim()).ok_or_else(|| Error::MasterKeyShares {
        reason: format!(
            "{} is not a master key share (expected one line: {SHARE_MAGIC} set=… threshold=… count=… share=…)",
            path.display()
        ),
    })
}

/// A share file's line: its magic word, then `set=`, `threshold=`, `count=` and `share=`.
fn parse_share(line: &str) -> Option<(ShareHead, Share)> {
    let mut words = line.split(' ');
    if words.next()? != SHARE_MAGIC {
        return None;
    }
    let mut field = |name: &str| words.next()?.strip_prefix(name)?.strip_prefix('=');
    let set = field("set")?.to_owned();
    field("threshold")?.parse::<u8>().ok()?;
    field("count")?.parse::<u8>().ok()?;
    let bytes = Zeroizing::new(hex::decode(field("share")?).ok()?);
    if words.next().is_some() || set.len() != 16 {
        return None;
    }
    Some((ShareHead { set }, Share::from_bytes(&bytes).ok()?))
}

/// The key `shares` recover.
fn combine(shares: &[Share]) -> Result<MasterKey, Error> {
    let bytes = shares::combine(shares).map_err(|error| Error::MasterKeyShares {
        reason: error.to_string(),
    })?;
    MasterKey::from_bytes(&bytes).ok_or(Error::MasterKeyShares {
        reason: "the shares recover something that is not a master key".to_owned(),
    })
}

/// Creates `dir` with mode 0700 if it does not exist.
fn create_private_dir(dir: &Path) -> Result<(), Error> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Err(error) if error.kind() != std::io::ErrorKind::AlreadyExists => Err(Error::Io {
            action: "create the share directory",
            path: dir.to_owned(),
            source: error,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_lines_parse_only_whole() {
        let share =
            "netid-master-key-share-v1 set=0011223344556677 threshold=2 count=3 share=01aabb";
        let (head, parsed) = parse_share(share).unwrap();
        assert_eq!(head.set, "0011223344556677");
        assert_eq!(parsed.number(), 1);
        for bad in [
            "",
            "netid-master-key-share-v2 set=0011223344556677 threshold=2 count=3 share=01aabb",
            "netid-master-key-share-v1 set=0011 threshold=2 count=3 share=01aabb",
            "netid-master-key-share-v1 set=0011223344556677 threshold=x count=3 share=01aabb",
            "netid-master-key-share-v1 set=0011223344556677 threshold=2 count=3 share=00aabb",
            "netid-master-key-share-v1 set=0011223344556677 threshold=2 count=3 share=01aabb extra",
            "netid-master-key-share-v1 set=0011223344556677 count=3 threshold=2 share=01aabb",
        ] {
            assert!(parse_share(bad).is_none(), "{bad}");
        }
    }
}
