//! The OS CSPRNG, the only source of randomness in this crate.

use crate::Error;

/// Fills `out` from the operating system's CSPRNG.
pub(crate) fn fill(out: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(out).map_err(|_| Error::Random)
}
