//! Deterministic organisations: the built-in demo and generated ones of
//! any size, from a seed. ChaCha8 is used because its output is fixed for a
//! given seed across platforms and crate versions, so a seed names one
//! organisation forever.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::org::{Account, Denial, HealthEvent, Iam, Organization, Principal, Quota, Region, Volume};

/// The shape of a generated organisation.
#[derive(Debug, Clone)]
pub struct OrgSpec {
    /// Number of accounts.
    pub accounts: usize,
    /// Regions every account has enabled.
    pub regions: Vec<String>,
    /// Volumes per (account, region): each gets between half and all of it.
    pub volumes_per_region: usize,
    /// IAM roles per account.
    pub roles_per_account: usize,
    /// IAM users per account.
    pub users_per_account: usize,
    /// The seed; the same spec and seed give the same organisation.
    pub seed: u64,
}

impl Default for OrgSpec {
    fn default() -> Self {
        Self {
            accounts: 4,
            regions: vec!["us-east-1".into(), "eu-west-1".into(), "ap-northeast-2".into()],
            volumes_per_region: 24,
            roles_per_account: 12,
            users_per_account: 6,
            seed: 7,
        }
    }
}

/// The built-in demo organisation: four accounts in three regions, a
/// management account with a business support plan (so AWS Health
/// answers), and a sandbox account whose SCP denies `ap-northeast-2`.
pub fn demo() -> Organization {
    let mut org = OrgSpec::default().generate();
    let names = [
        ("111111111111", "management", "business"),
        ("222222222222", "production", "enterprise"),
        ("333333333333", "staging", "basic"),
        ("444444444444", "sandbox", "basic"),
    ];
    for (account, (id, name, plan)) in org.accounts.iter_mut().zip(names) {
        account.id = id.to_owned();
        account.name = name.to_owned();
        account.support_plan = plan.to_owned();
    }
    org.accounts[3].denied.push(Denial { region: Some("ap-northeast-2".into()), service: None });
    org
}

/// Regions a generated organisation takes its first N from.
const REGION_NAMES: [&str; 16] = [
    "us-east-1",
    "eu-west-1",
    "ap-northeast-2",
    "us-west-2",
    "eu-central-1",
    "ap-southeast-1",
    "us-east-2",
    "ap-northeast-1",
    "eu-west-2",
    "ca-central-1",
    "ap-south-1",
    "sa-east-1",
    "eu-north-1",
    "us-west-1",
    "ap-southeast-2",
    "eu-west-3",
];

impl std::str::FromStr for OrgSpec {
    type Err = String;

    /// `accounts=200,regions=4,volumes=60,roles=12,users=6,seed=7`; any
    /// key may be left out (defaults: the demo's shape).
    fn from_str(s: &str) -> Result<Self, String> {
        let mut spec = OrgSpec::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(|| format!("{part:?} is not key=value"))?;
            let n: u64 = value.parse().map_err(|_| format!("{key}={value:?} is not a whole number"))?;
            match key {
                "accounts" if n >= 1 => spec.accounts = n as usize,
                "regions" if (1..=REGION_NAMES.len() as u64).contains(&n) => {
                    spec.regions = REGION_NAMES[..n as usize].iter().map(|r| r.to_string()).collect();
                }
                "volumes" => spec.volumes_per_region = n as usize,
                "roles" => spec.roles_per_account = n as usize,
                "users" => spec.users_per_account = n as usize,
                "seed" => spec.seed = n,
                "accounts" | "regions" => return Err(format!("{key}={n} is out of range (regions: 1-16)")),
                _ => {
                    return Err(format!(
                        "unknown key {key:?}; expected accounts, regions, volumes, roles, users, seed"
                    ));
                }
            }
        }
        Ok(spec)
    }
}

impl OrgSpec {
    /// Builds the organisation this spec describes.
    pub fn generate(&self) -> Organization {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let accounts = (0..self.accounts)
            .map(|i| {
                let id = format!("{:012}", 100_000_000_000u64 + i as u64 * 7_919);
                let regions = self.regions.iter().map(|r| (r.clone(), self.region(&mut rng, r))).collect();
                let business = i % 3 == 0;
                Account {
                    name: format!("account-{i:04}"),
                    status: "ACTIVE".into(),
                    support_plan: if business { "business".into() } else { "basic".into() },
                    regions,
                    iam: Iam {
                        roles: principals(&mut rng, "role", "AROA", self.roles_per_account),
                        users: principals(&mut rng, "user", "AIDA", self.users_per_account),
                    },
                    health_events: self.health_events(&mut rng, &id, usize::from(business)),
                    denied: Vec::new(),
                    id,
                }
            })
            .collect();
        Organization { accounts }
    }

    fn region(&self, rng: &mut ChaCha8Rng, region: &str) -> Region {
        const TYPES: [&str; 5] = ["gp3", "gp2", "io2", "st1", "sc1"];
        const STATES: [(&str, u32); 5] =
            [("in-use", 55), ("available", 30), ("creating", 5), ("deleting", 5), ("error", 5)];
        let lo = self.volumes_per_region / 2;
        let count = if self.volumes_per_region == 0 { 0 } else { rng.random_range(lo..=self.volumes_per_region) };
        let volumes = (0..count)
            .map(|_| {
                let mut roll = rng.random_range(0..100);
                let state = STATES
                    .iter()
                    .find(|(_, w)| {
                        if roll < *w {
                            true
                        } else {
                            roll -= w;
                            false
                        }
                    })
                    .map_or("in-use", |s| s.0);
                let team = ("team".to_owned(), ["data", "web", "platform", "ml"][rng.random_range(0..4)].to_owned());
                let mut tags = Vec::with_capacity(2);
                if rng.random_bool(0.5) {
                    tags.push(("Name".to_owned(), format!("vol-{}", rng.random_range(1..999))));
                }
                tags.push(team);
                Volume {
                    id: format!("vol-0{:016x}", rng.random::<u64>()),
                    size: [8, 20, 50, 100, 500, 1000][rng.random_range(0..6)],
                    volume_type: TYPES[rng.random_range(0..TYPES.len())].to_owned(),
                    attached_to: (state == "in-use").then(|| format!("i-0{:016x}", rng.random::<u64>())),
                    state: state.to_owned(),
                    availability_zone: format!("{region}{}", ['a', 'b', 'c'][rng.random_range(0..3)]),
                    create_time: timestamp(rng),
                    encrypted: rng.random_bool(0.7),
                    tags,
                }
            })
            .collect();
        let vcpus = [64.0, 256.0, 1152.0][rng.random_range(0..3)];
        let quotas = vec![
            quota(
                "ec2",
                "L-1216C47A",
                "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
                vcpus,
                (vcpus * rng.random_range(0.05..0.98)).round(),
            ),
            quota(
                "ec2",
                "L-34B43A08",
                "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests",
                640.0,
                (640.0 * rng.random_range(0.0..0.5f64)).round(),
            ),
            quota("lambda", "L-B99A9384", "Concurrent executions", 1000.0, rng.random_range(0..950) as f64),
            quota("vpc", "L-F678F1CE", "VPCs per Region", 5.0, rng.random_range(1..=5) as f64),
        ];
        Region { volumes, quotas, missing_services: Vec::new() }
    }

    /// Between `at_least` and 4 events (accounts that can see Health get one
    /// or more, so a Health collector always has something to show).
    fn health_events(&self, rng: &mut ChaCha8Rng, account: &str, at_least: usize) -> Vec<HealthEvent> {
        const KINDS: [(&str, &str, &str); 3] = [
            ("EC2", "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED", "scheduledChange"),
            ("EBS", "AWS_EBS_VOLUME_LOST", "issue"),
            ("RDS", "AWS_RDS_MAINTENANCE_SCHEDULED", "accountNotification"),
        ];
        (0..rng.random_range(at_least..=4))
            .map(|n| {
                let (service, code, category) = KINDS[rng.random_range(0..KINDS.len())];
                let region = self.regions[rng.random_range(0..self.regions.len())].clone();
                HealthEvent {
                    arn: format!("arn:aws:health:{region}::event/{service}/{code}/{code}_{account}_{n}"),
                    service: service.to_owned(),
                    event_type_code: code.to_owned(),
                    category: category.to_owned(),
                    status: ["open", "closed", "upcoming"][rng.random_range(0..3)].to_owned(),
                    start_time: f64::from(1_700_000_000 + rng.random_range(0..40_000_000u32)),
                    region,
                }
            })
            .collect()
    }
}

fn quota(service: &str, code: &str, name: &str, value: f64, usage: f64) -> Quota {
    Quota {
        service_code: service.into(),
        code: code.into(),
        name: name.into(),
        value,
        unit: "None".into(),
        adjustable: true,
        usage,
    }
}

fn principals(rng: &mut ChaCha8Rng, kind: &str, prefix: &str, count: usize) -> Vec<Principal> {
    (0..count)
        .map(|i| Principal {
            name: format!("{kind}-{i:03}"),
            id: format!("{prefix}{:016X}", rng.random::<u64>()),
            path: "/".into(),
            create_date: timestamp(rng),
        })
        .collect()
}

/// A creation time in 2022-2024, in the ISO form AWS uses.
fn timestamp(rng: &mut ChaCha8Rng) -> String {
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
        rng.random_range(2022..=2024),
        rng.random_range(1..=12),
        rng.random_range(1..=28),
        rng.random_range(0..24),
        rng.random_range(0..60),
        rng.random_range(0..60)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_org_other_seed_other_org() {
        let spec = OrgSpec { accounts: 3, ..OrgSpec::default() };
        assert_eq!(spec.generate(), spec.generate());
        assert_ne!(spec.generate(), OrgSpec { seed: 8, ..spec.clone() }.generate());
    }

    #[test]
    fn specs_parse_from_text() {
        let spec: OrgSpec = "accounts=200, regions=4,volumes=60,seed=3".parse().unwrap();
        assert_eq!((spec.accounts, spec.regions.len(), spec.volumes_per_region, spec.seed), (200, 4, 60, 3));
        assert_eq!(spec.regions[3], "us-west-2");
        for bad in ["accounts", "accounts=x", "regions=17", "accounts=0", "colour=3"] {
            assert!(bad.parse::<OrgSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn demo_has_what_the_docs_promise() {
        let org = demo();
        org.check().unwrap();
        assert_eq!(org.accounts.len(), 4);
        assert_eq!(org.regions(), ["ap-northeast-2", "eu-west-1", "us-east-1"]);
        assert!(org.accounts[3].denies("ec2", "ap-northeast-2"));
        assert!(!org.accounts[3].denies("ec2", "eu-west-1"));
        let states: std::collections::BTreeSet<_> = org
            .accounts
            .iter()
            .flat_map(|a| a.regions.values().flat_map(|r| r.volumes.iter().map(|v| v.state.as_str())))
            .collect();
        assert!(states.contains("available") && states.contains("in-use") && states.len() >= 4, "{states:?}");
    }
}
