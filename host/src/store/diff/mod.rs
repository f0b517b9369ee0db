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
use std::io;

use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::StoreError;

mod identity;
mod saved;
mod stored;
#[cfg(test)]
mod tests;

pub use identity::{canonical, field_changes, identity};
pub use saved::compare_saved;
pub use stored::{SincePrevious, compare_stored, since_previous};

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
        Some(t) => s.serialize_str(&t.to_offset(time::UtcOffset::UTC).format(&Rfc3339).unwrap_or_default()),
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
