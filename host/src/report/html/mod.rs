//! `report.html`: one self-contained page (no network; it works from
//! disk) with the run's summary, totals per account and per region as
//! charts, a heat map account x region, the error summary and sortable,
//! filterable records and targets tables. The data is embedded once,
//! compactly (column names once, rows as arrays), and the page's own
//! script draws it; records are streamed into the file, never held twice.

use std::io::{self, Write};

use serde::ser::{Error as _, Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use super::columns::{Cell, cells, record_columns};
use super::{Report, Summary};

/// The page; the data replaces [`DATA_MARKER`].
const TEMPLATE: &str = include_str!("report.html");
/// Where the data goes, inside `<script type="application/json">`.
const DATA_MARKER: &str = "/*TRAWL_DATA*/null";

/// Writes the page for a run. `generated` is when (RFC 3339).
pub fn write(out: &mut impl Write, reports: &[Report], run: &Value, generated: &str) -> io::Result<()> {
    let columns: Vec<Vec<String>> = reports.iter().map(record_columns).collect();
    write_in(out, reports, &columns, run, generated)
}

/// [`write()`] with each report's record columns already known.
pub fn write_in(
    out: &mut impl Write,
    reports: &[Report],
    columns: &[Vec<String>],
    run: &Value,
    generated: &str,
) -> io::Result<()> {
    let (head, tail) = TEMPLATE.split_once(DATA_MARKER).expect("the template has the data marker");
    out.write_all(head.as_bytes())?;
    let data = Data { generated, run, reports, columns };
    serde_json::to_writer(ScriptSafe(&mut *out), &data)?;
    out.write_all(tail.as_bytes())?;
    out.flush()
}

/// The page's data (see the contract at the top of `report.html`).
struct Data<'a> {
    generated: &'a str,
    run: &'a Value,
    reports: &'a [Report],
    columns: &'a [Vec<String>],
}

impl Serialize for Data<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("title", "trawl report")?;
        map.serialize_entry("generated", self.generated)?;
        map.serialize_entry("run", self.run)?;
        map.serialize_entry("plugins", &Plugins(self.reports, self.columns))?;
        map.end()
    }
}

struct Plugins<'a>(&'a [Report], &'a [Vec<String>]);

impl Serialize for Plugins<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (report, columns) in self.0.iter().zip(self.1) {
            seq.serialize_element(&PluginData::new(report, columns))?;
        }
        seq.end()
    }
}

struct PluginData<'a> {
    report: &'a Report,
    columns: &'a [String],
    summary: Summary,
    /// Totals in the plugin's order (the first is charted).
    total_names: Vec<&'a str>,
}

impl<'a> PluginData<'a> {
    fn new(report: &'a Report, columns: &'a [String]) -> Self {
        let mut total_names: Vec<&str> = Vec::new();
        for (name, _) in report.results.iter().flat_map(|r| &r.totals) {
            if !total_names.contains(&name.as_str()) {
                total_names.push(name);
            }
        }
        Self { report, columns, summary: report.summary(), total_names }
    }
}

impl Serialize for PluginData<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let report = self.report;
        let mut map = s.serialize_map(Some(7))?;
        map.serialize_entry("name", &report.plugin.name)?;
        map.serialize_entry("version", &report.plugin.version)?;
        map.serialize_entry("summary", &self.summary)?;
        map.serialize_entry("main_total", &self.total_names.first())?;
        map.serialize_entry("errors", &report.errors())?;
        map.serialize_entry("targets", &TargetRows(self))?;
        let columns = self.columns;
        map.serialize_entry("records", &Table { columns, rows: RecordRows { report, columns } })?;
        map.end()
    }
}

#[derive(serde::Serialize)]
struct Table<'a, R: Serialize> {
    columns: &'a [String],
    rows: R,
}

struct TargetRows<'a>(&'a PluginData<'a>);

impl Serialize for TargetRows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fixed =
            ["account_id", "account_name", "region", "status", "records", "error_code", "error_message", "elapsed_ms"];
        let columns: Vec<String> =
            fixed.iter().map(|c| c.to_string()).chain(self.0.total_names.iter().map(|n| n.to_string())).collect();
        let rows: Vec<Value> = self
            .0
            .report
            .results
            .iter()
            .map(|r| {
                let mut row = vec![
                    Value::from(r.target.account_id.as_str()),
                    Value::from(r.target.account_name.as_str()),
                    Value::from(r.target.region.as_str()),
                    serde_json::to_value(r.status).unwrap_or_default(),
                    Value::from(r.record_count),
                    r.error.as_ref().map_or(Value::Null, |e| Value::from(e.code.as_str())),
                    r.error.as_ref().map_or(Value::Null, |e| Value::from(e.message.as_str())),
                    Value::from(r.elapsed.as_millis() as u64),
                ];
                for name in &self.0.total_names {
                    row.push(r.totals.iter().find(|(n, _)| n == name).map_or(Value::Null, |(_, v)| Value::from(*v)));
                }
                Value::Array(row)
            })
            .collect();
        Table { columns: &columns, rows }.serialize(s)
    }
}

/// Each record as an array of cells, parsed one at a time as written;
/// nested values become compact JSON text (the table shows them as is).
struct RecordRows<'a> {
    report: &'a Report,
    columns: &'a [String],
}

impl Serialize for RecordRows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for result in &self.report.results {
            for record in &result.records {
                let row = cells(&result.target, record, self.columns).map_err(S::Error::custom)?;
                seq.serialize_element(&Row(&row))?;
            }
        }
        seq.end()
    }
}

/// A record's cells: scalars as the plugin wrote them, nested values as
/// their JSON text (the table shows them as is), missing ones as null.
struct Row<'a>(&'a [Cell<'a>]);

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for cell in self.0 {
            match cell {
                Cell::Text(text) => seq.serialize_element(text)?,
                Cell::Json(raw) if cell.is_nested() => seq.serialize_element(raw.get())?,
                Cell::Json(raw) => seq.serialize_element(raw)?,
                Cell::Missing => seq.serialize_element(&())?,
            }
        }
        seq.end()
    }
}

/// JSON that is safe inside a `<script>` element: `<` is written as
/// `\u003c` (it only occurs inside strings), so no record can close the
/// element or open another.
struct ScriptSafe<W>(W);

impl<W: Write> Write for ScriptSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(at) = rest.iter().position(|&b| b == b'<') {
            self.0.write_all(&rest[..at])?;
            self.0.write_all(b"\\u003c")?;
            rest = &rest[at + 1..];
        }
        self.0.write_all(rest)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_record_can_close_the_script_element() {
        let mut out = Vec::new();
        ScriptSafe(&mut out).write_all(br#"{"a":"</script><img src=x onerror=alert(1)>"}"#).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('<'), "{text}");
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["a"], "</script><img src=x onerror=alert(1)>");
    }
}
