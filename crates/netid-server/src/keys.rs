//! Keys: the master key (from `NETID_MASTER_KEY` or a key file), the service keys stored
//! sealed under it, and per-holder data keys wrapped under it.
//!
//! Everything at rest is sealed with the `gm` suite's AEAD (SM4-GCM) and an AAD that names
//! what the ciphertext is, so a sealed value cannot be moved to another slot.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use netid_crypto::{AeadKey, MacKey, SigningKey, Suite, SuiteId};
use netid_store::{Store, Timestamp};
use std::sync::Arc;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::token::{KeyReference, SigningToken};

/// The name of the master key file in the data directory.
pub const MASTER_KEY_FILE: &str = "master.key";
/// The name of the database file in the data directory.
pub const DATABASE_FILE: &str = "netid.sqlite3";

/// The key-encryption key under which every other secret is stored. Zeroized on drop, never
/// printed.
pub struct MasterKey(AeadKey);

impl core::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MasterKey").finish_non_exhaustive()
    }
}

impl MasterKey {
    /// Parses 32 hex digits; `None` if they are not exactly that.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = Zeroizing::new(hex::decode(text).ok()?);
        AeadKey::from_bytes(&Suite::gm(), &bytes).ok().map(Self)
    }

    /// The key from its bytes; `None` if they are not a key's length.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        AeadKey::from_bytes(&Suite::gm(), bytes).ok().map(Self)
    }

    /// The key's bytes. Handle with care.
    pub(crate) fn expose_bytes(&self) -> &[u8] {
        self.0.expose_secret()
    }

    /// A fresh random key.
    pub fn generate() -> Result<Self, Error> {
        Ok(Self(AeadKey::generate(&Suite::gm())?))
    }

    /// The key as hex, for the key file. Handle with care.
    fn expose_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.expose_secret()))
    }

    /// Seals `plaintext` under the master key for `purpose`.
    pub(crate) fn seal(&self, purpose: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(Suite::gm().encrypt(&self.0, purpose, plaintext)?)
    }

    /// Opens what [`MasterKey::seal`] sealed for `purpose`.
    pub(crate) fn open(&self, purpose: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        Ok(Suite::gm().decrypt(&self.0, purpose, sealed)?)
    }

    /// Opens what this key sealed for `purpose` and seals it under `new` for the same purpose.
    pub(crate) fn reseal(
        &self,
        new: &MasterKey,
        purpose: &[u8],
        sealed: &[u8],
    ) -> Result<Vec<u8>, Error> {
        new.seal(purpose, &self.open(purpose, sealed)?)
    }

    /// Whether both are the same key (compared in constant time).
    pub(crate) fn same_as(&self, other: &MasterKey) -> bool {
        use subtle::ConstantTimeEq;
        self.0.expose_secret().ct_eq(other.0.expose_secret()).into()
    }
}

/// The master key a rotation moves to, kept beside the key file until the rotation is done.
pub const NEXT_MASTER_KEY_FILE: &str = "master.key.next";

/// Where a master key that is not in a key file comes from.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeySources<'a> {
    /// The share files of a split key ([`crate::key_shares`]).
    pub shares: &'a [PathBuf],
    /// The token that wraps it ([`crate::token`]).
    pub token: Option<&'a crate::token::TokenConfig>,
}

/// Reads the master key file in `data_dir`; or, when the key is wrapped by a token or split,
/// unwraps or combines it from `sources`; or creates the key file (mode 0600) when there is
/// no database yet (`database_exists` false). A missing key file for an existing database is
/// [`Error::MasterKeyMissing`], never a silent new key.
pub fn load_or_create_master_key(
    data_dir: &Path,
    sources: KeySources<'_>,
    database_exists: bool,
) -> Result<MasterKey, Error> {
    let shares = sources.shares;
    let path = data_dir.join(MASTER_KEY_FILE);
    if rotation_unfinished(data_dir) {
        return Err(Error::MasterKeyRotationUnfinished);
    }
    // The key file first: a split or a sealing that was cut short leaves it beside its record.
    let key = match read_key_file(&path)? {
        Some(key) => Some(key),
        None => crate::token::load_master_key_from_token(data_dir, sources.token)?,
    };
    let split = match key {
        Some(_) => None,
        None => crate::key_shares::load_split_master_key(data_dir, shares)?,
    };
    if !shares.is_empty()
        && !data_dir
            .join(crate::key_shares::MASTER_KEY_SPLIT_FILE)
            .exists()
    {
        return Err(Error::MasterKeyShares {
            reason: "NETID_MASTER_KEY_SHARES is set, but this data directory's master key is not split (split it with `netid master-key split`)".to_owned(),
        });
    }
    match key.or(split) {
        Some(key) => Ok(key),
        None if database_exists => Err(Error::MasterKeyMissing { path }),
        None => {
            let key = MasterKey::generate()?;
            write_key_file(&path, &key)?;
            Ok(key)
        }
    }
}

/// The master key kept where `config` says (key file, token or shares; not
/// `NETID_MASTER_KEY`): [`load_or_create_master_key`] over its data directory.
pub(crate) fn master_key_of(
    config: &crate::config::Config,
    database_exists: bool,
) -> Result<MasterKey, Error> {
    let sources = KeySources {
        shares: &config.master_key_shares,
        token: config.token.as_ref(),
    };
    load_or_create_master_key(&config.data_dir, sources, database_exists)
}

/// The key file of `data_dir`, about to be kept elsewhere (split, or wrapped by a token) and
/// replaced by the record `record_file`. Refused (by `refused`) when that record exists
/// already or there is no key file; an unfinished rotation must finish first.
pub(crate) fn key_file_to_move(
    data_dir: &Path,
    refused: impl Fn(String) -> Error,
) -> Result<MasterKey, Error> {
    if let Some(record_path) = key_record(data_dir) {
        return Err(refused(format!(
            "{} exists: the master key is kept elsewhere already (a run cut short leaves the key file beside it: remove that by hand once the service starts without it)",
            record_path.display()
        )));
    }
    if rotation_unfinished(data_dir) {
        return Err(Error::MasterKeyRotationUnfinished);
    }
    let key_path = data_dir.join(MASTER_KEY_FILE);
    read_key_file(&key_path)?.ok_or_else(|| {
        refused(format!(
            "there is no master key file at {} (a key given in NETID_MASTER_KEY is kept by whoever gives it)",
            key_path.display()
        ))
    })
}

/// The data of `config` alone, for a command that moves the master key: refused (by
/// `refused`) while a server or another such command runs on it.
pub(crate) async fn claim_alone(
    config: &crate::config::Config,
    refused: impl Fn(String) -> Error,
) -> Result<crate::server::ServerClaim, Error> {
    crate::server::ServerClaim::take(config, crate::server::Sharing::Alone)
        .await
        .map_err(|error| match error {
            Error::Store(netid_store::Error::InUse) => {
                refused("a netid server is running on this data; stop it first".to_owned())
            }
            other => other,
        })
}

/// The record in `data_dir` that says the master key is kept elsewhere than the key file
/// (split, or wrapped by a token), if there is one.
pub(crate) fn key_record(data_dir: &Path) -> Option<PathBuf> {
    [
        crate::key_shares::MASTER_KEY_SPLIT_FILE,
        crate::token::MASTER_KEY_TOKEN_FILE,
    ]
    .into_iter()
    .map(|file| data_dir.join(file))
    .find(|path| path.exists())
}

/// Writes `record` as `record_file` in `data_dir` (JSON, mode 0600, durably) and only then
/// removes the key file: from then on the key is only where the record says.
pub(crate) fn replace_key_file(
    data_dir: &Path,
    record_file: &str,
    record: &impl serde::Serialize,
) -> Result<(), Error> {
    write_key_record(data_dir, record_file, record)?;
    let key_path = data_dir.join(MASTER_KEY_FILE);
    let removed = |source| Error::Io {
        action: "remove the master key file",
        path: key_path.clone(),
        source,
    };
    std::fs::remove_file(&key_path).map_err(removed)?;
    sync_parent(&key_path).map_err(removed)
}

/// Whether a rotation left the new master key beside the current one in `data_dir` (its key
/// file, token-wrapped record or split record): it must finish first.
fn rotation_unfinished(data_dir: &Path) -> bool {
    [
        NEXT_MASTER_KEY_FILE,
        crate::token::NEXT_MASTER_KEY_TOKEN_FILE,
        crate::key_shares::NEXT_MASTER_KEY_SPLIT_FILE,
    ]
    .iter()
    .any(|file| data_dir.join(file).exists())
}

/// Writes `record` as `record_file` in `data_dir` (JSON, mode 0600, durably; never over an
/// existing file).
pub(crate) fn write_key_record(
    data_dir: &Path,
    record_file: &str,
    record: &impl serde::Serialize,
) -> Result<(), Error> {
    let json = serde_json::to_vec_pretty(record)
        .map_err(|_| Error::Internal("a master key record could not be encoded"))?;
    let record_path = data_dir.join(record_file);
    write_secret_file(&record_path, &[&json, b"\n"], "write a master key record")
}

/// Moves the file `next` of `data_dir` over `current`, durably: what `current` held is gone.
pub(crate) fn move_over(data_dir: &Path, next: &str, current: &str) -> Result<(), Error> {
    let (next, current) = (data_dir.join(next), data_dir.join(current));
    let io = |source| Error::Io {
        action: "replace the master key's file with",
        path: next.clone(),
        source,
    };
    std::fs::rename(&next, &current).map_err(io)?;
    sync_parent(&current).map_err(io)
}

/// The record `record_file` of `data_dir` ([`replace_key_file`]), if there is one.
pub(crate) fn read_key_record<T: serde::de::DeserializeOwned>(
    data_dir: &Path,
    record_file: &str,
) -> Result<Option<T>, Error> {
    let path = data_dir.join(record_file);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|_| Error::MasterKeyRecordDamaged { path }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            action: "read a master key record",
            path,
            source,
        }),
    }
}

/// The key in the key file at `path`, or `None` if there is no such file.
pub(crate) fn read_key_file(path: &Path) -> Result<Option<MasterKey>, Error> {
    let Some(text) = read_secret_file(path, "read the master key file")? else {
        return Ok(None);
    };
    let key = MasterKey::from_hex(text.trim()).ok_or(Error::MasterKeyMalformed {
        path: path.to_owned(),
    })?;
    Ok(Some(key))
}

/// The text of the secret file at `path` (a key, a share, a PIN), or `None` if there is no
/// such file; [`Error::SecretFilePermissions`] if other users may read it.
pub(crate) fn read_secret_file(
    path: &Path,
    action: &'static str,
) -> Result<Option<Zeroizing<String>>, Error> {
    let io = |source| Error::Io {
        action,
        path: path.to_owned(),
        source,
    };
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.permissions().mode() & 0o077 != 0 => {
            Err(Error::SecretFilePermissions {
                path: path.to_owned(),
            })
        }
        Ok(_) => Ok(Some(Zeroizing::new(
            std::fs::read_to_string(path).map_err(io)?,
        ))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(io(source)),
    }
}

/// Writes `key` to a new key file at `path` (mode 0600), durably, never over an existing one.
pub(crate) fn write_key_file(path: &Path, key: &MasterKey) -> Result<(), Error> {
    // Two writes rather than pushing '\n' onto the key's string, which could reallocate and
    // leave an unwiped copy of the key behind.
    write_secret_file(
        path,
        &[key.expose_hex().as_bytes(), b"\n"],
        "write the master key file",
    )
}

/// Writes the concatenation of `parts` to a new file at `path` (mode 0600), durably, never over
/// an existing one. It is written whole to `PATH.partial` first and then linked into place, so
/// a crash leaves either no file or a complete one.
pub(crate) fn write_secret_file(
    path: &Path,
    parts: &[&[u8]],
    action: &'static str,
) -> Result<(), Error> {
    let io = |source| Error::Io {
        action,
        path: path.to_owned(),
        source,
    };
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    // What a crash left half-written: no key was ever used from it.
    match std::fs::remove_file(&partial) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(io(error)),
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .map_err(io)?;
    for part in parts {
        file.write_all(part).map_err(io)?;
    }
    file.sync_all().map_err(io)?;
    std::fs::hard_link(&partial, path).map_err(io)?;
    std::fs::remove_file(&partial).map_err(io)?;
    // The directory entry must be durable too, or a crash could keep the database and lose
    // the key that opens it.
    sync_parent(path).map_err(io)
}

/// Makes the directory entries of `path`'s directory durable.
pub(crate) fn sync_parent(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(dir) => std::fs::File::open(dir).and_then(|dir| dir.sync_all()),
        None => Ok(()),
    }
}

/// The service keys, unsealed in memory.
pub struct ServiceKeys {
    /// The master key, for wrapping per-holder data keys.
    pub(crate) master: MasterKey,
    /// The service's SM2 signing key (for Net Certificates, in a later issue).
    pub(crate) signing: SigningKey,
    /// The transparency log's SM2 checkpoint signing key, until the log takes it.
    pub(crate) log: Option<SigningKey>,
    /// The SM2 key presentations are sealed to (encryption only, never signing).
    pub(crate) presentation: SigningKey,
    /// HMAC key of pairwise pseudonyms.
    pub(crate) pairwise: MacKey,
    /// HMAC key of blind indexes (person references, document numbers, codes, nonces).
    pub(crate) blind_index: MacKey,
    /// AEAD key sealing roster records at rest.
    pub(crate) roster: AeadKey,
    /// The token that holds the P-256 signing keys, when one is configured.
    pub(crate) token: Option<Arc<SigningToken>>,
}

/// Where service signing keys are kept: sealed under the master key in the store, or, for
/// P-256 keys when a token is configured, in the token (the store keeps a sealed reference).
#[derive(Clone, Copy)]
pub(crate) struct KeyPlace<'a> {
    pub(crate) master: &'a MasterKey,
    pub(crate) token: Option<&'a Arc<SigningToken>>,
}

impl KeyPlace<'_> {
    /// A new signing key `name` of `suite`, and what the store keeps of it (sealed next): its
    /// PKCS#8 form, or, made in the token, its reference.
    fn new_signing_key(
        self,
        name: &str,
        suite: &Suite,
    ) -> Result<(SigningKey, Zeroizing<Vec<u8>>), Error> {
        match (suite.id(), self.token) {
            (SuiteId::Intl, Some(token)) => {
                let (key, reference) = token.generate(&crate::token::unique_label(name)?)?;
                Ok((key, Zeroizing::new(reference.to_bytes()?)))
            }
            _ => {
                let key = suite.generate_signing_key()?;
                let der = key.to_pkcs8_der()?;
                Ok((key, der))
            }
        }
    }

    /// The signing key of `suite` in `opened` (a sealed service key `name`, opened).
    fn signing_key(self, name: &str, opened: &[u8], suite: &Suite) -> Result<SigningKey, Error> {
        let Some(reference) = KeyReference::parse(opened) else {
            return Ok(suite.signing_key_from_pkcs8_der(opened)?);
        };
        let reference = reference?;
        let token = self.token.ok_or_else(|| Error::Token {
            reason: format!(
                "the service key {name:?} is in the PKCS#11 token {:?}: set NETID_PKCS11_MODULE, NETID_PKCS11_TOKEN and NETID_PKCS11_PIN_FILE",
                reference.token()
            ),
        })?;
        let key = token.signing_key(&reference)?;
        if key.suite() != suite.id() {
            return Err(Error::Internal(
                "a service key in the token is of another suite",
            ));
        }
        Ok(key)
    }
}

impl core::fmt::Debug for ServiceKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServiceKeys").finish_non_exhaustive()
    }
}

const SIGNING: &str = "signing-gm";
const PAIRWISE: &str = "mac-pairwise";
const BLIND_INDEX: &str = "mac-blind-index";
const ROSTER: &str = "aead-roster";
const LOG: &str = "signing-log-gm";
const LOG_INTL: &str = "signing-log-intl";
const PRESENTATION: &str = "sealing-presentation-gm";
/// The service key row that says a master-key rotation is under way; it holds nothing but the
/// new key's seal of [`ROTATION_MARKER_AAD`], which shows which key the rotation moves to.
pub(crate) const ROTATION_MARKER: &str = "master-key-rotation";
pub(crate) const ROTATION_MARKER_AAD: &[u8] = b"netid master key rotation v1";

/// The signing key `name` of `suite`, generated and stored (sealed) the first time it is asked
/// for: keys that arrive with later features, or that depend on configuration (the CA's).
pub(crate) async fn load_or_add_signing_key(
    store: &dyn Store,
    place: KeyPlace<'_>,
    name: &str,
    suite: &Suite,
    now: Timestamp,
) -> Result<SigningKey, Error> {
    if let Some(key) = load_signing_key(store, place, name, suite).await? {
        return Ok(key);
    }
    let (key, kept) = place.new_signing_key(name, suite)?;
    let sealed = place.master.seal(&service_key_aad(name), &kept)?;
    store.insert_service_key(name, sealed, now).await?;
    Ok(key)
}

/// The signing key `name` of `suite`, if it was stored.
pub(crate) async fn load_signing_key(
    store: &dyn Store,
    place: KeyPlace<'_>,
    name: &str,
    suite: &Suite,
) -> Result<Option<SigningKey>, Error> {
    let Some(sealed) = store.service_key(name).await? else {
        return Ok(None);
    };
    let opened = place
        .master
        .open(&service_key_aad(name), &sealed)
        .map_err(|_| Error::WrongMasterKey)?;
    place.signing_key(name, &opened, suite).map(Some)
}

/// The name the transparency log's key of `suite` is stored under.
fn log_key_name(suite: SuiteId) -> &'static str {
    match suite {
        SuiteId::Gm => LOG,
        SuiteId::Intl => LOG_INTL,
    }
}

/// The AAD of a sealed service key: its purpose and name.
pub(crate) fn service_key_aad(name: &str) -> Vec<u8> {
    format!("netid service key v1\n{name}").into_bytes()
}

impl ServiceKeys {
    /// Loads the service keys from `store`, or generates and stores them on first run, the
    /// transparency log's of `log_suite` (a log keeps the suite it began with: its tree cannot
    /// change its hash half-way, so a later `log_suite` that differs is reported, not taken).
    pub(crate) async fn load_or_create(
        store: &dyn Store,
        master: MasterKey,
        token: Option<Arc<SigningToken>>,
        now: Timestamp,
        log_suite: SuiteId,
    ) -> Result<Self, Error> {
        if store.has_service_keys().await? {
            return Self::load(store, master, token, now, log_suite).await;
        }
        let place = KeyPlace {
            master: &master,
            token: token.as_ref(),
        };
        let suite = Suite::gm();
        let signing = suite.generate_signing_key()?;
        let (log, log_kept) =
            place.new_signing_key(log_key_name(log_suite), &Suite::new(log_suite))?;
        let pairwise = MacKey::generate()?;
        let blind_index = MacKey::generate()?;
        let roster = AeadKey::generate(&suite)?;
        let secrets: [(&str, Zeroizing<Vec<u8>>); 5] = [
            (SIGNING, signing.to_pkcs8_der()?),
            (log_key_name(log_suite), log_kept),
            (PAIRWISE, Zeroizing::new(pairwise.expose_secret().to_vec())),
            (
                BLIND_INDEX,
                Zeroizing::new(blind_index.expose_secret().to_vec()),
            ),
            (ROSTER, Zeroizing::new(roster.expose_secret().to_vec())),
        ];
        let sealed = secrets
            .iter()
            .map(|(name, secret)| {
                Ok((
                    (*name).to_owned(),
                    master.seal(&service_key_aad(name), secret)?,
                ))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        // One transaction: a crash here leaves no partial key set behind.
        store.initialise(sealed, now).await?;
        let presentation = load_or_add_signing_key(store, place, PRESENTATION, &suite, now).await?;
        let keys = Self {
            master,
            signing,
            log: Some(log),
            presentation,
            pairwise,
            blind_index,
            roster,
            token,
        };
        Ok(keys)
    }

    async fn load(
        store: &dyn Store,
        master: MasterKey,
        token: Option<Arc<SigningToken>>,
        now: Timestamp,
        log_suite: SuiteId,
    ) -> Result<Self, Error> {
        let place = KeyPlace {
            master: &master,
            token: token.as_ref(),
        };
        if store.service_key(ROTATION_MARKER).await?.is_some() {
            return Err(Error::MasterKeyRotationUnfinished);
        }
        let suite = Suite::gm();
        let open = |name: &'static str, sealed: Option<Vec<u8>>| -> Result<_, Error> {
            let sealed = sealed.ok_or(Error::Store(netid_store::Error::NotFound {
                what: "service key",
            }))?;
            master
                .open(&service_key_aad(name), &sealed)
                .map_err(|_| Error::WrongMasterKey)
        };
        let signing = open(SIGNING, store.service_key(SIGNING).await?)?;
        let pairwise = open(PAIRWISE, store.service_key(PAIRWISE).await?)?;
        let blind_index = open(BLIND_INDEX, store.service_key(BLIND_INDEX).await?)?;
        let roster = open(ROSTER, store.service_key(ROSTER).await?)?;
        // The log key arrived after the first release: a database from before gets one now.
        let log = match load_signing_key(store, place, LOG_INTL, &Suite::intl()).await? {
            Some(key) => key,
            None => match load_signing_key(store, place, LOG, &suite).await? {
                Some(key) => key,
                None => {
                    load_or_add_signing_key(
                        store,
                        place,
                        log_key_name(log_suite),
                        &Suite::new(log_suite),
                        now,
                    )
                    .await?
                }
            },
        };
        if log.suite() != log_suite {
            tracing::warn!(began = %log.suite(), configured = %log_suite, "the transparency log keeps the suite it began with; start a new deployment (and log) for another suite");
        }
        // So did the presentation key (issue 20).
        let presentation = load_or_add_signing_key(store, place, PRESENTATION, &suite, now).await?;
        Ok(Self {
            signing: suite.signing_key_from_pkcs8_der(&signing)?,
            log: Some(log),
            presentation,
            pairwise: MacKey::from_bytes(&pairwise)?,
            blind_index: MacKey::from_bytes(&blind_index)?,
            roster: AeadKey::from_bytes(&suite, &roster)?,
            master,
            token,
        })
    }

    /// Where the service's signing keys are kept.
    pub(crate) fn place(&self) -> KeyPlace<'_> {
        KeyPlace {
            master: &self.master,
            token: self.token.as_ref(),
        }
    }

    /// The service's public signing key, SPKI PEM.
    pub fn signing_public_key_pem(&self) -> Result<String, Error> {
        Ok(self.signing.verifying_key().to_spki_pem()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_key_hex_must_be_128_bits() {
        assert!(MasterKey::from_hex(&"ab".repeat(16)).is_some());
        assert!(MasterKey::from_hex(&"ab".repeat(15)).is_none());
        assert!(MasterKey::from_hex(&"zz".repeat(16)).is_none());
    }

    #[test]
    fn sealed_values_open_only_for_their_purpose() {
        let key = MasterKey::generate().unwrap();
        let sealed = key.seal(b"a", b"secret").unwrap();
        assert_eq!(&key.open(b"a", &sealed).unwrap()[..], b"secret");
        assert!(key.open(b"b", &sealed).is_err());
    }

    #[test]
    fn key_file_is_created_owner_only_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_master_key(dir.path(), KeySources::default(), false).unwrap();
        let path = dir.path().join(MASTER_KEY_FILE);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = load_or_create_master_key(dir.path(), KeySources::default(), true).unwrap();
        assert_eq!(first.0.expose_secret(), again.0.expose_secret());
    }

    #[test]
    fn a_key_file_half_written_before_a_crash_is_never_read() {
        let dir = tempfile::tempdir().unwrap();
        let partial = dir.path().join("master.key.partial");
        std::fs::write(&partial, "0123").unwrap();
        let key = load_or_create_master_key(dir.path(), KeySources::default(), false).unwrap();
        assert!(!partial.exists(), "the partial file is cleared");
        let again = load_or_create_master_key(dir.path(), KeySources::default(), true).unwrap();
        assert!(key.same_as(&again));
        let next = dir.path().join(NEXT_MASTER_KEY_FILE);
        write_key_file(&next, &MasterKey::generate().unwrap()).unwrap();
        let error = write_key_file(&next, &key).unwrap_err();
        assert!(matches!(error, Error::Io { .. }), "never over a key file");
    }

    #[test]
    fn missing_key_file_for_an_existing_database_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = load_or_create_master_key(dir.path(), KeySources::default(), true).unwrap_err();
        assert!(matches!(error, Error::MasterKeyMissing { .. }));
        assert!(!dir.path().join(MASTER_KEY_FILE).exists());
    }

    #[test]
    fn key_file_readable_by_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        load_or_create_master_key(dir.path(), KeySources::default(), false).unwrap();
        let path = dir.path().join(MASTER_KEY_FILE);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = load_or_create_master_key(dir.path(), KeySources::default(), true).unwrap_err();
        assert!(matches!(error, Error::SecretFilePermissions { .. }));
    }
}
