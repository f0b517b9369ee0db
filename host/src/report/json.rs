//! The JSON document: plugin, summary, sorted results, error summary.
//! Written through borrowed views, so records go out as the text the
//! plugins produced and no second copy of the run is built.

use std::io::{self, Write};

use serde::ser::{Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

use super::{ErrorGroup, Report, Status, Summary, TargetResult};
use crate::runtime::Reason;

#[derive(serde::Serialize)]
struct Document<'a> {
    plugin: PluginRef<'a>,
    summary: Summary,
    results: Vec<ResultView<'a>>,
    errors: Vec<ErrorGroup>,
}

#[derive(serde::Serialize)]
struct PluginRef<'a> {
    name: &'a str,
    version: &'a str,
}

#[derive(serde::Serialize)]
struct ResultView<'a> {
    account_id: &'a str,
    account_name: &'a str,
    region: &'a str,
    status: Status,
    records: &'a [Box<RawValue>],
    totals: Totals<'a>,
    error: Option<&'a Reason>,
    elapsed_ms: u64,
}

/// Per-target totals as a JSON object, in the plugin's order.
struct Totals<'a>(&'a [(String, u64)]);

impl Serialize for Totals<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

fn view(report: &Report) -> Document<'_> {
    Document {
        plugin: PluginRef { name: &report.plugin.name, version: &report.plugin.version },
        summary: report.summary(),
        results: report.results.iter().map(result).collect(),
        errors: report.errors(),
    }
}

fn result(r: &TargetResult) -> ResultView<'_> {
    ResultView {
        account_id: &r.target.account_id,
        account_name: &r.target.account_name,
        region: &r.target.region,
        status: r.status,
        records: &r.records,
        totals: Totals(&r.totals),
        error: r.error.as_ref(),
        elapsed_ms: r.elapsed.as_millis() as u64,
    }
}

/// Writes a run: one plugin's document with a `run` section (verdict,
/// stop reason, call counts), or `{"plugins": [...], "run": ...}` when the
/// run had several plugins.
pub fn write_run(reports: &[Report], run: &Value, out: &mut impl Write) -> io::Result<()> {
    #[derive(serde::Serialize)]
    struct One<'a> {
        #[serde(flatten)]
        document: Document<'a>,
        run: &'a Value,
    }
    #[derive(serde::Serialize)]
    struct Many<'a> {
        plugins: Vec<Document<'a>>,
        run: &'a Value,
    }
    match reports {
        [report] => serde_json::to_writer_pretty(&mut *out, &One { document: view(report), run })?,
        _ => serde_json::to_writer_pretty(&mut *out, &Many { plugins: reports.iter().map(view).collect(), run })?,
    }
    out.write_all(b"\n")
}

/// The report as a JSON value (for callers that combine documents).
pub fn document(report: &Report) -> Value {
    serde_json::to_value(view(report)).expect("a report always serialises")
}
