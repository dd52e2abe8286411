//! Master-key rotation (`netid rotate-master-key`): everything sealed under the master key is
//! sealed again under a new one. Once the old key is destroyed, copies of the data made before
//! (PostgreSQL's old row versions, WAL archives, backups, a deleted holder's old rows) cannot
//! be opened by anyone.
//!
//! Every node must be stopped: the rotation takes the data alone (SQLite's lock file; on
//! PostgreSQL the database claim that nodes share, held exclusively).
//! It survives a crash at any point:
//! 1. the new key is fixed first: written to `master.key.next` (key file), or given in
//!    `NETID_NEW_MASTER_KEY` (when the key comes from `NETID_MASTER_KEY`);
//! 2. a marker row is stored, sealed under the new key; while it is there no server starts;
//! 3. holders are resealed in batches, one transaction each; a holder already under the new
//!    key is skipped, so a rotation run again after a crash carries on where it stopped;
//! 4. the service keys and deferred reads' tag keys are resealed and the marker deleted, in one
//!    transaction;
//! 5. `master.key.next` replaces `master.key`.

use netid_store::HolderId;

use crate::clock::Clock;
use crate::config::Config;
use crate::error::Error;
use crate::keys::{
    self, MASTER_KEY_FILE, MasterKey, NEXT_MASTER_KEY_FILE, ROTATION_MARKER, ROTATION_MARKER_AAD,
};
use crate::server::Sharing;
use crate::server::{ServerClaim, open_store};
use crate::{operator_read, personal};

/// Holders resealed in one transaction.
pub const ROTATION_BATCH: u32 = 1000;

/// What a finished rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    /// Holders resealed by this run (a run after an interruption counts only its own).
    pub holders: u64,
    /// Service keys resealed.
    pub service_keys: usize,
    /// Tag keys of deferred operator reads resealed.
    pub tag_keys: usize,
    /// Whether this run finished a rotation that an earlier run began.
    pub resumed: bool,
    /// Whether the new key is in the key file (else the operator must now set
    /// `NETID_MASTER_KEY` to the new key).
    pub key_file: bool,
}

/// Rotates the master key of `config`'s data, `batch` holders per transaction, calling
/// `progress(done, total)` after each batch. See the module documentation.
pub async fn rotate_master_key(
    mut config: Config,
    batch: u32,
    mut progress: impl FnMut(u64, u64) + Send,
) -> Result<Rotated, Error> {
    if config.database_url.is_none() && !config.data_dir.join(keys::DATABASE_FILE).exists() {
        return Err(Error::RotationRefused {
            reason: "there is no database in the data directory",
        });
    }
    let keys = Keys::of(&mut config)?;
    let claim = ServerClaim::take(&config, Sharing::Alone)
        .await
        .map_err(|error| match error {
            Error::Store(netid_store::Error::InUse) => Error::RotationRefused {
                reason: "a netid server is running on this data; stop it first",
            },
            other => other,
        })?;
    let result = rotate_claimed(&config, keys, batch.max(1), &mut progress).await;
    claim.release().await;
    result
}

/// Where the new key comes from.
enum NewKey {
    /// `NETID_NEW_MASTER_KEY`; the operator sets `NETID_MASTER_KEY` to it afterwards.
    Given,
    /// `master.key.next`, from a rotation that was interrupted.
    Next,
    /// Generated now, or given in `NETID_NEW_MASTER_KEY` beside the key file; written to
    /// `master.key.next` before anything is sealed under it.
    ToWrite,
}

struct Keys {
    old: MasterKey,
    new: MasterKey,
    source: NewKey,
}

impl Keys {
    fn of(config: &mut Config) -> Result<Self, Error> {
        let given = config.new_master_key.take();
        if let Some(old) = config.master_key.take() {
            let new = given.ok_or(Error::RotationRefused {
                reason: "the master key comes from NETID_MASTER_KEY: give the new one in NETID_NEW_MASTER_KEY (32 hex digits)",
            })?;
            return Self::checked(old, new, NewKey::Given);
        }
        let path = config.data_dir.join(MASTER_KEY_FILE);
        // Even beside a key file (a split or sealing cut short): the record would go on
        // naming the old key.
        if keys::key_record(&config.data_dir).is_some() {
            return Err(Error::RotationRefused {
                reason: "the master key is split into shares or wrapped by a token; rotating such a key is not built yet",
            });
        }
        let old = keys::read_key_file(&path)?.ok_or(Error::MasterKeyMissing { path })?;
        match keys::read_key_file(&config.data_dir.join(NEXT_MASTER_KEY_FILE))? {
            Some(next) if given.as_ref().is_some_and(|given| !given.same_as(&next)) => {
                Err(Error::WrongNewMasterKey)
            }
            Some(next) => Self::checked(old, next, NewKey::Next),
            None => match given {
                Some(given) => Self::checked(old, given, NewKey::ToWrite),
                None => Self::checked(old, MasterKey::generate()?, NewKey::ToWrite),
            },
        }
    }

    fn checked(old: MasterKey, new: MasterKey, source: NewKey) -> Result<Self, Error> {
        if old.same_as(&new) {
            return Err(Error::RotationRefused {
                reason: "the new master key is the old one",
            });
        }
        Ok(Self { old, new, source })
    }
}

async fn rotate_claimed(
    config: &Config,
    keys: Keys,
    batch: u32,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Rotated, Error> {
    let Keys { old, new, source } = keys;
    let key_file = !matches!(source, NewKey::Given);
    let (store, initialised) = open_store(config).await?;
    let store = store.as_ref();
    if !initialised {
        return Err(Error::RotationRefused {
            reason: "the database has not been set up; there is nothing to rotate",
        });
    }
    if !store.legacy_net_ids().await?.is_empty() {
        return Err(Error::RotationRefused {
            reason: "some Net IDs are still in clear from an older version; start the server once to seal them first",
        });
    }
    // What an open act asks is sealed under the key being replaced (for a day at most).
    let now = crate::clock::Clock::System.now();
    if store.open_acts(now).await? > 0 {
        return Err(Error::RotationRefused {
            reason: "operator acts are open (waiting for approval or to be carried out); carry them out or refuse them, or let them expire (24 hours), first",
        });
    }
    // Read once: while the claim is held nothing else writes them, and the marker is no
    // service key.
    let service_keys: Vec<(String, Vec<u8>)> = store
        .service_keys()
        .await?
        .into_iter()
        .filter(|(name, _)| name != ROTATION_MARKER)
        .collect();
    let resumed = match store.service_key(ROTATION_MARKER).await? {
        Some(marker) => {
            new.open(ROTATION_MARKER_AAD, &marker)
                .map_err(|_| Error::WrongNewMasterKey)?;
            true
        }
        None if opens_service_keys(&service_keys, &old) => {
            if matches!(source, NewKey::ToWrite) {
                keys::write_key_file(&config.data_dir.join(NEXT_MASTER_KEY_FILE), &new)?;
            }
            let marker = new.seal(ROTATION_MARKER_AAD, b"")?;
            store
                .insert_service_key(ROTATION_MARKER, marker, Clock::System.now())
                .await?;
            false
        }
        // Stopped after the last transaction, before the key file was replaced.
        None if opens_service_keys(&service_keys, &new) => {
            if key_file {
                replace_key_file(config)?;
            }
            return Ok(Rotated {
                holders: 0,
                service_keys: 0,
                tag_keys: 0,
                resumed: true,
                key_file,
            });
        }
        None => return Err(Error::WrongMasterKey),
    };

    let total = store.holder_count().await?;
    let (mut after, mut done, mut resealed) = (HolderId(0), 0, 0);
    loop {
        let holders = store.holders_after(after, batch).await?;
        let Some(last) = holders.last() else { break };
        after = last.id;
        done += count(holders.len());
        let mut page = Vec::with_capacity(holders.len());
        for holder in &holders {
            page.extend(personal::reseal(&old, &new, holder)?);
        }
        resealed += count(page.len());
        store.reseal_holders(page).await?;
        progress(done, total);
    }

    let service_keys = service_keys
        .into_iter()
        .map(|(name, sealed)| {
            let sealed = old
                .reseal(&new, &keys::service_key_aad(&name), &sealed)
                .map_err(|_| Error::WrongMasterKey)?;
            Ok((name, sealed))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let tag_keys = store
        .sealed_tag_keys()
        .await?
        .into_iter()
        .map(|key| operator_read::reseal_tag_key(&old, &new, key))
        .collect::<Result<Vec<_>, Error>>()?;
    let counts = (service_keys.len(), tag_keys.len());
    store
        .finish_master_key_rotation(service_keys, tag_keys, ROTATION_MARKER)
        .await?;
    if key_file {
        replace_key_file(config)?;
    }
    crate::security_events::record_now(
        store,
        crate::security_events::SecurityEventKind::MasterKeyRotated,
        serde_json::json!({ "holders": resealed, "service_keys": counts.0 }),
    )
    .await?;
    Ok(Rotated {
        holders: resealed,
        service_keys: counts.0,
        tag_keys: counts.1,
        resumed,
        key_file,
    })
}

fn count(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// Whether `key` opens the service keys (the first one is enough: they move together).
fn opens_service_keys(service_keys: &[(String, Vec<u8>)], key: &MasterKey) -> bool {
    service_keys
        .first()
        .is_some_and(|(name, sealed)| key.open(&keys::service_key_aad(name), sealed).is_ok())
}

/// Moves `master.key.next` over `master.key`, durably: the old key is gone from the file.
fn replace_key_file(config: &Config) -> Result<(), Error> {
    let next = config.data_dir.join(NEXT_MASTER_KEY_FILE);
    let current = config.data_dir.join(MASTER_KEY_FILE);
    let io = |source| Error::Io {
        action: "replace the master key file with",
        path: next.clone(),
        source,
    };
    std::fs::rename(&next, &current).map_err(io)?;
    keys::sync_parent(&current).map_err(io)
}
