//! `host sim serve` speaks AWS's wire protocols well enough for boto3, an
//! AWS client nobody here wrote (installed by the README's test command),
//! and so does trawl's own AWS backend.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use trawl_tests::host_command;

#[test]
fn boto3_collects_from_the_simulator_over_http() {
    let (mut server, url) = serve();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/boto3_against_sim.py");
    let out = Command::new("python3").args([script, &url]).output();
    server.kill().unwrap();
    server.wait().unwrap();
    let out = out.expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named 'boto3'"),
        "boto3 is missing: `python3 -m pip install boto3` (the README's test command does it)"
    );
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("boto3 ok"));
}

/// `host sim serve` on a free port, and its URL.
fn serve() -> (std::process::Child, String) {
    let mut server = host_command(&["sim", "serve", "--port", "0"]).stdout(Stdio::piped()).spawn().unwrap();
    let mut url = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut url).unwrap();
    (server, url.trim().to_owned())
}

/// (account, region) -> (status, records, totals) of a JSON report.
fn outcomes(doc: &serde_json::Value) -> std::collections::BTreeMap<(String, String), serde_json::Value> {
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let key = (r["account_id"].as_str().unwrap().to_owned(), r["region"].as_str().unwrap().to_owned());
            (key, serde_json::json!([r["status"], r["records"], r["totals"], r["error"]["code"]]))
        })
        .collect()
}

#[test]
fn the_aws_backend_over_http_collects_what_the_simulator_holds() {
    let (mut server, url) = serve();
    let ebs = trawl_tests::plugin("ebs");
    let ebs = ebs.to_str().unwrap();
    // Real HTTP, SigV4, AssumeRole into each account, DescribeRegions for
    // `all`, XML converted back: the same outcomes as in process.
    let over_http = host_command(&[
        "run",
        ebs,
        "--aws",
        "--endpoint-url",
        &url,
        "--role-name",
        "OrganizationAccountAccessRole",
        "--accounts",
        "111111111111,444444444444",
        "--regions",
        "all",
        "--output",
        "json",
    ])
    .env("AWS_ACCESS_KEY_ID", "AKIA111111111111DEMO")
    .env("AWS_SECRET_ACCESS_KEY", "any")
    .output()
    .unwrap();
    let in_process = trawl_tests::host(&["run", ebs, "--accounts", "111111111111,444444444444", "--output", "json"]);
    // Without a role: the caller's own account, found with GetCallerIdentity.
    let own =
        host_command(&["run", ebs, "--aws", "--endpoint-url", &url, "--regions", "eu-west-1", "--output", "json"])
            .env("AWS_ACCESS_KEY_ID", "AKIA333333333333DEMO")
            .env("AWS_SECRET_ACCESS_KEY", "any")
            .output()
            .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();

    assert_eq!(over_http.status.code(), Some(0), "{}", String::from_utf8_lossy(&over_http.stderr));
    let over_http: serde_json::Value = serde_json::from_slice(&over_http.stdout).unwrap();
    let in_process = in_process.json();
    assert_eq!(outcomes(&over_http).len(), 6);
    assert!(outcomes(&over_http) == outcomes(&in_process), "HTTP and in-process runs differ");
    assert_eq!(over_http["summary"]["skipped"], 1, "the SCP deny crosses the wire as UnauthorizedOperation");

    let own: serde_json::Value = serde_json::from_slice(&own.stdout).unwrap();
    let places: Vec<_> = outcomes(&own).into_keys().collect();
    assert_eq!(places, [("333333333333".to_owned(), "eu-west-1".to_owned())]);
}

#[test]
fn missing_credentials_are_an_input_error() {
    let ebs = trawl_tests::plugin("ebs");
    let run = host_command(&["run", ebs.to_str().unwrap(), "--aws", "--endpoint-url", "http://127.0.0.1:9"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(trawl_tests::EXIT_INPUT));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("AWS_ACCESS_KEY_ID") && stderr.lines().count() == 1, "{stderr}");
}
