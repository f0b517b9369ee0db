//! Hostile plugins against the sandbox and the host's output. Each account
//! of the fixture makes the hostile plugin misbehave differently; the run
//! must contain every attack, report each clearly, and keep what the
//! honest target collected, in every output format.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use trawl_tests::{
    EXIT_INPUT, EXIT_TARGETS_FAILED, RecordingProxy, SimServer, fixture, host, plugin, results_by_place,
};

/// Every behaviour of `tests/plugins/hostile` (the account name picks it)
/// and how its target must end: status and error code (`*`: any code).
const BEHAVIOURS: &[(&str, &str, &str)] = &[
    // Its own sandbox.
    ("spin", "timed_out", "*"),
    ("hog", "failed", "trawl.MemoryLimit"),
    ("recurse", "failed", "trawl.Trap"),
    ("random", "failed", "trawl.Trap"),
    ("panic", "failed", "trawl.Trap"),
    ("chatty", "succeeded", ""),
    ("snoop", "succeeded", ""),
    // The outside world: linked, and every use denied.
    ("tcp", "succeeded", ""),
    ("udp", "succeeded", ""),
    ("dns", "succeeded", ""),
    ("files", "succeeded", ""),
    // The cloud.
    ("sneak", "failed", "trawl.PermissionDenied"),
    ("inject-action", "failed", "trawl.BadParams"),
    ("inject-version", "failed", "trawl.BadParams"),
    ("inject-operation", "failed", "trawl.BadParams"),
    ("inject-target", "succeeded", ""),
    // The host's output.
    ("garbage", "failed", "trawl.InvalidRecord"),
    ("array", "failed", "trawl.InvalidRecord"),
    ("deep", "failed", "trawl.InvalidRecord"),
    ("abyss", "failed", "trawl.InvalidRecord"),
    ("flood", "failed", "trawl.OutputTooLarge"),
    ("huge-cell", "succeeded", ""),
    ("huge-message", "failed", "Huge"),
    ("escape-record", "succeeded", ""),
    ("escape-error", "failed", "*"),
    ("escape-total", "succeeded", ""),
    ("max-total-1", "succeeded", ""),
    ("max-total-2", "succeeded", ""),
    ("many-totals", "failed", "trawl.InvalidTotals"),
    ("honest", "succeeded", ""),
];

fn hostile_org() -> Value {
    let accounts: Vec<Value> = BEHAVIOURS
        .iter()
        .enumerate()
        .map(|(i, (name, ..))| {
            let id = format!("{:012}", 100 + i);
            json!({"id": id, "name": name, "support_plan": "business", "regions": {"us-east-1": {}}})
        })
        .collect();
    json!({ "accounts": accounts })
}

/// Runs the hostile plugin over the hostile organisation with `extra` flags.
fn run_hostile(extra: &[&str]) -> trawl_tests::Run {
    let org = fixture(&hostile_org());
    let hostile = plugin("hostile");
    let mut args = vec!["run", hostile.to_str().unwrap(), "--fixture", org.path().to_str().unwrap()];
    args.extend_from_slice(extra);
    host(&args)
}

fn count(status: &str) -> usize {
    BEHAVIOURS.iter().filter(|(_, s, _)| *s == status).count()
}

#[test]
fn every_attack_is_contained_and_honest_results_survive() {
    let run = run_hostile(&["--output", "json", "--timeout", "3"]);
    assert_eq!(run.status, EXIT_TARGETS_FAILED, "{}", run.stderr);
    let doc = run.json();
    let by = results_by_place(&doc);
    for (name, status, code) in BEHAVIOURS {
        let r = &by[&format!("{name}/us-east-1")];
        assert_eq!(r["status"], *status, "{name}: {r}");
        if *code != "*" {
            assert_eq!(r["error"]["code"].as_str().unwrap_or_default(), *code, "{name}: {r}");
        }
    }
    let message = |name: &str| by[&format!("{name}/us-east-1")]["error"]["message"].as_str().unwrap().to_owned();
    assert!(message("hog").contains("memory limit of 64 MiB"), "{}", message("hog"));
    assert!(message("random").contains("1 TiB of random bytes"), "{}", message("random"));
    assert!(message("recurse").contains("stack overflow"), "{}", message("recurse"));
    assert!(message("flood").contains("48 records of 48.0 MiB"), "{}", message("flood"));
    assert!(message("inject-action").contains("\"Action\""), "{}", message("inject-action"));
    assert!(message("huge-message").len() < 4200, "reasons are cut to a few KiB");
    // A trap says what the guest printed last: here, Rust's panic message.
    assert!(
        message("panic").contains("stderr: ") && message("panic").contains("the hostile plugin panics"),
        "{}",
        message("panic")
    );

    // No environment, no arguments, no filesystem.
    let snoop = &by["snoop/us-east-1"]["records"][0];
    assert_eq!((snoop["env_vars"].as_u64(), snoop["read_root"].as_bool()), (Some(0), Some(false)));
    assert_eq!(snoop["read_passwd"], false);

    assert_eq!(by["honest/us-east-1"]["records"], json!([{"behaviour": "honest"}]));
    assert_eq!(doc["summary"]["total"], BEHAVIOURS.len());
    assert_eq!(doc["summary"]["failed"], count("failed"));
    assert_eq!(doc["summary"]["timed_out"], 1);
    // Two totals of u64::MAX: the sum stops there and says so.
    assert_eq!(doc["summary"]["totals"]["big"], u64::MAX);
    assert_eq!(doc["summary"]["saturated"], json!(["big"]));
}

/// The component imports `wasi:sockets` and `wasi:filesystem` (its std
/// links them in), loads, and gets an error for every use: a listener on
/// the address it tries sees no connection and no datagram, and nothing
/// resolves.
#[test]
fn sockets_names_and_files_are_linked_but_denied() {
    use std::net::{TcpListener, UdpSocket};

    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = tcp.local_addr().unwrap().port();
    let udp = UdpSocket::bind(("127.0.0.1", port)).unwrap();
    tcp.set_nonblocking(true).unwrap();
    udp.set_nonblocking(true).unwrap();
    let probe = format!("hostile.probe_address=127.0.0.1:{port}");
    let run =
        run_hostile(&["--output", "json", "--timeout", "3", "--accounts", "tcp,udp,dns,files,honest", "--set", &probe]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let by = results_by_place(&run.json());
    for name in ["tcp", "udp", "dns", "files"] {
        let record = &by[&format!("{name}/us-east-1")]["records"][0];
        assert_eq!(record["reached"], false, "{name} got out: {record}");
        assert!(!record["outcome"].as_str().unwrap().is_empty(), "{name}: {record}");
    }
    assert_eq!(by["honest/us-east-1"]["records"], json!([{"behaviour": "honest"}]));
    assert!(tcp.accept().is_err(), "a plugin connected to a local listener");
    assert!(udp.recv(&mut [0; 64]).is_err(), "a plugin's datagram arrived");
    let inspect = host(&["inspect", plugin("hostile").to_str().unwrap()]);
    assert!(inspect.stdout.contains("probe_address (text, default \"127.0.0.1:9\")"), "{}", inspect.stdout);
}

#[test]
fn jsonl_streams_every_valid_record_and_nothing_else() {
    let run = run_hostile(&["--output", "jsonl", "--timeout", "3"]);
    assert_eq!(run.status, EXIT_TARGETS_FAILED, "{}", run.stderr);
    let lines: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    let from = |name: &str| lines.iter().filter(|l| l["account_name"] == name).count();
    assert_eq!(from("honest"), 1);
    assert_eq!(from("huge-cell"), 1);
    for (name, status, _) in BEHAVIOURS {
        if *status != "succeeded" {
            assert_eq!(from(name), 0, "{name} failed, so none of its records is written");
        }
    }
    let summary: Value = serde_json::from_str(run.stderr.lines().last().unwrap()).unwrap();
    assert_eq!(summary["plugins"][0]["summary"]["records"], lines.len());
}

#[test]
fn the_table_shows_control_characters_escaped_and_long_values_clipped() {
    let run = run_hostile(&["--output", "table", "--timeout", "3"]);
    assert_eq!(run.status, EXIT_TARGETS_FAILED, "{}", run.stderr);
    let out = &run.stdout;
    assert!(!out.contains(['\u{1b}', '\u{7}']), "a control character reached the terminal");
    assert!(out.contains("\\u{1b}]0;pwned"), "escapes are shown, not dropped");
    assert!(out.contains("honest"));
    // A 4 MiB value, an 8 MiB message: the table stays small.
    assert!(out.len() < 64 * 1024, "{} bytes of table", out.len());
    assert!(out.lines().all(|l| l.chars().count() < 1000), "a row grew with a plugin's value");
    assert!(out.contains("big 18446744073709551615 (saturated"), "{out}");
}

#[test]
fn a_spinning_plugin_does_not_hold_up_the_others() {
    // One worker per target: the spinner must be cut off by its own
    // deadline while the other tasks finish normally.
    let run = run_hostile(&["--accounts", "spin,honest", "--max-workers", "2", "--timeout", "1", "--output", "json"]);
    let doc = run.json();
    let by = results_by_place(&doc);
    assert_eq!(by["honest/us-east-1"]["status"], "succeeded");
    assert_eq!(by["spin/us-east-1"]["status"], "timed_out");
    let spin_ms = by["spin/us-east-1"]["elapsed_ms"].as_u64().unwrap();
    assert!(spin_ms < 10_000, "the deadline was not enforced: {spin_ms} ms");
}

#[test]
fn the_operation_sent_is_the_one_checked_on_every_protocol() {
    // The real AWS backend, through a proxy that keeps every byte the
    // simulator's server received.
    let org = fixture(&hostile_org());
    let server = SimServer::start(&["--fixture", org.path().to_str().unwrap()]);
    let proxy = RecordingProxy::start(&server.url);
    let accounts = "inject-action,inject-version,inject-operation,inject-target,sneak,honest";
    let management = "AKIA000000000100DEMO";
    let out = trawl_tests::run_against(
        &proxy.url,
        "hostile",
        management,
        &["--org", "--role-name", "OrganizationAccountAccessRole", "--accounts", accounts, "--regions", "us-east-1"],
    )
    .output()
    .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let by = results_by_place(&doc);
    for name in ["inject-action", "inject-version", "inject-operation"] {
        assert_eq!(by[&format!("{name}/us-east-1")]["error"]["code"], "trawl.BadParams", "{name}");
    }
    assert_eq!(by["inject-target/us-east-1"]["status"], "succeeded");
    assert_eq!(by["honest/us-east-1"]["records"], json!([{"behaviour": "honest"}]));

    let received = proxy.received();
    assert!(received.contains("Action=GetCallerIdentity"), "the proxy saw the run");
    for smuggled in ["TerminateInstances", "i-0123456789abcdef0", "2099-01-01", "DeleteEvents\r\n"] {
        assert!(!received.contains(smuggled), "{smuggled:?} reached the server");
    }
    // The JSON protocol's operation travels in the header the host sets.
    let targets: Vec<&str> = received
        .lines()
        .filter_map(|l| l.strip_prefix("x-amz-target: ").or_else(|| l.strip_prefix("X-Amz-Target: ")))
        .filter(|t| t.starts_with("AWSHealth"))
        .collect();
    assert_eq!(targets, ["AWSHealth_20160804.DescribeEvents"], "{received:.2000}");
}

#[test]
fn an_info_that_never_returns_is_named_within_the_timeout() {
    let stuck = plugin("stuck-info");
    let started = Instant::now();
    let run = host(&["run", stuck.to_str().unwrap(), "--timeout", "2"]);
    assert!(started.elapsed() < Duration::from_secs(60), "loading hung: {:?}", started.elapsed());
    assert_eq!(run.status, EXIT_INPUT, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("stuck-info.wasm") && run.stderr.contains("info() did not return within 2 s"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_plugins_description_cannot_drive_the_terminal() {
    let loud = plugin("loud-info");
    let loud = loud.to_str().unwrap();
    let inspect = host(&["inspect", loud]);
    assert_eq!(inspect.status, 0, "{}", inspect.stderr);
    assert!(!inspect.stdout.contains('\u{1b}'), "{:?}", inspect.stdout);
    assert!(inspect.stdout.contains("\\u{1b}]0;pwned"), "{}", inspect.stdout);
    let table = host(&["run", loud, "--output", "table", "--regions", "us-east-1"]);
    assert_eq!(table.status, 0, "{}", table.stderr);
    assert!(!table.stdout.contains('\u{1b}'), "{:?}", table.stdout);
}
