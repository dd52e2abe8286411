//! Checkpoints (C2SP `tlog-checkpoint`) in signed notes (C2SP `signed-note`).
//!
//! ```text
//! <origin>\n
//! <tree size, decimal>\n
//! <root hash, base64>\n
//! [<extension line>\n ...]
//! \n
//! — <key name> base64(key ID (4 bytes) || signature)\n
//! ```
//!
//! Signature types: `intl` logs sign with ECDSA P-256 (signed-note type `0x02`, key ID the first
//! four bytes of SHA-256 of the key's SubjectPublicKeyInfo). SM2 has no assigned type, so `gm`
//! logs use `0xff` followed by the identifier `netid/sm2-sm3`, as the spec recommends for
//! unassigned types: key ID = SHA-256(name || 0x0A || 0xff || "netid/sm2-sm3" || SPKI)[:4].
//! Both sign the note text; the signature is ASN.1 DER; SM2 uses the default distinguishing
//! ID `1234567812345678`.

use base64ct::{Base64, Encoding};
use netid_crypto::{SigningKey, Suite, SuiteId, VerifyingKey};

use crate::{Error, Hash};

/// A checkpoint signature line starts with an em dash and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// A log's signed statement of its size and root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line: a schema-less URL naming the log, e.g. `netid.example/log`.
    pub origin: String,
    /// The number of entries.
    pub size: u64,
    /// The root hash of the tree of `size` entries.
    pub root: Hash,
    /// Optional extension lines, without their newline.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text: origin, size and root lines, then extensions, each ending in a newline.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            Base64::encode_string(&self.root.0)
        );
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Parses note text (without signatures).
    pub fn parse_text(text: &str) -> Result<Self, Error> {
        let body = text
            .strip_suffix('\n')
            .ok_or(Error::MalformedCheckpoint("text must end in a newline"))?;
        if body.chars().any(|c| c.is_control() && c != '\n') {
            return Err(Error::MalformedCheckpoint(
                "control characters are not allowed",
            ));
        }
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|line| !line.is_empty())
            .ok_or(Error::MalformedCheckpoint("the origin line is empty"))?;
        let size_line = lines
            .next()
            .ok_or(Error::MalformedCheckpoint("the tree size line is missing"))?;
        if size_line.is_empty()
            || !size_line.bytes().all(|b| b.is_ascii_digit())
            || (size_line.len() > 1 && size_line.starts_with('0'))
        {
            return Err(Error::MalformedCheckpoint(
                "the tree size must be a decimal number without leading zeros",
            ));
        }
        let size = size_line
            .parse::<u64>()
            .map_err(|_| Error::MalformedCheckpoint("the tree size does not fit in 64 bits"))?;
        let root_line = lines
            .next()
            .ok_or(Error::MalformedCheckpoint("the root hash line is missing"))?;
        let root_bytes = Base64::decode_vec(root_line)
            .map_err(|_| Error::MalformedCheckpoint("the root hash is not base64"))?;
        let root = Hash::from_slice(&root_bytes)?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(Error::MalformedCheckpoint(
                "extension lines must not be empty",
            ));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

/// Signs checkpoints as the log.
#[derive(Debug)]
pub struct NoteSigner {
    name: String,
    key: SigningKey,
    key_id: [u8; 4],
}

impl NoteSigner {
    /// A signer for the log key `name` (a schema-less URL, usually the origin).
    pub fn new(name: &str, key: SigningKey) -> Result<Self, Error> {
        let key_id = key_id(name, key.verifying_key())?;
        Ok(Self {
            name: name.to_owned(),
            key,
            key_id,
        })
    }

    /// The signed note of `checkpoint`.
    pub fn sign(&self, checkpoint: &Checkpoint) -> Result<String, Error> {
        let text = checkpoint.to_text();
        let signature = self.key.sign(text.as_bytes())?.to_der()?;
        let mut blob = self.key_id.to_vec();
        blob.extend_from_slice(&signature);
        Ok(format!(
            "{text}\n{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            Base64::encode_string(&blob)
        ))
    }

    /// The log's public key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        self.key.verifying_key()
    }

    /// The verifier that auditors and wallets configure for this log.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key: self.key.verifying_key().clone(),
            key_id: self.key_id,
        }
    }
}

/// Verifies signed checkpoints against one trusted log key.
#[derive(Debug, Clone)]
pub struct NoteVerifier {
    name: String,
    key: VerifyingKey,
    key_id: [u8; 4],
}

impl NoteVerifier {
    /// A verifier trusting `key` under the name `name`.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, Error> {
        Ok(Self {
            key_id: key_id(name, &key)?,
            name: name.to_owned(),
            key,
        })
    }

    /// The verifier key in the C2SP signed-note text form, `<name>+<key ID hex>+<base64 of
    /// the signature type and the key>`: what an auditor or wallet is configured with. The
    /// key is its SubjectPublicKeyInfo DER, after `0x02` (ECDSA P-256) or after `0xff` and
    /// `netid/sm2-sm3` (SM2).
    pub fn to_vkey(&self) -> Result<String, Error> {
        let mut blob = signature_type(self.key.suite()).to_vec();
        blob.extend_from_slice(&self.key.to_spki_der()?);
        Ok(format!(
            "{}+{}+{}",
            self.name,
            crate::entry::hex_string(&self.key_id),
            Base64::encode_string(&blob)
        ))
    }

    /// Parses a verifier key written by [`NoteVerifier::to_vkey`]; the key ID must match the
    /// key.
    pub fn from_vkey(vkey: &str) -> Result<Self, Error> {
        let malformed = Error::MalformedVerifierKey;
        let mut parts = vkey.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(blob)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(malformed("expected <name>+<key id>+<key>"));
        };
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+') {
            return Err(malformed(
                "the key name must be non-empty, without spaces or '+'",
            ));
        }
        let blob = Base64::decode_vec(blob).map_err(|_| malformed("the key is not base64"))?;
        let (suite, spki) = [SuiteId::Intl, SuiteId::Gm]
            .into_iter()
            .find_map(|suite| Some((suite, blob.strip_prefix(signature_type(suite))?)))
            .ok_or(malformed("unknown signature type"))?;
        let key = Suite::new(suite)
            .verifying_key_from_spki_der(spki)
            .map_err(|_| malformed("the key is not a public key of its signature type"))?;
        let verifier = Self::new(name, key)?;
        if crate::entry::hex_string(&verifier.key_id) != id {
            return Err(malformed("the key ID does not match the key"));
        }
        Ok(verifier)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The suite of the log's key, which is also the suite of its tree hash.
    pub fn suite(&self) -> Suite {
        Suite::new(self.key.suite())
    }

    /// Checks the note's signature by the trusted key (signatures by other keys are ignored,
    /// as the spec requires) and returns the checkpoint it signs.
    pub fn verify(&self, note: &str) -> Result<Checkpoint, Error> {
        let split = note.rfind("\n\n").ok_or(Error::MalformedCheckpoint(
            "no blank line before the signatures",
        ))?;
        let text = note
            .get(..=split)
            .ok_or(Error::MalformedCheckpoint("note text is not utf-8 aligned"))?;
        let signatures = note
            .get(split + 2..)
            .ok_or(Error::MalformedCheckpoint("note text is not utf-8 aligned"))?;
        let signatures = signatures
            .strip_suffix('\n')
            .ok_or(Error::MalformedCheckpoint(
                "signature lines must end in a newline",
            ))?;
        let suite = Suite::new(self.key.suite());
        let mut verified = false;
        for line in signatures.split('\n') {
            let rest = line
                .strip_prefix(SIGNATURE_PREFIX)
                .ok_or(Error::MalformedCheckpoint(
                    "a signature line must start with an em dash",
                ))?;
            let (name, blob) = rest.split_once(' ').ok_or(Error::MalformedCheckpoint(
                "a signature line needs a key name and a signature",
            ))?;
            let blob = Base64::decode_vec(blob)
                .map_err(|_| Error::MalformedCheckpoint("a signature is not base64"))?;
            let Some((id, signature)) = blob.split_first_chunk::<4>() else {
                return Err(Error::MalformedCheckpoint(
                    "a signature is shorter than its key id",
                ));
            };
            if name != self.name || id != &self.key_id {
                continue;
            }
            let signature = suite
                .signature_from_der(signature)
                .map_err(|_| Error::BadSignature)?;
            self.key
                .verify(text.as_bytes(), &signature)
                .map_err(|_| Error::BadSignature)?;
            verified = true;
        }
        if !verified {
            return Err(Error::MissingSignature {
                key_name: self.name.clone(),
            });
        }
        Checkpoint::parse_text(text)
    }
}

/// The signed-note signature type bytes of a suite's key.
fn signature_type(suite: SuiteId) -> &'static [u8] {
    match suite {
        SuiteId::Intl => &[0x02],
        SuiteId::Gm => b"\xffnetid/sm2-sm3",
    }
}

fn key_id(name: &str, key: &VerifyingKey) -> Result<[u8; 4], Error> {
    let spki = key.to_spki_der()?;
    let digest = match key.suite() {
        SuiteId::Intl => Suite::intl().hash(&spki),
        SuiteId::Gm => {
            let mut hasher = Suite::intl().hasher();
            hasher.update(name.as_bytes());
            hasher.update(&[0x0a]);
            hasher.update(signature_type(SuiteId::Gm));
            hasher.update(&spki);
            hasher.finish()
        }
    };
    let bytes = digest.to_bytes();
    Ok([bytes[0], bytes[1], bytes[2], bytes[3]])
}
