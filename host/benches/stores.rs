//! What a database sink costs: one run of the EBS collector over 10,000
//! generated targets (about 100,000 records) through the library API,
//! its results read from the stream as `host run` reads them, against the
//! same run also written into SQLite and into a local PostgreSQL (a real
//! server, started for the benchmark as the tests start one). Each run is
//! a child process, so its peak memory is its own; figures are medians
//! over alternating rounds.
//!
//! Run with `cargo xtask bench` (builds the plugin, then this in release).

#[path = "support/ebs_org.rs"]
mod ebs_org;
#[path = "support/peak_rss.rs"]
mod peak_rss;

use std::process::Command;
use std::time::Instant;

use ebs_org::{TARGETS, ebs_cloud, ebs_plugin, median};
use futures::StreamExt;
use peak_rss::peak_rss_mb;
use trawl_host::run::Run;
use trawl_host::store::{RunMeta, RunState, StoreSink, StoreUrl};

const CHILD: &str = "TRAWL_BENCH_STORES_CHILD";
const ROUNDS: usize = 3;

/// One run in this (child) process, into `into` (or nowhere); prints wall
/// ms, peak MB and records.
fn child(into: Option<StoreUrl>) {
    let cloud = ebs_cloud(42);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio");
    let started = Instant::now();
    let records = runtime.block_on(async {
        let sink = match &into {
            Some(url) => Some(StoreSink::open(url).await.expect("the database opens")),
            None => None,
        };
        let mut run = Run::builder().plugin(ebs_plugin()).cloud(cloud).start().await.expect("the run starts");
        if let Some(sink) = &sink {
            let meta = RunMeta::of(&run);
            sink.begin(meta).await.expect("the run begins");
        }
        let mut records = 0;
        while let Some(done) = run.next().await {
            records += done.result.records.len();
            if let Some(sink) = &sink {
                sink.write(done.plugin, done.result).await.expect("written");
            }
        }
        let report = run.wait().await;
        assert_eq!(report.reports[0].results.len(), TARGETS);
        if let Some(sink) = sink {
            sink.finish(RunState::Complete, "held", serde_json::Value::Null, None).await.expect("finished");
        }
        records
    });
    println!("{} {:.1} {records}", started.elapsed().as_millis(), peak_rss_mb());
}

#[derive(Default)]
struct Figures {
    wall_ms: Vec<f64>,
    rss_mb: Vec<f64>,
    records: u64,
}

fn spawn(into: Option<&str>, figures: &mut Figures) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.env(CHILD, into.unwrap_or("none"));
    let output = command.output().expect("the child runs");
    assert!(output.status.success(), "child {into:?}: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    let fields: Vec<&str> = text.split_whitespace().collect();
    figures.wall_ms.push(fields[0].parse().unwrap());
    figures.rss_mb.push(fields[1].parse().unwrap());
    figures.records = fields[2].parse().unwrap();
}

fn main() {
    if let Ok(into) = std::env::var(CHILD) {
        return child((into != "none").then(|| into.parse().expect("a database URL")));
    }
    let dir = tempfile::tempdir().unwrap();
    let postgres = trawl_tests::PostgresServer::start();
    let (mut none, mut sqlite, mut pg) = (Figures::default(), Figures::default(), Figures::default());
    spawn(None, &mut Figures::default()); // fills the compile cache
    for round in 0..ROUNDS {
        let file = format!("sqlite:{}", dir.path().join(format!("runs-{round}.db")).display());
        spawn(None, &mut none);
        spawn(Some(&file), &mut sqlite);
        spawn(Some(&postgres.url), &mut pg);
    }
    let base = median(&none.wall_ms);
    println!(
        "stores: {TARGETS} targets, {} records, EBS collector, 20 workers, {ROUNDS} rounds, medians",
        none.records
    );
    println!("  run, results read from the stream        {base:8.0} ms   peak RSS {:6.1} MB", median(&none.rss_mb));
    for (name, figures) in [("into SQLite (WAL)", &sqlite), ("into PostgreSQL (binary COPY)", &pg)] {
        let wall = median(&figures.wall_ms);
        println!(
            "  run {name:<34} {wall:8.0} ms   peak RSS {:6.1} MB   +{:.1} %   {:.0} records/s",
            median(&figures.rss_mb),
            (wall - base) / base * 100.0,
            figures.records as f64 / (wall / 1000.0)
        );
    }
    let (lite, post) = (median(&sqlite.wall_ms), median(&pg.wall_ms));
    let lite_added = (lite - base) / base * 100.0;
    println!("  SQLite adds {lite_added:.1} % to the run          target <= 25 %: {}", verdict(lite_added <= 25.0));
    let rate = pg.records as f64 / (post / 1000.0);
    println!("  PostgreSQL sustains {rate:.0} records/s   target >= 50,000: {}", verdict(rate >= 50_000.0));
    for (name, figures) in [("SQLite", &sqlite), ("PostgreSQL", &pg)] {
        let extra = median(&figures.rss_mb) - median(&none.rss_mb);
        println!("  peak RSS with {name:<10} {extra:+6.1} MB       target within 20 MB: {}", verdict(extra <= 20.0));
    }
}

fn verdict(held: bool) -> &'static str {
    if held { "met" } else { "MISSED" }
}
