//! Keys in a PKCS#11 token (SoftHSM in tests; an HSM in a real deployment).
//!
//! The master key: `netid master-key seal-to-token` makes an AES-256 key in the token that
//! never leaves it (sensitive, not extractable), wraps the master key with it (AES-GCM,
//! computed in the token) into `master.key.token`, and removes the key file; each start asks
//! the token to unwrap it. A copy of the data directory, or of the database, then decrypts
//! nothing without the token and its PIN. The unwrapped key stays in memory, as a key file's
//! would.
//!
//! The service's P-256 signing keys (the `intl` suite's: OpenID Connect's ES256 key, an `intl`
//! log's, CA's and Net Certificates' keys): with a token configured, new ones are made in it,
//! and `netid service-keys move-to-token` moves those made before; the store then keeps only a
//! sealed reference (the token, the key's label and its public half), and every signature is
//! made in the token over a digest netid computes (SoftHSM 2.6 signs ECDSA over a digest
//! only). SM2 keys stay sealed under the master key: SoftHSM has no SM2, and SM2 in hardware
//! goes through a GM/T 0018 device, for which `netid_crypto::HeldSigningKey` is the seam.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use base64ct::{Base64, Encoding};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use netid_crypto::{
    HeldSigningKey, KeyWrappingKey, SigningKey, Suite, VerifyingKey, WrappingError,
};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::keys::{self, MasterKey};

/// The wrapped master key, in the data directory in place of the key file.
pub const MASTER_KEY_TOKEN_FILE: &str = "master.key.token";
/// The new master key wrapped by the token while a rotation moves to it.
pub const NEXT_MASTER_KEY_TOKEN_FILE: &str = "master.key.token.next";
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
        let (context, session) = log_in(config)?;
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
    let (record, description) = wrap(&key, token_config, true)?;
    keys::replace_key_file(data_dir, MASTER_KEY_TOKEN_FILE, &record)?;
    Ok(description)
}

/// `key` wrapped by the token of `token_config` (its wrapping key made if `create` and there
/// is none), checked to unwrap again; and what wraps it.
fn wrap(
    key: &MasterKey,
    token_config: &TokenConfig,
    create: bool,
) -> Result<(WrappedRecord, String), Error> {
    let refused = |reason: String| Error::Token { reason };
    let token = TokenKey::open(token_config, create)?;
    let wrapped = token
        .wrap(PURPOSE, key.expose_bytes())
        .map_err(|error| refused(error.0))?;
    let again = token
        .unwrap(PURPOSE, &wrapped)
        .map_err(|error| refused(error.0))?;
    if MasterKey::from_bytes(&again).is_none_or(|again| !again.same_as(key)) {
        return Err(Error::Internal(
            "the token did not give back the key it wrapped",
        ));
    }
    let record = WrappedRecord {
        token: token_config.token.clone(),
        key: token_config.key.clone(),
        wrapped: Base64::encode_string(&wrapped),
    };
    Ok((record, token.describe()))
}

/// Writes `key`, wrapped by the token's existing wrapping key, as `file` in `data_dir` (a
/// rotation's new key, before anything is sealed under it).
pub(crate) fn write_wrapped(
    data_dir: &Path,
    file: &str,
    key: &MasterKey,
    token_config: &TokenConfig,
) -> Result<(), Error> {
    let (record, _) = wrap(key, token_config, false)?;
    keys::write_key_record(data_dir, file, &record)
}

/// Moves the service's P-256 signing keys sealed in the store into the token of `config`
/// (`netid service-keys move-to-token`), every server stopped: each is put into the token
/// (sensitive, never extractable), made to sign there once, and only then replaced in the
/// store by its sealed reference, one key at a time, so a move cut short runs again. Returns
/// the names of the keys moved by this run.
pub async fn move_signing_keys_to_token(
    config: &crate::config::Config,
) -> Result<Vec<String>, Error> {
    let token = config.token.as_ref().ok_or_else(|| Error::Token {
        reason:
            "name the token: set NETID_PKCS11_MODULE, NETID_PKCS11_TOKEN and NETID_PKCS11_PIN_FILE"
                .to_owned(),
    })?;
    let claim = keys::claim_alone(config, |reason| Error::Token { reason }).await?;
    let moved = move_claimed(config, token).await;
    claim.release().await;
    moved
}

async fn move_claimed(
    config: &crate::config::Config,
    token_config: &TokenConfig,
) -> Result<Vec<String>, Error> {
    let (store, initialised) = crate::server::open_store(config).await?;
    if !initialised {
        return Err(Error::Token {
            reason: "the database has not been set up; start the server once (with the token configured, its keys are made in the token)".to_owned(),
        });
    }
    let loaded;
    let master = match config.master_key.as_ref() {
        Some(key) => key,
        None => {
            loaded = keys::master_key_of(config, true)?;
            &loaded
        }
    };
    let service_keys = store.service_keys().await?;
    if service_keys
        .iter()
        .any(|(name, _)| name == keys::ROTATION_MARKER)
    {
        return Err(Error::MasterKeyRotationUnfinished);
    }
    let token = SigningToken::open(token_config)?;
    let mut moved = Vec::new();
    for (name, sealed) in service_keys {
        let aad = keys::service_key_aad(&name);
        let opened = master
            .open(&aad, &sealed)
            .map_err(|_| Error::WrongMasterKey)?;
        if KeyReference::parse(&opened).is_some() {
            continue;
        }
        // Only P-256 keys: SM2 ones, MAC and AEAD keys stay sealed under the master key.
        let Ok(key) = Suite::intl().signing_key_from_pkcs8_der(&opened) else {
            continue;
        };
        let reference = token.import(&unique_label(&name)?, &key)?;
        let kept = master.seal(&aad, &reference.to_bytes()?)?;
        store.replace_service_key(&name, kept).await?;
        moved.push(name);
    }
    Ok(moved)
}

/// The master key of `data_dir` unwrapped by its token, if it is in one (`None` if not).
pub(crate) fn load_master_key_from_token(
    data_dir: &Path,
    config: Option<&TokenConfig>,
) -> Result<Option<MasterKey>, Error> {
    load_wrapped(data_dir, MASTER_KEY_TOKEN_FILE, config)
}

/// The key wrapped in `file` of `data_dir` (`None` if there is no such file).
pub(crate) fn load_wrapped(
    data_dir: &Path,
    file: &str,
    config: Option<&TokenConfig>,
) -> Result<Option<MasterKey>, Error> {
    let Some(record) = keys::read_key_record::<WrappedRecord>(data_dir, file)? else {
        return Ok(None);
    };
    let damaged = || Error::MasterKeyRecordDamaged {
        path: data_dir.join(file),
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

/// The module at `module`, loaded and initialised once per process: a second `C_Initialize`
/// is an error, and the master key's unwrapping and the signing keys share the module.
fn context(module: &Path) -> Result<Pkcs11, Error> {
    static LOADED: Mutex<Vec<(PathBuf, Pkcs11)>> = Mutex::new(Vec::new());
    let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, context)) = loaded.iter().find(|(path, _)| path == module) {
        return Ok(context.clone());
    }
    let fail = |error: cryptoki::error::Error| Error::Token {
        reason: format!("loading the PKCS#11 module {}: {error}", module.display()),
    };
    let context = Pkcs11::new(module).map_err(fail)?;
    context
        .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .map_err(fail)?;
    loaded.push((module.to_owned(), context.clone()));
    Ok(context)
}

/// A read-write session on the token of `config`, logged in as its user.
fn log_in(config: &TokenConfig) -> Result<(Pkcs11, Session), Error> {
    let fail = |what: &str, error: cryptoki::error::Error| Error::Token {
        reason: format!("{what}: {error}"),
    };
    let pin = read_pin(&config.pin_file)?;
    let context = context(&config.module)?;
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
    match session.login(UserType::User, Some(&pin)) {
        // The login is the application's, shared by its sessions.
        Ok(()) | Err(cryptoki::error::Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
        Err(error) => return Err(fail("logging in to the token (is the PIN right?)", error)),
    }
    Ok((context, session))
}

/// The DER encoding of the P-256 curve's OID (`CKA_EC_PARAMS`).
const P256_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// What the store keeps, sealed, in place of a service key that is in a token.
const REFERENCE_PREFIX: &[u8] = b"netid token key v1\n";

/// A service key in a token, as the store keeps it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyReference {
    /// The token's label.
    token: String,
    /// The private key's label in the token.
    label: String,
    /// The public key, SEC 1 uncompressed, base64.
    public: String,
}

impl KeyReference {
    /// The reference in `opened` (a sealed service key, opened), if it is one.
    pub(crate) fn parse(opened: &[u8]) -> Option<Result<Self, Error>> {
        let json = opened.strip_prefix(REFERENCE_PREFIX)?;
        Some(
            serde_json::from_slice(json)
                .map_err(|_| Error::Internal("a damaged token key reference in the store")),
        )
    }

    /// The bytes the store keeps (sealed).
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let json = serde_json::to_vec(self)
            .map_err(|_| Error::Internal("encoding a token key reference"))?;
        Ok([REFERENCE_PREFIX, &json].concat())
    }

    /// The key's token label.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }
}

/// A logged-in session on the token that holds the service's P-256 signing keys, shared by
/// them (a session runs one operation at a time).
pub(crate) struct SigningToken {
    session: Mutex<Session>,
    token: String,
    _context: Pkcs11,
}

impl core::fmt::Debug for SigningToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SigningToken")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// One P-256 private key in the token.
struct TokenSigningKey {
    token: Arc<SigningToken>,
    key: ObjectHandle,
    description: String,
}

impl HeldSigningKey for TokenSigningKey {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn sign_digest(&self, digest: &[u8; 32]) -> Result<[u8; 64], WrappingError> {
        let session = self
            .token
            .session
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let signature = session
            .sign(&Mechanism::Ecdsa, self.key, digest)
            .map_err(|error| WrappingError(format!("signing in the token: {error}")))?;
        signature
            .try_into()
            .map_err(|_| WrappingError("the token's signature is not 64 bytes".into()))
    }
}

impl SigningToken {
    /// Logs in to the token of `config` for signing.
    pub(crate) fn open(config: &TokenConfig) -> Result<Arc<Self>, Error> {
        let (context, session) = log_in(config)?;
        Ok(Arc::new(Self {
            session: Mutex::new(session),
            token: config.token.clone(),
            _context: context,
        }))
    }

    fn fail(what: &str, error: cryptoki::error::Error) -> Error {
        Error::Token {
            reason: format!("{what}: {error}"),
        }
    }

    /// The private key labelled `label`, if the token holds one.
    fn find(&self, label: &str) -> Result<Option<ObjectHandle>, Error> {
        let session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        let mut found = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Label(label.as_bytes().to_vec()),
            ])
            .map_err(|error| Self::fail("looking for a signing key", error))?;
        match (found.pop(), found.is_empty()) {
            (key, true) => Ok(key),
            (_, false) => Err(Error::Token {
                reason: format!(
                    "the token {:?} holds more than one key labelled {label:?}; keep one",
                    self.token
                ),
            }),
        }
    }

    /// The key `reference` names, as a signing key that signs in the token.
    pub(crate) fn signing_key(
        self: &Arc<Self>,
        reference: &KeyReference,
    ) -> Result<SigningKey, Error> {
        if reference.token != self.token {
            return Err(Error::Token {
                reason: format!(
                    "the signing key {:?} is in the token {:?}, but NETID_PKCS11_TOKEN names {:?}",
                    reference.label, reference.token, self.token
                ),
            });
        }
        let public = Base64::decode_vec(&reference.public)
            .map_err(|_| Error::Internal("a damaged token key reference in the store"))?;
        let public = Suite::intl().verifying_key_from_sec1(&public)?;
        let key = self.find(&reference.label)?.ok_or_else(|| Error::Token {
            reason: format!(
                "the token {:?} holds no key labelled {:?}; it is the service's signing key: restore the token",
                self.token, reference.label
            ),
        })?;
        let key = self.held(key, &reference.label, public)?;
        key.sign(PROBE)?;
        Ok(key)
    }

    fn held(
        self: &Arc<Self>,
        key: ObjectHandle,
        label: &str,
        public: VerifyingKey,
    ) -> Result<SigningKey, Error> {
        let held = TokenSigningKey {
            token: Arc::clone(self),
            key,
            description: format!(
                "the P-256 key {label:?} in the PKCS#11 token {:?}",
                self.token
            ),
        };
        Ok(Suite::intl().held_signing_key(public, Arc::new(held))?)
    }

    fn reference(&self, label: &str, public: &VerifyingKey) -> KeyReference {
        KeyReference {
            token: self.token.clone(),
            label: label.to_owned(),
            public: Base64::encode_string(&public.to_sec1_uncompressed()),
        }
    }

    /// A new P-256 key pair made in the token (the private half sensitive, never
    /// extractable), labelled `label`, and the reference the store keeps.
    pub(crate) fn generate(
        self: &Arc<Self>,
        label: &str,
    ) -> Result<(SigningKey, KeyReference), Error> {
        let label_bytes = label.as_bytes().to_vec();
        let (public, private) = {
            let session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
            let (public, private) = session
                .generate_key_pair(
                    &Mechanism::EccKeyPairGen,
                    &[
                        Attribute::Token(true),
                        Attribute::Verify(true),
                        Attribute::EcParams(P256_PARAMS.to_vec()),
                        Attribute::Label(label_bytes.clone()),
                    ],
                    &private_template(label_bytes),
                )
                .map_err(|error| Self::fail("making a signing key in the token", error))?;
            let point = session
                .get_attributes(public, &[AttributeType::EcPoint])
                .map_err(|error| Self::fail("reading the new key's public half", error))?;
            let point = match point.as_slice() {
                [Attribute::EcPoint(point)] => point.clone(),
                _ => return Err(Error::Internal("the token gave no public point")),
            };
            (sec1_from_ec_point(&point)?, private)
        };
        let public = Suite::intl().verifying_key_from_sec1(&public)?;
        let reference = self.reference(label, &public);
        Ok((self.held(private, label, public)?, reference))
    }

    /// Puts `key` (a P-256 key from the store) into the token as a sensitive, never
    /// extractable key labelled `label`, has it sign there once, and gives back the reference
    /// the store keeps.
    pub(crate) fn import(
        self: &Arc<Self>,
        label: &str,
        key: &SigningKey,
    ) -> Result<KeyReference, Error> {
        let public = key.verifying_key().clone();
        let mut template = private_template(label.as_bytes().to_vec());
        template.extend([
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(KeyType::EC),
            Attribute::EcParams(P256_PARAMS.to_vec()),
            Attribute::Value(key.expose_secret_scalar()?.to_vec()),
        ]);
        let created = self
            .session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .create_object(&template);
        // The template's copy of the scalar is wiped however it went.
        for attribute in &mut template {
            if let Attribute::Value(value) = attribute {
                zeroize::Zeroize::zeroize(value);
            }
        }
        let handle =
            created.map_err(|error| Self::fail("putting a signing key into the token", error))?;
        self.held(handle, label, public.clone())?.sign(PROBE)?;
        Ok(self.reference(label, &public))
    }
}

/// What a key in the token signs once when it is put there or loaded, so that a key that is
/// not the one expected shows at once, not at its first use.
const PROBE: &[u8] = b"netid token key check";

/// A label for the service key `name` in the token, unique to this key: a key made or moved
/// by a run that then stopped before the store kept its reference stays behind under a label
/// no reference names, and takes no later key's place.
pub(crate) fn unique_label(name: &str) -> Result<String, Error> {
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).map_err(|_| Error::Internal("the OS random source failed"))?;
    Ok(format!("netid-{name}-{}", hex::encode(suffix)))
}

/// The private half's attributes: kept in the token, for signing only, never revealed.
fn private_template(label: Vec<u8>) -> Vec<Attribute> {
    vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Label(label),
    ]
}

/// The SEC 1 point inside `CKA_EC_POINT`, which PKCS#11 wraps in a DER OCTET STRING.
fn sec1_from_ec_point(value: &[u8]) -> Result<Vec<u8>, Error> {
    match value {
        [0x04, 0x41, point @ ..] if point.len() == 0x41 => Ok(point.to_vec()),
        [0x04, ..] if value.len() == 65 => Ok(value.to_vec()),
        _ => Err(Error::Internal(
            "the token's public point is not a P-256 point",
        )),
    }
}

/// The user PIN in `path`, which others may not read.
fn read_pin(path: &Path) -> Result<AuthPin, Error> {
    let text =
        keys::read_secret_file(path, "read the PKCS#11 PIN file")?.ok_or_else(|| Error::Token {
            reason: format!("there is no PIN file at {}", path.display()),
        })?;
    Ok(AuthPin::from(text.trim().to_owned()))
}
