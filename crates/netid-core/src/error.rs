//! Errors of netid-core.
//!
//! Each parser returns the error of its own family ([`DocumentError`], [`NetIdError`],
//! [`NameError`], [`DateError`]); [`Error`] gathers them for callers that handle all of core's
//! errors in one place. No message carries the value that was being parsed: document numbers,
//! Net IDs, names and birth dates are personal data, so messages name the field instead.

use std::fmt;

use crate::documents::DocumentType;

/// Any error of netid-core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A document type, document number or document record was rejected.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// A Net ID was rejected, or no Net ID could be made from the random bytes given.
    #[error(transparent)]
    NetId(#[from] NetIdError),
    /// A person name was rejected.
    #[error(transparent)]
    Name(#[from] NameError),
    /// A calendar date was rejected.
    #[error(transparent)]
    Date(#[from] DateError),
}

/// Why a document type, document number or document record was rejected.
///
/// The caller knows which document type it parsed for, so variants name only the rule broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The document type name is not one of the eight statutory types' names.
    #[error("unknown document type; expected one of {}", DocumentType::NAMES)]
    UnknownType,
    /// Nothing but white space was entered.
    #[error("document number is empty")]
    Empty,
    /// A character is neither a letter nor a digit (full-width forms count as both).
    #[error("document number has a character that is not a letter or digit at position {position}")]
    NotLetterOrDigit {
        /// 1-based position among the characters that are not white space.
        position: usize,
    },
    /// The number has a length that no format of the document type has.
    #[error("document number should be {want} characters long, not {got}")]
    WrongLength {
        /// How many letters and digits were entered.
        got: usize,
        /// The lengths of the document type's formats.
        want: Lengths,
    },
    /// A position holds a letter where a digit belongs, or the other way round.
    #[error("document number should have {expected} at position {position}")]
    UnexpectedCharacter {
        /// 1-based position in the number.
        position: usize,
        /// What belongs there.
        expected: CharClass,
    },
    /// The number does not start with what numbers of its document type start with.
    #[error("document number should start with {expected}")]
    WrongPrefix {
        /// The allowed prefixes, in words.
        expected: &'static str,
    },
    /// The first two digits of the address code are no province-level code of GB/T 2260.
    #[error("address code does not start with a known province-level code")]
    UnknownProvince,
    /// The address code is a real one but belongs to another document type (for example a
    /// residence permit's 810000 entered as a resident ID).
    #[error("address code belongs to another document type; check the document type")]
    AddressCodeDoesNotMatchType,
    /// The encoded birth date is not a date of the calendar (for example 30 February).
    #[error("birth date in the number does not exist")]
    InvalidBirthDate,
    /// The encoded birth date is later than the `today` the caller passed.
    #[error("birth date in the number is after today")]
    BirthDateInFuture,
    /// The check character does not match the rest of the number: a character was mistyped.
    #[error("check character should be {expected}; check the number for a typo")]
    CheckCharMismatch {
        /// The check character that the rest of the number gives.
        expected: char,
    },
    /// A nationality is not three Latin letters.
    #[error("nationality should be a three-letter code of ISO 3166-1 alpha-3")]
    InvalidNationality,
    /// A record's birth date differs from the one encoded in its document number.
    #[error("birth date does not match the one in the document number")]
    BirthDateDoesNotMatchNumber,
    /// A record's sex differs from the one encoded in its document number.
    #[error("sex does not match the one in the document number")]
    SexDoesNotMatchNumber,
    /// A record's nationality differs from the one encoded in its document number.
    #[error("nationality does not match the one in the document number")]
    NationalityDoesNotMatchNumber,
    /// A document issued only to Chinese citizens has a nationality other than CHN.
    #[error("nationality should be CHN for this document type")]
    NationalityShouldBeChinese,
    /// A foreign permanent resident ID card has the nationality CHN.
    #[error("nationality cannot be CHN for a foreign permanent resident id card")]
    NationalityCannotBeChinese,
}

/// Why a Net ID was rejected or could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetIdError {
    /// The Net ID has too few or too many letters and digits (spaces and hyphens not counted).
    #[error("net id should have {want} letters and digits, not {got}; re-enter the id")]
    WrongLength {
        /// How many letters and digits were entered.
        got: usize,
        /// How many a Net ID has.
        want: usize,
    },
    /// A character is not in the Net ID alphabet (Crockford base32: no U, no punctuation).
    #[error(
        "net id has a character at position {position} that net ids do not use; re-enter the id"
    )]
    InvalidCharacter {
        /// 1-based position among the letters and digits entered.
        position: usize,
    },
    /// The check character does not match: a character was mistyped or two were swapped.
    #[error("net id check character does not match; re-enter the id")]
    CheckCharMismatch,
    /// The random source gave only draws whose check character is not a letter or digit of
    /// the Net ID alphabet; a working random source does this with negligible probability.
    #[error(
        "random source gave {attempts} unusable draws in a row; check the random number generator"
    )]
    RandomSourceUnusable {
        /// How many draws were tried.
        attempts: u32,
    },
}

/// Why a person name was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// Nothing but white space was entered.
    #[error("name is empty")]
    Empty,
    /// The name contains a control character (including tab and line breaks).
    #[error("name has a control character at position {position}")]
    ControlCharacter {
        /// 1-based position in the NFC-normalised name.
        position: usize,
    },
    /// The name has no letter at all (only digits, dots or symbols).
    #[error("name has no letter")]
    NoLetter,
    /// The name is longer than any name netid stores.
    #[error("name should be at most {max} characters long, not {got}")]
    TooLong {
        /// Characters after normalisation.
        got: usize,
        /// The limit.
        max: usize,
    },
}

/// Why a calendar date was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// The text is not of the form `YYYY-MM-DD`.
    #[error("date should be written as YYYY-MM-DD")]
    Format,
    /// Year, month and day do not form a date of the calendar (years 1 to 9999).
    #[error("date does not exist in the calendar")]
    NotInCalendar,
}

/// The lengths that a document type's number formats have, for [`DocumentError::WrongLength`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lengths(pub(crate) &'static [usize]);

impl Lengths {
    /// The allowed lengths, shortest first.
    pub fn as_slice(&self) -> &'static [usize] {
        self.0
    }
}

impl fmt::Display for Lengths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        for (index, length) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(if index + 1 == count { " or " } else { ", " })?;
            }
            write!(f, "{length}")?;
        }
        Ok(())
    }
}

/// What kind of character belongs at a position, for [`DocumentError::UnexpectedCharacter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CharClass {
    /// `0` to `9`.
    Digit,
    /// `A` to `Z`.
    Letter,
    /// A Latin letter other than `I` and `O`, which are left out because they look like digits.
    LetterOtherThanIo,
    /// A digit or a letter other than `I` and `O`.
    DigitOrLetterOtherThanIo,
    /// A digit or `X` (the check character 10 of ISO 7064 MOD 11-2).
    DigitOrX,
}

impl fmt::Display for CharClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Digit => "a digit",
            Self::Letter => "a letter",
            Self::LetterOtherThanIo => "a letter other than I or O",
            Self::DigitOrLetterOtherThanIo => "a digit or a letter other than I or O",
            Self::DigitOrX => "a digit or X",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_listed_in_words() {
        assert_eq!(Lengths(&[18]).to_string(), "18");
        assert_eq!(Lengths(&[9, 11]).to_string(), "9 or 11");
        assert_eq!(Lengths(&[8, 9, 11]).to_string(), "8, 9 or 11");
    }

    #[test]
    fn check_char_mismatch_message_names_the_expected_character_only() {
        let error = DocumentError::CheckCharMismatch { expected: '7' };
        assert_eq!(
            error.to_string(),
            "check character should be 7; check the number for a typo"
        );
    }

    #[test]
    fn net_id_check_message_tells_the_user_what_to_do() {
        assert_eq!(
            Error::from(NetIdError::CheckCharMismatch).to_string(),
            "net id check character does not match; re-enter the id"
        );
    }
}
