//! The call pipeline every backend shares: the bucket for the call's scope,
//! a slot among the calls in flight, the backend with a per-call timeout,
//! and retries of throttling and transient errors with full-jitter backoff
//! under the scope's retry budget. Throttling also slows the bucket.
//!
//! An endpoint that has never answered (nothing listening, a firewall
//! dropping packets, a wrong `--endpoint-url`) is given up on after
//! [`SILENT_ATTEMPTS`] attempts got no answer at all: later calls to it
//! fail at once instead of each retrying into its timeouts.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::retry::{ErrorClass, RetryPolicy};
use super::{ApiCall, ApiError, Backend, Target};
use crate::limits::Limits;

/// Counters over a run, shared by every task.
#[derive(Debug, Default)]
pub struct CallStats {
    calls: AtomicU64,
    throttled: AtomicU64,
    retries: AtomicU64,
}

/// A snapshot of [`CallStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CallCounts {
    /// Attempts sent to the backend.
    pub calls: u64,
    /// Attempts the backend answered with a throttling error.
    pub throttled: u64,
    /// Attempts that were retries.
    pub retries: u64,
}

impl CallStats {
    /// The counts so far.
    pub fn snapshot(&self) -> CallCounts {
        CallCounts {
            calls: self.calls.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }
}

/// A backend behind the run's limits and retry policy.
pub struct CloudClient {
    backend: Arc<dyn Backend>,
    limits: Arc<Limits>,
    policy: RetryPolicy,
    stats: Arc<CallStats>,
    endpoints: Mutex<HashMap<String, Reach>>,
}

/// Attempts without any answer after which an endpoint that never
/// answered is given up on for the run.
pub const SILENT_ATTEMPTS: u32 = 2;

/// The longest wait before retrying a throttled call. The throttled
/// bucket has already slowed down and paces the retry itself; a long
/// exponential backoff on top would idle a task the bucket could serve.
const THROTTLE_BACKOFF_CAP: Duration = Duration::from_secs(1);

/// What the run has seen of one endpoint.
#[derive(Debug, Default)]
struct Reach {
    answered: bool,
    silent: u32,
    given_up: Option<String>,
}

impl CloudClient {
    /// Wraps `backend`.
    pub fn new(backend: Arc<dyn Backend>, limits: Arc<Limits>, policy: RetryPolicy) -> Self {
        Self { backend, limits, policy, stats: Arc::default(), endpoints: Mutex::default() }
    }

    /// A client with default limits and policy (tests, one-off tools).
    pub fn with_defaults(backend: Arc<dyn Backend>) -> Self {
        Self::new(backend, Arc::new(Limits::default()), RetryPolicy::default())
    }

    /// The run's counters.
    pub fn stats(&self) -> &Arc<CallStats> {
        &self.stats
    }

    /// Readies `target` (its account's credentials) ahead of its calls.
    pub async fn prepare(&self, target: &Target) -> Result<(), ApiError> {
        self.backend.prepare(target, self).await
    }

    /// Performs `call` in `target`'s account and region, retrying what is
    /// worth retrying within the policy's per-call deadline. The error
    /// returned is the last one, with the number of attempts in its
    /// message when there was more than one.
    pub async fn call(&self, target: &Target, call: &ApiCall) -> Result<String, ApiError> {
        self.backend.prepare(target, self).await?;
        let endpoint = self.backend.endpoint(target, call);
        let bucket = self.limits.bucket(target, call);
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            if let Some(e) = endpoint.as_deref().and_then(|url| self.given_up(url)) {
                return Err(e);
            }
            bucket.acquire().await;
            let result = {
                let _slot = self.limits.in_flight().await;
                self.stats.calls.fetch_add(1, Ordering::Relaxed);
                match tokio::time::timeout(self.policy.call_timeout, self.backend.call(target, call)).await {
                    Ok(result) => result,
                    Err(_) => Err(ApiError::new(
                        "trawl.CallTimeout",
                        0,
                        format_args!("no answer within {:.1} s", self.policy.call_timeout.as_secs_f64()),
                    )),
                }
            };
            if let Some(url) = &endpoint
                && let Some(e) = self.note_answer(url, &result)
            {
                return Err(e);
            }
            let error = match result {
                Ok(value) => {
                    bucket.on_success();
                    if attempt == 1 {
                        bucket.budget.refund();
                    }
                    return Ok(value);
                }
                Err(e) => e,
            };
            let class = ErrorClass::of(&error);
            if class == ErrorClass::Throttling {
                self.stats.throttled.fetch_add(1, Ordering::Relaxed);
                bucket.on_throttle();
            }
            let give_up = !class.is_retryable() || attempt >= self.policy.max_attempts;
            if give_up || !bucket.budget.try_spend(class) {
                return Err(exhausted(error, attempt, !give_up));
            }
            // Jitter from the thread-local generator: only retries pay for it.
            let mut backoff = self.policy.backoff(attempt, &mut rand::rng());
            if class == ErrorClass::Throttling {
                backoff = backoff.min(THROTTLE_BACKOFF_CAP);
            }
            if started.elapsed() + backoff >= self.policy.call_deadline() {
                let mut error = error;
                error.message = format!(
                    "{} (gave up after {attempt} attempts in {:.1} s)",
                    error.message,
                    started.elapsed().as_secs_f64()
                );
                return Err(error);
            }
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(backoff).await;
            attempt += 1;
        }
    }

    /// The error for calls to `url` once it has been given up on.
    fn given_up(&self, url: &str) -> Option<ApiError> {
        let endpoints = self.endpoints.lock().unwrap();
        let why = endpoints.get(url)?.given_up.as_ref()?;
        Some(ApiError::new("trawl.EndpointUnreachable", 0, format_args!("{url} has not answered: {why}")))
    }

    /// Counts an attempt's answer for `url`: any response at all proves
    /// the endpoint is there; no answer from one that never answered
    /// counts toward giving up, and at [`SILENT_ATTEMPTS`] this call's
    /// error is the give-up (said once in the log).
    fn note_answer(&self, url: &str, result: &Result<String, ApiError>) -> Option<ApiError> {
        let silent = match result {
            Err(e) => e.status == 0 && matches!(e.code.as_str(), "trawl.ConnectionError" | "trawl.CallTimeout"),
            Ok(_) => false,
        };
        let mut endpoints = self.endpoints.lock().unwrap();
        let reach = endpoints.entry(url.to_owned()).or_default();
        if !silent {
            reach.answered = true;
            return None;
        }
        if reach.answered || reach.given_up.is_some() {
            return None;
        }
        reach.silent += 1;
        if reach.silent < SILENT_ATTEMPTS {
            return None;
        }
        let Err(last) = result else { return None };
        let why = format!("{} attempts got no answer, the last: {}", reach.silent, last.message);
        tracing::warn!("{url} has not answered ({why}); its calls fail from now on without retrying");
        reach.given_up = Some(why);
        drop(endpoints);
        self.given_up(url)
    }
}

/// The final error, saying how hard we tried.
fn exhausted(mut error: ApiError, attempts: u32, budget_empty: bool) -> ApiError {
    if budget_empty {
        error.message = format!("{} (retry budget for this scope exhausted after {attempts} attempts)", error.message);
    } else if attempts > 1 {
        error.message = format!("{} (gave up after {attempts} attempts)", error.message);
    }
    error
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use futures::future::BoxFuture;

    use super::*;
    use crate::limits::RuleBook;

    /// A backend answering from a script of results, then succeeding.
    struct Scripted {
        script: Mutex<Vec<Result<String, ApiError>>>,
        seen: AtomicU64,
    }

    impl Scripted {
        fn new(mut script: Vec<Result<String, ApiError>>) -> Arc<Self> {
            script.reverse();
            Arc::new(Self { script: Mutex::new(script), seen: AtomicU64::new(0) })
        }
    }

    impl Backend for Scripted {
        fn call<'a>(&'a self, _: &'a Target, _: &'a ApiCall) -> BoxFuture<'a, Result<String, ApiError>> {
            self.seen.fetch_add(1, Ordering::Relaxed);
            let next = self.script.lock().unwrap().pop().unwrap_or_else(|| Ok("true".to_owned()));
            Box::pin(std::future::ready(next))
        }
    }

    fn fast_policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            call_timeout: Duration::from_millis(200),
        }
    }

    fn client(backend: Arc<dyn Backend>, max_attempts: u32) -> CloudClient {
        CloudClient::new(backend, Arc::new(Limits::new(RuleBook::default(), false, 8)), fast_policy(max_attempts))
    }

    fn target() -> Target {
        Target { account_id: "111111111111".into(), account_name: "a".into(), region: "us-east-1".into() }
    }

    fn call() -> ApiCall {
        ApiCall { service: "ec2".into(), operation: "DescribeVolumes".into(), params: Default::default() }
    }

    fn err(code: &str, status: u16) -> Result<String, ApiError> {
        Err(ApiError::new(code, status, "x"))
    }

    #[tokio::test]
    async fn throttling_and_transient_errors_are_retried_until_success() {
        let backend =
            Scripted::new(vec![err("RequestLimitExceeded", 503), err("InternalError", 500), err("Boom", 502)]);
        let c = client(backend.clone(), 5);
        assert_eq!(c.call(&target(), &call()).await.unwrap(), "true");
        assert_eq!(backend.seen.load(Ordering::Relaxed), 4);
        assert_eq!(c.stats().snapshot(), CallCounts { calls: 4, throttled: 1, retries: 3 });
    }

    #[tokio::test]
    async fn other_and_access_errors_are_final_at_once() {
        for code in ["InvalidParameterValue", "UnauthorizedOperation"] {
            let backend = Scripted::new(vec![err(code, 400)]);
            let c = client(backend.clone(), 5);
            let e = c.call(&target(), &call()).await.unwrap_err();
            assert_eq!((e.code.as_str(), e.message.as_str()), (code, "x"));
            assert_eq!(backend.seen.load(Ordering::Relaxed), 1);
        }
    }

    #[tokio::test]
    async fn a_call_that_always_throttles_ends_with_a_clear_error_after_the_attempts() {
        let backend = Scripted::new((0..10).map(|_| err("Throttling", 400)).collect());
        let c = client(backend.clone(), 4);
        let e = c.call(&target(), &call()).await.unwrap_err();
        assert_eq!(e.code, "Throttling");
        assert_eq!(e.message, "x (gave up after 4 attempts)");
        assert_eq!(backend.seen.load(Ordering::Relaxed), 4);
    }

    #[tokio::test]
    async fn an_empty_retry_budget_stops_retrying() {
        let backend = Scripted::new((0..1000).map(|_| err("InternalError", 500)).collect());
        let c = client(backend.clone(), 1000);
        let e = c.call(&target(), &call()).await.unwrap_err();
        assert!(e.message.contains("retry budget"), "{e}");
        // 500 tokens at 10 per transient retry: 50 retries, 51 attempts.
        assert_eq!(backend.seen.load(Ordering::Relaxed), 51);
    }

    #[tokio::test]
    async fn a_slow_backend_is_a_transient_timeout() {
        struct Slow;
        impl Backend for Slow {
            fn call<'a>(&'a self, _: &'a Target, _: &'a ApiCall) -> BoxFuture<'a, Result<String, ApiError>> {
                Box::pin(async {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    Ok("null".to_owned())
                })
            }
        }
        let c = client(Arc::new(Slow), 2);
        let e = c.call(&target(), &call()).await.unwrap_err();
        assert_eq!(e.code, "trawl.CallTimeout");
        assert_eq!(c.stats().snapshot().calls, 2);
    }
}
