//! Dates for the simulator: the current UTC day, and seconds since the
//! Unix epoch to ISO 8601 and back, with the `time` crate.
//!
//! Parsing takes whatever a client sends (`2024-05-01T10:00:00Z`, with a
//! fraction, with a `+02:00` offset, without seconds or offset, or a date
//! alone) and never panics: anything else is `None`.

use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

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

/// `2024-05-01T10:00:00Z` for seconds since the epoch (years 0-9999).
pub fn format(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// Seconds since the epoch of an ISO 8601 date-time: RFC 3339, or
/// `YYYY-MM-DD` optionally followed by `THH:MM[:SS]` in UTC. None for
/// anything else.
pub fn parse(text: &str) -> Option<f64> {
    let text = text.trim();
    let seconds = |t: OffsetDateTime| t.unix_timestamp() as f64 + f64::from(t.nanosecond()) / 1e9;
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(seconds(t));
    }
    let local = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let no_seconds = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let utc = |t: PrimitiveDateTime| seconds(t.assume_offset(UtcOffset::UTC));
    let bare = text.strip_suffix(['Z', 'z']).unwrap_or(text);
    if let Ok(t) = PrimitiveDateTime::parse(bare, &local).or_else(|_| PrimitiveDateTime::parse(bare, &no_seconds)) {
        return Some(utc(t));
    }
    Date::parse(text, format_description!("[year]-[month]-[day]")).ok().map(|d| utc(d.midnight()))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn known_dates_both_ways() {
        assert_eq!(format(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(parse("2023-11-14T22:13:20Z"), Some(1_700_000_000.0));
        assert_eq!(parse("2023-11-14T22:13:20.500Z"), Some(1_700_000_000.5));
        assert_eq!(parse("2023-11-15T00:13:20+02:00"), Some(1_700_000_000.0));
        assert_eq!(parse("2023-11-14T22:13:20"), Some(1_700_000_000.0));
        assert_eq!(parse("2023-11-14T22:13Z"), Some(1_699_999_980.0));
        assert_eq!(parse("2023-11-14"), Some(1_699_920_000.0));
        assert_eq!(parse("2024-02-29T00:00:00Z"), Some(1_709_164_800.0));
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
