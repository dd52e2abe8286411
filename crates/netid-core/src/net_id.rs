//! Net IDs: random identifiers of holders, short enough to read aloud, with a check character.

use std::fmt;
use std::str::FromStr;

use crate::error::NetIdError;
use crate::fullwidth;

/// A holder's Net ID (Measures Art. 2): 13 random Crockford base32 symbols and one ISO 7064
/// MOD 37-2 check character, such as `7J8N-W9X0-8HNX-48` when grouped.
///
/// **Randomness.** The 13 symbols carry 65 bits of the caller's random bytes (see
/// [`NetId::from_random`]); nothing is derived from personal data. Draws whose check
/// character would fall outside the alphabet are discarded, which leaves
/// log2(32^13 · 32/37) ≈ 64.8 bits of entropy, above design.md's 60.
///
/// **Alphabet.** Crockford base32 (`0-9`, `A-Z` without `I L O U`): case-insensitive, with no
/// letters that look like digits. Parsing also reads `I` and `L` as `1` and `O` as `0`, as
/// Crockford specifies, and ignores spaces and hyphens.
///
/// **Check character: why ISO 7064 MOD 37-2.** The check must catch every single-character
/// substitution and every swap of two adjacent characters, and Art. 2 wants letters and digits
/// only. Of the one-character ISO 7064 systems:
/// - MOD 11-2 works modulo 11, so symbols whose values differ by 11 (`1` and `C`) would
///   substitute undetected.
/// - The hybrid systems (MOD 37,36 and kin) miss some adjacent transpositions: for a state
///   `s` the step `s → 2s mod (M+1)` makes the inputs with `(s + a) mod M` equal to `M/2` and
///   `M/2 + 1` interchangeable.
/// - The pure system MOD 37-2 computes `sum(a_i · 2^(i-1)) ≡ 1 (mod 37)` over the characters'
///   ISO 7064 values (`0-9` = 0–9, `A-Z` = 10–35, position 1 being the check character). As
///   37 is prime and every value is below 37, a substitution changes the sum by
///   `(x - y) · 2^k ≢ 0` and an adjacent swap by `(x - y) · 2^k · (2 - 1) ≢ 0`: both are always
///   caught. The unit tests check this over every position and pair of symbols.
///
/// MOD 37-2's check character ranges over `0-9 A-Z *`; five of those 37 (`I L O U *`) are not
/// Crockford symbols, and a random draw that would need one is rejected, so every Net ID is a
/// valid Crockford string and also a valid MOD 37-2 string that any ISO 7064 implementation
/// verifies.
///
/// **Privacy.** A Net ID identifies a person: `Debug` prints `NetId(..)` and there is no
/// `Display`. [`NetId::expose`] and [`NetId::expose_grouped`] are the explicit ways to read
/// it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NetId([u8; NetId::LEN]);

impl NetId {
    /// Characters in a Net ID, without separators: 13 data symbols and the check character.
    pub const LEN: usize = 14;

    /// Random bytes that [`NetId::from_random`] takes; it uses the first 65 bits.
    pub const RANDOM_BYTES: usize = 9;

    /// Makes a Net ID from random bytes, or `None` for the 5 in 37 draws whose check
    /// character is not in the alphabet: draw again (or use [`NetId::generate`]).
    ///
    /// The bytes must come from a cryptographically secure generator; a Net ID must not be
    /// guessable from others.
    pub fn from_random(bytes: [u8; Self::RANDOM_BYTES]) -> Option<Self> {
        // 72 bits in; the top 65 are 13 symbols of 5 bits.
        let mut bits = bytes
            .iter()
            .fold(0u128, |bits, &byte| (bits << 8) | u128::from(byte))
            >> 7;
        let mut data = [0; DATA_LEN];
        for slot in data.iter_mut().rev() {
            *slot = *ALPHABET.get(usize::try_from(bits & 0x1F).ok()?)?;
            bits >>= 5;
        }
        let check = check_symbol(&data)?;
        let mut chars = [check; Self::LEN];
        for (slot, symbol) in chars.iter_mut().zip(data) {
            *slot = symbol;
        }
        Some(Self(chars))
    }

    /// Makes a Net ID from random bytes that `fill` writes, drawing again after unusable
    /// draws. Fails only if 64 draws in a row are unusable, which a working random source
    /// does with probability (5/37)^64 < 10^-55.
    pub fn generate(
        mut fill: impl FnMut(&mut [u8; Self::RANDOM_BYTES]),
    ) -> Result<Self, NetIdError> {
        const ATTEMPTS: u32 = 64;
        for _ in 0..ATTEMPTS {
            let mut bytes = [0; Self::RANDOM_BYTES];
            fill(&mut bytes);
            if let Some(net_id) = Self::from_random(bytes) {
                return Ok(net_id);
            }
        }
        Err(NetIdError::RandomSourceUnusable { attempts: ATTEMPTS })
    }

    /// The Net ID as 14 characters without separators, the form to store and compare.
    ///
    /// This identifies a person: hand it only to the holder, to the pseudonym derivation, or
    /// to a platform whose profile and the holder's separate consent allow it; never to logs.
    pub fn expose(&self) -> &str {
        // The bytes are Crockford symbols, all ASCII, so the fallback is never taken.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The Net ID in groups of four separated by hyphens (`7J8N-W9X0-8HNX-48`), the form to
    /// show to the holder. The same care as for [`NetId::expose`] applies.
    pub fn expose_grouped(&self) -> String {
        let mut grouped = String::with_capacity(Self::LEN + Self::LEN / 4);
        for (index, symbol) in self.expose().chars().enumerate() {
            if index > 0 && index % 4 == 0 {
                grouped.push('-');
            }
            grouped.push(symbol);
        }
        grouped
    }
}

impl FromStr for NetId {
    type Err = NetIdError;

    /// Accepts lower case, full-width forms, spaces and hyphens anywhere, and Crockford's
    /// aliases (`I`, `L` for `1`; `O` for `0`).
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let mut chars = [0; Self::LEN];
        let mut len = 0;
        for c in input.chars().map(fullwidth::fold) {
            if c.is_whitespace() || matches!(c, '-' | '\u{FF0D}') {
                continue;
            }
            len += 1;
            let symbol =
                canonical_symbol(c).ok_or(NetIdError::InvalidCharacter { position: len })?;
            if let Some(slot) = chars.get_mut(len - 1) {
                *slot = symbol;
            }
        }
        if len != Self::LEN {
            return Err(NetIdError::WrongLength {
                got: len,
                want: Self::LEN,
            });
        }
        let [data @ .., check] = chars;
        if check_symbol(&data) != Some(check) {
            return Err(NetIdError::CheckCharMismatch);
        }
        Ok(Self(chars))
    }
}

impl fmt::Debug for NetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NetId(..)")
    }
}

/// Random symbols before the check character.
const DATA_LEN: usize = NetId::LEN - 1;

/// Crockford's base32 symbols, in value order.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The canonical symbol for an input character, applying Crockford's case folding and aliases.
fn canonical_symbol(c: char) -> Option<u8> {
    let byte = match c.to_ascii_uppercase() {
        'I' | 'L' => b'1',
        'O' => b'0',
        other => u8::try_from(other).ok()?,
    };
    ALPHABET.contains(&byte).then_some(byte)
}

/// The MOD 37-2 check character of the data symbols, if it is a Crockford symbol.
fn check_symbol(data: &[u8; DATA_LEN]) -> Option<u8> {
    let symbol = mod_37_2_symbol(data);
    ALPHABET.contains(&symbol).then_some(symbol)
}

/// ISO 7064 MOD 37-2 by its recursive method (ISO/IEC 7064 §7.1): `p = (p + a) · 2 mod 37`
/// over the characters, then the check value is `(1 - p) mod 37`, written `0-9 A-Z *`.
fn mod_37_2_symbol(chars: &[u8]) -> u8 {
    let p = chars
        .iter()
        .fold(0, |p, &byte| (p + iso_7064_value(byte)) * 2 % 37);
    let check = (38 - p) % 37;
    char::from_digit(check, 36)
        .and_then(|c| u8::try_from(c.to_ascii_uppercase()).ok())
        .unwrap_or(b'*')
}

/// The value ISO 7064 gives an alphanumeric character: `0-9` → 0–9, `A-Z` → 10–35.
fn iso_7064_value(byte: u8) -> u32 {
    char::from(byte).to_digit(36).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn from_random(bytes: [u8; 9]) -> NetId {
        NetId::from_random(bytes).expect("usable draw")
    }

    #[test]
    fn mod_37_2_matches_published_examples() {
        // python-stdnum's stdnum/iso7064/mod_37_2.py doctests.
        assert_eq!(mod_37_2_symbol(b"G123489654321"), b'Y');
        assert_eq!(mod_37_2_symbol(b"A999915000001"), b'M');
    }

    #[test]
    fn recursive_method_equals_the_weighted_sum_definition() {
        for bytes in [[0; 9], [0xFF; 9], [0x5A; 9], *b"netid-001"] {
            let Some(net_id) = NetId::from_random(bytes) else {
                continue;
            };
            // Position i from the right (check = 1) has weight 2^(i-1) mod 37.
            let sum: u32 = net_id
                .0
                .iter()
                .rev()
                .zip(weights())
                .map(|(&b, w)| iso_7064_value(b) * w)
                .sum();
            assert_eq!(sum % 37, 1, "{}", net_id.expose());
        }
    }

    /// Weights 2^(i-1) mod 37 of positions 1 (check character) to 14.
    fn weights() -> impl Iterator<Item = u32> {
        std::iter::successors(Some(1u32), |w| Some(w * 2 % 37)).take(NetId::LEN)
    }

    #[test]
    fn every_single_substitution_and_adjacent_transposition_changes_the_sum() {
        // The codewords are the strings with sum(a_i · w_i) ≡ 1 (mod 37): an error goes
        // unnoticed exactly when it leaves the sum unchanged mod 37. Check every position and
        // every pair of distinct symbols.
        let values: Vec<i64> = ALPHABET
            .iter()
            .map(|&b| i64::from(iso_7064_value(b)))
            .collect();
        let weights: Vec<i64> = weights().map(i64::from).collect();
        for (position, &weight) in weights.iter().enumerate() {
            for &x in &values {
                for &y in values.iter().filter(|&&y| y != x) {
                    assert_ne!((x - y) * weight % 37, 0, "substitution at {position}");
                    if let Some(&next) = weights.get(position + 1) {
                        // Swapping x at `position` and y at `position + 1`.
                        let change = x * weight + y * next - (y * weight + x * next);
                        assert_ne!(change % 37, 0, "transposition at {position}");
                    }
                }
            }
        }
    }

    #[test]
    fn zero_bytes_give_the_all_zero_id() {
        let net_id = from_random([0; 9]);
        assert_eq!(net_id.expose(), "00000000000001");
        assert_eq!(net_id.expose_grouped(), "0000-0000-0000-01");
    }

    #[test]
    fn parsing_accepts_case_separators_and_crockford_aliases() {
        let net_id = from_random([0; 9]);
        for input in [
            "0000-0000-0000-01",
            "oooo oooo oooo oi",
            "0000000000000l",
            "００００-００００-００００-０１",
        ] {
            assert_eq!(input.parse::<NetId>(), Ok(net_id), "{input}");
        }
    }

    #[test]
    fn net_id_with_wrong_check_char_is_rejected() {
        assert_eq!(
            "0000-0000-0000-02".parse::<NetId>(),
            Err(NetIdError::CheckCharMismatch)
        );
    }

    #[test]
    fn net_id_of_wrong_length_or_alphabet_is_rejected() {
        assert_eq!(
            "0000-0000-0000-0".parse::<NetId>(),
            Err(NetIdError::WrongLength { got: 13, want: 14 })
        );
        assert_eq!(
            "0000-0000-0000-U1".parse::<NetId>(),
            Err(NetIdError::InvalidCharacter { position: 13 })
        );
        assert_eq!(
            "0000_0000".parse::<NetId>(),
            Err(NetIdError::InvalidCharacter { position: 5 })
        );
    }

    #[test]
    fn draws_needing_a_non_crockford_check_character_are_rejected() {
        let mut unusable = 0;
        for first in 0..=255 {
            if NetId::from_random([first, 1, 2, 3, 4, 5, 6, 7, 8]).is_none() {
                unusable += 1;
            }
        }
        // About 5 in 37 of 256 draws; 33 for these bytes (computed independently).
        assert_eq!(unusable, 33);
    }

    #[test]
    fn generate_draws_again_and_reports_a_stuck_source() {
        let mut draws = 0u8;
        let net_id = NetId::generate(|bytes| {
            draws += 1;
            *bytes = [draws; 9];
        })
        .unwrap();
        assert_eq!(NetId::from_random([draws; 9]), Some(net_id));
        let unusable = (0..=255u8)
            .map(|first| [first, 1, 2, 3, 4, 5, 6, 7, 8])
            .find(|bytes| NetId::from_random(*bytes).is_none())
            .unwrap();
        assert_eq!(
            NetId::generate(|bytes| *bytes = unusable),
            Err(NetIdError::RandomSourceUnusable { attempts: 64 })
        );
    }

    #[test]
    fn debug_does_not_print_the_id() {
        assert_eq!(format!("{:?}", from_random([7; 9])), "NetId(..)");
    }

    proptest! {
        #[test]
        fn net_id_round_trips_through_every_written_form(bytes in any::<[u8; 9]>()) {
            let Some(net_id) = NetId::from_random(bytes) else { return Ok(()) };
            prop_assert_eq!(net_id.expose().parse::<NetId>(), Ok(net_id));
            prop_assert_eq!(net_id.expose_grouped().parse::<NetId>(), Ok(net_id));
            prop_assert_eq!(net_id.expose_grouped().to_lowercase().replace('-', " ").parse::<NetId>(), Ok(net_id));
        }

        #[test]
        fn only_the_first_65_random_bits_are_used(bytes in any::<[u8; 9]>(), low in 0u8..0x80) {
            let mut other = bytes;
            other[8] = (bytes[8] & 0x80) | low;
            prop_assert_eq!(NetId::from_random(bytes), NetId::from_random(other));
        }

        #[test]
        fn any_single_substitution_is_rejected(
            bytes in any::<[u8; 9]>(),
            position in 0usize..NetId::LEN,
            replacement in proptest::sample::select(ALPHABET.to_vec()),
        ) {
            let Some(net_id) = NetId::from_random(bytes) else { return Ok(()) };
            let mut chars = net_id.0;
            prop_assume!(chars[position] != replacement);
            chars[position] = replacement;
            let input = String::from_utf8(chars.to_vec()).unwrap();
            prop_assert_eq!(input.parse::<NetId>(), Err(NetIdError::CheckCharMismatch));
        }

        #[test]
        fn any_adjacent_transposition_is_rejected(
            bytes in any::<[u8; 9]>(),
            position in 0usize..NetId::LEN - 1,
        ) {
            let Some(net_id) = NetId::from_random(bytes) else { return Ok(()) };
            let mut chars = net_id.0;
            prop_assume!(chars[position] != chars[position + 1]);
            chars.swap(position, position + 1);
            let input = String::from_utf8(chars.to_vec()).unwrap();
            prop_assert_eq!(input.parse::<NetId>(), Err(NetIdError::CheckCharMismatch));
        }
    }
}
