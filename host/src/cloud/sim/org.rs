//! The simulated organisation: accounts, their regions and resources.
//!
//! This is also the format of a fixture file (`--fixture org.json`): the
//! same structure as JSON. `host sim export` prints the built-in demo in
//! this format, a good starting point for a fixture of one's own.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// A whole simulated organisation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// Member accounts, the management account first.
    pub accounts: Vec<Account>,
}

/// One AWS account.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// 12-digit account id.
    pub id: String,
    /// Friendly name.
    pub name: String,
    /// `ACTIVE` or `SUSPENDED`, as AWS Organizations reports it.
    #[serde(default = "active")]
    pub status: String,
    /// `basic`, `developer`, `business` or `enterprise`; AWS Health answers
    /// only for business and enterprise.
    #[serde(default = "basic")]
    pub support_plan: String,
    /// Regional resources, by region name. The keys are the regions the
    /// account has enabled.
    pub regions: BTreeMap<String, Region>,
    /// Account-wide IAM entities.
    #[serde(default)]
    pub iam: Iam,
    /// AWS Health events affecting the account.
    #[serde(default)]
    pub health_events: Vec<HealthEvent>,
    /// Places where the caller is denied (an SCP, a missing permission).
    #[serde(default)]
    pub denied: Vec<Denial>,
}

fn active() -> String {
    "ACTIVE".to_owned()
}

fn basic() -> String {
    "basic".to_owned()
}

/// Resources of one account in one region.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// EBS volumes.
    #[serde(default)]
    pub volumes: Vec<Volume>,
    /// Service Quotas with their current usage.
    #[serde(default)]
    pub quotas: Vec<Quota>,
    /// Regional services this region does not offer (in AWS their
    /// endpoint does not exist; calls are answered `trawl.NoEndpoint`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_services: Vec<String>,
}

/// An EBS volume.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// `vol-...`
    pub id: String,
    /// Size in GiB.
    pub size: u64,
    /// `gp2`, `gp3`, `io1`, `io2`, `st1`, `sc1` or `standard`.
    pub volume_type: String,
    /// `creating`, `available`, `in-use`, `deleting`, `deleted` or `error`.
    pub state: String,
    /// e.g. `eu-west-1a`.
    pub availability_zone: String,
    /// ISO 8601, e.g. `2024-03-01T10:00:00.000Z`.
    pub create_time: String,
    /// Whether the volume is encrypted.
    #[serde(default)]
    pub encrypted: bool,
    /// The instance it is attached to, for `in-use` volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attached_to: Option<String>,
    /// Tags, in key order; a JSON object in fixture files. A vector, not a
    /// map: volumes have one or two tags, and a map's node would be ten
    /// times their size in a large simulated organisation.
    #[serde(default, with = "tag_map")]
    pub tags: Vec<(String, String)>,
}

/// Tags as a JSON object in fixtures, as sorted pairs in memory.
mod tag_map {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, K: Serialize + Ord, V: Serialize>(
        tags: &[(K, V)],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        tags.iter().map(|(k, v)| (k, v)).collect::<BTreeMap<_, _>>().serialize(s)
    }

    pub fn deserialize<'de, D, K, V>(d: D) -> Result<Vec<(K, V)>, D::Error>
    where
        D: Deserializer<'de>,
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
    {
        Ok(BTreeMap::<K, V>::deserialize(d)?.into_iter().collect())
    }
}

/// Text that is the same in every region of a generated organisation
/// (quota names, metric dimensions): borrowed from the generator, owned
/// only when read from a fixture, so thousands of regions do not each
/// allocate their own copies.
pub type Text = Cow<'static, str>;

/// IAM roles and users of an account.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Iam {
    /// Roles.
    #[serde(default)]
    pub roles: Vec<Principal>,
    /// Users.
    #[serde(default)]
    pub users: Vec<User>,
}

/// An IAM role.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Principal {
    /// Role name.
    pub name: String,
    /// Stable id (`AROA...`).
    pub id: String,
    /// Path, usually `/`.
    #[serde(default = "root_path")]
    pub path: String,
    /// ISO 8601 creation time.
    pub create_date: String,
}

/// An IAM user and its credentials.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// User name.
    pub name: String,
    /// Stable id (`AIDA...`).
    pub id: String,
    /// Path, usually `/`.
    #[serde(default = "root_path")]
    pub path: String,
    /// ISO 8601 creation time.
    pub create_date: String,
    /// When the user last signed in with a password (ISO 8601); absent
    /// when never (or no password).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_last_used: Option<String>,
    /// MFA devices enabled for the user.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mfa_devices: Vec<MfaDevice>,
    /// Access keys (AWS allows two per user; the simulator does not check).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_keys: Vec<AccessKey>,
}

/// An MFA device enabled for a user.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MfaDevice {
    /// The serial number; for a virtual device its ARN
    /// (`arn:aws:iam::ACCOUNT:mfa/NAME`).
    pub serial_number: String,
    /// ISO 8601 time it was enabled.
    pub enable_date: String,
}

/// An access key of a user (its secret is never anywhere).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccessKey {
    /// `AKIA` and 16 more characters.
    pub id: String,
    /// `Active` or `Inactive`.
    pub status: String,
    /// ISO 8601 creation time.
    pub create_date: String,
    /// Its most recent use; absent when never used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<KeyUse>,
}

/// The most recent use of an access key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KeyUse {
    /// ISO 8601 time of the use.
    pub date: String,
    /// The service called, e.g. `s3`.
    pub service: String,
    /// The region called, e.g. `eu-west-1`.
    pub region: String,
}

fn root_path() -> String {
    "/".to_owned()
}

/// An AWS Health event as one account sees it. The same event (one ARN)
/// may appear in several accounts, each with its own affected entities;
/// the organisational view joins them by ARN.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HealthEvent {
    /// Event ARN.
    pub arn: String,
    /// Affected service, e.g. `EC2`.
    pub service: String,
    /// e.g. `AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED`.
    pub event_type_code: String,
    /// `issue`, `accountNotification` or `scheduledChange`.
    pub category: String,
    /// Affected region.
    pub region: String,
    /// `open`, `closed` or `upcoming`.
    pub status: String,
    /// Start, seconds since the epoch.
    pub start_time: f64,
    /// End, seconds since the epoch: answered for closed events only
    /// (`lastUpdatedTime` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<f64>,
    /// Last update, seconds since the epoch (the end, else the start, when
    /// absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_time: Option<f64>,
    /// `eventScopeCode`: `ACCOUNT_SPECIFIC` (the default) or `PUBLIC` (an
    /// event of a service in a region, affecting no account in particular).
    #[serde(default = "account_specific")]
    pub scope: String,
    /// Resources of this account the event affects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<AffectedEntity>,
}

fn account_specific() -> String {
    "ACCOUNT_SPECIFIC".to_owned()
}

/// A resource an AWS Health event affects.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AffectedEntity {
    /// The resource, e.g. an instance or volume id.
    pub value: String,
    /// `IMPAIRED`, `UNIMPAIRED` or `UNKNOWN` (AWS also has `PENDING` and
    /// `RESOLVED`).
    pub status: String,
}

impl HealthEvent {
    /// `lastUpdatedTime`: the recorded update, else the end, else the start.
    pub fn updated(&self) -> f64 {
        self.last_updated_time.or(self.end_time).unwrap_or(self.start_time)
    }
}

/// A service quota and what the account uses of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// e.g. `ec2`.
    pub service_code: Text,
    /// e.g. `L-1216C47A`.
    pub code: Text,
    /// e.g. `Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances`.
    pub name: Text,
    /// The quota value.
    pub value: f64,
    /// e.g. `None` or `Count`.
    #[serde(default = "none_unit")]
    pub unit: Text,
    /// Whether an increase can be requested.
    #[serde(default)]
    pub adjustable: bool,
    /// Current usage, in the quota's unit: what CloudWatch answers for
    /// `usage_metric`. Absent or null: CloudWatch has no datapoint. (Old
    /// fixtures' numbers read as they did.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<f64>,
    /// The CloudWatch metric that measures the usage, when the quota has
    /// one (Service Quotas' `UsageMetric`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_metric: Option<UsageMetric>,
}

/// The CloudWatch metric of a quota's usage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UsageMetric {
    /// e.g. `AWS/Usage`.
    pub namespace: Text,
    /// e.g. `ResourceCount`.
    pub name: Text,
    /// Dimensions, in name order; a JSON object in fixture files (a
    /// vector in memory, like [`Volume::tags`]).
    #[serde(default, with = "tag_map")]
    pub dimensions: Vec<(Text, Text)>,
    /// The statistic Service Quotas recommends, `Maximum` or `Sum`.
    #[serde(default = "maximum")]
    pub statistic: Text,
}

fn maximum() -> Text {
    Cow::Borrowed("Maximum")
}

fn none_unit() -> Text {
    Cow::Borrowed("None")
}

/// Where calls are denied: everything, one region, one service, or one
/// service in one region.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Denial {
    /// Only in this region (all regions when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Only for this service (all services when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

/// A fixture file that cannot be used, with the file named.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The fixture path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid organisation document.
    #[error("{path}: not a valid organisation fixture: {source}")]
    Parse {
        /// The fixture path.
        path: String,
        /// Where and why parsing failed.
        source: serde_json::Error,
    },
    /// The document parsed but says something impossible.
    #[error("{path}: {problem}")]
    Invalid {
        /// The fixture path.
        path: String,
        /// What is wrong.
        problem: String,
    },
}

impl Organization {
    /// Reads and checks a fixture file.
    pub fn from_file(path: &Path) -> Result<Self, FixtureError> {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| FixtureError::Read { path: shown.clone(), source })?;
        Self::parse(&shown, &text)
    }

    /// Parses and checks a fixture document, `path` naming it in errors.
    /// Any text is an organisation or an error: serde_json refuses nesting
    /// deeper than 128 levels, so a hostile file cannot exhaust the stack.
    fn parse(path: &str, text: &str) -> Result<Self, FixtureError> {
        let org: Organization =
            serde_json::from_str(text).map_err(|source| FixtureError::Parse { path: path.to_owned(), source })?;
        org.check().map_err(|problem| FixtureError::Invalid { path: path.to_owned(), problem })?;
        Ok(org)
    }

    /// Checks what serde cannot: ids, duplicates, empty organisations.
    pub fn check(&self) -> Result<(), String> {
        if self.accounts.is_empty() {
            return Err("the organisation has no accounts".into());
        }
        let mut seen = std::collections::HashSet::new();
        for a in &self.accounts {
            if a.id.len() != 12 || !a.id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("account id {:?} is not 12 digits", a.id));
            }
            if !seen.insert(&a.id) {
                return Err(format!("account {} appears twice", a.id));
            }
        }
        Ok(())
    }

    /// The account with this id.
    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    /// Every region any account has enabled, sorted.
    pub fn regions(&self) -> Vec<String> {
        let mut all: Vec<String> = self.accounts.iter().flat_map(|a| a.regions.keys().cloned()).collect();
        all.sort();
        all.dedup();
        all
    }
}

impl Account {
    /// True when a call to `service` in `region` is denied.
    pub fn denies(&self, service: &str, region: &str) -> bool {
        self.denied.iter().any(|d| {
            d.region.as_deref().is_none_or(|r| r == region) && d.service.as_deref().is_none_or(|s| s == service)
        })
    }

    /// True when the account has a support plan that includes AWS Health.
    pub fn has_health_api(&self) -> bool {
        matches!(self.support_plan.as_str(), "business" | "enterprise")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::cloud::sim::demo;

    /// The demo organisation as a fixture document, the seed of the
    /// structure-aware cases.
    static DEMO: LazyLock<Value> = LazyLock::new(|| serde_json::to_value(demo()).unwrap());

    #[test]
    fn the_demo_round_trips_and_mistakes_are_named() {
        let org = Organization::parse("demo.json", &DEMO.to_string()).unwrap();
        assert_eq!(org, demo());
        let mut twice = DEMO.clone();
        let first = twice["accounts"][0].clone();
        twice["accounts"].as_array_mut().unwrap().push(first);
        let e = Organization::parse("org.json", &twice.to_string()).unwrap_err().to_string();
        assert!(e.starts_with("org.json: ") && e.contains("appears twice"), "{e}");
        let e = Organization::parse("org.json", r#"{"accounts": [], "extra": 1}"#).unwrap_err().to_string();
        assert!(e.contains("extra"), "{e}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let n = 100_000;
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let deep = format!("{}1{}", open.repeat(n), close.repeat(n));
            assert!(Organization::parse("deep.json", &deep).is_err());
            // Deep inside a field that takes any map of strings, too.
            let in_tags = format!(
                r#"{{"accounts":[{{"id":"111111111111","name":"a","regions":{{"r":{{"volumes":[{{"id":"v","size":1,"volume_type":"gp3","state":"available","availability_zone":"r","create_time":"t","tags":{{"k":{}1{}}}}}]}}}}}}]}}"#,
                open.repeat(n),
                close.repeat(n)
            );
            let e = Organization::parse("deep.json", &in_tags).unwrap_err();
            assert!(matches!(e, FixtureError::Parse { .. }), "{e}");
        }
    }

    /// Any JSON value, shallow and small.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            Just(json!(u64::MAX)),
            Just(json!(-1)),
            "\\PC{0,12}".prop_map(Value::String),
            Just(json!("111111111111")),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// One change somewhere in a document: the value at a path (chosen by
    /// `steps`) replaced, removed, or given an unknown sibling.
    fn mutate(doc: &mut Value, steps: &[usize], how: u8, replacement: Value) {
        let mut node = doc;
        for &step in steps {
            let len = match &*node {
                Value::Array(items) => items.len(),
                Value::Object(map) => map.len(),
                _ => 0,
            };
            if len == 0 {
                break;
            }
            node = match node {
                Value::Array(items) => &mut items[step % len],
                Value::Object(map) => map.values_mut().nth(step % len).expect("in range"),
                _ => unreachable!("a container"),
            };
        }
        match (how % 3, node) {
            (1, Value::Object(map)) if !map.is_empty() => {
                let key = map.keys().next().cloned().unwrap();
                map.remove(&key);
            }
            (2, Value::Object(map)) => {
                map.insert("unexpected".into(), replacement);
            }
            (_, node) => *node = replacement,
        }
    }

    fn check(text: &str) -> Result<(), TestCaseError> {
        match Organization::parse("f.json", text) {
            Ok(org) => prop_assert!(org.check().is_ok()),
            Err(e) => prop_assert!(e.to_string().starts_with("f.json: ")),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
            check(&text)?;
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            check(&String::from_utf8_lossy(&bytes))?;
        }

        #[test]
        fn arbitrary_json_shapes_never_panic(doc in any_json(), accounts in any_json()) {
            check(&doc.to_string())?;
            check(&json!({"accounts": [accounts]}).to_string())?;
        }
    }

    proptest! {
        // Each case serialises and parses the whole demo organisation.
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn damaged_fixtures_never_panic(
            changes in proptest::collection::vec(
                (proptest::collection::vec(any::<usize>(), 0..7), any::<u8>(), any_json()),
                1..4,
            ),
        ) {
            let mut doc = DEMO.clone();
            for (steps, how, replacement) in changes {
                mutate(&mut doc, &steps, how, replacement);
            }
            check(&doc.to_string())?;
        }
    }
}
