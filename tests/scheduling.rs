//! The parallel engine end to end: throttling, faults, join policies,
//! interruption, organization scope and multi-plugin runs, on the
//! simulated cloud under pressure.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use trawl_tests::{EXIT_TARGETS_FAILED, host, host_command, plugin, results_by_place};

fn ebs() -> String {
    plugin("ebs").display().to_string()
}

fn statuses(doc: &Value) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for r in doc["results"].as_array().unwrap() {
        *counts.entry(r["status"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    counts
}

#[test]
fn throttling_and_injected_5xx_still_account_for_every_target_with_none_failed() {
    // 3 pages per target (1,100-1,200 volumes at 500 a page) against server
    // buckets of 1 call burst, 4/s, with client limits left at EC2's
    // defaults: the server throttles, the client slows down and retries.
    let run = host(&[
        "run",
        &ebs(),
        "--sim-generate",
        "accounts=6,regions=2,volumes=1200,seed=5",
        "--sim-limit",
        "ec2=4/1",
        "--sim-error-rate",
        "0.02",
        "--sim-latency",
        "2ms,10ms",
        "--max-workers",
        "8",
        "--output",
        "json",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["summary"]["total"], 12);
    assert_eq!(doc["summary"]["succeeded"], 12, "{:?}", statuses(&doc));
    assert!(doc["run"]["calls"]["throttled"].as_u64().unwrap() > 0, "the server should have throttled: {}", doc["run"]);
    assert!(doc["run"]["calls"]["retries"].as_u64().unwrap() > 0);
    let total: u64 = doc["summary"]["totals"]["total"].as_u64().unwrap();
    assert!(total >= 12 * 600, "every page of every target was read: {total}");
}

#[test]
fn client_limits_matching_the_server_prevent_throttling() {
    let run = host(&[
        "run",
        &ebs(),
        "--sim-generate",
        "accounts=3,regions=2,volumes=1200,seed=5",
        "--sim-limit",
        "ec2=10/2",
        "--rate-limit",
        "ec2=10/2",
        "--output",
        "json",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["summary"]["succeeded"], 6);
    assert_eq!(doc["run"]["calls"]["throttled"], 0, "{}", doc["run"]);
}

#[test]
fn the_default_barrier_breaks_when_an_account_fails() {
    let run = host(&["run", &ebs(), "--sim-broken", "222222222222", "--output", "json"]);
    assert_eq!(run.status, EXIT_TARGETS_FAILED);
    let doc = run.json();
    assert_eq!(doc["run"]["verdict"], "targets_failed");
    assert_eq!(doc["summary"]["failed"], 3);
    assert_eq!(doc["errors"][0]["code"], "AuthFailure");
    assert_eq!(doc["errors"][0]["count"], 3);
}

#[test]
fn max_failures_holds_within_the_limit_and_stops_the_run_past_it() {
    let broken = "111111111111,222222222222";
    let held = host(&["run", &ebs(), "--sim-broken", broken, "--max-failures", "6", "--output", "json"]);
    assert_eq!(held.status, 0, "{}", held.stderr);
    assert_eq!(held.json()["summary"]["failed"], 6);

    let broke =
        host(&["run", &ebs(), "--sim-broken", broken, "--max-failures", "1", "--max-workers", "1", "--output", "json"]);
    assert_eq!(broke.status, 4, "{}", broke.stderr);
    let doc = broke.json();
    assert_eq!(doc["run"]["verdict"], "too_many_failures");
    assert_eq!(doc["run"]["stopped"], "max_failures");
    let counts = statuses(&doc);
    assert_eq!(counts.values().sum::<usize>(), 12, "every target is accounted for: {counts:?}");
    assert!(counts.get("cancelled").copied().unwrap_or(0) > 0, "{counts:?}");
    assert_eq!(counts.get("failed"), Some(&2), "it stopped after the second failure: {counts:?}");
}

#[test]
fn a_quorum_holds_or_breaks() {
    let held = host(&["run", &ebs(), "--sim-broken", "222222222222", "--min-success", "66%", "--output", "json"]);
    assert_eq!(held.status, 0, "{}", held.stderr);
    assert_eq!(held.json()["run"]["verdict"], "held");
    let broke = host(&["run", &ebs(), "--sim-broken", "222222222222", "--min-success", "9", "--output", "json"]);
    assert_eq!(broke.status, 5);
    assert_eq!(broke.json()["run"]["verdict"], "quorum_missed");
}

#[test]
fn a_deadline_keeps_what_finished_and_marks_the_rest() {
    let run =
        host(&["run", &ebs(), "--sim-latency", "400ms", "--max-workers", "2", "--deadline", "1s", "--output", "json"]);
    assert_eq!(run.status, 6, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["run"]["verdict"], "deadline_passed");
    let counts = statuses(&doc);
    assert_eq!(counts.values().sum::<usize>(), 12, "{counts:?}");
    assert!(counts.get("succeeded").copied().unwrap_or(0) >= 1, "{counts:?}");
    assert!(counts.get("cancelled").copied().unwrap_or(0) >= 1, "{counts:?}");
    for r in doc["results"].as_array().unwrap() {
        match r["status"].as_str().unwrap() {
            "succeeded" => assert!(r["totals"]["total"].is_u64(), "{r}"),
            "skipped" => assert_eq!(r["error"]["code"], "UnauthorizedOperation"),
            _ => assert_eq!(r["error"]["code"], "trawl.Deadline", "{r}"),
        }
    }
}

#[test]
fn sigint_writes_valid_json_for_what_finished_and_exits_130() {
    for format in ["json", "jsonl"] {
        let child = host_command(&["run", &ebs(), "--sim-latency", "300ms", "--max-workers", "2", "--output", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
        assert!(killed.success());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(130), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8(out.stdout).unwrap();
        if format == "json" {
            let doc: Value = serde_json::from_str(&stdout).expect("complete, valid JSON");
            assert_eq!(doc["run"]["verdict"], "interrupted");
            let counts = statuses(&doc);
            assert_eq!(counts.values().sum::<usize>(), 12, "{counts:?}");
            assert!(counts.get("succeeded").copied().unwrap_or(0) >= 1, "{counts:?}");
            assert!(counts.get("cancelled").copied().unwrap_or(0) >= 1, "{counts:?}");
        } else {
            for line in stdout.lines() {
                let record: Value = serde_json::from_str(line).expect("every line is complete JSON");
                assert!(record["volume_id"].is_string());
            }
            let stderr = String::from_utf8(out.stderr).unwrap();
            let tail: Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
            assert_eq!(tail["run"]["stopped"], "interrupted");
        }
    }
}

#[test]
fn organization_scope_runs_exactly_once_and_first_success_wins() {
    let whoami = plugin("whoami");
    let run = host(&["run", whoami.to_str().unwrap(), "--sim-broken", "111111111111", "--output", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let doc = run.json();
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "one result for the whole run");
    assert_eq!(results[0]["account_id"], "222222222222", "the broken first candidate is passed over");
    assert_eq!(results[0]["records"][0]["account"], "222222222222");
    assert_eq!(doc["run"]["calls"]["calls"], 2, "exactly one call per candidate tried");
}

#[test]
fn several_plugins_share_a_run_and_are_reported_one_by_one() {
    let whoami = plugin("whoami");
    let run = host(&["run", &ebs(), whoami.to_str().unwrap(), "--output", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let doc = run.json();
    let names: Vec<&str> =
        doc["plugins"].as_array().unwrap().iter().map(|p| p["plugin"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["ebs", "whoami"]);
    assert_eq!(doc["plugins"][0]["summary"]["total"], 12);
    assert_eq!(doc["plugins"][1]["summary"]["total"], 1);
    assert_eq!(doc["run"]["calls"]["calls"], 13);
    let by = results_by_place(&doc["plugins"][0]);
    assert_eq!(by["sandbox/ap-northeast-2"]["status"], "skipped");
}

#[test]
fn a_config_file_sets_the_run_and_flags_override_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trawl.toml");
    std::fs::write(&path, "regions = [\"eu-west-1\"]\nmax_failures = 0\n[sim]\nbroken_accounts = [\"333333333333\"]\n")
        .unwrap();
    let config = path.to_str().unwrap();
    let run = host(&["run", &ebs(), "--config", config, "--output", "json"]);
    assert_eq!(run.status, 4, "{}", run.stderr);
    let doc = run.json();
    assert!(doc["results"].as_array().unwrap().iter().all(|r| r["region"] == "eu-west-1"));
    let run = host(&["run", &ebs(), "--config", config, "--max-failures", "1", "--output", "json"]);
    assert_eq!(run.status, 0, "the flag overrides the file: {}", run.stderr);

    std::fs::write(&path, "max_wokers = 3\n").unwrap();
    let run = host(&["run", &ebs(), "--config", config]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains(config) && run.stderr.contains("max_wokers"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}
