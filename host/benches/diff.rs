//! What `host diff` costs: two runs of the EBS collector over 10,000
//! generated targets (about 100,000 records each) stored in SQLite and in
//! a local PostgreSQL (a real server, started as the tests start one),
//! then compared: runs of two different organisations (every record added
//! or removed) and two runs of one organisation (every record unchanged).
//! Each comparison runs in a child process, so its peak memory is its
//! own: the library comparison (counts only), and `host diff -o json` to
//! /dev/null (every change written). Figures are medians of 3 rounds.
//!
//! Run with `cargo xtask bench` (builds the plugin and the host, then
//! this in release).

#[path = "support/ebs_org.rs"]
mod ebs_org;
#[path = "support/peak_rss.rs"]
mod peak_rss;

use std::process::{Command, Stdio};
use std::time::Instant;

use ebs_org::{TARGETS, ebs_cloud, ebs_plugin, median};
use futures::StreamExt;
use peak_rss::peak_rss_mb;
use trawl_host::run::Run;
use trawl_host::store::diff::{CountsOnly, compare_stored};
use trawl_host::store::{RunMeta, RunState, StoreSink, StoreUrl};

const CHILD: &str = "TRAWL_BENCH_DIFF_CHILD";
const ROUNDS: usize = 3;

/// Stores one run of the organisation generated from `seed` into every
/// database; returns its id and record count.
async fn store_run(urls: &[StoreUrl], seed: u64) -> (String, usize) {
    let cloud = ebs_cloud(seed);
    let mut sinks = Vec::new();
    for url in urls {
        sinks.push(StoreSink::open(url).await.expect("the database opens"));
    }
    let mut run = Run::builder().plugin(ebs_plugin()).cloud(cloud).start().await.expect("the run starts");
    let meta = RunMeta::of(&run);
    for sink in &sinks {
        sink.begin(meta.clone()).await.expect("the run begins");
    }
    let mut records = 0;
    while let Some(done) = run.next().await {
        records += done.result.records.len();
        for sink in &sinks {
            sink.write(done.plugin, done.result.clone()).await.expect("written");
        }
    }
    run.wait().await;
    for sink in sinks {
        sink.finish(RunState::Complete, "held", serde_json::Value::Null, None).await.expect("finished");
    }
    (meta.run_id, records)
}

/// One comparison in this (child) process: prints wall ms, peak MB and
/// the records compared.
fn child(spec: &str) {
    let mut parts = spec.splitn(3, ' ');
    let (old, new, url) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let url: StoreUrl = url.parse().expect("a database URL");
    let started = Instant::now();
    let outcome = compare_stored(&url, Some(old), Some(new), &mut CountsOnly).expect("compared");
    let counts = &outcome.counts[0].1;
    let records = counts.added + counts.removed + 2 * counts.changed + 2 * counts.unchanged;
    println!("{} {:.1} {records}", started.elapsed().as_millis(), peak_rss_mb());
}

#[derive(Default)]
struct Figures {
    wall_ms: Vec<f64>,
    rss_mb: Vec<f64>,
    cli_ms: Vec<f64>,
    records: u64,
}

fn compare(old: &str, new: &str, url: &str, figures: &mut Figures) {
    let output = Command::new(std::env::current_exe().unwrap())
        .env(CHILD, format!("{old} {new} {url}"))
        .output()
        .expect("the child runs");
    assert!(output.status.success(), "child: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    let fields: Vec<&str> = text.split_whitespace().collect();
    figures.wall_ms.push(fields[0].parse().unwrap());
    figures.rss_mb.push(fields[1].parse().unwrap());
    figures.records = fields[2].parse().unwrap();
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_host"))
        .args(["diff", "--into", url, old, new, "-o", "json"])
        .stdout(Stdio::null())
        .status()
        .expect("host diff runs");
    assert!(status.success());
    figures.cli_ms.push(started.elapsed().as_secs_f64() * 1000.0);
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec);
    }
    let dir = tempfile::tempdir().unwrap();
    let postgres = trawl_tests::PostgresServer::start();
    let sqlite = format!("sqlite:{}", dir.path().join("runs.db").display());
    let urls: Vec<StoreUrl> = [sqlite.as_str(), postgres.url.as_str()].iter().map(|u| u.parse().unwrap()).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio");
    let ((one, n1), (two, n2), (again, _)) =
        runtime.block_on(async { (store_run(&urls, 1).await, store_run(&urls, 2).await, store_run(&urls, 2).await) });
    println!("diff: EBS collector, {TARGETS} targets, runs of {n1} and {n2} records, {ROUNDS} rounds, medians");
    let mut worst = 0.0f64;
    for (database, url) in [("SQLite", &sqlite), ("PostgreSQL", &postgres.url)] {
        for (what, old, new) in [("two organisations", &one, &two), ("one organisation twice", &two, &again)] {
            let mut figures = Figures::default();
            for _ in 0..ROUNDS {
                compare(old, new, url, &mut figures);
            }
            let (wall, cli) = (median(&figures.wall_ms), median(&figures.cli_ms));
            worst = worst.max(wall).max(cli);
            println!(
                "  {database:<10} {what:<23} compare {wall:6.0} ms   peak RSS {:6.1} MB   host diff -o json {cli:6.0} ms   {} records",
                median(&figures.rss_mb),
                figures.records
            );
        }
    }
    println!(
        "  slowest diff of two 100,000-record runs {worst:.0} ms   target <= 2000 ms: {}",
        verdict(worst <= 2000.0)
    );
}

fn verdict(held: bool) -> &'static str {
    if held { "met" } else { "MISSED" }
}
