//! Test a collector natively, in a plain `cargo test`, against the answers
//! you give it: no host, no WebAssembly build, no cloud.
//!
//! A [`TestCloud`] holds answers per `service:Operation`, handed out in the
//! order they were queued (so pages come back one after another), and the
//! operator's settings. [`TestCloud::collect`] runs the collector's
//! `collect` once and returns its records, totals and the calls it made.
//! Calls are held to the plugin's declared permissions as the host holds
//! them, and settings start from the declared defaults, so a test catches
//! an undeclared call or setting the host would refuse.
//!
//! ```no_run
//! # use trawl_plugin_sdk::{Collection, Collector, Error, PluginInfo, Scope, Target};
//! # struct Ebs;
//! # impl Collector for Ebs {
//! #     fn info() -> PluginInfo { PluginInfo::new("ebs", "0.1.0", Scope::Regional) }
//! #     fn collect(_: &Target) -> Result<Collection, Error> { Ok(Collection::new()) }
//! # }
//! use serde_json::json;
//! use trawl_plugin_sdk::testing::{TestCloud, target};
//!
//! let out = TestCloud::new()
//!     .answer("ec2:DescribeVolumes", json!({"volumeSet": [{"volumeId": "vol-1"}], "nextToken": "t"}))
//!     .answer("ec2:DescribeVolumes", json!({"volumeSet": [{"volumeId": "vol-2"}]}))
//!     .collect::<Ebs>(&target("111111111111", "demo", "us-east-1"))
//!     .unwrap();
//! assert_eq!(out.records.len(), 2);
//! assert_eq!(out.calls[1].params["NextToken"], "t");
//! ```

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};

use serde_json::Value;

use crate::bindings::trawl::collector::log::Level;
use crate::bindings::trawl::collector::types::{ApiError, Request, SettingValue};
use crate::{Collector, Error, Target};

/// A target to collect, for tests.
pub fn target(account_id: &str, account_name: &str, region: &str) -> Target {
    Target { account_id: account_id.to_owned(), account_name: account_name.to_owned(), region: region.to_owned() }
}

/// One call the collector made.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Its service, e.g. `ec2`.
    pub service: String,
    /// Its operation, e.g. `DescribeVolumes`.
    pub operation: String,
    /// Its parameters.
    pub params: Value,
}

/// What one `collect` produced.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    /// The records, parsed.
    pub records: Vec<Value>,
    /// The per-target totals.
    pub totals: BTreeMap<String, u64>,
    /// Every call made, in order.
    pub calls: Vec<Call>,
    /// Lines logged through [`crate::log`], as `LEVEL message`.
    pub logs: Vec<String>,
}

/// Answers and settings for one collector test.
#[derive(Debug, Default)]
pub struct TestCloud {
    answers: HashMap<String, VecDeque<Result<String, ApiError>>>,
    settings: HashMap<String, SettingValue>,
}

/// A value a test can give a setting.
pub trait IntoSettingValue {
    /// The setting value.
    fn into_setting_value(self) -> SettingValue;
}

impl IntoSettingValue for i64 {
    fn into_setting_value(self) -> SettingValue {
        SettingValue::Integer(self)
    }
}

impl IntoSettingValue for f64 {
    fn into_setting_value(self) -> SettingValue {
        SettingValue::Number(self)
    }
}

impl IntoSettingValue for bool {
    fn into_setting_value(self) -> SettingValue {
        SettingValue::Boolean(self)
    }
}

impl IntoSettingValue for &str {
    fn into_setting_value(self) -> SettingValue {
        SettingValue::Text(self.to_owned())
    }
}

impl IntoSettingValue for Vec<&str> {
    fn into_setting_value(self) -> SettingValue {
        SettingValue::TextList(self.into_iter().map(str::to_owned).collect())
    }
}

impl TestCloud {
    /// No answers, default settings.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `response` for the next call of `call` (`service:Operation`).
    pub fn answer(mut self, call: &str, response: Value) -> Self {
        self.answers.entry(call.to_owned()).or_default().push_back(Ok(response.to_string()));
        self
    }

    /// Queues an error for the next call of `call`, as the host would hand
    /// it on (e.g. `UnauthorizedOperation`).
    pub fn error(mut self, call: &str, code: &str, message: &str) -> Self {
        let error = ApiError { code: code.to_owned(), message: message.to_owned(), status: 400, request_id: None };
        self.answers.entry(call.to_owned()).or_default().push_back(Err(error));
        self
    }

    /// Sets a setting, as `--set NAME.SETTING=VALUE` would.
    pub fn set(mut self, name: &str, value: impl IntoSettingValue) -> Self {
        self.settings.insert(name.to_owned(), value.into_setting_value());
        self
    }

    /// Runs `C::collect` for `target` against these answers.
    pub fn collect<C: Collector>(self, target: &Target) -> Result<Collected, Error> {
        let info = C::info();
        let mut settings: HashMap<String, SettingValue> =
            info.settings().iter().filter_map(|s| Some((s.name().to_owned(), s.default_value()?.clone()))).collect();
        for (name, value) in self.settings {
            assert!(
                info.settings().iter().any(|s| s.name() == name),
                "the test sets `{name}`, which the plugin does not declare"
            );
            settings.insert(name, value);
        }
        let state = State {
            answers: self.answers,
            settings,
            permissions: info.permissions().to_vec(),
            calls: Vec::new(),
            logs: Vec::new(),
        };
        CURRENT.with(|c| *c.borrow_mut() = Some(state));
        let outcome = C::collect(target);
        let state = CURRENT.with(|c| c.borrow_mut().take()).expect("the test state is still there");
        let collection = outcome?.into_wit();
        let records = collection
            .records
            .iter()
            .map(|r| serde_json::from_str(r).expect("the SDK only pushes JSON objects"))
            .collect();
        Ok(Collected {
            records,
            totals: collection.totals.into_iter().map(|t| (t.name, t.value)).collect(),
            calls: state.calls,
            logs: state.logs,
        })
    }
}

/// The state of the collect under test.
struct State {
    answers: HashMap<String, VecDeque<Result<String, ApiError>>>,
    settings: HashMap<String, SettingValue>,
    permissions: Vec<String>,
    calls: Vec<Call>,
    logs: Vec<String>,
}

thread_local! {
    static CURRENT: RefCell<Option<State>> = const { RefCell::new(None) };
}

fn host_error(code: &str, message: String) -> ApiError {
    ApiError { code: code.to_owned(), message, status: 0, request_id: None }
}

/// `ec2:Describe*` matches `ec2:DescribeVolumes`, as the host's check does.
fn permitted(patterns: &[String], call: &str) -> bool {
    patterns.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => call.starts_with(prefix),
        None => p == call,
    })
}

/// What the SDK's host calls reach outside a component.
pub(crate) mod imports {
    use super::*;

    fn with_state<T>(f: impl FnOnce(&mut State) -> T) -> T {
        CURRENT.with(|c| {
            let mut current = c.borrow_mut();
            let state = current.as_mut().expect("outside a component, host calls work only inside TestCloud::collect");
            f(state)
        })
    }

    pub fn call(service: &str, operation: &str, params: &str) -> Result<String, ApiError> {
        with_state(|state| {
            let name = format!("{service}:{operation}");
            let params: Value = serde_json::from_str(params)
                .map_err(|e| host_error("trawl.BadParams", format!("parameters are not JSON: {e}")))?;
            state.calls.push(Call { service: service.to_owned(), operation: operation.to_owned(), params });
            if !permitted(&state.permissions, &name) {
                return Err(host_error(
                    "trawl.PermissionDenied",
                    format!("{name} is not among the declared permissions"),
                ));
            }
            state.answers.get_mut(&name).and_then(VecDeque::pop_front).unwrap_or_else(|| {
                Err(host_error("trawl.TestUnanswered", format!("the test queued no (more) answers for {name}")))
            })
        })
    }

    pub fn call_many(requests: &[Request]) -> Vec<Result<String, ApiError>> {
        requests.iter().map(|r| call(&r.service, &r.operation, &r.params)).collect()
    }

    pub fn log(level: Level, message: &str) {
        let level = match level {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        };
        with_state(|state| state.logs.push(format!("{level} {message}")));
    }

    pub fn setting(name: &str) -> Option<SettingValue> {
        with_state(|state| state.settings.get(name).cloned())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{Collection, PluginInfo, Scope, Setting, paginate, setting};

    struct Volumes;

    impl Collector for Volumes {
        fn info() -> PluginInfo {
            PluginInfo::new("volumes", "0.1.0", Scope::Regional)
                .permission("ec2:DescribeVolumes")
                .setting(Setting::integer("min_size", 0))
        }

        fn collect(_target: &Target) -> Result<Collection, Error> {
            let min: i64 = setting("min_size")?;
            let mut out = Collection::new();
            for page in paginate::<Value>("ec2", "DescribeVolumes", json!({"MaxResults": 500})) {
                for v in page?["volumeSet"].as_array().into_iter().flatten() {
                    if v["size"].as_str().and_then(|s| s.parse::<i64>().ok()).unwrap_or(0) >= min {
                        out.push(v)?;
                    }
                }
            }
            crate::log::info("done");
            let n = out.len() as u64;
            out.total("volumes", n);
            Ok(out)
        }
    }

    fn two_pages() -> TestCloud {
        TestCloud::new()
            .answer("ec2:DescribeVolumes", json!({"volumeSet": [{"volumeId": "a", "size": "8"}], "nextToken": "t"}))
            .answer("ec2:DescribeVolumes", json!({"volumeSet": [{"volumeId": "b", "size": "100"}]}))
    }

    #[test]
    fn pages_settings_totals_and_calls_are_seen() {
        let here = target("111111111111", "demo", "eu-west-1");
        let all = two_pages().collect::<Volumes>(&here).unwrap();
        assert_eq!(all.records.len(), 2);
        assert_eq!(all.totals["volumes"], 2);
        assert_eq!(all.calls[1].params, json!({"MaxResults": 500, "NextToken": "t"}));
        assert_eq!(all.logs, ["INFO done"]);
        let big = two_pages().set("min_size", 50).collect::<Volumes>(&here).unwrap();
        assert_eq!(big.records, [json!({"volumeId": "b", "size": "100"})]);
    }

    #[test]
    fn denials_skip_and_missing_answers_fail() {
        let here = target("111111111111", "demo", "eu-west-1");
        let denied =
            TestCloud::new().error("ec2:DescribeVolumes", "UnauthorizedOperation", "no").collect::<Volumes>(&here);
        assert!(
            matches!(denied, Err(Error::Skipped { ref code, .. }) if code == "UnauthorizedOperation"),
            "{denied:?}"
        );
        let unanswered = TestCloud::new().collect::<Volumes>(&here).unwrap_err();
        assert_eq!(unanswered.code(), "trawl.TestUnanswered");
    }

    struct Sneaky;

    impl Collector for Sneaky {
        fn info() -> PluginInfo {
            PluginInfo::new("sneaky", "0.1.0", Scope::Regional).permission("ec2:Describe*")
        }

        fn collect(_target: &Target) -> Result<Collection, Error> {
            crate::call_raw("ec2", "TerminateInstances", "{}")?;
            Ok(Collection::new())
        }
    }

    #[test]
    fn undeclared_calls_are_refused_as_the_host_refuses_them() {
        let e = TestCloud::new()
            .answer("ec2:TerminateInstances", json!({}))
            .collect::<Sneaky>(&target("1", "a", "r"))
            .unwrap_err();
        assert_eq!(e.code(), "trawl.PermissionDenied");
    }
}
