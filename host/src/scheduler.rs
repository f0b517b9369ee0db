//! Fan-out: run a plugin over its targets with bounded concurrency and a
//! per-task timeout, reporting each result the moment it finishes.
//!
//! Tasks are spawned on the tokio runtime (so CPU-bound guests use every
//! core), at most `max_workers` at a time, in the order `targets` gives
//! (already interleaved across accounts). Organization-scoped plugins try
//! their candidate targets one at a time until one succeeds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use crate::cloud::Backend;
use crate::report::{Status, TargetResult};
use crate::runtime::{Plugin, Reason, Scope, TaskOutcome};
use crate::targets::Target;

/// How a run is fanned out.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// Tasks in flight at once.
    pub max_workers: usize,
    /// Wall time one task may take, host calls included.
    pub task_timeout: Duration,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self { max_workers: 20, task_timeout: Duration::from_secs(60) }
    }
}

/// Runs `plugin` over `targets`, calling `on_result` as each finishes (in
/// completion order), and returns every result.
pub async fn run(
    plugin: Arc<Plugin>,
    backend: Arc<dyn Backend>,
    targets: Vec<Target>,
    config: &SchedulerConfig,
    mut on_result: impl FnMut(&TargetResult),
) -> Vec<TargetResult> {
    if plugin.info.scope == Scope::Organization {
        return first_success(plugin, backend, targets, config, on_result).await;
    }
    let mut pending = targets.into_iter();
    let mut running = JoinSet::new();
    let mut results = Vec::with_capacity(pending.len());
    let workers = config.max_workers.max(1);
    loop {
        while running.len() < workers {
            let Some(target) = pending.next() else { break };
            running.spawn(run_one(plugin.clone(), backend.clone(), target, config.task_timeout));
        }
        let Some(joined) = running.join_next().await else { break };
        let result = joined.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        on_result(&result);
        results.push(result);
    }
    results
}

/// Organization scope: candidates in order until one succeeds. The result
/// is the winning attempt, or every attempt when none won.
async fn first_success(
    plugin: Arc<Plugin>,
    backend: Arc<dyn Backend>,
    targets: Vec<Target>,
    config: &SchedulerConfig,
    mut on_result: impl FnMut(&TargetResult),
) -> Vec<TargetResult> {
    let mut attempts = Vec::new();
    for target in targets {
        let result = run_one(plugin.clone(), backend.clone(), target, config.task_timeout).await;
        if result.status == Status::Succeeded {
            on_result(&result);
            return vec![result];
        }
        tracing::debug!(target = %result.target, status = ?result.status, "organization candidate did not succeed");
        attempts.push(result);
    }
    attempts.iter().for_each(&mut on_result);
    attempts
}

async fn run_one(plugin: Arc<Plugin>, backend: Arc<dyn Backend>, target: Target, timeout: Duration) -> TargetResult {
    let started = Instant::now();
    let outcome = match tokio::time::timeout(timeout, plugin.collect(&target, backend, started + timeout)).await {
        Ok(outcome) => outcome,
        Err(_) => TaskOutcome::TimedOut(Reason::new(
            "trawl.Timeout",
            format!("task did not finish within {:.1} s", timeout.as_secs_f64()),
        )),
    };
    TargetResult::from_outcome(target, outcome, started.elapsed())
}
