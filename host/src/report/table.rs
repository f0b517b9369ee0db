//! The human report: records under the plugin's columns, the targets that
//! did not succeed, and a summary line. Tables fit the width they are
//! given (a terminal's): each row stays one line, cut with an ellipsis,
//! never wrapped.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Row, Table};
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
/// as wide as the content).
pub fn render(report: &Report, width: Option<u16>) -> String {
    let mut out = String::new();
    let columns = &report.plugin.columns;
    let wide = width.is_none_or(|w| w >= WIDE);
    if report.results.iter().any(|r| !r.records.is_empty()) {
        let header =
            ["account".to_owned(), "region".to_owned()].into_iter().chain(columns.iter().map(|c| clip(c, MAX_CELL)));
        let mut records = table(header, width);
        for r in &report.results {
            let account = if wide {
                format!("{} ({})", r.target.account_name, r.target.account_id)
            } else {
                r.target.account_name.clone()
            };
            for rec in &r.records {
                let rec: serde_json::Map<String, Value> = serde_json::from_str(rec.get()).unwrap_or_default();
                let cells = [clip(&account, MAX_CELL), clip(&r.target.region, MAX_CELL)]
                    .into_iter()
                    .chain(columns.iter().map(|c| cell(rec.get(c))));
                records.add_row(one_line(cells));
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
/// `COLUMNS` when set, else none (a file gets whole rows).
pub fn output_width() -> Option<u16> {
    Table::new().width().or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
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
    let mut row = Row::from(cells.into_iter().collect::<Vec<String>>());
    row.max_height(1);
    row
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
    use super::*;

    #[test]
    fn request_ids_and_large_counts_read_well() {
        assert_eq!(without_request_id("denied by an SCP (request id 2e0e-f9)"), "denied by an SCP");
        assert_eq!(without_request_id("no id here"), "no id here");
        assert_eq!(thousands(1092), "1,092");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
