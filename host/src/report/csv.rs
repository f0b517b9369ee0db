//! CSV (RFC 4180, via the `csv` crate): one row per record, and the
//! per-target summary. Nested values are written as compact JSON.

use std::io::Write;

use super::Report;
use super::columns::{cells, record_columns};

/// Writes the records of a run: one plugin's columns, or with several
/// plugins a `plugin` column first and every plugin's columns after it.
pub fn write_records(out: impl Write, reports: &[Report]) -> csv::Result<()> {
    let per_plugin: Vec<Vec<String>> = reports.iter().map(record_columns).collect();
    write_records_in(out, reports, &per_plugin)
}

/// [`write_records`] with each report's columns already known.
pub fn write_records_in(out: impl Write, reports: &[Report], per_plugin: &[Vec<String>]) -> csv::Result<()> {
    let several = reports.len() > 1;
    let mut header: Vec<String> = Vec::new();
    if several {
        header.push("plugin".into());
    }
    // With several plugins a record's own `plugin` field is shadowed by
    // the plugin column, as `account_id` is by the target's.
    for column in per_plugin.iter().flatten().filter(|c| !(several && *c == "plugin")) {
        if !header.contains(column) {
            header.push(column.clone());
        }
    }
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(&header)?;
    let mut row: Vec<std::borrow::Cow<str>> = Vec::with_capacity(header.len());
    for (report, columns) in reports.iter().zip(per_plugin) {
        // Where each of this plugin's columns sits in the header.
        let at: Vec<Option<usize>> = columns
            .iter()
            .map(|c| if several && c == "plugin" { None } else { header.iter().position(|h| h == c) })
            .collect();
        for result in &report.results {
            for record in &result.records {
                row.clear();
                row.resize(header.len(), "".into());
                if several {
                    row[0] = report.plugin.name.as_str().into();
                }
                let values =
                    cells(&result.target, record, columns).map_err(|e| csv::Error::from(std::io::Error::from(e)))?;
                for (value, i) in values.into_iter().zip(&at) {
                    if let Some(i) = *i {
                        row[i] = value.text();
                    }
                }
                writer.write_record(row.iter().map(|cell| cell.as_bytes()))?;
            }
        }
    }
    writer.flush()?;
    Ok(())
}

/// Writes one row per target: plugin, account, region, status, records,
/// error code and message, elapsed, then each total by name.
pub fn write_summary(out: impl Write, reports: &[Report]) -> csv::Result<()> {
    let mut totals: Vec<&str> = Vec::new();
    for (name, _) in reports.iter().flat_map(|r| &r.results).flat_map(|r| &r.totals) {
        if !totals.contains(&name.as_str()) {
            totals.push(name);
        }
    }
    let mut writer = csv::Writer::from_writer(out);
    let fixed = ["plugin", "account_id", "account_name", "region", "status", "records", "error_code", "error_message"];
    writer.write_record(fixed.iter().copied().chain(["elapsed_ms"]).chain(totals.iter().copied()))?;
    for report in reports {
        for r in &report.results {
            let status =
                serde_json::to_value(r.status).ok().and_then(|s| s.as_str().map(str::to_owned)).unwrap_or_default();
            let mut row = vec![
                report.plugin.name.clone(),
                r.target.account_id.clone(),
                r.target.account_name.clone(),
                r.target.region.clone(),
                status,
                r.record_count.to_string(),
                r.error.as_ref().map(|e| e.code.clone()).unwrap_or_default(),
                r.error.as_ref().map(|e| e.message.clone()).unwrap_or_default(),
                r.elapsed.as_millis().to_string(),
            ];
            for name in &totals {
                row.push(r.totals.iter().find(|(n, _)| n == name).map(|(_, v)| v.to_string()).unwrap_or_default());
            }
            writer.write_record(&row)?;
        }
    }
    writer.flush()?;
    Ok(())
}
