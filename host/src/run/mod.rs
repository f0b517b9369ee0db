//! A run as a library call: build it, start it, read each target's result
//! as it finishes, cancel it, wait for the report.
//!
//! `host run` is one client of this API; anything else (a service, a
//! notebook kernel, a test) can be another.
//!
//! ```no_run
//! use futures::StreamExt;
//! use trawl_host::run::{Cloud, Run};
//!
//! # async fn demo() -> Result<(), trawl_host::run::RunError> {
//! let mut run = Run::builder().plugin("plugins/ebs.wasm").cloud(Cloud::demo()).start().await?;
//! while let Some(done) = run.next().await {
//!     println!("{}: {:?}, {} records", done.result.target, done.result.status, done.result.record_count);
//! }
//! let report = run.wait().await;
//! println!("{}", report.verdict);
//! # Ok(()) }
//! ```
//!
//! Records are handed out once: a result read from the stream carries its
//! records, and the report from [`RunHandle::wait`] then keeps that
//! target's status, totals and record count but not the records (unless
//! [`RunBuilder::keep_streamed_records`]); results nobody read from the
//! stream come with their records in the report.

mod handle;
pub mod merge;
pub mod shard;

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use serde_json::json;
use tokio_util::sync::CancellationToken;

pub use handle::{Finished, ProgressWatch, RunHandle, RunProgress, RunReport};
pub use shard::{Shard, ShardInfo};

use crate::cloud::aws::discovery::{AwsAccess, aws_accounts, aws_backend};
use crate::cloud::sim::{SimCloud, SimSource};
use crate::cloud::{CloudClient, RetryPolicy, Target};
use crate::distribution::{PluginPolicy, PluginSource, load_plugins};
use crate::limits::Limits;
use crate::runtime::settings::SettingArg;
use crate::runtime::{DEFAULT_MAX_OUTPUT, OutputLimits, Plugin, RuntimeConfig, Scope};
use crate::scheduler::{self, Quorum, SchedulerConfig};
use crate::targets::{self, Selection};

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Something the caller gave is wrong (a plugin, an account, a
    /// region, credentials): the message names it.
    #[error("{0}")]
    Input(String),
    /// Something on this machine failed (the engine, an HTTP client).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl RunError {
    /// An input error with this message.
    pub fn input(message: impl std::fmt::Display) -> Self {
        Self::Input(message.to_string())
    }
}

/// Where a run collects from.
pub enum Cloud {
    /// A simulated cloud: the demo, a fixture or a generated organisation.
    Simulated {
        /// The simulator.
        cloud: Box<SimCloud>,
        /// Where its organisation came from (said in every report).
        source: SimSource,
    },
    /// AWS, or an endpoint that speaks its protocols.
    Aws(AwsAccess),
}

impl Cloud {
    /// trawl's built-in demo organisation, simulated.
    pub fn demo() -> Self {
        Self::Simulated { cloud: Box::new(SimCloud::new(crate::cloud::sim::demo())), source: SimSource::Demo }
    }
}

/// Everything a run needs; see [`Run::builder`].
pub struct RunBuilder {
    plugins: Vec<PluginSource>,
    settings: Vec<SettingArg>,
    policy: PluginPolicy,
    cloud: Cloud,
    selection: Selection,
    scheduler: SchedulerConfig,
    retry: RetryPolicy,
    limits: Limits,
    seed: u64,
    max_output: usize,
    shard: Option<Shard>,
    keep_streamed_records: bool,
    cancel: CancellationToken,
    started: Instant,
    run_id: Option<String>,
}

/// The entry point: `Run::builder()...start().await`.
pub struct Run;

impl Run {
    /// A run with the `host run` defaults, over the demo cloud, with no
    /// plugin yet.
    pub fn builder() -> RunBuilder {
        RunBuilder {
            plugins: Vec::new(),
            settings: Vec::new(),
            policy: PluginPolicy::default(),
            cloud: Cloud::demo(),
            selection: Selection::default(),
            scheduler: SchedulerConfig::default(),
            retry: RetryPolicy::default(),
            limits: Limits::default(),
            seed: 1,
            max_output: DEFAULT_MAX_OUTPUT,
            shard: None,
            keep_streamed_records: false,
            cancel: CancellationToken::new(),
            started: Instant::now(),
            run_id: None,
        }
    }
}

impl RunBuilder {
    /// Adds a collector: a .wasm file or an `oci://` reference; several
    /// share the limits and the worker pool and are reported one by one.
    pub fn plugin(mut self, source: impl Into<PluginSource>) -> Self {
        self.plugins.push(source.into());
        self
    }

    /// Adds several collectors.
    pub fn plugins(mut self, sources: impl IntoIterator<Item = PluginSource>) -> Self {
        self.plugins.extend(sources);
        self
    }

    /// Plugin settings, `PLUGIN.SETTING=VALUE` as `--set` takes them;
    /// checked against what each plugin declares when the run starts.
    pub fn settings(mut self, settings: impl IntoIterator<Item = SettingArg>) -> Self {
        self.settings.extend(settings);
        self
    }

    /// How plugins are checked before they run: lock file, trusted
    /// signing keys, plain-HTTP registries [default: none of them].
    pub fn plugin_policy(mut self, policy: PluginPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Where to collect from [default: the demo cloud].
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.cloud = cloud;
        self
    }

    /// Which accounts and regions [default: all of them].
    pub fn select(mut self, selection: Selection) -> Self {
        self.selection = selection;
        self
    }

    /// Workers, timeouts, task retries and the join policy.
    pub fn scheduling(mut self, config: SchedulerConfig) -> Self {
        self.scheduler = config;
        self
    }

    /// Attempts and timeouts of each API call.
    pub fn retries(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Client-side rate limits and the in-flight cap.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Seed of the scheduling order [default: 1].
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Bytes of records one target may return [default: 8 MiB].
    pub fn max_output_per_target(mut self, bytes: usize) -> Self {
        self.max_output = bytes;
        self
    }

    /// Collect only this shard of the targets.
    pub fn shard(mut self, shard: Option<Shard>) -> Self {
        self.shard = shard;
        self
    }

    /// Keep a copy of the records of results read from the stream, so the
    /// final report has every record too (costs a copy of each).
    pub fn keep_streamed_records(mut self, keep: bool) -> Self {
        self.keep_streamed_records = keep;
        self
    }

    /// Cancel the run when this token is cancelled (e.g. on a signal), as
    /// [`RunHandle::cancel`] does.
    pub fn cancel_on(mut self, token: CancellationToken) -> Self {
        // A child: cancelling (or dropping) the run never cancels the
        // caller's token.
        self.cancel = token.child_token();
        self
    }

    /// This run's id [default: a new UUIDv7]; the shards of one run are
    /// given the same one, so a database holds them as one run.
    pub fn run_id(mut self, id: Option<String>) -> Self {
        self.run_id = id;
        self
    }

    /// Count the run's wall time from `started` (e.g. when the program
    /// began reading its configuration) instead of from [`Run::builder`].
    pub fn started_at(mut self, started: Instant) -> Self {
        self.started = started;
        self
    }

    /// Fetches, verifies and loads the plugins, builds the backend, finds
    /// the accounts, expands the targets and starts the run. Every input
    /// is checked before the first task starts, and the plugins (their
    /// signatures and lock entries) before the first cloud call.
    pub async fn start(self) -> Result<RunHandle, RunError> {
        if self.plugins.is_empty() {
            return Err(RunError::input("no plugin to run: give one or more .wasm files"));
        }
        let config = RuntimeConfig {
            max_instances: self.scheduler.max_workers as u32 + 2,
            info_timeout: self.scheduler.task_timeout,
            output_limits: OutputLimits { max_bytes: self.max_output },
            ..RuntimeConfig::default()
        };
        let (_runtime, mut plugins) =
            load_plugins(config, &self.plugins, &self.policy).await.map_err(RunError::Input)?;
        configure(&mut plugins, &self.settings).map_err(RunError::Input)?;
        let plugins: Vec<Arc<Plugin>> = plugins.into_iter().map(Arc::new).collect();
        let limits = Arc::new(self.limits);
        let mut selection = self.selection;
        let discovering = Instant::now();
        // The client exists before the targets do, so AWS discovery goes
        // through the run's limits.
        let (accounts, client, mut backend, banner) = match self.cloud {
            Cloud::Aws(access) => {
                let backend = json!({"backend": "aws", "endpoint": access.endpoint.as_deref().unwrap_or("AWS")});
                let aws = Arc::new(aws_backend(&access).await?);
                let client = CloudClient::new(aws.clone(), limits, self.retry.clone());
                let regional = plugins.iter().any(|p| p.info.scope == Scope::Regional);
                (aws_accounts(&aws, &client, &access, &mut selection, regional).await?, client, backend, None)
            }
            Cloud::Simulated { cloud, source } => {
                let accounts = targets::accounts_of(cloud.organization());
                let mut backend = json!({"backend": source.kind()});
                if let SimSource::Fixture(path) = &source {
                    backend["fixture"] = path.display().to_string().into();
                }
                let banner = source.banner(&accounts);
                (accounts, CloudClient::new(Arc::new(*cloud), limits, self.retry.clone()), backend, Some(banner))
            }
        };
        let client = Arc::new(client);
        let discovery = discovering.elapsed();

        let mut per_plugin = Vec::with_capacity(plugins.len());
        for plugin in &plugins {
            per_plugin.push(
                targets::expand(&accounts, &selection, plugin.info.scope, &plugin.info.home_region, self.seed)
                    .map_err(RunError::input)?,
            );
        }
        let shard = self.shard.map(|shard| {
            let policy = format!("{:?}", self.scheduler.policy);
            let print = shard::fingerprint(
                plugins.iter().zip(&per_plugin).map(|(p, t)| (p.info.name.as_str(), p.info.version.as_str(), &t[..])),
                &policy,
            );
            let run_targets = jobs_in(&plugins, &per_plugin);
            per_plugin = plugins.iter().zip(per_plugin.drain(..)).map(|(p, t)| shard.pick(p.info.scope, t)).collect();
            let targets = jobs_in(&plugins, &per_plugin);
            ShardInfo {
                index: shard.index,
                count: shard.count,
                targets,
                run_targets,
                fingerprint: print,
                max_failures: self.scheduler.policy.max_failures,
                min_success: self.scheduler.policy.min_success.map(|q| q.to_string()),
            }
        });
        if let Some(info) = &shard {
            backend["shard"] = serde_json::to_value(info).map_err(anyhow::Error::from)?;
        }
        let jobs = scheduler::jobs(&plugins, per_plugin);
        // A shard is judged against the whole run's targets (by `host merge`).
        let run_targets = shard.as_ref().map_or(jobs.len(), |s| s.run_targets);
        if let Some(Quorum::Count(n)) = self.scheduler.policy.min_success
            && n > run_targets
        {
            return Err(RunError::input(format!(
                "--min-success {n} cannot be met: the run has {run_targets} targets (give a count up to {run_targets} or a percentage)"
            )));
        }
        // Each account's credentials (an AssumeRole for most) are readied
        // ahead of its first task, in the order the tasks will need them.
        let prefetch = tokio::spawn(prepare_accounts(client.clone(), first_targets(&jobs)));
        tracing::info!(plugins = plugins.len(), jobs = jobs.len(), "starting run");
        Ok(RunHandle::start(handle::Started {
            plugins,
            client,
            jobs,
            config: self.scheduler,
            cancel: self.cancel,
            prefetch,
            keep_streamed_records: self.keep_streamed_records,
            started: self.started,
            run_id: self.run_id.unwrap_or_else(crate::store::new_run_id),
            discovery,
            backend,
            banner,
        }))
    }
}

/// Gives each plugin its settings; a setting for a plugin the run does
/// not load is an error, not silently dropped.
fn configure(plugins: &mut [Plugin], settings: &[SettingArg]) -> Result<(), String> {
    let names: Vec<&str> = plugins.iter().map(|p| p.info.name.as_str()).collect();
    if let Some(stray) = settings.iter().find(|s| !names.contains(&s.plugin.as_str())) {
        return Err(format!(
            "setting `{}.{}` names plugin {:?}, which this run does not load{} (plugins: {})",
            stray.plugin,
            stray.name,
            stray.plugin,
            crate::suggest::did_you_mean(&stray.plugin, names.iter().copied()),
            names.join(", ")
        ));
    }
    plugins.iter_mut().try_for_each(|p| p.configure(settings))
}

/// Jobs the targets make: one per target, one per organization plugin.
fn jobs_in(plugins: &[Arc<Plugin>], targets: &[Vec<Target>]) -> usize {
    plugins
        .iter()
        .zip(targets)
        .map(|(p, t)| match p.info.scope {
            Scope::Organization => usize::from(!t.is_empty()),
            _ => t.len(),
        })
        .sum()
}

/// Accounts at which credentials are readied at once, ahead of the tasks.
const PREFETCH_CONCURRENCY: usize = 8;

/// One target per account, in the order the jobs first reach each account.
fn first_targets(jobs: &[scheduler::Job]) -> Vec<Target> {
    let mut seen = std::collections::HashSet::new();
    jobs.iter().flat_map(|job| job.candidates.iter()).filter(|t| seen.insert(t.account_id.clone())).cloned().collect()
}

/// Readies each account's credentials (assumes its role) before its first
/// task asks; a failure here is left for that task to meet and report.
async fn prepare_accounts(client: Arc<CloudClient>, targets: Vec<Target>) {
    futures::stream::iter(targets)
        .for_each_concurrent(PREFETCH_CONCURRENCY, |target| {
            let client = client.clone();
            async move {
                if let Err(e) = client.prepare(&target).await {
                    tracing::debug!(account = %target.account_id, "readying credentials ahead of the tasks: {e}");
                }
            }
        })
        .await;
}
