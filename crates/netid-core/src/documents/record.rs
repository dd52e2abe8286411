//! What a holder's identity document says, checked for consistency with its number.

use std::fmt;
use std::str::FromStr;

use super::{DocumentNumber, DocumentType};
use crate::date::Date;
use crate::error::DocumentError;
use crate::fullwidth;
use crate::names::PersonName;

/// Sex as recorded on an identity document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// 男 / M.
    Male,
    /// 女 / F.
    Female,
}

/// A nationality as an ISO 3166-1 alpha-3 code (`CHN`, `USA`), canonically upper case.
///
/// Only the shape (three Latin letters) is checked, not membership of the ISO list: the list
/// changes, and travel documents also use ICAO codes outside it (`XXA` for stateless
/// persons). `Debug` hides the value, as a nationality is personal data; read it with
/// [`Nationality::as_str`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nationality([u8; 3]);

impl Nationality {
    /// China, the nationality on the documents issued only to Chinese citizens.
    pub const CHINA: Self = Self(*b"CHN");

    /// The three-letter code.
    pub fn as_str(&self) -> &str {
        // The bytes are ASCII letters by construction, so the fallback is never taken.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl FromStr for Nationality {
    type Err = DocumentError;

    /// Accepts lower case and full-width letters, surrounded by white space.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut letters = text.trim().chars().map(|c| {
            let c = fullwidth::fold(c).to_ascii_uppercase();
            u8::try_from(c).ok().filter(u8::is_ascii_uppercase)
        });
        match (
            letters.next(),
            letters.next(),
            letters.next(),
            letters.next(),
        ) {
            (Some(Some(a)), Some(Some(b)), Some(Some(c)), None) => Ok(Self([a, b, c])),
            _ => Err(DocumentError::InvalidNationality),
        }
    }
}

impl fmt::Debug for Nationality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Nationality(..)")
    }
}

/// When a document stops being valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expiry {
    /// Valid up to and including this date.
    On(Date),
    /// No end date: resident ID cards issued at 46 or older are valid long-term (长期).
    LongTerm,
}

/// Whether a document is valid on a given day, from [`DocumentRecord::validity_on`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Validity {
    /// The document has not expired.
    Valid,
    /// The expiry date has passed.
    Expired,
}

/// What a holder's statutory identity document says.
///
/// Built by [`DocumentRecord::new`], which checks the fields against what the number encodes.
/// `Debug` shows only the document type: every other field is personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct DocumentRecord {
    number: DocumentNumber,
    name: PersonName,
    birth_date: Date,
    sex: Option<Sex>,
    nationality: Nationality,
    expiry: Expiry,
}

impl DocumentRecord {
    /// Builds a record, rejecting a birth date, sex or nationality that contradicts the number
    /// or the document type.
    ///
    /// The birth date and sex must match those encoded in GB 11643 numbers (and the birth date
    /// the `YYMMDD` of a 2017 foreign permanent resident ID card, whose letters must also be
    /// the nationality). Resident ID cards, passports, Exit-Entry Permits for Hong Kong and
    /// Macao, Taiwan residents' permits and residence permits are issued only to Chinese
    /// citizens, so their nationality must be `CHN`; a foreign permanent resident's must not
    /// be. The Mainland Travel Permit for Hong Kong and Macao residents is left open, as a
    /// version for non-Chinese permanent residents exists.
    pub fn new(
        number: DocumentNumber,
        name: PersonName,
        birth_date: Date,
        sex: Option<Sex>,
        nationality: Nationality,
        expiry: Expiry,
    ) -> Result<Self, DocumentError> {
        if !number.agrees_with_birth_date(birth_date) {
            return Err(DocumentError::BirthDateDoesNotMatchNumber);
        }
        if let (Some(encoded), Some(given)) = (number.encoded_sex(), sex) {
            if encoded != given {
                return Err(DocumentError::SexDoesNotMatchNumber);
            }
        }
        match number.document_type() {
            DocumentType::ForeignPermanentResidentId => {
                if nationality == Nationality::CHINA {
                    return Err(DocumentError::NationalityCannotBeChinese);
                }
                if let Some(encoded) = number.encoded_nationality_alpha3() {
                    if encoded != nationality.0 {
                        return Err(DocumentError::NationalityDoesNotMatchNumber);
                    }
                }
            }
            DocumentType::MainlandTravelPermitHkm => {}
            _ if nationality != Nationality::CHINA => {
                return Err(DocumentError::NationalityShouldBeChinese);
            }
            _ => {}
        }
        Ok(Self {
            number,
            name,
            birth_date,
            sex,
            nationality,
            expiry,
        })
    }

    /// Whether the document is valid on `today` (the expiry date itself is still valid).
    pub fn validity_on(&self, today: Date) -> Validity {
        match self.expiry {
            Expiry::On(last_day) if today > last_day => Validity::Expired,
            _ => Validity::Valid,
        }
    }

    /// The document type.
    pub fn document_type(&self) -> DocumentType {
        self.number.document_type()
    }

    /// The document number.
    pub fn number(&self) -> &DocumentNumber {
        &self.number
    }

    /// The holder's name as on the document.
    pub fn name(&self) -> &PersonName {
        &self.name
    }

    /// The holder's birth date.
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// The holder's sex, where the document or the caller gave one.
    pub fn sex(&self) -> Option<Sex> {
        self.sex
    }

    /// The holder's nationality.
    pub fn nationality(&self) -> Nationality {
        self.nationality
    }

    /// When the document expires.
    pub fn expiry(&self) -> Expiry {
        self.expiry
    }
}

impl fmt::Debug for DocumentRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocumentRecord")
            .field("document", &self.document_type())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DocumentType::{ForeignPermanentResidentId as Fpr, ResidentId};

    const ID: &str = "110101199003079999";
    const OLD_FPR: &str = "USA110090030796";

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    /// A record of "测试甲" with the given fields, valid until 2030-01-01.
    fn record(
        (document, number, birth, sex, nationality): (DocumentType, &str, &str, Option<Sex>, &str),
    ) -> Result<DocumentRecord, DocumentError> {
        DocumentRecord::new(
            DocumentNumber::parse(document, number, date("2025-07-15")).unwrap(),
            PersonName::parse("测试甲").unwrap(),
            date(birth),
            sex,
            nationality.parse().unwrap(),
            Expiry::On(date("2030-01-01")),
        )
    }

    #[test]
    fn nationality_is_three_letters_folded_to_upper_case() {
        assert_eq!("chn".parse::<Nationality>(), Ok(Nationality::CHINA));
        assert_eq!(" ＵＳＡ ".parse::<Nationality>().unwrap().as_str(), "USA");
        assert_eq!(format!("{:?}", Nationality::CHINA), "Nationality(..)");
        for bad in ["CH", "CHNA", "C1N", "", "中国"] {
            assert_eq!(
                bad.parse::<Nationality>(),
                Err(DocumentError::InvalidNationality)
            );
        }
    }

    #[test]
    fn consistent_records_are_built_and_debug_hides_personal_fields() {
        let resident = record((ResidentId, ID, "1990-03-07", Some(Sex::Male), "CHN")).unwrap();
        assert_eq!(resident.document_type(), ResidentId);
        assert_eq!(resident.validity_on(date("2030-01-01")), Validity::Valid);
        assert_eq!(resident.validity_on(date("2030-01-02")), Validity::Expired);
        assert_eq!(
            format!("{resident:?}"),
            "DocumentRecord { document: ResidentId, .. }"
        );
        let hkm = DocumentType::MainlandTravelPermitHkm;
        let permit = record((hkm, "H12345678", "1990-03-07", Some(Sex::Female), "GBR")).unwrap();
        assert_eq!(
            (permit.sex(), permit.nationality().as_str()),
            (Some(Sex::Female), "GBR")
        );
        let old_card = record((Fpr, OLD_FPR, "1990-03-07", None, "usa")).unwrap();
        assert_eq!(old_card.birth_date(), date("1990-03-07"));
    }

    #[test]
    #[rustfmt::skip] // One case a line reads as a table.
    fn record_contradicting_its_number_or_type_is_rejected() {
        use DocumentError::*;
        let cases = [
            ((ResidentId, ID, "1990-03-08", None, "CHN"), BirthDateDoesNotMatchNumber),
            ((ResidentId, ID, "1990-03-07", Some(Sex::Female), "CHN"), SexDoesNotMatchNumber),
            ((ResidentId, ID, "1990-03-07", None, "USA"), NationalityShouldBeChinese),
            ((Fpr, OLD_FPR, "1990-03-07", None, "GBR"), NationalityDoesNotMatchNumber),
            ((Fpr, OLD_FPR, "1991-03-07", None, "USA"), BirthDateDoesNotMatchNumber),
            ((Fpr, "911156199003079994", "1990-03-07", None, "CHN"), NationalityCannotBeChinese),
        ];
        for (case, error) in cases {
            assert_eq!(record(case), Err(error), "{case:?}");
        }
    }
}
