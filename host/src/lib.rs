//! trawl: run sandboxed WebAssembly cloud-inventory collectors across many
//! accounts and regions in parallel.
//!
//! [`run`] is the library API: build a run, start it, stream its results,
//! cancel it, wait for its report; the `host` binary ([`cli`]) is one
//! client of it.
//!
//! A run flows forward through one module per stage: [`cli`] reads the
//! operator's request, [`targets`] expands accounts x regions by the
//! plugin's scope, [`scheduler`] fans the targets out with bounded
//! concurrency and per-task timeouts, [`runtime`] runs each task in a
//! fresh wasmtime sandbox whose `cloud` import reaches a [`cloud::Backend`]
//! through a [`cloud::Session`] and the shared [`cloud::CloudClient`]
//! (rate [`limits`], retries), and [`report`] aggregates the outcomes and
//! writes them out.

#![warn(missing_docs)]

pub mod cli;
pub mod cloud;
pub mod config;
pub mod distribution;
pub mod limits;
pub mod progress;
pub mod report;
pub mod run;
pub mod runtime;
pub mod scheduler;
pub mod starter;
pub mod store;
pub mod suggest;
pub mod targets;
