//! The auditor's check: signed checkpoints against the entries the log served.
//!
//! Given the log's verifier, a set of signed checkpoints (as fetched at different times, or
//! from different vantage points) and the entries, the audit verifies every signature,
//! rebuilds the tree from the entries, and requires each checkpoint's root to be the root of
//! the tree at its size: that single check proves every pair of checkpoints consistent, and a
//! changed, removed or reordered entry, or two checkpoints of one size with different roots (a
//! fork), fails it. It then counts entries by kind and month, the public aggregates, and the
//! acts of each named operator by kind (and, for requests and approvals, the act).

use std::collections::BTreeMap;

use crate::{Checkpoint, Entry, EntryKind, Error, MerkleHasher, NoteVerifier, Tree};

/// What a passing audit found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// Entries checked.
    pub entries: u64,
    /// Checkpoints checked, largest first.
    pub checkpoints: Vec<Checkpoint>,
    /// Entries per (month as `YYYY-MM`, kind).
    pub counts: BTreeMap<(String, EntryKind), u64>,
    /// Entries that name an operator, per (operator id, kind, act asked or approved).
    pub operator_counts: BTreeMap<(String, EntryKind, Option<EntryKind>), u64>,
}

/// Audits `entries` (leaf bytes, in log order) against the signed `notes`.
pub fn audit(
    hasher: &MerkleHasher,
    verifier: &NoteVerifier,
    notes: &[String],
    entries: &[Vec<u8>],
) -> Result<AuditReport, Error> {
    let mut checkpoints = notes
        .iter()
        .map(|note| verifier.verify(note))
        .collect::<Result<Vec<_>, _>>()?;
    checkpoints.sort_by_key(|checkpoint| std::cmp::Reverse(checkpoint.size));
    for pair in checkpoints.windows(2) {
        if let [a, b] = pair {
            if a.size == b.size && a.root != b.root {
                return Err(Error::Fork { size: a.size });
            }
        }
    }

    let mut tree = Tree::new(hasher.clone());
    let mut counts = BTreeMap::new();
    let mut operator_counts = BTreeMap::new();
    for leaf in entries {
        let entry = Entry::from_leaf(leaf)?;
        *counts
            .entry((month_of(entry.minute), entry.kind))
            .or_insert(0) += 1;
        if let Some(operator) = entry.operator {
            *operator_counts
                .entry((operator, entry.kind, entry.act))
                .or_insert(0) += 1;
        }
        tree.append(leaf);
    }
    for checkpoint in &checkpoints {
        if checkpoint.size > tree.size() {
            return Err(Error::SizeOutOfRange {
                requested: checkpoint.size,
                available: tree.size(),
            });
        }
        if tree.root_at(checkpoint.size)? != checkpoint.root {
            return Err(Error::ConsistencyMismatch);
        }
    }
    Ok(AuditReport {
        entries: tree.size(),
        checkpoints,
        counts,
        operator_counts,
    })
}

/// `YYYY-MM` of a minute since the epoch (proleptic Gregorian, UTC).
fn month_of(minute: u64) -> String {
    // Days since 1970-01-01 to civil date (Howard Hinnant's algorithm).
    let days = i64::try_from(minute / 1440).unwrap_or(i64::MAX);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}")
}

#[cfg(test)]
mod tests {
    use super::month_of;

    #[test]
    fn months_of_known_minutes() {
        assert_eq!(month_of(0), "1970-01");
        // 2026-11-27T00:00Z = 1_795_737_600 s.
        assert_eq!(month_of(1_795_737_600 / 60), "2026-11");
        // 2024-02-29T23:59Z and the next minute.
        assert_eq!(month_of(1_709_251_140 / 60), "2024-02");
        assert_eq!(month_of(1_709_251_200 / 60), "2024-03");
    }
}
