//! The run configuration: a TOML file (`--config trawl.toml`) whose keys
//! are the flags' names, overridden by the flags themselves.
//!
//! ```toml
//! regions = ["eu-west-1", "us-east-1"]
//! max_workers = 20
//! timeout = "60s"          # per task
//! retry_count = 0          # task-level retries, the seed's ParallelConfig
//! retry_delay = "1s"
//! max_failures = 3         # join policy
//! min_success = "90%"
//! deadline = "10m"
//! profile = "audit"        # AWS runs: the caller's profile
//! role_name = "OrganizationAccountAccessRole"
//!
//! [retries]                # per API call
//! max_attempts = 8
//! call_timeout = "20s"
//!
//! [limits]                 # client-side buckets
//! client_side = true
//! max_in_flight = 128
//! rules."ec2" = { tokens_per_second = 20, max_tokens = 100 }
//! rules."iam:ListRoles" = { tokens_per_second = 2 }
//!
//! [[account]]              # AWS runs: an account and how it is reached
//! id = "111122223333"
//! name = "prod"
//! role = "TrawlAudit"      # a role name or ARN; or profile = "prod-sso"
//! external_id = "k9-ops"
//!
//! [plugins.iam]            # a plugin's settings, by the plugin's name
//! source = "plugins/iam.wasm"   # optional: also run it
//! stale_after_days = 30
//!
//! [sim]                    # the simulated cloud
//! generate = "accounts=200,regions=4,volumes=60,seed=7"
//! latency = "20ms"
//! latency_p99 = "120ms"
//! error_rate = 0.02
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::limits::Override;
use crate::runtime::settings::{Given, SettingArg};
use crate::scheduler::Quorum;

/// Everything a run can be told in its config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Accounts by id or name.
    pub accounts: Option<Vec<String>>,
    /// `[[account]]`: the accounts of an AWS run and how each is reached.
    #[serde(default, rename = "account")]
    pub account_list: Vec<AccountConfig>,
    /// Collect from AWS instead of the simulated cloud.
    pub aws: Option<bool>,
    /// The AWS profile of the caller's credentials.
    pub profile: Option<String>,
    /// Role assumed in accounts that do not say how they are reached.
    pub role_name: Option<String>,
    /// External id for `role_name`.
    pub external_id: Option<String>,
    /// Discover the accounts with AWS Organizations.
    pub org: Option<bool>,
    /// Regions, or `all`.
    pub regions: Option<Vec<String>>,
    /// Tasks in flight at once.
    pub max_workers: Option<u32>,
    /// Per-task timeout.
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<Duration>,
    /// Task-level retries.
    pub retry_count: Option<u32>,
    /// Pause before a task-level retry.
    #[serde(default, deserialize_with = "duration")]
    pub retry_delay: Option<Duration>,
    /// Stop after more than this many failures.
    pub max_failures: Option<usize>,
    /// Quorum: a count or `NN%`.
    #[serde(default, deserialize_with = "quorum")]
    pub min_success: Option<Quorum>,
    /// Wall-time deadline of the run.
    #[serde(default, deserialize_with = "duration")]
    pub deadline: Option<Duration>,
    /// Seed of the scheduling order.
    pub seed: Option<u64>,
    /// Per-call retry settings.
    #[serde(default)]
    pub retries: RetriesConfig,
    /// Client-side rate limits.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// The simulated cloud.
    #[serde(default)]
    pub sim: SimConfig,
    /// Output format: `table`, `json`, `jsonl` or `csv`.
    pub output: Option<String>,
    /// Where dated report directories go, relative to the config file's
    /// folder.
    pub report: Option<PathBuf>,
    /// This run's shard, `I/N`.
    pub shard: Option<String>,
    /// No progress bar.
    pub no_progress: Option<bool>,
    /// Bytes of records one target may return (`8MiB` or a number).
    #[serde(default, deserialize_with = "size")]
    pub max_output_per_target: Option<usize>,
    /// Where every AWS call goes.
    pub endpoint_url: Option<String>,
    /// Plugins to run: files relative to the config file's folder, or
    /// `oci://` references. `[plugins.NAME]` tables with a `source` add to
    /// this list.
    pub plugins: Option<Vec<String>>,
    /// Plugin settings as `PLUGIN.SETTING=VALUE`, as `--set` takes them.
    pub set: Option<Vec<String>>,
    /// Databases the run is written into (`--into`).
    pub into: Option<Vec<String>>,
    /// The run's id in the databases.
    pub run_id: Option<String>,
    /// Complete runs of the same plugins kept in the databases.
    pub keep: Option<usize>,
    /// After the run, say what changed since the previous complete run.
    pub diff: Option<bool>,
    /// Settings from `[plugins.NAME]` tables.
    #[serde(skip)]
    pub plugin_settings: Vec<SettingArg>,
    /// The lock file plugins are held to, relative to the config's folder.
    pub lock: Option<PathBuf>,
    /// Accept the plugins as they are and rewrite the lock file.
    pub update_lock: Option<bool>,
    /// Plain HTTP to the plugin references' registries.
    pub registry_insecure: Option<bool>,
    /// `[trust]`: the keys whose plugin signatures are accepted.
    #[serde(default)]
    pub trust: TrustConfig,
}

/// `[trust]`: signing keys.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustConfig {
    /// OpenSSH ed25519 public key files, relative to the config's folder.
    #[serde(default)]
    pub keys: Vec<PathBuf>,
}

/// `[[account]]`: one AWS account, reached with a profile of its own or a
/// role (a name in that account, or a full ARN) assumed with the caller's
/// credentials; with neither, `role_name` (or, for the caller's own
/// account, the caller's credentials).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// The 12-digit account id.
    pub id: String,
    /// A name for reports and `--accounts`.
    pub name: Option<String>,
    /// A profile of the shared AWS config files.
    pub profile: Option<String>,
    /// A role name or ARN to assume.
    pub role: Option<String>,
    /// The external id the role's trust policy asks for.
    pub external_id: Option<String>,
}

impl AccountConfig {
    fn check(&self) -> Result<(), String> {
        let named = || format!("[[account]] {:?}", self.id);
        if self.id.len() != 12 || !self.id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{}: id must be a 12-digit account id", named()));
        }
        if self.profile.is_some() && (self.role.is_some() || self.external_id.is_some()) {
            return Err(format!("{}: give either a profile or a role, not both", named()));
        }
        if self.external_id.is_some() && self.role.is_none() {
            return Err(format!("{}: external_id needs a role", named()));
        }
        Ok(())
    }
}

/// `[retries]`: per API call.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetriesConfig {
    /// Attempts per call, the first included.
    pub max_attempts: Option<u32>,
    /// Time one attempt may take.
    #[serde(default, deserialize_with = "duration")]
    pub call_timeout: Option<Duration>,
}

/// `[limits]`: client-side buckets.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Apply the buckets (false only to measure what they buy).
    pub client_side: Option<bool>,
    /// Calls in flight across the run.
    pub max_in_flight: Option<usize>,
    /// Overrides by `service` or `service:Operation`.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleConfig>,
}

/// One override, in the seed's names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Refill rate.
    pub tokens_per_second: f64,
    /// Bucket size (default: the service default's).
    pub max_tokens: Option<u32>,
}

/// `[sim]`: the simulated cloud.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    /// An organisation fixture file.
    pub fixture: Option<PathBuf>,
    /// A generated organisation: `accounts=N,regions=N,volumes=N,seed=N`.
    pub generate: Option<String>,
    /// Server-side throttling on or off.
    pub throttling: Option<bool>,
    /// Median call latency.
    #[serde(default, deserialize_with = "duration")]
    pub latency: Option<Duration>,
    /// 99th-percentile call latency.
    #[serde(default, deserialize_with = "duration")]
    pub latency_p99: Option<Duration>,
    /// Fraction of calls answered 5xx.
    pub error_rate: Option<f64>,
    /// Fraction of calls answered late.
    pub slow_rate: Option<f64>,
    /// How late.
    #[serde(default, deserialize_with = "duration")]
    pub slow_by: Option<Duration>,
    /// Accounts whose credentials fail.
    pub broken_accounts: Option<Vec<String>>,
    /// Server-side bucket overrides.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleConfig>,
    /// Seed of latency and faults.
    pub seed: Option<u64>,
}

/// A config file that cannot be used, with the file named.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct ConfigError {
    /// The file.
    pub path: String,
    /// What is wrong, with the line where TOML says.
    pub reason: String,
}

impl RunConfig {
    /// Reads `path` (see [`RunConfig::parse`]); plugin paths in it are
    /// taken relative to its folder.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| ConfigError { path: shown.clone(), reason: e.to_string() })?;
        let mut config = Self::parse(&text).map_err(|reason| ConfigError { path: shown, reason })?;
        if let Some(dir) = path.parent() {
            for relative in config.report.iter_mut().chain(&mut config.lock).chain(&mut config.trust.keys) {
                *relative = dir.join(&*relative);
            }
            for plugin in config.plugins.iter_mut().flatten() {
                if !plugin.starts_with(crate::distribution::source::OCI_SCHEME) {
                    *plugin = dir.join(&*plugin).display().to_string();
                }
            }
        }
        Ok(config)
    }

    /// What TOML cannot say: each `[[account]]` well formed, listed once.
    fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for account in &self.account_list {
            account.check()?;
            if !seen.insert(&account.id) {
                return Err(format!("[[account]] {:?} is listed twice", account.id));
            }
        }
        Ok(())
    }
}

/// Top-level keys that are `host run` flags kept elsewhere in the file's
/// own layout, and where they go: `section.key`, or a `!` for a negated
/// boolean (`no_client_limits = true` is `[limits] client_side = false`).
const FLAG_KEYS: &[(&str, &str)] = &[
    ("max_attempts", "retries.max_attempts"),
    ("call_timeout", "retries.call_timeout"),
    ("max_in_flight", "limits.max_in_flight"),
    ("no_client_limits", "!limits.client_side"),
    ("fixture", "sim.fixture"),
    ("sim_generate", "sim.generate"),
    ("sim_error_rate", "sim.error_rate"),
    ("sim_slow_rate", "sim.slow_rate"),
    ("sim_broken", "sim.broken_accounts"),
    ("no_sim_throttling", "!sim.throttling"),
    ("sim_seed", "sim.seed"),
    ("trust", "trust.keys"),
];

/// Keys whose value is a list, which also take one string of
/// comma-separated items, as their flags do.
const LIST_KEYS: &[&str] =
    &["accounts", "regions", "plugins", "rate_limit", "sim_limit", "sim_broken", "broken_accounts", "trust", "into"];

impl RunConfig {
    /// Reads a config file's text: every `host run` flag under its own
    /// name (with `-` or `_`), a string of comma-separated items where a
    /// list is expected, and the sections (`[retries]`, `[limits]`,
    /// `[sim]`, `[[account]]`) for those who prefer them.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string().trim_end().to_owned())?;
        // Plugin names (`[plugins.health-org]`) are data, not keys to fold.
        let plugin_tables = match table.remove("plugins") {
            Some(toml::Value::Table(plugins)) => Some(plugins),
            Some(list) => {
                table.insert("plugins".into(), list);
                None
            }
            None => None,
        };
        normalize_keys(&mut table);
        // `[into]` with `urls` and `keep` says what `into = [...]` and
        // `keep = N` say.
        if matches!(table.get("into"), Some(toml::Value::Table(_)))
            && let Some(toml::Value::Table(mut section)) = table.remove("into")
        {
            if let Some(urls) = section.remove("urls").or_else(|| section.remove("url")) {
                table.insert("into".into(), urls);
            }
            if let Some(keep) = section.remove("keep") {
                table.insert("keep".into(), keep);
            }
            if let Some(diff) = section.remove("diff") {
                table.insert("diff".into(), diff);
            }
            if let Some(key) = section.keys().next() {
                return Err(format!("unknown key `into.{key}`; [into] takes urls, keep and diff"));
            }
        }
        // One setting needs no list; a comma in it is the setting's own.
        if let Some(toml::Value::String(one)) = table.get("set") {
            let one = toml::Value::Array(vec![toml::Value::String(one.clone())]);
            table.insert("set".into(), one);
        }
        hoist_flags(&mut table)?;
        let known: Vec<&str> = KNOWN_KEYS.iter().chain(FLAG_KEYS.iter().map(|(k, _)| k)).copied().collect();
        if let Some(key) = table.keys().find(|k| !KNOWN_KEYS.contains(&k.as_str())) {
            return Err(format!("unknown key `{key}`{}", crate::suggest::did_you_mean(key, known)));
        }
        let mut config = Self::deserialize(table).map_err(|e| e.to_string().trim_end().to_owned())?;
        if let Some(plugins) = plugin_tables {
            let (sources, settings) = plugin_sections(plugins)?;
            config.plugins = (!sources.is_empty()).then_some(sources);
            config.plugin_settings = settings;
        }
        config.check()?;
        Ok(config)
    }
}

/// `[plugins.NAME]` tables: an optional `source` (a file or reference to
/// run) and the plugin's settings, checked against what it declares once
/// it is loaded.
fn plugin_sections(plugins: toml::Table) -> Result<(Vec<String>, Vec<SettingArg>), String> {
    let mut sources = Vec::new();
    let mut settings = Vec::new();
    for (plugin, section) in plugins {
        let toml::Value::Table(mut section) = section else {
            return Err(format!(
                "`plugins.{plugin}` must be a table of settings ([plugins.{plugin}]), or `plugins` a list of files"
            ));
        };
        normalize_keys(&mut section);
        match section.remove("source") {
            Some(toml::Value::String(source)) => sources.push(source),
            Some(other) => return Err(format!("`plugins.{plugin}.source` must be a file or reference, not {other}")),
            None => {}
        }
        for (name, value) in section {
            settings.push(SettingArg { plugin: plugin.clone(), name, value: Given::Toml(value) });
        }
    }
    Ok((sources, settings))
}

/// The top-level keys [`RunConfig`] reads itself.
const KNOWN_KEYS: &[&str] = &[
    "accounts",
    "account",
    "aws",
    "profile",
    "role_name",
    "external_id",
    "org",
    "regions",
    "max_workers",
    "timeout",
    "retry_count",
    "retry_delay",
    "max_failures",
    "min_success",
    "deadline",
    "seed",
    "retries",
    "limits",
    "sim",
    "output",
    "report",
    "shard",
    "no_progress",
    "max_output_per_target",
    "endpoint_url",
    "plugins",
    "set",
    "into",
    "run_id",
    "keep",
    "diff",
    "lock",
    "update_lock",
    "registry_insecure",
    "trust",
    "rate_limit",
    "sim_limit",
    "sim_latency",
];

/// `max-workers` and `max_workers` are one key, at every level.
fn normalize_keys(table: &mut toml::Table) {
    let entries: Vec<(String, toml::Value)> = std::mem::take(table).into_iter().collect();
    for (key, mut value) in entries {
        match &mut value {
            toml::Value::Table(inner) => normalize_keys(inner),
            toml::Value::Array(items) => {
                for item in items {
                    if let toml::Value::Table(inner) = item {
                        normalize_keys(inner);
                    }
                }
            }
            _ => {}
        }
        // Quoted rule names (`rules."ec2:Describe-X"`) are data: only
        // bare key words are folded.
        let key = if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            key.replace('-', "_")
        } else {
            key
        };
        table.insert(key, value);
    }
}

/// Moves flag-named keys to where the file's layout keeps them, and
/// splits comma-separated strings where lists are expected.
fn hoist_flags(table: &mut toml::Table) -> Result<(), String> {
    split_lists(table);
    for section in ["sim"] {
        if let Some(toml::Value::Table(inner)) = table.get_mut(section) {
            split_lists(inner);
        }
    }
    for (flag, place) in FLAG_KEYS {
        // `[trust]` is the section itself, `trust = [...]` the flag's name.
        if matches!(table.get(*flag), Some(toml::Value::Table(_))) {
            continue;
        }
        let Some(mut value) = table.remove(*flag) else { continue };
        let (negate, place) = match place.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, *place),
        };
        if negate {
            let b = value.as_bool().ok_or_else(|| format!("`{flag}` must be true or false"))?;
            value = toml::Value::Boolean(!b);
        }
        let (section, key) = place.split_once('.').expect("section.key");
        let inner = section_table(table, section)?;
        if inner.contains_key(key) {
            return Err(format!("`{flag}` and `[{section}] {key}` say the same thing: keep one"));
        }
        inner.insert(key.to_owned(), value);
    }
    if let Some(latency) = table.remove("sim_latency") {
        let parts: Vec<toml::Value> = match latency {
            toml::Value::Array(items) => items,
            toml::Value::String(s) => s.split(',').map(|p| toml::Value::String(p.trim().to_owned())).collect(),
            other => vec![other],
        };
        let sim = section_table(table, "sim")?;
        for (key, value) in ["latency", "latency_p99"].into_iter().zip(parts) {
            sim.insert(key.to_owned(), value);
        }
    }
    for (flag, section) in [("rate_limit", "limits"), ("sim_limit", "sim")] {
        let Some(value) = table.remove(flag) else { continue };
        let specs =
            value.as_array().ok_or_else(|| format!("`{flag}` is a list of SERVICE[:OPERATION]=RATE[/BURST]"))?;
        let rules = section_table(section_table(table, section)?, "rules")?;
        for spec in specs {
            let text = spec.as_str().ok_or_else(|| format!("`{flag}`: {spec} is not a string"))?;
            let rule: Override = text.parse().map_err(|e| format!("`{flag}`: {e}"))?;
            let name = match &rule.operation {
                Some(op) => format!("{}:{op}", rule.service),
                None => rule.service.clone(),
            };
            let mut entry = toml::Table::new();
            entry.insert("tokens_per_second".into(), toml::Value::Float(rule.tokens_per_second));
            if let Some(burst) = rule.max_tokens {
                entry.insert("max_tokens".into(), toml::Value::Integer(burst.into()));
            }
            rules.insert(name, toml::Value::Table(entry));
        }
    }
    Ok(())
}

fn split_lists(table: &mut toml::Table) {
    for key in LIST_KEYS {
        if let Some(toml::Value::String(s)) = table.get(*key) {
            let items =
                s.split(',').map(str::trim).filter(|i| !i.is_empty()).map(|i| toml::Value::String(i.to_owned()));
            let list = toml::Value::Array(items.collect());
            table.insert((*key).to_owned(), list);
        }
    }
}

/// The sub-table `name` of `table`, made when missing.
fn section_table<'a>(table: &'a mut toml::Table, name: &str) -> Result<&'a mut toml::Table, String> {
    match table.entry(name.to_owned()).or_insert_with(|| toml::Value::Table(toml::Table::new())) {
        toml::Value::Table(inner) => Ok(inner),
        _ => Err(format!("`{name}` must be a table")),
    }
}

/// Rules from a `rules` table as overrides.
pub fn overrides(rules: &BTreeMap<String, RuleConfig>) -> Result<Vec<Override>, String> {
    rules
        .iter()
        .map(|(name, rule)| {
            let spec = match rule.max_tokens {
                Some(burst) => format!("{name}={}/{burst}", rule.tokens_per_second),
                None => format!("{name}={}", rule.tokens_per_second),
            };
            spec.parse::<Override>().map_err(|e| e.to_string())
        })
        .collect()
}

/// Parses `90s`, `5m`, `250ms` or a plain number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    if s.trim().starts_with('-') {
        return Err(format!("{s:?} is negative: a duration is 0 or more, e.g. 90s, 5m, 250ms"));
    }
    if let Ok(secs) = s.trim().parse::<f64>() {
        // `try_`: a number too large for a `Duration` (`1e300`) is an error.
        return Duration::try_from_secs_f64(secs).map_err(|_| format!("{s:?} is not a duration"));
    }
    humantime::parse_duration(s.trim()).map_err(|e| format!("{s:?} is not a duration ({e}); e.g. 90s, 5m, 250ms"))
}

/// A value a key takes as text or as a bare number (`timeout = 90` or
/// `timeout = "90s"`), read by `parse`.
fn text_or_number<'de, D: Deserializer<'de>, T>(
    d: D,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(f64),
        Text(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Number(n)) => parse(&n.to_string()).map(Some).map_err(serde::de::Error::custom),
        Some(Raw::Text(t)) => parse(&t).map(Some).map_err(serde::de::Error::custom),
    }
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    text_or_number(d, parse_duration)
}

/// `8MiB`, `512KiB`, `2MB`, `1G` or a number of bytes.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let bad = || format!("{s:?} is not a size: expected bytes or a number with KiB, MiB or GiB, e.g. 8MiB");
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().map_err(|_| bad())?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    let bytes = number * scale;
    if !(bytes >= 1.0 && bytes < usize::MAX as f64) {
        return Err(format!("{s:?} must be at least one byte"));
    }
    Ok(bytes as usize)
}

fn size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    text_or_number(d, parse_size)
}

fn quorum<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Quorum>, D::Error> {
    text_or_number(d, str::parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_tables_give_settings_and_sources() {
        let cfg = RunConfig::parse(
            r#"
            set = "quotas.services=ec2,lambda"
            [plugins.health-org]
            source = "plugins/health-org.wasm"
            [plugins.iam]
            stale-after-days = 30
            "#,
        )
        .unwrap();
        assert_eq!(cfg.plugins, Some(vec!["plugins/health-org.wasm".to_owned()]));
        assert_eq!(
            cfg.plugin_settings,
            [SettingArg {
                plugin: "iam".into(),
                name: "stale_after_days".into(),
                value: Given::Toml(toml::Value::Integer(30))
            }]
        );
        assert_eq!(cfg.set, Some(vec!["quotas.services=ec2,lambda".to_owned()]));
        let e = RunConfig::parse(
            "[plugins]
iam = 3",
        )
        .unwrap_err();
        assert!(e.contains("`plugins.iam` must be a table"), "{e}");
        let listed = RunConfig::parse(r#"plugins = "a.wasm,b.wasm""#).unwrap();
        assert_eq!(listed.plugins.unwrap().len(), 2);
    }

    #[test]
    fn a_full_config_parses() {
        let cfg: RunConfig = toml::from_str(
            r#"
            regions = ["eu-west-1"]
            max_workers = 8
            timeout = "90s"
            retry_delay = 0.5
            min_success = "90%"
            deadline = "10m"
            [retries]
            max_attempts = 3
            [limits]
            client_side = false
            rules."ec2:DescribeVolumes" = { tokens_per_second = 2, max_tokens = 4 }
            [sim]
            generate = "accounts=10"
            latency = "20ms"
            error_rate = 0.02
            "#,
        )
        .unwrap();
        assert_eq!(cfg.timeout, Some(Duration::from_secs(90)));
        assert_eq!(cfg.retry_delay, Some(Duration::from_millis(500)));
        assert_eq!(cfg.min_success, Some(Quorum::Percent(90.0)));
        assert_eq!(cfg.deadline, Some(Duration::from_secs(600)));
        assert_eq!(cfg.sim.latency, Some(Duration::from_millis(20)));
        let o = overrides(&cfg.limits.rules).unwrap();
        assert_eq!(o[0].to_string(), "ec2:DescribeVolumes=2/4");
    }

    #[test]
    fn aws_accounts_parse_and_bad_ones_are_named() {
        let cfg: RunConfig = toml::from_str(
            r#"
            profile = "audit"
            role_name = "OrganizationAccountAccessRole"
            [[account]]
            id = "111122223333"
            name = "prod"
            role = "arn:aws:iam::111122223333:role/Audit"
            external_id = "x-1"
            [[account]]
            id = "444455556666"
            profile = "dev"
            "#,
        )
        .unwrap();
        cfg.check().unwrap();
        assert_eq!(cfg.account_list.len(), 2);
        assert_eq!(cfg.account_list[1].profile.as_deref(), Some("dev"));
        for (bad, why) in [
            ("[[account]]\nid = \"12\"", "12-digit"),
            ("[[account]]\nid = \"111122223333\"\nprofile = \"a\"\nrole = \"b\"", "not both"),
            ("[[account]]\nid = \"111122223333\"\nexternal_id = \"a\"", "needs a role"),
            ("[[account]]\nid = \"111122223333\"\n[[account]]\nid = \"111122223333\"", "twice"),
        ] {
            let e = toml::from_str::<RunConfig>(bad).unwrap().check().unwrap_err();
            assert!(e.contains(why) && e.contains("111122223333") || e.contains("\"12\""), "{bad}: {e}");
        }
    }

    #[test]
    fn mistakes_are_named() {
        let e = toml::from_str::<RunConfig>("max_wokers = 3").unwrap_err().to_string();
        assert!(e.contains("max_wokers"), "{e}");
        let e = toml::from_str::<RunConfig>("timeout = \"soon\"").unwrap_err().to_string();
        assert!(e.contains("soon"), "{e}");
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
    }

    /// What `from_file` does with a file's text: parse, then check.
    fn load(text: &str) -> Result<RunConfig, String> {
        let config: RunConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        config.check()?;
        Ok(config)
    }

    #[test]
    fn durations_too_long_for_a_duration_are_errors_not_panics() {
        for text in ["timeout = 1e300", "deadline = \"1e20\"", "[retries]\ncall_timeout = 18446744073709551616.5"] {
            assert!(load(text).is_err(), "{text}");
        }
        for s in ["1e300", "-1", "NaN", "inf", "-0.5", "", "99999999999999999999999y"] {
            assert!(parse_duration(s).is_err(), "{s}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let n = 100_000;
        for (open, close) in [("[", "]"), ("{ a = ", " }")] {
            let text = format!("regions = {}1{}", open.repeat(n), close.repeat(n));
            assert!(load(&text).is_err());
        }
        let dotted = format!("[sim.rules.{}]", vec!["a"; n].join("."));
        assert!(load(&dotted).is_err());
    }

    use proptest::prelude::*;

    /// A TOML value of any type, some of them what a key expects.
    fn value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| format!("{f:?}")),
            Just("1e300".to_owned()),
            Just("-0.0".to_owned()),
            Just("nan".to_owned()),
            Just("inf".to_owned()),
            Just("18446744073709551616".to_owned()),
            any::<bool>().prop_map(|b| b.to_string()),
            "[0-9]{1,4}(ms|s|m|h|d|y|%|)".prop_map(|s| format!("{s:?}")),
            "\\PC{0,10}".prop_map(|s| format!("{s:?}")),
            Just("1979-05-27T07:32:00Z".to_owned()),
        ];
        leaf.prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(|v| format!("[{}]", v.join(", "))),
                proptest::collection::vec(("[a-z_]{1,14}", inner), 0..3).prop_map(|v| {
                    format!("{{ {} }}", v.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", "))
                }),
            ]
        })
    }

    /// A line of a config file: a known key (at the top or in its table),
    /// a table header, or noise.
    fn line() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just("accounts"),
            Just("profile"),
            Just("regions"),
            Just("max_workers"),
            Just("timeout"),
            Just("retry_delay"),
            Just("max_failures"),
            Just("min_success"),
            Just("deadline"),
            Just("seed"),
            Just("max_attempts"),
            Just("call_timeout"),
            Just("max_in_flight"),
            Just("rules.\"ec2\""),
            Just("id"),
            Just("role"),
            Just("external_id"),
            Just("latency"),
            Just("error_rate"),
            Just("slow_by"),
            Just("broken_accounts"),
            Just("tokens_per_second"),
        ];
        prop_oneof![
            4 => (key, value()).prop_map(|(k, v)| format!("{k} = {v}")),
            1 => prop_oneof![
                Just("[retries]"),
                Just("[limits]"),
                Just("[sim]"),
                Just("[[account]]"),
                Just("[limits.rules.ec2]"),
                Just("[sim.rules.\"ec2:DescribeVolumes\"]"),
            ]
            .prop_map(str::to_owned),
            1 => "[\\[\\]=\"'#{},. a-z0-9\n]{0,20}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let _ = load(&text);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = load(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn config_shaped_text_never_panics(lines in proptest::collection::vec(line(), 0..12)) {
            if let Ok(config) = load(&lines.join("\n")) {
                // What the run does next with the rules must not panic either.
                let _ = overrides(&config.limits.rules);
                let _ = overrides(&config.sim.rules);
            }
        }

        #[test]
        fn any_duration_text_parses_or_fails(s in "\\PC{0,12}|[0-9.e+-]{1,24}|[0-9]{1,30}(ns|ms|s|m|h|d|w|y)") {
            let _ = parse_duration(&s);
        }
    }
}
