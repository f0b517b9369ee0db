//! `host run`: resolve the config file and flags into a run, load the
//! plugins, schedule, and write what finished, whatever stopped the run.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::ValueEnum;
use tokio_util::sync::CancellationToken;

use super::InputError;
use super::aws::endpoint_url;
use super::output::{Output, OutputFormat};
use super::plugin::PolicyArgs;
use super::sim::{SimArgs, simulated_cloud};
use crate::cloud::RetryPolicy;
use crate::cloud::aws::discovery::AwsAccess;
use crate::config::{self, RunConfig, parse_duration, parse_size};
use crate::distribution::{PluginPolicy, PluginSource, lock};
use crate::limits::{DEFAULT_MAX_IN_FLIGHT, Limits, Override, RuleBook};
use crate::progress::Progress;
use crate::run::{Cloud, Run, RunError, Shard};
use crate::runtime::DEFAULT_MAX_OUTPUT;
use crate::runtime::settings::SettingArg;
use crate::scheduler::{JoinPolicy, Quorum, SchedulerConfig};
use crate::store::{RunMeta, StoreSink, StoreUrl};
use crate::targets::Selection;

/// `host run` flags; each overrides the key of the same name in `--config`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Collector plugins: .wasm components, or oci://REGISTRY/REPO:TAG
    /// (or @sha256:...) references; several share the limits and the
    /// worker pool and are reported one by one.
    #[arg(value_name = "PLUGIN", value_parser = PluginSource::parse_arg)]
    plugins: Vec<PluginSource>,
    /// A TOML run configuration (keys are these flags' names).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// A plugin setting, PLUGIN.SETTING=VALUE; repeatable, e.g.
    /// --set iam.stale_after_days=30 (`host inspect` lists them).
    #[arg(long = "set", value_name = "PLUGIN.SETTING=VALUE", value_parser = SettingArg::from_str_arg)]
    set: Vec<SettingArg>,
    /// Accounts to collect, by id or name, comma-separated [default: all].
    #[arg(long, value_delimiter = ',', value_name = "ACCOUNTS")]
    accounts: Vec<String>,
    /// Regions to collect, comma-separated, or `all` [default: all enabled].
    #[arg(long, value_delimiter = ',', value_name = "REGIONS")]
    regions: Vec<String>,
    /// Tasks in flight at once [default: 20].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096), allow_negative_numbers = true)]
    max_workers: Option<u32>,
    /// Time one task may take, e.g. 60s [default: 60s].
    #[arg(long, value_name = "DURATION", value_parser = positive_duration, allow_hyphen_values = true)]
    timeout: Option<Duration>,
    /// Extra attempts for a failed target [default: 0].
    #[arg(long, allow_negative_numbers = true)]
    retry_count: Option<u32>,
    /// Pause before retrying a failed target [default: 1s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true)]
    retry_delay: Option<Duration>,
    /// Stop scheduling once more than N targets failed; up to N is fine.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    max_failures: Option<usize>,
    /// Succeed when at least N targets (or N% of them) succeeded.
    #[arg(long, value_name = "N|N%", allow_negative_numbers = true)]
    min_success: Option<Quorum>,
    /// Stop at this wall time: cancel what runs, keep what finished.
    #[arg(long, value_name = "DURATION", value_parser = positive_duration, allow_hyphen_values = true)]
    deadline: Option<Duration>,
    /// Seed of the scheduling order [default: 1].
    #[arg(long)]
    seed: Option<u64>,
    /// Attempts per API call, the first included [default: 8].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100), allow_negative_numbers = true)]
    max_attempts: Option<u32>,
    /// Time one API call may take [default: 20s].
    #[arg(long, value_name = "DURATION", value_parser = positive_duration, allow_hyphen_values = true)]
    call_timeout: Option<Duration>,
    /// Client-side rate limit override, SERVICE[:OPERATION]=RATE[/BURST];
    /// repeatable, e.g. --rate-limit ec2=40/200.
    #[arg(long, value_name = "SPEC")]
    rate_limit: Vec<Override>,
    /// Turn client-side rate limiting off (to measure what it buys).
    #[arg(long)]
    no_client_limits: bool,
    /// Calls in flight across the run [default: 128].
    #[arg(long)]
    max_in_flight: Option<usize>,
    /// Bytes of records one target may return, e.g. 8MiB, 512KiB; a target
    /// over it fails with trawl.OutputTooLarge [default: 8MiB].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_output_per_target: Option<usize>,
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(short, long, value_enum)]
    output: Option<OutputFormat>,
    /// Also write a dated report directory here: DIR/trawl-YYYYMMDD-HHMMSS/
    /// with report.json, PLUGIN.csv, summary.csv and report.html.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Collect shard I of N: a stable share of the targets by account and
    /// region (organization-scoped plugins run in shard 1); merge the N
    /// JSON reports with `host merge`.
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
    /// No progress bar, even on a terminal.
    #[arg(long)]
    no_progress: bool,
    /// Also write the run into a database as targets finish:
    /// sqlite:PATH (sqlite: alone is ./trawl.db) or
    /// postgres://USER@HOST:PORT/DB; repeatable.
    // Parsed after clap: its own error would echo a URL's password.
    #[arg(long, value_name = "URL")]
    into: Vec<String>,
    /// This run's id in the databases; give the shards of one run the
    /// same one [default: a new UUIDv7].
    #[arg(long, value_name = "ID", value_parser = run_id)]
    run_id: Option<String>,
    /// Keep the newest N complete runs of these plugins in the databases,
    /// deleting older ones.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), allow_negative_numbers = true)]
    keep: Option<u32>,
    /// After the run, say on stderr what changed since the previous
    /// complete run of these plugins in the (first) database: records
    /// added, removed and changed per plugin (`host diff` shows them).
    #[arg(long)]
    diff: bool,

    /// Collect from AWS (or --endpoint-url) instead of the simulated
    /// cloud, with the standard credential chain (environment, profiles,
    /// SSO, credential_process, web identity, container, instance metadata).
    #[arg(long)]
    aws: bool,
    /// The profile of the caller's credentials in the shared AWS config
    /// files [default: AWS_PROFILE, else the default profile].
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Send every AWS call here: moto, LocalStack, `host sim serve`.
    /// [default: AWS_ENDPOINT_URL, else each service's AWS endpoint]
    #[arg(long, value_name = "URL", value_parser = endpoint_url)]
    endpoint_url: Option<String>,
    /// Assume this role in every account of --accounts, e.g.
    /// OrganizationAccountAccessRole (without it: the caller's own account).
    #[arg(long, value_name = "NAME")]
    role_name: Option<String>,
    /// The external id the role's trust policy requires.
    #[arg(long, value_name = "ID")]
    external_id: Option<String>,
    /// Discover the accounts with AWS Organizations (from the management
    /// account), skipping suspended ones; needs --role-name (or
    /// `[[account]]` entries for the accounts it finds).
    #[arg(long)]
    org: bool,
    #[command(flatten)]
    policy: PolicyArgs,
    #[command(flatten)]
    sim: SimArgs,
}

/// A run id: 1-128 letters, digits and `-_.:`.
fn run_id(s: &str) -> Result<String, String> {
    let ok = !s.is_empty() && s.len() <= 128 && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
    if ok { Ok(s.to_owned()) } else { Err(format!("{s:?} is not a run id: 1-128 letters, digits and -_.:")) }
}

fn positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err(format!("{s:?} must be longer than zero")),
        d => Ok(d),
    }
}

/// A run with the config file and the flags resolved.
struct RunSpec {
    plugins: Vec<PluginSource>,
    settings: Vec<SettingArg>,
    policy: PluginPolicy,
    selection: Selection,
    scheduler: SchedulerConfig,
    retry: RetryPolicy,
    limits: Limits,
    seed: u64,
    /// How an AWS run reaches its accounts; its endpoint is `--endpoint-url`
    /// or `endpoint_url` (AWS_ENDPOINT_URL is read later, for AWS runs only).
    aws: AwsAccess,
    format: Option<OutputFormat>,
    report_dir: Option<PathBuf>,
    shard: Option<Shard>,
    no_progress: bool,
    max_output: usize,
    into: Vec<StoreUrl>,
    run_id: Option<String>,
    keep: Option<usize>,
    diff: bool,
}

impl RunSpec {
    /// Everything but the backend (see [`run`]); `file.sim` is not read.
    fn resolve(args: &RunArgs, mut file: RunConfig) -> anyhow::Result<Self> {
        let plugins = if args.plugins.is_empty() {
            let listed = file.plugins.take().unwrap_or_default();
            listed
                .iter()
                .map(|p| p.parse().map_err(|e| InputError::from(format!("`plugins` in the config: {e}"))))
                .collect::<anyhow::Result<Vec<PluginSource>>>()?
        } else {
            args.plugins.clone()
        };
        if plugins.is_empty() {
            return Err(InputError::from(
                "no plugin to run: give one or more .wasm files or oci:// references (or `plugins` in --config)",
            ));
        }
        // Settings from the file, then `set`, then --set: a later one of
        // the same plugin and name wins.
        let mut settings = std::mem::take(&mut file.plugin_settings);
        for text in file.set.take().unwrap_or_default() {
            settings.push(text.parse().map_err(|e| InputError::from(format!("`set` in the config: {e}")))?);
        }
        settings.extend(args.set.iter().cloned());
        let mut seen = std::collections::HashSet::new();
        settings.reverse();
        settings.retain(|s| seen.insert((s.plugin.clone(), s.name.clone())));
        settings.reverse();
        let policy_args = PolicyArgs {
            lock: args.policy.lock.clone().or(file.lock.take()),
            update_lock: args.policy.update_lock || file.update_lock.unwrap_or(false),
            trust: args.policy.trust.clone(),
            registry_insecure: args.policy.registry_insecure || file.registry_insecure.unwrap_or(false),
        };
        let lock = lock::lock_path(policy_args.lock.as_deref(), args.config.as_deref());
        let policy = policy_args.policy(&plugins, lock, &file.trust.keys)?;
        let format = match (args.output, file.output.take()) {
            (Some(format), _) => Some(format),
            (None, Some(name)) => Some(OutputFormat::from_str(&name, true).map_err(|_| {
                InputError::from(format!("`output = {name:?}` in the config: expected table, json, jsonl or csv"))
            })?),
            (None, None) => None,
        };
        let endpoint = match (&args.endpoint_url, file.endpoint_url.take()) {
            (Some(url), _) => Some(url.clone()),
            (None, Some(url)) => {
                Some(endpoint_url(&url).map_err(|e| InputError::from(format!("`endpoint_url` in the config: {e}")))?)
            }
            (None, None) => None,
        };
        let pick = |flag: &Vec<String>, file: Option<Vec<String>>| {
            if flag.is_empty() { file.unwrap_or_default() } else { flag.clone() }
        };
        let selection =
            Selection { accounts: pick(&args.accounts, file.accounts), regions: pick(&args.regions, file.regions) };
        let scheduler = SchedulerConfig {
            max_workers: args.max_workers.or(file.max_workers).unwrap_or(20) as usize,
            task_timeout: args.timeout.or(file.timeout).unwrap_or(Duration::from_secs(60)),
            retry_count: args.retry_count.or(file.retry_count).unwrap_or(0),
            retry_delay: args.retry_delay.or(file.retry_delay).unwrap_or(Duration::from_secs(1)),
            policy: JoinPolicy {
                max_failures: args.max_failures.or(file.max_failures),
                min_success: args.min_success.or(file.min_success),
                deadline: args.deadline.or(file.deadline),
            },
        };
        let defaults = RetryPolicy::default();
        let retry = RetryPolicy {
            max_attempts: args.max_attempts.or(file.retries.max_attempts).unwrap_or(defaults.max_attempts).max(1),
            call_timeout: args.call_timeout.or(file.retries.call_timeout).unwrap_or(defaults.call_timeout),
            ..defaults
        };
        let mut rules = config::overrides(&file.limits.rules).map_err(InputError::from)?;
        rules.extend(args.rate_limit.iter().cloned());
        check_services(&rules, "--rate-limit")?;
        let limits = Limits::new(
            RuleBook::new(rules),
            !args.no_client_limits && file.limits.client_side.unwrap_or(true),
            args.max_in_flight.or(file.limits.max_in_flight).unwrap_or(DEFAULT_MAX_IN_FLIGHT),
        );
        let aws = AwsAccess {
            profile: args.profile.clone().or(file.profile),
            endpoint,
            role_name: args.role_name.clone().or(file.role_name),
            external_id: args.external_id.clone().or(file.external_id),
            org: args.org || file.org.unwrap_or(false),
            listed: file.account_list,
        };
        if aws.external_id.is_some() && aws.role_name.is_none() {
            return Err(InputError::from("--external-id needs --role-name"));
        }
        let into = if args.into.is_empty() {
            file.into
                .take()
                .unwrap_or_default()
                .iter()
                .map(|u| u.parse().map_err(|e| InputError::from(format!("`into` in the config: {e}"))))
                .collect::<anyhow::Result<Vec<StoreUrl>>>()?
        } else {
            args.into
                .iter()
                .map(|u| u.parse().map_err(|e| InputError::from(format!("--into {e}"))))
                .collect::<anyhow::Result<Vec<StoreUrl>>>()?
        };
        let run_id = match (&args.run_id, file.run_id.take()) {
            (Some(id), _) => Some(id.clone()),
            (None, Some(id)) => {
                Some(self::run_id(&id).map_err(|e| InputError::from(format!("`run_id` in the config: {e}")))?)
            }
            (None, None) => None,
        };
        let keep = args.keep.map(|k| k as usize).or(file.keep);
        let diff = args.diff || file.diff.unwrap_or(false);
        if into.is_empty() {
            let needs_into = [(keep.is_some(), "--keep"), (run_id.is_some(), "--run-id"), (diff, "--diff")];
            if let Some((_, flag)) = needs_into.iter().find(|(given, _)| *given) {
                return Err(InputError::from(format!("{flag} is about runs stored in a database: add --into URL")));
            }
        }
        if keep == Some(0) {
            return Err(InputError::from("--keep 0 would delete every run: keep at least 1"));
        }
        Ok(Self {
            plugins,
            settings,
            policy,
            selection,
            scheduler,
            retry,
            limits,
            seed: args.seed.or(file.seed).unwrap_or(1),
            aws,
            format,
            report_dir: args.report.clone().or(file.report),
            shard: match (args.shard, file.shard.take()) {
                (Some(shard), _) => Some(shard),
                (None, Some(text)) => {
                    Some(text.parse().map_err(|e| InputError::from(format!("`shard` in the config: {e}")))?)
                }
                (None, None) => None,
            },
            no_progress: args.no_progress || file.no_progress.unwrap_or(false),
            max_output: args.max_output_per_target.or(file.max_output_per_target).unwrap_or(DEFAULT_MAX_OUTPUT),
            into,
            run_id,
            keep,
            diff,
        })
    }
}

/// Overrides must name a service trawl knows: `--rate-limit ec3=5` would
/// otherwise limit nothing, silently.
pub fn check_services(rules: &[Override], flag: &str) -> anyhow::Result<()> {
    let known = crate::limits::rules::known_services();
    match rules.iter().find(|r| !known.contains(&r.service.as_str())) {
        Some(rule) => Err(InputError::from(format!(
            "{flag} {rule}: unknown service {:?}{}; trawl knows {}",
            rule.service,
            crate::suggest::did_you_mean(&rule.service, known.iter().copied()),
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

/// The backend is an explicit choice: AWS-only settings without `--aws`
/// would otherwise collect the demo cloud and look like an audit, and
/// simulator flags with `--aws` would be silently ignored.
fn check_backend_choice(args: &RunArgs, file: &RunConfig, aws: bool) -> anyhow::Result<()> {
    if aws {
        return match args.sim.first_given() {
            Some(flag) => {
                Err(InputError::from(format!("{flag} describes the simulated cloud and cannot be combined with --aws")))
            }
            None => Ok(()),
        };
    }
    let aws_only = [
        (args.profile.is_some(), "--profile"),
        (args.role_name.is_some(), "--role-name"),
        (args.external_id.is_some(), "--external-id"),
        (args.org, "--org"),
        (args.endpoint_url.is_some(), "--endpoint-url"),
        (file.profile.is_some(), "`profile` in the config"),
        (file.role_name.is_some(), "`role_name` in the config"),
        (file.external_id.is_some(), "`external_id` in the config"),
        (file.org == Some(true), "`org` in the config"),
        (file.endpoint_url.is_some(), "`endpoint_url` in the config"),
        (!file.account_list.is_empty(), "[[account]] in the config"),
    ];
    match aws_only.into_iter().find_map(|(given, name)| given.then_some(name)) {
        Some(name) => Err(InputError::from(format!(
            "{name} is for AWS runs: add --aws (without it trawl collects from its built-in demo cloud)"
        ))),
        None => Ok(()),
    }
}

/// Runs `host run`; `quiet` silences the line that names the backend.
pub async fn run(args: RunArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    // The run's wall time starts here: discovery and loading count too.
    let started = Instant::now();
    let mut file = match &args.config {
        Some(path) => RunConfig::from_file(path).map_err(InputError::from)?,
        None => RunConfig::default(),
    };
    let use_aws = args.aws || file.aws.unwrap_or(false);
    check_backend_choice(&args, &file, use_aws)?;
    let sim_config = std::mem::take(&mut file.sim);
    let mut spec = RunSpec::resolve(&args, file)?;
    // Only the backend the run uses is built: an AWS run neither generates
    // nor reads a simulated organisation.
    let cloud = if use_aws {
        if spec.aws.endpoint.is_none() {
            spec.aws.endpoint = std::env::var("AWS_ENDPOINT_URL")
                .ok()
                .map(|url| endpoint_url(&url).map_err(|e| InputError::from(format!("AWS_ENDPOINT_URL: {e}"))))
                .transpose()?;
        }
        Cloud::Aws(spec.aws)
    } else {
        let slow_default = spec.retry.call_timeout + Duration::from_secs(1);
        let (_, cloud, source) = simulated_cloud(&args.sim, sim_config, slow_default)?;
        Cloud::Simulated { cloud: Box::new(cloud), source }
    };
    // Every database is opened and checked before anything else runs, so
    // a bad URL, a wrong password or a newer schema is the only line.
    let mut stores = Vec::with_capacity(spec.into.len());
    for url in &spec.into {
        stores.push(StoreSink::open(url).await.map_err(InputError::from)?);
    }
    // What changed since the previous run is worked out for --diff, and
    // for the report's counts.
    let compare = spec.diff || spec.report_dir.is_some();
    let mut output = Output::new(spec.format, spec.report_dir, quiet);
    output.write_into(stores);
    let mut run = Run::builder()
        .plugins(spec.plugins)
        .settings(spec.settings)
        .plugin_policy(spec.policy)
        .cloud(cloud)
        .select(spec.selection)
        .scheduling(spec.scheduler)
        .retries(spec.retry)
        .limits(spec.limits)
        .seed(spec.seed)
        .max_output_per_target(spec.max_output)
        .shard(spec.shard)
        .run_id(spec.run_id)
        .keep_streamed_records(output.streams() && output.needs_all_records())
        .cancel_on(interrupt_on_signals())
        .started_at(started)
        .start()
        .await
        .map_err(|e| match e {
            RunError::Input(message) => InputError::from(message),
            RunError::Internal(e) => e,
        })?;
    // Said once every input is known to be good, so an input error stays
    // the only line on stderr.
    if !quiet {
        if let Some(banner) = run.banner() {
            eprintln!("{banner}");
        }
        if let (Some(shard), Some(info)) = (spec.shard, run.backend().get("shard")) {
            eprintln!(
                "shard {shard}: {} of the run's {} targets (organization-scoped plugins run in shard 1)",
                info["targets"], info["run_targets"]
            );
        }
    }
    let names: Vec<String> = run.plugins().iter().map(|p| p.name.clone()).collect();
    let visible = output.stderr_is_terminal() && !spec.no_progress && !quiet;
    output.begin_stores(RunMeta::of(&run)).await.map_err(InputError::from)?;
    let progress = Progress::new(run.watch(), &names, visible, run.calls());
    output.stream(&mut run).await;
    let report = run.wait().await;
    progress.finish();
    let failed_stores = output.finish_stores(&report, spec.keep).await;
    if compare
        && failed_stores.is_empty()
        && let Some(url) = spec.into.first()
        && let Some(changes) = super::diff::since_previous(url.clone(), report.run_id.clone(), spec.diff).await
    {
        output.set_changes(changes);
    }
    output.finish(&report)?;
    if !failed_stores.is_empty() {
        for e in &failed_stores {
            eprintln!("error: {e}; the run's results there are incomplete (stdout has all of them)");
        }
        return Ok(ExitCode::from(EXIT_NOT_STORED));
    }
    Ok(ExitCode::from(report.verdict.exit_code()))
}

/// The exit status when a database could not be written: every result is
/// on stdout, but the stored run is incomplete.
pub const EXIT_NOT_STORED: u8 = 7;

/// Ctrl-C or SIGTERM cancels the run (what finished is still written); a
/// second one exits at once.
fn interrupt_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        let mut signals = 0;
        loop {
            wait_for_signal().await;
            signals += 1;
            if signals == 1 {
                tracing::warn!("interrupted: stopping, writing what finished (again to quit at once)");
                cancel.cancel();
            } else {
                std::process::exit(130);
            }
        }
    });
    token
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::aws::discovery::org_error;

    /// A config line for every `host run` flag, by the flag's name.
    const SAMPLES: &[(&str, &str)] = &[
        ("plugins", r#"plugins = ["ebs.wasm"]"#),
        ("into", r#"into = "sqlite:runs.db""#),
        ("run_id", r#"run_id = "audit-2026-12""#),
        ("keep", "keep = 10"),
        ("diff", "diff = true"),
        ("set", r#"set = ["iam.stale_after_days=30"]"#),
        ("accounts", r#"accounts = "production,staging""#),
        ("regions", r#"regions = "eu-west-1""#),
        ("max_workers", "max_workers = 4"),
        ("timeout", r#"timeout = "30s""#),
        ("retry_count", "retry_count = 1"),
        ("retry_delay", r#"retry_delay = "2s""#),
        ("max_failures", "max_failures = 3"),
        ("min_success", r#"min_success = "90%""#),
        ("deadline", r#"deadline = "5m""#),
        ("seed", "seed = 7"),
        ("max_attempts", "max_attempts = 3"),
        ("call_timeout", r#"call_timeout = "5s""#),
        ("rate_limit", r#"rate_limit = "ec2=40/200""#),
        ("no_client_limits", "no_client_limits = true"),
        ("max_in_flight", "max_in_flight = 64"),
        ("max_output_per_target", r#"max_output_per_target = "4MiB""#),
        ("output", r#"output = "jsonl""#),
        ("report", r#"report = "reports""#),
        ("shard", r#"shard = "2/3""#),
        ("lock", r#"lock = "trawl.lock""#),
        ("update_lock", "update_lock = true"),
        ("trust", r#"trust = "team.pub""#),
        ("registry_insecure", "registry_insecure = true"),
        ("no_progress", "no_progress = true"),
        ("aws", "aws = true"),
        ("profile", r#"profile = "audit""#),
        ("endpoint_url", r#"endpoint_url = "http://127.0.0.1:4566""#),
        ("role_name", r#"role_name = "Audit""#),
        ("external_id", r#"external_id = "k9""#),
        ("org", "org = true"),
        ("fixture", r#"fixture = "org.json""#),
        ("sim_generate", r#"sim_generate = "accounts=3""#),
        ("sim_latency", r#"sim_latency = "20ms,80ms""#),
        ("sim_error_rate", "sim_error_rate = 0.1"),
        ("sim_slow_rate", "sim_slow_rate = 0.1"),
        ("sim_broken", r#"sim_broken = "111111111111""#),
        ("sim_limit", r#"sim_limit = ["ec2=2/1"]"#),
        ("no_sim_throttling", "no_sim_throttling = true"),
        ("sim_seed", "sim_seed = 3"),
    ];

    #[test]
    fn the_config_file_takes_every_flag_under_its_own_name() {
        use clap::CommandFactory;
        let cli = super::super::Cli::command();
        let run = cli.find_subcommand("run").expect("host run");
        let empty = format!("{:?}", RunConfig::parse("").unwrap());
        for arg in run.get_arguments() {
            let id = arg.get_id().as_str();
            if ["config", "help"].contains(&id) {
                continue;
            }
            let (_, line) = SAMPLES.iter().find(|(name, _)| *name == id).unwrap_or_else(|| {
                panic!("--{id} has no config sample here: teach RunConfig the key and add it to SAMPLES")
            });
            for text in [line.to_string(), line.replacen('_', "-", 8)] {
                let config = RunConfig::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
                assert_ne!(format!("{config:?}"), empty, "{text} was accepted but had no effect");
            }
        }
    }

    #[test]
    fn config_mistakes_are_named_with_a_suggestion() {
        let e = RunConfig::parse("max_worker = 3").unwrap_err();
        assert!(e.contains("`max_worker`") && e.contains("did you mean \"max_workers\""), "{e}");
        let e = RunConfig::parse("max_attempts = 3\n[retries]\nmax_attempts = 4").unwrap_err();
        assert!(e.contains("keep one"), "{e}");
        let e = RunConfig::parse("regions = [\n").unwrap_err();
        assert!(e.lines().count() > 1, "TOML syntax errors keep their excerpt: {e}");
    }

    #[test]
    fn sizes_and_endpoints_are_read_or_refused_by_name() {
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("512KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1.5m"), Ok(3 << 19));
        assert_eq!(parse_size("4096"), Ok(4096));
        for bad in ["", "MiB", "8 parsecs", "-1", "0"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
        assert!(endpoint_url("http://127.0.0.1:4566").is_ok());
        assert!(endpoint_url("https://ec2.example.test/").is_ok());
        let e = endpoint_url("127.0.0.1:5055").unwrap_err();
        assert!(e.contains("needs a scheme") && e.contains("http://127.0.0.1:5055"), "{e}");
        assert!(endpoint_url("ftp://host/").unwrap_err().contains("http or https"));
    }

    #[test]
    fn org_errors_say_what_is_wrong_with_the_organisation() {
        use crate::cloud::ApiError;
        let not_in_use = ApiError::new("AWSOrganizationsNotInUseException", 400, "not in use");
        assert!(org_error("111122223333", &not_in_use).contains("111122223333 is not in an organisation"));
        let denied = ApiError::new("AccessDeniedException", 400, "no");
        assert!(org_error("111122223333", &denied).contains("management account"));
    }
}
