//! The EBS collector over the built-in demo organisation, end to end.

use serde_json::{Value, json};
use trawl_tests::{fixture, host, plugin, results_by_place};

fn ebs() -> String {
    plugin("ebs").display().to_string()
}

/// The report without wall-clock fields, which differ run to run.
fn without_timings(mut doc: Value) -> Value {
    doc["summary"].as_object_mut().unwrap().remove("elapsed_ms");
    let run = doc["run"].as_object_mut().unwrap();
    // Each run has its own id, and its own wall times.
    for key in ["elapsed_ms", "discovery_ms", "run_id"] {
        run.remove(key);
    }
    for r in doc["results"].as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("elapsed_ms");
    }
    doc
}

#[test]
fn json_report_covers_the_demo_org_and_counts_add_up() {
    let run = host(&["run", &ebs(), "--output", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["plugin"]["name"], "ebs");

    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 12, "4 accounts x 3 regions");
    let with_records: std::collections::BTreeSet<(&str, &str)> = results
        .iter()
        .filter(|r| !r["records"].as_array().unwrap().is_empty())
        .map(|r| (r["account_id"].as_str().unwrap(), r["region"].as_str().unwrap()))
        .collect();
    let accounts: std::collections::BTreeSet<_> = with_records.iter().map(|p| p.0).collect();
    let regions: std::collections::BTreeSet<_> = with_records.iter().map(|p| p.1).collect();
    assert!(accounts.len() >= 3 && regions.len() == 3, "{with_records:?}");

    // The sandbox account's SCP denies ap-northeast-2: skipped, not failed.
    let denied = &results_by_place(&doc)["sandbox/ap-northeast-2"];
    assert_eq!(denied["status"], "skipped");
    assert_eq!(denied["error"]["code"], "UnauthorizedOperation");

    let s = &doc["summary"];
    let n = |k: &str| s[k].as_u64().unwrap();
    assert_eq!(n("total"), 12);
    assert_eq!(n("succeeded") + n("skipped") + n("failed") + n("timed_out"), n("total"));
    assert_eq!((n("skipped"), n("failed")), (1, 0));
    let records: u64 = results.iter().map(|r| r["records"].as_array().unwrap().len() as u64).sum();
    assert_eq!(n("records"), records);
    assert_eq!(s["totals"]["unused"].as_u64().unwrap(), records, "every unused volume is a record");
    assert!(s["totals"]["total"].as_u64().unwrap() > records, "attached volumes are counted, not listed");
    for r in results.iter().flat_map(|r| r["records"].as_array().unwrap()) {
        assert!(r["volume_id"].as_str().unwrap().starts_with("vol-"), "{r}");
        assert!(r["size_gib"].is_u64(), "{r}");
    }
    assert_eq!(doc["errors"], json!([]));
}

#[test]
fn results_do_not_depend_on_parallelism() {
    let one = host(&["run", &ebs(), "--output", "json", "--max-workers", "1"]);
    let many = host(&["run", &ebs(), "--output", "json", "--max-workers", "32"]);
    assert_eq!((one.status, many.status), (0, 0));
    // Compared as text so a failure prints a diff, not two documents.
    let (one, many) = (without_timings(one.json()), without_timings(many.json()));
    assert!(one == many, "results differ between 1 and 32 workers");
}

#[test]
fn jsonl_streams_records_with_their_target_and_summary_on_stderr() {
    let run = host(&["run", &ebs(), "--output", "jsonl"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let lines: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let tail: Value = serde_json::from_str(run.stderr.lines().last().unwrap()).unwrap();
    assert_eq!(tail["run"]["verdict"], "held");
    assert_eq!(lines.len() as u64, tail["plugins"][0]["summary"]["records"].as_u64().unwrap());
    for line in &lines {
        for key in ["account_id", "account_name", "region", "volume_id"] {
            assert!(line[key].is_string(), "{key} missing in {line}");
        }
    }
}

#[test]
fn table_output_shows_records_targets_and_summary() {
    let run = host(&["run", &ebs(), "--output", "table"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("volume_id") && run.stdout.contains("vol-"), "{}", run.stdout);
    assert!(run.stdout.contains("sandbox (444444444444)"), "{}", run.stdout);
    assert!(run.stdout.contains("12 targets: 11 succeeded, 1 skipped, 0 failed, 0 timed out"), "{}", run.stdout);
}

#[test]
fn accounts_and_regions_narrow_the_run() {
    let run = host(&["run", &ebs(), "--accounts", "production,111111111111", "--regions", "eu-west-1"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let places: Vec<String> = results_by_place(&run.json()).into_keys().collect();
    assert_eq!(places, ["management/eu-west-1", "production/eu-west-1"]);
}

#[test]
fn a_fixture_replaces_the_demo_and_the_plugin_pages_through_it() {
    // Start from the exported demo, then give one region 1,234 volumes: the
    // plugin asks for 500 a page, so it must follow two tokens.
    let export = host(&["sim", "export"]);
    assert_eq!(export.status, 0);
    let mut org: Value = serde_json::from_str(&export.stdout).unwrap();
    org["accounts"].as_array_mut().unwrap().truncate(1);
    let region = &mut org["accounts"][0]["regions"]["us-east-1"];
    let template = region["volumes"][0].clone();
    let volumes: Vec<Value> = (0..1234)
        .map(|i| {
            let mut v = template.clone();
            v["id"] = json!(format!("vol-{i:017}"));
            v["state"] = json!(if i % 2 == 0 { "available" } else { "in-use" });
            v
        })
        .collect();
    region["volumes"] = Value::Array(volumes);
    let file = fixture(&org);

    let run = host(&["run", &ebs(), "--fixture", file.path().to_str().unwrap(), "--regions", "us-east-1"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["summary"]["total"], 1);
    assert_eq!(doc["summary"]["totals"]["total"], 1234);
    assert_eq!(doc["summary"]["totals"]["unused"], 617);
    assert_eq!(doc["results"][0]["records"].as_array().unwrap().len(), 617);
}

#[test]
fn inspect_shows_declared_permissions_and_world() {
    let run = host(&["inspect", &ebs()]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("permissions: ec2:DescribeVolumes"), "{}", run.stdout);
    assert!(run.stdout.contains("world:       trawl:collector@0.1.1"), "{}", run.stdout);
    let doc: Value = serde_json::from_str(&host(&["inspect", &ebs(), "--json"]).stdout).unwrap();
    assert_eq!(doc["info"]["scope"], "regional");
    assert_eq!(doc["info"]["columns"][0], "volume_id");
}

/// The contract evolves by minor versions: a component built against the
/// frozen 0.1.0 WIT (no `settings` import, no `details` export) loads and
/// runs on this host unchanged, and sees the same volumes the EBS
/// collector counts.
#[test]
fn a_collector_built_for_0_1_0_still_runs() {
    let old = plugin("world-0-1-0");
    let inspect = host(&["inspect", old.to_str().unwrap()]);
    assert_eq!(inspect.status, 0, "{}", inspect.stderr);
    assert!(inspect.stdout.contains("world:       trawl:collector@0.1.0"), "{}", inspect.stdout);
    let run = host(&["run", old.to_str().unwrap(), "-o", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let doc = run.json();
    let ebs = host(&["run", &ebs(), "-o", "json"]).json();
    assert_eq!(doc["summary"]["succeeded"], ebs["summary"]["succeeded"]);
    assert_eq!(doc["summary"]["totals"]["volumes"], ebs["summary"]["totals"]["total"]);
    assert!(doc["summary"]["records"].as_u64().unwrap() > 100, "{doc}");
    // A 0.1.0 plugin takes no settings, and says so.
    let set = host(&["run", old.to_str().unwrap(), "--set", "world-0-1-0.x=1"]);
    assert_eq!(set.status, 2, "{}", set.stderr);
}

/// A collector built for wasm32-wasip1 (a core module with wit-bindgen's
/// component type) is made a component at load and gives the same report
/// as the same source built for wasm32-wasip2.
#[test]
fn a_wasip1_core_module_is_adapted_and_collects_the_same() {
    let adapted = plugin("ebs.wasip1");
    let mut core = json!(null);
    for path in [adapted.to_str().unwrap(), &ebs()] {
        let run = host(&["run", path, "-o", "json"]);
        assert_eq!(run.status, 0, "{path}: {}", run.stderr);
        let mut doc = run.json();
        doc["summary"]["elapsed_ms"] = json!(0);
        for r in doc["results"].as_array_mut().unwrap() {
            r["elapsed_ms"] = json!(0);
        }
        if core.is_null() {
            core = doc;
        } else {
            assert_eq!(core["results"], doc["results"]);
            assert_eq!(core["summary"], doc["summary"]);
        }
    }
    let inspect = host(&["inspect", adapted.to_str().unwrap()]);
    assert!(inspect.stdout.contains("world:       trawl:collector@0.1.1"), "{}", inspect.stdout);
}
