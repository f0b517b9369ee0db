//! Runs that outlive the terminal: each run, target and record written
//! into SQLite (embedded) or PostgreSQL as the run goes, whole targets per
//! transaction, so history can be queried in SQL and `host diff` can say
//! what changed between two runs.
//!
//! A database is one more consumer of a run's result stream: open a
//! [`StoreSink`] before the run (connecting and checking the schema before
//! any cloud call), hand it each result as it finishes, and finish it with
//! the run's report.

pub mod diff;
mod postgres;
pub mod schema;
mod sink;
mod sqlite;
pub mod url;
mod writer;

use std::fmt;

use serde::Serialize;
use time::OffsetDateTime;

pub use sink::StoreSink;
pub use url::StoreUrl;

/// A database that cannot be used: one line naming it (never with its
/// password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{database}: {message}")]
pub struct StoreError {
    /// The database, as it may be shown.
    pub database: String,
    /// What went wrong.
    pub message: String,
}

impl StoreError {
    /// An error about `database`.
    pub fn new(database: &str, message: impl fmt::Display) -> Self {
        let message = message.to_string();
        let first = message.lines().next().unwrap_or_default();
        Self { database: database.to_owned(), message: url::redact(first) }
    }
}

/// What a stored run says about itself.
#[derive(Debug, Clone)]
pub struct RunMeta {
    /// Its id (a UUIDv7 unless given; shards of one run share it).
    pub run_id: String,
    /// When it started.
    pub started_at: OffsetDateTime,
    /// `sim`, `sim-fixture`, `sim-generated` or `aws`.
    pub backend: String,
    /// The AWS endpoint, or the fixture file.
    pub endpoint: Option<String>,
    /// Its plugins, in the run's order.
    pub plugins: Vec<StoredPlugin>,
    /// This shard and the run's shard count (1/1 when not sharded).
    pub shard: (u32, u32),
}

impl RunMeta {
    /// What a database records about the run `run` is, starting now.
    pub fn of(run: &crate::run::RunHandle) -> Self {
        let backend = run.backend();
        let text = |key: &str| backend.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let shard = backend.get("shard").map_or((1, 1), |s| {
            let n = |k: &str| s.get(k).and_then(|v| v.as_u64()).unwrap_or(1) as u32;
            (n("index"), n("count"))
        });
        Self {
            run_id: run.run_id().to_owned(),
            started_at: OffsetDateTime::now_utc(),
            backend: text("backend").unwrap_or_default(),
            endpoint: text("endpoint").or_else(|| text("fixture")),
            plugins: run
                .plugins()
                .iter()
                .zip(run.plugin_digests())
                .map(|(info, digest)| StoredPlugin {
                    name: info.name.clone(),
                    version: info.version.clone(),
                    digest: digest.clone(),
                    key: info.key.clone(),
                    columns: info.columns.clone(),
                })
                .collect(),
            shard,
        }
    }
}

/// A plugin of a stored run.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct StoredPlugin {
    /// Its name (and its table's).
    pub name: String,
    /// Its version.
    pub version: String,
    /// `sha256:...` of its component.
    pub digest: String,
    /// The fields that identify a record within its target.
    pub key: Vec<String>,
    /// The fields stored in columns of their own.
    pub columns: Vec<String>,
}

/// Where a stored run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Being written (or, for a sharded run, waiting for shards).
    Running,
    /// Every shard finished.
    Complete,
    /// Stopped by an interrupt; what finished before is there.
    Cancelled,
    /// Its process died, or its database failed, mid-run.
    Failed,
}

impl RunState {
    /// The state as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Complete => "complete",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
        }
    }
}

/// A new run id: a UUIDv7, so ids sort by time.
pub fn new_run_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
