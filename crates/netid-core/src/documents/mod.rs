//! The statutory identity documents of Measures Art. 15, their numbers and a holder's record.
//!
//! [`DocumentType`] names the eight document types; [`DocumentNumber`] is a number that has
//! passed its type's published format and check character; [`DocumentRecord`] is what a
//! holder's document says (number, name, birth date, sex, nationality, expiry), checked for
//! consistency with what the number encodes. Each format, with its source, is described on
//! [`DocumentType`]'s variants.

mod check;
mod number;
mod record;

use std::fmt;
use std::str::FromStr;

pub use number::DocumentNumber;
pub use record::{DocumentRecord, Expiry, Nationality, Sex, Validity};

use crate::error::DocumentError;

/// One of the eight statutory identity documents of Measures Art. 15.
///
/// `Display` and `FromStr` use the kebab-case names below, exactly (no other spelling is
/// accepted: these names are an API value, not user input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocumentType {
    /// `resident-id`: Resident Identity Card of the PRC (居民身份证).
    ///
    /// 18 characters per GB 11643-1999 "Citizen identification number": 6-digit address code
    /// (GB/T 2260; only its province-level first two digits are checked, so numbers with
    /// codes of counties since merged stay valid), birth date `YYYYMMDD`, 3-digit sequence
    /// (odd for men, even for women), ISO 7064 MOD 11-2 check character (`X` for 10).
    ResidentId,
    /// `passport`: ordinary passport of the PRC (普通护照).
    ///
    /// 9 characters: `G` + 8 digits (before 2012), `E` + 8 digits (electronic passport from
    /// 2012), or `E` + a letter other than I and O + 7 digits once the `E` series ran out.
    /// Source: Guangzhou Public Security Bureau, "请问中国护照号码按照什么规则编制?"
    /// (2024-02-19, gaj.gz.gov.cn, citing the National Immigration Administration). The
    /// number itself has no check character (the machine-readable zone's check digit is not
    /// part of it). Diplomatic, service and SAR passports are not accepted.
    Passport,
    /// `hk-macao-travel-permit`: Exit-Entry Permit for Travelling to and from Hong Kong and
    /// Macao, held by mainland residents (往来港澳通行证).
    ///
    /// 9 characters: `C` + 8 digits (electronic permit from May 2014), or `C` + a letter other
    /// than I and O + 7 digits (from the re-numbering first number `CA0000001`). Source:
    /// National Immigration Administration, "电子往来港澳通行证号码编制规则调整" (2018-12-10).
    /// No check character. The pre-2014 booklet (`W` numbers) has expired and is not accepted.
    HkMacaoTravelPermit,
    /// `mainland-travel-permit-hkm`: Mainland Travel Permit for Hong Kong and Macao Residents
    /// (港澳居民来往内地通行证, "回乡证").
    ///
    /// `H` (Hong Kong) or `M` (Macao) + the holder's 8-digit lifelong number, optionally
    /// followed by the 2-digit renewal count (11 characters). Source: Ministry of Public
    /// Security Exit and Entry Administration, "港澳居民来往内地通行证号码规则" (2010-03-10).
    /// No check character.
    MainlandTravelPermitHkm,
    /// `mainland-travel-permit-tw`: Mainland Travel Permit for Taiwan Residents
    /// (台湾居民来往大陆通行证, "台胞证").
    ///
    /// The holder's 8-digit lifelong number ("一人一号、终身不变" since 2008-09-25; kept by
    /// the 2015 card). Source: China News Service, "台胞证9月25日起实行一人一号、终身不变"
    /// (2008-09-12). No check character. Older 10-digit numbers with an issuing-office suffix
    /// belong to 5-year permits that have all expired, and are not accepted.
    MainlandTravelPermitTw,
    /// `residence-permit-hkm`: Residence Permit for Hong Kong and Macao Residents
    /// (港澳居民居住证).
    ///
    /// 18 characters per GB 11643-1999 with address code `810000` (Hong Kong) or `820000`
    /// (Macao). Source: State Council General Office, 《港澳台居民居住证申领发放办法》
    /// (国办发〔2018〕81号).
    ResidencePermitHkm,
    /// `residence-permit-tw`: Residence Permit for Taiwan Residents (台湾居民居住证).
    ///
    /// 18 characters per GB 11643-1999 with address code `830000`. Source as for
    /// [`DocumentType::ResidencePermitHkm`].
    ResidencePermitTw,
    /// `foreign-permanent-resident-id`: Foreign Permanent Resident ID Card (外国人永久居留身份证).
    ///
    /// Two formats are in use:
    /// - 2023 card (issued from 2023-12-01), 18 characters following GB 11643-1999: `9` (marks
    ///   a foreigner; citizens' numbers start 1 to 8), 2-digit province-level code of the
    ///   accepting office, 3-digit nationality code (ISO 3166-1 numeric, replacing the old
    ///   letters), birth date `YYYYMMDD`, 3-digit sequence, ISO 7064 MOD 11-2 check
    ///   character. Source: National Immigration Administration, "新版外国人永久居留身份证
    ///   机读信息规则 (2023版)", as republished by reader vendors (eastcoms.com, 2023-10-20).
    /// - 2017 card, 15 characters: ISO 3166-1 alpha-3 nationality, 4-digit code of the
    ///   accepting office (province-level code + 2 digits), birth date `YYMMDD`, 1 digit, and
    ///   a check digit computed over the first 14 characters with the ICAO Doc 9303 7-3-1
    ///   weights. The "3 letters + 12 digits" shape is from the same 2023 NIA text; the split
    ///   of the digits and the check algorithm are from the open-source CredentialKit
    ///   (github.com/howardli/CredentialKit, `ForeignerPermanentResidenceIdNumberProcessor`):
    ///   no official text for them was found.
    ForeignPermanentResidentId,
}

impl DocumentType {
    /// All eight types, in the order of Measures Art. 15.
    pub const ALL: [Self; 8] = [
        Self::ResidentId,
        Self::Passport,
        Self::HkMacaoTravelPermit,
        Self::MainlandTravelPermitHkm,
        Self::MainlandTravelPermitTw,
        Self::ResidencePermitHkm,
        Self::ResidencePermitTw,
        Self::ForeignPermanentResidentId,
    ];

    /// The names of all types, comma-separated, for messages.
    pub const NAMES: &'static str = "resident-id, passport, hk-macao-travel-permit, \
        mainland-travel-permit-hkm, mainland-travel-permit-tw, residence-permit-hkm, \
        residence-permit-tw, foreign-permanent-resident-id";

    /// The kebab-case name used in the API, configuration and storage.
    pub fn name(self) -> &'static str {
        match self {
            Self::ResidentId => "resident-id",
            Self::Passport => "passport",
            Self::HkMacaoTravelPermit => "hk-macao-travel-permit",
            Self::MainlandTravelPermitHkm => "mainland-travel-permit-hkm",
            Self::MainlandTravelPermitTw => "mainland-travel-permit-tw",
            Self::ResidencePermitHkm => "residence-permit-hkm",
            Self::ResidencePermitTw => "residence-permit-tw",
            Self::ForeignPermanentResidentId => "foreign-permanent-resident-id",
        }
    }
}

impl fmt::Display for DocumentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DocumentType {
    type Err = DocumentError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|document| document.name() == name)
            .ok_or(DocumentError::UnknownType)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_name_round_trips() {
        for document in DocumentType::ALL {
            assert_eq!(document.name().parse::<DocumentType>(), Ok(document));
            assert!(DocumentType::NAMES.contains(document.name()));
        }
    }

    #[test]
    fn other_spellings_of_type_names_are_rejected() {
        for name in ["Resident-ID", "resident_id", " passport", "id-card", ""] {
            assert_eq!(
                name.parse::<DocumentType>(),
                Err(DocumentError::UnknownType)
            );
        }
    }
}
