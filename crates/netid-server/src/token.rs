//! The master key wrapped by a key in a PKCS#11 token (SoftHSM in tests; an HSM in a real
//! deployment): `netid master-key seal-to-token` makes an AES-256 key in the token that never
//! leaves it (sensitive, not extractable), wraps the master key with it (AES-GCM, computed in
//! the token) into `master.key.token`, and removes the key file; each start asks the token to
//! unwrap it. A copy of the data directory, or of the database, then decrypts nothing without
//! the token and its PIN. The token is used at start only: the unwrapped key stays in memory,
//! as a key file's would.

use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use netid_crypto::{KeyWrappingKey, WrappingError};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::keys::{self, MasterKey};

/// The wrapped master key, in the data directory in place of the key file.
pub const MASTER_KEY_TOKEN_FILE: &str = "master.key.token";
/// The label of the wrapping key in the token, unless `NETID_PKCS11_KEY` names another.
pub const DEFAULT_KEY_LABEL: &str = "netid-master-wrapping-key";

/// What the wrapped master key is, for its associated data.
const PURPOSE: &[u8] = b"netid master key wrapped in a token v1";
/// AES-GCM's nonce and tag, in bytes.
const IV_LEN: usize = 12;
const TAG_BITS: u64 = 128;

/// Which token, and how to log in to it (`NETID_PKCS11_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenConfig {
    /// The PKCS#11 module (`NETID_PKCS11_MODULE`), e.g. `/usr/lib/softhsm/libsofthsm2.so`.
    pub module: PathBuf,
    /// The token's label (`NETID_PKCS11_TOKEN`).
    pub token: String,
    /// A file (mode 0600) holding the user PIN (`NETID_PKCS11_PIN_FILE`).
    pub pin_file: PathBuf,
    /// The wrapping key's label (`NETID_PKCS11_KEY`, default [`DEFAULT_KEY_LABEL`]).
    pub key: String,
}

/// [`MASTER_KEY_TOKEN_FILE`]: where the wrapping key is and what it wrapped.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WrappedRecord {
    /// The token's label.
    token: String,
    /// The wrapping key's label.
    key: String,
    /// The IV and the ciphertext with its tag, base64.
    wrapped: String,
}

/// A logged-in session on the token and its wrapping key.
struct TokenKey {
    // Dropped after the session: the session is the context's.
    session: Session,
    key: ObjectHandle,
    description: String,
    _context: Pkcs11,
}

impl TokenKey {
    /// Logs in to the token of `config` and finds its wrapping key; makes it when `create`
    /// and there is none.
    fn open(config: &TokenConfig, create: bool) -> Result<Self, Error> {
        let fail = |what: &str, error: cryptoki::error::Error| Error::Token {
            reason: format!("{what}: {error}"),
        };
        let pin = read_pin(&config.pin_file)?;
        let context = Pkcs11::new(&config.module).map_err(|error| {
            fail(
                &format!("loading the PKCS#11 module {}", config.module.display()),
                error,
            )
        })?;
        context
            .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .map_err(|error| fail("initialising the PKCS#11 module", error))?;
        let slots = context
            .get_slots_with_token()
            .map_err(|error| fail("listing the tokens", error))?;
        let mut found = None;
        for slot in slots {
            let info = context
                .get_token_info(slot)
                .map_err(|error| fail("reading a token's label", error))?;
            if info.label().trim_end() == config.token {
                found = Some(slot);
                break;
            }
        }
        let slot = found.ok_or_else(|| Error::Token {
            reason: format!(
                "no token labelled {:?} in {}; check NETID_PKCS11_TOKEN",
                config.token,
                config.module.display()
            ),
        })?;
        let session = context
            .open_rw_session(slot)
            .map_err(|error| fail("opening a session on the token", error))?;
        session
            .login(UserType::User, Some(&pin))
            .map_err(|error| fail("logging in to the token (is the PIN right?)", error))?;
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::Label(config.key.as_bytes().to_vec()),
        ];
        let mut keys = session
            .find_objects(&template)
            .map_err(|error| fail("looking for the wrapping key", error))?;
        let key = match (keys.pop(), keys.is_empty()) {
            (Some(key), true) => key,
            (Some(_), false) => {
                return Err(Error::Token {
                    reason: format!(
                        "the token holds more than one key labelled {:?}; keep one",
                        config.key
                    ),
                });
            }
            (None, _) if create => session
                .generate_key(
                    &Mechanism::AesKeyGen,
                    &[
                        Attribute::Token(true),
                        Attribute::Private(true),
                        Attribute::Sensitive(true),
                        Attribute::Extractable(false),
                        Attribute::Encrypt(true),
                        Attribute::Decrypt(true),
                        Attribute::KeyType(KeyType::AES),
                        Attribute::ValueLen(32.into()),
                        Attribute::Label(config.key.as_bytes().to_vec()),
                    ],
                )
                .map_err(|error| fail("making the wrapping key in the token", error))?,
            (None, _) => {
                return Err(Error::Token {
                    reason: format!(
                        "the token {:?} holds no key labelled {:?}; check NETID_PKCS11_KEY",
                        config.token, config.key
                    ),
                });
            }
        };
        Ok(Self {
            session,
            key,
            description: format!(
                "the AES-256 key {:?} in the PKCS#11 token {:?}",
                config.key, config.token
            ),
            _context: context,
        })
    }
}

impl KeyWrappingKey for TokenKey {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn wrap(&self, purpose: &[u8], key: &[u8]) -> Result<Vec<u8>, WrappingError> {
        let mut iv = [0u8; IV_LEN];
        getrandom::fill(&mut iv)
            .map_err(|_| WrappingError("the OS random source failed".into()))?;
        let mut nonce = iv;
        let params = GcmParams::new(&mut nonce, purpose, TAG_BITS.into())
            .map_err(|error| WrappingError(format!("AES-GCM parameters: {error}")))?;
        let sealed = self
            .session
            .encrypt(&Mechanism::AesGcm(params), self.key, key)
            .map_err(|error| WrappingError(format!("wrapping in the token: {error}")))?;
        Ok([iv.as_slice(), &sealed].concat())
    }

    fn unwrap(&self, purpose: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, WrappingError> {
        let (iv, sealed) = wrapped
            .split_at_checked(IV_LEN)
            .ok_or_else(|| WrappingError("the wrapped key is too short".into()))?;
        let mut nonce = [0u8; IV_LEN];
        nonce.copy_from_slice(iv);
        let params = GcmParams::new(&mut nonce, purpose, TAG_BITS.into())
            .map_err(|error| WrappingError(format!("AES-GCM parameters: {error}")))?;
        self.session
            .decrypt(&Mechanism::AesGcm(params), self.key, sealed)
            .map(Zeroizing::new)
            .map_err(|error| WrappingError(format!("unwrapping in the token: {error}")))
    }
}

/// Wraps the master key file of `data_dir` with the wrapping key of the token of `config`
/// (made if the token has none), checks that the token unwraps it again, writes
/// [`MASTER_KEY_TOKEN_FILE`] and only then removes the key file. Run with the server stopped.
/// Returns what wraps it, for the message.
pub async fn seal_master_key_to_token(
    config: &crate::config::Config,
    token: &TokenConfig,
) -> Result<String, Error> {
    let refused = |reason: String| Error::Token { reason };
    let claim = keys::claim_alone(config, refused).await?;
    let sealed = seal_claimed(&config.data_dir, token);
    claim.release().await;
    sealed
}

fn seal_claimed(data_dir: &Path, token_config: &TokenConfig) -> Result<String, Error> {
    let refused = |reason: String| Error::Token { reason };
    let key = keys::key_file_to_move(data_dir, refused)?;
    let token = TokenKey::open(token_config, true)?;
    let wrapped = token
        .wrap(PURPOSE, key.expose_bytes())
        .map_err(|error| refused(error.0))?;
    let again = token
        .unwrap(PURPOSE, &wrapped)
        .map_err(|error| refused(error.0))?;
    if MasterKey::from_bytes(&again).is_none_or(|again| !again.same_as(&key)) {
        return Err(Error::Internal(
            "the token did not give back the key it wrapped",
        ));
    }
    let record = WrappedRecord {
        token: token_config.token.clone(),
        key: token_config.key.clone(),
        wrapped: Base64::encode_string(&wrapped),
    };
    keys::replace_key_file(data_dir, MASTER_KEY_TOKEN_FILE, &record)?;
    Ok(token.describe())
}

/// The master key of `data_dir` unwrapped by its token, if it is in one (`None` if not).
pub(crate) fn load_master_key_from_token(
    data_dir: &Path,
    config: Option<&TokenConfig>,
) -> Result<Option<MasterKey>, Error> {
    let Some(record) = keys::read_key_record::<WrappedRecord>(data_dir, MASTER_KEY_TOKEN_FILE)?
    else {
        return Ok(None);
    };
    let damaged = || Error::MasterKeyRecordDamaged {
        path: data_dir.join(MASTER_KEY_TOKEN_FILE),
    };
    let config = config.ok_or_else(|| Error::Token {
        reason: format!(
            "the master key of this data directory is wrapped by the key {:?} in the PKCS#11 token {:?}: set NETID_PKCS11_MODULE, NETID_PKCS11_TOKEN and NETID_PKCS11_PIN_FILE",
            record.key, record.token
        ),
    })?;
    if (&config.token, &config.key) != (&record.token, &record.key) {
        return Err(Error::Token {
            reason: format!(
                "the master key of this data directory is wrapped by the key {:?} in the token {:?}, but NETID_PKCS11_TOKEN and NETID_PKCS11_KEY name {:?} in {:?}",
                record.key, record.token, config.key, config.token
            ),
        });
    }
    let wrapped = Base64::decode_vec(&record.wrapped).map_err(|_| damaged())?;
    let token = TokenKey::open(config, false)?;
    let bytes = token
        .unwrap(PURPOSE, &wrapped)
        .map_err(|error| Error::Token {
            reason: format!(
                "{}: {} (another token's key, or a changed file)",
                token.describe(),
                error.0
            ),
        })?;
    MasterKey::from_bytes(&bytes).map(Some).ok_or_else(damaged)
}

/// The user PIN in `path`, which others may not read.
fn read_pin(path: &Path) -> Result<AuthPin, Error> {
    let text =
        keys::read_secret_file(path, "read the PKCS#11 PIN file")?.ok_or_else(|| Error::Token {
            reason: format!("there is no PIN file at {}", path.display()),
        })?;
    Ok(AuthPin::from(text.trim().to_owned()))
}
