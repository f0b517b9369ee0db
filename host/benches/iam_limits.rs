//! The IAM collector over 200 accounts with 50 users each, under AWS's IAM
//! limits: `host sim serve` (a child process, its server-side buckets at
//! the simulator's defaults, the same table the client uses: IAM 10 calls
//! a second with a burst of 20, per account whatever the region) and
//! `host run iam.wasm --aws --org --role-name ...` against it, with a
//! worker per account so every account collects at once.
//!
//! The lower bound comes from the organisation's contents: each account
//! must make ListUsers and ListRoles (a page each per 1,000), a
//! ListMFADevices and a ListAccessKeys per user and a GetAccessKeyLastUsed
//! per key, all from one IAM bucket; past the burst they go at the rate,
//! so an account takes at least (calls - burst) / rate, and the run cannot
//! beat its slowest account. Prints wall time, that bound and the ratio
//! (target <= 1.2x), throttled calls and the run's peak RSS. No assertion
//! on time.
//!
//! Run with `cargo xtask plugins && cargo bench -p trawl-host --bench iam_limits`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use trawl_host::cloud::sim::OrgSpec;
use trawl_host::limits::RuleBook;

const ACCOUNTS: usize = 200;
const USERS: usize = 50;
/// One region: IAM is global, so more would only grow the organisation.
const SPEC: &str = "accounts=200,regions=1,volumes=0,users=50,seed=7";
/// The generated organisation's first account, the management account:
/// its access key (the simulator reads the account from it).
const MANAGEMENT_KEY: &str = "AKIA100000000000DEMO";
const ROLE: &str = "OrganizationAccountAccessRole";
/// The iam plugin's page size for ListUsers and ListRoles.
const LIST_PAGE: usize = 1000;

fn main() {
    let host = PathBuf::from(env!("CARGO_BIN_EXE_host"));
    let plugin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/plugins/iam.wasm");
    assert!(plugin.exists(), "{} missing: run `cargo xtask plugins` first", plugin.display());

    // What the server will hold (generated the same way, the same day).
    let spec: OrgSpec = SPEC.parse().expect("a valid spec");
    assert_eq!((spec.accounts, spec.users_per_account), (ACCOUNTS, USERS));
    let org = spec.generate();
    let (_, rule) = RuleBook::default().rule("iam", "ListUsers", false);
    let (rate, burst) = (rule.tokens_per_second, f64::from(rule.max_tokens));
    let calls_of = |a: &trawl_host::cloud::sim::org::Account| {
        let pages = |n: usize| n.div_ceil(LIST_PAGE).max(1);
        let keys: usize = a.iam.users.iter().map(|u| u.access_keys.len()).sum();
        pages(a.iam.users.len()) + pages(a.iam.roles.len()) + 2 * a.iam.users.len() + keys
    };
    let calls: Vec<usize> = org.accounts.iter().map(calls_of).collect();
    let needed: usize = calls.iter().sum();
    let slowest = calls.iter().copied().max().unwrap_or(0);
    let bound = (slowest as f64 - burst).max(0.0) / rate;
    // The client leaves the server a fifth of the burst as a cushion
    // (`limits::bucket::BURST_RESERVE`) and then sends at the full rate.
    let cushion = (burst / f64::from(trawl_host::limits::BURST_RESERVE)).floor();
    let paced = (slowest as f64 - (burst - cushion)).max(0.0) / rate;
    let users: usize = org.accounts.iter().map(|a| a.iam.users.len()).sum();
    drop(org);

    println!("IAM collector under AWS's IAM limits: {ACCOUNTS} accounts x {USERS} users over `host sim serve`");
    println!(
        "  IAM bucket per account: {rate}/s, burst {burst} (server and client); {needed} IAM calls to make \
         ({:.1} per account, the most {slowest}); {ACCOUNTS} workers",
        needed as f64 / ACCOUNTS as f64
    );
    println!("  lower bound {bound:.2} s = (slowest account's {slowest} calls - {burst} burst) / {rate}/s");
    println!(
        "  (the client leaves the server {cushion} tokens of its burst as a cushion: {paced:.2} s = {:.2}x the bound)",
        paced / bound
    );

    let cache = tempfile::tempdir().expect("a temporary directory");
    let empty = cache.path().join("empty-aws-config");
    std::fs::write(&empty, "").unwrap();
    let command = |args: &[&str]| {
        let mut c = Command::new(&host);
        c.args(args)
            .env("TRAWL_CACHE_DIR", cache.path())
            .env_remove("TRAWL_LOG")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_CONFIG_FILE", &empty)
            .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", MANAGEMENT_KEY)
            .env("AWS_SECRET_ACCESS_KEY", "any");
        c
    };

    // Compile the plugin into the cache before any clock starts.
    let inspect = command(&["inspect", plugin.to_str().unwrap()]).output().expect("host inspect");
    assert!(inspect.status.success(), "{}", String::from_utf8_lossy(&inspect.stderr));

    // As an operator types it (no --regions: a run of account-scoped
    // plugins discovers no regions).
    let label = "host run --aws --org --role-name ROLE";
    let mut server = command(&["sim", "serve", "--port", "0", "--sim-generate", SPEC])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("host sim serve");
    let mut url = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut url).unwrap();
    let url = url.trim().to_owned();

    let report = tempfile::NamedTempFile::new().unwrap();
    let workers = ACCOUNTS.to_string();
    let args = vec![
        "run",
        plugin.to_str().unwrap(),
        "--aws",
        "--endpoint-url",
        &url,
        "--org",
        "--role-name",
        ROLE,
        "--max-workers",
        &workers,
        "--no-progress",
        "-q",
        "-o",
        "json",
    ];
    let started = Instant::now();
    let mut run = command(&args).stdout(report.reopen().unwrap()).stderr(Stdio::piped()).spawn().expect("host run");
    // The child's own high-water mark, polled while it runs.
    let mut peak_kb = 0u64;
    let status = loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", run.id())) {
            let hwm = status.lines().find_map(|l| l.strip_prefix("VmHWM:"));
            if let Some(kb) = hwm.and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()) {
                peak_kb = peak_kb.max(kb);
            }
        }
        if let Some(status) = run.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let wall = started.elapsed().as_secs_f64();
    let _ = server.kill();
    let _ = server.wait();
    let mut stderr = String::new();
    let _ = std::io::Read::read_to_string(&mut run.stderr.take().unwrap(), &mut stderr);
    let doc: Value = serde_json::from_reader(report.reopen().unwrap()).unwrap_or_else(|e| {
        panic!("host run ({status}) printed no report ({e}): {stderr}");
    });

    let summary = &doc["summary"];
    let calls = &doc["run"]["calls"];
    let discovery = doc["run"]["discovery_ms"].as_f64().unwrap_or(0.0) / 1000.0;
    let ratio = wall / bound;
    println!();
    println!("  {label}:");
    println!(
        "    wall {wall:.2} s = {ratio:.3}x the lower bound (target <= 1.2x: {})",
        if ratio <= 1.2 { "met" } else { "NOT met" }
    );
    println!(
        "    of which discovery (accounts and regions) {discovery:.2} s, collection {:.2} s = {:.3}x the bound",
        wall - discovery,
        (wall - discovery) / bound
    );
    println!(
        "    {} calls, {} throttled, {} retried; {} of {} accounts succeeded, {} failed; {} of {users} users, {} stale keys",
        calls["calls"],
        calls["throttled"],
        calls["retries"],
        summary["succeeded"],
        summary["total"],
        summary["failed"],
        summary["totals"]["users"],
        summary["totals"]["stale_keys"],
    );
    println!("    peak RSS of host run {:.1} MB", peak_kb as f64 / 1024.0);
    if !status.success() {
        println!("    host run exited {status}: {}", stderr.trim());
    }
}
