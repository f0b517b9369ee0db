//! A started run: a stream of results in completion order, progress
//! counters, cancel, and the final report.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::Stream;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::cloud::{CallCounts, CallStats, CloudClient};
use crate::report::{Report, Status, TargetResult};
use crate::runtime::{Plugin, PluginInfo};
use crate::scheduler::{self, Job, RunOutcome, SchedulerConfig, StopReason, Verdict};

/// Results finished but not yet read from the stream, at most (or two
/// per worker, if that is more).
const RESULTS_WAITING: usize = 64;

/// One target's result, as it finished.
#[derive(Debug)]
pub struct Finished {
    /// Index of its plugin in [`RunHandle::plugins`].
    pub plugin: usize,
    /// The result, with its records.
    pub result: TargetResult,
}

/// Counts of a run in progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunProgress {
    /// Targets in the run.
    pub total: usize,
    /// Targets finished, whatever their status.
    pub done: usize,
    /// Targets that succeeded.
    pub succeeded: usize,
    /// Targets skipped.
    pub skipped: usize,
    /// Targets failed, timed out or cancelled.
    pub failed: usize,
    /// Records collected so far.
    pub records: usize,
}

/// A view of a run's counters that outlives borrowing the handle (for a
/// progress bar that redraws on its own).
#[derive(Clone)]
pub struct ProgressWatch {
    counters: Arc<Counters>,
}

impl ProgressWatch {
    /// Counts so far, for the whole run.
    pub fn now(&self) -> RunProgress {
        self.counters.all.read()
    }

    /// Counts so far for each plugin, in the run's order (the seed's
    /// multi-step progress: one line per plugin).
    pub fn by_plugin(&self) -> Vec<RunProgress> {
        self.counters.per_plugin.iter().map(Tally::read).collect()
    }
}

/// Counts of one plugin, or of the whole run.
#[derive(Default)]
struct Tally {
    total: usize,
    done: AtomicUsize,
    succeeded: AtomicUsize,
    skipped: AtomicUsize,
    failed: AtomicUsize,
    records: AtomicUsize,
}

impl Tally {
    fn count(&self, result: &TargetResult) {
        let slot = match result.status {
            Status::Succeeded => &self.succeeded,
            Status::Skipped => &self.skipped,
            _ => &self.failed,
        };
        slot.fetch_add(1, Ordering::Relaxed);
        self.records.fetch_add(result.record_count, Ordering::Relaxed);
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    fn read(&self) -> RunProgress {
        RunProgress {
            total: self.total,
            done: self.done.load(Ordering::Relaxed),
            succeeded: self.succeeded.load(Ordering::Relaxed),
            skipped: self.skipped.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            records: self.records.load(Ordering::Relaxed),
        }
    }
}

/// The run's counters, shared with the scheduler's task.
struct Counters {
    all: Tally,
    per_plugin: Vec<Tally>,
}

impl Counters {
    fn new(plugins: usize, jobs: &[Job]) -> Self {
        let mut per_plugin: Vec<Tally> = (0..plugins).map(|_| Tally::default()).collect();
        for job in jobs {
            per_plugin[job.plugin].total += 1;
        }
        Self { all: Tally { total: jobs.len(), ..Tally::default() }, per_plugin }
    }

    fn count(&self, plugin: usize, result: &TargetResult) {
        self.all.count(result);
        self.per_plugin[plugin].count(result);
    }
}

/// A finished run: one report per plugin and how the run went.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// One report per plugin, in the order given, results sorted by
    /// (account, region).
    pub reports: Vec<Report>,
    /// The join policy's verdict.
    pub verdict: Verdict,
    /// Why the run stopped early, if it did.
    pub stopped: Option<StopReason>,
    /// API calls made, throttled and retried.
    pub calls: CallCounts,
    /// Wall time of the whole run.
    pub elapsed: Duration,
    /// Of which finding the accounts and regions.
    pub discovery: Duration,
    /// The backend (`backend`, and `endpoint` or `fixture`), and `shard`
    /// for a shard of a run.
    pub backend: Value,
    /// The run's id.
    pub run_id: String,
}

impl RunReport {
    /// The `run` section of the JSON report.
    pub fn run_info(&self) -> Value {
        let mut info = serde_json::json!({
            "run_id": self.run_id,
            "verdict": self.verdict,
            "stopped": self.stopped,
            "calls": self.calls,
            "elapsed_ms": self.elapsed.as_millis() as u64,
            "discovery_ms": self.discovery.as_millis() as u64,
        });
        if let (Some(info), Some(backend)) = (info.as_object_mut(), self.backend.as_object()) {
            info.extend(backend.clone());
        }
        info
    }
}

/// What [`super::RunBuilder::start`] hands over to start the run.
pub(super) struct Started {
    pub plugins: Vec<Arc<Plugin>>,
    pub client: Arc<CloudClient>,
    pub jobs: Vec<Job>,
    pub config: SchedulerConfig,
    pub cancel: CancellationToken,
    pub prefetch: JoinHandle<()>,
    pub keep_streamed_records: bool,
    pub started: Instant,
    pub run_id: String,
    pub discovery: Duration,
    pub backend: Value,
    pub banner: Option<String>,
}

/// A run in progress. As a [`Stream`] it yields each target's result in
/// completion order; [`RunHandle::wait`] returns the report. Dropping it
/// cancels the run.
pub struct RunHandle {
    plugins: Vec<PluginInfo>,
    digests: Vec<String>,
    run_id: String,
    results: mpsc::Receiver<Finished>,
    /// Results already handed out through the stream.
    streamed: Vec<Finished>,
    keep_streamed_records: bool,
    cancel: CancellationToken,
    task: Option<JoinHandle<RunOutcome>>,
    counters: Arc<Counters>,
    total: usize,
    stats: Arc<CallStats>,
    policy: crate::scheduler::JoinPolicy,
    started: Instant,
    discovery: Duration,
    backend: Value,
    banner: Option<String>,
}

impl RunHandle {
    pub(super) fn start(run: Started) -> Self {
        // Bounded: a consumer that falls behind (a database being written)
        // holds the scheduler back instead of results piling up here.
        let (send, results) = mpsc::channel(RESULTS_WAITING.max(run.config.max_workers * 2));
        let counters = Arc::new(Counters::new(run.plugins.len(), &run.jobs));
        let total = run.jobs.len();
        let stats = run.client.stats().clone();
        let policy = run.config.policy.clone();
        let infos = run.plugins.iter().map(|p| p.info.clone()).collect();
        let digests = run.plugins.iter().map(|p| p.digest.clone()).collect();
        let task = {
            let counters = counters.clone();
            let cancel = run.cancel.clone();
            tokio::spawn(async move {
                let plugins = run.plugins;
                let outcome = scheduler::run(&plugins, run.client, run.jobs, &run.config, cancel, |plugin, result| {
                    tracing::info!(
                        plugin = %plugins[plugin].info.name,
                        account = %result.target.account_id,
                        region = %result.target.region,
                        status = ?result.status,
                        records = result.record_count,
                        elapsed_ms = result.elapsed.as_millis() as u64,
                        error = result.error.as_ref().map(|e| e.code.as_str()).unwrap_or(""),
                        "target finished"
                    );
                    counters.count(plugin, &result);
                    let send = send.clone();
                    async move {
                        // A handle dropped mid-run stops reading; its run is
                        // cancelled and this result goes nowhere.
                        let _ = send.send(Finished { plugin, result }).await;
                    }
                })
                .await;
                run.prefetch.abort();
                outcome
            })
        };
        Self {
            plugins: infos,
            digests,
            run_id: run.run_id,
            results,
            streamed: Vec::new(),
            keep_streamed_records: run.keep_streamed_records,
            cancel: run.cancel,
            task: Some(task),
            counters,
            total,
            stats,
            policy,
            started: run.started,
            discovery: run.discovery,
            backend: run.backend,
            banner: run.banner,
        }
    }

    /// The run's plugins, in the order given.
    pub fn plugins(&self) -> &[PluginInfo] {
        &self.plugins
    }

    /// The `sha256:...` digests of the plugins' components, in order.
    pub fn plugin_digests(&self) -> &[String] {
        &self.digests
    }

    /// The run's id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Targets in the run (organization-scoped plugins count once).
    pub fn total(&self) -> usize {
        self.total
    }

    /// For a simulated cloud, the line that says so (where the data comes
    /// from, and how to collect from AWS instead).
    pub fn banner(&self) -> Option<&str> {
        self.banner.as_deref()
    }

    /// The backend and shard, as in the report's `run` section.
    pub fn backend(&self) -> &Value {
        &self.backend
    }

    /// Counts so far.
    pub fn progress(&self) -> RunProgress {
        self.watch().now()
    }

    /// The counters, to read from elsewhere while the run goes on.
    pub fn watch(&self) -> ProgressWatch {
        ProgressWatch { counters: self.counters.clone() }
    }

    /// API calls so far (live).
    pub fn calls(&self) -> Arc<CallStats> {
        self.stats.clone()
    }

    /// Stops the run: no new task starts and running ones are stopped;
    /// every target still gets a result (`cancelled`).
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Waits for every result, then returns the report. Results not read
    /// from the stream come with their records.
    pub async fn wait(mut self) -> RunReport {
        let mut results = std::mem::take(&mut self.streamed);
        while let Some(finished) = self.results.recv().await {
            results.push(finished);
        }
        let task = self.task.take().expect("waited once");
        let outcome = match task.await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("the run's task was cancelled: {e}"),
        };
        let elapsed = self.started.elapsed();
        let mut grouped: Vec<Vec<TargetResult>> = self.plugins.iter().map(|_| Vec::new()).collect();
        for Finished { plugin, result } in results {
            grouped[plugin].push(result);
        }
        let reports = self
            .plugins
            .iter()
            .zip(grouped)
            .map(|(info, results)| Report::new(info.clone(), results, elapsed))
            .collect();
        RunReport {
            reports,
            verdict: outcome.verdict(&self.policy),
            stopped: outcome.stopped,
            calls: self.stats.snapshot(),
            elapsed,
            discovery: self.discovery,
            backend: std::mem::take(&mut self.backend),
            run_id: self.run_id.clone(),
        }
    }
}

impl Stream for RunHandle {
    type Item = Finished;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Finished>> {
        let this = &mut *self;
        match this.results.poll_recv(cx) {
            Poll::Ready(Some(finished)) => {
                // What the report keeps of a result handed out.
                let mut kept = finished.result.clone_without_records();
                if this.keep_streamed_records {
                    kept.records = finished.result.records.clone();
                }
                this.streamed.push(Finished { plugin: finished.plugin, result: kept });
                Poll::Ready(Some(finished))
            }
            other => other,
        }
    }
}

impl Drop for RunHandle {
    fn drop(&mut self) {
        if self.task.is_some() {
            self.cancel.cancel();
        }
    }
}
