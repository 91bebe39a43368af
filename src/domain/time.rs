//! Business time: instants are UTC; a business day is a calendar day at a fixed UTC offset
//! (default +08:00, Asia/Shanghai, which has no DST).

use super::parsed_str::deserialize_parsed;
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The business time zone, as a fixed offset east of UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusinessZone {
    offset: FixedOffset,
}

impl BusinessZone {
    /// `offset_minutes` east of UTC; must be within ±18 h.
    pub fn from_offset_minutes(offset_minutes: i32) -> Option<Self> {
        FixedOffset::east_opt(offset_minutes.checked_mul(60)?).map(|offset| Self { offset })
    }

    pub fn shanghai() -> Self {
        Self::from_offset_minutes(8 * 60).expect("+08:00 is a valid offset")
    }

    /// The business day that contains `instant`.
    pub fn date_of(&self, instant: DateTime<Utc>) -> NaiveDate {
        instant.with_timezone(&self.offset).date_naive()
    }

    /// The UTC instant at which business day `date` begins.
    pub fn start_of(&self, date: NaiveDate) -> DateTime<Utc> {
        let local_midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
        self.offset
            .from_local_datetime(&local_midnight)
            .single()
            .expect("a fixed offset has no gaps")
            .with_timezone(&Utc)
    }

    /// The UTC instant at which business day `date` ends (exclusive).
    pub fn end_of(&self, date: NaiveDate) -> DateTime<Utc> {
        self.start_of(date) + Duration::days(1)
    }

    /// `YYYY-MM-DD` of the business day that contains `instant` (the key of daily rows).
    pub fn day_key(&self, instant: DateTime<Utc>) -> String {
        date_key(self.date_of(instant))
    }

    /// The end of the `days`-th business day counted from the one containing `from` (that day
    /// is day 1): how long something "valid N days" stays valid.
    pub fn valid_through(&self, from: DateTime<Utc>, days: i64) -> DateTime<Utc> {
        self.end_of(self.date_of(from) + Duration::days(days - 1))
    }
}

/// `YYYY-MM-DD`. chrono's own `Display` writes it digit by digit; `format("%Y-%m-%d")`
/// would link chrono's strftime interpreter into the wasm for the same text.
pub fn date_key(date: NaiveDate) -> String {
    date.to_string()
}

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    pub year: i32,
    pub month: u32,
}

impl YearMonth {
    pub fn of(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Parses exactly `YYYY-MM` with a month from 01 to 12.
    pub fn parse(raw: &str) -> Option<Self> {
        let bytes = raw.as_bytes();
        if bytes.len() != 7 || bytes[4] != b'-' {
            return None;
        }
        if !bytes[..4].iter().chain(&bytes[5..]).all(u8::is_ascii_digit) {
            return None;
        }
        let year: i32 = raw[..4].parse().ok()?;
        let month: u32 = raw[5..].parse().ok()?;
        NaiveDate::from_ymd_opt(year, month, 1)?;
        Some(Self { year, month })
    }

    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("validated month")
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        Self::of(date) == *self
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Parses a business date, exactly `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    // By hand rather than `parse_from_str(raw, "%Y-%m-%d")`, which links chrono's strftime
    // parser into the wasm. Exactly four, two and two ASCII digits.
    let bytes = raw.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        bytes[range].iter().try_fold(0u32, |value, byte| {
            byte.is_ascii_digit()
                .then(|| value * 10 + u32::from(byte - b'0'))
        })
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

/// RFC 3339 UTC with whole seconds, the form every instant takes in JSON and storage.
pub fn rfc3339(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses an RFC 3339 instant with any offset into UTC.
pub fn parse_instant(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|instant| instant.with_timezone(&Utc))
}

/// The test clock (`X-Test-Now`) within the years the objects can hold (alarms, unix
/// milliseconds as stored): 2000 to 2099. Outside it the header is refused, never stored.
pub fn parse_test_clock(raw: &str) -> Option<DateTime<Utc>> {
    use chrono::Datelike;
    parse_instant(raw).filter(|instant| (2000..2100).contains(&instant.year()))
}

pub fn from_unix_millis(millis: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(millis)
}

/// A date that (de)serializes as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BusinessDate(pub NaiveDate);

impl Serialize for BusinessDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for BusinessDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_parsed(deserializer, |raw| {
            parse_date(raw)
                .map(BusinessDate)
                .ok_or_else(|| format!("{raw:?} is not a YYYY-MM-DD date"))
        })
    }
}

/// An instant that (de)serializes as RFC 3339 (UTC on output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub DateTime<Utc>);

impl Instant {
    /// From unix milliseconds as stored; out of range (never written by us) is the epoch.
    pub fn from_millis(millis: i64) -> Instant {
        Instant(from_unix_millis(millis).unwrap_or_default())
    }
}

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&rfc3339(self.0))
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_parsed(deserializer, |raw| {
            parse_instant(raw)
                .map(Instant)
                .ok_or_else(|| format!("{raw:?} is not an RFC 3339 instant"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> DateTime<Utc> {
        parse_instant(raw).unwrap()
    }

    #[test]
    fn business_day_turns_at_16_utc() {
        let zone = BusinessZone::shanghai();
        assert_eq!(
            zone.date_of(at("2026-03-01T15:59:59Z")),
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
        );
        assert_eq!(
            zone.date_of(at("2026-03-01T16:00:00Z")),
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
        );
    }

    #[test]
    fn start_of_day_is_previous_utc_evening() {
        let zone = BusinessZone::shanghai();
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(rfc3339(zone.start_of(day)), "2025-12-31T16:00:00Z");
        assert_eq!(rfc3339(zone.end_of(day)), "2026-01-01T16:00:00Z");
    }

    #[test]
    fn months_and_dates_parse_strictly() {
        assert_eq!(YearMonth::parse("2026-02").unwrap().to_string(), "2026-02");
        for bad in [
            "2026-13",
            "2026-2",
            "26-02",
            "2026-02-01",
            "abcd-ef",
            "2026-00",
            "+026-01",
        ] {
            assert!(YearMonth::parse(bad).is_none(), "{bad}");
        }
        assert!(parse_date("2026-02-29").is_none());
        assert!(parse_date("2028-02-29").is_some());
        assert!(parse_date("2026-2-1").is_none());
    }

    #[test]
    fn other_offsets_are_configurable() {
        let utc = BusinessZone::from_offset_minutes(0).unwrap();
        assert_eq!(
            utc.date_of(at("2026-03-01T23:59:59Z")),
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
        );
        assert!(BusinessZone::from_offset_minutes(24 * 60).is_none());
    }
}
