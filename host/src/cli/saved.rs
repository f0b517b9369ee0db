//! Commands over saved JSON reports: `host merge` puts the shards of a
//! run back together, `host report` renders a report again (HTML, the
//! dated directory).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use super::InputError;
use super::output::{Output, OutputFormat};
use crate::report::json::{SavedRun, read_run};
use crate::report::{dir, html};

/// `host merge` flags.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shards' JSON reports (`host run --shard I/N -o json`).
    #[arg(value_name = "SHARD.json", required = true)]
    shards: Vec<PathBuf>,
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(short, long, value_enum)]
    output: Option<OutputFormat>,
    /// Also write a dated report directory here (as `host run --report`).
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
}

/// `host report` flags.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A JSON report (`host run -o json`, `host merge -o json`).
    #[arg(value_name = "REPORT.json")]
    file: PathBuf,
    /// Write the HTML page here.
    #[arg(long, value_name = "OUT")]
    html: Option<PathBuf>,
    /// Write a dated report directory here.
    #[arg(long, value_name = "DIR", required_unless_present = "html")]
    report: Option<PathBuf>,
}

fn read(path: &Path) -> anyhow::Result<SavedRun> {
    let text = std::fs::read_to_string(path).map_err(|e| InputError::from(format!("{}: {e}", path.display())))?;
    read_run(&text).map_err(|e| InputError::from(format!("{}: {e}", path.display())))
}

/// Runs `host merge`: exits as the merged run's verdict says.
pub fn merge(args: MergeArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let mut shards = Vec::with_capacity(args.shards.len());
    for path in &args.shards {
        shards.push((path.display().to_string(), read(path)?));
    }
    let report = crate::run::merge::merge(shards).map_err(InputError::from)?;
    Output::new(args.output, args.report, quiet).finish(&report)?;
    Ok(ExitCode::from(report.verdict.exit_code()))
}

/// Runs `host report`.
pub fn report(args: ReportArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let saved = read(&args.file)?;
    let now = SystemTime::now();
    if let Some(out) = &args.html {
        let file = std::fs::File::create(out).map_err(|e| InputError::from(format!("{}: {e}", out.display())))?;
        let generated = humantime::format_rfc3339_seconds(now).to_string();
        html::write(&mut std::io::BufWriter::new(file), &saved.reports, &saved.run, &generated)?;
    }
    if let Some(parent) = &args.report {
        let written = dir::write(parent, &saved.reports, &saved.run, now)
            .map_err(|e| anyhow::anyhow!("writing the report under {}: {e}", parent.display()))?;
        if !quiet {
            eprintln!("report: {}", written.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
