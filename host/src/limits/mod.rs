//! Client-side rate limits: token buckets keyed by (account, region,
//! service[, operation]) with defaults per service and overrides by name,
//! adaptive to throttling, plus a global cap on calls in flight.
//!
//! Buckets of different accounts are independent, so one account's
//! throttling never slows another.

mod bucket;
pub mod rules;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub use bucket::{BURST_RESERVE, Bucket, MIN_RATE, token_bucket};
pub use rules::{InvalidOverride, Keying, Override, Rule, RuleBook};

use crate::cloud::{ApiCall, Target};

/// Calls in flight across the whole run, by default.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 128;

/// What a bucket is keyed by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BucketKey {
    /// Account id.
    pub account: String,
    /// Region; None for account-wide services.
    pub region: Option<String>,
    /// Service.
    pub service: String,
    /// Operation; None when the service's buckets cover all operations.
    pub operation: Option<String>,
}

/// Every bucket of a run and the in-flight cap; shared by all plugins and
/// tasks of the run.
pub struct Limits {
    book: RuleBook,
    limited: bool,
    buckets: Mutex<HashMap<BucketKey, Arc<Bucket>>>,
    in_flight: Arc<Semaphore>,
}

impl BucketKey {
    /// The key of `call` in `target` under `keying`.
    pub fn new(keying: Keying, target: &Target, call: &ApiCall) -> Self {
        Self {
            account: target.account_id.clone(),
            region: (!keying.account_wide).then(|| target.region.clone()),
            service: call.service.clone(),
            operation: keying.per_operation.then(|| call.operation.clone()),
        }
    }
}

impl Limits {
    /// Limits with `book`'s rules and at most `max_in_flight` calls at once.
    /// With `limited` false buckets never wait (to measure what limiting
    /// buys); retry budgets still apply.
    pub fn new(book: RuleBook, limited: bool, max_in_flight: usize) -> Self {
        Self {
            book,
            limited,
            buckets: Mutex::new(HashMap::new()),
            in_flight: Arc::new(Semaphore::new(max_in_flight.max(1))),
        }
    }

    /// The bucket `call` in `target` falls into.
    pub fn bucket(&self, target: &Target, call: &ApiCall) -> Arc<Bucket> {
        let (keying, rule) = self.book.rule(&call.service, &call.operation, call.is_unbounded());
        let key = BucketKey::new(keying, target, call);
        let mut buckets = self.buckets.lock().unwrap();
        buckets.entry(key).or_insert_with(|| Arc::new(Bucket::new(rule, self.limited))).clone()
    }

    /// A slot among the calls in flight, held for the duration of one call.
    pub async fn in_flight(&self) -> OwnedSemaphorePermit {
        self.in_flight.clone().acquire_owned().await.expect("the semaphore is never closed")
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(RuleBook::default(), true, DEFAULT_MAX_IN_FLIGHT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(limits: &Limits, account: &str, region: &str, service: &str, operation: &str) -> Arc<Bucket> {
        let target = Target { account_id: account.into(), account_name: String::new(), region: region.into() };
        let mut params = serde_json::Map::new();
        params.insert("MaxResults".into(), 5.into());
        limits.bucket(&target, &ApiCall { service: service.into(), operation: operation.into(), params })
    }

    #[test]
    fn keys_follow_the_service_keying() {
        let limits = Limits::default();
        let a = bucket(&limits, "111", "us-east-1", "ec2", "DescribeVolumes");
        assert!(Arc::ptr_eq(&a, &bucket(&limits, "111", "us-east-1", "ec2", "DescribeVolumes")));
        // EC2: per operation, per region, per account.
        assert!(!Arc::ptr_eq(&a, &bucket(&limits, "111", "us-east-1", "ec2", "DescribeInstances")));
        assert!(!Arc::ptr_eq(&a, &bucket(&limits, "111", "eu-west-1", "ec2", "DescribeVolumes")));
        assert!(!Arc::ptr_eq(&a, &bucket(&limits, "222", "us-east-1", "ec2", "DescribeVolumes")));
        // IAM: one bucket per account, whatever the region or operation.
        let iam = bucket(&limits, "111", "us-east-1", "iam", "ListRoles");
        assert!(Arc::ptr_eq(&iam, &bucket(&limits, "111", "eu-west-1", "iam", "ListUsers")));
        assert!(!Arc::ptr_eq(&iam, &bucket(&limits, "222", "us-east-1", "iam", "ListRoles")));
    }

    #[test]
    fn one_accounts_throttling_never_slows_another() {
        let limits = Limits::default();
        let hot = bucket(&limits, "111", "us-east-1", "ec2", "DescribeVolumes");
        let calm = bucket(&limits, "222", "us-east-1", "ec2", "DescribeVolumes");
        for _ in 0..5 {
            hot.on_throttle();
        }
        assert!(hot.rate() < 5.0);
        assert_eq!(calm.rate(), 20.0);
    }

    #[test]
    fn overrides_reach_the_buckets() {
        let limits = Limits::new(RuleBook::new(vec!["ec2=40/200".parse().unwrap()]), true, 8);
        assert_eq!(bucket(&limits, "1", "r", "ec2", "DescribeVolumes").rate(), 40.0);
    }
}
