//! Bearer credentials of platforms: 256 random bits, shown once, stored only as
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
