//! Revocation reasons (RFC 5280 §5.3.1) as the API accepts them; their names are
//! [`RevocationReason::name`], the same in the API and the store.

use netid_ca::RevocationReason;

use crate::error::Refusal;

/// The reasons a holder or an operator may give.
const ACCEPTED: [RevocationReason; 4] = [
    RevocationReason::Unspecified,
    RevocationReason::KeyCompromise,
    RevocationReason::Superseded,
    RevocationReason::CessationOfOperation,
];

/// Parses a revocation reason as the API names it (none: unspecified).
pub(crate) fn parse_reason(name: Option<&str>) -> Result<RevocationReason, Refusal> {
    let name = name.unwrap_or("unspecified");
    RevocationReason::from_name(name)
        .filter(|reason| ACCEPTED.contains(reason))
        .ok_or_else(|| Refusal::InvalidField {
            field: "reason",
            reason: "expected unspecified, key_compromise, superseded or cessation_of_operation"
                .to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_accepts_four_reasons_by_name() {
        for reason in ACCEPTED {
            assert_eq!(parse_reason(Some(reason.name())), Ok(reason));
        }
        assert_eq!(parse_reason(None), Ok(RevocationReason::Unspecified));
        assert!(parse_reason(Some("because")).is_err());
        assert!(parse_reason(Some("ca_compromise")).is_err());
    }
}
