//! trawl as a library: run the EBS collector over the built-in demo
//! cloud, print each target's result as it finishes, cancel the run after
//! N results, and print the report's summary.
//!
//! ```text
//! cargo xtask plugins
//! cargo run -p trawl-host --example embed -- target/plugins/ebs.wasm 5
//! ```

use std::time::Duration;

use futures::StreamExt;
use trawl_host::cloud::sim::{Pressure, SimCloud, SimSource, demo};
use trawl_host::run::{Cloud, Run};
use trawl_host::scheduler::SchedulerConfig;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let plugin = args.next().unwrap_or_else(|| "target/plugins/ebs.wasm".into());
    let cancel_after: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(5);

    // The demo organisation with 20 ms per call and two tasks at a time,
    // so the cancel below has something left to stop.
    let latency = Duration::from_millis(20);
    let pressure = Pressure { latency_median: latency, latency_p99: latency, ..Pressure::default() };
    let demo = Cloud::Simulated { cloud: Box::new(SimCloud::with_pressure(demo(), pressure)), source: SimSource::Demo };
    let mut run = Run::builder()
        .plugin(plugin)
        .cloud(demo)
        .scheduling(SchedulerConfig { max_workers: 2, ..SchedulerConfig::default() })
        .start()
        .await?;
    if let Some(banner) = run.banner() {
        eprintln!("{banner}");
    }

    let mut seen = 0;
    while let Some(done) = run.next().await {
        let r = &done.result;
        println!("{} {} {:?} {} records", r.target.account_id, r.target.region, r.status, r.record_count);
        seen += 1;
        if seen == cancel_after {
            println!("cancelling after {seen} results");
            run.cancel();
        }
    }

    let report = run.wait().await;
    for plugin in &report.reports {
        let s = plugin.summary();
        println!(
            "{}: {} targets, {} succeeded, {} cancelled, {} records; run: {}",
            plugin.plugin.name, s.total, s.succeeded, s.cancelled, s.records, report.verdict
        );
    }
    Ok(())
}
