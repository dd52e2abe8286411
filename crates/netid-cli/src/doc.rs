//! `netid doc validate`: one verdict per input line, streamed.

use std::io::{self, BufRead, BufWriter, Write};

use netid_core::{Date, DocumentNumber, DocumentType};

/// Reads document numbers one per line from `input` and writes `valid` or
/// `invalid: REASON` per line to `output`, in order. Memory stays constant whatever the
/// input's length: one line buffer, one buffered writer.
pub(crate) fn validate(
    document: DocumentType,
    today: Date,
    input: impl BufRead,
    output: impl Write,
) -> io::Result<u64> {
    let mut output = BufWriter::with_capacity(64 * 1024, output);
    let mut count = 0u64;
    for line in input.split(b'\n') {
        let line = line?;
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        match std::str::from_utf8(line) {
            Ok(text) => match DocumentNumber::parse(document, text, today) {
                Ok(_) => output.write_all(b"valid\n")?,
                Err(error) => writeln!(output, "invalid: {error}")?,
            },
            Err(_) => output.write_all(b"invalid: line is not utf-8 text\n")?,
        }
        count = count.saturating_add(1);
    }
    output.flush()?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_gets_a_verdict_in_order() {
        let today = Date::from_ymd(2025, 7, 15).unwrap();
        let input = b"11010519491231002X\n11010519491231003X\n\r\nabc\xff\n";
        let mut output = Vec::new();
        let count = validate(DocumentType::ResidentId, today, &input[..], &mut output).unwrap();
        assert_eq!(count, 4);
        assert_eq!(
            String::from_utf8(output).unwrap(),
            "valid\ninvalid: check character should be 8; check the number for a typo\n\
             invalid: document number is empty\ninvalid: line is not utf-8 text\n"
        );
    }
}
