//! Master-key rotation (`netid rotate-master-key`): everything sealed under the master key is
//! sealed again under a new one. Once the old key is destroyed, copies of the data made before
//! (PostgreSQL's old row versions, WAL archives, backups, a deleted holder's old rows) cannot
//! be opened by anyone.
//!
//! Every node must be stopped: the rotation takes the data alone (SQLite's lock file; on
//! PostgreSQL the database claim that nodes share, held exclusively).
//! It survives a crash at any point:
//! 1. the new key is fixed first, kept as the old one is: written to `master.key.next` (key
//!    file), wrapped by the same token into `master.key.token.next`, or split like the old
//!    one into new share files (`--shares-out`) with its record in `master.key.split.next`;
//!    or given in `NETID_NEW_MASTER_KEY` (when the key comes from `NETID_MASTER_KEY`);
//! 2. a marker row is stored, sealed under the new key; while it is there no server starts;
//! 3. holders are resealed in batches, one transaction each; a holder already under the new
//!    key is skipped, so a rotation run again after a crash carries on where it stopped;
//! 4. the service keys and deferred reads' tag keys are resealed and the marker deleted, in one
//!    transaction;
//! 5. the new key's file or record replaces the old one's.

use netid_store::HolderId;

use crate::clock::Clock;
use crate::config::Config;
use crate::error::Error;
use std::path::PathBuf;

use crate::key_shares::{MASTER_KEY_SPLIT_FILE, NEXT_MASTER_KEY_SPLIT_FILE};
use crate::keys::{
    self, MASTER_KEY_FILE, MasterKey, NEXT_MASTER_KEY_FILE, ROTATION_MARKER, ROTATION_MARKER_AAD,
};
use crate::server::Sharing;
use crate::server::{ServerClaim, open_store};
use crate::token::{MASTER_KEY_TOKEN_FILE, NEXT_MASTER_KEY_TOKEN_FILE, TokenConfig};
use crate::{operator_read, personal};

/// Holders resealed in one transaction.
pub const ROTATION_BATCH: u32 = 1000;

/// What a finished rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    /// Holders resealed by this run (a run after an interruption counts only its own).
    pub holders: u64,
    /// Service keys resealed.
    pub service_keys: usize,
    /// Tag keys of deferred operator reads resealed.
    pub tag_keys: usize,
    /// Whether this run finished a rotation that an earlier run began.
    pub resumed: bool,
    /// Whether the new key is kept where the old one was (the key file, the token's record,
    /// the split's record); else the operator must now set `NETID_MASTER_KEY` to it.
    pub key_file: bool,
    /// The new key's share files this run wrote (a split key), to hand out.
    pub share_files: Vec<PathBuf>,
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
    /// Kept beside the old one already, by a rotation that was interrupted.
    Next,
    /// Generated now, or given in `NETID_NEW_MASTER_KEY` beside the key file or token; kept
    /// beside the old one before anything is sealed under it.
    ToWrite,
}

/// Where the master key is kept, and so where the new one goes.
enum Keeper {
    /// `NETID_MASTER_KEY`.
    Given,
    /// `master.key`; the new one in `master.key.next`.
    File,
    /// Wrapped by a token in `master.key.token`; the new one in `master.key.token.next`.
    Token(TokenConfig),
    /// Split, recorded in `master.key.split`; the new one split into share files in the
    /// directory given, recorded in `master.key.split.next`.
    Split(Option<PathBuf>),
}

impl Keeper {
    /// The file the key is kept in (or its record), and the one the new key waits in.
    fn files(&self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::Given => None,
            Self::File => Some((MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE)),
            Self::Token(_) => Some((MASTER_KEY_TOKEN_FILE, NEXT_MASTER_KEY_TOKEN_FILE)),
            Self::Split(_) => Some((MASTER_KEY_SPLIT_FILE, NEXT_MASTER_KEY_SPLIT_FILE)),
        }
    }
}

struct Keys {
    old: MasterKey,
    new: MasterKey,
    source: NewKey,
    keeper: Keeper,
}

impl Keys {
    fn of(config: &mut Config) -> Result<Self, Error> {
        let given = config.new_master_key.take();
        if let Some(old) = config.master_key.take() {
            let new = given.ok_or(Error::RotationRefused {
                reason: "the master key comes from NETID_MASTER_KEY: give the new one in NETID_NEW_MASTER_KEY (32 hex digits)",
            })?;
            return Self::checked(old, new, NewKey::Given, Keeper::Given);
        }
        let data_dir = config.data_dir.clone();
        // A split or sealing cut short leaves the key file beside its record: it would keep
        // the old key after the rotation.
        if keys::key_record(&data_dir).is_some() && data_dir.join(MASTER_KEY_FILE).exists() {
            return Err(Error::RotationRefused {
                reason: "the master key file is still beside the record of its split or token: a split or sealing was cut short; remove the key file once the service starts without it",
            });
        }
        let (old, keeper) = if data_dir.join(MASTER_KEY_TOKEN_FILE).exists() {
            let token = config.token.clone().ok_or(Error::RotationRefused {
                reason: "the master key is wrapped by a token: set NETID_PKCS11_MODULE, NETID_PKCS11_TOKEN and NETID_PKCS11_PIN_FILE",
            })?;
            let old = crate::token::load_master_key_from_token(&data_dir, Some(&token))?;
            (old, Keeper::Token(token))
        } else if data_dir.join(MASTER_KEY_SPLIT_FILE).exists() {
            let old =
                crate::key_shares::load_split_master_key(&data_dir, &config.master_key_shares)?;
            (old, Keeper::Split(config.new_shares_out.take()))
        } else {
            (
                keys::read_key_file(&data_dir.join(MASTER_KEY_FILE))?,
                Keeper::File,
            )
        };
        let old = old.ok_or(Error::MasterKeyMissing {
            path: data_dir.join(MASTER_KEY_FILE),
        })?;
        let next = match &keeper {
            Keeper::Token(token) => {
                crate::token::load_wrapped(&data_dir, NEXT_MASTER_KEY_TOKEN_FILE, Some(token))?
            }
            Keeper::Split(_) if data_dir.join(NEXT_MASTER_KEY_SPLIT_FILE).exists() => {
                if config.new_master_key_shares.is_empty() {
                    return Err(Error::RotationRefused {
                        reason: "a rotation split the new key already: name its share files in NETID_NEW_MASTER_KEY_SHARES to finish it",
                    });
                }
                crate::key_shares::load_split(
                    &data_dir,
                    NEXT_MASTER_KEY_SPLIT_FILE,
                    &config.new_master_key_shares,
                )?
            }
            Keeper::Split(None) => {
                return Err(Error::RotationRefused {
                    reason: "the master key is split: name a new directory for the new key's shares with --shares-out",
                });
            }
            Keeper::Split(Some(_)) | Keeper::Given => None,
            Keeper::File => keys::read_key_file(&data_dir.join(NEXT_MASTER_KEY_FILE))?,
        };
        match next {
            Some(next) if given.as_ref().is_some_and(|given| !given.same_as(&next)) => {
                Err(Error::WrongNewMasterKey)
            }
            Some(next) => Self::checked(old, next, NewKey::Next, keeper),
            None => match given {
                Some(given) => Self::checked(old, given, NewKey::ToWrite, keeper),
                None => Self::checked(old, MasterKey::generate()?, NewKey::ToWrite, keeper),
            },
        }
    }

    fn checked(
        old: MasterKey,
        new: MasterKey,
        source: NewKey,
        keeper: Keeper,
    ) -> Result<Self, Error> {
        if old.same_as(&new) {
            return Err(Error::RotationRefused {
                reason: "the new master key is the old one",
            });
        }
        Ok(Self {
            old,
            new,
            source,
            keeper,
        })
    }
}

/// Keeps `new` beside the old key as `keeper` keeps keys; the share files written, if any.
fn keep_new(config: &Config, keeper: &Keeper, new: &MasterKey) -> Result<Vec<PathBuf>, Error> {
    let data_dir = &config.data_dir;
    match keeper {
        Keeper::Given => Ok(Vec::new()),
        Keeper::File => {
            keys::write_key_file(&data_dir.join(NEXT_MASTER_KEY_FILE), new)?;
            Ok(Vec::new())
        }
        Keeper::Token(token) => {
            crate::token::write_wrapped(data_dir, NEXT_MASTER_KEY_TOKEN_FILE, new, token)?;
            Ok(Vec::new())
        }
        Keeper::Split(out) => {
            let out = out
                .as_ref()
                .ok_or(Error::Internal("no directory for the new shares"))?;
            let split = crate::key_shares::write_split_like_current(
                data_dir,
                NEXT_MASTER_KEY_SPLIT_FILE,
                new,
                out,
            )?;
            Ok(split.files)
        }
    }
}

/// Moves the new key's file or record over the old one's, durably: the old key is gone.
fn replace_kept(config: &Config, keeper: &Keeper) -> Result<(), Error> {
    match keeper.files() {
        Some((current, next)) => keys::move_over(&config.data_dir, next, current),
        None => Ok(()),
    }
}

async fn rotate_claimed(
    config: &Config,
    keys: Keys,
    batch: u32,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Rotated, Error> {
    let Keys {
        old,
        new,
        source,
        keeper,
    } = keys;
    let key_file = !matches!(source, NewKey::Given);
    let mut share_files = Vec::new();
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
                share_files = keep_new(config, &keeper, &new)?;
            }
            let marker = new.seal(ROTATION_MARKER_AAD, b"")?;
            store
                .insert_service_key(ROTATION_MARKER, marker, Clock::System.now())
                .await?;
            false
        }
        // Stopped after the last transaction, before the key file was replaced.
        None if opens_service_keys(&service_keys, &new) => {
            replace_kept(config, &keeper)?;
            return Ok(Rotated {
                holders: 0,
                service_keys: 0,
                tag_keys: 0,
                resumed: true,
                key_file,
                share_files,
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
    let day_keys = store
        .all_use_link_keys()
        .await?
        .into_iter()
        .map(|key| crate::forgetting::reseal_day_key(&old, &new, key))
        .collect::<Result<Vec<_>, Error>>()?;
    let counts = (service_keys.len(), tag_keys.len());
    store
        .finish_master_key_rotation(service_keys, tag_keys, day_keys, ROTATION_MARKER)
        .await?;
    replace_kept(config, &keeper)?;
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
        share_files,
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
