//! Write trawl collector plugins in Rust.
//!
//! A collector is a plain type implementing [`Collector`], exported with
//! [`export_collector!`], and built with `cargo build --target wasm32-wasip2`.
//! The host calls [`Collector::collect`] once per target in a fresh sandbox;
//! the plugin reaches the cloud only through [`call`] and its relatives,
//! which the host signs, rate-limits and retries.
//!
//! ```no_run
//! use trawl_plugin_sdk::{Collection, Collector, Error, PluginInfo, Scope, Target, paginate};
//!
//! struct Roles;
//!
//! impl Collector for Roles {
//!     fn info() -> PluginInfo {
//!         PluginInfo::new("roles", env!("CARGO_PKG_VERSION"), Scope::Account)
//!             .permission("iam:ListRoles")
//!             .columns(["RoleName", "Arn"])
//!     }
//!
//!     fn collect(_target: &Target) -> Result<Collection, Error> {
//!         let mut out = Collection::new();
//!         for page in paginate::<serde_json::Value>("iam", "ListRoles", serde_json::json!({})) {
//!             for role in page?["Roles"].as_array().into_iter().flatten() {
//!                 out.push(role)?;
//!             }
//!         }
//!         Ok(out)
//!     }
//! }
//!
//! trawl_plugin_sdk::export_collector!(Roles);
//! ```
//!
//! JSON shapes follow the wire names of each service; see [`cloud`] and the
//! `wit/collector.wit` contract for the conversion rules.

#![warn(missing_docs)]

pub mod cloud;
mod collection;
mod error;
mod host;
mod info;
pub mod log;
mod paginate;
pub mod settings;
#[cfg(not(target_family = "wasm"))]
pub mod testing;
pub mod wire;

pub use cloud::{ApiError, call, call_many, call_raw};
pub use collection::Collection;
pub use error::Error;
pub use info::PluginInfo;
pub use paginate::{Pages, TokenStyle, paginate};
pub use settings::{Setting, setting};

/// The bindings generated from `wit/collector.wit`. Plugin authors rarely
/// need these directly; [`export_collector!`] uses them.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "collector",
        pub_export_macro: true,
        export_macro_name: "export_plugin_bindings",
        default_bindings_module: "trawl_plugin_sdk::bindings",
    });
}

pub use bindings::trawl::collector::types::{Scope, SettingKind, Target};

/// What a collector implements. Both functions are associated functions
/// because the host gives every call a fresh instance: there is no state to
/// keep between targets.
pub trait Collector {
    /// Describes the plugin: name, scope, permissions, table columns.
    fn info() -> PluginInfo;

    /// Collects records for one target (an account in a region). Use `?` on
    /// API errors: the AccessDenied family turns into a skipped target.
    fn collect(target: &Target) -> Result<Collection, Error>;
}

/// Exports a [`Collector`] implementation as the component's `plugin`
/// interface. Use it once, at the top level of the plugin crate.
#[macro_export]
macro_rules! export_collector {
    ($collector:ident) => {
        const _: () = {
            use $crate::bindings::exports::trawl::collector::details as __details;
            use $crate::bindings::exports::trawl::collector::plugin as __plugin;
            use $crate::bindings::trawl::collector::types as __types;

            impl __details::Guest for $collector {
                fn details() -> __types::PluginDetails {
                    <$collector as $crate::Collector>::info().into_details()
                }
            }

            impl __plugin::Guest for $collector {
                fn info() -> __types::PluginInfo {
                    <$collector as $crate::Collector>::info().into_wit()
                }

                fn collect(
                    target: __types::Target,
                ) -> ::core::result::Result<__types::Collection, __types::CollectError> {
                    <$collector as $crate::Collector>::collect(&target)
                        .map($crate::Collection::into_wit)
                        .map_err($crate::Error::into_wit)
                }
            }

    $crate::bindings::export_plugin_bindings!($collector with_types_in $crate::bindings);
        };
    };
}
