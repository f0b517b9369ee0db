//! A collector whose `info()` spins forever: loading it must fail by name
//! within the run's time limit, not hang the host.

use trawl_plugin_sdk::bindings::exports::trawl::collector::plugin::Guest;
use trawl_plugin_sdk::bindings::trawl::collector::types::{CollectError, Collection, PluginInfo, Target};

struct Stuck;

impl Guest for Stuck {
    fn info() -> PluginInfo {
        let mut x: u64 = 0;
        loop {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }

    fn collect(_: Target) -> Result<Collection, CollectError> {
        Ok(Collection { records: vec![], totals: vec![] })
    }
}

impl trawl_plugin_sdk::bindings::exports::trawl::collector::details::Guest for Stuck {
    fn details() -> trawl_plugin_sdk::bindings::trawl::collector::types::PluginDetails {
        trawl_plugin_sdk::bindings::trawl::collector::types::PluginDetails { key: vec![], settings: vec![] }
    }
}

trawl_plugin_sdk::bindings::export_plugin_bindings!(Stuck with_types_in trawl_plugin_sdk::bindings);
