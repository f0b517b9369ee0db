//! Settings an operator passes to a plugin: declared with
//! [`PluginInfo::setting`](crate::PluginInfo::setting), given with
//! `host run --set NAME.SETTING=VALUE` or `[plugins.NAME]` in a run config,
//! and read with one typed call to [`setting`].
//!
//! The host checks every value against the declaration (kind, bounds,
//! choices) before the run starts, so a plugin never sees one that breaks
//! them; an unknown or mistyped setting is the operator's one-line error.
//!
//! ```no_run
//! use trawl_plugin_sdk::{Error, PluginInfo, Scope, Setting, setting};
//!
//! let info = PluginInfo::new("iam", "0.1.0", Scope::Account).setting(
//!     Setting::integer("stale_after_days", 90).range(1, 3650).help("days after which an unused key is stale"),
//! );
//! let days: u32 = setting("stale_after_days")?;
//! # Ok::<(), Error>(())
//! ```

use crate::bindings::trawl::collector::types::{self, SettingKind};
use crate::error::Error;

pub use types::SettingValue;

/// One setting a plugin accepts: its name, kind, default, bounds and help.
#[derive(Debug, Clone)]
pub struct Setting {
    name: String,
    kind: SettingKind,
    default: Option<SettingValue>,
    help: String,
    minimum: Option<f64>,
    maximum: Option<f64>,
    choices: Vec<String>,
}

impl Setting {
    fn new(name: &str, kind: SettingKind, default: Option<SettingValue>) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            default,
            help: String::new(),
            minimum: None,
            maximum: None,
            choices: Vec::new(),
        }
    }

    /// A whole-number setting with a default.
    pub fn integer(name: &str, default: i64) -> Self {
        Self::new(name, SettingKind::Integer, Some(SettingValue::Integer(default)))
    }

    /// A number setting with a default.
    pub fn number(name: &str, default: f64) -> Self {
        Self::new(name, SettingKind::Number, Some(SettingValue::Number(default)))
    }

    /// A text setting with a default.
    pub fn text(name: &str, default: &str) -> Self {
        Self::new(name, SettingKind::Text, Some(SettingValue::Text(default.to_owned())))
    }

    /// A true/false setting with a default.
    pub fn boolean(name: &str, default: bool) -> Self {
        Self::new(name, SettingKind::Boolean, Some(SettingValue::Boolean(default)))
    }

    /// A list-of-texts setting with a default (`a,b,c` on the command line).
    pub fn text_list<'a>(name: &str, default: impl IntoIterator<Item = &'a str>) -> Self {
        let items = default.into_iter().map(str::to_owned).collect();
        Self::new(name, SettingKind::TextList, Some(SettingValue::TextList(items)))
    }

    /// A setting with no default: [`setting`] gives `None` (read it as an
    /// `Option`) unless the operator sets it.
    pub fn optional(name: &str, kind: SettingKind) -> Self {
        Self::new(name, kind, None)
    }

    /// One line for `host inspect`.
    pub fn help(mut self, text: &str) -> Self {
        self.help = text.to_owned();
        self
    }

    /// Inclusive bounds of an integer or number setting.
    pub fn range(mut self, minimum: impl Into<f64>, maximum: impl Into<f64>) -> Self {
        self.minimum = Some(minimum.into());
        self.maximum = Some(maximum.into());
        self
    }

    /// The values a text or text-list setting may take.
    pub fn choices<'a>(mut self, choices: impl IntoIterator<Item = &'a str>) -> Self {
        self.choices = choices.into_iter().map(str::to_owned).collect();
        self
    }

    /// The setting's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    #[cfg(not(target_family = "wasm"))]
    pub(crate) fn default_value(&self) -> Option<&SettingValue> {
        self.default.as_ref()
    }

    pub(crate) fn into_wit(self) -> types::Setting {
        types::Setting {
            name: self.name,
            kind: self.kind,
            default: self.default,
            help: self.help,
            minimum: self.minimum,
            maximum: self.maximum,
            choices: self.choices,
        }
    }
}

/// Reads setting `name` as `T`: `String`, `bool`, `i64`, `u64`, `u32`,
/// `usize`, `f64`, `Vec<String>`, or an `Option` of one of them for a
/// setting declared without a default.
pub fn setting<T: FromSetting>(name: &str) -> Result<T, Error> {
    T::from_setting(name, crate::host::setting(name))
}

/// A type a setting can be read as.
pub trait FromSetting: Sized {
    /// Converts the host's value (None when the setting has none).
    fn from_setting(name: &str, value: Option<SettingValue>) -> Result<Self, Error>;
}

fn mismatch(name: &str, wanted: &str, value: &Option<SettingValue>) -> Error {
    match value {
        None => Error::failed(
            "trawl.MissingSetting",
            format!("setting `{name}` has no value: declare it with a default, or read it as an Option"),
        ),
        Some(v) => Error::failed("trawl.SettingType", format!("setting `{name}` is {v:?}, read as {wanted}")),
    }
}

impl FromSetting for String {
    fn from_setting(name: &str, value: Option<SettingValue>) -> Result<Self, Error> {
        match value {
            Some(SettingValue::Text(s)) => Ok(s),
            other => Err(mismatch(name, "text", &other)),
        }
    }
}

impl FromSetting for bool {
    fn from_setting(name: &str, value: Option<SettingValue>) -> Result<Self, Error> {
        match value {
            Some(SettingValue::Boolean(b)) => Ok(b),
            other => Err(mismatch(name, "a boolean", &other)),
        }
    }
}

impl FromSetting for i64 {
    fn from_setting(name: &str, value: Option<SettingValue>) -> Result<Self, Error> {
        match value {
            Some(SettingValue::Integer(n)) => Ok(n),
            other => Err(mismatch(name, "an integer", &other)),
        }
    }
}

macro_rules! narrower_integer {
    ($($t:ty),*) => {$(
        impl FromSetting for $t {
            fn from_setting(name: &str, value: Option<SettingValue>) -> Result<Self, Error> {
                let n = i64::from_setting(name, value)?;
                <$t>::try_from(n).map_err(|_| {
                    Error::failed("trawl.SettingType", format!("setting `{name}` is {n}, out of range for {}", stringify!($t)))
                })
            }
        }
    )*};
}

narrower_integer!(u64, u32, usize, i32);

impl FromSetting for f64 {
    fn from_setting(name: &str, value: Option<SettingValue>) -> Result<Self, Error> {
        match value {
            Some(SettingValue::Number(n)) => Ok(n),
            Some(SettingValue::Integer(n)) => Ok(n as f64),
            other => Err(mismatch(name, "a number", &other)),
        }
    }
}

impl FromSetting for Vec<String> {
    fn from_setting(name: &str, value: Option<SettingValue>) -> Result<Self, Error> {
        match value {
            Some(SettingValue::TextList(items)) => Ok(items),
            other => Err(mismatch(name, "a list of texts", &other)),
        }
    }
}

impl<T: FromSetting> FromSetting for Option<T> {
    fn from_setting(name: &str, value: Option<SettingValue>) -> Result<Self, Error> {
        value.map(|v| T::from_setting(name, Some(v))).transpose()
    }
}
