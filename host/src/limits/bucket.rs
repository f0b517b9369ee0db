//! One client-side bucket: a governor token bucket at the configured rate,
//! slowed down when the service throttles and recovering along the cubic
//! curve the AWS SDKs' adaptive mode uses.
//!
//! governor limiters have a fixed quota, so adapting means swapping the
//! limiter for one with the new rate. A slowed-down limiter has a burst of
//! one: after a throttle, calls are paced, not bunched.
//!
//! A client pacing at exactly the server's rate with the server's whole
//! burst throttles: calls that left evenly arrive bunched by network and
//! scheduling jitter, and the server's empty bucket answers the early one
//! with `Throttling` (measured with a burst of 1 at 2/s: 14-18 % of
//! calls). So the client keeps the server a cushion. With a burst of 10 or
//! more it spends all but a fifth of it ([`BURST_RESERVE`]) and then sends
//! at the full rate: the server's bucket stays that many tokens ahead,
//! which absorbs jitter of several periods and costs only those few calls
//! of the burst (an IAM account of 200 calls at 10/s: 1.02x the bound).
//! A smaller burst has no tokens to spare, so the client paces at
//! [`PACE_MARGIN`] of the rate instead: the server's bucket gains 15 % of a
//! token per call, which absorbs jitter up to 0.18 of the period even with
//! a burst of one.

use std::num::NonZeroU32;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use governor::clock::DefaultClock;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::rules::Rule;
use crate::cloud::retry::RetryBudget;

/// Multiplicative decrease on a throttle (AWS SDKs: 0.7).
const BETA: f64 = 0.7;
/// The fraction of a bucket's rate the client sends at when its burst is
/// too small to leave the server a cushion.
pub const PACE_MARGIN: f64 = 0.85;
/// The share of a burst the client leaves unspent (a fifth), when that is
/// at least two tokens.
pub const BURST_RESERVE: u32 = 5;
/// Cubic scale constant (AWS SDKs: 0.4).
const SCALE: f64 = 0.4;
/// The slowest a bucket ever goes, calls per second.
pub const MIN_RATE: f64 = 0.5;
/// Recovery re-paces the limiter only when the rate moved this much, so
/// success does not rebuild it on every call.
const RECOVERY_STEP: f64 = 0.1;

/// A rate-limited scope: (account, region?, service, operation?).
pub struct Bucket {
    rule: Rule,
    limited: bool,
    state: Mutex<State>,
    /// Retries in this scope draw on this budget.
    pub budget: RetryBudget,
}

struct State {
    limiter: Arc<DefaultDirectRateLimiter>,
    rate: f64,
    slowed: Option<Slowdown>,
}

/// Where the cubic recovery started from.
#[derive(Debug, Clone, Copy)]
struct Slowdown {
    at: Instant,
    last_max: f64,
    window: f64,
}

/// A governor token bucket refilling `rate` tokens a second, holding at
/// most `burst`, and full to start with. All buckets share one clock:
/// making a clock calibrates it, which cost more than the rest of a task
/// when every target made its own (seen with perf in `cargo xtask bench`).
pub fn token_bucket(rate: f64, burst: u32) -> Arc<DefaultDirectRateLimiter> {
    static CLOCK: LazyLock<DefaultClock> = LazyLock::new(DefaultClock::default);
    let period = Duration::from_secs_f64(1.0 / rate.max(MIN_RATE));
    let quota =
        Quota::with_period(period).expect("a positive period").allow_burst(NonZeroU32::new(burst.max(1)).unwrap());
    Arc::new(RateLimiter::direct_with_clock(quota, CLOCK.clone()))
}

/// The client's limiter for a server bucket of `rate` and `burst`, leaving
/// the server a cushion (see the module's comment).
fn paced(rate: f64, burst: u32) -> Arc<DefaultDirectRateLimiter> {
    let reserve = burst / BURST_RESERVE;
    if reserve >= 2 { token_bucket(rate, burst - reserve) } else { token_bucket(rate * PACE_MARGIN, burst) }
}

impl Bucket {
    /// A bucket following `rule`; with `limited` false it only keeps the
    /// retry budget and the adaptive bookkeeping, and never waits.
    pub fn new(rule: Rule, limited: bool) -> Self {
        let state = State {
            limiter: paced(rule.tokens_per_second, rule.max_tokens),
            rate: rule.tokens_per_second,
            slowed: None,
        };
        Self { rule, limited, state: Mutex::new(state), budget: RetryBudget::default() }
    }

    /// Waits for a token.
    pub async fn acquire(&self) {
        if !self.limited {
            return;
        }
        let limiter = self.state.lock().unwrap().limiter.clone();
        limiter.until_ready().await;
    }

    /// The service throttled a call: slow down by `BETA` (a multiplicative decrease).
    pub fn on_throttle(&self) {
        self.on_throttle_at(Instant::now());
    }

    /// A call succeeded: recover toward the configured rate.
    pub fn on_success(&self) {
        self.on_success_at(Instant::now());
    }

    /// The current refill rate, calls per second.
    pub fn rate(&self) -> f64 {
        self.state.lock().unwrap().rate
    }

    fn on_throttle_at(&self, now: Instant) {
        let mut s = self.state.lock().unwrap();
        let last_max = s.rate;
        let rate = (last_max * BETA).max(MIN_RATE);
        let window = (last_max * (1.0 - BETA) / SCALE).cbrt();
        s.slowed = Some(Slowdown { at: now, last_max, window });
        s.rate = rate;
        s.limiter = paced(rate, 1);
    }

    fn on_success_at(&self, now: Instant) {
        let mut s = self.state.lock().unwrap();
        let Some(slow) = s.slowed else { return };
        let t = now.saturating_duration_since(slow.at).as_secs_f64();
        let cubic = SCALE * (t - slow.window).powi(3) + slow.last_max;
        if cubic >= self.rule.tokens_per_second {
            s.slowed = None;
            s.rate = self.rule.tokens_per_second;
            s.limiter = paced(self.rule.tokens_per_second, self.rule.max_tokens);
        } else if cubic > s.rate * (1.0 + RECOVERY_STEP) {
            s.rate = cubic;
            s.limiter = paced(cubic, 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ec2() -> Bucket {
        Bucket::new(Rule { tokens_per_second: 20.0, max_tokens: 100 }, true)
    }

    #[test]
    fn throttling_cuts_the_rate_multiplicatively_down_to_a_floor() {
        let b = ec2();
        let t0 = Instant::now();
        b.on_throttle_at(t0);
        assert!((b.rate() - 14.0).abs() < 1e-9);
        b.on_throttle_at(t0);
        assert!((b.rate() - 9.8).abs() < 1e-9);
        for _ in 0..50 {
            b.on_throttle_at(t0);
        }
        assert_eq!(b.rate(), MIN_RATE);
    }

    #[test]
    fn success_recovers_along_the_cubic_and_then_restores_the_rule() {
        let b = ec2();
        let t0 = Instant::now();
        b.on_throttle_at(t0);
        // K = cbrt(20 * 0.3 / 0.4) = cbrt(15) ~ 2.47 s: at K the rate is
        // back at the pre-throttle 20/s, which is the configured rule.
        b.on_success_at(t0 + Duration::from_millis(100));
        let early = b.rate();
        assert!(early < 15.0, "barely recovered after 0.1 s: {early}");
        b.on_success_at(t0 + Duration::from_millis(1500));
        let later = b.rate();
        assert!(later > early && later < 20.0, "{early} -> {later}");
        b.on_success_at(t0 + Duration::from_millis(2600));
        assert_eq!(b.rate(), 20.0);
        assert!(b.state.lock().unwrap().slowed.is_none());
    }

    #[test]
    fn a_large_burst_keeps_a_fifth_for_the_server_and_then_goes_at_the_full_rate() {
        let b = Bucket::new(Rule { tokens_per_second: 10.0, max_tokens: 20 }, true);
        let limiter = b.state.lock().unwrap().limiter.clone();
        assert_eq!((0..20).filter(|_| limiter.check().is_ok()).count(), 16);
        // A small burst cannot spare tokens: the whole burst, a slower pace.
        let small = Bucket::new(Rule { tokens_per_second: 10.0, max_tokens: 9 }, true);
        let limiter = small.state.lock().unwrap().limiter.clone();
        assert_eq!((0..20).filter(|_| limiter.check().is_ok()).count(), 9);
    }

    #[tokio::test]
    async fn a_bucket_lets_its_burst_through_then_paces() {
        let b = Bucket::new(Rule { tokens_per_second: 50.0, max_tokens: 5 }, true);
        let limiter = b.state.lock().unwrap().limiter.clone();
        assert!((0..5).all(|_| limiter.check().is_ok()), "the burst is available at once");
        assert!(limiter.check().is_err(), "the sixth call must wait");
        // Five more at 50/s (paced at 42.5/s) cannot take less than ~94 ms.
        let start = Instant::now();
        for _ in 0..5 {
            b.acquire().await;
        }
        assert!(start.elapsed() >= Duration::from_millis(90), "{:?}", start.elapsed());
    }

    #[test]
    fn a_throttled_bucket_loses_its_burst() {
        let b = ec2();
        b.on_throttle();
        let limiter = b.state.lock().unwrap().limiter.clone();
        assert!(limiter.check().is_ok());
        assert!(limiter.check().is_err(), "paced, not bunched, after a throttle");
    }

    #[tokio::test]
    async fn an_unlimited_bucket_never_waits() {
        let b = Bucket::new(Rule { tokens_per_second: 1.0, max_tokens: 1 }, false);
        let start = Instant::now();
        for _ in 0..100 {
            b.acquire().await;
        }
        // 100 calls at 1/s would take 99 s if the bucket were applied.
        assert!(start.elapsed() < Duration::from_secs(5));
    }
}
