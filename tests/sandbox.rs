//! A hostile plugin against the sandbox. Each account of the fixture makes
//! the plugin misbehave differently; the run must contain every attack,
//! report each clearly, and keep what the honest target collected.

use serde_json::{Value, json};
use trawl_tests::{EXIT_TARGETS_FAILED, fixture, host, plugin, results_by_place};

const BEHAVIOURS: [&str; 8] = ["spin", "hog", "sneak", "garbage", "panic", "chatty", "snoop", "honest"];

fn hostile_org() -> Value {
    let accounts: Vec<Value> = BEHAVIOURS
        .iter()
        .enumerate()
        .map(|(i, name)| json!({"id": format!("{:012}", 100 + i), "name": name, "regions": {"us-east-1": {}}}))
        .collect();
    json!({ "accounts": accounts })
}

/// Runs the hostile plugin over the hostile organisation with `extra` flags.
fn run_hostile(extra: &[&str]) -> trawl_tests::Run {
    let org = fixture(&hostile_org());
    let hostile = plugin("hostile");
    let mut args =
        vec!["run", hostile.to_str().unwrap(), "--fixture", org.path().to_str().unwrap(), "--output", "json"];
    args.extend_from_slice(extra);
    host(&args)
}

#[test]
fn every_attack_is_contained_and_honest_results_survive() {
    let run = run_hostile(&["--timeout", "2"]);
    assert_eq!(run.status, EXIT_TARGETS_FAILED, "{}", run.stderr);
    let doc = run.json();
    let by = results_by_place(&doc);
    let outcome = |name: &str| {
        let r = &by[&format!("{name}/us-east-1")];
        (r["status"].as_str().unwrap().to_owned(), r["error"]["code"].as_str().unwrap_or_default().to_owned())
    };

    let (status, code) = outcome("spin");
    assert_eq!(status, "timed_out");
    assert!(code == "trawl.CpuDeadline" || code == "trawl.Timeout", "{code}");
    assert_eq!(outcome("hog"), ("failed".into(), "trawl.MemoryLimit".into()));
    assert_eq!(outcome("sneak"), ("failed".into(), "trawl.PermissionDenied".into()));
    assert_eq!(outcome("garbage"), ("failed".into(), "trawl.InvalidRecord".into()));
    assert_eq!(outcome("panic"), ("failed".into(), "trawl.Trap".into()));
    assert_eq!(outcome("chatty").0, "succeeded");

    // No environment, no arguments, no filesystem.
    let snoop = &by["snoop/us-east-1"]["records"][0];
    assert_eq!(snoop["env_vars"], 0);
    assert_eq!(snoop["read_root"], false);
    assert_eq!(snoop["read_passwd"], false);

    assert_eq!(by["honest/us-east-1"]["records"], json!([{"behaviour": "honest"}]));
    assert_eq!(doc["summary"]["total"], 8);
    assert_eq!(doc["summary"]["failed"], 4);
    assert_eq!(doc["summary"]["timed_out"], 1);
    let hog = by["hog/us-east-1"]["error"]["message"].as_str().unwrap();
    assert!(hog.contains("memory limit of 64 MiB"), "{hog}");
}

#[test]
fn a_spinning_plugin_does_not_hold_up_the_others() {
    // One worker per target: the spinner must be cut off by its own
    // deadline while the other tasks finish normally.
    let run = run_hostile(&["--accounts", "spin,honest", "--max-workers", "2", "--timeout", "1"]);
    let doc = run.json();
    let by = results_by_place(&doc);
    assert_eq!(by["honest/us-east-1"]["status"], "succeeded");
    assert_eq!(by["spin/us-east-1"]["status"], "timed_out");
    let spin_ms = by["spin/us-east-1"]["elapsed_ms"].as_u64().unwrap();
    assert!(spin_ms < 10_000, "the deadline was not enforced: {spin_ms} ms");
}
