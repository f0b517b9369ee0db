//! Fan-out and fan-in: run jobs with bounded concurrency, per-task
//! timeouts and task-level retries, under a join policy, until every job
//! has a result or the run is stopped (too many failures, the deadline,
//! Ctrl-C).
//!
//! Jobs are spawned on the tokio runtime (so CPU-bound guests use every
//! core), at most `max_workers` at a time, in the order given: already
//! interleaved across plugins, accounts and regions so no single rate-limit
//! bucket is drained while others sit idle. Every job ends with exactly one
//! result: one that never ran is `cancelled`, one cut off by the deadline
//! `timed_out`.

pub mod policy;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use policy::{JoinPolicy, Quorum, StopReason, Tally, Verdict};

use crate::cloud::CloudClient;
use crate::report::{Status, TargetResult};
use crate::runtime::{Plugin, Reason, Scope, TaskOutcome};
use crate::targets::Target;

/// How a run is fanned out.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// Jobs in flight at once, across all plugins of the run.
    pub max_workers: usize,
    /// Wall time one task may take, host calls included.
    pub task_timeout: Duration,
    /// Extra attempts for a target whose task failed (not for skipped or
    /// timed-out ones): the seed's `retry_count`. API calls are already
    /// retried by the cloud client, so the default is none.
    pub retry_count: u32,
    /// Pause before a task-level retry: the seed's `retry_delay`.
    pub retry_delay: Duration,
    /// When to stop early and how to judge the outcome.
    pub policy: JoinPolicy,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            max_workers: 20,
            task_timeout: Duration::from_secs(60),
            retry_count: 0,
            retry_delay: Duration::from_secs(1),
            policy: JoinPolicy::default(),
        }
    }
}

/// One unit of scheduling: a plugin and its target, or for an
/// organization-scoped plugin the candidates tried in order until one
/// succeeds.
#[derive(Debug, Clone)]
pub struct Job {
    /// Index of the plugin in the run.
    pub plugin: usize,
    /// The target, or the ordered candidates.
    pub candidates: Vec<Target>,
}

/// The jobs of a run: each plugin's targets (already interleaved across
/// accounts), then interleaved across plugins.
pub fn jobs(plugins: &[Arc<Plugin>], targets: Vec<Vec<Target>>) -> Vec<Job> {
    let mut per_plugin: Vec<std::collections::VecDeque<Job>> = plugins
        .iter()
        .zip(targets)
        .enumerate()
        .map(|(i, (plugin, targets))| match plugin.info.scope {
            Scope::Organization if !targets.is_empty() => [Job { plugin: i, candidates: targets }].into(),
            Scope::Organization => Default::default(),
            _ => targets.into_iter().map(|t| Job { plugin: i, candidates: vec![t] }).collect(),
        })
        .collect();
    let mut out = Vec::new();
    while per_plugin.iter().any(|q| !q.is_empty()) {
        out.extend(per_plugin.iter_mut().filter_map(|q| q.pop_front()));
    }
    out
}

/// How a run ended (its results went to `on_result`, one per job).
#[derive(Debug)]
pub struct RunOutcome {
    /// Why the run stopped early, if it did.
    pub stopped: Option<StopReason>,
    /// The policy's counts.
    pub tally: Tally,
}

impl RunOutcome {
    /// The policy's verdict on this run.
    pub fn verdict(&self, policy: &JoinPolicy) -> Verdict {
        policy.verdict(self.tally, self.stopped)
    }
}

/// Runs `jobs`, handing each result to `on_result` with its plugin index
/// as it finishes (completion order), until all are done or the run
/// stops; `cancel` stops it. Every job gets exactly one result; the
/// scheduler keeps none of them. No new job starts while `on_result`'s
/// future is pending, so a slow consumer holds the run back rather than
/// letting results pile up.
pub async fn run<F: Future<Output = ()>>(
    plugins: &[Arc<Plugin>],
    client: Arc<CloudClient>,
    jobs: Vec<Job>,
    config: &SchedulerConfig,
    cancel: CancellationToken,
    mut on_result: impl FnMut(usize, TargetResult) -> F,
) -> RunOutcome {
    let deadline = config.policy.deadline.map(|d| tokio::time::Instant::now() + d);
    let mut tally = Tally { total: jobs.len(), ..Tally::default() };
    let mut pending = jobs.into_iter();
    let mut running = JoinSet::new();
    let mut in_flight = HashMap::new();
    let mut stopped = None;
    let count = |result: &TargetResult, tally: &mut Tally| match result.status {
        Status::Succeeded => tally.succeeded += 1,
        Status::Skipped => {}
        _ => tally.failures += 1,
    };
    loop {
        while stopped.is_none() && running.len() < config.max_workers.max(1) {
            let Some(job) = pending.next() else { break };
            let handle = running.spawn(run_job(
                plugins[job.plugin].clone(),
                client.clone(),
                job.candidates.clone(),
                config.clone(),
            ));
            in_flight.insert(handle.id(), job);
        }
        if running.is_empty() {
            break;
        }
        let joined = tokio::select! {
            biased;
            _ = cancel.cancelled(), if stopped != Some(StopReason::Interrupted) => {
                stopped = Some(StopReason::Interrupted);
                running.abort_all();
                continue;
            }
            _ = sleep_until(deadline), if stopped.is_none() => {
                stopped = Some(StopReason::Deadline);
                running.abort_all();
                continue;
            }
            joined = running.join_next_with_id() => joined.expect("running is not empty"),
        };
        match joined {
            Ok((id, result)) => {
                let job = in_flight.remove(&id).expect("every task is in flight");
                count(&result, &mut tally);
                on_result(job.plugin, result).await;
                if stopped.is_none() && config.policy.should_stop(tally) {
                    // Stop scheduling; what is running may finish.
                    stopped = Some(StopReason::MaxFailures);
                }
            }
            Err(e) if e.is_cancelled() => {
                let job = in_flight.remove(&e.id()).expect("every task is in flight");
                let result = stopped_result(job.candidates[0].clone(), stopped, true);
                count(&result, &mut tally);
                on_result(job.plugin, result).await;
            }
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    for job in pending {
        let result = stopped_result(job.candidates[0].clone(), stopped, false);
        count(&result, &mut tally);
        on_result(job.plugin, result).await;
    }
    RunOutcome { stopped, tally }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The result of a job the stop caught: running ones cut off by the
/// deadline timed out; everything else is cancelled.
fn stopped_result(target: Target, stopped: Option<StopReason>, was_running: bool) -> TargetResult {
    let (status, reason) = match (stopped, was_running) {
        (Some(StopReason::Deadline), true) => {
            (Status::TimedOut, Reason::new("trawl.Deadline", "still running when the run's deadline passed"))
        }
        (Some(StopReason::Deadline), false) => {
            (Status::Cancelled, Reason::new("trawl.Deadline", "not started before the run's deadline"))
        }
        (Some(StopReason::MaxFailures), _) => {
            (Status::Cancelled, Reason::new("trawl.MaxFailures", "not started: the run had too many failures"))
        }
        (Some(StopReason::Interrupted), true) => {
            (Status::Cancelled, Reason::new("trawl.Interrupted", "interrupted while running"))
        }
        (Some(StopReason::Interrupted) | None, _) => {
            (Status::Cancelled, Reason::new("trawl.Interrupted", "not started: the run was interrupted"))
        }
    };
    TargetResult { status, error: Some(reason), ..TargetResult::empty(target) }
}

/// One job: its candidates in order until one succeeds (a regional or
/// account job has exactly one), each with task-level retries.
async fn run_job(
    plugin: Arc<Plugin>,
    client: Arc<CloudClient>,
    candidates: Vec<Target>,
    config: SchedulerConfig,
) -> TargetResult {
    let tried = candidates.len();
    let mut last = None;
    for target in candidates {
        let result = run_with_retries(&plugin, &client, target, &config).await;
        if result.status == Status::Succeeded {
            return result;
        }
        tracing::debug!(target = %result.target, status = ?result.status, "candidate did not succeed");
        last = Some(result);
    }
    let mut result = last.expect("a job has at least one candidate");
    if tried > 1
        && let Some(e) = &mut result.error
    {
        e.message = format!("none of {tried} candidate accounts succeeded; last: {}", e.message);
    }
    result
}

async fn run_with_retries(
    plugin: &Arc<Plugin>,
    client: &Arc<CloudClient>,
    target: Target,
    config: &SchedulerConfig,
) -> TargetResult {
    let mut attempt = 0;
    loop {
        let result = run_once(plugin, client, target.clone(), config.task_timeout).await;
        if result.status != Status::Failed || attempt >= config.retry_count {
            return result;
        }
        attempt += 1;
        tracing::debug!(target = %target, attempt, "retrying failed task");
        tokio::time::sleep(config.retry_delay).await;
    }
}

async fn run_once(plugin: &Arc<Plugin>, client: &Arc<CloudClient>, target: Target, timeout: Duration) -> TargetResult {
    let started = Instant::now();
    let task = plugin.collect(&target, client.clone(), started + timeout);
    let outcome = match tokio::time::timeout(timeout, task).await {
        Ok(outcome) => outcome,
        Err(_) => TaskOutcome::TimedOut(Reason::new(
            "trawl.Timeout",
            format!("task did not finish within {:.1} s", timeout.as_secs_f64()),
        )),
    };
    TargetResult::from_outcome(target, outcome, started.elapsed())
}
