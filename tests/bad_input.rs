//! Bad input: each gets one line on stderr naming the culprit, and the
//! input-error exit status.

use trawl_tests::{EXIT_INPUT, fixture, host, plugin};

/// Asserts a one-line error mentioning every `needle`.
fn assert_input_error(args: &[&str], needles: &[&str]) {
    let run = host(args);
    assert_eq!(run.status, EXIT_INPUT, "args {args:?}\nstdout: {}\nstderr: {}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{}", run.stderr);
    for needle in needles {
        assert!(lines[0].contains(needle), "{needle:?} not in {:?}", lines[0]);
    }
    assert!(run.stdout.is_empty(), "nothing on stdout: {}", run.stdout);
}

#[test]
fn a_file_that_is_not_wasm() {
    let file = tempfile::Builder::new().suffix(".wasm").tempfile().unwrap();
    std::fs::write(file.path(), "#!/bin/sh\necho hi\n").unwrap();
    let path = file.path().to_str().unwrap();
    assert_input_error(&["run", path], &[path, "not a WebAssembly file"]);
    assert_input_error(&["inspect", path], &[path, "not a WebAssembly file"]);
}

#[test]
fn a_core_module_instead_of_a_component() {
    let file = tempfile::Builder::new().suffix(".wasm").tempfile().unwrap();
    // The smallest valid core module: magic and version 1.
    std::fs::write(file.path(), b"\0asm\x01\0\0\0").unwrap();
    let path = file.path().to_str().unwrap();
    assert_input_error(&["run", path], &[path, "core WebAssembly module", "wasm32-wasip2"]);
}

#[test]
fn a_truncated_component() {
    let bytes = std::fs::read(plugin("ebs")).unwrap();
    let file = tempfile::Builder::new().suffix(".wasm").tempfile().unwrap();
    std::fs::write(file.path(), &bytes[..bytes.len() / 2]).unwrap();
    let path = file.path().to_str().unwrap();
    assert_input_error(&["run", path], &[path, "invalid component"]);
}

#[test]
fn a_component_of_another_world() {
    let command = plugin("command");
    let path = command.to_str().unwrap();
    assert_input_error(&["run", path], &[path, "not a trawl collector", "wasi:cli/run"]);
}

#[test]
fn a_collector_built_for_an_incompatible_world_version() {
    let future = plugin("future-world");
    let path = future.to_str().unwrap();
    assert_input_error(&["inspect", path], &[path, "trawl:collector@0.2.0", "0.1.x"]);
}

#[test]
fn a_missing_plugin_file() {
    assert_input_error(&["run", "/nonexistent/ebs.wasm"], &["/nonexistent/ebs.wasm", "cannot read"]);
}

#[test]
fn unknown_regions_and_accounts() {
    let ebs = plugin("ebs");
    let ebs = ebs.to_str().unwrap();
    assert_input_error(&["run", ebs, "--regions", "us-east-1,mars-north-1"], &["mars-north-1", "us-east-1"]);
    assert_input_error(&["run", ebs, "--accounts", "nobody"], &["\"nobody\"", "management"]);
}

#[test]
fn malformed_and_impossible_fixtures() {
    let ebs = plugin("ebs");
    let ebs = ebs.to_str().unwrap();
    let broken = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    std::fs::write(broken.path(), "{\"accounts\": [").unwrap();
    let path = broken.path().to_str().unwrap();
    assert_input_error(&["run", ebs, "--fixture", path], &[path, "not a valid organisation fixture", "line"]);

    let misspelt = fixture(&serde_json::json!({"accounts": [], "acounts": []}));
    let path = misspelt.path().to_str().unwrap();
    assert_input_error(&["run", ebs, "--fixture", path], &[path, "acounts"]);

    let empty = fixture(&serde_json::json!({"accounts": []}));
    let path = empty.path().to_str().unwrap();
    assert_input_error(&["run", ebs, "--fixture", path], &[path, "no accounts"]);
}

#[test]
fn bad_flags_are_usage_errors() {
    let run = host(&["run", "x.wasm", "--max-workers", "0"]);
    assert_eq!(run.status, EXIT_INPUT);
    assert!(run.stderr.contains("--max-workers"), "{}", run.stderr);
    let run = host(&["run", "x.wasm", "--timeout", "-1"]);
    assert_eq!(run.status, EXIT_INPUT);
}

/// A config file with `text`, for the table below.
fn config(text: &str) -> tempfile::NamedTempFile {
    let file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    std::fs::write(file.path(), text).unwrap();
    file
}

#[test]
fn every_bad_input_is_one_line_that_names_it() {
    let ebs = plugin("ebs");
    let ebs = ebs.to_str().unwrap();
    let typo = config("max_worker = 3");
    let twice = config("max_attempts = 3\n[retries]\nmax_attempts = 4");
    let bad_output = config("output = \"yaml\"");
    let bad_shard = config("shard = \"3/2\"");
    let bad_endpoint = config("aws = true\nendpoint_url = \"localhost:4566\"");
    let aws_key = config("profile = \"audit\"");
    let missing = "/nonexistent/trawl.toml";
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["--max-workers", "0"], vec!["--max-workers", "0"]),
        (vec!["--max-workers", "-1"], vec!["--max-workers", "-1"]),
        (vec!["--max-workers", "many"], vec!["--max-workers", "many"]),
        (vec!["--timeout", "-5"], vec!["--timeout", "-5", "negative"]),
        (vec!["--timeout", "0s"], vec!["--timeout", "longer than zero"]),
        (vec!["--timeout", "soon"], vec!["--timeout", "soon"]),
        (vec!["--retry-delay", "-1s"], vec!["--retry-delay", "negative"]),
        (vec!["--deadline", "forever"], vec!["--deadline", "forever"]),
        (vec!["--call-timeout", "0"], vec!["--call-timeout"]),
        (vec!["--max-attempts", "0"], vec!["--max-attempts"]),
        (vec!["--min-success", "150%"], vec!["150%", "at most 100%"]),
        (vec!["--min-success", "lots"], vec!["lots"]),
        (vec!["--min-success", "500"], vec!["500", "12 targets"]),
        (vec!["--rate-limit", "foo=5"], vec!["foo", "unknown service"]),
        (vec!["--rate-limit", "ec3=5"], vec!["ec3", "did you mean \"ec2\""]),
        (vec!["--rate-limit", "ec2=fast"], vec!["ec2=fast"]),
        (vec!["--sim-limit", "nope=1"], vec!["nope", "--sim-limit"]),
        (vec!["--sim-error-rate", "2"], vec!["--sim-error-rate", "2"]),
        (vec!["--sim-latency", "fast"], vec!["--sim-latency", "fast"]),
        (vec!["--max-output-per-target", "8 parsecs"], vec!["8 parsecs"]),
        (vec!["--output", "yaml"], vec!["--output", "yaml"]),
        (vec!["--regions", "eu-west-9"], vec!["eu-west-9", "did you mean \"eu-west-1\""]),
        (vec!["--accounts", "prodution"], vec!["prodution", "did you mean \"production\""]),
        (vec!["--profile", "audit"], vec!["--profile", "--aws"]),
        (vec!["--org"], vec!["--org", "--aws"]),
        (vec!["--role-name", "Audit"], vec!["--role-name", "--aws"]),
        (vec!["--aws", "--fixture", "org.json"], vec!["--fixture", "--aws"]),
        (vec!["--aws", "--sim-latency", "20ms"], vec!["--sim-latency", "--aws"]),
        (vec!["--aws", "--endpoint-url", "127.0.0.1:5055"], vec!["127.0.0.1:5055", "http://"]),
        (vec![ebs], vec!["both plugin \"ebs\""]),
        (vec!["--config", missing], vec![missing]),
        (vec!["--config", typo.path().to_str().unwrap()], vec!["max_worker", "did you mean \"max_workers\""]),
        (vec!["--config", twice.path().to_str().unwrap()], vec!["max_attempts", "keep one"]),
        (vec!["--config", bad_output.path().to_str().unwrap()], vec!["yaml", "table, json, jsonl or csv"]),
        (vec!["--config", bad_shard.path().to_str().unwrap()], vec!["`shard`", "\"3/2\"", "I/N"]),
        (vec!["--shard", "0/3"], vec!["--shard", "0/3"]),
        (vec!["--shard", "x/y"], vec!["--shard", "x/y"]),
        (vec!["--config", bad_endpoint.path().to_str().unwrap()], vec!["localhost:4566"]),
        (vec!["--config", aws_key.path().to_str().unwrap()], vec!["profile", "--aws"]),
    ];
    assert!(cases.len() >= 30);
    for (extra, needles) in cases {
        let mut args = vec!["run", ebs];
        args.extend(extra);
        assert_input_error(&args, &needles);
    }
}
