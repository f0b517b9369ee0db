//! Aggregation: per-target results, the run summary, the error summary
//! grouped by code, and the writers for each output format.

pub mod columns;
pub mod csv;
pub mod dir;
pub mod html;
pub mod json;
pub mod jsonl;
pub mod table;
pub mod terminal;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::runtime::{PluginInfo, Reason, TaskOutcome};
use crate::targets::Target;

/// How a target ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Records collected.
    Succeeded,
    /// Nothing to collect, and that is fine (access denied, opt-in region).
    Skipped,
    /// Counted as a failure.
    Failed,
    /// Ran past its timeout (or the run's deadline); counted as a failure.
    TimedOut,
    /// Never ran, or was stopped, because the run stopped; counted as a
    /// failure.
    Cancelled,
}

impl Status {
    /// The status as the reports spell it: `succeeded`, `timed_out`...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
            Self::TimedOut => "timed_out",
            Self::Cancelled => "cancelled",
        }
    }

    /// True for outcomes that count against the run.
    pub fn is_failure(self) -> bool {
        matches!(self, Self::Failed | Self::TimedOut | Self::Cancelled)
    }
}

/// The result of one target.
#[derive(Debug, Clone)]
pub struct TargetResult {
    /// Where it ran.
    pub target: Target,
    /// How it ended.
    pub status: Status,
    /// Records (JSON objects), when it succeeded, unless a streaming
    /// writer has already written and dropped them (see
    /// [`TargetResult::take_records`]).
    pub records: Vec<Box<RawValue>>,
    /// How many records the target produced, whether or not they are
    /// still held.
    pub record_count: usize,
    /// The plugin's per-target totals.
    pub totals: Vec<(String, u64)>,
    /// Why it did not succeed.
    pub error: Option<Reason>,
    /// Wall time of the task.
    pub elapsed: Duration,
}

impl TargetResult {
    /// A result for `target` with no records, status `Succeeded`, to be
    /// filled in.
    pub fn empty(target: Target) -> Self {
        Self {
            target,
            status: Status::Succeeded,
            records: Vec::new(),
            record_count: 0,
            totals: Vec::new(),
            error: None,
            elapsed: Duration::ZERO,
        }
    }

    /// Hands the records over to a streaming writer, keeping their count:
    /// a jsonl run holds no record after it is written.
    pub fn take_records(&mut self) -> Vec<Box<RawValue>> {
        std::mem::take(&mut self.records)
    }

    /// A copy of everything but the records (their count stays).
    pub fn clone_without_records(&self) -> Self {
        Self {
            target: self.target.clone(),
            status: self.status,
            records: Vec::new(),
            record_count: self.record_count,
            totals: self.totals.clone(),
            error: self.error.clone(),
            elapsed: self.elapsed,
        }
    }

    /// The result of `target` from the runtime's outcome.
    pub fn from_outcome(target: Target, outcome: TaskOutcome, elapsed: Duration) -> Self {
        let (status, collection, error) = match outcome {
            TaskOutcome::Succeeded(c) => (Status::Succeeded, c, None),
            TaskOutcome::Skipped(r) => (Status::Skipped, Default::default(), Some(r)),
            TaskOutcome::Failed(r) => (Status::Failed, Default::default(), Some(r)),
            TaskOutcome::TimedOut(r) => (Status::TimedOut, Default::default(), Some(r)),
        };
        let record_count = collection.records.len();
        Self { target, status, records: collection.records, record_count, totals: collection.totals, error, elapsed }
    }
}

/// Counts over the whole run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Targets in the run.
    pub total: usize,
    /// Targets that succeeded.
    pub succeeded: usize,
    /// Targets skipped.
    pub skipped: usize,
    /// Targets that failed.
    pub failed: usize,
    /// Targets that timed out.
    pub timed_out: usize,
    /// Targets cancelled because the run stopped.
    pub cancelled: usize,
    /// Records collected.
    pub records: usize,
    /// The plugin's totals summed over targets.
    pub totals: BTreeMap<String, u64>,
    /// Totals whose sum passed u64::MAX and stopped there.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub saturated: Vec<String>,
    /// Wall time of the run.
    pub elapsed_ms: u64,
}

/// Failures sharing one error code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorGroup {
    /// The code.
    pub code: String,
    /// How many targets failed with it.
    pub count: usize,
    /// Those targets, as `account/region`, sorted.
    pub targets: Vec<String>,
}

/// A finished run of one plugin.
#[derive(Debug, Clone)]
pub struct Report {
    /// The plugin's name and version.
    pub plugin: PluginInfo,
    /// Per-target results, sorted by (account, region).
    pub results: Vec<TargetResult>,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Report {
    /// A report over `results` in any order; they are sorted here so the
    /// output does not depend on completion order.
    pub fn new(plugin: PluginInfo, mut results: Vec<TargetResult>, elapsed: Duration) -> Self {
        results.sort_by(|a, b| (&a.target.account_id, &a.target.region).cmp(&(&b.target.account_id, &b.target.region)));
        Self { plugin, results, elapsed }
    }

    /// Counts and totals.
    pub fn summary(&self) -> Summary {
        let mut s =
            Summary { total: self.results.len(), elapsed_ms: self.elapsed.as_millis() as u64, ..Summary::default() };
        for r in &self.results {
            match r.status {
                Status::Succeeded => s.succeeded += 1,
                Status::Skipped => s.skipped += 1,
                Status::Failed => s.failed += 1,
                Status::TimedOut => s.timed_out += 1,
                Status::Cancelled => s.cancelled += 1,
            }
            s.records += r.record_count;
            for (name, value) in &r.totals {
                let sum = s.totals.entry(name.clone()).or_default();
                match sum.checked_add(*value) {
                    Some(v) => *sum = v,
                    None => {
                        *sum = u64::MAX;
                        if !s.saturated.contains(name) {
                            s.saturated.push(name.clone());
                        }
                    }
                }
            }
        }
        s
    }

    /// Failures (failed, timed out, cancelled) grouped by code, most
    /// frequent first.
    pub fn errors(&self) -> Vec<ErrorGroup> {
        let mut groups: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for r in self.results.iter().filter(|r| r.status.is_failure()) {
            let code = r.error.as_ref().map_or("unknown", |e| e.code.as_str());
            groups.entry(code).or_default().push(format!("{}/{}", r.target.account_id, r.target.region));
        }
        let mut out: Vec<ErrorGroup> = groups
            .into_iter()
            .map(|(code, targets)| ErrorGroup { code: code.to_owned(), count: targets.len(), targets })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
        out
    }

    /// True when some target failed or timed out.
    pub fn has_failures(&self) -> bool {
        self.results.iter().any(|r| r.status.is_failure())
    }
}

#[cfg(test)]
mod tests;
