//! Runs that outgrow one machine: `--shard I/N` on each of N machines and
//! `host merge` give exactly the report of one run over every target; the
//! Kubernetes manifests that do it are well formed and agree with the CLI.

use serde_json::Value;
use trawl_tests::{EXIT_INPUT, host, plugin, repository};
use yaml_rust2::{Yaml, YamlLoader};

/// A generated organisation of 125 accounts x 16 regions: 2,000 targets
/// per regional plugin; no server-side throttling, so the call counts of
/// a sharded and an unsharded run are comparable exactly.
const ORG: [&str; 3] = ["--sim-generate", "accounts=125,regions=16", "--no-sim-throttling"];

fn run(plugins: &[&str], extra: &[&str]) -> trawl_tests::Run {
    let paths: Vec<String> = plugins.iter().map(|p| plugin(p).display().to_string()).collect();
    let mut args = vec!["run"];
    args.extend(paths.iter().map(String::as_str));
    args.extend(ORG);
    args.extend(extra);
    args.extend(["-o", "json"]);
    host(&args)
}

/// A report without what differs between two runs of the same cloud: times,
/// sharding and the run id (each run is its own unless `--run-id` says).
fn comparable(mut doc: Value) -> Value {
    let run = doc["run"].as_object_mut().unwrap();
    for key in ["elapsed_ms", "discovery_ms", "shard", "merged_shards", "run_id"] {
        run.remove(key);
    }
    for plugin in doc["plugins"].as_array_mut().unwrap() {
        plugin["summary"].as_object_mut().unwrap().remove("elapsed_ms");
        for result in plugin["results"].as_array_mut().unwrap() {
            result.as_object_mut().unwrap().remove("elapsed_ms");
        }
    }
    doc
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn shards_merged_equal_one_unsharded_run_over_2000_targets() {
    let plugins = ["ebs", "quotas", "whoami"];
    let whole = run(&plugins, &[]);
    assert_eq!(whole.status, 0, "{}", whole.stderr);
    let whole = whole.json();
    assert_eq!(whole["plugins"][0]["summary"]["total"], 2000);

    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut sizes = Vec::new();
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let part = run(&plugins, &["--shard", &shard]);
        assert_eq!(part.status, 0, "{}", part.stderr);
        assert!(part.stderr.contains(&format!("shard {shard}:")), "the shard says so: {}", part.stderr);
        let doc = part.json();
        assert_eq!(doc["run"]["shard"]["index"], i);
        sizes.push(doc["run"]["shard"]["targets"].as_u64().unwrap());
        // The organization-scoped plugin runs once, in shard 1.
        let whoami = doc["plugins"][2]["results"].as_array().unwrap().len();
        assert_eq!(whoami, usize::from(i == 1), "shard {shard} ran whoami {whoami} times");
        files.push(write(&dir, &format!("shard-{i}.json"), &part.stdout));
    }
    // Balanced: each shard within 10 % of a third.
    let third = (2 * 2000 + 1) as f64 / 3.0;
    assert!(sizes.iter().all(|&n| (n as f64 - third).abs() < third / 10.0), "{sizes:?}");

    // In any order.
    let mut args = vec!["merge", "-o", "json"];
    args.extend([&files[2], &files[0], &files[1]].map(String::as_str));
    let merged = host(&args);
    assert_eq!(merged.status, 0, "{}", merged.stderr);
    let merged = merged.json();
    assert_eq!(merged["run"]["merged_shards"], 3);
    assert_eq!(comparable(merged), comparable(whole));
}

#[test]
fn merge_refuses_what_is_not_one_runs_complete_shards_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let shard = |plugins: &[&str], spec: &str, extra: &[&str]| {
        let mut args = vec!["--shard", spec];
        args.extend(extra);
        let r = run(plugins, &args);
        assert_eq!(r.status, 0, "{}", r.stderr);
        r.stdout
    };
    let ebs1 = write(&dir, "ebs-1.json", &shard(&["ebs"], "1/2", &[]));
    let ebs2 = write(&dir, "ebs-2.json", &shard(&["ebs"], "2/2", &[]));
    let quotas2 = write(&dir, "quotas-2.json", &shard(&["quotas"], "2/2", &[]));
    let other_run = write(&dir, "other-2.json", &shard(&["ebs"], "2/2", &["--regions", "us-east-1,eu-west-1"]));
    let of_three = write(&dir, "three-2.json", &shard(&["ebs"], "2/3", &[]));
    let whole = write(&dir, "whole.json", &run(&["ebs"], &[]).stdout);

    let cases: &[(&[&str], &[&str])] = &[
        (&[&ebs1], &["shard 2/2 missing"]),
        (&[&ebs1, &ebs1], &["both shard 1/2"]),
        (&[&ebs1, &quotas2], &["quotas-2.json ran plugins [quotas 0.1.0]", "[ebs 0.1.0]"]),
        (&[&ebs1, &other_run], &["other-2.json and", "different runs"]),
        (&[&ebs1, &of_three], &["three-2.json and", "different runs"]),
        (&[&ebs1, &whole], &["whole.json is not a shard"]),
    ];
    for (files, expected) in cases {
        let mut args = vec!["merge"];
        args.extend(files.iter().copied());
        let refused = host(&args);
        assert_eq!(refused.status, EXIT_INPUT, "{files:?}: {}", refused.stderr);
        assert_eq!(refused.stderr.lines().count(), 1, "{files:?}: {}", refused.stderr);
        for needle in *expected {
            assert!(refused.stderr.contains(needle), "{files:?}: {needle:?} not in {}", refused.stderr);
        }
        assert!(refused.stdout.is_empty(), "nothing merged is written");
    }
    let ok = host(&["merge", &ebs2, &ebs1]);
    assert_eq!(ok.status, 0, "{}", ok.stderr);
    // jsonl from a merge carries every record, one per line.
    let lines = host(&["merge", &ebs1, &ebs2, "-o", "jsonl"]);
    assert_eq!(lines.status, 0, "{}", lines.stderr);
    let records = ok.json()["summary"]["records"].as_u64().unwrap();
    assert_eq!(lines.stdout.lines().count() as u64, records);
    assert!(lines.stdout.lines().all(|l| serde_json::from_str::<Value>(l).is_ok_and(|v| v["account_id"].is_string())));
}

#[test]
fn bad_shards_are_refused_in_one_line() {
    let ebs = plugin("ebs");
    for bad in ["0/3", "3/2", "x/y", "1/0", "2"] {
        let refused = host(&["run", ebs.to_str().unwrap(), "--shard", bad]);
        assert_eq!(refused.status, EXIT_INPUT, "--shard {bad}: {}", refused.stderr);
        assert_eq!(refused.stderr.lines().count(), 1, "--shard {bad}: {}", refused.stderr);
        assert!(refused.stderr.contains(bad) && refused.stderr.contains("I/N"), "{}", refused.stderr);
    }
}

fn manifest(name: &str) -> Vec<Yaml> {
    let path = repository().join("deploy/kubernetes").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{name} is not YAML: {e}"))
}

fn only(name: &str, kind: &str) -> Yaml {
    let docs = manifest(name);
    assert_eq!(docs.len(), 1, "{name} holds one document");
    let doc = docs.into_iter().next().unwrap();
    assert_eq!(doc["kind"].as_str(), Some(kind), "{name}");
    assert!(doc["apiVersion"].as_str().is_some() && doc["metadata"]["name"].as_str().is_some(), "{name}");
    doc
}

fn container_script(job: &Yaml) -> String {
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    let command: Vec<&str> = container["command"].as_vec().into_iter().flatten().filter_map(Yaml::as_str).collect();
    let args: Vec<&str> = container["args"].as_vec().into_iter().flatten().filter_map(Yaml::as_str).collect();
    [command, args].concat().join(" ")
}

fn env(job: &Yaml, name: &str) -> Option<String> {
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    container["env"]
        .as_vec()?
        .iter()
        .find(|e| e["name"].as_str() == Some(name))
        .and_then(|e| e["value"].as_str().map(str::to_owned))
}

#[test]
fn the_kubernetes_manifests_are_an_indexed_job_of_shards_and_a_merge() {
    let config = only("configmap.yaml", "ConfigMap");
    let toml_text = config["data"]["run.toml"].as_str().expect("the ConfigMap holds run.toml");
    // The run config in the ConfigMap is one trawl reads, every key known.
    let parsed = trawl_host::config::RunConfig::parse(toml_text).unwrap_or_else(|e| panic!("run.toml: {e}"));
    assert_eq!(parsed.aws, Some(true), "it collects from AWS");

    let account = only("serviceaccount.yaml", "ServiceAccount");
    let annotations = account["metadata"]["annotations"].as_hash().expect("annotations");
    assert!(annotations.keys().any(|k| k.as_str() == Some("eks.amazonaws.com/role-arn")), "IRSA annotation");
    only("pvc.yaml", "PersistentVolumeClaim");

    let job = only("job.yaml", "Job");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    let completions = spec["completions"].as_i64().expect("completions");
    let shards = env(&job, "SHARDS").expect("SHARDS in the container's environment");
    assert_eq!(shards, completions.to_string(), "SHARDS and completions agree");
    assert_eq!(spec["template"]["spec"]["serviceAccountName"].as_str(), account["metadata"]["name"].as_str());
    let script = container_script(&job);
    assert!(script.contains(r#"--shard "$((JOB_COMPLETION_INDEX + 1))/${SHARDS}""#), "{script}");
    assert!(script.contains("host run") && script.contains("-o json"), "{script}");

    let merge = only("merge-job.yaml", "Job");
    let script = container_script(&merge);
    assert!(script.contains("host merge") && script.contains("shard-"), "{script}");

    // The database variant: every pod writes one run (the Job's uid) into
    // the URL of a Secret; the flags are ones `host run` takes.
    let db_job = only("job-postgres.yaml", "Job");
    assert_eq!(env(&db_job, "SHARDS").unwrap(), db_job["spec"]["completions"].as_i64().unwrap().to_string());
    let script = container_script(&db_job);
    for flag in ["--shard", "--run-id \"${RUN_ID}\"", "--into \"${TRAWL_DB_URL}\""] {
        assert!(script.contains(flag), "{flag} not in {script}");
    }
    let secret = only("secret.yaml", "Secret");
    let url = secret["stringData"]["url"].as_str().expect("the Secret holds url");
    assert!(url.parse::<trawl_host::store::StoreUrl>().is_ok(), "{url}");
    let help = trawl_tests::host(&["run", "--help"]).stdout;
    assert!(help.contains("--run-id") && help.contains("--into"), "{help}");
}
