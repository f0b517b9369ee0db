//! The `host` command line: one module per subcommand (`run`, `merge` and
//! `report`, `diff`, `inspect`, `new`, `plugin`, `sim`), and the exit codes.

mod aws;
mod diff;
mod new;
mod output;
mod plugin;
mod run;
mod saved;
mod sim;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cloud::sim::demo;
use crate::report::terminal::clip;
use crate::runtime::{Runtime, RuntimeConfig};

/// The exit statuses, for `--help` (a macro so `concat!` can use it).
macro_rules! exit_codes {
    () => {
        "\
Exit status:
  0    every target succeeded or was skipped (or the join policy held)
  1    internal error
  2    usage or input error (flag, config, plugin, fixture, account, region)
  3    some targets failed, timed out or were cancelled (default barrier policy)
  4    more failures than --max-failures; the run was stopped
  5    fewer successes than --min-success
  6    --deadline passed before every target finished
  130  interrupted (Ctrl-C or SIGTERM); finished results were still written"
    };
}

const EXIT_CODES: &str = exit_codes!();

/// `host run --help`: examples, then the exit codes.
const RUN_EXAMPLES: &str = concat!(
    "\
Examples:
  host run plugins/ebs.wasm                   the demo cloud (simulated)
  host run ebs.wasm -o json > ebs.json        one JSON document
  host run ebs.wasm --aws --profile audit --regions eu-west-1,us-east-1
  host run ebs.wasm --aws --org --role-name OrgAuditRole --regions all
  host run ebs.wasm --aws --endpoint-url http://127.0.0.1:4566   (moto, sim)
  host run ebs.wasm --config trawl.toml --max-failures 3

",
    exit_codes!()
);

/// Process exit codes for outcomes that are not a policy verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every target succeeded or was skipped.
    Success = 0,
    /// Something broke inside trawl.
    Internal = 1,
    /// The operator's input cannot be used.
    Input = 2,
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
    /// Only errors in the log (the seed's quiet mode).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run collector plugins over the organisation's accounts and regions.
    #[command(after_help = RUN_EXAMPLES)]
    Run(Box<run::RunArgs>),
    /// Merge the JSON reports of a run's shards (`host run --shard I/N`)
    /// into the report one run over every target would have given.
    Merge(saved::MergeArgs),
    /// Render a saved JSON report as HTML or a dated report directory.
    Report(saved::ReportArgs),
    /// What changed between two runs, per plugin: records added, removed
    /// and changed (by each plugin's key), and targets that appeared,
    /// vanished or changed status. Runs stored with `host run --into`
    /// (by id), or two saved JSON reports.
    Diff(diff::DiffArgs),
    /// Show what a plugin declares: name, scope, permissions, columns (for
    /// an oci:// reference, what its registry annotations say).
    Inspect {
        /// The plugin: a .wasm component or an oci:// reference.
        #[arg(value_parser = crate::distribution::PluginSource::parse_arg)]
        plugin: crate::distribution::PluginSource,
        /// Speak plain HTTP to the reference's registry.
        #[arg(long)]
        registry_insecure: bool,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Start a collector: a ready crate (or Python app, or JavaScript
    /// module) with a paginated example, its tests and the SDK it builds
    /// against; prints the commands that build and run it.
    New(new::NewArgs),
    /// Share collectors: publish to a registry, lock, sign.
    Plugin {
        #[command(subcommand)]
        command: plugin::PluginCommand,
    },
    /// The simulated cloud.
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
    /// Print a shell completion script, e.g. `host completions bash >
    /// /etc/bash_completion.d/host`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `host man > host.1`.
    #[command(hide = true)]
    Man,
}

#[derive(Debug, Subcommand)]
enum SimCommand {
    /// Print the built-in demo organisation as a fixture file (JSON).
    Export,
    /// Serve the simulated cloud over HTTP with AWS's wire protocols, for
    /// the AWS backend or any AWS client (boto3, the AWS CLI). Access keys
    /// name the account: AKIA + 12-digit account id + 4 characters.
    Serve(Box<ServeArgs>),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// Port to listen on; 0 picks a free one (printed on stdout).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// A TOML file whose `[sim]` section describes the simulation.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    sim: sim::SimArgs,
}

/// Parses the command line, runs it, and maps errors to exit codes.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    init_logging(cli.verbose, cli.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Internal.into();
        }
    };
    match runtime.block_on(dispatch(cli.command, cli.quiet)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.is::<InputError>() { Exit::Input } else { Exit::Internal }.into()
        }
    }
}

/// Help and version as clap prints them; a usage error as one line (its
/// first paragraph), naming the flag and the value.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let text = e.to_string();
    let paragraph: Vec<&str> = text.lines().map(str::trim).take_while(|l| !l.is_empty()).collect();
    eprintln!("{}", paragraph.join(" "));
    Exit::Input.into()
}

/// The log on stderr: trawl's own lines at the chosen level, libraries'
/// (aws-config, hyper, wasmtime) only from `-vv` on or through
/// `TRAWL_LOG`; colours only on a terminal and never with `NO_COLOR`.
fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "trawl_host=error,trawl=error",
        (false, 0) => "trawl_host=warn,trawl=warn",
        (false, 1) => "trawl_host=info,trawl=info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("TRAWL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::progress::LogWriter)
        .with_target(false)
        .with_ansi(colour)
        .init();
}

async fn dispatch(command: Command, quiet: bool) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run(args) => run::run(*args, quiet).await,
        Command::Merge(args) => saved::merge(args, quiet),
        Command::Report(args) => saved::report(args, quiet),
        Command::Diff(args) => diff::diff(args).await,
        Command::Inspect { plugin: crate::distribution::PluginSource::File(path), json, .. } => {
            inspect(path, json).await.map(Into::into)
        }
        Command::Inspect { plugin: crate::distribution::PluginSource::Oci(reference), json, registry_insecure } => {
            plugin::inspect_reference(&reference, registry_insecure, json).await.map(|()| Exit::Success.into())
        }
        Command::Plugin { command } => plugin::run(command, quiet).await,
        Command::New(args) => new::new(args),
        Command::Sim { command: SimCommand::Serve(args) } => serve(*args).await,
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "host",
                &mut std::io::stdout(),
            );
            Ok(Exit::Success.into())
        }
        Command::Man => {
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut std::io::stdout())?;
            Ok(Exit::Success.into())
        }
        Command::Sim { command: SimCommand::Export } => {
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &demo())?;
            writeln!(out)?;
            Ok(Exit::Success.into())
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let ServeArgs { host, port, config, sim } = args;
    let file = match &config {
        Some(path) => crate::config::RunConfig::from_file(path).map_err(InputError::from)?,
        None => crate::config::RunConfig::default(),
    };
    let (_, cloud, _) = sim::simulated_cloud(&sim, file.sim, std::time::Duration::from_secs(30))?;
    let listener = tokio::net::TcpListener::bind((host, port))
        .await
        .map_err(|e| InputError::from(format!("cannot listen on {host}:{port}: {e}")))?;
    let address = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "http://{address}")?;
        out.flush()?;
    }
    tracing::info!(%address, "serving the simulated cloud");
    tokio::select! {
        served = crate::cloud::sim::serve::serve(std::sync::Arc::new(cloud), listener) => served?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(Exit::Success.into())
}

/// Most characters of one plugin-supplied field `host inspect` shows.
const MAX_INFO_FIELD: usize = 200;

async fn inspect(path: PathBuf, as_json: bool) -> anyhow::Result<Exit> {
    let runtime = Runtime::new(RuntimeConfig { max_instances: 2, ..RuntimeConfig::default() })?;
    let plugin = runtime.load(&path).await.map_err(InputError::from)?;
    let info = &plugin.info;
    let world = format!("trawl:collector@{}", plugin.world_version);
    let mut out = std::io::stdout().lock();
    let needs = plugin.pool_needs();
    if as_json {
        let instance = serde_json::json!({
            "core_instances": needs.core_instances, "memories": needs.memories, "tables": needs.tables,
        });
        let doc = serde_json::json!({"file": plugin.source, "world": world, "info": info, "instance": instance});
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        // Everything but the file name comes from the plugin: shown escaped.
        let shown = |s: &str| clip(s, MAX_INFO_FIELD);
        let list = |items: &[String]| items.iter().map(|i| shown(i)).collect::<Vec<_>>().join(", ");
        writeln!(out, "{} {}: {}", info.name, shown(&info.version), shown(&info.description))?;
        writeln!(out, "  file:        {}", plugin.source)?;
        writeln!(out, "  world:       {world}")?;
        writeln!(out, "  scope:       {}", serde_json::to_value(info.scope)?.as_str().unwrap_or_default())?;
        writeln!(out, "  home region: {}", info.home_region)?;
        writeln!(out, "  permissions: {}", list(&info.permissions))?;
        writeln!(out, "  columns:     {}", list(&info.columns))?;
        let key = if info.key.is_empty() {
            "(none: a record is identified by its content)".to_owned()
        } else {
            list(&info.key)
        };
        writeln!(out, "  record key:  {key}")?;
        writeln!(
            out,
            "  instance:    {} core instances, {} memories, {} tables",
            needs.core_instances, needs.memories, needs.tables
        )?;
        if info.settings.is_empty() {
            writeln!(out, "  settings:    none")?;
        } else {
            writeln!(out, "  settings:    (--set {}.NAME=VALUE)", info.name)?;
        }
        for setting in &info.settings {
            let mut line = format!("    {} ({}", shown(&setting.name), setting.kind);
            if let Some(default) = &setting.default {
                line.push_str(&format!(", default {}", shown(&default.to_string())));
            }
            match (setting.minimum, setting.maximum) {
                (Some(low), Some(high)) => line.push_str(&format!(", {low} to {high}")),
                (Some(low), None) => line.push_str(&format!(", at least {low}")),
                (None, Some(high)) => line.push_str(&format!(", at most {high}")),
                (None, None) => {}
            }
            if !setting.choices.is_empty() {
                line.push_str(&format!(", one of {}", list(&setting.choices)));
            }
            line.push(')');
            writeln!(out, "{line}")?;
            if !setting.help.is_empty() {
                writeln!(out, "      {}", shown(&setting.help))?;
            }
        }
    }
    Ok(Exit::Success)
}
