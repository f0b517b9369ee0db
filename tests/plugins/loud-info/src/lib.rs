//! A collector whose self-description carries terminal control sequences
//! (retitle the terminal, clear the screen): `host inspect` and the table
//! output must show them escaped.

use trawl_plugin_sdk::bindings::exports::trawl::collector::plugin::Guest;
use trawl_plugin_sdk::bindings::trawl::collector::types::{CollectError, Collection, PluginInfo, Scope, Target};

struct Loud;

const ESCAPES: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J";

impl Guest for Loud {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "loud".into(),
            version: format!("1.0.0{ESCAPES}"),
            description: format!("{ESCAPES}innocent"),
            scope: Scope::Regional,
            home_region: None,
            permissions: vec![],
            columns: vec![format!("col{ESCAPES}")],
        }
    }

    fn collect(_: Target) -> Result<Collection, CollectError> {
        Ok(Collection { records: vec![format!(r#"{{"col\u001b]0;pwned\u0007\u001b[2J":"v"}}"#)], totals: vec![] })
    }
}

impl trawl_plugin_sdk::bindings::exports::trawl::collector::details::Guest for Loud {
    fn details() -> trawl_plugin_sdk::bindings::trawl::collector::types::PluginDetails {
        trawl_plugin_sdk::bindings::trawl::collector::types::PluginDetails { key: vec![], settings: vec![] }
    }
}

trawl_plugin_sdk::bindings::export_plugin_bindings!(Loud with_types_in trawl_plugin_sdk::bindings);
