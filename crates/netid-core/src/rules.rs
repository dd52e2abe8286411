//! The rules that decide, as pure functions: what a platform may receive, when a consent
//! request counts, how many Net Certificates a holder may hold, and the ages of the Measures.
//! The store's transactions and the server call these; nothing else restates them.

/// Under this age an applicant is enrolled, and their use supervised, by a guardian
/// (Measures Art. 4 and 5; the Civil Code's age of limited capacity).
pub const GUARDIAN_REQUIRED_BELOW: u16 = 14;

/// A guardian must be at least this old; from this age a holder is an adult.
pub const ADULT_AGE: u16 = 18;

/// The fields a platform may be granted in plaintext (Art. 7): each must be approved for the
/// platform by the operator and consented to by the holder before it is released.
pub const GRANTABLE_FIELDS: [&str; 6] = [
    "net_id",
    "name",
    "birth_date",
    "document_type",
    "document_number",
    "nationality",
];

/// What a platform receives at a verification: the fields both granted to it and consented
/// to by the holder (`consented`, read in the transaction that records the act), narrowed to
/// those it `asked` for when it named any. Order is `consented`'s.
#[must_use]
pub fn disclosed(consented: Vec<String>, asked: Option<&[String]>) -> Vec<String> {
    match asked {
        Some(asked) => consented
            .into_iter()
            .filter(|field| asked.contains(field))
            .collect(),
        None => consented,
    }
}

/// Whether a consent signed at `signed_at` (seconds) may be recorded for terms that last
/// changed at `terms_changed_at`: one signed before the terms changed was given to terms the
/// holder never saw. (A request signed no later than the consent's own last change is a
/// replay; the store's upsert leaves such a consent as it stands.)
#[must_use]
pub fn consent_may_be_recorded(signed_at: i64, terms_changed_at: i64) -> bool {
    signed_at >= terms_changed_at
}

/// Whether a holder with `unexpired` Net Certificates may receive `batch` more under `limit`.
#[must_use]
pub fn within_credential_limit(unexpired: u64, batch: u64, limit: u64) -> bool {
    unexpired.saturating_add(batch) <= limit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn a_platform_receives_what_is_granted_consented_and_asked() {
        let consented = fields(&["birth_date", "name"]);
        assert_eq!(disclosed(consented.clone(), None), consented);
        let asked = fields(&["name", "nationality"]);
        assert_eq!(
            disclosed(consented.clone(), Some(&asked)),
            fields(&["name"])
        );
        assert!(disclosed(consented, Some(&[])).is_empty());
        assert!(disclosed(Vec::new(), Some(&asked)).is_empty());
    }

    #[test]
    fn a_consent_signed_before_the_terms_changed_is_not_recorded() {
        assert!(consent_may_be_recorded(100, 100));
        assert!(consent_may_be_recorded(101, 100));
        assert!(!consent_may_be_recorded(99, 100));
    }

    #[test]
    fn the_credential_limit_counts_the_batch_and_does_not_overflow() {
        assert!(within_credential_limit(0, 20, 20));
        assert!(!within_credential_limit(1, 20, 20));
        assert!(!within_credential_limit(u64::MAX, 1, u64::MAX - 1));
    }

    #[test]
    fn guardianship_ends_before_adulthood_and_grantable_fields_are_distinct() {
        const { assert!(GUARDIAN_REQUIRED_BELOW < ADULT_AGE) };
        let mut sorted = GRANTABLE_FIELDS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), GRANTABLE_FIELDS.len());
    }
}
