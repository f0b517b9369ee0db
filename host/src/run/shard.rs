//! `--shard I/N`: a deterministic share of a run's targets, so N machines
//! (a Kubernetes Indexed Job) each collect one share and `host merge`
//! puts the shares back together.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::runtime::Scope;
use crate::targets::Target;

/// Shard `index` of `count`, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, 1..=count.
    pub index: u32,
    /// How many shards the run is split into.
    pub count: u32,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a shard: expected I/N with 1 <= I <= N, e.g. 2/4");
        let (index, count) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) =
            (index.trim().parse().map_err(|_| bad())?, count.trim().parse().map_err(|_| bad())?);
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The shard a target belongs to, 1..=count: a hash of its account
    /// and region, the same on every machine and release, so adding
    /// accounts moves no existing target and shards stay balanced.
    pub fn of(target: &Target, count: u32) -> u32 {
        let digest = Sha256::new()
            .chain_update(target.account_id.as_bytes())
            .chain_update(b"/")
            .chain_update(target.region.as_bytes())
            .finalize();
        let head = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
        (head % u64::from(count)) as u32 + 1
    }

    /// This shard's share of one plugin's targets: those that hash here,
    /// or for an organization-scoped plugin all candidates in shard 1 and
    /// none elsewhere (it runs once per run, not once per shard).
    pub fn pick(&self, scope: Scope, targets: Vec<Target>) -> Vec<Target> {
        match scope {
            Scope::Organization if self.index == 1 => targets,
            Scope::Organization => Vec::new(),
            _ => targets.into_iter().filter(|t| Self::of(t, self.count) == self.index).collect(),
        }
    }
}

/// What a shard's report says about the whole run it is part of, so
/// `host merge` can tell shards of one run from shards of different runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// This shard, 1-based.
    pub index: u32,
    /// How many shards the run has.
    pub count: u32,
    /// Targets in this shard, over all plugins.
    pub targets: usize,
    /// Targets of the whole run, over all shards and plugins.
    pub run_targets: usize,
    /// A digest of every target of the whole run (plugin, account,
    /// region) and the policy: equal for every shard of one run.
    pub fingerprint: String,
    /// The run's `--max-failures`, for the merged verdict.
    pub max_failures: Option<usize>,
    /// The run's `--min-success`, for the merged verdict.
    pub min_success: Option<String>,
}

/// The digest in [`ShardInfo::fingerprint`], over each plugin's name and
/// version with its targets (in a stable order) and the run's policy.
pub fn fingerprint<'a>(plugins: impl IntoIterator<Item = (&'a str, &'a str, &'a [Target])>, policy: &str) -> String {
    let mut hash = Sha256::new();
    for (name, version, targets) in plugins {
        hash.update(format!("plugin {name} {version}\n"));
        let mut sorted: Vec<&Target> = targets.iter().collect();
        sorted.sort();
        for t in sorted {
            hash.update(format!("{} {}\n", t.account_id, t.region));
        }
    }
    hash.update(policy);
    hex::encode(&hash.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(account: usize, region: &str) -> Target {
        Target { account_id: format!("{account:012}"), account_name: format!("a{account}"), region: region.into() }
    }

    #[test]
    fn shards_are_read_or_refused_by_value() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!("1/1".parse::<Shard>(), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/3", "3/2", "x/y", "1", "/3", "1/0", "-1/3", "1/3/4", ""] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains("I/N"), "{bad}: {e}");
        }
    }

    #[test]
    fn every_target_lands_in_exactly_one_shard_and_shards_are_balanced() {
        let regions = ["us-east-1", "eu-west-1", "ap-south-1", "sa-east-1"];
        let all: Vec<Target> = (0..500).flat_map(|a| regions.map(|r| target(a, r))).collect();
        let shards: Vec<Vec<Target>> =
            (1..=3).map(|index| Shard { index, count: 3 }.pick(Scope::Regional, all.clone())).collect();
        assert_eq!(shards.iter().map(Vec::len).sum::<usize>(), all.len());
        for share in &shards {
            let expected = all.len() / 3;
            assert!(share.len().abs_diff(expected) < expected / 10, "{} of {}", share.len(), all.len());
        }
        // Adding accounts moves none of the existing targets.
        let more: Vec<Target> = (0..600).flat_map(|a| regions.map(|r| target(a, r))).collect();
        let again = Shard { index: 2, count: 3 }.pick(Scope::Regional, more);
        assert!(shards[1].iter().all(|t| again.contains(t)));
    }

    #[test]
    fn organization_plugins_run_in_the_first_shard_only() {
        let all = vec![target(1, "us-east-1"), target(2, "us-east-1")];
        assert_eq!(Shard { index: 1, count: 2 }.pick(Scope::Organization, all.clone()), all);
        assert!(Shard { index: 2, count: 2 }.pick(Scope::Organization, all).is_empty());
    }
}
