//! Per-task overhead of the runtime: instantiate + collect + aggregate for
//! the EBS plugin over a generated organisation with no simulated latency,
//! pooling allocator against on-demand instantiation in the same run, and
//! peak memory for 10,000 targets (measured in a child process so earlier
//! runs do not inflate it).
//!
//! Run with `cargo xtask bench` (builds the plugin, then this in release).

#[path = "support/peak_rss.rs"]
mod peak_rss;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use peak_rss::peak_rss_mb;
use tokio_util::sync::CancellationToken;
use trawl_host::cloud::sim::{OrgSpec, SimCloud};
use trawl_host::cloud::{Backend, CloudClient};
use trawl_host::report::{Report, json};
use trawl_host::runtime::{CompileCache, Plugin, Runtime, RuntimeConfig};
use trawl_host::scheduler::{self, SchedulerConfig};
use trawl_host::targets::{self, Selection, Target};

const REGIONS: [&str; 4] = ["us-east-1", "eu-west-1", "ap-northeast-2", "us-west-2"];
const ROUNDS: usize = 5;
const MEMORY_CHILD: &str = "TRAWL_BENCH_MEMORY_CHILD";

fn org(targets: usize) -> (Arc<dyn Backend>, Vec<Target>) {
    let spec = OrgSpec {
        accounts: targets / REGIONS.len(),
        regions: REGIONS.map(String::from).to_vec(),
        volumes_per_region: 8,
        roles_per_account: 0,
        users_per_account: 0,
        seed: 42,
    };
    let org = spec.generate();
    let accounts = targets::accounts_of(&org);
    let targets =
        targets::expand(&accounts, &Selection::default(), trawl_host::runtime::Scope::Regional, "us-east-1", 1)
            .expect("generated targets");
    (Arc::new(SimCloud::new(org)), targets)
}

fn plugin_path() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/plugins/ebs.wasm");
    assert!(path.exists(), "{} missing: run `cargo xtask bench`", path.display());
    path
}

async fn load(pooling: bool, workers: usize) -> (Runtime, Arc<Plugin>) {
    let runtime = Runtime::new(RuntimeConfig {
        max_instances: workers as u32 + 2,
        pooling,
        cache: CompileCache::from_env(),
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    assert_eq!(runtime.uses_pooling(), pooling, "the pooling allocator could not be set up here");
    let plugin = runtime.load(&plugin_path()).await.expect("ebs plugin");
    (runtime, Arc::new(plugin))
}

struct Measured {
    task_us: Vec<f64>,
    wall: Duration,
    aggregate: Duration,
}

async fn measure(plugin: &Arc<Plugin>, backend: &Arc<dyn Backend>, targets: &[Target], workers: usize) -> Measured {
    let config = SchedulerConfig { max_workers: workers, ..SchedulerConfig::default() };
    let client = Arc::new(CloudClient::with_defaults(backend.clone()));
    let plugins = [plugin.clone()];
    let jobs = scheduler::jobs(&plugins, vec![targets.to_vec()]);
    let started = Instant::now();
    let mut results = Vec::with_capacity(targets.len());
    scheduler::run(&plugins, client, jobs, &config, CancellationToken::new(), |_, r| {
        results.push(r);
        std::future::ready(())
    })
    .await;
    let wall = started.elapsed();
    assert!(results.iter().all(|r| r.status == trawl_host::report::Status::Succeeded), "every target succeeds");
    let task_us = results.iter().map(|r| r.elapsed.as_secs_f64() * 1e6).collect();
    let started = Instant::now();
    let report = Report::new(plugin.info.clone(), results, wall);
    json::write_run(std::slice::from_ref(&report), &serde_json::Value::Null, &mut std::io::sink())
        .expect("writing to a sink");
    Measured { task_us, wall, aggregate: started.elapsed() }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    percentile(&xs, 0.5)
}

/// Median and p99 of per-task times over `ROUNDS` sequential runs (the
/// medians of each round's statistics), plus per-target aggregation.
async fn sequential(pooling: bool, backend: &Arc<dyn Backend>, targets: &[Target]) -> (f64, f64, f64) {
    let (_runtime, plugin) = load(pooling, 1).await;
    measure(&plugin, backend, &targets[..50], 1).await; // warm up
    let (mut p50, mut p99, mut agg) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let m = measure(&plugin, backend, targets, 1).await;
        let mut t = m.task_us;
        t.sort_by(f64::total_cmp);
        p50.push(percentile(&t, 0.5));
        p99.push(percentile(&t, 0.99));
        agg.push(m.aggregate.as_secs_f64() * 1e6 / targets.len() as f64);
    }
    (median(p50), median(p99), median(agg))
}

/// Wall time per target with `workers` in flight, median over rounds.
async fn parallel(backend: &Arc<dyn Backend>, targets: &[Target], workers: usize) -> f64 {
    let (_runtime, plugin) = load(true, workers).await;
    measure(&plugin, backend, &targets[..50], workers).await;
    let mut per_target = Vec::new();
    for _ in 0..ROUNDS {
        let m = measure(&plugin, backend, targets, workers).await;
        per_target.push((m.wall + m.aggregate).as_secs_f64() * 1e6 / targets.len() as f64);
    }
    median(per_target)
}

/// In the child: one 10,000-target run with 20 workers, then report VmHWM.
async fn memory_child() {
    let (backend, targets) = org(10_000);
    let org_mb = peak_rss_mb();
    let (_runtime, plugin) = load(true, 20).await;
    let loaded_mb = peak_rss_mb();
    let m = measure(&plugin, &backend, &targets, 20).await;
    println!("{} {} {org_mb} {loaded_mb}", peak_rss_mb(), m.wall.as_millis());
}

fn main() {
    // One compile cache for this run, as on an operator's machine: the
    // first load compiles, later loads (and the memory child) map it.
    let cache = std::env::temp_dir().join(format!("trawl-bench-cache-{}", std::process::id()));
    if std::env::var_os(MEMORY_CHILD).is_none() {
        // SAFETY: set before any thread is started.
        unsafe { std::env::set_var("TRAWL_CACHE_DIR", &cache) };
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    if std::env::var_os(MEMORY_CHILD).is_some() {
        rt.block_on(memory_child());
        return;
    }
    // `cargo bench` passes --bench; nothing else is accepted.
    rt.block_on(async {
        let (backend, targets) = org(1_000);
        let volumes: usize = targets.len();
        println!("trawl task overhead: ebs plugin, {volumes} targets ({} accounts x {} regions), no latency, {ROUNDS} rounds, medians", volumes / REGIONS.len(), REGIONS.len());
        println!("  {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));

        let (pool_p50, pool_p99, agg) = sequential(true, &backend, &targets).await;
        let (od_p50, od_p99, _) = sequential(false, &backend, &targets).await;
        println!();
        println!("  per task, one at a time (instantiate + collect)   median      p99");
        println!("    pooling allocator                            {pool_p50:8.1} us {pool_p99:8.1} us");
        println!("    on-demand (baseline)                         {od_p50:8.1} us {od_p99:8.1} us");
        println!("    on-demand / pooling                          {:8.2} x  {:8.2} x", od_p50 / pool_p50, od_p99 / pool_p99);
        println!("  aggregation (sort + summary + JSON) per target {agg:8.2} us");
        let total = pool_p50 + agg;
        println!("  instantiate + collect + aggregate, median      {total:8.1} us   target <= 50 us: {}", verdict(total <= 50.0));

        println!();
        println!("  wall time per target with N tasks in flight (throughput)");
        for workers in [2, 20] {
            let us = parallel(&backend, &targets, workers).await;
            println!("    {workers:>2} workers                                   {us:8.1} us  ({:.0} targets/s)", 1e6 / us);
        }
    });

    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env(MEMORY_CHILD, "1")
        .output()
        .expect("running the memory child");
    let _ = std::fs::remove_dir_all(&cache);
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<f64> = text.split_whitespace().map(|f| f.parse().unwrap_or(f64::NAN)).collect();
    let [rss, wall, org_mb, loaded_mb] = fields[..] else { panic!("memory child printed {text:?}") };
    println!();
    println!("  10,000 targets, 20 workers: wall {wall:.0} ms");
    println!(
        "    peak RSS                                         {rss:6.1} MB   target <= 100 MB: {}",
        verdict(rss <= 100.0)
    );
    println!("      after generating the simulated organisation   {org_mb:6.1} MB (the cloud, not trawl)");
    println!("      after loading the plugin (compile cache)      {loaded_mb:6.1} MB");
    println!("      trawl's own share (peak - organisation)       {:6.1} MB", rss - org_mb);
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}
