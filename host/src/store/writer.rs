//! Writing a run into a database, the same way for SQLite and PostgreSQL:
//! the schema migrated when the database is opened, runs left `running`
//! by a process that died marked `failed`, one run (or shard) begun,
//! whole targets written per transaction with their records in the
//! plugin's table, and the run finished, with retention in the same
//! transaction.
//!
//! A [`Db`] is the little each database must do itself; everything else
//! is here once.

use std::collections::HashMap;

use serde_json::Value;
use serde_json::value::RawValue;
use time::OffsetDateTime;

use super::schema::{self, ColumnType, Dialect, SqlValue, column_name, param, quote, table_name, text};
use super::{RunMeta, RunState, StoreError, StoredPlugin};
use crate::report::TargetResult;

/// A runs left `running` without a heartbeat this long (or whose process
/// on this host is gone) died: it is marked `failed` when the database is
/// next opened.
pub const STALE_AFTER_SECONDS: i64 = 120;

/// What a database connection does for the writer.
pub trait Db {
    /// Which SQL it speaks.
    fn dialect(&self) -> Dialect;
    /// Starts a transaction that will write (SQLite: `BEGIN IMMEDIATE`, so
    /// a writer never finds its snapshot stale halfway through).
    fn begin(&mut self) -> Result<(), StoreError>;
    /// Inside a transaction: waits until no other writer changes trawl's
    /// tables' shape (creating a plugin's table, adding a column) until
    /// this transaction ends. Shards of one run start together.
    fn lock_schema(&mut self) -> Result<(), StoreError>;
    /// Runs statements without parameters.
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;
    /// Runs one statement; returns the rows it changed.
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, StoreError>;
    /// Runs a query whose rows are few and small.
    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>, StoreError>;
    /// The columns of `table` and their types, None when it does not exist.
    fn columns(&mut self, table: &str) -> Result<Option<Vec<(String, ColumnType)>>, StoreError>;
    /// Inserts `rows` (values in `columns` order, of `types`) into `table`.
    fn insert(
        &mut self,
        table: &str,
        columns: &[String],
        types: &[ColumnType],
        rows: &[Vec<SqlValue>],
    ) -> Result<(), StoreError>;
}

/// `trawl_targets`' columns and their types, for bulk inserts.
fn target_table() -> (Vec<String>, Vec<ColumnType>) {
    use ColumnType::{Integer, Json, Text, Timestamp};
    let columns = [
        ("run_id", Text),
        ("shard", Integer),
        ("plugin", Text),
        ("account_id", Text),
        ("account_name", Text),
        ("region", Text),
        ("status", Text),
        ("error_code", Text),
        ("error_message", Text),
        ("totals", Json),
        ("records", Integer),
        ("elapsed_ms", Integer),
        ("finished_at", Timestamp),
    ];
    (columns.iter().map(|(c, _)| (*c).to_owned()).collect(), columns.iter().map(|(_, t)| *t).collect())
}

/// A statement's placeholders, `$1, $2, ...` or `?1, ?2, ...`.
fn params(dialect: Dialect, n: usize) -> String {
    (1..=n).map(|i| param(dialect, i)).collect::<Vec<_>>().join(", ")
}

fn now() -> SqlValue {
    SqlValue::Timestamp(OffsetDateTime::now_utc())
}

/// The columns of a plugin table this writer knows, with their types.
#[derive(Debug, Default)]
struct TableShape {
    columns: Vec<(String, ColumnType)>,
    /// Columns already warned about (a type change), warned once.
    warned: Vec<String>,
}

/// A database migrated and swept, before its run is known.
pub struct Opened<D: Db> {
    db: D,
    shown: String,
}

impl<D: Db> Opened<D> {
    /// Migrates `db` to this host's schema and marks dead runs `failed`.
    /// `shown` names the database in messages (no password).
    pub fn open(mut db: D, shown: &str) -> Result<Self, StoreError> {
        migrate(&mut db, shown)?;
        sweep_dead_runs(&mut db)?;
        Ok(Self { db, shown: shown.to_owned() })
    }

    /// Records `run` (shared by its shards) and this shard as running.
    pub fn begin(self, run: RunMeta) -> Result<Writer<D>, StoreError> {
        let mut writer = Writer { db: self.db, shown: self.shown, run, shapes: HashMap::new() };
        writer.begin()?;
        Ok(writer)
    }
}

/// A run (or one shard of it) being written.
pub struct Writer<D: Db> {
    db: D,
    shown: String,
    run: RunMeta,
    shapes: HashMap<String, TableShape>,
}

impl<D: Db> Writer<D> {
    /// Says this shard is alive (see [`STALE_AFTER_SECONDS`]).
    pub fn heartbeat(&mut self) -> Result<(), StoreError> {
        let d = self.db.dialect();
        self.db
            .execute(
                &format!(
                    "UPDATE trawl_run_shards SET heartbeat_at = {} WHERE run_id = {} AND shard = {}",
                    param(d, 1),
                    param(d, 2),
                    param(d, 3)
                ),
                &[now(), text(&self.run.run_id), SqlValue::Integer(i64::from(self.run.shard.0))],
            )
            .map(|_| ())
    }

    fn begin(&mut self) -> Result<(), StoreError> {
        let d = self.db.dialect();
        let run = self.run.clone();
        let plugins = serde_json::to_string(&run.plugins).map_err(|e| StoreError::new(&self.shown, e))?;
        self.db.begin()?;
        // Shards of one run begin at once: the first one's row stands, the
        // others check that it describes the same run.
        self.db.execute(
            &format!(
                "INSERT INTO trawl_runs (run_id, started_at, state, backend, endpoint, plugins, plugin_set, shard_count) \
                 VALUES ({}) ON CONFLICT (run_id) DO NOTHING",
                params(d, 8)
            ),
            &[
                text(&run.run_id),
                SqlValue::Timestamp(run.started_at),
                text("running"),
                text(&run.backend),
                run.endpoint.as_deref().map_or(SqlValue::Null, text),
                SqlValue::Json(plugins),
                text(&run.plugin_set()),
                SqlValue::Integer(i64::from(run.shard.1)),
            ],
        )?;
        let existing = self.db.query(
            &format!("SELECT plugin_set, shard_count FROM trawl_runs WHERE run_id = {}", param(d, 1)),
            &[text(&run.run_id)],
        )?;
        let same = existing.first().is_some_and(|row| {
            row.first() == Some(&text(&run.plugin_set()))
                && row.get(1) == Some(&SqlValue::Integer(i64::from(run.shard.1)))
        });
        if !same {
            self.db.batch("ROLLBACK")?;
            return Err(StoreError::new(
                &self.shown,
                format_args!("run id {} already holds a run of other plugins or another shard count", run.run_id),
            ));
        }
        let shard = i64::from(run.shard.0);
        let earlier = self.db.query(
            &format!("SELECT state FROM trawl_run_shards WHERE run_id = {} AND shard = {}", param(d, 1), param(d, 2)),
            &[text(&run.run_id), SqlValue::Integer(shard)],
        )?;
        if let Some(state) = earlier.first() {
            if state.first() == Some(&text("complete")) {
                self.db.batch("ROLLBACK")?;
                return Err(StoreError::new(
                    &self.shown,
                    format_args!("shard {}/{} of run {} is already complete", run.shard.0, run.shard.1, run.run_id),
                ));
            }
            // A shard run again (a retried job): what it wrote before goes.
            self.forget_shard(shard)?;
        }
        self.db.execute(
            &format!(
                "INSERT INTO trawl_run_shards (run_id, shard, state, started_at, heartbeat_at, host, pid) VALUES ({})",
                params(d, 7)
            ),
            &[
                text(&run.run_id),
                SqlValue::Integer(shard),
                text("running"),
                SqlValue::Timestamp(run.started_at),
                now(),
                text(&host_name()),
                SqlValue::Integer(i64::from(std::process::id())),
            ],
        )?;
        self.db.execute(
            &format!("UPDATE trawl_runs SET state = 'running', ended_at = NULL WHERE run_id = {}", param(d, 1)),
            &[text(&run.run_id)],
        )?;
        self.db.batch("COMMIT")
    }

    fn forget_shard(&mut self, shard: i64) -> Result<(), StoreError> {
        let d = self.db.dialect();
        let run_id = self.run.run_id.clone();
        for plugin in self.run.plugins.clone() {
            let table = quote(&table_name(&plugin.name));
            if self.db.columns(&table_name(&plugin.name))?.is_none() {
                continue;
            }
            self.db.execute(
                &format!(
                    "DELETE FROM {table} WHERE run_id = {p1} AND EXISTS (SELECT 1 FROM trawl_targets t WHERE t.run_id = {p1} \
                     AND t.shard = {p2} AND t.plugin = {p3} AND t.account_id = {table}.account_id AND t.region = {table}.region)",
                    p1 = param(d, 1),
                    p2 = param(d, 2),
                    p3 = param(d, 3)
                ),
                &[text(&run_id), SqlValue::Integer(shard), text(&plugin.name)],
            )?;
        }
        self.db.execute(
            &format!("DELETE FROM trawl_targets WHERE run_id = {} AND shard = {}", param(d, 1), param(d, 2)),
            &[text(&run_id), SqlValue::Integer(shard)],
        )?;
        self.db.execute(
            &format!("DELETE FROM trawl_run_shards WHERE run_id = {} AND shard = {}", param(d, 1), param(d, 2)),
            &[text(&run_id), SqlValue::Integer(shard)],
        )?;
        Ok(())
    }

    /// Writes whole targets in one transaction: each target's row, its
    /// records in its plugin's table, and the shard's heartbeat.
    pub fn write(&mut self, batch: &[(usize, TargetResult)]) -> Result<(), StoreError> {
        self.db.begin()?;
        match self.write_in_transaction(batch) {
            Ok(()) => self.db.batch("COMMIT"),
            Err(e) => {
                let _ = self.db.batch("ROLLBACK");
                Err(e)
            }
        }
    }

    fn write_in_transaction(&mut self, batch: &[(usize, TargetResult)]) -> Result<(), StoreError> {
        let collected_at = OffsetDateTime::now_utc();
        // One bulk insert per table for the whole batch: a round trip (a
        // `COPY` in PostgreSQL) per table, not per target.
        let mut target_rows = Vec::with_capacity(batch.len());
        for (plugin, result) in batch {
            let error = result.error.as_ref();
            let totals: serde_json::Map<String, Value> =
                result.totals.iter().map(|(k, v)| (k.clone(), Value::from(*v))).collect();
            target_rows.push(vec![
                text(&self.run.run_id),
                SqlValue::Integer(i64::from(self.run.shard.0)),
                text(&self.run.plugins[*plugin].name),
                text(&result.target.account_id),
                text(&result.target.account_name),
                text(&result.target.region),
                text(result.status.as_str()),
                error.map_or(SqlValue::Null, |e| text(&e.code)),
                error.map_or(SqlValue::Null, |e| text(&e.message)),
                SqlValue::Json(Value::Object(totals).to_string()),
                SqlValue::Integer(result.record_count as i64),
                SqlValue::Integer(result.elapsed.as_millis() as i64),
                SqlValue::Timestamp(collected_at),
            ]);
        }
        let (target_columns, target_types) = target_table();
        self.db.insert("trawl_targets", &target_columns, &target_types, &target_rows)?;
        for plugin in 0..self.run.plugins.len() {
            let results: Vec<&TargetResult> =
                batch.iter().filter(|(p, r)| *p == plugin && !r.records.is_empty()).map(|(_, r)| r).collect();
            if !results.is_empty() {
                self.write_records(plugin, &results, collected_at)?;
            }
        }
        // Writing is a sign of life.
        self.heartbeat()
    }

    /// The records of `results` (all of plugin `plugin`) into its table.
    fn write_records(
        &mut self,
        plugin: usize,
        results: &[&TargetResult],
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let plugin = self.run.plugins[plugin].clone();
        // Each record's top-level fields, borrowed from its text: only the
        // declared columns' values are read further.
        let mut parsed: Vec<(&TargetResult, HashMap<String, &RawValue>, &RawValue)> = Vec::new();
        for result in results {
            for raw in &result.records {
                // Owned names: a name with an escape cannot be borrowed.
                let fields: HashMap<String, &RawValue> =
                    serde_json::from_str(raw.get()).map_err(|e| StoreError::new(&self.shown, e))?;
                parsed.push((result, fields, raw));
            }
        }
        let values: Vec<Vec<Option<Value>>> = parsed
            .iter()
            .map(|(_, fields, _)| {
                plugin.columns.iter().map(|c| fields.get(c).and_then(|v| serde_json::from_str(v.get()).ok())).collect()
            })
            .collect();
        let shape = self.shape_for(&plugin, &values)?;
        let table = table_name(&plugin.name);
        let mut columns: Vec<String> =
            ["run_id", "account_id", "account_name", "region", "collected_at"].map(String::from).to_vec();
        let mut types =
            vec![ColumnType::Text, ColumnType::Text, ColumnType::Text, ColumnType::Text, ColumnType::Timestamp];
        for (field, ty) in &shape {
            columns.push(column_name(field));
            types.push(*ty);
        }
        columns.push("record".into());
        types.push(ColumnType::Json);
        let rows: Vec<Vec<SqlValue>> = parsed
            .iter()
            .zip(values)
            .map(|((result, _, raw), values)| {
                let target = &result.target;
                let mut row = vec![
                    text(&self.run.run_id),
                    text(&target.account_id),
                    text(&target.account_name),
                    text(&target.region),
                    SqlValue::Timestamp(at),
                ];
                row.extend(shape.iter().zip(&values).map(|((_, ty), value)| SqlValue::for_column(value.as_ref(), *ty)));
                row.push(SqlValue::Json(raw.get().to_owned()));
                row
            })
            .collect();
        self.db.insert(&table, &columns, &types, &rows)
    }

    /// The declared columns of `plugin`'s table and their types, making
    /// the table, adding new columns, and widening a column to text when
    /// its values change type (with one warning naming it).
    fn shape_for(
        &mut self,
        plugin: &StoredPlugin,
        values: &[Vec<Option<Value>>],
    ) -> Result<Vec<(String, ColumnType)>, StoreError> {
        let d = self.db.dialect();
        let table = table_name(&plugin.name);
        // The type the batch's values of declared column `i` need.
        let seen_type = |i: usize| {
            values.iter().filter_map(|row| row[i].as_ref().and_then(ColumnType::of)).reduce(ColumnType::widen)
        };
        // Any change to the table's shape is made holding the schema lock,
        // on a fresh look at the table (another shard may have made it).
        let cached_ok = self.shapes.get(&table).is_some_and(|shape| {
            plugin.columns.iter().enumerate().all(|(i, field)| {
                let column = column_name(field);
                shape.columns.iter().any(|(c, t)| *c == column && seen_type(i).is_none_or(|seen| t.holds(seen)))
            })
        });
        if !cached_ok {
            self.db.lock_schema()?;
            let warned = self.shapes.remove(&table).map(|s| s.warned).unwrap_or_default();
            if let Some(columns) = self.db.columns(&table)? {
                self.shapes.insert(table.clone(), TableShape { columns, warned });
            }
        }
        if !self.shapes.contains_key(&table) {
            if self.db.columns(&table)?.is_none() {
                // Declared columns typed from this first batch's records.
                let columns: Vec<(String, ColumnType)> = plugin
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (column_name(f), seen_type(i).unwrap_or(ColumnType::Text)))
                    .collect();
                self.db.batch(&schema::create_plugin_table(d, &table, &columns))?;
            }
            let existing = self.db.columns(&table)?.unwrap_or_default();
            self.shapes.insert(table.clone(), TableShape { columns: existing, warned: Vec::new() });
        }
        let mut shape = Vec::with_capacity(plugin.columns.len());
        for (i, field) in plugin.columns.iter().enumerate() {
            let column = column_name(field);
            let seen = seen_type(i);
            let known = self.shapes[&table].columns.iter().find(|(c, _)| *c == column).map(|(_, t)| *t);
            let ty = match (known, seen) {
                (None, seen) => {
                    let ty = seen.unwrap_or(ColumnType::Text);
                    self.db.batch(&format!(
                        "ALTER TABLE {} ADD COLUMN {} {}",
                        quote(&table),
                        quote(&column),
                        ty.sql(d)
                    ))?;
                    self.shapes.get_mut(&table).expect("known").columns.push((column.clone(), ty));
                    ty
                }
                (Some(known), Some(seen)) if !known.holds(seen) => self.widen_to_text(&table, &column, known, seen)?,
                (Some(known), _) => known,
            };
            shape.push((field.clone(), ty));
        }
        Ok(shape)
    }

    fn widen_to_text(
        &mut self,
        table: &str,
        column: &str,
        was: ColumnType,
        now: ColumnType,
    ) -> Result<ColumnType, StoreError> {
        let shape = self.shapes.get_mut(table).expect("known");
        if !shape.warned.iter().any(|c| c == column) {
            tracing::warn!(
                "{}: column {table}.{column} was {was:?} and now holds {now:?} values; it is stored as text from here on",
                self.shown
            );
            shape.warned.push(column.to_owned());
        }
        if self.db.dialect() == Dialect::Postgres {
            self.db.batch(&format!(
                "ALTER TABLE {t} ALTER COLUMN {c} TYPE TEXT USING {c}::TEXT",
                t = quote(table),
                c = quote(column)
            ))?;
        }
        // SQLite keeps whatever type each value has; text goes in as text.
        let entry = shape.columns.iter_mut().find(|(c, _)| c == column).expect("known column");
        entry.1 = ColumnType::Text;
        Ok(ColumnType::Text)
    }

    /// Ends this shard in `state` with its verdict and summary; when every
    /// shard has reported, the run is complete, and `keep` runs of the
    /// same plugins are kept (older ones deleted) in the same transaction.
    /// Returns the run's state.
    pub fn finish(
        &mut self,
        state: RunState,
        verdict: &str,
        summary: &Value,
        keep: Option<usize>,
    ) -> Result<RunState, StoreError> {
        let d = self.db.dialect();
        let run_id = self.run.run_id.clone();
        let shard = SqlValue::Integer(i64::from(self.run.shard.0));
        self.db.begin()?;
        self.db.execute(
            &format!(
                "UPDATE trawl_run_shards SET state = {}, ended_at = {}, verdict = {}, summary = {} WHERE run_id = {} AND shard = {}",
                param(d, 1),
                param(d, 2),
                param(d, 3),
                param(d, 4),
                param(d, 5),
                param(d, 6)
            ),
            &[text(state.as_str()), now(), text(verdict), SqlValue::Json(summary.to_string()), text(&run_id), shard],
        )?;
        let done = self.db.query(
            &format!("SELECT COUNT(*) FROM trawl_run_shards WHERE run_id = {} AND state = 'complete'", param(d, 1)),
            &[text(&run_id)],
        )?;
        let complete = matches!(done.first().and_then(|r| r.first()), Some(SqlValue::Integer(n)) if *n == i64::from(self.run.shard.1));
        let run_state = match state {
            RunState::Complete if complete => RunState::Complete,
            RunState::Complete => RunState::Running,
            other => other,
        };
        // A sharded run's verdict and summary are its shards'; one shard's
        // alone stand for an unsharded run.
        let (verdict, summary) = if self.run.shard.1 == 1 {
            (text(verdict), SqlValue::Json(summary.to_string()))
        } else {
            (SqlValue::Null, SqlValue::Null)
        };
        self.db.execute(
            &format!(
                "UPDATE trawl_runs SET state = {}, ended_at = {}, verdict = {}, summary = {} WHERE run_id = {}",
                param(d, 1),
                param(d, 2),
                param(d, 3),
                param(d, 4),
                param(d, 5)
            ),
            &[
                text(run_state.as_str()),
                if run_state == RunState::Running { SqlValue::Null } else { now() },
                verdict,
                summary,
                text(&run_id),
            ],
        )?;
        if run_state == RunState::Complete
            && let Some(keep) = keep
        {
            self.retain(keep)?;
        }
        self.db.batch("COMMIT")?;
        Ok(run_state)
    }

    /// Deletes the runs of this plugin set beyond the newest `keep`
    /// complete ones (and what they wrote).
    fn retain(&mut self, keep: usize) -> Result<(), StoreError> {
        let d = self.db.dialect();
        let old = self.db.query(
            &format!(
                "SELECT run_id FROM trawl_runs WHERE plugin_set = {} AND state = 'complete' ORDER BY started_at DESC, run_id DESC",
                param(d, 1)
            ),
            &[text(&self.run.plugin_set())],
        )?;
        for row in old.into_iter().skip(keep) {
            let Some(SqlValue::Text(run_id)) = row.into_iter().next() else { continue };
            for plugin in self.run.plugins.clone() {
                let table = table_name(&plugin.name);
                if self.db.columns(&table)?.is_some() {
                    self.db.execute(
                        &format!("DELETE FROM {} WHERE run_id = {}", quote(&table), param(d, 1)),
                        &[text(&run_id)],
                    )?;
                }
            }
            for trawl_table in ["trawl_targets", "trawl_run_shards", "trawl_runs"] {
                self.db
                    .execute(&format!("DELETE FROM {trawl_table} WHERE run_id = {}", param(d, 1)), &[text(&run_id)])?;
            }
        }
        Ok(())
    }
}

/// Brings `db` to [`schema::SCHEMA_VERSION`], refusing a newer one, in
/// one transaction holding the schema lock, so processes opening a new
/// database at once migrate it once.
fn migrate<D: Db>(db: &mut D, shown: &str) -> Result<(), StoreError> {
    db.begin()?;
    match migrate_in_transaction(db, shown) {
        Ok(()) => db.batch("COMMIT"),
        Err(e) => {
            let _ = db.batch("ROLLBACK");
            Err(e)
        }
    }
}

fn migrate_in_transaction<D: Db>(db: &mut D, shown: &str) -> Result<(), StoreError> {
    db.lock_schema()?;
    if db.columns("trawl_schema")?.is_none() {
        db.batch("CREATE TABLE trawl_schema (version BIGINT NOT NULL); INSERT INTO trawl_schema (version) VALUES (0)")?;
    }
    let version = match db.query("SELECT version FROM trawl_schema", &[])?.first().and_then(|r| r.first()) {
        Some(SqlValue::Integer(v)) => *v,
        _ => 0,
    };
    if version > schema::SCHEMA_VERSION {
        return Err(StoreError::new(
            shown,
            format_args!(
                "its trawl schema is version {version}, newer than this host's {}: upgrade trawl to write here",
                schema::SCHEMA_VERSION
            ),
        ));
    }
    let dialect = db.dialect();
    for (from, migration) in schema::migrations(dialect).iter().enumerate().skip(version as usize) {
        db.batch(migration)?;
        db.execute(
            &format!("UPDATE trawl_schema SET version = {}", param(dialect, 1)),
            &[SqlValue::Integer(from as i64 + 1)],
        )?;
    }
    Ok(())
}

/// Marks `failed` the shards (and their runs) left `running` by a process
/// that is gone: on this host, a process id that no longer runs; anywhere,
/// no heartbeat for [`STALE_AFTER_SECONDS`].
fn sweep_dead_runs<D: Db>(db: &mut D) -> Result<(), StoreError> {
    let d = db.dialect();
    let rows =
        db.query("SELECT run_id, shard, host, pid, heartbeat_at FROM trawl_run_shards WHERE state = 'running'", &[])?;
    let here = host_name();
    let now = OffsetDateTime::now_utc();
    for row in rows {
        let [SqlValue::Text(run_id), SqlValue::Integer(shard), SqlValue::Text(host), SqlValue::Integer(pid), beat] =
            &row[..]
        else {
            continue;
        };
        let beat = beat.as_timestamp();
        let stale = beat.is_none_or(|t| (now - t).whole_seconds() > STALE_AFTER_SECONDS);
        let gone = *host == here && !process_alive(*pid);
        if !(stale || gone) {
            continue;
        }
        tracing::warn!(run = %run_id, shard, "a run left running by a process that is gone is marked failed");
        db.execute(
            &format!(
                "UPDATE trawl_run_shards SET state = 'failed', ended_at = {} WHERE run_id = {} AND shard = {}",
                param(d, 1),
                param(d, 2),
                param(d, 3)
            ),
            &[SqlValue::Timestamp(now), text(run_id), SqlValue::Integer(*shard)],
        )?;
        db.execute(
            &format!(
                "UPDATE trawl_runs SET state = 'failed', ended_at = {} WHERE run_id = {} AND state = 'running'",
                param(d, 1),
                param(d, 2)
            ),
            &[SqlValue::Timestamp(now), text(run_id)],
        )?;
    }
    Ok(())
}

/// This machine's name, to tell its own dead processes from others'.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Whether process `pid` runs on this machine (Linux: its /proc entry).
fn process_alive(pid: i64) -> bool {
    pid == i64::from(std::process::id()) || std::path::Path::new(&format!("/proc/{pid}")).exists()
}

impl RunMeta {
    /// The plugins' names, sorted: runs of the same set are compared and
    /// retained together.
    pub fn plugin_set(&self) -> String {
        let mut names: Vec<&str> = self.plugins.iter().map(|p| p.name.as_str()).collect();
        names.sort_unstable();
        names.join(",")
    }
}
