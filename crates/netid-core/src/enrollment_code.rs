//! The one-time enrollment code a document authority gives an applicant: what makes one
//! strong enough, and how many wrong guesses lock it.
//!
//! A code is the only secret in an enrollment (a document number and a name are not secrets),
//! so every roster record must have one, and it must stand up to guessing: a code is strong
//! when it has at least [`MIN_LENGTH`] characters, at least [`MIN_BITS`] bits counted by the
//! character classes it uses (`length × log2(classes' size)`: digits 10, lower-case 26,
//! upper-case 26, other ASCII 33, anything else 1,000), and no one character makes up more
//! than a third of it. After [`MAX_FAILURES`] wrong guesses at a record, its code is locked
//! until the authority issues a new one, so at most that many guesses are ever tried.

/// The fewest characters a code may have.
pub const MIN_LENGTH: usize = 10;
/// The fewest bits a code may have, counted by its character classes.
pub const MIN_BITS: f64 = 50.0;
/// The most characters a code may have.
pub const MAX_LENGTH: usize = 128;
/// Wrong guesses after which a record's code is locked.
pub const MAX_FAILURES: u32 = 5;

/// Why a code is not strong enough. The message names the rule, never the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WeakCode {
    /// Shorter than [`MIN_LENGTH`] or longer than [`MAX_LENGTH`] characters.
    #[error(
        "an enrollment code has 10 to 128 characters; the document authority issues a longer one"
    )]
    Length,
    /// A control character, which no one can type.
    #[error("an enrollment code has no control characters")]
    ControlCharacter,
    /// Fewer than [`MIN_BITS`] bits by its character classes.
    #[error(
        "an enrollment code needs at least 50 bits: 16 digits, or 10 letters and digits of both cases"
    )]
    TooFewBits,
    /// One character makes up more than a third of it.
    #[error("an enrollment code may not repeat one character in more than a third of it")]
    Repetitive,
}

/// Whether `code` is strong enough to be issued (see the module docs).
///
/// ```
/// use netid_core::enrollment_code::{WeakCode, check_strength};
///
/// assert_eq!(check_strength("123"), Err(WeakCode::Length));
/// assert_eq!(check_strength("1234567890"), Err(WeakCode::TooFewBits));
/// assert_eq!(check_strength("K7Q2-M9XW-4TPA"), Ok(()));
/// ```
pub fn check_strength(code: &str) -> Result<(), WeakCode> {
    let length = code.chars().count();
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        return Err(WeakCode::Length);
    }
    if code.chars().any(char::is_control) {
        return Err(WeakCode::ControlCharacter);
    }
    let (mut digits, mut lower, mut upper, mut other_ascii, mut wide) =
        (false, false, false, false, false);
    for character in code.chars() {
        match character {
            '0'..='9' => digits = true,
            'a'..='z' => lower = true,
            'A'..='Z' => upper = true,
            c if c.is_ascii() => other_ascii = true,
            _ => wide = true,
        }
    }
    let alphabet: u32 = [
        (digits, 10),
        (lower, 26),
        (upper, 26),
        (other_ascii, 33),
        (wide, 1000),
    ]
    .iter()
    .filter(|(present, _)| *present)
    .map(|(_, size)| size)
    .sum();
    // `length` is at most MAX_LENGTH, so the conversion is exact.
    let bits = f64::from(u32::try_from(length).unwrap_or(u32::MAX)) * f64::from(alphabet).log2();
    if bits < MIN_BITS {
        return Err(WeakCode::TooFewBits);
    }
    let most_repeated = code
        .chars()
        .map(|character| code.chars().filter(|other| *other == character).count())
        .max()
        .unwrap_or(0);
    if most_repeated * 3 > length {
        return Err(WeakCode::Repetitive);
    }
    Ok(())
}

/// Whether a record whose code has had `failures` wrong guesses is locked.
pub fn is_locked(failures: u32) -> bool {
    failures >= MAX_FAILURES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_long_and_control_codes_are_refused() {
        assert_eq!(check_strength(""), Err(WeakCode::Length));
        assert_eq!(check_strength("Ab3-Xy9"), Err(WeakCode::Length));
        assert_eq!(check_strength(&"Ab3".repeat(43)), Err(WeakCode::Length));
        assert_eq!(
            check_strength("Ab3\u{7}Xy9-Qw2Z"),
            Err(WeakCode::ControlCharacter)
        );
    }

    #[test]
    fn codes_are_counted_by_their_character_classes() {
        // 15 digits: 49.8 bits; 16: 53.2.
        assert_eq!(check_strength("903517284609153"), Err(WeakCode::TooFewBits));
        assert_eq!(check_strength("9035172846091538"), Ok(()));
        // 10 lower-case letters: 47 bits; with digits: 51.7.
        assert_eq!(check_strength("qwhzkpmrxt"), Err(WeakCode::TooFewBits));
        assert_eq!(check_strength("qwh4kp7rx2"), Ok(()));
        assert_eq!(check_strength("K7Q2-M9XW-4TPA"), Ok(()));
        // Chinese characters are a large alphabet.
        assert_eq!(check_strength("测试码甲乙丙丁戊己庚"), Ok(()));
    }

    #[test]
    fn a_code_repeating_one_character_is_refused() {
        assert_eq!(
            check_strength("aaaaaaaaaaaaaaaa"),
            Err(WeakCode::Repetitive)
        );
        assert_eq!(
            check_strength("aaaaaaaaQ7-x2Lm4"),
            Err(WeakCode::Repetitive)
        );
        assert_eq!(check_strength("aaaaaQ7-x2Lm4Zp"), Ok(()));
    }

    #[test]
    fn a_code_locks_at_the_fifth_wrong_guess() {
        assert!(!is_locked(0));
        assert!(!is_locked(MAX_FAILURES - 1));
        assert!(is_locked(MAX_FAILURES));
    }
}
