//! The host's imports as the rest of the SDK calls them: the real ones
//! inside a component, the [`testing`](crate::testing) harness's in a
//! native `cargo test`.

use crate::bindings::trawl::collector::log::Level;
use crate::bindings::trawl::collector::types::{ApiError, Request, SettingValue};

#[cfg(target_family = "wasm")]
mod imports {
    use super::*;
    use crate::bindings::trawl::collector::{cloud, log as host_log, settings};

    pub fn call(service: &str, operation: &str, params: &str) -> Result<String, ApiError> {
        cloud::call(service, operation, params)
    }

    pub fn call_many(requests: &[Request]) -> Vec<Result<String, ApiError>> {
        cloud::call_many(requests)
    }

    pub fn log(level: Level, message: &str) {
        host_log::log(level, message)
    }

    pub fn setting(name: &str) -> Option<SettingValue> {
        settings::get(name)
    }
}

#[cfg(not(target_family = "wasm"))]
use crate::testing::imports;

pub(crate) fn call(service: &str, operation: &str, params: &str) -> Result<String, ApiError> {
    imports::call(service, operation, params)
}

pub(crate) fn call_many(requests: &[Request]) -> Vec<Result<String, ApiError>> {
    imports::call_many(requests)
}

pub(crate) fn log(level: Level, message: &str) {
    imports::log(level, message)
}

pub(crate) fn setting(name: &str) -> Option<SettingValue> {
    imports::setting(name)
}
