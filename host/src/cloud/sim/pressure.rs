//! How hard the simulated cloud pushes back: server-side token buckets per
//! (account, region, API) answered with AWS's throttling errors, latency
//! from a log-normal distribution, injected 5xx and slow responses, and
//! accounts whose credentials fail.
//!
//! Randomness is seeded per call: the n-th call to one (account, region,
//! service, operation) gets the same latency and the same fault in every
//! run, whatever order concurrent tasks make their calls in.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::DefaultDirectRateLimiter;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::request::Protocol;
use crate::cloud::{ApiCall, ApiError, Target};
use crate::limits::{BucketKey, Override, RuleBook, token_bucket};

/// Settings of the simulated cloud's behaviour under load.
#[derive(Debug, Clone)]
pub struct Pressure {
    /// Enforce server-side token buckets.
    pub throttling: bool,
    /// Overrides of the server-side buckets (same syntax as client limits;
    /// the defaults are AWS's documented EC2 buckets and the same
    /// conservative table the client uses for other services).
    pub limits: Vec<Override>,
    /// Median latency of a call.
    pub latency_median: Duration,
    /// 99th-percentile latency of a call.
    pub latency_p99: Duration,
    /// Fraction of calls answered with a 5xx error.
    pub error_rate: f64,
    /// Fraction of calls answered only after `slow_by`.
    pub slow_rate: f64,
    /// How late a slow call answers (past the client's call timeout).
    pub slow_by: Duration,
    /// Accounts whose credentials fail.
    pub broken_accounts: Vec<String>,
    /// Seed for latency and faults.
    pub seed: u64,
}

impl Default for Pressure {
    fn default() -> Self {
        Self {
            throttling: true,
            limits: Vec::new(),
            latency_median: Duration::ZERO,
            latency_p99: Duration::ZERO,
            error_rate: 0.0,
            slow_rate: 0.0,
            slow_by: Duration::from_secs(30),
            broken_accounts: Vec::new(),
            seed: 1,
        }
    }
}

/// What the simulator decided for one call before answering it.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// Answer normally after `delay`.
    Answer {
        /// Simulated latency.
        delay: Duration,
    },
    /// Answer with `error` after `delay`.
    Fail {
        /// Simulated latency.
        delay: Duration,
        /// The error.
        error: ApiError,
    },
}

/// The server side of the simulated cloud: buckets and dice.
pub struct Server {
    pressure: Pressure,
    book: RuleBook,
    buckets: Mutex<HashMap<BucketKey, Arc<DefaultDirectRateLimiter>>>,
    calls: Mutex<HashMap<(String, String, String, String), u64>>,
    /// sigma of the log-normal latency.
    sigma: f64,
}

impl Server {
    /// A server applying `pressure`.
    pub fn new(pressure: Pressure) -> Self {
        let median = pressure.latency_median.as_secs_f64();
        let p99 = pressure.latency_p99.as_secs_f64().max(median);
        // P99 of a log-normal is median * exp(2.326 sigma).
        let sigma = if median > 0.0 { (p99 / median).ln() / 2.326 } else { 0.0 };
        let book = RuleBook::new(pressure.limits.clone());
        Self { pressure, book, buckets: Mutex::default(), calls: Mutex::default(), sigma }
    }

    /// Decides the fate of one call arriving now.
    pub fn judge(&self, target: &Target, call: &ApiCall, protocol: Protocol) -> Verdict {
        let p = &self.pressure;
        // The dice (a lock, a key, a seeded generator) only when latency or
        // faults are configured: the default simulation never rolls them.
        let random = !p.latency_median.is_zero() || p.error_rate > 0.0 || p.slow_rate > 0.0;
        let mut rng = random.then(|| self.dice(target, call));
        let delay = rng.as_mut().map_or(Duration::ZERO, |r| self.latency(r));
        if p.broken_accounts.contains(&target.account_id) {
            let (code, status) =
                if protocol == Protocol::Ec2 { ("AuthFailure", 401) } else { ("InvalidClientTokenId", 403) };
            let error = ApiError::new(code, status, "AWS was not able to validate the provided access credentials");
            return Verdict::Fail { delay, error };
        }
        if p.throttling && !self.take_token(target, call) {
            return Verdict::Fail { delay, error: throttled(protocol) };
        }
        let roll: f64 = rng.as_mut().map_or(1.0, |r| r.random());
        if roll < p.error_rate {
            let error = match protocol {
                Protocol::Ec2 => {
                    ApiError::new("Unavailable", 503, "The service is unavailable. Please try again shortly.")
                }
                Protocol::Query => ApiError::new("ServiceUnavailable", 503, "Service is unavailable"),
                Protocol::Json => ApiError::new("InternalFailure", 500, "An internal error occurred"),
            };
            return Verdict::Fail { delay, error };
        }
        if roll < p.error_rate + p.slow_rate {
            return Verdict::Answer { delay: delay + p.slow_by };
        }
        Verdict::Answer { delay }
    }

    /// A generator for this call: seeded by the run seed, the call's scope
    /// and how many calls that scope has had.
    fn dice(&self, target: &Target, call: &ApiCall) -> ChaCha8Rng {
        let key = (target.account_id.clone(), target.region.clone(), call.service.clone(), call.operation.clone());
        let n = {
            let mut calls = self.calls.lock().unwrap();
            let n = calls.entry(key.clone()).or_default();
            *n += 1;
            *n
        };
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (self.pressure.seed, key, n).hash(&mut h);
        ChaCha8Rng::seed_from_u64(h.finish())
    }

    fn latency(&self, rng: &mut ChaCha8Rng) -> Duration {
        let median = self.pressure.latency_median.as_secs_f64();
        if median == 0.0 {
            return Duration::ZERO;
        }
        // Box-Muller: one standard normal from two uniforms.
        let (u1, u2): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        Duration::from_secs_f64(median * (self.sigma * z).exp())
    }

    /// Takes a token from the call's server-side bucket, keyed like AWS
    /// does: per account, region (unless account-wide) and API.
    fn take_token(&self, target: &Target, call: &ApiCall) -> bool {
        let (keying, rule) = self.book.rule(&call.service, &call.operation, call.is_unbounded());
        let key = BucketKey::new(keying, target, call);
        let bucket = self
            .buckets
            .lock()
            .unwrap()
            .entry(key)
            .or_insert_with(|| token_bucket(rule.tokens_per_second, rule.max_tokens))
            .clone();
        bucket.check().is_ok()
    }
}

/// AWS's throttling answer in each protocol.
fn throttled(protocol: Protocol) -> ApiError {
    match protocol {
        Protocol::Ec2 => ApiError::new("RequestLimitExceeded", 503, "Request limit exceeded."),
        Protocol::Query => ApiError::new("Throttling", 400, "Rate exceeded"),
        Protocol::Json => ApiError::new("ThrottlingException", 400, "Rate exceeded"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(account: &str) -> Target {
        Target { account_id: account.into(), account_name: String::new(), region: "us-east-1".into() }
    }

    fn describe() -> ApiCall {
        let mut params = serde_json::Map::new();
        params.insert("MaxResults".into(), 500.into());
        ApiCall { service: "ec2".into(), operation: "DescribeVolumes".into(), params }
    }

    #[test]
    fn buckets_throttle_past_the_burst_per_account() {
        let server = Server::new(Pressure::default());
        let answered = (0..150)
            .filter(|_| matches!(server.judge(&target("1"), &describe(), Protocol::Ec2), Verdict::Answer { .. }))
            .count();
        // 100 burst, and a little refill during the loop at 20/s.
        assert!((100..=102).contains(&answered), "{answered}");
        let Verdict::Fail { error, .. } = server.judge(&target("1"), &describe(), Protocol::Ec2) else {
            panic!("the bucket should be empty")
        };
        assert_eq!((error.code.as_str(), error.status), ("RequestLimitExceeded", 503));
        // Another account has its own bucket.
        assert!(matches!(server.judge(&target("2"), &describe(), Protocol::Ec2), Verdict::Answer { .. }));
    }

    #[test]
    fn latency_follows_the_configured_median_and_tail() {
        let pressure = Pressure {
            throttling: false,
            latency_median: Duration::from_millis(20),
            latency_p99: Duration::from_millis(100),
            ..Pressure::default()
        };
        let server = Server::new(pressure);
        let mut delays: Vec<f64> = (0..4000)
            .map(|i| match server.judge(&target(&i.to_string()), &describe(), Protocol::Ec2) {
                Verdict::Answer { delay } => delay.as_secs_f64() * 1000.0,
                other => panic!("{other:?}"),
            })
            .collect();
        delays.sort_by(f64::total_cmp);
        let (p50, p99) = (delays[2000], delays[3960]);
        assert!((17.0..23.0).contains(&p50), "median {p50}");
        assert!((75.0..135.0).contains(&p99), "p99 {p99}");
    }

    #[test]
    fn faults_are_seeded_and_reproducible() {
        let pressure = Pressure { throttling: false, error_rate: 0.3, seed: 9, ..Pressure::default() };
        let run = || {
            let server = Server::new(pressure.clone());
            (0..200)
                .map(|i| {
                    matches!(
                        server.judge(&target(&(i % 7).to_string()), &describe(), Protocol::Ec2),
                        Verdict::Fail { .. }
                    )
                })
                .collect::<Vec<bool>>()
        };
        let first = run();
        assert_eq!(first, run());
        let failed = first.iter().filter(|f| **f).count();
        assert!((35..85).contains(&failed), "about 30% of 200, got {failed}");
    }

    #[test]
    fn broken_accounts_fail_authentication() {
        let server = Server::new(Pressure { broken_accounts: vec!["7".into()], ..Pressure::default() });
        let Verdict::Fail { error, .. } = server.judge(&target("7"), &describe(), Protocol::Ec2) else { panic!() };
        assert_eq!(error.code, "AuthFailure");
        assert!(matches!(server.judge(&target("8"), &describe(), Protocol::Ec2), Verdict::Answer { .. }));
    }
}
