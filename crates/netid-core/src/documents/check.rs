//! Check characters of document numbers: ISO 7064 MOD 11-2 (GB 11643-1999) and the
//! ICAO Doc 9303 7-3-1 check digit.

/// The ISO 7064 MOD 11-2 check character of 17 ASCII digits, as GB 11643-1999 clause 8 defines
/// it: with weights `W_i = 2^(i-1) mod 11` counted from the right (the check character being
/// position 1), the check value `a_1` makes `sum(a_i * W_i) ≡ 1 (mod 11)`; 10 is written `X`.
pub(super) fn mod_11_2(body: &[u8; 17]) -> u8 {
    // W_18 .. W_2, i.e. 2^17 .. 2^1 mod 11.
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(&byte, weight)| alphanumeric_value(byte) * weight)
        .sum();
    // a_1 = (1 - sum) mod 11, kept non-negative by adding 12 (≡ 1) before the subtraction.
    let check = (12 - sum % 11) % 11;
    ascii_symbol(check, 11)
}

/// The ICAO Doc 9303 part 3 §4.9 check digit: weights 7, 3, 1 repeating, letters valued
/// A = 10 to Z = 35, sum modulo 10.
pub(super) fn icao_9303(chars: &[u8]) -> u8 {
    let sum: u32 = chars
        .iter()
        .zip([7, 3, 1].into_iter().cycle())
        .map(|(&byte, weight)| alphanumeric_value(byte) * weight)
        .sum();
    ascii_symbol(sum % 10, 10)
}

/// The value of an ASCII digit or upper-case letter (0 to 35); callers pass only those.
fn alphanumeric_value(byte: u8) -> u32 {
    char::from(byte).to_digit(36).unwrap_or(0)
}

/// `0`..`9` for values below 10, `X` for 10 (only reachable with `radix` 11).
fn ascii_symbol(value: u32, radix: u32) -> u8 {
    match char::from_digit(value, radix) {
        Some('a') => b'X',
        Some(digit) => u8::try_from(digit).unwrap_or(b'?'),
        None => b'?',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> [u8; 17] {
        text.as_bytes().try_into().unwrap()
    }

    #[test]
    fn mod_11_2_matches_the_weighted_sum_definition() {
        // Brute-force the definition: the check value a_1 with sum(a_i * 2^(i-1)) ≡ 1 mod 11.
        for text in [
            "11010519491231002",
            "44030819990110151",
            "81000019940823002",
        ] {
            let digits: Vec<u32> = text.bytes().map(|b| u32::from(b - b'0')).collect();
            let weighted: u32 = digits
                .iter()
                .rev()
                .enumerate()
                .map(|(i, d)| d * (2u32.pow(u32::try_from(i).unwrap() + 1) % 11))
                .sum();
            let expected = (0..11).find(|a1| (weighted + a1) % 11 == 1).unwrap();
            let symbol = if expected == 10 {
                b'X'
            } else {
                b'0' + u8::try_from(expected).unwrap()
            };
            assert_eq!(mod_11_2(&body(text)), symbol, "{text}");
        }
    }

    #[test]
    fn mod_11_2_gives_x_for_ten() {
        // GB 11643-1999's own example number ends in X: 11010519491231002X.
        assert_eq!(mod_11_2(&body("11010519491231002")), b'X');
    }

    #[test]
    fn icao_9303_matches_the_doc_9303_example() {
        // Doc 9303 part 3 §4.9 worked example: date 520727 has check digit 3; the part 4
        // specimen passport number L898902C3 has check digit 6.
        assert_eq!(icao_9303(b"520727"), b'3');
        assert_eq!(icao_9303(b"L898902C3"), b'6');
    }
}
