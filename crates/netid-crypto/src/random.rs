//! The OS CSPRNG, the only source of randomness in this crate.

use base64ct::Encoding as _;

use crate::Error;

/// Fills `out` from the operating system's CSPRNG.
pub(crate) fn fill(out: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(out).map_err(|_| Error::Random)
}

/// 128 bits from the OS CSPRNG as 22 base64url characters: a one-time id that cannot be
/// guessed, such as the request id of a wallet-signed request.
pub fn token() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    fill(&mut bytes)?;
    Ok(base64ct::Base64UrlUnpadded::encode_string(&bytes))
}
