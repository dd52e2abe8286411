#![no_main]
//! The text a holder types: statutory document numbers, Net IDs, names and dates. A value that
//! parses must parse again, unchanged, from its own normal form.

use libfuzzer_sys::fuzz_target;
use netid_core::{Date, DocumentNumber, DocumentType, NetId, PersonName};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let document = DocumentType::ALL[usize::from(selector) % DocumentType::ALL.len()];
    let today = Date::from_ymd(2026, 12, 3).expect("a real date");
    if let Ok(number) = DocumentNumber::parse(document, text, today) {
        let again =
            DocumentNumber::parse(document, number.expose(), today).expect("normal form parses");
        assert_eq!(again.expose(), number.expose());
        let _ = (number.encoded_birth_date(), number.encoded_sex());
    }
    if let Ok(net_id) = text.parse::<NetId>() {
        let grouped: NetId = net_id
            .expose_grouped()
            .parse()
            .expect("grouped form parses");
        assert_eq!(grouped.expose(), net_id.expose());
    }
    let _ = PersonName::parse(text);
    let _ = text.parse::<Date>();
});
