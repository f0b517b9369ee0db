//! What a task may hand back: its records and totals are checked once,
//! when the task ends, so a bad record fails its own target and every
//! writer (table, json, jsonl) only ever sees valid, bounded output.
//!
//! The checks: each record is a JSON object nested at most
//! [`MAX_RECORD_DEPTH`] deep (deeper documents break jq, Python and
//! serde_json's own reader); all records of one task together are at most
//! [`OutputLimits::max_bytes`]; a task reports at most [`MAX_TOTALS`]
//! totals with names of at most [`MAX_TOTAL_NAME`] bytes. Reasons a plugin
//! gives are cut to [`MAX_REASON_BYTES`].

use serde_json::value::RawValue;

use super::bindings::trawl::collector::types as wit;
use super::plugin::{Collection, Reason};

/// Deepest nesting of objects and arrays a record may have.
pub const MAX_RECORD_DEPTH: usize = 64;
/// Most totals one task may report.
pub const MAX_TOTALS: usize = 64;
/// Longest name of a total, in bytes.
pub const MAX_TOTAL_NAME: usize = 128;
/// Longest reason message kept, in bytes (JSON keeps this much; the table
/// shows less).
pub const MAX_REASON_BYTES: usize = 4096;
/// Longest reason code kept, in bytes.
const MAX_REASON_CODE: usize = 128;

/// Bounds on one task's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLimits {
    /// Bytes of record JSON one task may return (`--max-output-per-target`).
    pub max_bytes: usize,
}

impl Default for OutputLimits {
    fn default() -> Self {
        Self { max_bytes: DEFAULT_MAX_OUTPUT }
    }
}

/// Default of [`OutputLimits::max_bytes`]: 8 MiB, hundreds of thousands
/// of typical inventory records.
pub const DEFAULT_MAX_OUTPUT: usize = 8 << 20;

/// Checks a collection as the plugin returned it.
pub fn check(raw: wit::Collection, limits: OutputLimits) -> Result<Collection, Reason> {
    let invalid = |message: String| Reason::new("trawl.InvalidRecord", message);
    let bytes: usize = raw.records.iter().map(String::len).sum();
    if bytes > limits.max_bytes {
        return Err(Reason::new(
            "trawl.OutputTooLarge",
            format!(
                "{} records of {} in all, over the limit of {} per target (--max-output-per-target)",
                raw.records.len(),
                human_bytes(bytes as u64),
                human_bytes(limits.max_bytes as u64)
            ),
        ));
    }
    let mut records = Vec::with_capacity(raw.records.len());
    for (i, text) in raw.records.into_iter().enumerate() {
        if !text.trim_start().starts_with('{') {
            return Err(invalid(format!("record {i} is not a JSON object: {}", cut(&text, 40))));
        }
        if nesting_exceeds(&text, MAX_RECORD_DEPTH) {
            return Err(invalid(format!("record {i} is nested more than {MAX_RECORD_DEPTH} levels deep")));
        }
        match RawValue::from_string(text) {
            Ok(record) => records.push(record),
            Err(e) => return Err(invalid(format!("record {i} is not JSON: {e}"))),
        }
    }
    if raw.totals.len() > MAX_TOTALS {
        return Err(Reason::new(
            "trawl.InvalidTotals",
            format!("{} totals, more than the {MAX_TOTALS} a target may report", raw.totals.len()),
        ));
    }
    if let Some(t) = raw.totals.iter().find(|t| t.name.is_empty() || t.name.len() > MAX_TOTAL_NAME) {
        return Err(Reason::new(
            "trawl.InvalidTotals",
            format!("a total's name must be 1-{MAX_TOTAL_NAME} bytes, got {} bytes", t.name.len()),
        ));
    }
    let totals = raw.totals.into_iter().map(|t| (t.name, t.value)).collect();
    Ok(Collection { records, totals })
}

/// A reason as a plugin gave it, cut to size.
pub fn reason(raw: wit::Reason) -> Reason {
    Reason { code: cut(&raw.code, MAX_REASON_CODE), message: cut(&raw.message, MAX_REASON_BYTES) }
}

/// At most `max` bytes of `s`, cut on a character boundary and saying
/// how long it was when something was dropped.
pub fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} in all)", &s[..end], human_bytes(s.len() as u64))
}

/// True when `json` nests objects and arrays deeper than `max`. A linear
/// scan that skips strings: it runs before any parser that could recurse.
fn nesting_exceeds(json: &str, max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for b in json.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// `1.5 MiB`, `512 B`, `1 TiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collection(records: &[&str], totals: &[(&str, u64)]) -> wit::Collection {
        wit::Collection {
            records: records.iter().map(|r| r.to_string()).collect(),
            totals: totals.iter().map(|(n, v)| wit::Total { name: n.to_string(), value: *v }).collect(),
        }
    }

    fn code(result: Result<Collection, Reason>) -> String {
        result.map(|_| "ok".to_owned()).unwrap_or_else(|r| r.code)
    }

    #[test]
    fn good_records_pass_unchanged() {
        let c = check(collection(&[r#"{"a": [1, {"b": "}]]"}]}"#], &[("total", 3)]), OutputLimits::default()).unwrap();
        assert_eq!(c.records[0].get(), r#"{"a": [1, {"b": "}]]"}]}"#);
        assert_eq!(c.totals, vec![("total".to_owned(), 3)]);
    }

    #[test]
    fn deep_large_or_non_object_records_fail_their_target() {
        let limits = OutputLimits { max_bytes: 1000 };
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        let very_deep = format!("{{\"a\":{}", "[".repeat(100_000));
        assert_eq!(code(check(collection(&[&deep], &[]), limits)), "trawl.InvalidRecord");
        assert_eq!(code(check(collection(&[&very_deep], &[]), OutputLimits::default())), "trawl.InvalidRecord");
        assert_eq!(code(check(collection(&["[1]"], &[]), limits)), "trawl.InvalidRecord");
        assert_eq!(code(check(collection(&["{\"a\":"], &[]), limits)), "trawl.InvalidRecord");
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(1000));
        assert_eq!(code(check(collection(&[&big], &[]), limits)), "trawl.OutputTooLarge");
        // Brackets inside strings do not count as nesting.
        let quoted = format!("{{\"a\":\"{}\"}}", "[".repeat(500));
        assert_eq!(code(check(collection(&[&quoted], &[]), limits)), "ok");
    }

    #[test]
    fn totals_are_bounded() {
        let many: Vec<(String, u64)> = (0..=MAX_TOTALS).map(|i| (format!("t{i}"), 1)).collect();
        let many: Vec<(&str, u64)> = many.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        assert_eq!(code(check(collection(&[], &many), OutputLimits::default())), "trawl.InvalidTotals");
        let long = "n".repeat(MAX_TOTAL_NAME + 1);
        assert_eq!(code(check(collection(&[], &[(&long, 1)]), OutputLimits::default())), "trawl.InvalidTotals");
    }

    #[test]
    fn long_reasons_are_cut_on_a_character_boundary() {
        let r = reason(wit::Reason { code: "E".into(), message: "é".repeat(10_000) });
        assert!(r.message.len() < MAX_REASON_BYTES + 40, "{}", r.message.len());
        assert!(r.message.ends_with("(19.5 KiB in all)"), "{}", &r.message[r.message.len() - 30..]);
        assert_eq!(human_bytes(1 << 40), "1 TiB");
        assert_eq!(human_bytes(512), "512 B");
    }
}
