//! What changed between two runs of the same plugins (`host diff`, `host
//! run --diff`): per plugin, the records added, removed and changed, and
//! the targets that appeared, vanished or changed status.
//!
//! A record is identified within its target by its plugin's `key` fields,
//! or, for a plugin without a key, by its whole content; both are compared
//! canonically (object keys in order, numbers by value), so how a database
//! stored a record (PostgreSQL's JSONB reorders keys) does not matter.
//! Records are compared as multisets: two records with one identity in a
//! target are two records, matched to the other run's as far as they go.
//!
//! Only targets that succeeded in both runs are compared record by
//! record. Any other target is listed as not compared, with both its
//! statuses: a target that failed, was skipped or is missing from one run
//! is never reported as all its records removed (or added).
//!
//! Stored runs are read as one stream per plugin, both runs' rows in
//! (account, region) order, and diffed target by target, so memory holds
//! one target's records (bounded by the run's per-target output cap) and
//! never a whole run. Changes go to a [`Changes`] consumer as they are
//! found.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::io;
use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::postgres::Postgres;
use super::schema::{self, Dialect, SqlValue, quote, table_name};
use super::sqlite::Sqlite;
use super::writer::Db;
use super::{StoreError, StoreUrl};
use crate::report::json::SavedRun;

/// Why a comparison could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// Input the operator can fix (a run id, a file, the database, runs
    /// that cannot be compared): one line naming it, never a password.
    #[error("{0}")]
    Input(String),
    /// Writing the changes failed.
    #[error("writing the changes: {0}")]
    Output(#[from] io::Error),
}

impl From<StoreError> for DiffError {
    fn from(e: StoreError) -> Self {
        Self::Input(e.to_string())
    }
}

/// A plugin of a run and the fields that identify its records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
struct PluginKey {
    name: String,
    #[serde(default)]
    key: Vec<String>,
}

/// One side of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct RunSide {
    /// The run's id (None for a saved report written before run ids).
    pub run_id: Option<String>,
    /// When it started (None for a saved report).
    #[serde(serialize_with = "rfc3339")]
    pub started_at: Option<OffsetDateTime>,
    /// Its state in the database (`complete`, ...); None for a report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The database (without its password) or the report file.
    pub source: String,
}

fn rfc3339<S: serde::Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&schema::timestamp_text(t.to_offset(time::UtcOffset::UTC))),
        None => s.serialize_none(),
    }
}

impl RunSide {
    /// `run ID (2026-12-06 04:00:00 UTC)`, or the file, for a person.
    pub fn describe(&self) -> String {
        let id = self.run_id.as_deref().map(|id| format!("run {id}"));
        match (id, self.started_at) {
            (Some(id), Some(t)) => format!("{id} ({})", display_time(t)),
            (Some(id), None) if self.state.is_none() => format!("{} ({id})", self.source),
            (Some(id), None) => id,
            (None, _) => self.source.clone(),
        }
    }
}

/// `2026-12-06 04:00:00 UTC`.
pub fn display_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC")).unwrap_or_default()
}

/// A plugin of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct PluginPlan {
    /// Its name.
    pub plugin: String,
    /// The fields that identify a record (the newer run's declaration);
    /// empty: the whole record does.
    pub key: Vec<String>,
    /// `old` or `new` when only that run has the plugin (then it is not
    /// compared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_in: Option<&'static str>,
}

/// What is compared: two runs and their plugins.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The older run.
    pub old: RunSide,
    /// The newer run.
    pub new: RunSide,
    /// Their plugins: those of the newer run in its order, then any only
    /// the older one had.
    #[serde(skip)]
    pub plugins: Vec<PluginPlan>,
}

/// How a target that is not compared record by record differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetChangeKind {
    /// Only in the newer run.
    Appeared,
    /// Only in the older run.
    Vanished,
    /// In both, with different statuses (one of them not `succeeded`).
    StatusChanged,
    /// In both with the same status, not `succeeded` (skipped twice...).
    NotCompared,
}

impl TargetChangeKind {
    /// As the JSON spells it, with a space for a person.
    pub fn words(self) -> &'static str {
        match self {
            Self::Appeared => "appeared",
            Self::Vanished => "vanished",
            Self::StatusChanged => "status changed",
            Self::NotCompared => "not compared",
        }
    }
}

/// A target that is not compared record by record.
#[derive(Debug, Serialize)]
pub struct TargetChange<'a> {
    /// How it differs.
    pub change: TargetChangeKind,
    /// Its account.
    pub account_id: &'a str,
    /// The account's name (the newer run's when both have it).
    pub account_name: &'a str,
    /// Its region.
    pub region: &'a str,
    /// Its status in the older run (None: not there).
    pub old_status: Option<&'a str>,
    /// Its status in the newer run (None: not there).
    pub new_status: Option<&'a str>,
    /// The older run's error code for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_error: Option<&'a str>,
    /// The newer run's error code for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_error: Option<&'a str>,
}

/// How a record differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordChangeKind {
    /// Only in the newer run.
    Added,
    /// Only in the older run.
    Removed,
    /// Same identity, different content.
    Changed,
}

impl RecordChangeKind {
    /// As the JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Removed => "removed",
            Self::Changed => "changed",
        }
    }
}

/// A record added, removed or changed in a target compared in both runs.
#[derive(Debug, Serialize)]
pub struct RecordChange<'a> {
    /// How it differs.
    pub change: RecordChangeKind,
    /// Its target's account.
    pub account_id: &'a str,
    /// The account's name.
    pub account_name: &'a str,
    /// Its target's region.
    pub region: &'a str,
    /// Its key fields and their values (None for a plugin without a key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<Map<String, Value>>,
    /// The record, when added or removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<&'a Value>,
    /// When changed: the top-level fields that differ, old -> new (null
    /// where the field is missing).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange<'a>>,
}

/// One top-level field of a changed record.
#[derive(Debug, Serialize)]
pub struct FieldChange<'a> {
    /// The field (empty when a record is not a JSON object).
    pub field: &'a str,
    /// Its value in the older run (None: missing).
    pub old: Option<&'a Value>,
    /// Its value in the newer run (None: missing).
    pub new: Option<&'a Value>,
}

/// What changed in one plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Records only in the newer run (of targets compared).
    pub added: u64,
    /// Records only in the older run (of targets compared).
    pub removed: u64,
    /// Records of the same identity whose content changed.
    pub changed: u64,
    /// Records the same in both.
    pub unchanged: u64,
    /// Targets that succeeded in both runs, compared record by record.
    pub targets_compared: u64,
    /// Targets only in the newer run.
    pub targets_appeared: u64,
    /// Targets only in the older run.
    pub targets_vanished: u64,
    /// Targets in both whose status changed.
    pub targets_status_changed: u64,
    /// Targets not compared record by record: appeared, vanished, status
    /// changed, or the same status other than succeeded in both.
    pub targets_not_compared: u64,
}

impl Counts {
    /// True when a record or a target's presence or status changed.
    pub fn any(&self) -> bool {
        self.added
            + self.removed
            + self.changed
            + self.targets_appeared
            + self.targets_vanished
            + self.targets_status_changed
            > 0
    }
}

/// Where changes go, in order: `begin`, then per plugin `plugin`, its
/// targets not compared (in account, region order), its record changes
/// (target by target), `end_plugin`; then `end`.
pub trait Changes {
    /// The comparison starts.
    fn begin(&mut self, _comparison: &Comparison) -> io::Result<()> {
        Ok(())
    }
    /// A plugin's changes start.
    fn plugin(&mut self, _plugin: &PluginPlan) -> io::Result<()> {
        Ok(())
    }
    /// A target that is not compared record by record.
    fn target(&mut self, _plugin: &PluginPlan, _change: &TargetChange<'_>) -> io::Result<()> {
        Ok(())
    }
    /// A record added, removed or changed.
    fn record(&mut self, _plugin: &PluginPlan, _change: &RecordChange<'_>) -> io::Result<()> {
        Ok(())
    }
    /// A plugin's changes end with its counts.
    fn end_plugin(&mut self, _plugin: &PluginPlan, _counts: &Counts) -> io::Result<()> {
        Ok(())
    }
    /// The comparison ends; `changed` when anything did.
    fn end(&mut self, _changed: bool) -> io::Result<()> {
        Ok(())
    }
}

/// A consumer that keeps nothing but the counts (`host run --diff`).
pub struct CountsOnly;

impl Changes for CountsOnly {}

/// The result of a comparison.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// What was compared.
    pub comparison: Comparison,
    /// The counts of each plugin compared, in order.
    pub counts: Vec<(String, Counts)>,
    /// True when anything changed.
    pub changed: bool,
}

// ---------------------------------------------------------------- identity

/// `value` as canonical JSON text: object keys sorted, numbers by value
/// (`1.0` is `1`), no whitespace. Equal texts mean equal values, however
/// they were written or stored.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else {
                let f = n.as_f64().unwrap_or_default();
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    let _ = write!(out, "{}", f as i64);
                } else {
                    let _ = write!(out, "{f}");
                }
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A record's identity within its target: its `key` fields' values (a
/// missing field counts as null), or, without a key, its whole content.
pub fn identity(key: &[String], record: &Value) -> String {
    if key.is_empty() {
        return canonical(record);
    }
    let mut out = String::from("[");
    for (i, field) in key.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_canonical(record.get(field).unwrap_or(&Value::Null), &mut out);
    }
    out.push(']');
    out
}

/// The top-level fields that differ between two records of one identity.
pub fn field_changes<'a>(old: &'a Value, new: &'a Value) -> Vec<FieldChange<'a>> {
    match (old.as_object(), new.as_object()) {
        (Some(a), Some(b)) => {
            let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            names
                .into_iter()
                .filter(|name| match (a.get(*name), b.get(*name)) {
                    (Some(x), Some(y)) => x != y && canonical(x) != canonical(y),
                    _ => true,
                })
                .map(|name| FieldChange { field: name, old: a.get(name), new: b.get(name) })
                .collect()
        }
        _ => vec![FieldChange { field: "", old: Some(old), new: Some(new) }],
    }
}

/// A record with its identity and canonical content.
struct Entry {
    identity: String,
    content: String,
    value: Value,
}

impl Entry {
    fn new(key: &[String], value: Value) -> Self {
        let content = canonical(&value);
        let identity = if key.is_empty() { content.clone() } else { identity(key, &value) };
        Self { identity, content, value }
    }
}

/// A target's place: (account id, region).
type Place = (String, String);

/// One target as a run recorded it.
#[derive(Debug, Clone)]
struct TargetState {
    account_name: String,
    status: String,
    error: Option<String>,
}

/// Compares one target's records (both runs succeeded there).
fn compare_records(
    plan: &PluginPlan,
    place: &Place,
    account_name: &str,
    old: Vec<Value>,
    new: Vec<Value>,
    sink: &mut dyn Changes,
    counts: &mut Counts,
) -> io::Result<()> {
    let mut by_identity: BTreeMap<String, (Vec<Entry>, Vec<Entry>)> = BTreeMap::new();
    for value in old {
        let entry = Entry::new(&plan.key, value);
        by_identity.entry(entry.identity.clone()).or_default().0.push(entry);
    }
    for value in new {
        let entry = Entry::new(&plan.key, value);
        by_identity.entry(entry.identity.clone()).or_default().1.push(entry);
    }
    let key_of = |value: &Value| -> Option<Map<String, Value>> {
        (!plan.key.is_empty())
            .then(|| plan.key.iter().map(|k| (k.clone(), value.get(k).cloned().unwrap_or(Value::Null))).collect())
    };
    let change = |kind, value: &Value| RecordChange {
        change: kind,
        account_id: &place.0,
        account_name,
        region: &place.1,
        key: key_of(value),
        record: None,
        fields: Vec::new(),
    };
    for (_, (mut old, mut new)) in by_identity {
        // The same content on both sides is unchanged, as many times as it
        // is on both (a multiset); what is left pairs up as changed, and
        // the rest was added or removed.
        let (rest_old, rest_new): (Vec<Entry>, Vec<Entry>) = if old.len() == 1 && new.len() == 1 {
            if old[0].content == new[0].content {
                counts.unchanged += 1;
                continue;
            }
            (old, new)
        } else {
            old.sort_by(|a, b| a.content.cmp(&b.content));
            new.sort_by(|a, b| a.content.cmp(&b.content));
            let (mut rest_old, mut rest_new) = (Vec::new(), Vec::new());
            let mut new = new.into_iter().peekable();
            for o in old {
                while new.peek().is_some_and(|n| n.content < o.content) {
                    rest_new.push(new.next().expect("peeked"));
                }
                if new.peek().is_some_and(|n| n.content == o.content) {
                    new.next();
                    counts.unchanged += 1;
                } else {
                    rest_old.push(o);
                }
            }
            rest_new.extend(new);
            (rest_old, rest_new)
        };
        let paired = rest_old.len().min(rest_new.len());
        for (o, n) in rest_old.iter().zip(&rest_new) {
            counts.changed += 1;
            let mut record = change(RecordChangeKind::Changed, &n.value);
            record.fields = field_changes(&o.value, &n.value);
            sink.record(plan, &record)?;
        }
        for o in &rest_old[paired..] {
            counts.removed += 1;
            let mut record = change(RecordChangeKind::Removed, &o.value);
            record.record = Some(&o.value);
            sink.record(plan, &record)?;
        }
        for n in &rest_new[paired..] {
            counts.added += 1;
            let mut record = change(RecordChangeKind::Added, &n.value);
            record.record = Some(&n.value);
            sink.record(plan, &record)?;
        }
    }
    Ok(())
}

/// Lists the targets not compared record by record and returns those that
/// are (succeeded in both).
fn compare_targets(
    plan: &PluginPlan,
    old: &BTreeMap<Place, TargetState>,
    new: &BTreeMap<Place, TargetState>,
    sink: &mut dyn Changes,
    counts: &mut Counts,
) -> io::Result<HashSet<Place>> {
    let succeeded = |t: Option<&TargetState>| t.is_some_and(|t| t.status == "succeeded");
    let mut compared = HashSet::new();
    let places: BTreeSet<&Place> = old.keys().chain(new.keys()).collect();
    for place in places {
        let (o, n) = (old.get(place), new.get(place));
        if succeeded(o) && succeeded(n) {
            counts.targets_compared += 1;
            compared.insert(place.clone());
            continue;
        }
        let change = match (o, n) {
            (None, _) => TargetChangeKind::Appeared,
            (_, None) => TargetChangeKind::Vanished,
            (Some(a), Some(b)) if a.status != b.status => TargetChangeKind::StatusChanged,
            _ => TargetChangeKind::NotCompared,
        };
        counts.targets_not_compared += 1;
        match change {
            TargetChangeKind::Appeared => counts.targets_appeared += 1,
            TargetChangeKind::Vanished => counts.targets_vanished += 1,
            TargetChangeKind::StatusChanged => counts.targets_status_changed += 1,
            TargetChangeKind::NotCompared => {}
        }
        let named = n.or(o).expect("in one run at least");
        sink.target(
            plan,
            &TargetChange {
                change,
                account_id: &place.0,
                account_name: &named.account_name,
                region: &place.1,
                old_status: o.map(|t| t.status.as_str()),
                new_status: n.map(|t| t.status.as_str()),
                old_error: o.and_then(|t| t.error.as_deref()),
                new_error: n.and_then(|t| t.error.as_deref()),
            },
        )?;
    }
    Ok(compared)
}

/// The plugins of two runs: the newer run's in its order (with its key),
/// then those only the older one had.
fn plan(old: &[PluginKey], new: &[PluginKey]) -> Vec<PluginPlan> {
    let mut plans: Vec<PluginPlan> = new
        .iter()
        .map(|p| PluginPlan {
            plugin: p.name.clone(),
            key: p.key.clone(),
            only_in: (!old.iter().any(|o| o.name == p.name)).then_some("new"),
        })
        .collect();
    for p in old.iter().filter(|o| !new.iter().any(|n| n.name == o.name)) {
        plans.push(PluginPlan { plugin: p.name.clone(), key: p.key.clone(), only_in: Some("old") });
    }
    plans
}

fn names(plugins: &[PluginKey]) -> String {
    plugins.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// Hands a target's records over: the older run's, the newer run's.
type EachTarget<'a> = dyn FnMut(&Place, Vec<Value>, Vec<Value>) -> Result<(), DiffError> + 'a;

/// Where the records of a comparison come from.
trait RecordSource {
    /// The targets of `plugin` in the older and the newer run.
    fn targets(&mut self, plugin: &str) -> Result<[BTreeMap<Place, TargetState>; 2], DiffError>;
    /// Hands `each` the records of every target in `compared`, the older
    /// run's and the newer run's, one target at a time.
    fn records(&mut self, plugin: &str, compared: &HashSet<Place>, each: &mut EachTarget<'_>) -> Result<(), DiffError>;
}

fn run_comparison(
    comparison: Comparison,
    source: &mut dyn RecordSource,
    sink: &mut dyn Changes,
) -> Result<Outcome, DiffError> {
    sink.begin(&comparison)?;
    let mut all = Vec::new();
    let mut changed = false;
    for plan in &comparison.plugins {
        sink.plugin(plan)?;
        let mut counts = Counts::default();
        if plan.only_in.is_none() {
            let [old, new] = source.targets(&plan.plugin)?;
            let compared = compare_targets(plan, &old, &new, sink, &mut counts)?;
            if !compared.is_empty() {
                source.records(&plan.plugin, &compared, &mut |place, o, n| {
                    let name = new.get(place).map_or("", |t| t.account_name.as_str());
                    compare_records(plan, place, name, o, n, sink, &mut counts).map_err(DiffError::from)
                })?;
            }
            changed |= counts.any();
            all.push((plan.plugin.clone(), counts.clone()));
        } else {
            changed = true;
        }
        sink.end_plugin(plan, &counts)?;
    }
    sink.end(changed)?;
    Ok(Outcome { comparison, counts: all, changed })
}

// ---------------------------------------------------------- saved reports

/// Compares two saved JSON reports (`host run -o json`): `old` and `new`
/// are (file name, report).
pub fn compare_saved(
    old: (&str, &SavedRun),
    new: (&str, &SavedRun),
    sink: &mut dyn Changes,
) -> Result<Outcome, DiffError> {
    let plugins = |saved: &SavedRun| -> Vec<PluginKey> {
        saved.reports.iter().map(|r| PluginKey { name: r.plugin.name.clone(), key: r.plugin.key.clone() }).collect()
    };
    let (old_plugins, new_plugins) = (plugins(old.1), plugins(new.1));
    let side = |(file, saved): (&str, &SavedRun)| RunSide {
        run_id: saved.run.get("run_id").and_then(Value::as_str).map(str::to_owned),
        started_at: None,
        state: None,
        source: file.to_owned(),
    };
    let comparison = Comparison { old: side(old), new: side(new), plugins: plan(&old_plugins, &new_plugins) };
    if comparison.plugins.iter().all(|p| p.only_in.is_some()) {
        return Err(DiffError::Input(format!(
            "{} ({}) and {} ({}) have no plugin in common: nothing to compare",
            old.0,
            names(&old_plugins),
            new.0,
            names(&new_plugins)
        )));
    }
    run_comparison(comparison, &mut Saved { old: old.1, new: new.1 }, sink)
}

struct Saved<'a> {
    old: &'a SavedRun,
    new: &'a SavedRun,
}

impl Saved<'_> {
    fn report<'r>(run: &'r SavedRun, plugin: &str) -> Option<&'r crate::report::Report> {
        run.reports.iter().find(|r| r.plugin.name == plugin)
    }
}

impl RecordSource for Saved<'_> {
    fn targets(&mut self, plugin: &str) -> Result<[BTreeMap<Place, TargetState>; 2], DiffError> {
        let of = |run: &SavedRun| {
            Self::report(run, plugin)
                .map(|r| {
                    r.results
                        .iter()
                        .map(|t| {
                            let place = (t.target.account_id.clone(), t.target.region.clone());
                            let state = TargetState {
                                account_name: t.target.account_name.clone(),
                                status: t.status.as_str().to_owned(),
                                error: t.error.as_ref().map(|e| e.code.clone()),
                            };
                            (place, state)
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok([of(self.old), of(self.new)])
    }

    fn records(&mut self, plugin: &str, compared: &HashSet<Place>, each: &mut EachTarget<'_>) -> Result<(), DiffError> {
        let of = |run: &SavedRun| -> Result<BTreeMap<Place, Vec<Value>>, DiffError> {
            let mut out: BTreeMap<Place, Vec<Value>> = BTreeMap::new();
            for result in Self::report(run, plugin).map(|r| r.results.as_slice()).unwrap_or_default() {
                let place = (result.target.account_id.clone(), result.target.region.clone());
                if !compared.contains(&place) {
                    continue;
                }
                let records = out.entry(place).or_default();
                for raw in &result.records {
                    records.push(serde_json::from_str(raw.get()).map_err(|e| DiffError::Input(e.to_string()))?);
                }
            }
            Ok(out)
        };
        let (mut old, mut new) = (of(self.old)?, of(self.new)?);
        let mut places: Vec<&Place> = compared.iter().collect();
        places.sort();
        for place in places {
            each(place, old.remove(place).unwrap_or_default(), new.remove(place).unwrap_or_default())?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------- stored runs

/// A run as `trawl_runs` holds it.
#[derive(Debug, Clone)]
struct StoredRun {
    run_id: String,
    started_at: Option<OffsetDateTime>,
    state: String,
    plugin_set: String,
    plugins: Vec<PluginKey>,
}

impl StoredRun {
    fn side(&self, source: &str) -> RunSide {
        RunSide {
            run_id: Some(self.run_id.clone()),
            started_at: self.started_at,
            state: Some(self.state.clone()),
            source: source.to_owned(),
        }
    }

    fn complete(&self) -> bool {
        self.state == "complete"
    }
}

/// Hands each row of a streamed query over.
type EachRow<'a> = dyn FnMut(Vec<SqlValue>) -> Result<(), DiffError> + 'a;

/// What a comparison asks of a database: a few small queries and one
/// streamed one; written once for both databases.
trait Reader {
    fn dialect(&self) -> Dialect;
    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>, StoreError>;
    fn has_table(&mut self, table: &str) -> Result<bool, StoreError>;
    fn each_row(&mut self, sql: &str, params: &[SqlValue], each: &mut EachRow<'_>) -> Result<(), DiffError>;
}

macro_rules! reader {
    ($db:ty) => {
        impl Reader for $db {
            fn dialect(&self) -> Dialect {
                Db::dialect(self)
            }
            fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>, StoreError> {
                Db::query(self, sql, params)
            }
            fn has_table(&mut self, table: &str) -> Result<bool, StoreError> {
                Ok(Db::columns(self, table)?.is_some())
            }
            fn each_row(&mut self, sql: &str, params: &[SqlValue], each: &mut EachRow<'_>) -> Result<(), DiffError> {
                self.query_each(sql, params, each)
            }
        }
    };
}

reader!(Sqlite);
reader!(Postgres);

/// SQLite's page cache for a comparison, KiB: SQLite also sorts in memory
/// up to this much before it spills to a temporary file, so it bounds what
/// a comparison of any size holds.
const READER_CACHE_KIB: u32 = 8192;

/// Opens the database at `url` for reading runs and hands it to `with`.
fn with_database<T>(
    url: &StoreUrl,
    with: impl FnOnce(&mut dyn Reader, &str) -> Result<T, DiffError>,
) -> Result<T, DiffError> {
    let shown = url.to_string();
    match url {
        StoreUrl::Sqlite(path) => {
            check_sqlite_file(path, &shown)?;
            let mut db = Sqlite::open(path, &shown)?;
            // A reader needs little cache; the writer's large one would
            // also let SQLite sort the whole stream in memory.
            Db::batch(&mut db, &format!("PRAGMA cache_size = -{READER_CACHE_KIB}"))?;
            check_schema(&mut db, &shown)?;
            with(&mut db, &shown)
        }
        StoreUrl::Postgres(text) => {
            let mut db = Postgres::connect(text, &shown)?;
            check_schema(&mut db, &shown)?;
            with(&mut db, &shown)
        }
    }
}

/// An SQLite file that is there and is one: a diff never creates a
/// database, and a file of something else says so.
fn check_sqlite_file(path: &Path, shown: &str) -> Result<(), DiffError> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let read = std::fs::File::open(path).and_then(|mut f| {
        let mut n = 0;
        while n < header.len() {
            match f.read(&mut header[n..])? {
                0 => break,
                k => n += k,
            }
        }
        Ok(n)
    });
    match read {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Err(DiffError::Input(format!("{shown}: no such database file (runs are stored there by host run --into)")))
        }
        Err(e) => Err(DiffError::Input(format!("{shown}: {e}"))),
        Ok(0) => Err(DiffError::Input(format!("{shown}: holds no trawl runs (an empty file)"))),
        Ok(n) if n < 16 || &header != b"SQLite format 3\0" => {
            Err(DiffError::Input(format!("{shown}: not an SQLite database")))
        }
        Ok(_) => Ok(()),
    }
}

/// trawl's tables are there, in a schema this host reads.
fn check_schema<D: Db>(db: &mut D, shown: &str) -> Result<(), DiffError> {
    if db.columns("trawl_runs")?.is_none() {
        return Err(DiffError::Input(format!("{shown}: holds no trawl runs (no trawl_runs table)")));
    }
    if db.columns("trawl_schema")?.is_some()
        && let Some(SqlValue::Integer(version)) =
            db.query("SELECT max(version) FROM trawl_schema", &[])?.first().and_then(|r| r.first())
        && *version > schema::SCHEMA_VERSION
    {
        return Err(DiffError::Input(format!(
            "{shown}: its trawl schema is version {version}, newer than this host's {}: upgrade trawl to read it",
            schema::SCHEMA_VERSION
        )));
    }
    Ok(())
}

/// A text column's value (SQLite's reader makes text that reads as a
/// date-time a timestamp: it is text again here).
fn as_text(value: &SqlValue) -> Option<String> {
    match value {
        SqlValue::Text(s) | SqlValue::Json(s) => Some(s.clone()),
        SqlValue::Timestamp(t) => Some(schema::timestamp_text(*t)),
        _ => None,
    }
}

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_owned())
}

fn param(dialect: Dialect, i: usize) -> String {
    match dialect {
        Dialect::Postgres => format!("${i}"),
        Dialect::Sqlite => format!("?{i}"),
    }
}

/// Every run the database holds, oldest first.
fn stored_runs(db: &mut dyn Reader, shown: &str) -> Result<Vec<StoredRun>, DiffError> {
    let rows = db.query("SELECT run_id, started_at, state, plugin_set, plugins FROM trawl_runs", &[])?;
    let mut runs = Vec::with_capacity(rows.len());
    for row in rows {
        let [SqlValue::Text(run_id), started, SqlValue::Text(state), SqlValue::Text(plugin_set), plugins] = &row[..]
        else {
            continue;
        };
        let started_at = match started {
            SqlValue::Timestamp(t) => Some(*t),
            SqlValue::Text(t) => schema::parse_timestamp(t),
            _ => None,
        };
        let plugins = match plugins {
            SqlValue::Text(json) | SqlValue::Json(json) => serde_json::from_str(json).map_err(|e| {
                DiffError::Input(format!("{shown}: run {run_id} has plugins that cannot be read ({e})"))
            })?,
            _ => Vec::new(),
        };
        runs.push(StoredRun {
            run_id: run_id.clone(),
            started_at,
            state: state.clone(),
            plugin_set: plugin_set.clone(),
            plugins,
        });
    }
    runs.sort_by(|a, b| (a.started_at, &a.run_id).cmp(&(b.started_at, &b.run_id)));
    Ok(runs)
}

/// The shortest run id prefix `host diff` takes.
pub const MIN_PREFIX: usize = 8;

/// The run `given` names: its id, or a unique prefix of at least
/// [`MIN_PREFIX`] characters.
fn find_run<'r>(runs: &'r [StoredRun], given: &str, shown: &str) -> Result<&'r StoredRun, DiffError> {
    if let Some(run) = runs.iter().find(|r| r.run_id == given) {
        return Ok(run);
    }
    let shown_given = crate::report::terminal::clip(given, 80);
    if given.chars().count() < MIN_PREFIX {
        return Err(DiffError::Input(format!(
            "{shown}: no run {shown_given:?} (a prefix of a run id needs at least {MIN_PREFIX} characters)"
        )));
    }
    let matches: Vec<&StoredRun> = runs.iter().filter(|r| r.run_id.starts_with(given)).collect();
    match matches[..] {
        [] => Err(DiffError::Input(format!("{shown}: no run {shown_given:?}"))),
        [run] => Ok(run),
        _ => Err(DiffError::Input(format!(
            "{shown}: run id prefix {shown_given:?} is ambiguous: {} runs start with it ({}{}); give more of it",
            matches.len(),
            matches.iter().take(3).map(|r| r.run_id.as_str()).collect::<Vec<_>>().join(", "),
            if matches.len() > 3 { ", ..." } else { "" }
        ))),
    }
}

/// The two runs to compare: as given, or by default the newest complete
/// run and the complete run of the same plugins before it (with only
/// `old` given: it and the newest complete run of its plugins after it).
fn pick_runs<'r>(
    runs: &'r [StoredRun],
    old: Option<&str>,
    new: Option<&str>,
    shown: &str,
) -> Result<(&'r StoredRun, &'r StoredRun), DiffError> {
    match (old, new) {
        (Some(old), Some(new)) => Ok((find_run(runs, old, shown)?, find_run(runs, new, shown)?)),
        (Some(old), None) => {
            let old = find_run(runs, old, shown)?;
            let at = runs.iter().position(|r| r.run_id == old.run_id).expect("found");
            let new = runs[at + 1..].iter().rev().find(|r| r.complete() && r.plugin_set == old.plugin_set);
            match new {
                Some(new) => Ok((old, new)),
                None => Err(DiffError::Input(format!(
                    "{shown}: no complete run of {} newer than run {}: nothing to compare it with",
                    old.plugin_set, old.run_id
                ))),
            }
        }
        (None, _) => {
            let Some(at) = runs.iter().rposition(StoredRun::complete) else {
                return Err(DiffError::Input(format!("{shown}: no complete run to compare")));
            };
            let new = &runs[at];
            match runs[..at].iter().rev().find(|r| r.complete() && r.plugin_set == new.plugin_set) {
                Some(old) => Ok((old, new)),
                None => Err(DiffError::Input(format!(
                    "{shown}: no complete run of {} before the newest, run {}: nothing to compare it with",
                    new.plugin_set, new.run_id
                ))),
            }
        }
    }
}

/// Compares two runs stored at `url`: the given ones, or the newest complete run
/// and the complete run of the same plugins before it.
pub fn compare_stored(
    url: &StoreUrl,
    old: Option<&str>,
    new: Option<&str>,
    sink: &mut dyn Changes,
) -> Result<Outcome, DiffError> {
    with_database(url, |db, shown| {
        let runs = stored_runs(db, shown)?;
        let (old, new) = pick_runs(&runs, old, new, shown)?;
        compare_runs(db, shown, old, new, sink)
    })
}

/// What `host run --diff` says about the run just stored.
#[derive(Debug, Clone)]
pub enum SincePrevious {
    /// Compared with the complete run of the same plugins before it.
    Compared(Box<Outcome>),
    /// No complete run of these plugins before it.
    NoEarlier {
        /// The plugins, comma-separated.
        plugin_set: String,
    },
    /// The run is not complete (yet: other shards; or cancelled).
    NotComplete {
        /// Its state.
        state: String,
    },
}

/// Compares run `run_id` stored at `url` with the complete run of the
/// same plugins before it.
pub fn since_previous(url: &StoreUrl, run_id: &str) -> Result<SincePrevious, DiffError> {
    with_database(url, |db, shown| {
        let runs = stored_runs(db, shown)?;
        let Some(at) = runs.iter().position(|r| r.run_id == run_id) else {
            return Err(DiffError::Input(format!("{shown}: no run {run_id}")));
        };
        let run = &runs[at];
        if !run.complete() {
            return Ok(SincePrevious::NotComplete { state: run.state.clone() });
        }
        match runs[..at].iter().rev().find(|r| r.complete() && r.plugin_set == run.plugin_set) {
            Some(previous) => {
                compare_runs(db, shown, previous, run, &mut CountsOnly).map(|o| SincePrevious::Compared(Box::new(o)))
            }
            None => Ok(SincePrevious::NoEarlier { plugin_set: run.plugin_set.clone() }),
        }
    })
}

fn compare_runs(
    db: &mut dyn Reader,
    shown: &str,
    old: &StoredRun,
    new: &StoredRun,
    sink: &mut dyn Changes,
) -> Result<Outcome, DiffError> {
    let comparison =
        Comparison { old: old.side(shown), new: new.side(shown), plugins: plan(&old.plugins, &new.plugins) };
    if comparison.plugins.iter().all(|p| p.only_in.is_some()) {
        return Err(DiffError::Input(format!(
            "{shown}: run {} ({}) and run {} ({}) have no plugin in common: nothing to compare",
            old.run_id,
            names(&old.plugins),
            new.run_id,
            names(&new.plugins)
        )));
    }
    let mut source = Stored { db, old: &old.run_id, new: &new.run_id };
    run_comparison(comparison, &mut source, sink)
}

struct Stored<'a> {
    db: &'a mut dyn Reader,
    old: &'a str,
    new: &'a str,
}

impl RecordSource for Stored<'_> {
    fn targets(&mut self, plugin: &str) -> Result<[BTreeMap<Place, TargetState>; 2], DiffError> {
        let d = self.db.dialect();
        let sql = format!(
            "SELECT run_id, account_id, account_name, region, status, error_code FROM trawl_targets \
             WHERE run_id IN ({}, {}) AND plugin = {}",
            param(d, 1),
            param(d, 2),
            param(d, 3)
        );
        let mut sides: [BTreeMap<Place, TargetState>; 2] = Default::default();
        for row in self.db.query(&sql, &[text(self.old), text(self.new), text(plugin)])? {
            let [run, account, name, region, status, error] = &row[..] else { continue };
            let (Some(run), Some(account), Some(region), Some(status)) =
                (as_text(run), as_text(account), as_text(region), as_text(status))
            else {
                continue;
            };
            let state = TargetState { account_name: as_text(name).unwrap_or_default(), status, error: as_text(error) };
            let place = (account, region);
            // The same run on both sides: both get it.
            if run == self.old {
                sides[0].insert(place.clone(), state.clone());
            }
            if run == self.new {
                sides[1].insert(place, state);
            }
        }
        Ok(sides)
    }

    fn records(&mut self, plugin: &str, compared: &HashSet<Place>, each: &mut EachTarget<'_>) -> Result<(), DiffError> {
        let table = table_name(plugin);
        if !self.db.has_table(&table)? {
            return Ok(());
        }
        let d = self.db.dialect();
        // Both runs' rows in one stream, target by target. PostgreSQL sorts
        // text by the database's collation unless told otherwise; "C" is
        // byte order, SQLite's and Rust's.
        let order = match d {
            Dialect::Postgres => r#"account_id COLLATE "C", region COLLATE "C""#,
            Dialect::Sqlite => "account_id, region",
        };
        let record = if d == Dialect::Postgres { "record::text" } else { "record" };
        let sql = format!(
            "SELECT run_id = {p2}, account_id, region, {record} FROM {t} WHERE run_id IN ({p1}, {p2}) ORDER BY {order}",
            p1 = param(d, 1),
            p2 = param(d, 2),
            t = quote(&table),
        );
        let same = self.old == self.new;
        let mut place: Option<Place> = None;
        let mut wanted = false;
        let (mut old, mut new): (Vec<Value>, Vec<Value>) = (Vec::new(), Vec::new());
        self.db.each_row(&sql, &[text(self.old), text(self.new)], &mut |row| {
            let [is_new, SqlValue::Text(account), SqlValue::Text(region), record] = &row[..] else {
                return Err(DiffError::Input(format!("{table}: a row without its account or region")));
            };
            if place.as_ref().is_none_or(|(a, r)| a != account || r != region) {
                if let Some(done) = place.take()
                    && wanted
                {
                    each(&done, std::mem::take(&mut old), std::mem::take(&mut new))?;
                }
                let next = (account.clone(), region.clone());
                wanted = compared.contains(&next);
                place = Some(next);
                old.clear();
                new.clear();
            }
            if !wanted {
                return Ok(());
            }
            let value: Value = match record {
                SqlValue::Text(json) | SqlValue::Json(json) => serde_json::from_str(json)
                    .map_err(|e| DiffError::Input(format!("{table}: a record that is not JSON ({e})")))?,
                SqlValue::Null => Value::Null,
                other => return Err(DiffError::Input(format!("{table}: a record that is not JSON ({other:?})"))),
            };
            let is_new = matches!(is_new, SqlValue::Boolean(true) | SqlValue::Integer(1));
            if same {
                old.push(value.clone());
                new.push(value);
            } else if is_new {
                new.push(value);
            } else {
                old.push(value);
            }
            Ok(())
        })?;
        if let Some(done) = place
            && wanted
        {
            each(&done, old, new)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Records every change as one JSON line.
    #[derive(Default)]
    struct Lines(Vec<Value>);

    impl Changes for Lines {
        fn target(&mut self, _: &PluginPlan, change: &TargetChange<'_>) -> io::Result<()> {
            self.0.push(serde_json::to_value(change).unwrap());
            Ok(())
        }
        fn record(&mut self, _: &PluginPlan, change: &RecordChange<'_>) -> io::Result<()> {
            self.0.push(serde_json::to_value(change).unwrap());
            Ok(())
        }
    }

    fn plan_with(key: &[&str]) -> PluginPlan {
        PluginPlan { plugin: "p".into(), key: key.iter().map(|k| k.to_string()).collect(), only_in: None }
    }

    fn diff(key: &[&str], old: Vec<Value>, new: Vec<Value>) -> (Counts, Vec<Value>) {
        let mut lines = Lines::default();
        let mut counts = Counts::default();
        let place = ("111111111111".to_owned(), "eu-west-1".to_owned());
        compare_records(&plan_with(key), &place, "prod", old, new, &mut lines, &mut counts).unwrap();
        (counts, lines.0)
    }

    #[test]
    fn canonical_text_ignores_key_order_whitespace_and_number_spelling() {
        let a: Value = serde_json::from_str(r#"{"b": [1, {"y": 2, "x": 1.0}], "a": "t\"\n"}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":"t\"\n","b":[1,{"x":1,"y":2.0}]}"#).unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(canonical(&a), r#"{"a":"t\"\u000a","b":[1,{"x":1,"y":2}]}"#);
        assert_ne!(canonical(&json!([1, 2])), canonical(&json!([2, 1])), "array order matters");
        assert_ne!(canonical(&json!({"a": "1"})), canonical(&json!({"a": 1})), "types matter");
        assert_eq!(canonical(&json!(0.5)), "0.5");
        assert_eq!(identity(&["id".into()], &json!({"id": "v-1", "size": 3})), r#"["v-1"]"#);
        assert_eq!(identity(&["id".into(), "n".into()], &json!({"id": "v-1"})), r#"["v-1",null]"#);
        assert_eq!(identity(&[], &json!({"b": 1, "a": 2})), r#"{"a":2,"b":1}"#);
    }

    #[test]
    fn records_are_added_removed_and_changed_by_key_with_the_fields_named() {
        let old = vec![
            json!({"id": "a", "size": 8, "tags": {"team": "ml"}}),
            json!({"id": "b", "size": 8}),
            json!({"id": "c", "size": 1, "gone": true}),
        ];
        let new = vec![
            json!({"tags": {"team": "ml"}, "size": 8, "id": "a"}),
            json!({"id": "c", "size": 2}),
            json!({"id": "d", "size": 4}),
        ];
        let (counts, lines) = diff(&["id"], old, new);
        assert_eq!((counts.added, counts.removed, counts.changed, counts.unchanged), (1, 1, 1, 1));
        let changed = lines.iter().find(|l| l["change"] == "changed").unwrap();
        assert_eq!(changed["key"], json!({"id": "c"}));
        assert_eq!(
            changed["fields"],
            json!([{"field": "gone", "old": true, "new": null}, {"field": "size", "old": 1, "new": 2}])
        );
        let added = lines.iter().find(|l| l["change"] == "added").unwrap();
        assert_eq!(added["record"], json!({"id": "d", "size": 4}));
        assert_eq!(added["account_name"], "prod");
        assert_eq!(lines.iter().find(|l| l["change"] == "removed").unwrap()["key"], json!({"id": "b"}));
    }

    #[test]
    fn without_a_key_a_record_is_its_content_in_any_key_order() {
        let (counts, lines) =
            diff(&[], vec![json!({"a": 1, "b": 2}), json!({"a": 3})], vec![json!({"b": 2, "a": 1}), json!({"a": 4})]);
        assert_eq!((counts.added, counts.removed, counts.changed, counts.unchanged), (1, 1, 0, 1));
        assert!(lines.iter().all(|l| l.get("key").is_none() && l["record"].is_object()), "{lines:?}");
    }

    #[test]
    fn duplicate_identities_are_a_multiset_not_a_crash_nor_a_double_count() {
        // Keyless: the same record twice, then three times.
        let r = json!({"a": 1});
        let (counts, _) = diff(&[], vec![r.clone(), r.clone()], vec![r.clone(), r.clone(), r.clone()]);
        assert_eq!((counts.added, counts.removed, counts.changed, counts.unchanged), (1, 0, 0, 2));
        // Keyed: two records with key "x" before, two after, one the same.
        let (counts, lines) = diff(
            &["id"],
            vec![json!({"id": "x", "v": 1}), json!({"id": "x", "v": 2}), json!({"id": "y"})],
            vec![json!({"id": "x", "v": 2}), json!({"id": "x", "v": 3}), json!({"id": "x", "v": 3})],
        );
        assert_eq!((counts.added, counts.removed, counts.changed, counts.unchanged), (1, 1, 1, 1), "{lines:?}");
        let changed = lines.iter().find(|l| l["change"] == "changed").unwrap();
        assert_eq!(changed["fields"], json!([{"field": "v", "old": 1, "new": 3}]));
        // The same multiset in another order: nothing changed.
        let many = vec![json!({"id": "x", "v": 1}), json!({"id": "x", "v": 2}), json!({"id": "x", "v": 1})];
        let mut shuffled = many.clone();
        shuffled.reverse();
        let (counts, lines) = diff(&["id"], many, shuffled);
        assert!(!counts.any() && counts.unchanged == 3 && lines.is_empty(), "{counts:?} {lines:?}");
    }

    #[test]
    fn records_that_are_not_objects_still_compare() {
        let (counts, lines) = diff(&["id"], vec![json!([1]), json!("s")], vec![json!([2]), json!("s")]);
        assert_eq!((counts.changed, counts.unchanged), (1, 1), "{lines:?}");
        assert_eq!(lines[0]["fields"], json!([{"field": "", "old": [1], "new": [2]}]));
    }

    fn state(status: &str) -> TargetState {
        TargetState { account_name: "n".into(), status: status.into(), error: None }
    }

    #[test]
    fn only_targets_that_succeeded_twice_are_compared_the_rest_are_listed() {
        let place = |a: &str| (a.to_owned(), "r".to_owned());
        let old: BTreeMap<Place, TargetState> = [
            (place("1"), state("succeeded")),
            (place("2"), state("succeeded")),
            (place("3"), state("skipped")),
            (place("4"), state("failed")),
        ]
        .into();
        let new: BTreeMap<Place, TargetState> = [
            (place("1"), state("succeeded")),
            (place("2"), state("failed")),
            (place("3"), state("skipped")),
            (place("5"), state("succeeded")),
        ]
        .into();
        let mut lines = Lines::default();
        let mut counts = Counts::default();
        let compared = compare_targets(&plan_with(&["id"]), &old, &new, &mut lines, &mut counts).unwrap();
        assert_eq!(compared, [place("1")].into());
        let kinds: Vec<(&str, &str)> =
            lines.0.iter().map(|l| (l["account_id"].as_str().unwrap(), l["change"].as_str().unwrap())).collect();
        assert_eq!(kinds, [("2", "status_changed"), ("3", "not_compared"), ("4", "vanished"), ("5", "appeared")]);
        assert_eq!(lines.0[0]["old_status"], "succeeded");
        assert_eq!(lines.0[0]["new_status"], "failed");
        assert_eq!(lines.0[3]["old_status"], Value::Null);
        assert_eq!(
            (counts.targets_compared, counts.targets_not_compared, counts.targets_appeared, counts.targets_vanished),
            (1, 4, 1, 1)
        );
        assert_eq!(counts.targets_status_changed, 1);
        assert!(counts.any());
    }

    fn run(id: &str, minute: u8, state: &str, set: &str) -> StoredRun {
        StoredRun {
            run_id: id.into(),
            started_at: Some(time::macros::datetime!(2026-12-06 04:00 UTC) + time::Duration::minutes(minute.into())),
            state: state.into(),
            plugin_set: set.into(),
            plugins: set.split(',').map(|n| PluginKey { name: n.into(), key: vec![] }).collect(),
        }
    }

    #[test]
    fn runs_are_picked_by_id_prefix_or_as_the_last_two_complete_of_one_plugin_set() {
        let runs = vec![
            run("0193aaaa-0001", 0, "complete", "ebs"),
            run("0193aaaa-0002", 1, "complete", "iam"),
            run("0193bbbb-0003", 2, "cancelled", "ebs"),
            run("0193bbbb-0004", 3, "complete", "ebs"),
            run("r1", 4, "running", "ebs"),
        ];
        let ids = |(a, b): (&StoredRun, &StoredRun)| (a.run_id.clone(), b.run_id.clone());
        let pick = |a, b| pick_runs(&runs, a, b, "db").map(ids);
        assert_eq!(pick(None, None).unwrap(), ("0193aaaa-0001".into(), "0193bbbb-0004".into()));
        assert_eq!(pick(Some("0193aaaa-0001"), None).unwrap(), ("0193aaaa-0001".into(), "0193bbbb-0004".into()));
        assert_eq!(pick(Some("0193bbbb-0003"), Some("r1")).unwrap(), ("0193bbbb-0003".into(), "r1".into()));
        assert_eq!(pick(Some("0193bbbb-0004"), Some("0193bbbb-0004")).unwrap().0, "0193bbbb-0004");
        let e = pick(Some("0193aaaa"), None).unwrap_err().to_string();
        assert!(e.contains("ambiguous") && e.contains("0193aaaa-0001") && e.contains("0193aaaa-0002"), "{e}");
        let e = pick(Some("0193"), None).unwrap_err().to_string();
        assert!(e.contains("at least 8"), "{e}");
        let e = pick(Some("0193cccc"), None).unwrap_err().to_string();
        assert!(e.contains("no run \"0193cccc\""), "{e}");
        let e = pick(Some("0193bbbb-0004"), None).unwrap_err().to_string();
        assert!(e.contains("no complete run of ebs newer"), "{e}");
        let e = pick_runs(&runs[1..2], None, None, "db").unwrap_err().to_string();
        assert!(e.contains("no complete run of iam before"), "{e}");
        let e = pick_runs(&runs[4..], None, None, "db").unwrap_err().to_string();
        assert!(e.contains("no complete run to compare"), "{e}");
    }

    #[test]
    fn plugins_in_one_run_only_are_listed_not_compared() {
        let key = |n: &str| PluginKey { name: n.into(), key: vec![] };
        let plans = plan(&[key("ebs"), key("iam")], &[key("quotas"), key("ebs")]);
        let shown: Vec<(&str, Option<&str>)> = plans.iter().map(|p| (p.plugin.as_str(), p.only_in)).collect();
        assert_eq!(shown, [("quotas", Some("new")), ("ebs", None), ("iam", Some("old"))]);
    }
}
