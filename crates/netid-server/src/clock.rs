//! The server's clock: the one place that reads the time, so that core stays clock-free and
//! tests can fix "now".

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use netid_core::Date;
use netid_store::Timestamp;

/// Where "now" comes from.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    /// The operating system's clock.
    System,
    /// A fixed instant (tests).
    Fixed(Timestamp),
    /// The operating system's clock moved ahead by the seconds in the cell (tests that let
    /// time pass while the server runs).
    Ahead(&'static AtomicI64),
}

impl Clock {
    /// Seconds since the Unix epoch.
    pub fn now(self) -> Timestamp {
        match self {
            Self::System => Timestamp(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .ok()
                    .and_then(|elapsed| i64::try_from(elapsed.as_secs()).ok())
                    .unwrap_or(0),
            ),
            Self::Fixed(at) => at,
            Self::Ahead(seconds) => {
                let now = Self::System.now();
                Timestamp(now.0.saturating_add(seconds.load(Ordering::Relaxed)))
            }
        }
    }

    /// Today's date in China Standard Time (UTC+8, no daylight saving), the time zone of the
    /// Measures' age rules.
    pub fn today(self) -> Result<Date, crate::error::Error> {
        date_of(self.now()).ok_or(crate::Error::Internal("clock outside years 1 to 9999"))
    }
}

/// China Standard Time's offset from UTC, in seconds.
const CST_OFFSET: i64 = 8 * 3600;

/// The calendar date in UTC+8 of a Unix timestamp.
pub fn date_of(at: Timestamp) -> Option<Date> {
    Date::from_days_since_unix_epoch(at.0.saturating_add(CST_OFFSET).div_euclid(86_400))
}

/// The first instant of `date` in UTC+8.
pub fn start_of_day(date: Date) -> Timestamp {
    Timestamp(date.days_since_unix_epoch() * 86_400 - CST_OFFSET)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_computed_in_china_standard_time() {
        // 2025-07-14T16:00:00Z is 2025-07-15T00:00:00+08:00.
        assert_eq!(
            Clock::Fixed(Timestamp(1_752_508_800)).today().unwrap(),
            Date::from_ymd(2025, 7, 15).unwrap()
        );
        assert_eq!(
            Clock::Fixed(Timestamp(1_752_508_799)).today().unwrap(),
            Date::from_ymd(2025, 7, 14).unwrap()
        );
    }
}
