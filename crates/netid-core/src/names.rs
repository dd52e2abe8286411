//! Person names, normalised so that the same name typed on different devices compares equal.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use crate::error::NameError;
use crate::fullwidth;

/// A person's name as on an identity document, normalised.
///
/// Normalisation, in order: Unicode NFC; full-width digits and Latin letters folded to ASCII;
/// the middle dot of transliterated names (阿依古丽·买买提) unified to U+00B7 from the look-alikes
/// that input methods produce, with any spaces around it removed; runs of white space
/// (including the ideographic space U+3000) collapsed to one ASCII space; leading and trailing
/// white space trimmed. Letter case is kept as entered.
///
/// `Debug` does not print the name (personal data); read it with [`PersonName::expose`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

/// The middle dot that transliterated names use.
pub const MIDDLE_DOT: char = '\u{00B7}';

/// Characters typed in place of [`MIDDLE_DOT`]: katakana middle dot, bullet, half-width
/// katakana middle dot, hyphenation point, bullet operator and dot operator. (Greek ano
/// teleia, U+0387, becomes U+00B7 under NFC already.)
const MIDDLE_DOT_LOOKALIKES: [char; 6] = [
    '\u{30FB}', '\u{2022}', '\u{FF65}', '\u{2027}', '\u{2219}', '\u{22C5}',
];

/// The longest name accepted, in characters: well above the longest names on Chinese
/// documents, and a bound on what one request can make the service store.
pub const MAX_NAME_CHARS: usize = 128;

impl PersonName {
    /// Normalises `input` and checks that it is a plausible name: not empty, no control
    /// characters, at least one letter, at most [`MAX_NAME_CHARS`] characters.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let mut name = String::with_capacity(input.len());
        let mut space_pending = false;
        for (index, c) in input.nfc().enumerate() {
            if c.is_control() {
                return Err(NameError::ControlCharacter {
                    position: index + 1,
                });
            }
            if c.is_whitespace() {
                space_pending = true;
                continue;
            }
            let c = match fullwidth::fold(c) {
                dot if MIDDLE_DOT_LOOKALIKES.contains(&dot) => MIDDLE_DOT,
                other => other,
            };
            // A space is kept only between two parts of the name, never beside a middle dot.
            if space_pending && c != MIDDLE_DOT && !name.is_empty() && !name.ends_with(MIDDLE_DOT) {
                name.push(' ');
            }
            space_pending = false;
            name.push(c);
        }
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        if !name.chars().any(char::is_alphabetic) {
            return Err(NameError::NoLetter);
        }
        let got = name.chars().count();
        if got > MAX_NAME_CHARS {
            return Err(NameError::TooLong {
                got,
                max: MAX_NAME_CHARS,
            });
        }
        Ok(Self(name))
    }

    /// The normalised name.
    ///
    /// This is personal data: pass it only to code that must see it (the authority check, the
    /// encrypted store, a disclosure the holder consented to), never to logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonName(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(input: &str) -> String {
        PersonName::parse(input).unwrap().expose().to_owned()
    }

    #[test]
    fn chinese_and_latin_names_are_kept() {
        assert_eq!(name("测试甲"), "测试甲");
        assert_eq!(name("TEST SAMPLE"), "TEST SAMPLE");
    }

    #[test]
    fn white_space_is_trimmed_and_collapsed() {
        assert_eq!(name("  TEST \u{3000}\u{3000} SAMPLE  "), "TEST SAMPLE");
        assert_eq!(name("\u{3000}测试乙\u{3000}"), "测试乙");
    }

    #[test]
    fn full_width_letters_and_digits_fold_to_ascii() {
        assert_eq!(name("ＴＥＳＴ ｓａｍｐｌｅ ２"), "TEST sample 2");
    }

    #[test]
    fn middle_dot_lookalikes_become_u00b7() {
        for dot in MIDDLE_DOT_LOOKALIKES
            .into_iter()
            .chain(['\u{00B7}', '\u{0387}'])
        {
            assert_eq!(
                name(&format!("测试{dot}样例")),
                "测试\u{00B7}样例",
                "U+{:04X}",
                u32::from(dot)
            );
        }
        assert_eq!(name("测试 · 样例"), "测试·样例");
        assert_eq!(name("TEST ・ SAMPLE"), "TEST·SAMPLE");
    }

    #[test]
    fn decomposed_letters_are_composed() {
        // "e" + combining acute accent becomes the single code point U+00E9.
        assert_eq!(name("Ren\u{0065}\u{0301} TEST"), "Ren\u{00E9} TEST");
    }

    #[test]
    fn empty_control_letterless_and_overlong_names_are_rejected() {
        assert_eq!(PersonName::parse(" \u{3000} "), Err(NameError::Empty));
        assert_eq!(
            PersonName::parse("测试\n甲"),
            Err(NameError::ControlCharacter { position: 3 })
        );
        assert_eq!(
            PersonName::parse("TEST\tSAMPLE"),
            Err(NameError::ControlCharacter { position: 5 })
        );
        assert_eq!(PersonName::parse("· 123"), Err(NameError::NoLetter));
        let long = "测".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(
            PersonName::parse(&long),
            Err(NameError::TooLong {
                got: MAX_NAME_CHARS + 1,
                max: MAX_NAME_CHARS
            })
        );
    }

    #[test]
    fn debug_does_not_print_the_name() {
        let name = PersonName::parse("测试甲").unwrap();
        assert_eq!(format!("{name:?}"), "PersonName(..)");
    }
}
