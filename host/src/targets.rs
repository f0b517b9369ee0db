//! Targets: where a plugin runs. Accounts x regions, expanded by the
//! plugin's scope, and interleaved so consecutive tasks hit different
//! accounts (and so different rate-limit buckets).

use std::fmt;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::cloud::sim::Organization;
use crate::runtime::Scope;
use crate::suggest::did_you_mean;

/// One place a plugin runs: an account in a region.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Target {
    /// 12-digit account id.
    pub account_id: String,
    /// The account's friendly name.
    pub account_name: String,
    /// Region name.
    pub region: String,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}) {}", self.account_id, self.account_name, self.region)
    }
}

/// An account as the scheduler knows it: id, name, enabled regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// 12-digit id.
    pub id: String,
    /// Friendly name.
    pub name: String,
    /// Regions enabled in the account.
    pub regions: Vec<String>,
}

/// Which accounts and regions the operator asked for.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Account ids or names; empty means all.
    pub accounts: Vec<String>,
    /// Region names; empty (or `all`) means every enabled region.
    pub regions: Vec<String>,
}

/// A selection naming something the organisation does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// No account has this id or name.
    #[error("unknown account {name:?}{hint}; the organisation has: {known}")]
    UnknownAccount {
        /// What the operator typed.
        name: String,
        /// A close match, as ` (did you mean "x"?)`, or nothing.
        hint: String,
        /// The ids and names that exist.
        known: String,
    },
    /// No account has this region enabled (or it is not a region at all).
    #[error("unknown region {name:?}{hint}; the organisation's accounts have: {known}")]
    UnknownRegion {
        /// What the operator typed.
        name: String,
        /// A close match, as ` (did you mean "x"?)`, or nothing.
        hint: String,
        /// The regions that exist.
        known: String,
    },
}

/// The accounts of a simulated organisation.
pub fn accounts_of(org: &Organization) -> Vec<AccountInfo> {
    org.accounts
        .iter()
        .map(|a| AccountInfo { id: a.id.clone(), name: a.name.clone(), regions: a.regions.keys().cloned().collect() })
        .collect()
}

/// The targets of one plugin run, in scheduling order.
///
/// - `Regional`: every selected (account, enabled region) pair, interleaved
///   round-robin across accounts (in an order shuffled by `seed`, so runs
///   are reproducible yet no account is always first), with each account's
///   regions rotated so concurrent tasks hit different regions too.
/// - `Account`: one target per selected account, in `home_region`.
/// - `Organization`: one target per account in `home_region`, in account
///   order: candidates tried one at a time until one succeeds.
pub fn expand(
    accounts: &[AccountInfo],
    selection: &Selection,
    scope: Scope,
    home_region: &str,
    seed: u64,
) -> Result<Vec<Target>, SelectionError> {
    let chosen = choose_accounts(accounts, &selection.accounts)?;
    let regions = choose_regions(&chosen, &selection.regions)?;
    let target = |a: &AccountInfo, region: &str| Target {
        account_id: a.id.clone(),
        account_name: a.name.clone(),
        region: region.to_owned(),
    };
    Ok(match scope {
        Scope::Account | Scope::Organization => chosen.iter().map(|a| target(a, home_region)).collect(),
        Scope::Regional => {
            let mut order: Vec<usize> = (0..chosen.len()).collect();
            if seed != 0 {
                order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
            }
            let per_account: Vec<Vec<Target>> = order
                .iter()
                .enumerate()
                .map(|(slot, &i)| {
                    let a = chosen[i];
                    let mut list: Vec<Target> = a
                        .regions
                        .iter()
                        .filter(|r| regions.as_ref().is_none_or(|want| want.contains(r)))
                        .map(|r| target(a, r))
                        .collect();
                    if !list.is_empty() {
                        let n = list.len();
                        list.rotate_left(slot % n);
                    }
                    list
                })
                .collect();
            interleave(per_account)
        }
    })
}

fn choose_accounts<'a>(accounts: &'a [AccountInfo], wanted: &[String]) -> Result<Vec<&'a AccountInfo>, SelectionError> {
    if wanted.is_empty() {
        return Ok(accounts.iter().collect());
    }
    wanted
        .iter()
        .map(|w| {
            if let Some(exact) = accounts.iter().find(|a| &a.id == w || &a.name == w) {
                return Ok(exact);
            }
            // Names are labels: one that differs only in case is the same
            // account, when no other account matches that way.
            let mut folded = accounts.iter().filter(|a| a.name.eq_ignore_ascii_case(w));
            match (folded.next(), folded.next()) {
                (Some(only), None) => Ok(only),
                _ => Err(SelectionError::UnknownAccount {
                    name: w.clone(),
                    hint: did_you_mean(w, accounts.iter().flat_map(|a| [a.name.as_str(), a.id.as_str()])),
                    known: accounts.iter().map(|a| format!("{} ({})", a.id, a.name)).collect::<Vec<_>>().join(", "),
                }),
            }
        })
        .collect()
}

/// True when `pattern` (which may hold `*` wildcards, e.g. `eu-*`)
/// matches `name`.
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.starts_with(head) && (0..=name.len() - head.len()).any(|i| glob_matches(tail, &name[head.len() + i..]))
        }
    }
}

/// None means every enabled region. Names may be globs (`eu-*`); each
/// must match at least one region an account has.
fn choose_regions(accounts: &[&AccountInfo], wanted: &[String]) -> Result<Option<Vec<String>>, SelectionError> {
    if wanted.is_empty() || wanted.iter().any(|w| w == "all") {
        return Ok(None);
    }
    let mut known: Vec<&String> = accounts.iter().flat_map(|a| &a.regions).collect();
    known.sort();
    known.dedup();
    let mut chosen = Vec::new();
    for w in wanted {
        let matching: Vec<String> = known.iter().filter(|k| glob_matches(w, k)).map(|k| k.to_string()).collect();
        if matching.is_empty() {
            return Err(SelectionError::UnknownRegion {
                name: w.clone(),
                hint: did_you_mean(w, known.iter().map(|s| s.as_str())),
                known: known.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            });
        }
        chosen.extend(matching);
    }
    Ok(Some(chosen))
}

/// Round-robin: the first target of every account, then the second, ...
fn interleave(mut lists: Vec<Vec<Target>>) -> Vec<Target> {
    let total = lists.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total);
    lists.iter_mut().for_each(|l| l.reverse());
    while out.len() < total {
        for l in lists.iter_mut() {
            out.extend(l.pop());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Vec<AccountInfo> {
        let acct = |id: &str, name: &str, regions: &[&str]| AccountInfo {
            id: id.into(),
            name: name.into(),
            regions: regions.iter().map(|r| r.to_string()).collect(),
        };
        vec![acct("111111111111", "a", &["eu-west-1", "us-east-1"]), acct("222222222222", "b", &["us-east-1"])]
    }

    fn pairs(targets: &[Target]) -> Vec<(&str, &str)> {
        targets.iter().map(|t| (t.account_name.as_str(), t.region.as_str())).collect()
    }

    #[test]
    fn regional_interleaves_accounts_and_rotates_regions() {
        let t = expand(&org(), &Selection::default(), Scope::Regional, "us-east-1", 0).unwrap();
        assert_eq!(pairs(&t), [("a", "eu-west-1"), ("b", "us-east-1"), ("a", "us-east-1")]);
        let three = |name: &str| AccountInfo {
            id: name.into(),
            name: name.into(),
            regions: vec!["r1".into(), "r2".into(), "r3".into()],
        };
        let t = expand(&[three("x"), three("y"), three("z")], &Selection::default(), Scope::Regional, "r1", 0).unwrap();
        let first_round: Vec<&str> = t[..3].iter().map(|t| t.region.as_str()).collect();
        assert_eq!(first_round, ["r1", "r2", "r3"], "the first wave spreads over regions");
    }

    #[test]
    fn the_seed_shuffles_reproducibly() {
        let many: Vec<AccountInfo> = (0..20)
            .map(|i| AccountInfo { id: format!("{i:012}"), name: format!("a{i}"), regions: vec!["r".into()] })
            .collect();
        let order = |seed| expand(&many, &Selection::default(), Scope::Regional, "r", seed).unwrap();
        assert_eq!(order(7), order(7));
        assert_ne!(order(7), order(8));
        let mut sorted = order(7);
        sorted.sort();
        assert_eq!(sorted, order(0), "a permutation of the same targets");
    }

    #[test]
    fn account_and_organization_scopes_use_the_home_region() {
        for scope in [Scope::Account, Scope::Organization] {
            let t = expand(&org(), &Selection::default(), scope, "us-east-1", 0).unwrap();
            assert_eq!(pairs(&t), [("a", "us-east-1"), ("b", "us-east-1")]);
        }
    }

    #[test]
    fn selection_by_name_or_id_and_region() {
        let sel = Selection { accounts: vec!["b".into(), "111111111111".into()], regions: vec!["us-east-1".into()] };
        let t = expand(&org(), &sel, Scope::Regional, "us-east-1", 0).unwrap();
        assert_eq!(pairs(&t), [("b", "us-east-1"), ("a", "us-east-1")]);
    }

    #[test]
    fn region_globs_select_by_pattern() {
        assert!(glob_matches("eu-*", "eu-west-1") && glob_matches("*-1", "us-east-1") && glob_matches("*", "x"));
        assert!(!glob_matches("eu-*", "us-east-1") && !glob_matches("us-*-2", "us-east-1"));
        let sel = Selection { regions: vec!["eu-*".into()], ..Selection::default() };
        let t = expand(&org(), &sel, Scope::Regional, "us-east-1", 0).unwrap();
        assert_eq!(pairs(&t), [("a", "eu-west-1")]);
        let sel = Selection { regions: vec!["ap-*".into()], ..Selection::default() };
        assert!(expand(&org(), &sel, Scope::Regional, "us-east-1", 0).is_err(), "a glob matching nothing is an error");
    }

    #[test]
    fn unknown_names_are_errors_listing_what_exists() {
        let sel = Selection { regions: vec!["eu-west-9".into()], ..Selection::default() };
        let e = expand(&org(), &sel, Scope::Regional, "us-east-1", 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"unknown region "eu-west-9" (did you mean "eu-west-1"?); the organisation's accounts have: eu-west-1, us-east-1"#
        );
        let sel = Selection { accounts: vec!["zz".into()], ..Selection::default() };
        let e = expand(&org(), &sel, Scope::Regional, "us-east-1", 0).unwrap_err();
        assert!(e.to_string().contains("111111111111 (a)"), "{e}");
    }

    #[test]
    fn account_names_match_whatever_their_case() {
        let sel = Selection { accounts: vec!["A".into()], ..Selection::default() };
        let t = expand(&org(), &sel, Scope::Account, "us-east-1", 0).unwrap();
        assert_eq!(t.iter().map(|t| t.account_name.as_str()).collect::<Vec<_>>(), ["a"]);
    }
}
