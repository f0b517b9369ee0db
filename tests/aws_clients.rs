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
    serve_with(&[])
}

/// `host sim serve` with extra simulator flags.
fn serve_with(args: &[&str]) -> (std::process::Child, String) {
    let mut all = vec!["sim", "serve", "--port", "0"];
    all.extend_from_slice(args);
    let mut server = host_command(&all).stdout(Stdio::piped()).spawn().unwrap();
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
fn missing_credentials_and_unknown_profiles_are_input_errors() {
    let ebs = trawl_tests::plugin("ebs");
    let ebs = ebs.to_str().unwrap();
    let run = host_command(&["run", ebs, "--aws", "--endpoint-url", "http://127.0.0.1:9"]).output().unwrap();
    assert_eq!(run.status.code(), Some(trawl_tests::EXIT_INPUT));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("AWS_ACCESS_KEY_ID") && stderr.contains("--profile"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let run = host_command(&["run", ebs, "--aws", "--endpoint-url", "http://127.0.0.1:9", "--profile", "nosuch"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(trawl_tests::EXIT_INPUT));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("\"nosuch\"") && stderr.lines().count() == 1, "{stderr}");
}

/// An AWS config file with a static-key profile and a credential_process
/// one (a script printing the documented JSON), in a temporary folder.
fn aws_config_files(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let process = dir.join("credentials-from-vault.sh");
    std::fs::write(
        &process,
        "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIA222222222222DEMO\", \"SecretAccessKey\": \"any\"}'\n",
    )
    .unwrap();
    std::fs::set_permissions(&process, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile audit]\naws_access_key_id = AKIA333333333333DEMO\naws_secret_access_key = any\n\n\
             [profile vault]\ncredential_process = {}\n",
            process.display()
        ),
    )
    .unwrap();
    config
}

#[test]
fn profiles_credential_process_and_listed_accounts_reach_their_own_accounts() {
    let (mut server, url) = serve();
    let dir = tempfile::tempdir().unwrap();
    let aws_config = aws_config_files(dir.path());
    let ebs = trawl_tests::plugin("ebs");
    let ebs = ebs.to_str().unwrap();
    let aws_run = |args: &[&str]| {
        let mut all = vec!["run", ebs, "--aws", "--endpoint-url", &url, "--output", "json"];
        all.extend_from_slice(args);
        // Environment keys of another account: a named profile wins over
        // them, as with the AWS CLI.
        let out = host_command(&all)
            .env("AWS_CONFIG_FILE", &aws_config)
            .env("AWS_ACCESS_KEY_ID", "AKIA111111111111DEMO")
            .env("AWS_SECRET_ACCESS_KEY", "any")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };

    // --profile: the caller is the profile's account (the simulator tells
    // accounts apart by access key).
    let own = aws_run(&["--profile", "audit", "--regions", "eu-west-1"]);
    let places: Vec<_> = outcomes(&own).into_keys().collect();
    assert_eq!(places, [("333333333333".to_owned(), "eu-west-1".to_owned())]);

    // [[account]] entries: one through a credential_process profile, one
    // through a role assumed with the caller's (--profile) credentials.
    let run_config = dir.path().join("trawl.toml");
    std::fs::write(
        &run_config,
        r#"
        profile = "audit"
        regions = ["eu-west-1", "us-east-1"]
        [[account]]
        id = "222222222222"
        name = "from-vault"
        profile = "vault"
        [[account]]
        id = "444444444444"
        role = "OrganizationAccountAccessRole"
        "#,
    )
    .unwrap();
    let listed = aws_run(&["--config", run_config.to_str().unwrap()]);
    server.kill().unwrap();
    server.wait().unwrap();
    let in_process = trawl_tests::host(&[
        "run",
        ebs,
        "--accounts",
        "222222222222,444444444444",
        "--regions",
        "eu-west-1,us-east-1",
        "--output",
        "json",
    ]);
    assert_eq!(outcomes(&listed).len(), 4, "{listed}");
    assert!(outcomes(&listed) == outcomes(&in_process.json()), "listed accounts over HTTP differ from in process");
    let names: Vec<_> = listed["results"].as_array().unwrap().iter().map(|r| r["account_name"].clone()).collect();
    assert!(names.contains(&"from-vault".into()), "{names:?}");
    // Discovery and the role's assumption are counted with the run's calls:
    // the plugin's pages as in process, plus GetCallerIdentity and one
    // AssumeRole (cached for both regions).
    let calls = |doc: &serde_json::Value| doc["run"]["calls"]["calls"].as_u64().unwrap();
    assert_eq!(calls(&listed), calls(&in_process.json()) + 2, "{}", listed["run"]);
}

#[test]
fn a_region_without_the_service_is_skipped_in_process_and_over_http() {
    let mut org = trawl_tests::host(&["sim", "export"]).json();
    org["accounts"][1]["regions"]["eu-west-1"]["missing_services"] = serde_json::json!(["servicequotas"]);
    let fixture = trawl_tests::fixture(&org);
    let fixture = fixture.path().to_str().unwrap();
    let quotas = trawl_tests::plugin("quotas");
    let quotas = quotas.to_str().unwrap();

    let in_process =
        trawl_tests::host(&["run", quotas, "--fixture", fixture, "--accounts", "222222222222", "--output", "json"]);
    assert_eq!(in_process.status, 0, "a skipped target does not fail the run: {}", in_process.stderr);
    let in_process = in_process.json();
    let (mut server, url) = serve_with(&["--fixture", fixture]);
    let over_http =
        host_command(&["run", quotas, "--aws", "--endpoint-url", &url, "--regions", "all", "--output", "json"])
            .env("AWS_ACCESS_KEY_ID", "AKIA222222222222DEMO")
            .env("AWS_SECRET_ACCESS_KEY", "any")
            .output()
            .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(over_http.status.code(), Some(0), "{}", String::from_utf8_lossy(&over_http.stderr));
    let over_http: serde_json::Value = serde_json::from_slice(&over_http.stdout).unwrap();

    for doc in [&in_process, &over_http] {
        let outcomes = outcomes(doc);
        assert_eq!(outcomes.len(), 3, "{doc}");
        for ((_, region), outcome) in &outcomes {
            let expected = if region == "eu-west-1" { "skipped" } else { "succeeded" };
            assert_eq!(outcome[0], expected, "{region}: {outcome}");
        }
        let skipped = &outcomes[&("222222222222".to_owned(), "eu-west-1".to_owned())];
        assert_eq!(skipped[3], "trawl.NoEndpoint", "{skipped}");
    }
    assert!(outcomes(&in_process) == outcomes(&over_http), "HTTP and in-process runs differ");
}
