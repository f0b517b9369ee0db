//! `host sim serve` speaks AWS's wire protocols well enough for boto3, an
//! AWS client nobody here wrote (installed by the README's test command).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use trawl_tests::host_command;

#[test]
fn boto3_collects_from_the_simulator_over_http() {
    let mut server = host_command(&["sim", "serve", "--port", "0"]).stdout(Stdio::piped()).spawn().unwrap();
    let mut url = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut url).unwrap();
    let url = url.trim().to_owned();
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
