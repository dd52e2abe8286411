//! A secret split into shares, any `threshold` of which recover it and fewer of which say
//! nothing about it (Shamir's scheme over GF(256), byte by byte, from the audited `vsss-rs`):
//! for a key that no single file or person holds.

use zeroize::Zeroizing;

use crate::Error;

/// One share of a split secret: its number (1 to 255) and its bytes, as long as the secret.
/// Zeroized on drop; `Debug` shows only its number.
#[derive(Clone, PartialEq, Eq)]
pub struct Share(Zeroizing<Vec<u8>>);

impl core::fmt::Debug for Share {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Share")
            .field("number", &self.number())
            .finish_non_exhaustive()
    }
}

impl Share {
    /// The share from its encoding ([`Share::expose_bytes`]): its number, then its bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        match bytes.split_first() {
            Some((&number, rest)) if number != 0 && !rest.is_empty() => {
                Ok(Self(Zeroizing::new(bytes.to_vec())))
            }
            _ => Err(Error::Shares {
                reason: "a share is its number (1 to 255) and at least one byte",
            }),
        }
    }

    /// Its number: shares of one split have different numbers.
    pub fn number(&self) -> u8 {
        self.0.first().copied().unwrap_or(0)
    }

    /// Its encoding: the number, then the bytes. As secret as the secret, below the threshold
    /// together with others.
    pub fn expose_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Splits `secret` into `count` shares, any `threshold` of which recover it. The threshold is
/// at least 2 (one share alone never does) and at most `count`.
pub fn split(secret: &[u8], threshold: u8, count: u8) -> Result<Vec<Share>, Error> {
    if threshold < 2 || count < threshold || secret.is_empty() {
        return Err(Error::Shares {
            reason: "expected a secret, a threshold of at least 2 and at least as many shares",
        });
    }
    let rng =
        sm2::elliptic_curve::rand_core::UnwrapErr(sm2::elliptic_curve::common::getrandom::SysRng);
    let shares =
        vsss_rs::Gf256::split_bytes(usize::from(threshold), usize::from(count), secret, rng)
            .map_err(|_| Error::Shares {
                reason: "the secret could not be split",
            })?;
    Ok(shares
        .into_iter()
        .map(|share| Share(Zeroizing::new(share)))
        .collect())
}

/// The secret `shares` recover: right if they are at least the threshold of one split,
/// something else if they are fewer (which the caller must detect, for example with a value
/// sealed under the secret). Refuses shares of different lengths or repeated numbers.
pub fn combine(shares: &[Share]) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut numbers: Vec<u8> = shares.iter().map(Share::number).collect();
    numbers.sort_unstable();
    numbers.dedup();
    let length = shares.first().map(|share| share.0.len());
    if shares.len() < 2
        || numbers.len() != shares.len()
        || shares.iter().any(|share| Some(share.0.len()) != length)
    {
        return Err(Error::Shares {
            reason: "expected at least two shares of one split, each once",
        });
    }
    let encoded: Vec<Vec<u8>> = shares.iter().map(|share| share.0.to_vec()).collect();
    let secret = vsss_rs::Gf256::combine_bytes(&encoded);
    // The copies handed to the library are secret too.
    for mut copy in encoded {
        zeroize::Zeroize::zeroize(&mut copy);
    }
    secret.map(Zeroizing::new).map_err(|_| Error::Shares {
        reason: "the shares could not be combined",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Vec<u8> {
        let mut bytes = vec![0u8; 16];
        crate::random::fill(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn any_threshold_of_the_shares_recovers_the_secret_and_fewer_do_not() {
        let secret = secret();
        let shares = split(&secret, 3, 5).unwrap();
        assert_eq!(shares.len(), 5);
        let numbers: Vec<u8> = shares.iter().map(Share::number).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5]);
        for a in 0..5 {
            for b in a + 1..5 {
                let two = [shares[a].clone(), shares[b].clone()];
                assert_ne!(combine(&two).unwrap().as_slice(), secret.as_slice());
                for c in b + 1..5 {
                    let three = [shares[a].clone(), shares[b].clone(), shares[c].clone()];
                    assert_eq!(combine(&three).unwrap().as_slice(), secret.as_slice());
                }
            }
        }
        // All of them too, in any order.
        let mut all = shares.clone();
        all.reverse();
        assert_eq!(combine(&all).unwrap().as_slice(), secret.as_slice());
    }

    #[test]
    fn shares_survive_their_encoding_and_bad_ones_are_refused() {
        let secret = secret();
        let shares = split(&secret, 2, 3).unwrap();
        let decoded: Vec<Share> = shares
            .iter()
            .map(|share| Share::from_bytes(share.expose_bytes()).unwrap())
            .collect();
        assert_eq!(decoded, shares);
        assert_eq!(decoded[0].expose_bytes().len(), secret.len() + 1);
        assert!(!format!("{:?}", decoded[0]).contains(&format!("{:?}", &secret[..4])));
        assert!(Share::from_bytes(&[]).is_err());
        assert!(Share::from_bytes(&[0, 1, 2]).is_err());
        assert!(Share::from_bytes(&[1]).is_err());
        // The same share twice, one share, shares of different lengths.
        assert!(combine(&[shares[0].clone(), shares[0].clone()]).is_err());
        assert!(combine(&shares[..1]).is_err());
        let short = Share::from_bytes(&shares[1].expose_bytes()[..8]).unwrap();
        assert!(combine(&[shares[0].clone(), short]).is_err());
    }

    #[test]
    fn thresholds_below_two_or_above_the_count_are_refused() {
        let secret = secret();
        assert!(split(&secret, 1, 3).is_err());
        assert!(split(&secret, 4, 3).is_err());
        assert!(split(&[], 2, 3).is_err());
        assert_eq!(split(&secret, 255, 255).unwrap().len(), 255);
    }
}
