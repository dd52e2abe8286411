//! A calendar date without time of day or time zone: birth dates, expiry dates and "today".
//!
//! netid-core keeps its own small type rather than a date crate because it needs only
//! construction, validation and ordering, and because the crate must stay clock-free: "today"
//! is always an argument.

use std::fmt;
use std::str::FromStr;

use crate::error::DateError;

/// A date of the proleptic Gregorian calendar from 0001-01-01 to 9999-12-31.
///
/// Ordering is chronological. `Display` and `FromStr` use `YYYY-MM-DD` (ISO 8601).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Field order makes the derived ordering chronological.
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// Builds a date, rejecting days that the month does not have.
    pub fn from_ymd(year: u16, month: u8, day: u8) -> Result<Self, DateError> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(DateError::NotInCalendar);
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateError::NotInCalendar);
        }
        Ok(Self { year, month, day })
    }

    /// The year, 1 to 9999.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1 to 31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// The age in full years of a person born on `self`, on `today`; `None` when `today` is
    /// before `self`. A birthday counts from its day on; a person born on 29 February turns a
    /// year older on 1 March in common years (Measures Art. 4 age rules are computed this way
    /// at each request, never stored).
    pub fn age_on(self, today: Date) -> Option<u16> {
        if today < self {
            return None;
        }
        let years = today.year.saturating_sub(self.year);
        let had_birthday = (today.month, today.day) >= (self.month, self.day);
        Some(if had_birthday {
            years
        } else {
            years.saturating_sub(1)
        })
    }

    /// The date `days` days after 1970-01-01 (negative: before), or `None` outside years 1 to
    /// 9999. Callers turn a clock reading into "today" with this; core itself reads no clock.
    ///
    /// Howard Hinnant's `civil_from_days` (chrono-compatible date algorithms).
    pub fn from_days_since_unix_epoch(days: i64) -> Option<Self> {
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let day_of_era = z.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_index = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_index + 2) / 5 + 1;
        let month = if month_index < 10 {
            month_index + 3
        } else {
            month_index - 9
        };
        let year = year_of_era
            .checked_add(era.checked_mul(400)?)?
            .checked_add(i64::from(month <= 2))?;
        Self::from_ymd(
            u16::try_from(year).ok()?,
            u8::try_from(month).ok()?,
            u8::try_from(day).ok()?,
        )
        .ok()
    }

    /// Days from 1970-01-01 to `self` (negative: before); the inverse of
    /// [`Date::from_days_since_unix_epoch`] (Howard Hinnant's `days_from_civil`).
    pub fn days_since_unix_epoch(self) -> i64 {
        let month = i64::from(self.month);
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year.rem_euclid(400);
        let shifted_month = if month > 2 { month - 3 } else { month + 9 };
        let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// Reads eight ASCII digits `YYYYMMDD`, as encoded in GB 11643 numbers.
    pub(crate) fn from_compact_digits(digits: &[u8]) -> Option<Self> {
        let [y1, y2, y3, y4, m1, m2, d1, d2] = <[u8; 8]>::try_from(digits).ok()?;
        let year = u16::try_from(decimal(&[y1, y2, y3, y4])?).ok()?;
        let month = u8::try_from(decimal(&[m1, m2])?).ok()?;
        let day = u8::try_from(decimal(&[d1, d2])?).ok()?;
        Self::from_ymd(year, month, day).ok()
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bytes = text.as_bytes();
        let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] =
            <[u8; 10]>::try_from(bytes).map_err(|_| DateError::Format)?
        else {
            return Err(DateError::Format);
        };
        Self::from_compact_digits(&[y1, y2, y3, y4, m1, m2, d1, d2]).ok_or(
            if decimal(&[y1, y2, y3, y4, m1, m2, d1, d2]).is_some() {
                DateError::NotInCalendar
            } else {
                DateError::Format
            },
        )
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Days in a month of the Gregorian calendar.
fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The value of a run of ASCII digits, or `None` if any byte is not a digit.
pub(crate) fn decimal(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &byte| {
        let digit = char::from(byte).to_digit(10)?;
        value.checked_mul(10)?.checked_add(digit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leap_days_follow_the_gregorian_rules() {
        assert!(Date::from_ymd(2000, 2, 29).is_ok());
        assert!(Date::from_ymd(2024, 2, 29).is_ok());
        assert_eq!(Date::from_ymd(1900, 2, 29), Err(DateError::NotInCalendar));
        assert_eq!(Date::from_ymd(2023, 2, 29), Err(DateError::NotInCalendar));
        assert_eq!(Date::from_ymd(2023, 4, 31), Err(DateError::NotInCalendar));
        assert_eq!(Date::from_ymd(2023, 13, 1), Err(DateError::NotInCalendar));
        assert_eq!(Date::from_ymd(0, 1, 1), Err(DateError::NotInCalendar));
    }

    #[test]
    fn date_text_round_trips_and_orders_chronologically() {
        let date: Date = "1990-01-31".parse().unwrap();
        assert_eq!(date.to_string(), "1990-01-31");
        assert!(date < "1990-02-01".parse::<Date>().unwrap());
        assert_eq!("1990-02-30".parse::<Date>(), Err(DateError::NotInCalendar));
        assert_eq!("1990/02/03".parse::<Date>(), Err(DateError::Format));
        assert_eq!("19900203".parse::<Date>(), Err(DateError::Format));
    }

    #[test]
    fn age_counts_full_years_and_turns_on_the_birthday() {
        let birth = Date::from_ymd(2012, 7, 15).unwrap();
        let on = |y, m, d| birth.age_on(Date::from_ymd(y, m, d).unwrap());
        assert_eq!(on(2026, 7, 14), Some(13));
        assert_eq!(on(2026, 7, 15), Some(14));
        assert_eq!(on(2012, 7, 15), Some(0));
        assert_eq!(on(2012, 7, 14), None);
        let leap = Date::from_ymd(2008, 2, 29).unwrap();
        assert_eq!(leap.age_on(Date::from_ymd(2026, 2, 28).unwrap()), Some(17));
        assert_eq!(leap.age_on(Date::from_ymd(2026, 3, 1).unwrap()), Some(18));
    }

    #[test]
    fn unix_days_map_to_gregorian_dates() {
        let on = Date::from_days_since_unix_epoch;
        assert_eq!(on(0), Some(Date::from_ymd(1970, 1, 1).unwrap()));
        assert_eq!(on(-1), Some(Date::from_ymd(1969, 12, 31).unwrap()));
        assert_eq!(on(11_016), Some(Date::from_ymd(2000, 2, 29).unwrap()));
        assert_eq!(on(20_284), Some(Date::from_ymd(2025, 7, 15).unwrap()));
        assert_eq!(on(i64::MAX), None);
        assert_eq!(on(-719_162), Some(Date::from_ymd(1, 1, 1).unwrap()));
        assert_eq!(on(-719_163), None);
    }

    #[test]
    fn days_since_the_epoch_invert_the_date_of_a_day() {
        assert_eq!(
            Date::from_ymd(1970, 1, 1).unwrap().days_since_unix_epoch(),
            0
        );
        assert_eq!(
            Date::from_ymd(2000, 3, 1).unwrap().days_since_unix_epoch(),
            11_017
        );
        assert_eq!(
            Date::from_ymd(1969, 12, 31)
                .unwrap()
                .days_since_unix_epoch(),
            -1
        );
        // Every day from 1 Jan 1 to 31 Dec 9999, a leap day of each kind among them.
        for days in (-719_162..=2_932_896)
            .step_by(997)
            .chain([11_016, 11_017, 19_782])
        {
            let date = Date::from_days_since_unix_epoch(days).unwrap();
            assert_eq!(date.days_since_unix_epoch(), days, "{date}");
        }
    }

    #[test]
    fn compact_digits_are_read_as_year_month_day() {
        assert_eq!(
            Date::from_compact_digits(b"19900131"),
            Some(Date::from_ymd(1990, 1, 31).unwrap())
        );
        assert_eq!(Date::from_compact_digits(b"1990013X"), None);
        assert_eq!(Date::from_compact_digits(b"1990013"), None);
    }
}
