//! Client-side rate-limit rules: the defaults per service, in one table,
//! and the operator's overrides by name.
//!
//! AWS throttles per account, per region, per API. EC2 documents its
//! buckets (non-mutating: 100 burst, 20/s; unfiltered unpaginated describes
//! of large resources: 50, 10/s; mutating: 50, 5/s). Other services do not
//! publish theirs, so their defaults are conservative. Account-wide
//! services (IAM, Organizations, Route 53, Health) are keyed without a
//! region, because their limit is the same whichever region a call names.
//!
//! STS: AWS's "IAM and AWS STS quotas" page
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>)
//! lists object quotas but no request rate, and the re:Post article on
//! STS throttling (<https://repost.aws/knowledge-center/iam-sts-throttling-error>)
//! says the rate limits exist and cannot be raised without giving them. A
//! figure of 600 requests per second per account and region is often
//! quoted but could not be confirmed here. The default, 100/s with a
//! burst of 100, assumes the roles of 100 accounts at once and 85 a second
//! after that (the bucket module paces at a margin below it), far
//! below any documented or quoted STS limit; the old 10/s made 50
//! accounts wait 5 s and throttled. The simulator's server uses the same
//! table, so both sides agree at the defaults.

use std::fmt;

use serde::Deserialize;

/// One bucket's settings, in the seed's names.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Refill rate.
    pub tokens_per_second: f64,
    /// Bucket size: how many calls may go at once after a quiet spell.
    pub max_tokens: u32,
}

/// How calls of one service share buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keying {
    /// One bucket per operation (EC2 throttles each API separately).
    pub per_operation: bool,
    /// One bucket per account whatever the region (account-wide services).
    pub account_wide: bool,
}

/// The default table: service -> keying and rule. Adding a service is one
/// row; anything missing gets [`FALLBACK`].
const DEFAULTS: &[(&str, Keying, Rule)] = &[
    ("ec2", Keying { per_operation: true, account_wide: false }, Rule { tokens_per_second: 20.0, max_tokens: 100 }),
    ("iam", Keying { per_operation: false, account_wide: true }, Rule { tokens_per_second: 10.0, max_tokens: 20 }),
    ("sts", Keying { per_operation: false, account_wide: false }, Rule { tokens_per_second: 100.0, max_tokens: 100 }),
    (
        "organizations",
        Keying { per_operation: false, account_wide: true },
        Rule { tokens_per_second: 5.0, max_tokens: 10 },
    ),
    ("route53", Keying { per_operation: false, account_wide: true }, Rule { tokens_per_second: 5.0, max_tokens: 5 }),
    ("health", Keying { per_operation: false, account_wide: true }, Rule { tokens_per_second: 5.0, max_tokens: 10 }),
    (
        "servicequotas",
        Keying { per_operation: false, account_wide: false },
        Rule { tokens_per_second: 5.0, max_tokens: 10 },
    ),
    (
        "monitoring",
        Keying { per_operation: false, account_wide: false },
        Rule { tokens_per_second: 20.0, max_tokens: 50 },
    ),
];

/// Every service trawl knows by name: those with default buckets and those
/// with a wire protocol. An override for anything else is a typo.
pub fn known_services() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = DEFAULTS.iter().map(|(name, ..)| *name).collect();
    names.extend(crate::cloud::wire::SERVICES.iter().map(|s| s.name));
    names.sort_unstable();
    names.dedup();
    names
}

/// Keying and rule for services not in the table.
pub const FALLBACK: (Keying, Rule) =
    (Keying { per_operation: false, account_wide: false }, Rule { tokens_per_second: 10.0, max_tokens: 20 });

/// EC2 describes that AWS throttles harder when called without filters or
/// pagination.
const EC2_LARGE_DESCRIBES: &[&str] =
    &["DescribeInstances", "DescribeVolumes", "DescribeSnapshots", "DescribeImages", "DescribeNetworkInterfaces"];

/// True for read-only operation names.
pub fn is_read_only(operation: &str) -> bool {
    ["Describe", "List", "Get"].iter().any(|p| operation.starts_with(p))
}

/// The default keying and rule for one call. `unbounded` means the call
/// has neither a page size nor a filter.
pub fn default_for(service: &str, operation: &str, unbounded: bool) -> (Keying, Rule) {
    let (keying, rule) =
        DEFAULTS.iter().find(|(s, ..)| *s == service).map_or(FALLBACK, |(_, keying, rule)| (*keying, *rule));
    if service == "ec2" {
        if !is_read_only(operation) {
            return (keying, Rule { tokens_per_second: 5.0, max_tokens: 50 });
        }
        if unbounded && EC2_LARGE_DESCRIBES.contains(&operation) {
            return (keying, Rule { tokens_per_second: 10.0, max_tokens: 50 });
        }
    }
    (keying, rule)
}

/// An operator's override: `SERVICE[:OPERATION]=RATE[/BURST]`, e.g.
/// `ec2=40/200` or `iam:ListRoles=2`.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The service it applies to.
    pub service: String,
    /// Only this operation, when given.
    pub operation: Option<String>,
    /// The new rule; a missing burst keeps the default's.
    pub tokens_per_second: f64,
    /// The new bucket size, if given.
    pub max_tokens: Option<u32>,
}

/// A malformed override.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid rate limit {0:?}: expected SERVICE[:OPERATION]=RATE[/BURST], e.g. ec2=40/200")]
pub struct InvalidOverride(pub String);

impl std::str::FromStr for Override {
    type Err = InvalidOverride;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidOverride(s.to_owned());
        let (name, value) = s.split_once('=').ok_or_else(bad)?;
        let (service, operation) = match name.split_once(':') {
            Some((svc, op)) if !op.is_empty() => (svc, Some(op.to_owned())),
            Some(_) => return Err(bad()),
            None => (name, None),
        };
        let (rate, burst) = match value.split_once('/') {
            Some((r, b)) => (r, Some(b.parse::<u32>().map_err(|_| bad())?)),
            None => (value, None),
        };
        let rate: f64 = rate.parse().map_err(|_| bad())?;
        if service.is_empty() || !(rate > 0.0 && rate.is_finite()) || burst == Some(0) {
            return Err(bad());
        }
        Ok(Self { service: service.to_owned(), operation, tokens_per_second: rate, max_tokens: burst })
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.service)?;
        if let Some(op) = &self.operation {
            write!(f, ":{op}")?;
        }
        write!(f, "={}", self.tokens_per_second)?;
        if let Some(b) = self.max_tokens {
            write!(f, "/{b}")?;
        }
        Ok(())
    }
}

/// Defaults with overrides applied; operation overrides beat service ones.
#[derive(Debug, Clone, Default)]
pub struct RuleBook {
    overrides: Vec<Override>,
}

impl RuleBook {
    /// The defaults plus `overrides` (later ones win).
    pub fn new(overrides: Vec<Override>) -> Self {
        Self { overrides }
    }

    /// The keying and rule for one call.
    pub fn rule(&self, service: &str, operation: &str, unbounded: bool) -> (Keying, Rule) {
        let (keying, mut rule) = default_for(service, operation, unbounded);
        let service_wide = self.overrides.iter().rev().find(|o| o.service == service && o.operation.is_none());
        let exact =
            self.overrides.iter().rev().find(|o| o.service == service && o.operation.as_deref() == Some(operation));
        if let Some(o) = exact.or(service_wide) {
            rule.tokens_per_second = o.tokens_per_second;
            rule.max_tokens = o.max_tokens.unwrap_or(rule.max_tokens);
        }
        (keying, rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec2_defaults_follow_the_documented_buckets() {
        let book = RuleBook::default();
        assert_eq!(book.rule("ec2", "DescribeVolumes", false).1, Rule { tokens_per_second: 20.0, max_tokens: 100 });
        assert_eq!(book.rule("ec2", "DescribeVolumes", true).1, Rule { tokens_per_second: 10.0, max_tokens: 50 });
        assert_eq!(book.rule("ec2", "DescribeRegions", true).1, Rule { tokens_per_second: 20.0, max_tokens: 100 });
        assert_eq!(book.rule("ec2", "TerminateInstances", false).1, Rule { tokens_per_second: 5.0, max_tokens: 50 });
        assert!(book.rule("ec2", "DescribeVolumes", false).0.per_operation);
        assert!(book.rule("iam", "ListRoles", false).0.account_wide);
        assert_eq!(book.rule("kafka", "ListClusters", false), FALLBACK);
    }

    #[test]
    fn overrides_by_service_then_operation() {
        let book = RuleBook::new(vec!["ec2=40/200".parse().unwrap(), "ec2:DescribeVolumes=2".parse().unwrap()]);
        assert_eq!(book.rule("ec2", "DescribeInstances", false).1, Rule { tokens_per_second: 40.0, max_tokens: 200 });
        assert_eq!(book.rule("ec2", "DescribeVolumes", false).1, Rule { tokens_per_second: 2.0, max_tokens: 100 });
        assert_eq!(book.rule("iam", "ListRoles", false).1.tokens_per_second, 10.0);
    }

    #[test]
    fn malformed_overrides_are_refused() {
        for bad in ["ec2", "ec2=", "ec2=fast", "=5", "ec2=0", "ec2=5/0", "ec2:=5", "ec2=-1"] {
            assert!(bad.parse::<Override>().is_err(), "{bad}");
        }
        assert_eq!("iam:ListRoles=2.5/4".parse::<Override>().unwrap().to_string(), "iam:ListRoles=2.5/4");
    }
}
