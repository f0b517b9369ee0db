//! The human report: records under the plugin's columns, the targets that
//! did not succeed, and a summary line. Tables fit the width they are
//! given (a terminal's): each row stays one line, cut with an ellipsis,
//! never wrapped. Record cells that are a severity (`CRITICAL`, `FAILED`,
//! `ERROR` red; `WARNING` yellow) are coloured when stdout is a terminal
//! and `NO_COLOR` is unset, through comfy-table's cell colours, so widths
//! are measured on the text and not on escape codes.

use std::io::IsTerminal;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ContentArrangement, Row, Table};
use serde_json::Value;

use super::terminal::{MAX_CELL, clip, printable};
use super::{Report, Status};

/// Most characters of an error message the status table shows (JSON has
/// the message).
const MAX_ERROR_CELL: usize = 160;
/// Most targets the status table lists; the rest are counted.
pub const MAX_STATUS_ROWS: usize = 50;
/// Below this width the records table names accounts without their ids.
const WIDE: u16 = 120;

/// Renders the report as text tables at most `width` columns wide (None:
/// as wide as the content), severities coloured when [`colour_wanted`].
pub fn render(report: &Report, width: Option<u16>) -> String {
    render_with(report, width, colour_wanted())
}

/// True when tables may colour cells: stdout is a terminal and `NO_COLOR`
/// is unset or empty (<https://no-color.org>), as for the logs.
pub fn colour_wanted() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// [`render`] with the colour decision given: `colour` false is plain text
/// whatever stdout is.
pub fn render_with(report: &Report, width: Option<u16>, colour: bool) -> String {
    let mut out = String::new();
    let columns = &report.plugin.columns;
    let wide = width.is_none_or(|w| w >= WIDE);
    if report.results.iter().any(|r| !r.records.is_empty()) {
        let header =
            ["account".to_owned(), "region".to_owned()].into_iter().chain(columns.iter().map(|c| clip(c, MAX_CELL)));
        let mut records = table(header, width);
        if colour {
            // Decided above (terminal, NO_COLOR); comfy-table would only
            // check for a terminal.
            records.enforce_styling();
        }
        for r in &report.results {
            let account = if wide {
                format!("{} ({})", r.target.account_name, r.target.account_id)
            } else {
                r.target.account_name.clone()
            };
            for rec in &r.records {
                let rec: serde_json::Map<String, Value> = serde_json::from_str(rec.get()).unwrap_or_default();
                let place = [clip(&account, MAX_CELL), clip(&r.target.region, MAX_CELL)].map(Cell::new);
                let values = columns.iter().map(|c| {
                    let value = rec.get(c);
                    match severity(value).filter(|_| colour) {
                        Some(colour) => Cell::new(cell(value)).fg(colour),
                        None => Cell::new(cell(value)),
                    }
                });
                records.add_row(one_line_cells(place.into_iter().chain(values)));
            }
        }
        out.push_str(&records.to_string());
        out.push('\n');
    }

    let summary = report.summary();
    let not_succeeded: Vec<_> = report.results.iter().filter(|r| r.status != Status::Succeeded).collect();
    if !not_succeeded.is_empty() {
        let header = ["account", "region", "status"].into_iter().map(str::to_owned).chain(["error".to_owned()]);
        let mut targets = table(header, width);
        for r in not_succeeded.iter().take(MAX_STATUS_ROWS) {
            let error = r.error.as_ref().map_or_else(String::new, |e| {
                clip(&format!("{}: {}", e.code, without_request_id(&e.message)), MAX_ERROR_CELL)
            });
            let status =
                serde_json::to_value(r.status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            let row = [
                clip(&format!("{} ({})", r.target.account_name, r.target.account_id), MAX_CELL),
                clip(&r.target.region, MAX_CELL),
                status,
                error,
            ];
            targets.add_row(one_line(row));
        }
        out.push_str(&targets.to_string());
        out.push('\n');
        if not_succeeded.len() > MAX_STATUS_ROWS {
            out.push_str(&format!(
                "… and {} more not listed (the JSON output has every target)\n",
                thousands(not_succeeded.len() - MAX_STATUS_ROWS)
            ));
        }
    }
    let totals: Vec<String> = summary
        .totals
        .iter()
        .map(|(k, v)| {
            let saturated = if summary.saturated.contains(k) { " (saturated: the sum passed u64::MAX)" } else { "" };
            format!("{} {v}{saturated}", clip(k, MAX_CELL))
        })
        .collect();
    out.push_str(&format!(
        "{} {}: {} targets: {} succeeded, {} skipped, {} failed, {} timed out{}; {} records{} in {} ms\n",
        printable(&report.plugin.name),
        clip(&report.plugin.version, MAX_CELL),
        summary.total,
        summary.succeeded,
        summary.skipped,
        summary.failed,
        summary.timed_out,
        if summary.cancelled > 0 { format!(", {} cancelled", summary.cancelled) } else { String::new() },
        summary.records,
        if totals.is_empty() { String::new() } else { format!(" ({})", totals.join(", ")) },
        summary.elapsed_ms
    ));
    for group in report.errors() {
        let shown: Vec<&str> = group.targets.iter().take(MAX_GROUP_TARGETS).map(String::as_str).collect();
        let more = group.count.saturating_sub(shown.len());
        let more = if more > 0 { format!(" … and {} more", thousands(more)) } else { String::new() };
        out.push_str(&format!("  {} x{}: {}{more}\n", clip(&group.code, MAX_CELL), group.count, shown.join(", ")));
    }
    out
}

/// The width tables get: the terminal's when stdout is one, else
/// `COLUMNS` when set, else none (a file gets whole rows). A terminal that
/// reports no size (0 columns: a pty nobody sized, as `script` or a CI
/// runner makes) counts as unknown, not as zero columns wide.
pub fn output_width() -> Option<u16> {
    Table::new()
        .width()
        .filter(|&w| w > 0)
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok().filter(|&w: &u16| w > 0))
}

/// Targets named per error code in the summary; the rest are counted.
const MAX_GROUP_TARGETS: usize = 5;

fn table<S: Into<String>>(header: impl IntoIterator<Item = S>, width: Option<u16>) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_truncation_indicator("…");
    match width {
        Some(w) => {
            t.set_content_arrangement(ContentArrangement::Dynamic).set_width(w);
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    t.set_header(one_line(header.into_iter().map(Into::into)));
    t
}

/// A row that never wraps: what does not fit is cut with an ellipsis.
fn one_line(cells: impl IntoIterator<Item = String>) -> Row {
    one_line_cells(cells.into_iter().map(Cell::new))
}

fn one_line_cells(cells: impl IntoIterator<Item = Cell>) -> Row {
    let mut row = Row::from(cells.into_iter().collect::<Vec<Cell>>());
    row.max_height(1);
    row
}

/// The colour of a record value that is, as a whole, a severity:
/// `CRITICAL`, `FAILED` or `ERROR` red, `WARNING` yellow; None otherwise.
fn severity(value: Option<&Value>) -> Option<Color> {
    match value?.as_str()? {
        "CRITICAL" | "FAILED" | "ERROR" => Some(Color::Red),
        "WARNING" => Some(Color::Yellow),
        _ => None,
    }
}

/// An AWS message without the request id the SDK appends: useful in the
/// JSON, noise in a table cell.
fn without_request_id(message: &str) -> &str {
    match message.rfind(" (request id ") {
        Some(at) if message.ends_with(')') => &message[..at],
        _ => message,
    }
}

/// `1092` as `1,092`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => clip(s, MAX_CELL),
        Some(other) => clip(&other.to_string(), MAX_CELL),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::report::TargetResult;
    use crate::runtime::{Collection, PluginInfo, Scope, TaskOutcome};
    use crate::targets::Target;

    /// A quotas-like report: one record per status, and a status cell that
    /// only contains a severity word.
    fn quotas() -> Report {
        let info = PluginInfo {
            name: "quotas".into(),
            version: "0.1.0".into(),
            description: String::new(),
            scope: Scope::Regional,
            home_region: "us-east-1".into(),
            permissions: vec![],
            columns: vec!["quota_code".into(), "status".into(), "quota_name".into()],
            key: vec![],
            settings: vec![],
        };
        let records = [
            ("L-1", "CRITICAL", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"),
            ("L-2", "WARNING", "All Standard Spot Instance Requests"),
            ("L-3", "OK", "P instances"),
            ("L-4", "UNKNOWN", "G and VT instances"),
            ("L-5", "FAILED", "x"),
            ("L-6", "ERROR", "y"),
            ("L-7", "NOT CRITICAL", "z"),
        ]
        .iter()
        .map(|(code, status, name)| {
            serde_json::value::to_raw_value(&json!({"quota_code": code, "status": status, "quota_name": name})).unwrap()
        })
        .collect();
        let target =
            Target { account_id: "111111111111".into(), account_name: "management".into(), region: "us-east-1".into() };
        let outcome = TaskOutcome::Succeeded(Collection { records, totals: vec![] });
        let result = TargetResult::from_outcome(target, outcome, Duration::from_millis(3));
        Report::new(info, vec![result], Duration::from_millis(5))
    }

    /// The line of the records table holding `code`.
    fn line<'a>(text: &'a str, code: &str) -> &'a str {
        text.lines().find(|l| l.contains(code)).unwrap_or_else(|| panic!("no {code} in\n{text}"))
    }

    /// Display width of a line: without escape sequences, in characters.
    fn shown_width(line: &str) -> usize {
        let mut width = 0;
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                // CSI: ESC [ parameters final-byte.
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                width += 1;
            }
        }
        width
    }

    #[test]
    fn severities_are_red_and_yellow_only_with_colour() {
        let report = quotas();
        for width in [None, Some(60), Some(80), Some(120)] {
            let coloured = render_with(&report, width, true);
            let red = ["\x1b[38;5;9m", "\x1b[38;5;1m", "\x1b[31m", "\x1b[91m"];
            let yellow = ["\x1b[38;5;11m", "\x1b[38;5;3m", "\x1b[33m", "\x1b[93m"];
            let has = |l: &str, codes: &[&str]| codes.iter().any(|c| l.contains(c));
            for code in ["L-1", "L-5", "L-6"] {
                assert!(has(line(&coloured, code), &red), "{width:?} {code} red:\n{coloured:?}");
            }
            assert!(has(line(&coloured, "L-2"), &yellow), "{width:?}: {coloured:?}");
            for code in ["L-3", "L-4", "L-7"] {
                assert!(!line(&coloured, code).contains('\x1b'), "{width:?} {code} plain: {coloured:?}");
            }
            // The header, the place columns and the summary stay plain.
            assert!(!coloured.lines().next().unwrap().contains('\x1b'));
            assert!(!line(&coloured, "quotas 0.1.0").contains('\x1b'));

            // Without colour: not one escape, and the same text.
            let plain = render_with(&report, width, false);
            assert!(!plain.contains('\x1b'), "{plain}");
            // Colour changes no width: every line is as wide as uncoloured.
            let widths = |text: &str| text.lines().map(shown_width).collect::<Vec<_>>();
            assert_eq!(widths(&coloured), widths(&plain), "{width:?}\n{coloured}\n{plain}");
            if let Some(w) = width {
                let table_lines = coloured.lines().filter(|l| l.starts_with(['┌', '│', '╞', '└']));
                assert!(table_lines.map(shown_width).all(|n| n <= usize::from(w)), "{coloured}");
            }
        }
    }

    #[test]
    fn cut_severities_keep_their_colour_and_the_ellipsis() {
        // So narrow that CRITICAL itself is cut: the cut cell is still red,
        // and the escape codes wrap the ellipsis too.
        let text = render_with(&quotas(), Some(40), true);
        let row = line(&text, "L-1");
        assert!(row.contains('\x1b') && row.contains('…'), "{text}");
        assert_eq!(shown_width(row), shown_width(line(&render_with(&quotas(), Some(40), false), "L-1")));
    }

    #[test]
    fn request_ids_and_large_counts_read_well() {
        assert_eq!(without_request_id("denied by an SCP (request id 2e0e-f9)"), "denied by an SCP");
        assert_eq!(without_request_id("no id here"), "no id here");
        assert_eq!(thousands(1092), "1,092");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
