//! The JSON document: plugin, summary, sorted results, error summary.

use serde_json::{Value, json};

use super::{Report, TargetResult};

/// The whole report as one JSON document.
pub fn document(report: &Report) -> Value {
    json!({
        "plugin": { "name": report.plugin.name, "version": report.plugin.version },
        "summary": report.summary(),
        "results": report.results.iter().map(result).collect::<Vec<_>>(),
        "errors": report.errors(),
    })
}

fn result(r: &TargetResult) -> Value {
    json!({
        "account_id": r.target.account_id,
        "account_name": r.target.account_name,
        "region": r.target.region,
        "status": r.status,
        "records": r.records,
        "totals": r.totals.iter().map(|(k, v)| (k.clone(), Value::from(*v))).collect::<serde_json::Map<_, _>>(),
        "error": r.error,
        "elapsed_ms": r.elapsed.as_millis() as u64,
    })
}
