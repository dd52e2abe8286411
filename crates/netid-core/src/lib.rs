//! netid-core: the pure rules of netid.
//!
//! What it does:
//! - [`documents`]: the eight statutory identity documents of Measures Art. 15
//!   ([`DocumentType`]), their numbers validated against each published format and check
//!   character ([`DocumentNumber`]), and a holder's document record checked for consistency
//!   with its number ([`DocumentRecord`]).
//! - [`net_id`]: the Net ID of Art. 2 ([`NetId`]), random Crockford base32 with an ISO 7064
//!   MOD 37-2 check character.
//! - [`names`]: person name normalisation ([`PersonName`]).
//! - [`enrollment_code`]: how strong an authority's one-time enrollment code must be, and
//!   after how many wrong guesses it locks.
//! - [`rules`]: what a platform may receive, when a consent counts, the Net Certificate limit,
//!   and the ages of guardianship.
//!
//! What it does not do: no IO of any kind, no clock and no ambient randomness. "Today" and
//! random bytes are arguments, so every rule is deterministic and unit-tested. It does not
//! check that a document exists or belongs to its holder (that is the authority's
//! verification, behind the server), and it prints no personal data: document numbers, names,
//! Net IDs and nationalities have no `Display`, and their `Debug` hides the value.
//!
//! # Example
//!
//! ```
//! use netid_core::{Date, DocumentNumber, DocumentType, NetId, PersonName};
//!
//! let today: Date = "2025-07-15".parse()?;
//! let document: DocumentType = "resident-id".parse()?;
//! // Synthetic number: full-width digits, spaces and a lower-case x are normalised.
//! let number = DocumentNumber::parse(document, "110105 19491231 002ｘ", today)?;
//! assert_eq!(number.expose(), "11010519491231002X");
//! assert_eq!(number.encoded_birth_date(), Some(Date::from_ymd(1949, 12, 31)?));
//!
//! // A typo is caught by the check character, and the message names no personal data.
//! let typo = DocumentNumber::parse(document, "11010519491231003X", today).unwrap_err();
//! assert_eq!(typo.to_string(), "check character should be 8; check the number for a typo");
//!
//! let name = PersonName::parse("测试 ・ 样例")?;
//! assert_eq!(name.expose(), "测试·样例");
//!
//! // The caller supplies random bytes (in the server, from the OS generator).
//! let net_id = NetId::from_random([0x3c, 0x91, 0x5e, 0x27, 0xa0, 0x44, 0x6b, 0xd2, 0x19])
//!     .expect("a usable draw");
//! assert_eq!(net_id.expose_grouped(), "7J8N-W9X0-8HNX-48");
//! assert_eq!("7j8n w9xo 8hnx 48".parse::<NetId>()?, net_id);
//! assert_eq!(format!("{net_id:?}"), "NetId(..)");
//! # Ok::<(), netid_core::Error>(())
//! ```

pub mod date;
pub mod documents;
pub mod enrollment_code;
pub mod error;
mod fullwidth;
pub mod names;
pub mod net_id;
pub mod rules;

pub use date::Date;
pub use documents::{
    DocumentNumber, DocumentRecord, DocumentType, Expiry, Nationality, Sex, Validity,
};
pub use error::{CharClass, DateError, DocumentError, Error, Lengths, NameError, NetIdError};
pub use names::PersonName;
pub use net_id::NetId;
