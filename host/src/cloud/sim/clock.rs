//! Calendar arithmetic for the simulator: UTC days and seconds since the
//! Unix epoch to ISO 8601 and back, without a date crate.
//!
//! Parsing takes whatever a client sends (`2024-05-01T10:00:00Z`, with a
//! fraction, with a `+02:00` offset, or a date alone) and never panics:
//! anything else is `None`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// The current UTC day, as days since 1970-01-01.
pub fn today() -> i64 {
    now().div_euclid(DAY)
}

/// Now, in whole seconds since the epoch.
pub fn now() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `2024-05-01T10:00:00Z` for seconds since the epoch.
pub fn format(secs: i64) -> String {
    let (year, month, day) = civil_from_days(secs.div_euclid(DAY));
    let rest = secs.rem_euclid(DAY);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// Seconds since the epoch of an ISO 8601 date-time: `YYYY-MM-DD`,
/// optionally `THH:MM[:SS[.fff]]` and `Z` or `±HH:MM` (UTC when absent).
/// Years 0-9999 only; None for anything else.
pub fn parse(text: &str) -> Option<f64> {
    let text = text.trim();
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let month = u32::try_from(month).ok().filter(|m| (1..=12).contains(m))?;
    let day = u32::try_from(day).ok().filter(|d| (1..=days_in_month(year, month)).contains(d))?;
    let mut secs = days_from_civil(year, month, day) * DAY;
    let mut rest = &text[10..];
    let mut fraction = 0.0;
    if let Some(time) = rest.strip_prefix(['T', 't', ' ']) {
        let t = time.as_bytes();
        let hour = digits_in(t, 0..2)?;
        if t.get(2) != Some(&b':') {
            return None;
        }
        let minute = digits_in(t, 3..5)?;
        let mut used = 5;
        let mut second = 0;
        if t.get(5) == Some(&b':') {
            second = digits_in(t, 6..8)?;
            used = 8;
            if t.get(8) == Some(&b'.') {
                let count = t[9..].iter().take_while(|c| c.is_ascii_digit()).count();
                if count == 0 {
                    return None;
                }
                fraction = time.get(8..9 + count)?.parse().ok()?;
                used = 9 + count;
            }
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        secs += hour * 3600 + minute * 60 + second;
        rest = time.get(used..)?;
    } else if !rest.is_empty() {
        return None;
    }
    match rest {
        "" | "Z" | "z" => {}
        offset => {
            let o = offset.as_bytes();
            let sign = match o.first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let (hours, minutes) = match o.len() {
                6 if o[3] == b':' => (digits_in(o, 1..3)?, digits_in(o, 4..6)?),
                5 => (digits_in(o, 1..3)?, digits_in(o, 3..5)?),
                3 => (digits_in(o, 1..3)?, 0),
                _ => return None,
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            secs -= sign * (hours * 3600 + minutes * 60);
        }
    }
    Some(secs as f64 + fraction)
}

/// The number in `b[range]` when it is all ASCII digits.
fn digits_in(b: &[u8], range: std::ops::Range<usize>) -> Option<i64> {
    let part = b.get(range)?;
    if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    part.iter().try_fold(0i64, |n, d| n.checked_mul(10)?.checked_add(i64::from(d - b'0')))
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn known_dates_both_ways() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(format(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(parse("2023-11-14T22:13:20Z"), Some(1_700_000_000.0));
        assert_eq!(parse("2023-11-14T22:13:20.500Z"), Some(1_700_000_000.5));
        assert_eq!(parse("2023-11-15T00:13:20+02:00"), Some(1_700_000_000.0));
        assert_eq!(parse("2023-11-14T22:13:20"), Some(1_700_000_000.0));
        assert_eq!(parse("2023-11-14T22:13Z"), Some(1_699_999_980.0));
        assert_eq!(parse("2023-11-14"), Some(1_699_920_000.0));
        assert_eq!(parse("2024-02-29T00:00:00Z"), Some(days_from_civil(2024, 2, 29) as f64 * DAY as f64));
        for bad in [
            "",
            "2023",
            "2023-02-29T00:00:00Z",
            "2023-13-01",
            "2023-11-14T25:00:00Z",
            "2023-11-14T22:13:20.Z",
            "2023-11-14T22:13:20+2",
            "2023-11-14X",
            "२०२३-11-14",
            "2023-11-14T22:13:20Zjunk",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn days_round_trip(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        #[test]
        fn formatted_times_parse_back(secs in 0i64..253_402_300_799) {
            prop_assert_eq!(parse(&format(secs)), Some(secs as f64));
        }

        #[test]
        fn parsing_anything_never_panics(text in "\\PC{0,40}", near in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9:.+Zz-]{0,16}") {
            let _ = parse(&text);
            let _ = parse(&near);
        }
    }
}
