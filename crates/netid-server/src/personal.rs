//! A holder's personal data at rest: the document record, sealed under the holder's own data
//! key, which is itself wrapped under the master key. Destroying the wrapped key (deletion, a
//! later issue) makes the record unreadable.

use netid_core::{Date, DocumentNumber, DocumentRecord, Expiry, Nationality, PersonName, Sex};
use netid_crypto::{AeadKey, Suite};
use netid_store::HolderRow;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::Error;
use crate::keys::MasterKey;

/// The serialised form of a [`DocumentRecord`] inside a sealed blob.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredRecord {
    pub(crate) document_type: String,
    pub(crate) document_number: String,
    pub(crate) name: String,
    pub(crate) birth_date: String,
    pub(crate) sex: Option<String>,
    pub(crate) nationality: String,
    pub(crate) expiry: String,
}

impl StoredRecord {
    pub(crate) fn from_record(record: &DocumentRecord) -> Self {
        Self {
            document_type: record.document_type().name().to_owned(),
            document_number: record.number().expose().to_owned(),
            name: record.name().expose().to_owned(),
            birth_date: record.birth_date().to_string(),
            sex: record.sex().map(|sex| sex_name(sex).to_owned()),
            nationality: record.nationality().as_str().to_owned(),
            expiry: match record.expiry() {
                Expiry::On(date) => date.to_string(),
                Expiry::LongTerm => LONG_TERM.to_owned(),
            },
        }
    }

    /// Parses into a record, checking every field again; `today` bounds the birth date
    /// encoded in the number.
    pub(crate) fn to_record(&self, today: Date) -> Result<DocumentRecord, RecordFieldError> {
        fn fail(field: &'static str, reason: impl ToString) -> RecordFieldError {
            RecordFieldError {
                field,
                reason: reason.to_string(),
            }
        }
        let document_type = self
            .document_type
            .parse()
            .map_err(|e| fail("document_type", e))?;
        let number = DocumentNumber::parse(document_type, &self.document_number, today)
            .map_err(|e| fail("document_number", e))?;
        let name = PersonName::parse(&self.name).map_err(|e| fail("name", e))?;
        let birth_date: Date = self.birth_date.parse().map_err(|e| fail("birth_date", e))?;
        let sex = match self.sex.as_deref() {
            None => None,
            Some("male") => Some(Sex::Male),
            Some("female") => Some(Sex::Female),
            Some(_) => return Err(fail("sex", "expected male or female")),
        };
        let nationality: Nationality = self
            .nationality
            .parse()
            .map_err(|e| fail("nationality", e))?;
        let expiry = if self.expiry == LONG_TERM {
            Expiry::LongTerm
        } else {
            Expiry::On(
                self.expiry
                    .parse()
                    .map_err(|_| fail("expiry", "expected YYYY-MM-DD or long-term"))?,
            )
        };
        DocumentRecord::new(number, name, birth_date, sex, nationality, expiry)
            .map_err(|e| fail("record", e))
    }
}

/// A field of a record that did not parse, and why (the reason never holds the value).
#[derive(Debug)]
pub(crate) struct RecordFieldError {
    pub(crate) field: &'static str,
    pub(crate) reason: String,
}

/// The `expiry` text of a document valid long-term.
pub(crate) const LONG_TERM: &str = "long-term";

fn sex_name(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "male",
        Sex::Female => "female",
    }
}

fn data_key_aad(net_id: &str) -> Vec<u8> {
    format!("netid holder data key v1\n{net_id}").into_bytes()
}

fn personal_aad(net_id: &str) -> Vec<u8> {
    format!("netid holder personal data v1\n{net_id}").into_bytes()
}

/// A new holder's data key, wrapped, and the record sealed under it.
pub(crate) fn seal_new(
    master: &MasterKey,
    net_id: &str,
    record: &DocumentRecord,
) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let suite = Suite::gm();
    let data_key = AeadKey::generate(&suite)?;
    let wrapped = master.seal(&data_key_aad(net_id), data_key.expose_secret())?;
    let json = Zeroizing::new(
        serde_json::to_vec(&StoredRecord::from_record(record))
            .map_err(|_| Error::Internal("serialising a document record"))?,
    );
    let sealed = suite.encrypt(&data_key, &personal_aad(net_id), &json)?;
    Ok((wrapped, sealed))
}

/// Opens a holder's record.
pub(crate) fn open(
    master: &MasterKey,
    holder: &HolderRow,
    today: Date,
) -> Result<DocumentRecord, Error> {
    let suite = Suite::gm();
    let net_id = holder.net_id.expose();
    let key_bytes = master.open(&data_key_aad(net_id), &holder.wrapped_data_key)?;
    let data_key = AeadKey::from_bytes(&suite, &key_bytes)?;
    let json = suite.decrypt(&data_key, &personal_aad(net_id), &holder.sealed_personal)?;
    let stored: StoredRecord = serde_json::from_slice(&json)
        .map_err(|_| Error::Internal("stored personal data is not a record"))?;
    stored
        .to_record(today)
        .map_err(|_| Error::Internal("stored personal data does not parse"))
}
