//! What the people-facing reports cost: one run of the EBS collector over
//! 10,000 generated targets (about 100,000 records) through the library
//! API, writing the JSON document as `host run` does when piped, against
//! the same run that also writes everything `--report DIR` writes (the
//! JSON, the plugin's CSV, `summary.csv` and `report.html`). Each run is
//! a child process, so peak memory is that run's alone; the figures are
//! medians over alternating rounds.
//!
//! Run with `cargo xtask bench` (builds the plugin, then this in release).

#[path = "support/ebs_org.rs"]
mod ebs_org;
#[path = "support/peak_rss.rs"]
mod peak_rss;

use std::process::Command;
use std::time::{Instant, SystemTime};

use ebs_org::{TARGETS, ebs_cloud, ebs_plugin, median};
use peak_rss::peak_rss_mb;
use trawl_host::report::{dir, json};
use trawl_host::run::Run;

const CHILD: &str = "TRAWL_BENCH_REPORTS_CHILD";
const ROUNDS: usize = 3;

/// One run in this (child) process; prints wall ms, peak MB, records and
/// the bytes written.
fn child(with_report: bool) {
    let cloud = ebs_cloud(42);
    let org_mb = peak_rss_mb();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio");
    let out = tempfile::tempdir().expect("a temporary directory");
    let started = Instant::now();
    let (records, bytes) = runtime.block_on(async {
        let run = Run::builder().plugin(ebs_plugin()).cloud(cloud).start().await.expect("the run starts");
        let report = run.wait().await;
        assert_eq!(report.reports[0].results.len(), TARGETS);
        let run_info = report.run_info();
        let mut document = std::io::BufWriter::new(std::fs::File::create(out.path().join("stdout.json")).unwrap());
        json::write_run(&report.reports, &run_info, &mut document).expect("writing the JSON");
        drop(document);
        if with_report {
            dir::write(out.path(), &report.reports, &run_info, SystemTime::now()).expect("writing the report");
        }
        (report.reports[0].summary().records, du(out.path()))
    });
    println!("{} {:.1} {records} {bytes} {org_mb:.1}", started.elapsed().as_millis(), peak_rss_mb());
}

/// Bytes of the files under `path`.
fn du(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| if e.file_type().unwrap().is_dir() { du(&e.path()) } else { e.metadata().unwrap().len() })
        .sum()
}

#[derive(Default)]
struct Figures {
    wall_ms: Vec<f64>,
    rss_mb: Vec<f64>,
    records: u64,
    bytes: u64,
    /// Peak RSS once the simulated organisation exists (the cloud's share).
    org_mb: f64,
}

fn spawn(mode: &str, figures: &mut Figures) {
    let output = Command::new(std::env::current_exe().unwrap()).env(CHILD, mode).output().expect("the child runs");
    assert!(output.status.success(), "child {mode}: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    let fields: Vec<&str> = text.split_whitespace().collect();
    figures.wall_ms.push(fields[0].parse().unwrap());
    figures.rss_mb.push(fields[1].parse().unwrap());
    figures.records = fields[2].parse().unwrap();
    figures.bytes = fields[3].parse().unwrap();
    figures.org_mb = fields[4].parse().unwrap();
}

fn main() {
    match std::env::var(CHILD).as_deref() {
        Ok("json") => return child(false),
        Ok("report") => return child(true),
        _ => {}
    }
    let (mut plain, mut full) = (Figures::default(), Figures::default());
    // One warm-up so the compile cache is filled before anything counts.
    spawn("json", &mut Figures::default());
    for _ in 0..ROUNDS {
        spawn("json", &mut plain);
        spawn("report", &mut full);
    }
    let (base, with) = (median(&plain.wall_ms), median(&full.wall_ms));
    let peak = full.rss_mb.iter().copied().fold(0.0, f64::max);
    println!("reports: {TARGETS} targets, {} records, EBS collector, 20 workers, {ROUNDS} rounds", full.records);
    println!("  run + JSON document                       {base:8.0} ms   peak RSS {:6.1} MB", median(&plain.rss_mb));
    println!(
        "  run + JSON + --report (CSV x2, HTML)      {with:8.0} ms   peak RSS {:6.1} MB   ({:.1} MB written)",
        median(&full.rss_mb),
        full.bytes as f64 / 1e6
    );
    let added = (with - base) / base * 100.0;
    println!("  the reports add                           {added:7.1} %   target <= 20 %: {}", verdict(added <= 20.0));
    println!(
        "  peak RSS with the reports (worst round)   {peak:6.1} MB   target <= 200 MB: {}",
        verdict(peak <= 200.0)
    );
    println!(
        "    of which the simulated organisation       {:6.1} MB (the cloud, not trawl); trawl's share {:.1} MB",
        full.org_mb,
        peak - full.org_mb
    );
}

fn verdict(held: bool) -> &'static str {
    if held { "met" } else { "MISSED" }
}
