//! A centre that forgets (issue 24, Art. 9): a verification, sign-in or disclosure stays
//! linked to its holder for a stated retention (default 180 days), then no one, the centre
//! included, can tell whose it was. The public log entry stays.
//!
//! Dropping the store's link (`log_entries.holder_id`) is not enough: the centre holds every
//! holder's log key (under the master key), so it could tag-match the whole log again. So the
//! entries of a use are tagged not with the holder's log key but with a key derived from it
//! and a random *day key*, one for all uses whose link ends on the same day. When that day
//! comes, the link is dropped and the day key destroyed; without it the tags match no one.
//! The holder's history gives the holder each entry's key while it lasts, so a holder who
//! keeps their history keeps what the centre forgot.

use std::sync::Mutex;

use netid_core::date::Date;
use netid_crypto::{MacKey, Suite};
use netid_store::Timestamp;
use zeroize::Zeroizing;

use crate::clock;
use crate::deps::Deps;
use crate::error::Error;

/// The links of uses to their holders, and how long they are kept.
pub(crate) struct UseLinks {
    retention_days: u32,
    /// The day key in use on this node: the end of the links it tags, and the key.
    current: Mutex<Option<(Timestamp, Zeroizing<Vec<u8>>)>>,
}

impl UseLinks {
    pub(crate) fn new(retention_days: u32) -> Self {
        Self {
            retention_days,
            current: Mutex::new(None),
        }
    }

    /// How long a use stays linked to its holder, in days.
    pub(crate) fn retention_days(&self) -> u32 {
        self.retention_days
    }

    /// The end of the link of a use at `now`, and the key a holder's entries of it are
    /// tagged with (from `log_key`, the holder's log key).
    pub(crate) async fn tag_key_now(
        &self,
        deps: &Deps,
        log_key: &MacKey,
        now: Timestamp,
    ) -> Result<(Timestamp, MacKey), Error> {
        let today = clock::date_of(now).ok_or(Error::Internal("clock outside years 1 to 9999"))?;
        let forget_at = forget_at(today, self.retention_days)?;
        let cached = self
            .lock()
            .as_ref()
            .and_then(|(at, key)| (*at == forget_at).then(|| Zeroizing::new(key.to_vec())));
        let day_key = match cached {
            Some(key) => key,
            None => {
                let fresh = MacKey::generate()?;
                let sealed = deps
                    .keys
                    .master
                    .seal(&day_key_aad(forget_at), fresh.expose_secret())?;
                let stored = deps.store.use_link_key(forget_at, sealed).await?;
                let key = deps.keys.master.open(&day_key_aad(forget_at), &stored)?;
                *self.lock() = Some((forget_at, key.clone()));
                key
            }
        };
        Ok((forget_at, entry_key(log_key, &day_key)?))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Timestamp, Zeroizing<Vec<u8>>)>> {
        // A poisoned cache is only a cache: its value is whole (set in one assignment).
        self.current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The keys of a holder's entries linked until each of `ends`, as the holder is given them:
/// `(end, key)` for each end whose day key the centre still holds.
pub(crate) async fn tag_keys(
    deps: &Deps,
    log_key: &MacKey,
    ends: Vec<Timestamp>,
) -> Result<Vec<(Timestamp, MacKey)>, Error> {
    let mut keys = Vec::new();
    for (forget_at, sealed) in deps.store.use_link_keys(ends).await? {
        let day_key = deps.keys.master.open(&day_key_aad(forget_at), &sealed)?;
        keys.push((forget_at, entry_key(log_key, &day_key)?));
    }
    Ok(keys)
}

/// When the link of a use on `today` ends: at the start of the day after the retention's
/// last (China Standard Time), so that a use is kept at least `retention_days` whole days.
pub(crate) fn forget_at(today: Date, retention_days: u32) -> Result<Timestamp, Error> {
    let day = today.days_since_unix_epoch() + i64::from(retention_days) + 1;
    Date::from_days_since_unix_epoch(day)
        .map(clock::start_of_day)
        .ok_or(Error::Internal("a retention past the year 9999"))
}

/// The key of a holder's entries under a day key: `HMAC-SM3(log key, label || day key)`.
fn entry_key(log_key: &MacKey, day_key: &[u8]) -> Result<MacKey, Error> {
    let tag = Suite::gm().mac(log_key, &[b"netid use link tag key v1", day_key]);
    Ok(MacKey::from_bytes(tag.as_ref())?)
}

/// A master-key rotation reseals the day keys.
pub(crate) fn reseal_day_key(
    old: &crate::keys::MasterKey,
    new: &crate::keys::MasterKey,
    (forget_at, sealed): (Timestamp, Vec<u8>),
) -> Result<(Timestamp, Vec<u8>), Error> {
    Ok((
        forget_at,
        old.reseal(new, &day_key_aad(forget_at), &sealed)?,
    ))
}

fn day_key_aad(forget_at: Timestamp) -> Vec<u8> {
    format!("netid use link day key v1\n{}", forget_at.0).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_use_is_kept_for_whole_days_then_forgotten_at_a_days_start() {
        // 2025-07-15 in China Standard Time; 180 days on is 2026-01-11, the last day kept.
        let today = Date::from_ymd(2025, 7, 15).unwrap();
        let end = forget_at(today, 180).unwrap();
        assert_eq!(
            clock::date_of(end),
            Some(Date::from_ymd(2026, 1, 12).unwrap())
        );
        assert_eq!(
            clock::date_of(Timestamp(end.0 - 1)),
            Some(Date::from_ymd(2026, 1, 11).unwrap())
        );
        assert_eq!(
            end,
            clock::start_of_day(Date::from_ymd(2026, 1, 12).unwrap())
        );
    }

    #[test]
    fn an_entry_key_needs_both_the_log_key_and_the_day_key() {
        let log_key = MacKey::from_bytes(&[1; 32]).unwrap();
        let other_log_key = MacKey::from_bytes(&[2; 32]).unwrap();
        let key = entry_key(&log_key, &[3; 32]).unwrap();
        assert_ne!(key.expose_secret(), log_key.expose_secret());
        assert_ne!(
            key.expose_secret(),
            entry_key(&other_log_key, &[3; 32]).unwrap().expose_secret()
        );
        assert_ne!(
            key.expose_secret(),
            entry_key(&log_key, &[4; 32]).unwrap().expose_secret()
        );
    }
}
