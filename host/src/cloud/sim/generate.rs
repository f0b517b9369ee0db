//! Deterministic organisations: the built-in demo and generated ones of
//! any size, from a seed. ChaCha8 is used because its output is fixed for a
//! given seed across platforms and crate versions.
//!
//! Activity dates (when a password or an access key was last used) are
//! days before the day of generation, so "used recently" and "unused for a
//! year" stay true whenever the demo runs; everything else is fixed. A
//! seed therefore names one organisation per UTC day, and
//! [`OrgSpec::generate_on`] names the day.
//!
//! What later versions added (credentials, affected entities, quotas with
//! usage metrics) is drawn from a second stream, so the first still draws
//! exactly what it always did: a seed's volumes, roles and events are what
//! they were.

use std::borrow::Cow;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::clock::{self, DAY};
use super::org::{
    AccessKey, Account, AffectedEntity, Denial, HealthEvent, Iam, KeyUse, MfaDevice, Organization, Principal, Quota,
    Region, UsageMetric, User, Volume,
};

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
    /// The seed; the same spec and seed give the same organisation (on the
    /// same day, see the module documentation).
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
///
/// Besides what the generator gives every account, it holds these cases in
/// known places (dates "ago" count back from the day it is built):
///
/// IAM users of `111111111111` (management):
/// - `user-000`: MFA, password used 1 day ago, an active key used 2 days
///   ago (s3, eu-west-1): recently used;
/// - `user-001`: no MFA, password used 3 days ago, an active key last used
///   200 days ago (ec2, us-east-1): unused for more than 90 days;
/// - `user-002`: no MFA, never signed in, an active key created
///   2022-02-01 and never used;
/// - `user-003`: MFA, an inactive key last used 400 days ago (iam) and an
///   active key used 1 day ago (sts, us-east-1);
/// - `user-004`: no MFA, password used 120 days ago, no keys;
/// - `user-005`: MFA, password used 10 days ago, no keys.
///
/// Their keys are `AKIADEMO0USER{NNN}KEY{K}` (`AKIADEMO0USER003KEY2` is
/// user-003's second key); MFA serials `arn:aws:iam::111111111111:mfa/NAME`.
///
/// AWS Health (the two accounts with a business or enterprise plan):
/// - `111111111111`: an open issue (EC2, us-east-1, 2 instances: IMPAIRED
///   and UNIMPAIRED), an upcoming retirement (EC2, eu-west-1, 2 instances:
///   IMPAIRED and UNKNOWN), a closed issue with an end time (EBS,
///   us-east-1, 1 volume IMPAIRED), a closed public S3 issue (no
///   entities), and the shared RDS maintenance below (1 database, UNKNOWN);
/// - `222222222222`: an open issue (EBS, eu-west-1, 3 volumes: 2 IMPAIRED,
///   1 UNKNOWN), a closed scheduled change (EC2, ap-northeast-2, 1
///   instance UNIMPAIRED), and the shared upcoming RDS maintenance
///   (`arn:aws:health:eu-west-1::event/RDS/AWS_RDS_MAINTENANCE_SCHEDULED/AWS_RDS_MAINTENANCE_SCHEDULED_DEMO_4`,
///   eu-west-1, 2 databases: IMPAIRED and UNKNOWN), which the
///   organisational view lists once with both accounts affected.
///
/// Service Quotas of `111111111111`, usage as GetMetricData answers it:
/// - us-east-1: `ec2/L-1216C47A` 240 of 256 vCPUs (93.75 %, CRITICAL),
///   `ec2/L-34B43A08` 540 of 640 (84.4 %, WARNING), `ec2/L-DB2E81BA` has a
///   usage metric but no datapoint, `ec2/L-417A185B` 12 of 96 (12.5 %, OK),
///   `lambda/L-B99A9384` 350 of 1000 (35 %, OK), `vpc/L-F678F1CE` has no
///   usage metric;
/// - eu-west-1: `ec2/L-1216C47A` 64 of 256 (25 %, OK).
pub fn demo() -> Organization {
    demo_on(clock::today())
}

/// The demo organisation as built on `today` (days since 1970-01-01, UTC).
pub fn demo_on(today: i64) -> Organization {
    let mut org = OrgSpec::default().generate_on(today);
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
    demo_users(&mut org.accounts[0], today);
    demo_events(&mut org.accounts);
    demo_quotas(&mut org.accounts[0]);
    org
}

/// The IAM cases of [`demo`], in the management account.
fn demo_users(account: &mut Account, today: i64) {
    let ago = |days: i64, hour: i64| clock::format((today - days) * DAY + hour * 3600);
    let key = |user: usize, k: usize, status: &str, created: &str, used: Option<(i64, &str, &str)>| AccessKey {
        id: format!("AKIADEMO0USER{user:03}KEY{k}"),
        status: status.into(),
        create_date: created.into(),
        last_used: used.map(|(days, service, region)| KeyUse {
            date: ago(days, 9),
            service: service.into(),
            region: region.into(),
        }),
    };
    let mfa = |name: &str| {
        vec![MfaDevice {
            serial_number: format!("arn:aws:iam::{}:mfa/{name}", account.id),
            enable_date: "2023-03-14T09:26:53Z".into(),
        }]
    };
    let cases: [(Option<i64>, bool, Vec<AccessKey>); 6] = [
        (Some(1), true, vec![key(0, 1, "Active", "2023-05-01T12:00:00Z", Some((2, "s3", "eu-west-1")))]),
        (Some(3), false, vec![key(1, 1, "Active", "2022-11-20T08:15:00Z", Some((200, "ec2", "us-east-1")))]),
        (None, false, vec![key(2, 1, "Active", "2022-02-01T10:00:00Z", None)]),
        (
            None,
            true,
            vec![
                key(3, 1, "Inactive", "2022-06-10T16:45:00Z", Some((400, "iam", "us-east-1"))),
                key(3, 2, "Active", "2024-09-01T07:30:00Z", Some((1, "sts", "us-east-1"))),
            ],
        ),
        (Some(120), false, Vec::new()),
        (Some(10), true, Vec::new()),
    ];
    for (user, (password, has_mfa, keys)) in account.iam.users.iter_mut().zip(cases) {
        user.password_last_used = password.map(|days| ago(days, 8));
        user.mfa_devices = if has_mfa { mfa(&user.name) } else { Vec::new() };
        // A user exists before its keys (the fixed key dates are older
        // than some generated users).
        let first_key = keys.iter().filter_map(|k| clock::parse(&k.create_date)).map(|t| t as i64).min();
        if let (Some(first_key), Some(created)) = (first_key, clock::parse(&user.create_date).map(|t| t as i64))
            && first_key < created
        {
            user.create_date = clock::format(first_key - 30 * DAY);
        }
        user.access_keys = keys;
    }
}

/// The Health cases of [`demo`], in the two accounts that can see Health.
fn demo_events(accounts: &mut [Account]) {
    let at = |date: &str| clock::parse(date).expect("a fixed date");
    let event = |n: usize, (service, code, category): (&str, &str, &str), region: &str, status: &str| HealthEvent {
        arn: format!("arn:aws:health:{region}::event/{service}/{code}/{code}_DEMO_{n}"),
        service: service.into(),
        event_type_code: code.into(),
        category: category.into(),
        region: region.into(),
        status: status.into(),
        start_time: 0.0,
        end_time: None,
        last_updated_time: None,
        scope: "ACCOUNT_SPECIFIC".into(),
        entities: Vec::new(),
    };
    let entities = |list: &[(&str, &str)]| {
        list.iter().map(|(value, status)| AffectedEntity { value: (*value).into(), status: (*status).into() }).collect()
    };
    let rds = ("RDS", "AWS_RDS_MAINTENANCE_SCHEDULED", "scheduledChange");
    let shared = |dbs: &[(&str, &str)]| HealthEvent {
        start_time: at("2035-04-15T02:00:00Z"),
        last_updated_time: Some(at("2024-12-01T00:00:00Z")),
        entities: entities(dbs),
        ..event(4, rds, "eu-west-1", "upcoming")
    };
    accounts[0].health_events = vec![
        HealthEvent {
            start_time: at("2024-11-02T08:00:00Z"),
            last_updated_time: Some(at("2024-11-02T09:30:00Z")),
            entities: entities(&[("i-0a1b2c3d4e5f60001", "IMPAIRED"), ("i-0a1b2c3d4e5f60002", "UNIMPAIRED")]),
            ..event(1, ("EC2", "AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED", "issue"), "us-east-1", "open")
        },
        HealthEvent {
            start_time: at("2035-03-01T00:00:00Z"),
            last_updated_time: Some(at("2024-11-20T12:00:00Z")),
            entities: entities(&[("i-0a1b2c3d4e5f60003", "IMPAIRED"), ("i-0a1b2c3d4e5f60004", "UNKNOWN")]),
            ..event(2, ("EC2", "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED", "scheduledChange"), "eu-west-1", "upcoming")
        },
        HealthEvent {
            start_time: at("2024-06-10T04:00:00Z"),
            end_time: Some(at("2024-06-10T10:00:00Z")),
            entities: entities(&[("vol-0a1b2c3d4e5f60001", "IMPAIRED")]),
            ..event(3, ("EBS", "AWS_EBS_VOLUME_LOST", "issue"), "us-east-1", "closed")
        },
        shared(&[("mgmt-db", "UNKNOWN")]),
        HealthEvent {
            start_time: at("2024-02-28T17:00:00Z"),
            end_time: Some(at("2024-02-28T21:00:00Z")),
            scope: "PUBLIC".into(),
            ..event(5, ("S3", "AWS_S3_OPERATIONAL_ISSUE", "issue"), "us-east-1", "closed")
        },
    ];
    accounts[1].health_events = vec![
        HealthEvent {
            start_time: at("2024-11-05T13:00:00Z"),
            last_updated_time: Some(at("2024-11-06T08:00:00Z")),
            entities: entities(&[
                ("vol-0a1b2c3d4e5f60002", "IMPAIRED"),
                ("vol-0a1b2c3d4e5f60003", "IMPAIRED"),
                ("vol-0a1b2c3d4e5f60004", "UNKNOWN"),
            ]),
            ..event(6, ("EBS", "AWS_EBS_DEGRADED_EBS_VOLUME_PERFORMANCE", "issue"), "eu-west-1", "open")
        },
        HealthEvent {
            start_time: at("2024-09-01T00:00:00Z"),
            end_time: Some(at("2024-09-01T02:00:00Z")),
            entities: entities(&[("i-0a1b2c3d4e5f60005", "UNIMPAIRED")]),
            ..event(
                7,
                ("EC2", "AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED", "scheduledChange"),
                "ap-northeast-2",
                "closed",
            )
        },
        shared(&[("prod-db-1", "IMPAIRED"), ("prod-db-2", "UNKNOWN")]),
    ];
}

/// The quota cases of [`demo`]: usage at each alert level, and a usage
/// metric without a datapoint.
fn demo_quotas(account: &mut Account) {
    for (region, code, value, usage) in [
        ("us-east-1", "L-1216C47A", 256.0, Some(240.0)),
        ("us-east-1", "L-34B43A08", 640.0, Some(540.0)),
        ("us-east-1", "L-DB2E81BA", 64.0, None),
        ("us-east-1", "L-417A185B", 96.0, Some(12.0)),
        ("us-east-1", "L-B99A9384", 1000.0, Some(350.0)),
        ("eu-west-1", "L-1216C47A", 256.0, Some(64.0)),
    ] {
        let quota = account
            .regions
            .get_mut(region)
            .and_then(|r| r.quotas.iter_mut().find(|q| q.code == code))
            .expect("the generator gives every demo region these quotas");
        quota.value = value;
        quota.usage = usage;
    }
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
    /// Builds the organisation this spec describes, as of today (UTC).
    pub fn generate(&self) -> Organization {
        self.generate_on(clock::today())
    }

    /// Builds the organisation this spec describes as of `today` (days since
    /// 1970-01-01, UTC), the day activity dates count back from.
    ///
    /// Besides volumes, roles and events, every account gets, at random
    /// from the seed: users with and without MFA, passwords used recently,
    /// long ago or never, active keys used recently, long ago (over 90
    /// days) or never, some inactive keys; entities affected by its Health
    /// events (and, in about a third of the accounts, one maintenance
    /// event shared across the organisation); and EC2 and Lambda quotas
    /// whose usage metric shows OK, WARNING (80 %) or CRITICAL (90 %)
    /// usage, or no datapoint.
    pub fn generate_on(&self, today: i64) -> Organization {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut more = ChaCha8Rng::seed_from_u64(self.seed ^ 0x7472_6177_6c2d_7632);
        let accounts = (0..self.accounts)
            .map(|i| {
                let id = format!("{:012}", 100_000_000_000u64 + i as u64 * 7_919);
                let regions = self.regions.iter().map(|r| (r.clone(), self.region(&mut rng, &mut more, r))).collect();
                let business = i % 3 == 0;
                let roles = principals(&mut rng, "role", "AROA", self.roles_per_account)
                    .map(|(name, id, create_date)| Principal { name, id, path: "/".into(), create_date })
                    .collect();
                let users = principals(&mut rng, "user", "AIDA", self.users_per_account)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .map(|(name, user_id, create_date)| self.user(&mut more, &id, today, name, user_id, create_date))
                    .collect();
                let mut health_events = self.health_events(&mut rng, &id, usize::from(business));
                for event in &mut health_events {
                    self.enrich(&mut more, event);
                }
                if more.random_bool(0.3) {
                    health_events.push(self.shared_event(&mut more));
                }
                Account {
                    name: format!("account-{i:04}"),
                    status: "ACTIVE".into(),
                    support_plan: if business { "business".into() } else { "basic".into() },
                    regions,
                    iam: Iam { roles, users },
                    health_events,
                    denied: Vec::new(),
                    id,
                }
            })
            .collect();
        Organization { accounts }
    }

    fn region(&self, rng: &mut ChaCha8Rng, more: &mut ChaCha8Rng, region: &str) -> Region {
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
        // Drawn for the first stream's sake (earlier versions took usages
        // from it); the usages now come from the second.
        let _ = (rng.random_range(0.05..0.98f64), rng.random_range(0.0..0.5f64), rng.random_range(0..950i32));
        let vpcs = f64::from(rng.random_range(1..=5i32));
        let ec2 = |class: &'static str| usage_metric("AWS/Usage", "ResourceCount", &ec2_dimensions(class));
        let mut metered =
            |service: &'static str, code: &'static str, name: &'static str, value: f64, metric: UsageMetric| {
                let used = usage(&mut *more, value);
                Quota { usage_metric: Some(metric), ..quota(service, code, name, value, used) }
            };
        let quotas = vec![
            metered(
                "ec2",
                "L-1216C47A",
                "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
                vcpus,
                ec2("Standard/OnDemand"),
            ),
            metered(
                "ec2",
                "L-34B43A08",
                "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests",
                640.0,
                ec2("Standard/Spot"),
            ),
            metered("ec2", "L-DB2E81BA", "Running On-Demand G and VT instances", 64.0, ec2("G/OnDemand")),
            metered("ec2", "L-417A185B", "Running On-Demand P instances", 96.0, ec2("P/OnDemand")),
            metered(
                "lambda",
                "L-B99A9384",
                "Concurrent executions",
                1000.0,
                usage_metric("AWS/Lambda", "ConcurrentExecutions", &[]),
            ),
            quota("vpc", "L-F678F1CE", "VPCs per Region", 5.0, Some(vpcs)),
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
                let status = ["open", "closed", "upcoming"][rng.random_range(0..3)];
                let start = f64::from(1_700_000_000 + rng.random_range(0..40_000_000u32));
                HealthEvent {
                    arn: format!("arn:aws:health:{region}::event/{service}/{code}/{code}_{account}_{n}"),
                    service: service.to_owned(),
                    event_type_code: code.to_owned(),
                    category: category.to_owned(),
                    status: status.to_owned(),
                    // Upcoming events start a fixed ten years on (2033-2035).
                    start_time: if status == "upcoming" { start + UPCOMING_SHIFT } else { start },
                    end_time: None,
                    last_updated_time: None,
                    scope: "ACCOUNT_SPECIFIC".into(),
                    entities: Vec::new(),
                    region,
                }
            })
            .collect()
    }

    /// Affected entities, an end for closed events and an update time.
    fn enrich(&self, more: &mut ChaCha8Rng, event: &mut HealthEvent) {
        // Announced (or started) at the drawn time, updated within a day.
        let start = if event.status == "upcoming" { event.start_time - UPCOMING_SHIFT } else { event.start_time };
        let updated = start + f64::from(more.random_range(600..86_400u32));
        event.last_updated_time = Some(updated);
        if event.status == "closed" {
            event.end_time = Some(updated);
        }
        event.entities = (0..more.random_range(1..=3))
            .map(|_| AffectedEntity { value: entity_value(more, &event.service), status: entity_status(more) })
            .collect();
    }

    /// The maintenance event shared by about a third of the accounts, each
    /// with its own instances.
    fn shared_event(&self, more: &mut ChaCha8Rng) -> HealthEvent {
        let (code, region) = ("AWS_EC2_MAINTENANCE_SCHEDULED", &self.regions[0]);
        HealthEvent {
            arn: format!("arn:aws:health:{region}::event/EC2/{code}/{code}_{:x}", self.seed),
            service: "EC2".into(),
            event_type_code: code.into(),
            category: "scheduledChange".into(),
            region: region.clone(),
            status: "upcoming".into(),
            start_time: 2_051_222_400.0,
            end_time: None,
            last_updated_time: Some(1_733_011_200.0),
            scope: "ACCOUNT_SPECIFIC".into(),
            entities: (0..more.random_range(1..=2))
                .map(|_| AffectedEntity { value: entity_value(more, "EC2"), status: entity_status(more) })
                .collect(),
        }
    }

    /// A user with MFA or not, a password used recently, long ago or never,
    /// and up to two access keys in every state.
    fn user(
        &self,
        more: &mut ChaCha8Rng,
        account: &str,
        today: i64,
        name: String,
        id: String,
        created: String,
    ) -> User {
        let since = clock::parse(&created).map_or(0, |t| t as i64);
        let mfa_devices = if more.random_bool(0.5) {
            vec![MfaDevice {
                serial_number: format!("arn:aws:iam::{account}:mfa/{name}"),
                enable_date: clock::format(since + more.random_range(0..30 * DAY)),
            }]
        } else {
            Vec::new()
        };
        let password_last_used = more.random_bool(0.7).then(|| activity(more, today, since, 60));
        let keys = [0, 1, 1, 1, 2][more.random_range(0..5)];
        let access_keys = (0..keys)
            .map(|_| {
                let id = format!("AKIA{:016X}", more.random::<u64>());
                let status = if more.random_bool(0.15) { "Inactive" } else { "Active" };
                let created = since + more.random_range(0..180 * DAY);
                let last_used = more.random_bool(0.75).then(|| KeyUse {
                    date: activity(more, today, created, 55),
                    service: ["s3", "ec2", "sts", "iam", "lambda"][more.random_range(0..5)].into(),
                    region: self.regions[more.random_range(0..self.regions.len())].clone(),
                });
                AccessKey { id, status: status.into(), create_date: clock::format(created), last_used }
            })
            .collect();
        User { name, id, path: "/".into(), create_date: created, password_last_used, mfa_devices, access_keys }
    }
}

/// How far ahead of their drawn time upcoming events start: ten years.
const UPCOMING_SHIFT: f64 = 10.0 * 365.25 * DAY as f64;

/// A time 1-30 days before `today` (`recent` percent of the time) or
/// 91-600 days before, never before `since`.
fn activity(more: &mut ChaCha8Rng, today: i64, since: i64, recent: u32) -> String {
    let days = if more.random_range(0..100) < recent { more.random_range(1..=30) } else { more.random_range(91..=600) };
    clock::format(((today - days) * DAY + more.random_range(0..DAY)).max(since + DAY))
}

/// The usage of a metered quota of `value`: OK (55 %), WARNING (17 %),
/// CRITICAL (18 %) or no datapoint (10 %).
fn usage(more: &mut ChaCha8Rng, value: f64) -> Option<f64> {
    let fraction = match more.random_range(0..100) {
        0..10 => return None,
        10..65 => more.random_range(0.05..0.78),
        65..82 => more.random_range(0.81..0.89),
        _ => more.random_range(0.91..1.0),
    };
    Some((value * fraction).round())
}

fn entity_value(more: &mut ChaCha8Rng, service: &str) -> String {
    match service {
        "EBS" => format!("vol-0{:016x}", more.random::<u64>()),
        "RDS" => format!("db-{:04}", more.random_range(0..10_000)),
        _ => format!("i-0{:016x}", more.random::<u64>()),
    }
}

fn entity_status(more: &mut ChaCha8Rng) -> String {
    ["IMPAIRED", "IMPAIRED", "UNIMPAIRED", "UNKNOWN"][more.random_range(0..4)].into()
}

/// The dimensions of an EC2 vCPU usage metric of `class`, in name order.
fn ec2_dimensions(class: &'static str) -> [(&'static str, &'static str); 4] {
    [("Class", class), ("Resource", "vCPU"), ("Service", "EC2"), ("Type", "Resource")]
}

fn usage_metric(
    namespace: &'static str,
    name: &'static str,
    dimensions: &[(&'static str, &'static str)],
) -> UsageMetric {
    UsageMetric {
        namespace: Cow::Borrowed(namespace),
        name: Cow::Borrowed(name),
        dimensions: dimensions.iter().map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v))).collect(),
        statistic: Cow::Borrowed("Maximum"),
    }
}

fn quota(service: &'static str, code: &'static str, name: &'static str, value: f64, usage: Option<f64>) -> Quota {
    Quota {
        service_code: Cow::Borrowed(service),
        code: Cow::Borrowed(code),
        name: Cow::Borrowed(name),
        value,
        unit: Cow::Borrowed("None"),
        adjustable: true,
        usage,
        usage_metric: None,
    }
}

/// (name, id, creation time) of `count` roles or users.
fn principals<'a>(
    rng: &'a mut ChaCha8Rng,
    kind: &'a str,
    prefix: &'a str,
    count: usize,
) -> impl Iterator<Item = (String, String, String)> + 'a {
    (0..count).map(move |i| (format!("{kind}-{i:03}"), format!("{prefix}{:016X}", rng.random::<u64>()), timestamp(rng)))
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

    /// 2026-09-04, a day for tests that must not depend on the clock.
    const DAY_X: i64 = 20_700;

    #[test]
    fn same_seed_same_org_other_seed_other_org() {
        let spec = OrgSpec { accounts: 3, ..OrgSpec::default() };
        assert_eq!(spec.generate_on(DAY_X), spec.generate_on(DAY_X));
        assert_ne!(spec.generate_on(DAY_X), OrgSpec { seed: 8, ..spec.clone() }.generate_on(DAY_X));
        // Another day moves the activity dates and nothing else.
        let (today, mut later) = (spec.generate_on(DAY_X), spec.generate_on(DAY_X + 30));
        assert_ne!(today, later);
        for (a, b) in today.accounts.iter().zip(&mut later.accounts) {
            for (u, v) in a.iam.users.iter().zip(&mut b.iam.users) {
                v.password_last_used.clone_from(&u.password_last_used);
                for (k, l) in u.access_keys.iter().zip(&mut v.access_keys) {
                    l.last_used.clone_from(&k.last_used);
                }
            }
        }
        assert_eq!(today, later);
    }

    /// The alert level of a quota's usage, as a collector would compute it.
    fn level(q: &Quota) -> &'static str {
        match q.usage.map(|u| u / q.value * 100.0) {
            None => "no datapoint",
            Some(p) if p >= 90.0 => "CRITICAL",
            Some(p) if p >= 80.0 => "WARNING",
            Some(_) => "OK",
        }
    }

    /// Days before `today` of an ISO date.
    fn age(date: &str, today: i64) -> i64 {
        today - (clock::parse(date).unwrap() as i64).div_euclid(DAY)
    }

    #[test]
    fn generated_organisations_hold_every_kind_of_case() {
        let org = OrgSpec { accounts: 60, ..OrgSpec::default() }.generate_on(DAY_X);
        let users: Vec<&User> = org.accounts.iter().flat_map(|a| &a.iam.users).collect();
        assert!(users.iter().any(|u| u.mfa_devices.is_empty()) && users.iter().any(|u| !u.mfa_devices.is_empty()));
        assert!(users.iter().any(|u| u.password_last_used.is_none()));
        let keys: Vec<&AccessKey> = users.iter().flat_map(|u| &u.access_keys).collect();
        let active = |k: &&&AccessKey| k.status == "Active";
        let used_within = |k: &AccessKey, days: std::ops::RangeInclusive<i64>| {
            k.last_used.as_ref().is_some_and(|u| days.contains(&age(&u.date, DAY_X)))
        };
        assert!(keys.iter().filter(active).any(|k| used_within(k, 1..=30)));
        assert!(keys.iter().filter(active).any(|k| used_within(k, 91..=600)));
        assert!(keys.iter().filter(active).any(|k| k.last_used.is_none() && age(&k.create_date, DAY_X) > 90));
        assert!(keys.iter().any(|k| k.status == "Inactive"));
        for key in &keys {
            assert!(key.id.starts_with("AKIA") && key.id.len() == 20, "{}", key.id);
            if let Some(used) = &key.last_used {
                assert!(used.date > key.create_date, "used before it was created: {key:?}");
                assert!(age(&used.date, DAY_X) >= 1, "used in the future: {key:?}");
            }
        }

        let events: Vec<&HealthEvent> = org.accounts.iter().flat_map(|a| &a.health_events).collect();
        for status in ["open", "closed", "upcoming"] {
            assert!(events.iter().any(|e| e.status == status && !e.entities.is_empty()), "{status}");
        }
        assert!(events.iter().filter(|e| e.status == "closed").all(|e| e.end_time.is_some()));
        let shared = events.iter().filter(|e| e.event_type_code == "AWS_EC2_MAINTENANCE_SCHEDULED").count();
        assert!(shared > 10, "one event shared by many accounts: {shared}");

        let quotas: Vec<&Quota> =
            org.accounts.iter().flat_map(|a| a.regions.values().flat_map(|r| &r.quotas)).collect();
        let metered: std::collections::BTreeSet<&str> =
            quotas.iter().filter(|q| q.usage_metric.is_some()).map(|q| level(q)).collect();
        assert_eq!(metered.into_iter().collect::<Vec<_>>(), ["CRITICAL", "OK", "WARNING", "no datapoint"]);
        assert!(quotas.iter().any(|q| q.usage_metric.is_none() && q.code == "L-F678F1CE"));
    }

    #[test]
    fn the_demo_holds_its_documented_cases() {
        let org = demo_on(DAY_X);
        let management = &org.accounts[0];
        let user = |name: &str| management.iam.users.iter().find(|u| u.name == name).unwrap();
        let mfa: Vec<bool> = (0..6).map(|i| !user(&format!("user-{i:03}")).mfa_devices.is_empty()).collect();
        assert_eq!(mfa, [true, false, false, true, false, true]);
        let last_used =
            |name: &str, k: usize| user(name).access_keys[k].last_used.as_ref().map(|u| age(&u.date, DAY_X));
        assert_eq!(last_used("user-000", 0), Some(2));
        assert_eq!(last_used("user-001", 0), Some(200));
        assert_eq!((last_used("user-002", 0), user("user-002").access_keys[0].status.as_str()), (None, "Active"));
        assert_eq!(user("user-003").access_keys[0].status, "Inactive");
        assert_eq!(user("user-002").password_last_used, None);
        assert_eq!(age(user("user-004").password_last_used.as_deref().unwrap(), DAY_X), 120);
        for u in org.accounts.iter().flat_map(|a| &a.iam.users) {
            for k in &u.access_keys {
                let (user_made, key_made) = (clock::parse(&u.create_date), clock::parse(&k.create_date));
                assert!(
                    user_made < key_made,
                    "{} made {} has key {} made {}",
                    u.name,
                    u.create_date,
                    k.id,
                    k.create_date
                );
            }
        }

        let levels = |region: &str| -> Vec<(&str, &str)> {
            management.regions[region].quotas.iter().map(|q| (q.code.as_ref(), level(q))).collect()
        };
        let us = levels("us-east-1");
        for expected in [
            ("L-1216C47A", "CRITICAL"),
            ("L-34B43A08", "WARNING"),
            ("L-DB2E81BA", "no datapoint"),
            ("L-417A185B", "OK"),
            ("L-B99A9384", "OK"),
        ] {
            assert!(us.contains(&expected), "{expected:?} in {us:?}");
        }
        assert!(levels("eu-west-1").contains(&("L-1216C47A", "OK")));

        let statuses: std::collections::BTreeSet<&str> =
            org.accounts[..2].iter().flat_map(|a| &a.health_events).map(|e| e.status.as_str()).collect();
        assert_eq!(statuses.into_iter().collect::<Vec<_>>(), ["closed", "open", "upcoming"]);
        let shared = &management.health_events[3];
        assert!(org.accounts[1].health_events.iter().any(|e| e.arn == shared.arn));
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
