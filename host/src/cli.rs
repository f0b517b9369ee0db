//! The `host` command line: `run`, `inspect` and `sim export`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};

use crate::cloud::Backend;
use crate::cloud::sim::{Organization, SimCloud, demo};
use crate::report::{Report, json, jsonl, table};
use crate::runtime::{Runtime, RuntimeConfig};
use crate::scheduler::{self, SchedulerConfig};
use crate::targets::{self, Selection};

const EXIT_CODES: &str = "\
Exit status:
  0  every target succeeded or was skipped
  1  internal error
  2  usage or input error (bad flag, plugin, fixture, account or region)
  3  the run finished but some targets failed or timed out";

/// Process exit codes, as documented in `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every target succeeded or was skipped.
    Success = 0,
    /// Something broke inside trawl.
    Internal = 1,
    /// The operator's input cannot be used.
    Input = 2,
    /// Some targets failed or timed out.
    TargetsFailed = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// Input the operator can fix: exits with [`Exit::Input`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(String);

impl InputError {
    fn from(e: impl std::fmt::Display) -> anyhow::Error {
        InputError(e.to_string()).into()
    }
}

/// trawl: collect cloud inventory with sandboxed WebAssembly plugins,
/// across many accounts and regions at once.
#[derive(Debug, Parser)]
#[command(name = "host", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// More log output (-v info, -vv debug); TRAWL_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only errors in the log.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a collector plugin over the organisation's accounts and regions.
    #[command(after_help = EXIT_CODES)]
    Run(RunArgs),
    /// Show what a plugin declares: name, scope, permissions, columns.
    Inspect {
        /// The plugin (.wasm component).
        plugin: PathBuf,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The simulated cloud.
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
}

#[derive(Debug, Subcommand)]
enum SimCommand {
    /// Print the built-in demo organisation as a fixture file (JSON).
    Export,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The collector plugin (.wasm component).
    plugin: PathBuf,
    /// Accounts to collect, by id or name, comma-separated [default: all].
    #[arg(long, value_delimiter = ',', value_name = "ACCOUNTS")]
    accounts: Vec<String>,
    /// Regions to collect, comma-separated, or `all` [default: all enabled].
    #[arg(long, value_delimiter = ',', value_name = "REGIONS")]
    regions: Vec<String>,
    /// Tasks in flight at once.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=4096))]
    max_workers: u32,
    /// Seconds one task may take.
    #[arg(long, default_value_t = 60.0, value_name = "SECS", value_parser = positive_seconds)]
    timeout: f64,
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum)]
    output: Option<OutputFormat>,
    /// Simulate this organisation (a JSON fixture; see `host sim export`)
    /// instead of the built-in demo.
    #[arg(long, value_name = "FILE")]
    fixture: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    /// Tables for people.
    Table,
    /// One JSON document at the end.
    Json,
    /// One record per line as targets finish; the summary on stderr.
    Jsonl,
}

fn positive_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("{s:?} is not a positive number of seconds")),
    }
}

/// Parses the command line, runs it, and maps errors to exit codes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Internal.into();
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(exit) => exit.into(),
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.is::<InputError>() { Exit::Input } else { Exit::Internal }.into()
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("TRAWL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}

async fn dispatch(command: Command) -> anyhow::Result<Exit> {
    match command {
        Command::Run(args) => run(args).await,
        Command::Inspect { plugin, json } => inspect(plugin, json).await,
        Command::Sim { command: SimCommand::Export } => {
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &demo())?;
            writeln!(out)?;
            Ok(Exit::Success)
        }
    }
}

async fn run(args: RunArgs) -> anyhow::Result<Exit> {
    let org = match &args.fixture {
        Some(path) => Organization::from_file(path).map_err(InputError::from)?,
        None => demo(),
    };
    let accounts = targets::accounts_of(&org);
    let backend: Arc<dyn Backend> = Arc::new(SimCloud::new(org));

    let runtime = Runtime::new(RuntimeConfig { max_instances: args.max_workers + 2, ..RuntimeConfig::default() })?;
    let plugin = Arc::new(runtime.load(&args.plugin).await.map_err(InputError::from)?);
    let selection = Selection { accounts: args.accounts, regions: args.regions };
    let targets = targets::expand(&accounts, &selection, plugin.info.scope, &plugin.info.home_region)
        .map_err(InputError::from)?;

    let format =
        args.output.unwrap_or(if std::io::stdout().is_terminal() { OutputFormat::Table } else { OutputFormat::Json });
    let config =
        SchedulerConfig { max_workers: args.max_workers as usize, task_timeout: Duration::from_secs_f64(args.timeout) };
    tracing::info!(plugin = %plugin.info.name, targets = targets.len(), "starting run");

    let started = Instant::now();
    let mut stdout = std::io::stdout().lock();
    let mut write_error = None;
    let results = scheduler::run(plugin.clone(), backend, targets, &config, |result| {
        if format == OutputFormat::Jsonl && write_error.is_none() {
            write_error = jsonl::write_records(&mut stdout, result).err();
        }
    })
    .await;
    if let Some(e) = write_error {
        anyhow::bail!("writing records to stdout: {e}");
    }
    let report = Report::new(plugin.info.clone(), results, started.elapsed());

    match format {
        OutputFormat::Table => stdout.write_all(table::render(&report).as_bytes())?,
        OutputFormat::Json => json::write(&report, &mut stdout)?,
        OutputFormat::Jsonl => {
            let summary = serde_json::json!({"summary": report.summary(), "errors": report.errors()});
            eprintln!("{summary}");
        }
    }
    stdout.flush()?;
    Ok(if report.has_failures() { Exit::TargetsFailed } else { Exit::Success })
}

async fn inspect(path: PathBuf, as_json: bool) -> anyhow::Result<Exit> {
    let runtime = Runtime::new(RuntimeConfig { max_instances: 2, ..RuntimeConfig::default() })?;
    let plugin = runtime.load(&path).await.map_err(InputError::from)?;
    let info = &plugin.info;
    let world = format!("trawl:collector@{}", plugin.world_version);
    let mut out = std::io::stdout().lock();
    if as_json {
        let doc = serde_json::json!({"file": plugin.source, "world": world, "info": info});
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{} {}: {}", info.name, info.version, info.description)?;
        writeln!(out, "  file:        {}", plugin.source)?;
        writeln!(out, "  world:       {world}")?;
        writeln!(out, "  scope:       {}", serde_json::to_value(info.scope)?.as_str().unwrap_or_default())?;
        writeln!(out, "  home region: {}", info.home_region)?;
        writeln!(out, "  permissions: {}", info.permissions.join(", "))?;
        writeln!(out, "  columns:     {}", info.columns.join(", "))?;
    }
    Ok(Exit::Success)
}
