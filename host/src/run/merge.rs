//! `host merge`: the shards of one run (`--shard I/N`) back into the
//! report a single run over every target would have given.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use super::{RunReport, ShardInfo};
use crate::cloud::CallCounts;
use crate::report::json::SavedRun;
use crate::report::{Report, Status};
use crate::scheduler::{JoinPolicy, Quorum, StopReason, Tally};

/// Merges shard reports, each with the name it is known by (its file),
/// or says in one line why they are not the shards of one run.
pub fn merge(shards: Vec<(String, SavedRun)>) -> Result<RunReport, String> {
    let Some((first_name, _)) = shards.first() else {
        return Err("nothing to merge: give the shards' JSON reports".into());
    };
    let first_name = first_name.clone();
    let mut infos = Vec::with_capacity(shards.len());
    for (name, saved) in &shards {
        let info: ShardInfo = match saved.run.get("shard") {
            Some(shard) => serde_json::from_value(shard.clone())
                .map_err(|e| format!("{name}: its `run.shard` is not one trawl wrote ({e})"))?,
            None => return Err(format!("{name} is not a shard: it was not run with --shard")),
        };
        infos.push(info);
    }
    let (head, head_run) = (&infos[0], &shards[0].1);
    let plugins = |saved: &SavedRun| -> Vec<String> {
        saved.reports.iter().map(|r| format!("{} {}", r.plugin.name, r.plugin.version)).collect()
    };
    for ((name, saved), info) in shards.iter().zip(&infos).skip(1) {
        if plugins(saved) != plugins(head_run) {
            return Err(format!(
                "{name} ran plugins [{}] but {first_name} ran [{}]: shards of one run have the same plugins",
                plugins(saved).join(", "),
                plugins(head_run).join(", ")
            ));
        }
        if info.count != head.count || info.fingerprint != head.fingerprint {
            return Err(format!(
                "{name} and {first_name} are shards of different runs (their targets, shard count or policy differ)"
            ));
        }
        for key in ["backend", "endpoint", "fixture"] {
            if saved.run.get(key) != head_run.run.get(key) {
                return Err(format!(
                    "{name} and {first_name} collected from different clouds (their `run.{key}` differ)"
                ));
            }
        }
    }
    let mut by_index: HashMap<u32, &str> = HashMap::new();
    for ((name, _), info) in shards.iter().zip(&infos) {
        if let Some(other) = by_index.insert(info.index, name) {
            return Err(format!("{other} and {name} are both shard {}/{}", info.index, info.count));
        }
    }
    let missing: Vec<String> =
        (1..=head.count).filter(|i| !by_index.contains_key(i)).map(|i| format!("{i}/{}", head.count)).collect();
    if !missing.is_empty() {
        return Err(format!("shard {} missing: merge needs all {} shards of the run", missing.join(", "), head.count));
    }

    let mut runs = Vec::with_capacity(shards.len());
    // Per plugin: the merged report, and which file each target came from.
    type Seen = HashMap<(String, String), String>;
    let mut grouped: Vec<(Report, Seen)> = Vec::new();
    for (name, saved) in shards {
        for (i, report) in saved.reports.into_iter().enumerate() {
            if grouped.len() <= i {
                grouped.push((Report::new(report.plugin.clone(), Vec::new(), Duration::ZERO), HashMap::new()));
            }
            let (merged, seen) = &mut grouped[i];
            for result in report.results {
                let key = (result.target.account_id.clone(), result.target.region.clone());
                if let Some(other) = seen.insert(key, name.clone()) {
                    return Err(format!(
                        "{name} and {other} overlap: both hold {}/{} of plugin {}",
                        result.target.account_id, result.target.region, merged.plugin.name
                    ));
                }
                merged.results.push(result);
            }
            merged.elapsed = merged.elapsed.max(report.elapsed);
        }
        runs.push(saved.run);
    }
    let held: usize = grouped.iter().map(|(r, _)| r.results.len()).sum();
    if held != head.run_targets {
        return Err(format!("the shards hold {held} targets but their run had {}", head.run_targets));
    }

    let mut tally = Tally { total: held, ..Tally::default() };
    let mut calls = CallCounts::default();
    let (mut elapsed, mut discovery) = (Duration::ZERO, Duration::ZERO);
    let mut stopped = None;
    for run in &runs {
        let ms = |key: &str| Duration::from_millis(run.get(key).and_then(Value::as_u64).unwrap_or(0));
        elapsed = elapsed.max(ms("elapsed_ms"));
        discovery = discovery.max(ms("discovery_ms"));
        if let Some(c) = run.get("calls").and_then(|c| serde_json::from_value::<CallCounts>(c.clone()).ok()) {
            calls.calls += c.calls;
            calls.throttled += c.throttled;
            calls.retries += c.retries;
        }
        // The gravest stop wins, whatever order the files came in.
        let this = run.get("stopped").and_then(|s| serde_json::from_value::<StopReason>(s.clone()).ok());
        stopped = [stopped, this].into_iter().flatten().max_by_key(|s| stop_rank(*s));
    }
    let reports: Vec<Report> = grouped.into_iter().map(|(r, _)| Report::new(r.plugin, r.results, r.elapsed)).collect();
    for result in reports.iter().flat_map(|r| &r.results) {
        match result.status {
            Status::Succeeded => tally.succeeded += 1,
            Status::Skipped => {}
            _ => tally.failures += 1,
        }
    }
    let policy = JoinPolicy {
        max_failures: head.max_failures,
        min_success: head.min_success.as_deref().and_then(|q| q.parse::<Quorum>().ok()),
        deadline: None,
    };
    let mut backend = serde_json::Map::new();
    for key in ["backend", "endpoint", "fixture"] {
        if let Some(value) = runs[0].get(key) {
            backend.insert(key.into(), value.clone());
        }
    }
    backend.insert("merged_shards".into(), head.count.into());
    // Shards started with one `--run-id` are that run; others get an id of
    // their own merge.
    let ids: Vec<Option<&str>> = runs.iter().map(|r| r.get("run_id").and_then(Value::as_str)).collect();
    let run_id = match ids.first() {
        Some(Some(first)) if ids.iter().all(|id| *id == Some(*first)) => (*first).to_owned(),
        _ => crate::store::new_run_id(),
    };
    Ok(RunReport {
        run_id,
        reports,
        verdict: policy.verdict(tally, stopped),
        stopped,
        calls,
        elapsed,
        discovery,
        backend: Value::Object(backend),
    })
}

/// How grave a stop is: an interrupted shard makes the run interrupted,
/// then too many failures, then the deadline.
fn stop_rank(stop: StopReason) -> u8 {
    match stop {
        StopReason::Interrupted => 3,
        StopReason::MaxFailures => 2,
        StopReason::Deadline => 1,
    }
}
