//! Bearer credentials of operators and platforms: 256 random bits, shown once, stored only as
//! a hash, compared in constant time.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::Error;

/// A fresh credential `PREFIX-<64 hex digits>`.
pub(crate) fn generate(prefix: &str) -> Result<Zeroizing<String>, Error> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut_slice()).map_err(|_| netid_crypto::Error::Random)?;
    Ok(Zeroizing::new(format!(
        "{prefix}-{}",
        hex::encode(bytes.as_slice())
    )))
}

/// The stored form of a credential: its SM3 digest. A slow password hash is not needed: the
/// credential has 256 random bits.
pub(crate) fn hash(credential: &str) -> Vec<u8> {
    netid_crypto::Suite::gm()
        .hash(credential.as_bytes())
        .as_ref()
        .to_vec()
}

/// Whether `credential` hashes to `stored`, in constant time.
pub(crate) fn matches(credential: &str, stored: &[u8]) -> bool {
    hash(credential).ct_eq(stored).into()
}

/// The shortest provisioned credential accepted: stored hashes are fast hashes, so the
/// credential itself must carry the strength (32 characters of a random secret).
const MIN_PROVISIONED_LEN: usize = 32;

/// Reads a provisioned operator credential: the file must be readable by its owner only and
/// hold one line of 32 to 256 printable characters without spaces.
pub(crate) fn read_provisioned(path: &std::path::Path) -> Result<Zeroizing<String>, Error> {
    use std::os::unix::fs::PermissionsExt;
    let unusable = |reason| Error::OperatorCredentialFile {
        path: path.to_owned(),
        reason,
    };
    let metadata = std::fs::metadata(path).map_err(|_| unusable("it cannot be read"))?;
    if metadata.permissions().mode() & 0o077 != 0 {
        return Err(unusable(
            "it is readable by other users; run chmod 600 on it",
        ));
    }
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|_| unusable("it cannot be read as text"))?,
    );
    let credential = text.trim();
    if credential.len() < MIN_PROVISIONED_LEN
        || credential.len() > 256
        || !credential.bytes().all(|byte| byte.is_ascii_graphic())
    {
        return Err(unusable(
            "expected one line of 32 to 256 printable characters without spaces",
        ));
    }
    Ok(Zeroizing::new(credential.to_owned()))
}

/// A random identifier `PREFIX-<32 hex digits>` (client ids, sectors).
pub(crate) fn random_id(prefix: &str) -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| netid_crypto::Error::Random)?;
    Ok(format!("{prefix}-{}", hex::encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_match_only_their_own_hash() {
        let credential = generate("netid-op").unwrap();
        assert!(credential.starts_with("netid-op-"));
        assert_eq!(credential.len(), "netid-op-".len() + 64);
        let stored = hash(&credential);
        assert!(matches(&credential, &stored));
        assert!(!matches("netid-op-00", &stored));
    }
}
