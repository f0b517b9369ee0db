//! The plugin's self-description.

use crate::bindings::trawl::collector::types::{self, Scope};
use crate::settings::Setting;

/// What a plugin tells the host: built with a few chained calls.
#[derive(Debug, Clone)]
pub struct PluginInfo {
    name: String,
    version: String,
    description: String,
    scope: Scope,
    home_region: Option<String>,
    permissions: Vec<String>,
    columns: Vec<String>,
    key: Vec<String>,
    settings: Vec<Setting>,
}

impl PluginInfo {
    /// A plugin named `name` (lowercase), at `version`, running per `scope`.
    pub fn new(name: &str, version: &str, scope: Scope) -> Self {
        Self {
            name: name.to_owned(),
            version: version.to_owned(),
            description: String::new(),
            scope,
            home_region: None,
            permissions: Vec::new(),
            columns: Vec::new(),
            key: Vec::new(),
            settings: Vec::new(),
        }
    }

    /// One line for operators.
    pub fn description(mut self, text: &str) -> Self {
        self.description = text.to_owned();
        self
    }

    /// Region for account- and organization-scoped runs (default us-east-1).
    pub fn home_region(mut self, region: &str) -> Self {
        self.home_region = Some(region.to_owned());
        self
    }

    /// Declares an API call the plugin makes, `service:Operation`; a
    /// trailing `*` matches a prefix. Undeclared calls are refused.
    pub fn permission(mut self, pattern: &str) -> Self {
        self.permissions.push(pattern.to_owned());
        self
    }

    /// Record fields the table output shows, in order.
    pub fn columns<'a>(mut self, columns: impl IntoIterator<Item = &'a str>) -> Self {
        self.columns = columns.into_iter().map(str::to_owned).collect();
        self
    }

    /// Record fields that together identify a record within its target
    /// (e.g. `volume_id`), so runs can be compared record by record.
    /// Without a key a record is identified by its whole content.
    pub fn key<'a>(mut self, fields: impl IntoIterator<Item = &'a str>) -> Self {
        self.key = fields.into_iter().map(str::to_owned).collect();
        self
    }

    /// Declares a setting the operator may give (see [`Setting`]).
    pub fn setting(mut self, setting: Setting) -> Self {
        self.settings.push(setting);
        self
    }

    /// Declared `service:Operation` patterns.
    pub fn permissions(&self) -> &[String] {
        &self.permissions
    }

    /// Declared settings.
    pub fn settings(&self) -> &[Setting] {
        &self.settings
    }

    #[doc(hidden)]
    pub fn into_details(self) -> types::PluginDetails {
        types::PluginDetails { key: self.key, settings: self.settings.into_iter().map(Setting::into_wit).collect() }
    }

    #[doc(hidden)]
    pub fn into_wit(self) -> types::PluginInfo {
        types::PluginInfo {
            name: self.name,
            version: self.version,
            description: self.description,
            scope: self.scope,
            home_region: self.home_region,
            permissions: self.permissions,
            columns: self.columns,
        }
    }
}
