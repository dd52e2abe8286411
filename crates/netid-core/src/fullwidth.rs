//! Folding of full-width digits and Latin letters to ASCII.
//!
//! Chinese input methods often type `１２３` or `ＡＢＣ` (U+FF10..U+FF5A) where ASCII is meant;
//! every parser folds them at the edge so that the stored form is plain ASCII.

/// Maps a full-width digit or Latin letter to its ASCII form; any other character is returned
/// unchanged.
pub(crate) fn fold(c: char) -> char {
    // The full-width block mirrors ASCII 0x21..0x7E at an offset of 0xFEE0.
    const OFFSET: u32 = 0xFEE0;
    let code = u32::from(c);
    match code {
        0xFF10..=0xFF19 | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A => {
            char::from_u32(code - OFFSET).unwrap_or(c)
        }
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_and_letters_fold_to_ascii() {
        let folded: String = "０９ＡＺａｚ".chars().map(fold).collect();
        assert_eq!(folded, "09AZaz");
    }

    #[test]
    fn other_characters_are_unchanged() {
        for c in ['测', '！', '·', 'a', '\u{3000}'] {
            assert_eq!(fold(c), c);
        }
    }
}
