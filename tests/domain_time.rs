//! The hand-written `YYYY-MM-DD` formatter and parser of domain::time (written so chrono's
//! strftime machinery is not linked into the wasm) against chrono's own `%Y-%m-%d`, natively:
//! edge dates, leap days, every day of a 400-year cycle, and seeded random dates and strings.
//! The one difference: chrono skips a space or takes a sign before a number; parse_date
//! wants exactly `YYYY-MM-DD` digits (as its doc and API.md say).

use chrono::{Datelike, NaiveDate};
use pharmedge::domain::time::{date_key, parse_date, BusinessDate};

/// xorshift64*: a fixed seed, so a failure reproduces.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

fn chrono_key(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn chrono_parse(raw: &str) -> Option<NaiveDate> {
    // The length and dash check parse_date has always made before asking chrono.
    let bytes = raw.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

#[test]
fn edge_dates_and_leap_days_format_and_parse_like_chrono() {
    let dates = [
        ymd(0, 1, 1),
        ymd(1, 1, 1),
        ymd(999, 12, 31),
        ymd(1970, 1, 1),
        ymd(1900, 2, 28),
        ymd(2000, 2, 29),
        ymd(2024, 2, 29),
        ymd(2026, 12, 31),
        ymd(9999, 12, 31),
        ymd(10000, 1, 1),
        ymd(-1, 12, 31),
        NaiveDate::MIN,
        NaiveDate::MAX,
    ];
    for date in dates {
        let key = date_key(date);
        assert_eq!(key, chrono_key(date), "{date:?}");
        assert_eq!(parse_date(&key), chrono_parse(&key), "{key}");
        if (0..=9999).contains(&date.year()) {
            assert_eq!(parse_date(&key), Some(date), "{key}");
        }
    }
    assert_eq!(date_key(ymd(2028, 2, 29)), "2028-02-29");
    assert_eq!(parse_date("2028-02-29"), Some(ymd(2028, 2, 29)));
    for not_a_day in [
        "2026-02-29",
        "1900-02-29",
        "2100-02-29",
        "2026-04-31",
        "2026-13-01",
    ] {
        assert_eq!(parse_date(not_a_day), None, "{not_a_day}");
    }
    assert_eq!(parse_date("2000-02-29"), Some(ymd(2000, 2, 29)));
}

#[test]
fn every_day_of_a_400_year_cycle_round_trips() {
    let mut date = ymd(1900, 1, 1);
    let end = ymd(2300, 1, 1);
    let mut days = 0;
    while date < end {
        let key = date_key(date);
        assert_eq!(key, chrono_key(date));
        assert_eq!(parse_date(&key), Some(date), "{key}");
        date = date.succ_opt().unwrap();
        days += 1;
    }
    assert_eq!(days, 146_097, "400 Gregorian years");
}

#[test]
fn seeded_strings_parse_exactly_when_chrono_parses_them() {
    let mut random = Seeded(0x9E37_79B9_7F4A_7C15);
    // Bytes a date is made of, and the ones a sloppy one might carry instead.
    let alphabet = b"0123456789-0123456789-+ :T/.a\xC3";
    let mut accepted = 0;
    let mut sloppy = 0;
    for _ in 0..200_000 {
        let mut bytes: Vec<u8> = format!(
            "{:04}-{:02}-{:02}",
            random.below(10_000),
            random.below(14),
            random.below(33)
        )
        .into_bytes();
        // Up to three mutations: a byte replaced, dropped or inserted.
        for _ in 0..random.below(4) {
            let at = random.below(bytes.len() as u64 + 1) as usize;
            let byte = alphabet[random.below(alphabet.len() as u64) as usize];
            match random.below(3) {
                0 if at < bytes.len() => bytes[at] = byte,
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, byte),
            }
        }
        let Ok(raw) = String::from_utf8(bytes) else {
            continue;
        };
        let parsed = parse_date(&raw);
        let by_chrono = chrono_parse(&raw);
        if parsed.is_none() && by_chrono.is_some() {
            // chrono's parser is padding-agnostic (" 551-02-22", "+551-02-22", "-551-02-22"); exactly
            // four, two and two digits are the business date's form, so those are refused.
            let digits = [0, 1, 2, 3, 5, 6, 8, 9].map(|at| raw.as_bytes()[at]);
            assert!(!digits.iter().all(u8::is_ascii_digit), "{raw:?}");
            sloppy += 1;
            continue;
        }
        assert_eq!(parsed, by_chrono, "{raw:?}");
        if let Some(date) = parsed {
            accepted += 1;
            assert_eq!(date_key(date), raw, "a parsed date writes back as given");
        }
    }
    assert!(
        accepted > 30_000,
        "the corpus holds valid dates too: {accepted}"
    );
    assert!(
        sloppy < accepted / 100,
        "refused where chrono accepts: {sloppy} of {accepted}"
    );
}

#[test]
fn seeded_dates_across_chronos_range_format_like_chrono() {
    let mut random = Seeded(0xD1B5_4A32_D192_ED03);
    let span = i64::from(NaiveDate::MAX.num_days_from_ce() - NaiveDate::MIN.num_days_from_ce());
    for _ in 0..100_000 {
        let days = NaiveDate::MIN.num_days_from_ce() as i64 + random.below(span as u64) as i64;
        let date = NaiveDate::from_num_days_from_ce_opt(days as i32).unwrap();
        assert_eq!(date_key(date), chrono_key(date), "{date:?}");
    }
}

#[test]
fn business_dates_serialize_and_deserialize_as_yyyy_mm_dd() {
    let date = BusinessDate(ymd(2024, 2, 29));
    let text = serde_json::to_string(&date).unwrap();
    assert_eq!(text, "\"2024-02-29\"");
    assert_eq!(serde_json::from_str::<BusinessDate>(&text).unwrap(), date);
    let refused = serde_json::from_str::<BusinessDate>("\"2023-02-29\"").unwrap_err();
    assert!(
        refused.to_string().contains("is not a YYYY-MM-DD date"),
        "{refused}"
    );
}
