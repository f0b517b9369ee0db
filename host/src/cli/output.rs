//! Where a finished run goes: the chosen format on stdout (jsonl and
//! streamed as targets finish), the `--report DIR` directory, and the
//! outcome line for a person. `host run` and `host merge` share it.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::ValueEnum;
use futures::StreamExt;

use crate::report::{self, Report, Summary, json, jsonl, table};
use crate::run::{Finished, RunHandle, RunReport};
use crate::scheduler::StopReason;
use crate::store::{RunState, StoreError, StoreSink};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Tables for people.
    Table,
    /// One JSON document at the end.
    Json,
    /// One record per line as targets finish; the summary on stderr.
    Jsonl,
    /// One row per record (RFC 4180), account and region first.
    Csv,
}

impl OutputFormat {
    /// The name, as `-o` takes it.
    pub fn name(self) -> String {
        self.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default()
    }
}

/// How a run's results are written.
pub struct Output {
    format: OutputFormat,
    report_dir: Option<PathBuf>,
    quiet: bool,
    stdout_is_terminal: bool,
    stderr_is_terminal: bool,
    /// A jsonl write that failed (stdout closed): writing stops, the run
    /// goes on, and the error is reported at the end.
    write_error: Option<std::io::Error>,
    /// True once records went out as targets finished.
    streamed: bool,
    /// Databases the run is written into, each with its first error.
    stores: Vec<(StoreSink, Option<StoreError>)>,
    /// What changed since the previous complete run (`run.changes`).
    changes: Option<serde_json::Value>,
}

impl Output {
    /// `format` unset means a table on a terminal, JSON otherwise.
    pub fn new(format: Option<OutputFormat>, report_dir: Option<PathBuf>, quiet: bool) -> Self {
        let stdout_is_terminal = std::io::stdout().is_terminal();
        Self {
            format: format.unwrap_or(if stdout_is_terminal { OutputFormat::Table } else { OutputFormat::Json }),
            report_dir,
            quiet,
            stdout_is_terminal,
            stderr_is_terminal: std::io::stderr().is_terminal(),
            write_error: None,
            streamed: false,
            stores: Vec::new(),
            changes: None,
        }
    }

    /// The counts of records added, removed and changed per plugin since
    /// the previous complete run, for the reports (`run.changes`).
    pub fn set_changes(&mut self, changes: serde_json::Value) {
        self.changes = Some(changes);
    }

    /// Also writes the run into these databases as targets finish.
    pub fn write_into(&mut self, stores: Vec<StoreSink>) {
        self.stores = stores.into_iter().map(|s| (s, None)).collect();
    }

    /// True when the output is written as targets finish.
    pub fn streams(&self) -> bool {
        self.format == OutputFormat::Jsonl || !self.stores.is_empty()
    }

    /// True when what is written at the end needs every record (so the
    /// stream must not hand them all away).
    pub fn needs_all_records(&self) -> bool {
        self.report_dir.is_some() || self.format != OutputFormat::Jsonl
    }

    /// True when a person watches stderr (progress bar, outcome line).
    pub fn stderr_is_terminal(&self) -> bool {
        self.stderr_is_terminal
    }

    /// Writes each result as it finishes (jsonl, databases); other
    /// formats wait for the end.
    pub async fn stream(&mut self, run: &mut RunHandle) {
        if !self.streams() {
            return;
        }
        let jsonl = self.format == OutputFormat::Jsonl;
        self.streamed = jsonl;
        let names: Vec<String> = run.plugins().iter().map(|p| p.name.clone()).collect();
        let several = names.len() > 1;
        while let Some(done) = run.next().await {
            if jsonl && self.write_error.is_none() {
                let name = several.then(|| names[done.plugin].as_str());
                let mut stdout = std::io::stdout().lock();
                self.write_error =
                    jsonl::write_records(&mut stdout, &done.result.target, &done.result.records, name).err();
            }
            self.store(done).await;
        }
    }

    /// Records the run in every database.
    pub async fn begin_stores(&self, run: crate::store::RunMeta) -> Result<(), StoreError> {
        for (sink, _) in &self.stores {
            sink.begin(run.clone()).await?;
        }
        Ok(())
    }

    /// Hands a result to every database still being written (the last
    /// one gets it, the others a copy).
    async fn store(&mut self, done: Finished) {
        let live = self.stores.iter().filter(|(_, failed)| failed.is_none()).count();
        let mut result = Some(done.result);
        let mut handed = 0;
        for (sink, failed) in self.stores.iter_mut().filter(|(_, failed)| failed.is_none()) {
            handed += 1;
            let copy = if handed == live { result.take() } else { result.clone() };
            if let Some(copy) = copy
                && let Err(e) = sink.write(done.plugin, copy).await
            {
                *failed = Some(e);
            }
        }
    }

    /// Finishes each database's run with the report: `complete`, or
    /// `cancelled` for an interrupted run; `keep` runs of the same plugins
    /// are kept. Says where each run went (unless quiet); returns the
    /// databases that failed, one line each.
    pub async fn finish_stores(&mut self, report: &RunReport, keep: Option<usize>) -> Vec<StoreError> {
        let state = match report.stopped {
            Some(StopReason::Interrupted) => RunState::Cancelled,
            _ => RunState::Complete,
        };
        let summary = jsonl_summary(report, &report.run_info());
        let verdict =
            serde_json::to_value(report.verdict).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let mut failed = Vec::new();
        for (sink, error) in std::mem::take(&mut self.stores) {
            let shown = sink.shown().to_owned();
            let outcome = match error {
                Some(e) => {
                    // Say what it could: the shard failed.
                    let _ = sink.finish(RunState::Failed, &verdict, summary.clone(), None).await;
                    Err(e)
                }
                None => sink.finish(state, &verdict, summary.clone(), keep).await,
            };
            match outcome {
                Ok(stored) if !self.quiet => {
                    eprintln!("stored: run {} in {shown} ({})", report.run_id, stored.as_str())
                }
                Ok(_) => {}
                Err(e) => failed.push(e),
            }
        }
        failed
    }

    /// Writes the finished run: stdout in the chosen format (unless it
    /// streamed), the report directory, and the outcome line.
    pub fn finish(self, report: &RunReport) -> anyhow::Result<()> {
        if let Some(e) = self.write_error {
            anyhow::bail!("writing records to stdout: {e}");
        }
        let mut run_info = report.run_info();
        if let (Some(changes), Some(info)) = (&self.changes, run_info.as_object_mut()) {
            info.insert("changes".into(), changes.clone());
        }
        let mut stdout = std::io::stdout().lock();
        match self.format {
            OutputFormat::Table => {
                let width = table::output_width();
                for r in &report.reports {
                    stdout.write_all(table::render(r, width).as_bytes())?;
                }
                let calls = report.calls;
                writeln!(
                    stdout,
                    "run: {}; {} API calls, {} throttled, {} retried",
                    report.verdict, calls.calls, calls.throttled, calls.retries
                )?;
            }
            OutputFormat::Json => json::write_run(&report.reports, &run_info, &mut stdout)?,
            OutputFormat::Csv => report::csv::write_records(&mut stdout, &report.reports)?,
            // The machine-readable summary, for whoever reads stderr from a
            // program; a person at a terminal gets the outcome line below.
            // A report that was not streamed (`host merge`): its records now.
            OutputFormat::Jsonl if !self.streamed => {
                let several = report.reports.len() > 1;
                for r in &report.reports {
                    let name = several.then_some(r.plugin.name.as_str());
                    for result in &r.results {
                        jsonl::write_records(&mut stdout, &result.target, &result.records, name)?;
                    }
                }
                if !self.quiet && !self.stderr_is_terminal {
                    eprintln!("{}", jsonl_summary(report, &run_info));
                }
            }
            OutputFormat::Jsonl if !self.quiet && !self.stderr_is_terminal => {
                eprintln!("{}", jsonl_summary(report, &run_info));
            }
            OutputFormat::Jsonl => {}
        }
        stdout.flush()?;
        drop(stdout);
        if let Some(parent) = &self.report_dir {
            let dir = report::dir::write(parent, &report.reports, &run_info, std::time::SystemTime::now())
                .map_err(|e| anyhow::anyhow!("writing the report under {}: {e}", parent.display()))?;
            if !self.quiet {
                eprintln!("report: {}", dir.display());
            }
        }
        // The table on a terminal ends with the outcome already.
        if self.stderr_is_terminal && !self.quiet && !(self.format == OutputFormat::Table && self.stdout_is_terminal) {
            eprintln!("{}", outcome_line(report, self.format));
        }
        Ok(())
    }
}

/// The jsonl run's summary line, for stderr.
fn jsonl_summary(report: &RunReport, run_info: &serde_json::Value) -> serde_json::Value {
    let summaries: Vec<_> = report
        .reports
        .iter()
        .map(|r| serde_json::json!({"plugin": r.plugin.name, "summary": r.summary(), "errors": r.errors()}))
        .collect();
    serde_json::json!({"run": run_info, "plugins": summaries})
}

/// One line for a person: how the run ended and where its output went.
fn outcome_line(report: &RunReport, format: OutputFormat) -> String {
    let mut counts = Summary::default();
    for s in report.reports.iter().map(Report::summary) {
        counts.total += s.total;
        counts.succeeded += s.succeeded;
        counts.skipped += s.skipped;
        counts.failed += s.failed + s.timed_out + s.cancelled;
        counts.records += s.records;
    }
    format!(
        "run: {}; {} of {} targets succeeded, {} skipped, {} failed; {} records as {} on stdout, in {:.1} s",
        report.verdict,
        counts.succeeded,
        counts.total,
        counts.skipped,
        counts.failed,
        counts.records,
        format.name(),
        report.elapsed.as_secs_f64()
    )
}
