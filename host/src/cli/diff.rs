//! `host diff`: what changed between two runs stored in a database (by run
//! id, or the last two complete runs of one plugin set), or between two
//! saved JSON reports, per plugin: as tables that fit the terminal, one
//! JSON document, or one change per line. And what `host run --diff` says
//! after a run.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Row, Table};
use serde_json::Value;

use super::{Exit, InputError};
use crate::report::json::{SavedRun, read_run};
use crate::report::table::{MAX_STATUS_ROWS, output_width};
use crate::report::terminal::{MAX_CELL, clip};
use crate::store::StoreUrl;
use crate::store::diff::{
    self, Changes, Comparison, Counts, DiffError, FieldChange, PluginPlan, RecordChange, RunSide, SincePrevious,
    TargetChange,
};

/// `host diff --help`: examples.
const EXAMPLES: &str = "\
Examples:
  host diff --into sqlite:trawl.db              the two newest complete runs of one plugin set
  host diff --into sqlite:trawl.db 0193c5b2     since run 0193c5b2... (the newest complete run after it)
  host diff --into postgres://audit@db/trawl RUN_A RUN_B -o jsonl
  host diff monday.json today.json --exit-code  two saved reports (host run -o json)

Exit status:
  0    compared (with --exit-code: nothing changed)
  1    with --exit-code: something changed
  2    a run, report or database that cannot be used";

/// `host diff` flags.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct DiffArgs {
    /// The older run: its id in the database, or a prefix of 8 or more
    /// characters [default: the complete run of the same plugins before
    /// RUN_B]; or a saved JSON report.
    #[arg(value_name = "RUN_A")]
    old: Option<String>,
    /// The newer run [default: the newest complete run (after RUN_A when
    /// given) of RUN_A's plugins]; or a saved JSON report.
    #[arg(value_name = "RUN_B")]
    new: Option<String>,
    /// The database the runs were stored in (`host run --into`):
    /// sqlite:PATH or postgres://USER@HOST:PORT/DB.
    // Parsed here, not by clap: clap's error would quote the URL with its
    // password.
    #[arg(long, value_name = "URL")]
    into: Option<String>,
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(short, long, value_enum)]
    output: Option<DiffFormat>,
    /// Exit 1 when anything changed and 0 when nothing did, as `git diff
    /// --exit-code` (without it: 0 either way).
    #[arg(long)]
    exit_code: bool,
}

/// How changes are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Per-plugin counts, then the changes (capped), for people.
    Table,
    /// One JSON document.
    Json,
    /// One change per line.
    Jsonl,
}

/// What is compared.
enum Source {
    Stored { url: StoreUrl, old: Option<String>, new: Option<String> },
    Saved(PathBuf, PathBuf),
}

fn source(args: &DiffArgs) -> anyhow::Result<Source> {
    if let Some(url) = &args.into {
        let url: StoreUrl = url.parse().map_err(|e: String| InputError::from(format!("--into {e}")))?;
        return Ok(Source::Stored { url, old: args.old.clone(), new: args.new.clone() });
    }
    let given: Vec<&String> = [&args.old, &args.new].into_iter().flatten().collect();
    let is_file = |p: &str| Path::new(p).is_file();
    match given[..] {
        [] => Err(InputError::from(
            "host diff needs runs to compare: --into sqlite:PATH|postgres://... (where host run --into stored them; \
             RUN_A RUN_B by id, or by default the two newest complete runs of one plugin set), \
             or two saved JSON reports: host diff A.json B.json",
        )),
        [a, b] if is_file(a) && is_file(b) => Ok(Source::Saved(a.into(), b.into())),
        _ => match given.iter().find(|g| !is_file(g)) {
            Some(missing) => Err(InputError::from(format!(
                "{}: no such file; give two saved JSON reports (host run -o json), or --into URL to compare stored runs by id",
                clip(missing, 200)
            ))),
            None => Err(InputError::from(format!(
                "host diff {}: give a second JSON report to compare it with (or --into URL to compare stored runs)",
                clip(given[0], 200)
            ))),
        },
    }
}

fn read_report(path: &Path) -> Result<SavedRun, DiffError> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| DiffError::Input(format!("{shown}: {e}")))?;
    read_run(&text).map_err(|e| DiffError::Input(format!("{shown}: {e}")))
}

/// Runs `host diff`.
pub async fn diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let format = args.output.unwrap_or(if io::stdout().is_terminal() { DiffFormat::Table } else { DiffFormat::Json });
    let source = source(&args)?;
    // The databases' clients block: off the async runtime's threads.
    let compared = tokio::task::spawn_blocking(move || -> Result<bool, DiffError> {
        let out = BufWriter::new(io::stdout().lock());
        let mut sink: Box<dyn Changes> = match format {
            DiffFormat::Table => Box::new(TableOut::new(out, output_width())),
            DiffFormat::Json => Box::new(JsonOut::new(out)),
            DiffFormat::Jsonl => Box::new(JsonlOut(out)),
        };
        let outcome = match source {
            Source::Stored { url, old, new } => diff::compare_stored(&url, old.as_deref(), new.as_deref(), &mut *sink)?,
            Source::Saved(a, b) => {
                let (old, new) = (read_report(&a)?, read_report(&b)?);
                let (a, b) = (a.display().to_string(), b.display().to_string());
                diff::compare_saved((&a, &old), (&b, &new), &mut *sink)?
            }
        };
        Ok(outcome.changed)
    })
    .await?;
    match compared {
        Ok(true) if args.exit_code => Ok(ExitCode::from(1)),
        Ok(_) => Ok(Exit::Success.into()),
        Err(DiffError::Input(message)) => Err(InputError::from(message)),
        Err(e) => Err(e.into()),
    }
}

/// After `host run --into URL` stored run `run_id`: compares it with the
/// complete run of the same plugins before it. With `print`, says so on
/// stderr, one line per plugin (`host run --diff`). Returns what the
/// reports show as `run.changes`, when there was a run to compare with.
pub async fn since_previous(url: StoreUrl, run_id: String, print: bool) -> Option<Value> {
    let shown = url.to_string();
    let compared = tokio::task::spawn_blocking(move || diff::since_previous(&url, &run_id)).await;
    match compared {
        Ok(Ok(SincePrevious::Compared(outcome))) => {
            if print {
                for (plugin, counts) in &outcome.counts {
                    eprintln!("{}", since_line(plugin, counts, &outcome.comparison.old));
                }
            }
            let plugins: serde_json::Map<String, Value> = outcome
                .counts
                .iter()
                .map(|(plugin, counts)| (plugin.clone(), serde_json::to_value(counts).unwrap_or_default()))
                .collect();
            Some(serde_json::json!({"since": outcome.comparison.old, "plugins": plugins}))
        }
        Ok(Ok(SincePrevious::NoEarlier { plugin_set })) => {
            if print {
                eprintln!(
                    "diff: no earlier complete run of {} in {shown} to compare with",
                    plugin_set.replace(',', ", ")
                );
            }
            None
        }
        Ok(Ok(SincePrevious::NotComplete { state })) => {
            if print {
                eprintln!("diff: the run is {state} in {shown}; only complete runs are compared");
            }
            None
        }
        Ok(Err(e)) => {
            tracing::warn!("diff: {e}");
            None
        }
        Err(e) => {
            tracing::warn!("diff: {e}");
            None
        }
    }
}

/// `ebs: 3 added, 1 removed, 2 changed records since run ID (TIME); 1
/// target not compared`.
fn since_line(plugin: &str, counts: &Counts, since: &RunSide) -> String {
    let mut line = format!(
        "{}: {} added, {} removed, {} changed records since {}",
        clip(plugin, MAX_CELL),
        counts.added,
        counts.removed,
        counts.changed,
        since.describe()
    );
    if counts.targets_not_compared > 0 {
        line.push_str(&format!("; {}", plural(counts.targets_not_compared, "target", "targets")));
        line.push_str(" not compared");
    }
    line
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

// ------------------------------------------------------------------ json

/// One JSON document, written as the changes are found: `{old, new,
/// plugins: [{plugin, key, only_in?, changes: [...], counts}], changed}`.
struct JsonOut<W: Write> {
    out: W,
    first_plugin: bool,
    first_change: bool,
}

impl<W: Write> JsonOut<W> {
    fn new(out: W) -> Self {
        Self { out, first_plugin: true, first_change: true }
    }

    fn change(&mut self, change: &impl serde::Serialize) -> io::Result<()> {
        let separator = if std::mem::replace(&mut self.first_change, false) { "" } else { "," };
        write!(self.out, "{separator}\n        ")?;
        serde_json::to_writer(&mut self.out, change)?;
        Ok(())
    }
}

impl<W: Write> Changes for JsonOut<W> {
    fn begin(&mut self, comparison: &Comparison) -> io::Result<()> {
        write!(self.out, "{{\n  \"old\": ")?;
        serde_json::to_writer(&mut self.out, &comparison.old)?;
        write!(self.out, ",\n  \"new\": ")?;
        serde_json::to_writer(&mut self.out, &comparison.new)?;
        write!(self.out, ",\n  \"plugins\": [")
    }

    fn plugin(&mut self, plugin: &PluginPlan) -> io::Result<()> {
        let separator = if std::mem::replace(&mut self.first_plugin, false) { "" } else { "," };
        write!(self.out, "{separator}\n    {{\n      \"plugin\": ")?;
        serde_json::to_writer(&mut self.out, &plugin.plugin)?;
        write!(self.out, ",\n      \"key\": ")?;
        serde_json::to_writer(&mut self.out, &plugin.key)?;
        if let Some(side) = plugin.only_in {
            write!(self.out, ",\n      \"only_in\": \"{side}\"")?;
        }
        self.first_change = true;
        write!(self.out, ",\n      \"changes\": [")
    }

    fn target(&mut self, _: &PluginPlan, change: &TargetChange<'_>) -> io::Result<()> {
        self.change(change)
    }

    fn record(&mut self, _: &PluginPlan, change: &RecordChange<'_>) -> io::Result<()> {
        self.change(change)
    }

    fn end_plugin(&mut self, _: &PluginPlan, counts: &Counts) -> io::Result<()> {
        let close = if self.first_change { "]" } else { "\n      ]" };
        write!(self.out, "{close},\n      \"counts\": ")?;
        serde_json::to_writer(&mut self.out, counts)?;
        write!(self.out, "\n    }}")
    }

    fn end(&mut self, changed: bool) -> io::Result<()> {
        let close = if self.first_plugin { "]" } else { "\n  ]" };
        writeln!(self.out, "{close},\n  \"changed\": {changed}\n}}")?;
        self.out.flush()
    }
}

// ----------------------------------------------------------------- jsonl

/// One change per line, each with its plugin.
struct JsonlOut<W: Write>(W);

#[derive(serde::Serialize)]
struct Line<'a, T: serde::Serialize> {
    plugin: &'a str,
    #[serde(flatten)]
    change: &'a T,
}

impl<W: Write> JsonlOut<W> {
    fn line(&mut self, plugin: &PluginPlan, change: &impl serde::Serialize) -> io::Result<()> {
        serde_json::to_writer(&mut self.0, &Line { plugin: &plugin.plugin, change })?;
        self.0.write_all(b"\n")
    }
}

impl<W: Write> Changes for JsonlOut<W> {
    fn plugin(&mut self, plugin: &PluginPlan) -> io::Result<()> {
        match plugin.only_in {
            Some(side) => self.line(plugin, &serde_json::json!({"change": "not_compared", "only_in": side})),
            None => Ok(()),
        }
    }

    fn target(&mut self, plugin: &PluginPlan, change: &TargetChange<'_>) -> io::Result<()> {
        self.line(plugin, change)
    }

    fn record(&mut self, plugin: &PluginPlan, change: &RecordChange<'_>) -> io::Result<()> {
        self.line(plugin, change)
    }

    fn end(&mut self, _: bool) -> io::Result<()> {
        self.0.flush()
    }
}

// ----------------------------------------------------------------- table

/// Below this width accounts are named without their ids (as `host run`).
const WIDE: u16 = 120;

/// Tables for people: the comparison, the counts per plugin, then each
/// plugin's targets not compared and changed records, at most
/// [`MAX_STATUS_ROWS`] of each, the rest counted.
struct TableOut<W: Write> {
    out: W,
    width: Option<u16>,
    comparison: Option<Comparison>,
    sections: Vec<Section>,
}

struct Section {
    plan: PluginPlan,
    counts: Counts,
    targets: Vec<Vec<String>>,
    more_targets: usize,
    records: Vec<Vec<String>>,
    more_records: usize,
}

impl<W: Write> TableOut<W> {
    fn new(out: W, width: Option<u16>) -> Self {
        Self { out, width, comparison: None, sections: Vec::new() }
    }

    fn section(&mut self) -> &mut Section {
        self.sections.last_mut().expect("plugin() comes first")
    }

    fn account(&self, name: &str, id: &str) -> String {
        if self.width.is_none_or(|w| w >= WIDE) && !name.is_empty() && name != id {
            clip(&format!("{name} ({id})"), MAX_CELL)
        } else if name.is_empty() {
            clip(id, MAX_CELL)
        } else {
            clip(name, MAX_CELL)
        }
    }

    fn table(&self, header: &[&str]) -> Table {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED).set_truncation_indicator("…");
        match self.width {
            Some(w) => t.set_content_arrangement(ContentArrangement::Dynamic).set_width(w),
            None => t.set_content_arrangement(ContentArrangement::Disabled),
        };
        t.set_header(one_line(header.iter().copied().map(Cell::new)));
        t
    }
}

/// A row that never wraps: what does not fit is cut with an ellipsis.
fn one_line(cells: impl IntoIterator<Item = Cell>) -> Row {
    let mut row = Row::from(cells.into_iter().collect::<Vec<Cell>>());
    row.max_height(1);
    row
}

/// A value in a cell: text as itself, anything else as JSON, a missing
/// field as `(none)`.
fn shown(value: Option<&Value>) -> String {
    match value {
        None => "(none)".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn status(status: Option<&str>, error: Option<&str>) -> String {
    match (status, error) {
        (None, _) => "(absent)".to_owned(),
        (Some(s), Some(code)) => clip(&format!("{s} ({code})"), MAX_CELL),
        (Some(s), None) => clip(s, MAX_CELL),
    }
}

fn fields(fields: &[FieldChange<'_>]) -> String {
    let text: Vec<String> = fields
        .iter()
        .map(|f| {
            let change = format!("{} -> {}", shown(f.old), shown(f.new));
            if f.field.is_empty() { change } else { format!("{}: {change}", f.field) }
        })
        .collect();
    clip(&text.join("; "), 2 * MAX_CELL)
}

impl<W: Write> Changes for TableOut<W> {
    fn begin(&mut self, comparison: &Comparison) -> io::Result<()> {
        self.comparison = Some(comparison.clone());
        Ok(())
    }

    fn plugin(&mut self, plugin: &PluginPlan) -> io::Result<()> {
        self.sections.push(Section {
            plan: plugin.clone(),
            counts: Counts::default(),
            targets: Vec::new(),
            more_targets: 0,
            records: Vec::new(),
            more_records: 0,
        });
        Ok(())
    }

    fn target(&mut self, _: &PluginPlan, change: &TargetChange<'_>) -> io::Result<()> {
        if self.section().targets.len() >= MAX_STATUS_ROWS {
            self.section().more_targets += 1;
            return Ok(());
        }
        let row = vec![
            self.account(change.account_name, change.account_id),
            clip(change.region, MAX_CELL),
            status(change.old_status, change.old_error),
            status(change.new_status, change.new_error),
            change.change.words().to_owned(),
        ];
        self.section().targets.push(row);
        Ok(())
    }

    fn record(&mut self, _: &PluginPlan, change: &RecordChange<'_>) -> io::Result<()> {
        if self.section().records.len() >= MAX_STATUS_ROWS {
            self.section().more_records += 1;
            return Ok(());
        }
        let identity = match (&change.key, change.record) {
            (Some(key), _) => key.values().map(|v| shown(Some(v))).collect::<Vec<_>>().join(", "),
            (None, Some(record)) => record.to_string(),
            (None, None) => String::new(),
        };
        let row = vec![
            change.change.as_str().to_owned(),
            self.account(change.account_name, change.account_id),
            clip(change.region, MAX_CELL),
            clip(&identity, MAX_CELL),
            fields(&change.fields),
        ];
        self.section().records.push(row);
        Ok(())
    }

    fn end_plugin(&mut self, _: &PluginPlan, counts: &Counts) -> io::Result<()> {
        self.section().counts = counts.clone();
        Ok(())
    }

    fn end(&mut self, changed: bool) -> io::Result<()> {
        let mut text = String::new();
        if let Some(c) = &self.comparison {
            let state = |side: &RunSide| match side.state.as_deref() {
                Some(state) if state != "complete" => format!(" [{state}]"),
                _ => String::new(),
            };
            let mut head = vec![
                format!("older: {}{}", c.old.describe(), state(&c.old)),
                format!("newer: {}{}", c.new.describe(), state(&c.new)),
            ];
            if c.old.source == c.new.source {
                head.push(format!("   in: {}", c.old.source));
            }
            for line in head {
                let max = self.width.map_or(usize::MAX, usize::from);
                text.push_str(&clip(&line, max));
                text.push('\n');
            }
        }
        let mut summary =
            self.table(&["plugin", "added", "removed", "changed", "unchanged", "targets compared", "not compared"]);
        let number = |n: u64| Cell::new(n).set_alignment(CellAlignment::Right);
        let mut notes = Vec::new();
        for s in &self.sections {
            let name = Cell::new(clip(&s.plan.plugin, MAX_CELL));
            match s.plan.only_in {
                Some(side) => {
                    let run = if side == "old" { "older" } else { "newer" };
                    notes.push(format!("{}: only in the {run} run, not compared\n", clip(&s.plan.plugin, MAX_CELL)));
                    summary.add_row(one_line([name].into_iter().chain((0..6).map(|_| Cell::new("–")))));
                }
                None => {
                    let c = &s.counts;
                    summary.add_row(one_line([
                        name,
                        number(c.added),
                        number(c.removed),
                        number(c.changed),
                        number(c.unchanged),
                        number(c.targets_compared),
                        number(c.targets_not_compared),
                    ]));
                }
            }
        }
        text.push_str(&summary.to_string());
        text.push('\n');
        for note in notes {
            text.push_str(&note);
        }
        for s in &self.sections {
            let name = clip(&s.plan.plugin, MAX_CELL);
            if !s.targets.is_empty() {
                text.push_str(&format!("\n{name}: targets not compared record by record\n"));
                let mut t = self.table(&["account", "region", "before", "after", ""]);
                for row in &s.targets {
                    t.add_row(one_line(row.iter().map(Cell::new)));
                }
                text.push_str(&t.to_string());
                text.push('\n');
                if s.more_targets > 0 {
                    text.push_str(&format!("… and {} more not listed (-o json has every change)\n", s.more_targets));
                }
            }
            if !s.records.is_empty() {
                let key =
                    if s.plan.key.is_empty() { "record".to_owned() } else { clip(&s.plan.key.join(", "), MAX_CELL) };
                text.push_str(&format!("\n{name}: records\n"));
                let mut t = self.table(&["change", "account", "region", &key, "fields: old -> new"]);
                for row in &s.records {
                    t.add_row(one_line(row.iter().map(Cell::new)));
                }
                text.push_str(&t.to_string());
                text.push('\n');
                if s.more_records > 0 {
                    text.push_str(&format!("… and {} more not listed (-o json has every change)\n", s.more_records));
                }
            }
        }
        if !changed {
            text.push_str("no changes\n");
        }
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::diff::{RecordChangeKind, TargetChangeKind};

    fn comparison() -> Comparison {
        let side = |id: &str| RunSide {
            run_id: Some(id.into()),
            started_at: Some(time::macros::datetime!(2026-12-06 04:00 UTC)),
            state: Some("complete".into()),
            source: "sqlite:t.db".into(),
        };
        Comparison { old: side("a"), new: side("b"), plugins: vec![] }
    }

    fn plan(name: &str, only_in: Option<&'static str>) -> PluginPlan {
        PluginPlan { plugin: name.into(), key: vec!["volume_id".into()], only_in }
    }

    /// Feeds `sink` one plugin with a target and `n` added records, and a
    /// plugin only in the older run.
    fn feed(sink: &mut dyn Changes, n: usize) {
        let p = plan("ebs", None);
        sink.begin(&comparison()).unwrap();
        sink.plugin(&p).unwrap();
        sink.target(
            &p,
            &TargetChange {
                change: TargetChangeKind::StatusChanged,
                account_id: "222222222222",
                account_name: "production\x1b[2J",
                region: "eu-west-1",
                old_status: Some("succeeded"),
                new_status: Some("skipped"),
                old_error: None,
                new_error: Some("AccessDenied"),
            },
        )
        .unwrap();
        let record = json!({"volume_id": "vol-1", "size_gib": 8});
        for i in 0..n {
            let mut key = serde_json::Map::new();
            key.insert("volume_id".into(), json!(format!("vol-{i}")));
            sink.record(
                &p,
                &RecordChange {
                    change: RecordChangeKind::Added,
                    account_id: "111111111111",
                    account_name: "management",
                    region: "us-east-1",
                    key: Some(key),
                    record: Some(&record),
                    fields: vec![],
                },
            )
            .unwrap();
        }
        let counts =
            Counts { added: n as u64, targets_not_compared: 1, targets_status_changed: 1, ..Counts::default() };
        sink.end_plugin(&p, &counts).unwrap();
        let old_only = plan("iam", Some("old"));
        sink.plugin(&old_only).unwrap();
        sink.end_plugin(&old_only, &Counts::default()).unwrap();
        sink.end(true).unwrap();
    }

    #[test]
    fn the_json_document_is_one_valid_document() {
        let mut out = Vec::new();
        feed(&mut JsonOut::new(&mut out), 3);
        let doc: Value =
            serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)));
        assert_eq!(doc["old"]["run_id"], "a");
        assert_eq!(doc["old"]["started_at"], "2026-12-06T04:00:00Z");
        assert_eq!(doc["plugins"][0]["changes"].as_array().unwrap().len(), 4);
        assert_eq!(doc["plugins"][0]["counts"]["added"], 3);
        assert_eq!(doc["plugins"][1]["only_in"], "old");
        assert_eq!(doc["plugins"][1]["changes"], json!([]));
        assert_eq!(doc["changed"], true);
        let mut out = Vec::new();
        let mut sink = JsonOut::new(&mut out);
        sink.begin(&comparison()).unwrap();
        sink.end(false).unwrap();
        let doc: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["plugins"], json!([]));
    }

    #[test]
    fn jsonl_is_one_change_a_line_with_its_plugin() {
        let mut out = Vec::new();
        feed(&mut JsonlOut(&mut out), 2);
        let lines: Vec<Value> =
            String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0]["plugin"], "ebs");
        assert_eq!(lines[0]["change"], "status_changed");
        assert_eq!(lines[1]["key"]["volume_id"], "vol-0");
        assert_eq!(lines[3], json!({"plugin": "iam", "change": "not_compared", "only_in": "old"}));
    }

    #[test]
    fn tables_fit_the_width_escape_plugin_text_and_cap_the_details() {
        for width in [Some(60u16), Some(100), Some(200)] {
            let mut out = Vec::new();
            feed(&mut TableOut::new(&mut out, width), MAX_STATUS_ROWS + 7);
            let text = String::from_utf8(out).unwrap();
            assert!(!text.contains('\x1b'), "{text}");
            if width >= Some(WIDE) {
                assert!(text.contains("production\\u{1b}[2J (222222222222)"), "{text}");
            }
            assert!(text.contains("… and 7 more not listed"), "{text}");
            assert!(text.contains("iam: only in the older run, not compared"), "{text}");
            let summary = text.lines().position(|l| l.contains("plugin")).unwrap();
            let details = text.lines().position(|l| l.contains("ebs: records")).unwrap();
            assert!(summary < details, "{text}");
            let w = usize::from(width.unwrap());
            for line in text.lines().filter(|l| l.starts_with(['┌', '│', '╞', '├', '└'])) {
                assert!(line.chars().count() <= w, "{width:?}: {line}");
            }
        }
    }

    #[test]
    fn the_run_line_counts_and_names_the_earlier_run() {
        let since = comparison().old;
        let counts = Counts { added: 3, removed: 1, changed: 2, targets_not_compared: 1, ..Counts::default() };
        assert_eq!(
            since_line("ebs", &counts, &since),
            "ebs: 3 added, 1 removed, 2 changed records since run a (2026-12-06 04:00:00 UTC); 1 target not compared"
        );
        let none = Counts::default();
        assert_eq!(
            since_line("ebs", &none, &since),
            "ebs: 0 added, 0 removed, 0 changed records since run a (2026-12-06 04:00:00 UTC)"
        );
    }
}
