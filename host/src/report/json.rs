//! The JSON document: plugin, summary, sorted results, error summary.
//! Written through borrowed views, so records go out as the text the
//! plugins produced and no second copy of the run is built; read back
//! (`host report`, `host merge`) into the same reports.

use std::io::{self, Write};

use serde::ser::{Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

use super::{ErrorGroup, Report, Status, Summary, TargetResult};
use crate::runtime::{PluginInfo, Reason, Scope};

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
    scope: Scope,
    columns: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    key: &'a [String],
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
        plugin: PluginRef {
            name: &report.plugin.name,
            version: &report.plugin.version,
            scope: report.plugin.scope,
            columns: &report.plugin.columns,
            key: &report.plugin.key,
        },
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

/// A JSON report read back: one report per plugin and its `run` section.
#[derive(Debug)]
pub struct SavedRun {
    /// One report per plugin, results in (account, region) order.
    pub reports: Vec<Report>,
    /// The `run` section as written.
    pub run: Value,
}

#[derive(serde::Deserialize)]
struct SavedDocument {
    plugin: SavedPlugin,
    results: Vec<SavedResult>,
    summary: SavedSummary,
}

#[derive(serde::Deserialize)]
struct SavedPlugin {
    name: String,
    version: String,
    #[serde(default)]
    scope: Option<Scope>,
    #[serde(default)]
    columns: Vec<String>,
    #[serde(default)]
    key: Vec<String>,
}

#[derive(serde::Deserialize)]
struct SavedSummary {
    elapsed_ms: u64,
}

#[derive(serde::Deserialize)]
struct SavedResult {
    account_id: String,
    account_name: String,
    region: String,
    status: Status,
    records: Vec<Box<RawValue>>,
    totals: SavedTotals,
    error: Option<Reason>,
    elapsed_ms: u64,
}

/// Totals in the order written (a JSON object).
struct SavedTotals(Vec<(String, u64)>);

impl<'de> serde::Deserialize<'de> for SavedTotals {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Ordered;
        impl<'de> serde::de::Visitor<'de> for Ordered {
            type Value = SavedTotals;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of totals")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<SavedTotals, A::Error> {
                let mut totals = Vec::new();
                while let Some(entry) = map.next_entry::<String, u64>()? {
                    totals.push(entry);
                }
                Ok(SavedTotals(totals))
            }
        }
        d.deserialize_map(Ordered)
    }
}

/// Either shape [`write_run`] writes; not an untagged enum, which would
/// buffer the records and cannot hold them as raw JSON.
#[derive(serde::Deserialize)]
struct SavedFile {
    plugins: Option<Vec<SavedDocument>>,
    plugin: Option<SavedPlugin>,
    results: Option<Vec<SavedResult>>,
    summary: Option<SavedSummary>,
    run: Value,
}

/// Reads a document [`write_run`] wrote (`host run -o json`).
pub fn read_run(text: &str) -> Result<SavedRun, String> {
    let SavedFile { plugins, plugin, results, summary, run } =
        serde_json::from_str(text).map_err(|e| format!("not a trawl JSON report ({e})"))?;
    let documents = match (plugins, plugin, results, summary) {
        (Some(plugins), ..) => plugins,
        (None, Some(plugin), Some(results), Some(summary)) => vec![SavedDocument { plugin, results, summary }],
        _ => return Err("not a trawl JSON report (no `plugin` with `results`, nor `plugins`)".into()),
    };
    let reports = documents
        .into_iter()
        .map(|d| {
            let plugin = PluginInfo {
                name: d.plugin.name,
                version: d.plugin.version,
                description: String::new(),
                scope: d.plugin.scope.unwrap_or(Scope::Regional),
                home_region: String::new(),
                permissions: Vec::new(),
                columns: d.plugin.columns,
                key: d.plugin.key,
                settings: Vec::new(),
            };
            let results = d
                .results
                .into_iter()
                .map(|r| TargetResult {
                    target: crate::targets::Target {
                        account_id: r.account_id,
                        account_name: r.account_name,
                        region: r.region,
                    },
                    status: r.status,
                    record_count: r.records.len(),
                    records: r.records,
                    totals: r.totals.0,
                    error: r.error,
                    elapsed: std::time::Duration::from_millis(r.elapsed_ms),
                })
                .collect();
            Report::new(plugin, results, std::time::Duration::from_millis(d.summary.elapsed_ms))
        })
        .collect();
    Ok(SavedRun { reports, run })
}
