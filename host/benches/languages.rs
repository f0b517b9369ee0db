//! Per-target cost of the same EBS collector in each language the host
//! takes: Rust (wasm32-wasip2), Python (componentize-py) and JavaScript
//! (componentize-js), cached, with 1 and with 20 tasks in flight, and the
//! peak memory of a 10,000-target run of each (in a child process, so
//! one language's run does not inflate another's figure).
//!
//! Each run goes through the library API, as `host run` does: fetch, fit
//! the runtime to the components, load from the compile cache, run.
//! Run with `cargo xtask bench` (builds the collectors, then this in
//! release); a language whose collector was not built (its toolchain is
//! missing) is left out with a note.

#[path = "support/peak_rss.rs"]
mod peak_rss;

use std::path::PathBuf;
use std::time::Instant;

use futures::StreamExt;
use peak_rss::peak_rss_mb;
use trawl_host::cloud::sim::{OrgSpec, SimCloud, SimSource};
use trawl_host::run::{Cloud, Run};
use trawl_host::scheduler::SchedulerConfig;

const REGIONS: usize = 4;
const TARGETS: usize = 1_000;
const MEMORY_TARGETS: usize = 10_000;
const ROUNDS: usize = 3;
const MEMORY_CHILD: &str = "TRAWL_BENCH_LANGUAGE_CHILD";
/// The collectors: label, file under target/plugins.
const COLLECTORS: [(&str, &str); 3] = [("Rust", "ebs"), ("Python", "ebs-py"), ("JavaScript", "ebs-js")];

fn plugin_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../target/plugins/{file}.wasm"))
}

fn cloud(targets: usize) -> Cloud {
    let spec = OrgSpec {
        accounts: targets / REGIONS,
        regions: ["us-east-1", "eu-west-1", "ap-northeast-2", "us-west-2"].map(String::from).to_vec(),
        volumes_per_region: 8,
        roles_per_account: 0,
        users_per_account: 0,
        seed: 42,
    };
    Cloud::Simulated { cloud: Box::new(SimCloud::new(spec.generate())), source: SimSource::Demo }
}

/// Microseconds per target of one run: from the first task to the report,
/// loading (from the compile cache) not included.
async fn per_target_us(file: &str, targets: usize, workers: usize) -> f64 {
    let mut run = Run::builder()
        .plugin(plugin_path(file))
        .cloud(cloud(targets))
        .scheduling(SchedulerConfig { max_workers: workers, ..SchedulerConfig::default() })
        .start()
        .await
        .expect("the run starts");
    let started = Instant::now();
    let mut done = 0;
    while let Some(finished) = run.next().await {
        assert_eq!(
            finished.result.status,
            trawl_host::report::Status::Succeeded,
            "{file}: {:?}",
            finished.result.error
        );
        done += 1;
    }
    let _report = run.wait().await;
    assert_eq!(done, targets);
    started.elapsed().as_secs_f64() * 1e6 / targets as f64
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    if let Ok(file) = std::env::var(MEMORY_CHILD) {
        // The child: one 10,000-target run with 20 workers, then VmHWM.
        let org_mb = {
            let _cloud = cloud(MEMORY_TARGETS);
            peak_rss_mb()
        };
        rt.block_on(per_target_us(&file, MEMORY_TARGETS, 20));
        println!("{} {org_mb}", peak_rss_mb());
        return;
    }
    // One compile cache, as on an operator's machine: the first load
    // compiles, the runs load from it.
    let cache = std::env::temp_dir().join(format!("trawl-bench-languages-{}", std::process::id()));
    // SAFETY: set before any thread of ours reads the environment.
    unsafe { std::env::set_var("TRAWL_CACHE_DIR", &cache) };
    println!(
        "trawl collectors by language: EBS, {TARGETS} targets ({} accounts x {REGIONS} regions, 8 volumes each), no latency, {ROUNDS} rounds, medians",
        TARGETS / REGIONS
    );
    println!(
        "  {} cores; per target = wall time of the run / targets, loading not included",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("  language       1 worker    20 workers   peak RSS, {MEMORY_TARGETS} targets (organisation)");
    for (language, file) in COLLECTORS {
        if !plugin_path(file).exists() {
            println!("  {language:<12} not built (its toolchain is missing: `cargo xtask setup`)");
            continue;
        }
        let (one, twenty) = rt.block_on(async {
            per_target_us(file, 40, 2).await; // compiles into the cache; warms up
            let mut one = Vec::new();
            let mut twenty = Vec::new();
            for _ in 0..ROUNDS {
                one.push(per_target_us(file, TARGETS, 1).await);
                twenty.push(per_target_us(file, TARGETS, 20).await);
            }
            (median(one), median(twenty))
        });
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .env(MEMORY_CHILD, file)
            .output()
            .expect("running the memory child");
        let text = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<f64> = text.split_whitespace().map(|f| f.parse().unwrap_or(f64::NAN)).collect();
        let [rss, org_mb] = fields[..] else {
            panic!("memory child printed {text:?}: {}", String::from_utf8_lossy(&out.stderr))
        };
        println!(
            "  {language:<12} {:>8} us  {:>8} us   {rss:6.1} MB ({org_mb:.1} MB)",
            format!("{one:.0}"),
            format!("{twenty:.0}")
        );
    }
    let _ = std::fs::remove_dir_all(&cache);
    println!();
    println!(
        "  targets: Python <= 1000 us per target with 20 workers; Python peak <= 300 MB; Rust no worse than task_overhead's"
    );
}
