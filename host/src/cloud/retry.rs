//! Which API errors are retried, how long to wait, and how much retrying a
//! scope may do.
//!
//! The host owns retries because plugins cannot sleep or see headers. The
//! rules follow the AWS SDKs' standard mode: throttling and transient
//! errors are retried with exponential backoff and full jitter, capped, and
//! a retry budget per rate-limit scope (500 tokens, 5 per throttling retry,
//! 10 per transient retry, 1 back per first-try success) stops a storm of
//! failures from turning into a storm of retries.

use std::time::Duration;

use rand::Rng;
use trawl_error_codes::{ACCESS_DENIED, THROTTLING, TRANSIENT};

use super::ApiError;

/// What kind of error an API call ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The service is slowing us down: retry later, and slow the bucket.
    Throttling,
    /// A passing fault (5xx, timeouts, connection errors): retry.
    Transient,
    /// We may not look here: the target is skipped, never retried.
    Access,
    /// Anything else: final.
    Other,
}

impl ErrorClass {
    /// Classifies an error by code, then by HTTP status.
    pub fn of(e: &ApiError) -> Self {
        let code = e.code.as_str();
        if THROTTLING.contains(&code) || e.status == 429 {
            Self::Throttling
        } else if TRANSIENT.contains(&code) || matches!(e.status, 500 | 502 | 503 | 504) {
            Self::Transient
        } else if ACCESS_DENIED.contains(&code) {
            Self::Access
        } else {
            Self::Other
        }
    }

    /// True for the classes worth another attempt.
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::Throttling | Self::Transient)
    }
}

/// How a scope retries.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per call, the first included. Multi-account collection
    /// meets throttling as a matter of course (Steampipe uses 9 attempts,
    /// CloudQuery 10); with client-side limits most calls never throttle,
    /// so 8 leaves room without stalling a task for minutes.
    pub max_attempts: u32,
    /// Base of the exponential backoff.
    pub base_delay: Duration,
    /// Longest single backoff (AWS SDKs: 20 s).
    pub max_delay: Duration,
    /// Wall time one attempt may take before it counts as a transient error.
    pub call_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(20),
            call_timeout: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// Wall time one call may take over all its attempts: three call
    /// timeouts, so a call that keeps timing out ends instead of spending
    /// every attempt on its timeout.
    pub fn call_deadline(&self) -> Duration {
        self.call_timeout.saturating_mul(3)
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1):
    /// uniform in `[0, min(base * 2^(attempt-1), max)]` (full jitter).
    pub fn backoff(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(attempt);
        ceiling.mul_f64(rng.random_range(0.0..=1.0))
    }

    /// The largest backoff after `attempt`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        self.base_delay.saturating_mul(1 << exp).min(self.max_delay)
    }
}

/// A retry budget: retries spend tokens, first-try successes earn them
/// back. When it is empty, errors are returned instead of retried.
#[derive(Debug)]
pub struct RetryBudget {
    tokens: std::sync::atomic::AtomicU32,
}

/// Budget size, as in the AWS SDKs.
pub const RETRY_BUDGET: u32 = 500;
const THROTTLING_COST: u32 = 5;
const TRANSIENT_COST: u32 = 10;

impl Default for RetryBudget {
    fn default() -> Self {
        Self { tokens: RETRY_BUDGET.into() }
    }
}

impl RetryBudget {
    /// Takes the cost of retrying an error of `class`; false when the
    /// budget cannot pay it.
    pub fn try_spend(&self, class: ErrorClass) -> bool {
        let cost = if class == ErrorClass::Throttling { THROTTLING_COST } else { TRANSIENT_COST };
        self.tokens
            .fetch_update(std::sync::atomic::Ordering::Relaxed, std::sync::atomic::Ordering::Relaxed, |t| {
                t.checked_sub(cost)
            })
            .is_ok()
    }

    /// Earns back one token for a call that succeeded at the first try.
    pub fn refund(&self) {
        let _ =
            self.tokens.fetch_update(std::sync::atomic::Ordering::Relaxed, std::sync::atomic::Ordering::Relaxed, |t| {
                (t < RETRY_BUDGET).then_some(t + 1)
            });
    }

    /// Tokens left.
    pub fn remaining(&self) -> u32 {
        self.tokens.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn err(code: &str, status: u16) -> ApiError {
        ApiError::new(code, status, "x")
    }

    #[test]
    fn classes_by_code_and_status() {
        for code in ["Throttling", "ThrottlingException", "RequestLimitExceeded", "SlowDown", "EC2ThrottledException"] {
            assert_eq!(ErrorClass::of(&err(code, 400)), ErrorClass::Throttling, "{code}");
        }
        assert_eq!(ErrorClass::of(&err("Whatever", 429)), ErrorClass::Throttling);
        for status in [500, 502, 503, 504] {
            assert_eq!(ErrorClass::of(&err("Boom", status)), ErrorClass::Transient);
        }
        assert_eq!(ErrorClass::of(&err("RequestTimeout", 400)), ErrorClass::Transient);
        assert_eq!(ErrorClass::of(&err("trawl.CallTimeout", 0)), ErrorClass::Transient);
        for code in ["AccessDenied", "UnauthorizedOperation", "OptInRequired", "SubscriptionRequiredException"] {
            assert_eq!(ErrorClass::of(&err(code, 403)), ErrorClass::Access, "{code}");
        }
        assert_eq!(ErrorClass::of(&err("InvalidParameterValue", 400)), ErrorClass::Other);
        assert!(!ErrorClass::Access.is_retryable() && !ErrorClass::Other.is_retryable());
    }

    #[test]
    fn backoff_is_full_jitter_under_an_exponential_capped_ceiling() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.ceiling(1), Duration::from_millis(100));
        assert_eq!(policy.ceiling(4), Duration::from_millis(800));
        assert_eq!(policy.ceiling(20), Duration::from_secs(20));
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let samples: Vec<Duration> = (0..2000).map(|_| policy.backoff(4, &mut rng)).collect();
        assert!(samples.iter().all(|d| *d <= Duration::from_millis(800)));
        let below_half = samples.iter().filter(|d| **d < Duration::from_millis(400)).count();
        assert!((800..1200).contains(&below_half), "uniform jitter, got {below_half}/2000 below half");
    }

    #[test]
    fn budget_pays_for_retries_until_empty_and_refunds_successes() {
        let budget = RetryBudget::default();
        let throttles = (0..200).take_while(|_| budget.try_spend(ErrorClass::Throttling)).count();
        assert_eq!(throttles, 100, "500 tokens at 5 each");
        assert!(!budget.try_spend(ErrorClass::Transient));
        for _ in 0..10 {
            budget.refund();
        }
        assert!(budget.try_spend(ErrorClass::Transient));
        assert_eq!(budget.remaining(), 0);
        for _ in 0..1000 {
            budget.refund();
        }
        assert_eq!(budget.remaining(), RETRY_BUDGET, "refunds never exceed the budget");
    }
}
