//! Join policies: when a run may stop early, and whether its outcome is
//! acceptable. The exit status says which policy held or broke.

use std::fmt;
use std::time::Duration;

/// How many targets must succeed: a count or a share of all targets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quorum {
    /// At least this many.
    Count(usize),
    /// At least this percentage (0-100) of the targets.
    Percent(f64),
}

impl Quorum {
    /// The number of successes needed out of `total`.
    pub fn needed(self, total: usize) -> usize {
        match self {
            Self::Count(n) => n,
            Self::Percent(p) => ((p / 100.0) * total as f64).ceil() as usize,
        }
    }
}

impl std::str::FromStr for Quorum {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a count or a percentage, e.g. 90 or 95%");
        match s.strip_suffix('%') {
            Some(p) => match p.trim().parse::<f64>() {
                Ok(p) if (0.0..=100.0).contains(&p) => Ok(Self::Percent(p)),
                Ok(p) if p > 100.0 => Err(format!("{s:?}: a percentage of the targets is at most 100%")),
                _ => Err(bad()),
            },
            None => s.trim().parse().map(Self::Count).map_err(|_| bad()),
        }
    }
}

impl fmt::Display for Quorum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count(n) => write!(f, "{n}"),
            Self::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// The operator's partial-failure policy. With nothing set, every target
/// must succeed or be skipped (a barrier).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JoinPolicy {
    /// Stop scheduling new targets once more than this many have failed;
    /// up to this many failures are acceptable.
    pub max_failures: Option<usize>,
    /// The run is acceptable when at least this many targets succeeded.
    pub min_success: Option<Quorum>,
    /// At this wall time, cancel what is running and stop.
    pub deadline: Option<Duration>,
}

/// Why a run stopped before every target had its turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// `--max-failures` was exceeded.
    MaxFailures,
    /// `--deadline` passed.
    Deadline,
    /// The operator pressed Ctrl-C (or the process got SIGTERM).
    Interrupted,
}

/// The run's verdict under its policy, with the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The policy held. Exit 0.
    Held,
    /// Barrier broken: some targets failed, timed out or were cancelled.
    /// Exit 3.
    TargetsFailed,
    /// More failures than `--max-failures`; the run was stopped. Exit 4.
    TooManyFailures,
    /// Fewer successes than `--min-success`. Exit 5.
    QuorumMissed,
    /// `--deadline` passed before every target finished. Exit 6.
    DeadlinePassed,
    /// Interrupted by a signal. Exit 130.
    Interrupted,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Held => "the join policy held",
            Self::TargetsFailed => "some targets failed",
            Self::TooManyFailures => "too many failures, stopped",
            Self::QuorumMissed => "too few targets succeeded",
            Self::DeadlinePassed => "the deadline passed",
            Self::Interrupted => "interrupted",
        })
    }
}

impl Verdict {
    /// The process exit status for this verdict.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Held => 0,
            Self::TargetsFailed => 3,
            Self::TooManyFailures => 4,
            Self::QuorumMissed => 5,
            Self::DeadlinePassed => 6,
            Self::Interrupted => 130,
        }
    }
}

/// Counts the policy looks at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Targets in the run.
    pub total: usize,
    /// Targets that succeeded.
    pub succeeded: usize,
    /// Targets failed, timed out or cancelled.
    pub failures: usize,
}

impl JoinPolicy {
    /// True when the run should stop scheduling after this tally.
    pub fn should_stop(&self, tally: Tally) -> bool {
        self.max_failures.is_some_and(|max| tally.failures > max)
    }

    /// The verdict for a finished (or stopped) run.
    pub fn verdict(&self, tally: Tally, stopped: Option<StopReason>) -> Verdict {
        let quorum_met = self.min_success.map(|q| tally.succeeded >= q.needed(tally.total));
        match stopped {
            Some(StopReason::Interrupted) => return Verdict::Interrupted,
            Some(StopReason::MaxFailures) => return Verdict::TooManyFailures,
            Some(StopReason::Deadline) if quorum_met != Some(true) => return Verdict::DeadlinePassed,
            _ => {}
        }
        match quorum_met {
            Some(true) => Verdict::Held,
            Some(false) => Verdict::QuorumMissed,
            None if self.max_failures.is_some_and(|max| tally.failures <= max) => Verdict::Held,
            None if tally.failures > 0 => Verdict::TargetsFailed,
            None => Verdict::Held,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(total: usize, succeeded: usize, failures: usize) -> Tally {
        Tally { total, succeeded, failures }
    }

    #[test]
    fn quorum_parses_counts_and_percentages() {
        assert_eq!("7".parse::<Quorum>().unwrap(), Quorum::Count(7));
        assert_eq!("95%".parse::<Quorum>().unwrap(), Quorum::Percent(95.0));
        assert!("101%".parse::<Quorum>().is_err() && "many".parse::<Quorum>().is_err());
        assert_eq!(Quorum::Percent(90.0).needed(12), 11);
        assert_eq!(Quorum::Percent(100.0).needed(12), 12);
    }

    #[test]
    fn the_default_barrier_needs_every_target() {
        let p = JoinPolicy::default();
        assert_eq!(p.verdict(tally(12, 11, 0), None), Verdict::Held, "skipped targets are fine");
        assert_eq!(p.verdict(tally(12, 10, 1), None), Verdict::TargetsFailed);
        assert!(!p.should_stop(tally(12, 0, 12)), "a barrier never stops early");
    }

    #[test]
    fn max_failures_tolerates_then_stops() {
        let p = JoinPolicy { max_failures: Some(2), ..JoinPolicy::default() };
        assert!(!p.should_stop(tally(12, 5, 2)));
        assert!(p.should_stop(tally(12, 5, 3)));
        assert_eq!(p.verdict(tally(12, 10, 2), None), Verdict::Held);
        assert_eq!(p.verdict(tally(12, 5, 3), Some(StopReason::MaxFailures)), Verdict::TooManyFailures);
    }

    #[test]
    fn quorum_holds_or_breaks_and_can_save_a_deadline() {
        let p = JoinPolicy { min_success: Some(Quorum::Percent(75.0)), ..JoinPolicy::default() };
        assert_eq!(p.verdict(tally(8, 6, 2), None), Verdict::Held);
        assert_eq!(p.verdict(tally(8, 5, 3), None), Verdict::QuorumMissed);
        let with_deadline = JoinPolicy { deadline: Some(Duration::from_secs(1)), ..p.clone() };
        assert_eq!(with_deadline.verdict(tally(8, 6, 2), Some(StopReason::Deadline)), Verdict::Held);
        assert_eq!(with_deadline.verdict(tally(8, 2, 6), Some(StopReason::Deadline)), Verdict::DeadlinePassed);
        assert_eq!(JoinPolicy::default().verdict(tally(8, 8, 0), Some(StopReason::Interrupted)), Verdict::Interrupted);
    }
}
