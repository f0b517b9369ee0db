//! A run that AWS's rate limits shape: 200 accounts x 4 regions, 2-3 pages
//! of EBS volumes per region, server-side buckets of 1 call burst and
//! 2 calls/s per (account, region, DescribeVolumes), and log-normal
//! latency. Prints the wall time against the theoretical lower bound, the
//! throttled calls, failed targets and peak memory, with client-side
//! limiting on (matching the server's buckets) and off.
//!
//! Run with `cargo xtask bench`.

#[path = "support/peak_rss.rs"]
mod peak_rss;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use peak_rss::peak_rss_mb;
use tokio_util::sync::CancellationToken;
use trawl_host::cloud::sim::{OrgSpec, Pressure, SimCloud};
use trawl_host::cloud::{Backend, CloudClient, RetryPolicy};
use trawl_host::limits::{Limits, Override, RuleBook};
use trawl_host::runtime::{CompileCache, Runtime, RuntimeConfig, Scope};
use trawl_host::scheduler::{self, SchedulerConfig};
use trawl_host::targets::{self, Selection};

const ACCOUNTS: usize = 200;
const REGIONS: usize = 4;
const VOLUMES: usize = 1200;
const PAGE: usize = 500;
const RULE: &str = "ec2=2/1";
const RATE: f64 = 2.0;
const BURST: usize = 1;
const WORKERS: usize = 200;
const LATENCY_MEDIAN: Duration = Duration::from_millis(50);
const LATENCY_P99: Duration = Duration::from_millis(150);

/// The shortest a target can take: its calls one after another, each
/// taking the mean latency, and none starting before its bucket has a
/// token (`BURST` at once, then one every 1/`RATE` s).
fn target_bound(pages: usize, latency: f64) -> f64 {
    let mut end: f64 = 0.0;
    for k in 0..pages {
        let token = if k < BURST { 0.0 } else { (k + 1 - BURST) as f64 / RATE };
        end = end.max(token) + latency;
    }
    end
}

struct Measured {
    wall: Duration,
    calls: u64,
    throttled: u64,
    failed: usize,
    total: usize,
}

/// The makespan of the ideal schedule of these tasks, in this order, on
/// `workers`: each task takes its bound and starts the moment a worker is
/// free. Zero scheduling overhead, so the ratio to it is trawl's own cost.
fn ideal_schedule(durations: &[f64], workers: usize) -> f64 {
    let mut free_at = vec![0.0f64; workers];
    for d in durations {
        let (i, start) = free_at.iter().cloned().enumerate().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
        free_at[i] = start + d;
    }
    free_at.into_iter().fold(0.0, f64::max)
}

fn spec() -> OrgSpec {
    OrgSpec {
        accounts: ACCOUNTS,
        regions: "regions=4".parse::<OrgSpec>().unwrap().regions,
        volumes_per_region: VOLUMES,
        roles_per_account: 0,
        users_per_account: 0,
        seed: 11,
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    // The organisation is generated again for each measured run (it is
    // deterministic), so only one copy is ever alive.
    let (all, pages) = {
        let org = spec().generate();
        let accounts = targets::accounts_of(&org);
        let all = targets::expand(&accounts, &Selection::default(), Scope::Regional, "us-east-1", 1).unwrap();
        let volumes =
            |t: &trawl_host::targets::Target| org.account(&t.account_id).unwrap().regions[&t.region].volumes.len();
        let pages: Vec<usize> = all.iter().map(|t| volumes(t).div_ceil(PAGE).max(1)).collect();
        (all, pages)
    };

    // Mean of a log-normal with this median and p99.
    let sigma = (LATENCY_P99.as_secs_f64() / LATENCY_MEDIAN.as_secs_f64()).ln() / 2.326;
    let mean_latency = LATENCY_MEDIAN.as_secs_f64() * (sigma * sigma / 2.0).exp();
    let per_target: Vec<f64> = pages.iter().map(|&p| target_bound(p, mean_latency)).collect();
    let critical = per_target.iter().cloned().fold(0.0, f64::max);
    let packed = per_target.iter().sum::<f64>() / WORKERS as f64;
    let bound = critical.max(packed);
    let ideal = ideal_schedule(&per_target, WORKERS);
    let calls_needed: usize = pages.iter().sum();

    println!(
        "trawl under AWS-shaped rate limits: ebs plugin, {} targets ({ACCOUNTS} accounts x {REGIONS} regions)",
        all.len()
    );
    println!(
        "  {calls_needed} pages to read ({:.2} per target), server buckets {RULE} (rate/burst) per (account, region, API)",
        calls_needed as f64 / all.len() as f64
    );
    println!(
        "  latency median {:?}, p99 {:?} (mean {:.1} ms); {WORKERS} workers",
        LATENCY_MEDIAN,
        LATENCY_P99,
        mean_latency * 1000.0
    );
    println!(
        "  lower bound {bound:.2} s = max(longest target {critical:.2} s, total target time / workers {packed:.2} s)"
    );
    println!();

    let plugin_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/plugins/ebs.wasm");
    let runtime = Runtime::new(RuntimeConfig {
        max_instances: WORKERS as u32 + 2,
        cache: CompileCache::from_env(),
        ..RuntimeConfig::default()
    })
    .unwrap();
    let plugin = Arc::new(rt.block_on(runtime.load(&plugin_path)).expect("run `cargo xtask bench`"));

    let measure = |client_side: bool| -> (Measured, f64) {
        let org = spec().generate();
        let org_mb = peak_rss_mb();
        let pressure = Pressure {
            limits: vec![RULE.parse::<Override>().unwrap()],
            latency_median: LATENCY_MEDIAN,
            latency_p99: LATENCY_P99,
            seed: 3,
            ..Pressure::default()
        };
        let backend: Arc<dyn Backend> = Arc::new(SimCloud::with_pressure(org, pressure));
        let limits = Limits::new(RuleBook::new(vec![RULE.parse().unwrap()]), client_side, 1024);
        let client = Arc::new(CloudClient::new(backend, Arc::new(limits), RetryPolicy::default()));
        let plugins = [plugin.clone()];
        let jobs = scheduler::jobs(&plugins, vec![all.clone()]);
        let config = SchedulerConfig {
            max_workers: WORKERS,
            task_timeout: Duration::from_secs(300),
            ..SchedulerConfig::default()
        };
        let started = Instant::now();
        let mut statuses = Vec::new();
        rt.block_on(scheduler::run(&plugins, client.clone(), jobs, &config, CancellationToken::new(), |_, r| {
            statuses.push(r.status);
            std::future::ready(())
        }));
        let wall = started.elapsed();
        let calls = client.stats().snapshot();
        let m = Measured {
            wall,
            calls: calls.calls,
            throttled: calls.throttled,
            failed: statuses.iter().filter(|s| s.is_failure()).count(),
            total: statuses.len(),
        };
        (m, org_mb)
    };

    let mut org_mb = None;
    for (label, client_side) in [("client-side limits on ", true), ("client-side limits off", false)] {
        let (m, org) = measure(client_side);
        // Before the first run: the organisation, the engine and the plugin.
        org_mb.get_or_insert(org);
        let wall = m.wall.as_secs_f64();
        let throttled_pct = 100.0 * m.throttled as f64 / m.calls as f64;
        println!(
            "  {label}: wall {wall:5.2} s = {:.3}x the lower bound, {:.3}x the ideal schedule",
            wall / bound,
            wall / ideal
        );
        println!(
            "      {} calls, {} throttled ({throttled_pct:.2}%); {} of {} targets failed",
            m.calls, m.throttled, m.failed, m.total
        );
        if client_side {
            println!(
                "      targets: within 1.10x of the ideal schedule: {}; of the lower bound: {}; under 1% throttled: {}; zero failed: {}",
                yes(wall / ideal <= 1.10),
                yes(wall / bound <= 1.10),
                yes(throttled_pct < 1.0),
                yes(m.failed == 0)
            );
        }
    }
    let peak = peak_rss_mb();
    let org_mb = org_mb.unwrap_or_default();
    println!();
    println!(
        "  peak RSS {peak:.1} MB; before the first run (organisation, engine, plugin) {org_mb:.1} MB; the runs added {:.1} MB",
        peak - org_mb
    );
}

fn yes(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}
