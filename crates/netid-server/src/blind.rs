//! Blind indexes: keyed MACs under the service's blind-index key, used as lookup keys so that
//! the database never holds a person reference, document number, code or nonce in clear.
//! Each index names its kind and separates fields with a byte that no field contains.

use netid_core::DocumentNumber;
use netid_crypto::{MacKey, Suite};
use netid_store::BlindIndex;

/// Index of a document: its type and canonical number.
pub(crate) fn document(key: &MacKey, number: &DocumentNumber) -> BlindIndex {
    index(
        key,
        &[
            b"document",
            number.document_type().name().as_bytes(),
            number.expose().as_bytes(),
        ],
    )
}

/// Index of a person: the authority's name and its reference for the person.
pub(crate) fn person(key: &MacKey, authority: &str, person_ref: &str) -> BlindIndex {
    index(
        key,
        &[b"person", authority.as_bytes(), person_ref.as_bytes()],
    )
}

/// Index of an enrollment code of an authority.
pub(crate) fn enrollment_code(key: &MacKey, authority: &str, code: &str) -> BlindIndex {
    index(key, &[b"code", authority.as_bytes(), code.as_bytes()])
}

/// Index of a Net ID: keeps Net IDs unique without storing them in clear.
pub(crate) fn net_id(key: &MacKey, net_id: &str) -> BlindIndex {
    index(key, &[b"net-id", net_id.as_bytes()])
}

/// Index of a presentation nonce of a platform.
pub(crate) fn nonce(key: &MacKey, client_id: &str, nonce: &str) -> BlindIndex {
    index(key, &[b"nonce", client_id.as_bytes(), nonce.as_bytes()])
}

/// Index of a wallet-signed request: the wallet key's fingerprint and the request id.
pub(crate) fn wallet_request(
    key: &MacKey,
    wallet_fingerprint: &[u8],
    request_id: &str,
) -> BlindIndex {
    index(
        key,
        &[b"wallet-request", wallet_fingerprint, request_id.as_bytes()],
    )
}

/// Index of a request a document authority signed: the authority's name and the request id.
pub(crate) fn authority_request(key: &MacKey, authority: &str, request_id: &str) -> BlindIndex {
    index(
        key,
        &[
            b"authority-request",
            authority.as_bytes(),
            request_id.as_bytes(),
        ],
    )
}

fn index(key: &MacKey, fields: &[&[u8]]) -> BlindIndex {
    // Fields are joined with 0x00, which no text field of ours contains.
    let mut parts: Vec<&[u8]> = Vec::with_capacity(fields.len() * 2);
    for (position, field) in fields.iter().enumerate() {
        if position > 0 {
            parts.push(b"\0");
        }
        parts.push(field);
    }
    BlindIndex::new(Suite::gm().mac(key, &parts).to_bytes())
}

#[cfg(test)]
mod tests {
    use netid_core::{Date, DocumentType};

    use super::*;

    fn key(byte: u8) -> MacKey {
        MacKey::from_bytes(&[byte; 32]).unwrap()
    }

    #[test]
    fn indexes_depend_on_kind_fields_and_key() {
        let k = key(1);
        assert_eq!(person(&k, "a", "p1"), person(&k, "a", "p1"));
        assert_ne!(person(&k, "a", "p1"), person(&k, "a", "p2"));
        assert_ne!(person(&k, "a", "p1"), person(&k, "b", "p1"));
        assert_ne!(person(&k, "a", "p1"), enrollment_code(&k, "a", "p1"));
        assert_ne!(person(&k, "a", "p1"), nonce(&k, "a", "p1"));
        assert_ne!(person(&k, "a", "p1"), person(&key(2), "a", "p1"));
        // The separator keeps field boundaries: ("ab", "c") is not ("a", "bc").
        assert_ne!(person(&k, "ab", "c"), person(&k, "a", "bc"));
    }

    #[test]
    fn document_index_uses_the_canonical_number() {
        let today = Date::from_ymd(2025, 7, 15).unwrap();
        let typed = DocumentNumber::parse(DocumentType::ResidentId, "11010519491231002x", today);
        let canonical =
            DocumentNumber::parse(DocumentType::ResidentId, "110105 19491231 002X", today);
        let k = key(1);
        assert_eq!(
            document(&k, &typed.unwrap()),
            document(&k, &canonical.unwrap())
        );
    }
}
