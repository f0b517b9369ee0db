//! `host sim serve` speaks AWS's wire protocols well enough for boto3, an
//! AWS client nobody here wrote (installed by the README's test command),
//! and so does trawl's own AWS backend: credentials, accounts, roles and
//! regions as an operator meets them against real AWS.

use std::process::Command;

use serde_json::{Value, json};
use trawl_tests::{SimServer, host_command};

#[test]
fn boto3_collects_from_the_simulator_over_http() {
    let server = SimServer::start(&[]);
    assert!(server.url.starts_with("http://127.0.0.1:"), "{:?}", server.url);

    // What the server holds, for the script to compare boto3's answers with.
    let export = trawl_tests::host(&["sim", "export"]);
    assert_eq!(export.status, 0, "{}", export.stderr);
    let demo = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(demo.path(), &export.stdout).unwrap();

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/boto3_against_sim.py");
    let out = Command::new("python3")
        .args([script, &server.url, demo.path().to_str().unwrap()])
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named 'boto3'"),
        "boto3 is missing: `python3 -m pip install boto3` (the README's test command does it)"
    );
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("boto3 ok"));
}

/// The JSON report of a run that must exit 0.
fn report(command: &mut Command) -> Value {
    let out = command.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{command:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The same plugin in process, over the default demo organisation.
fn in_process(plugin: &str, args: &[&str]) -> Value {
    let plugin = trawl_tests::plugin(plugin);
    let mut all = vec!["run", plugin.to_str().unwrap(), "--output", "json"];
    all.extend_from_slice(args);
    report(&mut host_command(&all))
}

/// (account, region) -> (status, records, totals, error code) of a JSON report.
fn outcomes(doc: &Value) -> std::collections::BTreeMap<(String, String), Value> {
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let key = (r["account_id"].as_str().unwrap().to_owned(), r["region"].as_str().unwrap().to_owned());
            (key, json!([r["status"], r["records"], r["totals"], r["error"]["code"]]))
        })
        .collect()
}

/// Flags for accounts 111111111111 (the caller's own, in the demo
/// organisation) and 444444444444, reached by assuming a role, in `regions`.
fn members_by_role(regions: &str) -> [&str; 6] {
    ["--role-name", "OrganizationAccountAccessRole", "--accounts", "111111111111,444444444444", "--regions", regions]
}

/// The (account, region) places of a report.
fn places(doc: &Value) -> Vec<(String, String)> {
    outcomes(doc).into_keys().collect()
}

#[test]
fn the_aws_backend_over_http_collects_what_the_simulator_holds() {
    let server = SimServer::start(&[]);
    // Real HTTP, SigV4, AssumeRole into each account, DescribeRegions for
    // `all`, XML converted back: the same outcomes as in process.
    let over_http = report(&mut server.run("ebs", "AKIA111111111111DEMO", &members_by_role("all")));
    let in_process = in_process("ebs", &["--accounts", "111111111111,444444444444"]);
    assert_eq!(outcomes(&over_http).len(), 6);
    assert!(outcomes(&over_http) == outcomes(&in_process), "HTTP and in-process runs differ");
    assert_eq!(over_http["summary"]["skipped"], 1, "the SCP deny crosses the wire as UnauthorizedOperation");

    // Without a role: the caller's own account, found with GetCallerIdentity.
    let own = report(&mut server.run("ebs", "AKIA333333333333DEMO", &["--regions", "eu-west-1"]));
    assert_eq!(places(&own), [("333333333333".to_owned(), "eu-west-1".to_owned())]);
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
    let server = SimServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let aws_config = aws_config_files(dir.path());
    // Environment keys of another account: a named profile wins over them,
    // as with the AWS CLI.
    let run =
        |args: &[&str]| report(server.run("ebs", "AKIA111111111111DEMO", args).env("AWS_CONFIG_FILE", &aws_config));

    // --profile: the caller is the profile's account.
    let own = run(&["--profile", "audit", "--regions", "eu-west-1"]);
    assert_eq!(places(&own), [("333333333333".to_owned(), "eu-west-1".to_owned())]);

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
    let listed = run(&["--config", run_config.to_str().unwrap()]);
    let in_process =
        in_process("ebs", &["--accounts", "222222222222,444444444444", "--regions", "eu-west-1,us-east-1"]);
    assert_eq!(outcomes(&listed).len(), 4, "{listed}");
    assert!(outcomes(&listed) == outcomes(&in_process), "listed accounts over HTTP differ from in process");
    let names: Vec<_> = listed["results"].as_array().unwrap().iter().map(|r| r["account_name"].clone()).collect();
    assert!(names.contains(&"from-vault".into()), "{names:?}");
    // Discovery and the role's assumption are counted with the run's calls:
    // the plugin's pages as in process, plus GetCallerIdentity and one
    // AssumeRole (cached for both regions).
    let calls = |doc: &Value| doc["run"]["calls"]["calls"].as_u64().unwrap();
    assert_eq!(calls(&listed), calls(&in_process) + 2, "{}", listed["run"]);
}

/// The demo organisation, changed by `edit`, as a fixture file.
fn demo_fixture(edit: impl FnOnce(&mut Value)) -> tempfile::NamedTempFile {
    let mut org = trawl_tests::host(&["sim", "export"]).json();
    edit(&mut org);
    trawl_tests::fixture(&org)
}

#[test]
fn a_region_without_the_service_is_skipped_in_process_and_over_http() {
    let fixture =
        demo_fixture(|org| org["accounts"][1]["regions"]["eu-west-1"]["missing_services"] = json!(["servicequotas"]));
    let fixture = fixture.path().to_str().unwrap();
    // Exit 0 for both: a skipped target does not fail the run.
    let in_process = in_process("quotas", &["--fixture", fixture, "--accounts", "222222222222"]);
    let server = SimServer::start(&["--fixture", fixture]);
    let over_http = report(&mut server.run("quotas", "AKIA222222222222DEMO", &["--regions", "all"]));
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

#[test]
fn an_account_whose_role_cannot_be_assumed_is_skipped_with_the_reason() {
    let fixture = demo_fixture(|org| org["accounts"][3]["denied"] = json!([{"service": "sts"}]));
    let server = SimServer::start(&["--fixture", fixture.path().to_str().unwrap()]);
    // Exit 0: skipped targets do not fail the run.
    let doc = report(&mut server.run("ebs", "AKIA111111111111DEMO", &members_by_role("eu-west-1,us-east-1")));
    for r in doc["results"].as_array().unwrap() {
        match r["account_id"].as_str().unwrap() {
            // The caller's own account keeps its own credentials.
            "111111111111" => assert_eq!(r["status"], "succeeded", "{r}"),
            _ => {
                assert_eq!((&r["status"], &r["error"]["code"]), (&"skipped".into(), &"AccessDenied".into()), "{r}");
                let message = r["error"]["message"].as_str().unwrap();
                let role = "assuming arn:aws:iam::444444444444:role/OrganizationAccountAccessRole";
                assert!(message.contains(role), "{message}");
            }
        }
    }
    assert_eq!((&doc["summary"]["succeeded"], &doc["summary"]["skipped"]), (&json!(2), &json!(2)));
}
