use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::runtime::{Collection, Scope};

fn info() -> PluginInfo {
    PluginInfo {
        name: "ebs".into(),
        version: "0.1.0".into(),
        description: String::new(),
        scope: Scope::Regional,
        home_region: "us-east-1".into(),
        permissions: vec![],
        columns: vec!["volume_id".into()],
        key: vec![],
        settings: vec![],
    }
}

fn target(account: &str, region: &str) -> Target {
    Target { account_id: account.into(), account_name: format!("n{account}"), region: region.into() }
}

fn ok(account: &str, region: &str, records: usize, total: u64) -> TargetResult {
    let records = (0..records)
        .map(|i| serde_json::value::to_raw_value(&json!({"volume_id": format!("vol-{i}")})).unwrap())
        .collect();
    let outcome = TaskOutcome::Succeeded(Collection { records, totals: vec![("total".into(), total)] });
    TargetResult::from_outcome(target(account, region), outcome, Duration::from_millis(3))
}

fn bad(account: &str, region: &str, outcome: TaskOutcome) -> TargetResult {
    TargetResult::from_outcome(target(account, region), outcome, Duration::ZERO)
}

fn sample() -> Report {
    let failed = |code: &str| TaskOutcome::Failed(Reason::new(code, "boom"));
    let results = vec![
        ok("2", "us-east-1", 2, 5),
        bad("1", "us-east-1", failed("Throttling")),
        ok("1", "eu-west-1", 1, 4),
        bad("2", "eu-west-1", TaskOutcome::Skipped(Reason::new("UnauthorizedOperation", "no"))),
        bad("3", "eu-west-1", failed("Throttling")),
        bad("3", "us-east-1", TaskOutcome::TimedOut(Reason::new("trawl.Timeout", "slow"))),
        bad("4", "us-east-1", failed("InternalError")),
    ];
    Report::new(info(), results, Duration::from_millis(42))
}

#[test]
fn results_are_sorted_by_account_then_region() {
    let report = sample();
    let order: Vec<(&str, &str)> =
        report.results.iter().map(|r| (r.target.account_id.as_str(), r.target.region.as_str())).collect();
    assert_eq!(
        order,
        [
            ("1", "eu-west-1"),
            ("1", "us-east-1"),
            ("2", "eu-west-1"),
            ("2", "us-east-1"),
            ("3", "eu-west-1"),
            ("3", "us-east-1"),
            ("4", "us-east-1")
        ]
    );
}

#[test]
fn summary_counts_add_up_and_totals_sum() {
    let s = sample().summary();
    assert_eq!((s.total, s.succeeded, s.skipped, s.failed, s.timed_out), (7, 2, 1, 3, 1));
    assert_eq!(s.succeeded + s.skipped + s.failed + s.timed_out, s.total);
    assert_eq!(s.records, 3);
    assert_eq!(s.totals.get("total"), Some(&9));
    assert_eq!(s.elapsed_ms, 42);
}

#[test]
fn errors_group_failures_by_code_most_frequent_first() {
    let groups = sample().errors();
    let shape: Vec<(&str, usize)> = groups.iter().map(|g| (g.code.as_str(), g.count)).collect();
    assert_eq!(shape, [("Throttling", 2), ("InternalError", 1), ("trawl.Timeout", 1)]);
    assert_eq!(groups[0].targets, ["1/us-east-1", "3/eu-west-1"]);
    // Skipped targets are not errors.
    assert!(!groups.iter().any(|g| g.code == "UnauthorizedOperation"));
}

#[test]
fn json_document_has_the_documented_shape() {
    let doc = json::document(&sample());
    assert_eq!(
        doc["plugin"],
        json!({"name": "ebs", "version": "0.1.0", "scope": "regional", "columns": ["volume_id"]})
    );
    assert_eq!(doc["summary"]["failed"], 3);
    let first = &doc["results"][0];
    assert_eq!(first["account_id"], "1");
    assert_eq!(first["account_name"], "n1");
    assert_eq!(first["status"], "succeeded");
    assert_eq!(first["error"], Value::Null);
    assert_eq!(first["records"][0]["volume_id"], "vol-0");
    assert_eq!(first["totals"]["total"], 4);
    assert_eq!(doc["results"][1]["error"], json!({"code": "Throttling", "message": "boom"}));
    assert_eq!(doc["errors"][0]["code"], "Throttling");
}

#[test]
fn jsonl_lines_carry_the_target() {
    let mut out = Vec::new();
    let mut result = ok("7", "eu-west-1", 2, 2);
    let records = result.take_records();
    jsonl::write_records(&mut out, &result.target, &records, None).unwrap();
    assert_eq!(result.record_count, 2, "the count outlives the records");
    let lines: Vec<Value> = String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1], json!({"account_id": "7", "account_name": "n7", "region": "eu-west-1", "volume_id": "vol-1"}));
}

#[test]
fn table_shows_plugin_columns_and_the_targets_that_did_not_succeed() {
    let text = table::render(&sample(), None);
    assert!(text.contains("volume_id") && text.contains("vol-0"), "{text}");
    for status in ["skipped", "failed", "timed_out"] {
        assert!(text.contains(&format!(" {status} ")), "{status} missing from\n{text}");
    }
    assert!(!text.contains(" succeeded "), "succeeded targets are counted, not listed:\n{text}");
    assert!(text.contains("7 targets: 2 succeeded, 1 skipped, 3 failed, 1 timed out"), "{text}");
}

#[test]
fn tables_fit_the_width_they_are_given() {
    for width in [80u16, 160] {
        let text = table::render(&sample(), Some(width));
        let widest = text.lines().filter(|l| l.starts_with(['┌', '│', '╞', '├', '└'])).map(|l| l.chars().count()).max();
        assert!(widest.is_some_and(|w| w <= width as usize), "{width}: {widest:?}\n{text}");
    }
}

#[test]
fn totals_saturate_instead_of_wrapping_and_say_so() {
    let results = vec![ok("1", "r", 0, u64::MAX), ok("2", "r", 0, 5), ok("3", "r", 0, 1)];
    let report = Report::new(sample().plugin, results, Duration::ZERO);
    let summary = report.summary();
    assert_eq!(summary.totals["total"], u64::MAX);
    assert_eq!(summary.saturated, ["total"]);
    assert!(table::render(&report, None).contains("(saturated"));
}

#[test]
fn a_thousand_cancelled_targets_are_counted_not_listed() {
    let cancelled = |i: usize| TargetResult {
        status: Status::Cancelled,
        error: Some(Reason::new("trawl.Interrupted", "not started: the run was interrupted")),
        ..TargetResult::empty(target(&format!("{i:012}"), "us-east-1"))
    };
    let report = Report::new(sample().plugin, (0..1102).map(cancelled).collect(), Duration::ZERO);
    let text = table::render(&report, Some(120));
    assert!(text.contains("… and 1,052 more not listed"), "{text}");
    assert!(text.contains("trawl.Interrupted x1102") && text.contains("… and 1,097 more"), "{text}");
    assert!(text.lines().count() < 70, "{} lines", text.lines().count());
}

#[test]
fn a_json_report_reads_back_into_the_same_report() {
    let report = sample();
    let run = json!({"verdict": "targets_failed", "calls": {"calls": 3, "throttled": 0, "retries": 0}});
    let mut text = Vec::new();
    json::write_run(std::slice::from_ref(&report), &run, &mut text).unwrap();
    let saved = json::read_run(std::str::from_utf8(&text).unwrap()).unwrap();
    assert_eq!(saved.run, run);
    let mut again = Vec::new();
    json::write_run(&saved.reports, &saved.run, &mut again).unwrap();
    assert_eq!(String::from_utf8(again).unwrap(), String::from_utf8(text).unwrap());
    assert!(json::read_run("{\"run\": {}}").unwrap_err().contains("not a trawl JSON report"));
}

#[test]
fn csv_has_target_columns_then_the_plugins_then_any_others() {
    let mut report = sample();
    let extra =
        serde_json::value::to_raw_value(&json!({"size": 8, "volume_id": "vol-x", "tags": {"a": "b,c"}})).unwrap();
    report.results[0].records.push(extra);
    let mut out = Vec::new();
    csv::write_records(&mut out, std::slice::from_ref(&report)).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("account_id,account_name,region,volume_id,size,tags"));
    assert_eq!(lines.next(), Some("1,n1,eu-west-1,vol-0,,"));
    assert!(text.contains(r#"vol-x,8,"{""a"":""b,c""}""#), "{text}");
}

#[test]
fn with_several_plugins_a_records_own_plugin_field_does_not_rename_its_row() {
    let mut report = sample();
    let shadowing = serde_json::value::to_raw_value(&json!({"volume_id": "vol-p", "plugin": "evil"})).unwrap();
    report.results[0].records.push(shadowing);
    let mut other = sample();
    other.plugin.name = "quotas".into();
    let mut out = Vec::new();
    csv::write_records(&mut out, &[report, other]).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("plugin,account_id,account_name,region,volume_id\n"), "{text}");
    assert!(text.contains("ebs,1,n1,eu-west-1,vol-p"), "{text}");
    assert!(!text.contains("evil"), "{text}");
}
