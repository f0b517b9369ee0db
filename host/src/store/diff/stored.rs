//! Comparing two runs stored in SQLite or PostgreSQL, read as streams in
//! (account, region) order.

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::path::Path;

use serde_json::Value;
use time::OffsetDateTime;

use super::{
    Changes, Comparison, CountsOnly, DiffError, EachTarget, Outcome, Place, PluginKey, RecordSource, RunSide,
    TargetState, names, plan, run_comparison,
};
use crate::store::postgres::Postgres;
use crate::store::schema::{self, Dialect, SqlValue, param, quote, table_name, text};
use crate::store::sqlite::Sqlite;
use crate::store::writer::Db;
use crate::store::{StoreError, StoreUrl};

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

/// Every run the database holds, oldest first.
fn stored_runs(db: &mut dyn Reader, shown: &str) -> Result<Vec<StoredRun>, DiffError> {
    let rows = db.query("SELECT run_id, started_at, state, plugin_set, plugins FROM trawl_runs", &[])?;
    let mut runs = Vec::with_capacity(rows.len());
    for row in rows {
        let [SqlValue::Text(run_id), started, SqlValue::Text(state), SqlValue::Text(plugin_set), plugins] = &row[..]
        else {
            continue;
        };
        let started_at = started.as_timestamp();
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
    use super::*;

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
}
