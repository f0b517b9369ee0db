//! Plugin settings: what a plugin declares (name, kind, default, bounds,
//! one line of help), what an operator gives (`--set iam.stale_after_days=30`,
//! `[plugins.iam]` in a run config), and the checked values a task reads
//! through the `settings` import.
//!
//! Everything is checked before the run starts: a declaration when the
//! plugin loads (a plugin whose own default breaks its bounds is refused),
//! the operator's values against the declarations when the run is built.
//! A task therefore only ever reads values of the declared kind, within
//! bounds.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::bindings::trawl::collector::types as wit;

/// The kind of value a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SettingKind {
    /// Any text, or one of the declared choices.
    Text,
    /// A whole number.
    Integer,
    /// A number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A list of texts.
    TextList,
}

impl fmt::Display for SettingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Text => "text",
            Self::Integer => "integer",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::TextList => "text-list",
        })
    }
}

/// A setting's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SettingValue {
    /// Text.
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A number.
    Number(f64),
    /// A boolean.
    Boolean(bool),
    /// A list of texts.
    TextList(Vec<String>),
}

impl SettingValue {
    fn kind(&self) -> SettingKind {
        match self {
            Self::Text(_) => SettingKind::Text,
            Self::Integer(_) => SettingKind::Integer,
            Self::Number(_) => SettingKind::Number,
            Self::Boolean(_) => SettingKind::Boolean,
            Self::TextList(_) => SettingKind::TextList,
        }
    }
}

impl fmt::Display for SettingValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(s) => write!(f, "{s:?}"),
            Self::Integer(n) => write!(f, "{n}"),
            Self::Number(n) => write!(f, "{n}"),
            Self::Boolean(b) => write!(f, "{b}"),
            Self::TextList(items) => write!(f, "{}", items.join(",")),
        }
    }
}

/// One setting a plugin declares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingSpec {
    /// Its name, e.g. `stale_after_days`.
    pub name: String,
    /// The kind of value it takes.
    pub kind: SettingKind,
    /// The value when the operator gives none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<SettingValue>,
    /// One line for operators.
    pub help: String,
    /// Smallest value allowed (integer and number settings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum: Option<f64>,
    /// Largest value allowed (integer and number settings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum: Option<f64>,
    /// Values allowed (text and text-list settings); empty means any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

/// Longest setting name; names are identifiers, not text.
const MAX_NAME: usize = 64;
/// Most settings one plugin may declare.
const MAX_SETTINGS: usize = 64;

impl SettingSpec {
    /// The declaration a plugin returned, checked: a valid name, bounds
    /// only on numbers, choices only on texts, a default that passes its
    /// own checks.
    pub fn from_wit(raw: wit::Setting) -> Result<Self, String> {
        let name_ok = !raw.name.is_empty()
            && raw.name.len() <= MAX_NAME
            && raw.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !name_ok {
            return Err(format!("setting name {:?} must be 1-{MAX_NAME} characters of a-z, 0-9 and _", raw.name));
        }
        let kind = match raw.kind {
            wit::SettingKind::Text => SettingKind::Text,
            wit::SettingKind::Integer => SettingKind::Integer,
            wit::SettingKind::Number => SettingKind::Number,
            wit::SettingKind::Boolean => SettingKind::Boolean,
            wit::SettingKind::TextList => SettingKind::TextList,
        };
        let spec = Self {
            kind,
            default: raw.default.map(value_from_wit),
            help: raw.help,
            minimum: raw.minimum,
            maximum: raw.maximum,
            choices: raw.choices,
            name: raw.name,
        };
        let numeric = matches!(kind, SettingKind::Integer | SettingKind::Number);
        if !numeric && (spec.minimum.is_some() || spec.maximum.is_some()) {
            return Err(format!("setting `{}` is {kind}: only numbers take a minimum or maximum", spec.name));
        }
        if [spec.minimum, spec.maximum].iter().flatten().any(|b| !b.is_finite()) {
            return Err(format!("setting `{}` has a bound that is not a finite number", spec.name));
        }
        if !matches!(kind, SettingKind::Text | SettingKind::TextList) && !spec.choices.is_empty() {
            return Err(format!("setting `{}` is {kind}: only texts take choices", spec.name));
        }
        if let Some(default) = &spec.default {
            if default.kind() != kind {
                return Err(format!("setting `{}` is {kind} but its default is {}", spec.name, default.kind()));
            }
            spec.check(default).map_err(|e| format!("the default of setting `{}`: {e}", spec.name))?;
        }
        Ok(spec)
    }

    /// Checks a value of this setting's kind against its bounds and choices.
    fn check(&self, value: &SettingValue) -> Result<(), String> {
        let number = match value {
            SettingValue::Integer(n) => Some(*n as f64),
            SettingValue::Number(n) => Some(*n),
            _ => None,
        };
        if let Some(n) = number {
            let (low, high) = (self.minimum.unwrap_or(f64::NEG_INFINITY), self.maximum.unwrap_or(f64::INFINITY));
            if !(low..=high).contains(&n) {
                return Err(format!("must be {}, got {value}", range_words(self.minimum, self.maximum)));
            }
        }
        let texts: &[String] = match value {
            SettingValue::Text(s) => std::slice::from_ref(s),
            SettingValue::TextList(items) => items,
            _ => &[],
        };
        if !self.choices.is_empty()
            && let Some(bad) = texts.iter().find(|t| !self.choices.contains(t))
        {
            let hint = crate::suggest::did_you_mean(bad, self.choices.iter().map(String::as_str));
            return Err(format!("{bad:?} is not one of {}{hint}", self.choices.join(", ")));
        }
        Ok(())
    }

    /// Reads what an operator wrote for this setting.
    fn parse(&self, given: &Given) -> Result<SettingValue, String> {
        let kind = self.kind;
        let wrong = |shown: &dyn fmt::Display| format!("must be {}, got {shown}", kind_words(kind));
        let value = match (kind, given) {
            (SettingKind::Text, Given::Text(s)) => SettingValue::Text(s.clone()),
            (SettingKind::Integer, Given::Text(s)) => {
                SettingValue::Integer(s.trim().parse().map_err(|_| wrong(&format_args!("{s:?}")))?)
            }
            (SettingKind::Integer, Given::Toml(toml::Value::Integer(n))) => SettingValue::Integer(*n),
            (SettingKind::Number, Given::Text(s)) => match s.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => SettingValue::Number(n),
                _ => return Err(wrong(&format_args!("{s:?}"))),
            },
            (SettingKind::Number, Given::Toml(toml::Value::Integer(n))) => SettingValue::Number(*n as f64),
            (SettingKind::Number, Given::Toml(toml::Value::Float(n))) if n.is_finite() => SettingValue::Number(*n),
            (SettingKind::Boolean, Given::Text(s)) => match s.trim() {
                "true" => SettingValue::Boolean(true),
                "false" => SettingValue::Boolean(false),
                _ => return Err(wrong(&format_args!("{s:?}"))),
            },
            (SettingKind::Boolean, Given::Toml(toml::Value::Boolean(b))) => SettingValue::Boolean(*b),
            (SettingKind::TextList, Given::Text(s)) => SettingValue::TextList(
                s.split(',').map(str::trim).filter(|item| !item.is_empty()).map(str::to_owned).collect(),
            ),
            (SettingKind::TextList, Given::Toml(toml::Value::Array(items))) => SettingValue::TextList(
                items
                    .iter()
                    .map(|item| item.as_str().map(str::to_owned).ok_or_else(|| wrong(&format_args!("{item}"))))
                    .collect::<Result<_, _>>()?,
            ),
            // A TOML string says what a command-line value says.
            (_, Given::Toml(toml::Value::String(s))) => return self.parse(&Given::Text(s.clone())),
            (_, Given::Toml(other)) => return Err(wrong(other)),
        };
        self.check(&value)?;
        Ok(value)
    }
}

fn kind_words(kind: SettingKind) -> &'static str {
    match kind {
        SettingKind::Text => "text",
        SettingKind::Integer => "a whole number",
        SettingKind::Number => "a number",
        SettingKind::Boolean => "true or false",
        SettingKind::TextList => "a list of texts (a,b,c)",
    }
}

fn range_words(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(low), Some(high)) => format!("between {low} and {high}"),
        (Some(low), None) => format!("at least {low}"),
        (None, Some(high)) => format!("at most {high}"),
        (None, None) => "a number".to_owned(),
    }
}

/// Checks a plugin's declared settings as a whole.
pub fn check_declarations(specs: &[SettingSpec]) -> Result<(), String> {
    if specs.len() > MAX_SETTINGS {
        return Err(format!("{} settings declared (at most {MAX_SETTINGS})", specs.len()));
    }
    let mut seen = std::collections::HashSet::new();
    match specs.iter().find(|s| !seen.insert(s.name.as_str())) {
        Some(twice) => Err(format!("setting `{}` is declared twice", twice.name)),
        None => Ok(()),
    }
}

/// What an operator wrote for one setting, before it is checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Given {
    /// Text from the command line (`--set`), read as the setting's kind.
    Text(String),
    /// A value from a run config file.
    Toml(toml::Value),
}

/// One operator setting, `PLUGIN.SETTING=VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingArg {
    /// The plugin's name, as its info gives it.
    pub plugin: String,
    /// The setting's name.
    pub name: String,
    /// The value as written.
    pub value: Given,
}

impl std::str::FromStr for SettingArg {
    type Err = String;

    /// `iam.stale_after_days=30`.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not PLUGIN.SETTING=VALUE (e.g. iam.stale_after_days=30)");
        let (path, value) = s.split_once('=').ok_or_else(bad)?;
        let (plugin, name) = path.trim().split_once('.').ok_or_else(bad)?;
        if plugin.is_empty() || name.is_empty() {
            return Err(bad());
        }
        Ok(Self { plugin: plugin.to_owned(), name: name.to_owned(), value: Given::Text(value.to_owned()) })
    }
}

impl SettingArg {
    /// The `--set` parser, for clap.
    pub fn from_str_arg(s: &str) -> Result<Self, String> {
        s.parse()
    }
}

/// A plugin's settings for one run: every declared setting with its value
/// (the operator's, else the default), checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Settings {
    values: BTreeMap<String, SettingValue>,
}

impl Settings {
    /// Resolves `given` (already narrowed to plugin `plugin`) against the
    /// plugin's declarations. The error is one line naming
    /// `plugin.setting`.
    pub fn resolve(plugin: &str, specs: &[SettingSpec], given: &[SettingArg]) -> Result<Self, String> {
        let mut values: BTreeMap<String, SettingValue> =
            specs.iter().filter_map(|s| Some((s.name.clone(), s.default.clone()?))).collect();
        let mut seen = std::collections::HashSet::new();
        for arg in given {
            let Some(spec) = specs.iter().find(|s| s.name == arg.name) else {
                if specs.is_empty() {
                    return Err(format!("plugin {plugin} takes no settings, but `{plugin}.{}` was given", arg.name));
                }
                let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
                let hint = crate::suggest::did_you_mean(&arg.name, names.iter().copied());
                return Err(format!(
                    "plugin {plugin} has no setting `{}`{hint}; its settings: {}",
                    arg.name,
                    names.join(", ")
                ));
            };
            if !seen.insert(arg.name.as_str()) {
                return Err(format!("`{plugin}.{}` is given twice", arg.name));
            }
            let value = spec.parse(&arg.value).map_err(|e| format!("`{plugin}.{}` {e}", arg.name))?;
            values.insert(arg.name.clone(), value);
        }
        Ok(Self { values })
    }

    /// The value of setting `name`, if it has one.
    pub fn get(&self, name: &str) -> Option<&SettingValue> {
        self.values.get(name)
    }

    /// True when no setting has a value.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

fn value_from_wit(raw: wit::SettingValue) -> SettingValue {
    match raw {
        wit::SettingValue::Text(s) => SettingValue::Text(s),
        wit::SettingValue::Integer(n) => SettingValue::Integer(n),
        wit::SettingValue::Number(n) => SettingValue::Number(n),
        wit::SettingValue::Boolean(b) => SettingValue::Boolean(b),
        wit::SettingValue::TextList(items) => SettingValue::TextList(items),
    }
}

impl From<&SettingValue> for wit::SettingValue {
    fn from(value: &SettingValue) -> Self {
        match value {
            SettingValue::Text(s) => Self::Text(s.clone()),
            SettingValue::Integer(n) => Self::Integer(*n),
            SettingValue::Number(n) => Self::Number(*n),
            SettingValue::Boolean(b) => Self::Boolean(*b),
            SettingValue::TextList(items) => Self::TextList(items.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, kind: wit::SettingKind, default: Option<wit::SettingValue>) -> wit::Setting {
        wit::Setting {
            name: name.into(),
            kind,
            default,
            help: "help".into(),
            minimum: None,
            maximum: None,
            choices: Vec::new(),
        }
    }

    fn specs() -> Vec<SettingSpec> {
        let days = wit::Setting {
            minimum: Some(1.0),
            maximum: Some(3650.0),
            ..spec("stale_after_days", wit::SettingKind::Integer, Some(wit::SettingValue::Integer(90)))
        };
        let warning = wit::Setting {
            minimum: Some(0.0),
            maximum: Some(100.0),
            ..spec("warning", wit::SettingKind::Number, Some(wit::SettingValue::Number(80.0)))
        };
        let services = wit::Setting {
            choices: vec!["ec2".into(), "lambda".into()],
            ..spec("services", wit::SettingKind::TextList, Some(wit::SettingValue::TextList(vec!["ec2".into()])))
        };
        let org = spec("organization", wit::SettingKind::Boolean, None);
        [days, warning, services, org].into_iter().map(|s| SettingSpec::from_wit(s).unwrap()).collect()
    }

    fn given(s: &str) -> SettingArg {
        s.parse().unwrap()
    }

    #[test]
    fn defaults_apply_and_operator_values_are_typed() {
        let specs = specs();
        let none = Settings::resolve("p", &specs, &[]).unwrap();
        assert_eq!(none.get("stale_after_days"), Some(&SettingValue::Integer(90)));
        assert_eq!(none.get("organization"), None);
        let set = Settings::resolve(
            "p",
            &specs,
            &[
                given("p.stale_after_days=30"),
                given("p.warning=75.5"),
                given("p.services=ec2, lambda"),
                given("p.organization=true"),
            ],
        )
        .unwrap();
        assert_eq!(set.get("stale_after_days"), Some(&SettingValue::Integer(30)));
        assert_eq!(set.get("warning"), Some(&SettingValue::Number(75.5)));
        assert_eq!(set.get("services"), Some(&SettingValue::TextList(vec!["ec2".into(), "lambda".into()])));
        assert_eq!(set.get("organization"), Some(&SettingValue::Boolean(true)));
        // TOML values, and a TOML string read as the command line would.
        let toml =
            |name: &str, v: toml::Value| SettingArg { plugin: "p".into(), name: name.into(), value: Given::Toml(v) };
        let from_file = Settings::resolve(
            "p",
            &specs,
            &[
                toml("stale_after_days", toml::Value::Integer(7)),
                toml("warning", toml::Value::Integer(70)),
                toml("services", toml::Value::Array(vec!["lambda".into()])),
                toml("organization", toml::Value::String("false".into())),
            ],
        )
        .unwrap();
        assert_eq!(from_file.get("warning"), Some(&SettingValue::Number(70.0)));
        assert_eq!(from_file.get("organization"), Some(&SettingValue::Boolean(false)));
    }

    #[test]
    fn mistakes_are_one_line_naming_the_setting() {
        let specs = specs();
        let cases = [
            ("p.stale_after_day=3", "plugin p has no setting `stale_after_day` (did you mean \"stale_after_days\"?)"),
            ("p.stale_after_days=abc", "`p.stale_after_days` must be a whole number, got \"abc\""),
            ("p.stale_after_days=0", "`p.stale_after_days` must be between 1 and 3650, got 0"),
            ("p.warning=150", "`p.warning` must be between 0 and 100, got 150"),
            ("p.warning=NaN", "`p.warning` must be a number"),
            ("p.services=ec2,ec3", "`p.services` \"ec3\" is not one of ec2, lambda (did you mean \"ec2\"?)"),
            ("p.organization=yes", "`p.organization` must be true or false"),
        ];
        for (arg, expected) in cases {
            let e = Settings::resolve("p", &specs, &[given(arg)]).unwrap_err();
            assert!(e.starts_with(expected), "{arg}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
        let e = Settings::resolve("p", &specs, &[given("p.warning=1"), given("p.warning=2")]).unwrap_err();
        assert_eq!(e, "`p.warning` is given twice");
        let e = Settings::resolve("ebs", &[], &[given("ebs.x=1")]).unwrap_err();
        assert_eq!(e, "plugin ebs takes no settings, but `ebs.x` was given");
        for bad in ["iam", "iam.x", "=1", ".x=1", "iam.=1"] {
            assert!(bad.parse::<SettingArg>().is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_declarations_are_refused() {
        let bounded_text = wit::Setting { minimum: Some(1.0), ..spec("t", wit::SettingKind::Text, None) };
        let wrong_default = spec("n", wit::SettingKind::Integer, Some(wit::SettingValue::Text("x".into())));
        let default_out_of_range = wit::Setting {
            maximum: Some(10.0),
            ..spec("n", wit::SettingKind::Integer, Some(wit::SettingValue::Integer(11)))
        };
        let bad_name = spec("Stale-Days", wit::SettingKind::Integer, None);
        let infinite = wit::Setting { maximum: Some(f64::INFINITY), ..spec("n", wit::SettingKind::Number, None) };
        for raw in [bounded_text, wrong_default, default_out_of_range, bad_name, infinite] {
            assert!(SettingSpec::from_wit(raw.clone()).is_err(), "{raw:?}");
        }
        let twice = [spec("a", wit::SettingKind::Text, None), spec("a", wit::SettingKind::Integer, None)]
            .map(|s| SettingSpec::from_wit(s).unwrap());
        assert_eq!(check_declarations(&twice).unwrap_err(), "setting `a` is declared twice");
    }
}
