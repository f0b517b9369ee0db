//! The human report: records under the plugin's columns, every target's
//! status, and a summary line.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde_json::Value;

use super::Report;
use super::terminal::{MAX_CELL, clip, printable};

/// Most characters of an error message the status table shows (JSON has
/// the message).
const MAX_ERROR_CELL: usize = 160;

/// Renders the report as text tables.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let columns = &report.plugin.columns;
    if report.results.iter().any(|r| !r.records.is_empty()) {
        let mut records = table(
            ["account".to_owned(), "region".to_owned()].into_iter().chain(columns.iter().map(|c| clip(c, MAX_CELL))),
        );
        for r in &report.results {
            for rec in &r.records {
                let rec: serde_json::Map<String, Value> = serde_json::from_str(rec.get()).unwrap_or_default();
                let cells = [clip(&r.target.account_name, MAX_CELL), clip(&r.target.region, MAX_CELL)]
                    .into_iter()
                    .chain(columns.iter().map(|c| cell(rec.get(c))));
                records.add_row(cells.collect::<Vec<_>>());
            }
        }
        out.push_str(&records.to_string());
        out.push('\n');
    }

    let summary = report.summary();
    let total_names: Vec<&String> = summary.totals.keys().collect();
    let header = ["account", "region", "status", "records"]
        .into_iter()
        .map(str::to_owned)
        .chain(total_names.iter().map(|n| clip(n, MAX_CELL)))
        .chain(["error".to_owned()]);
    let mut targets = table(header);
    for r in &report.results {
        let totals = total_names
            .iter()
            .map(|n| r.totals.iter().find(|(name, _)| name == *n).map_or_else(String::new, |(_, v)| v.to_string()));
        let error =
            r.error.as_ref().map_or_else(String::new, |e| clip(&format!("{}: {}", e.code, e.message), MAX_ERROR_CELL));
        let status =
            serde_json::to_value(r.status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let row = [
            clip(&format!("{} ({})", r.target.account_name, r.target.account_id), MAX_CELL),
            clip(&r.target.region, MAX_CELL),
            status,
            r.record_count.to_string(),
        ]
        .into_iter()
        .chain(totals)
        .chain([error]);
        targets.add_row(row.collect::<Vec<_>>());
    }
    out.push_str(&targets.to_string());
    out.push('\n');

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
        out.push_str(&format!("  {} x{}: {}\n", clip(&group.code, MAX_CELL), group.count, group.targets.join(", ")));
    }
    out
}

fn table<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.into_iter().map(Into::into).collect::<Vec<String>>());
    t
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => clip(s, MAX_CELL),
        Some(other) => clip(&other.to_string(), MAX_CELL),
    }
}
