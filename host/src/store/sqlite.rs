//! SQLite through rusqlite and its bundled library: a file that works on
//! a fresh machine, in WAL mode so readers (the `sqlite3` shell, `host
//! diff`) never wait for the run's writer.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value as Lite, ValueRef};
use rusqlite::{Connection, ToSql};

use super::StoreError;
use super::schema::{ColumnType, Dialect, SqlValue, quote, timestamp_text};
use super::writer::Db;

/// An open SQLite database.
pub struct Sqlite {
    conn: Connection,
    shown: String,
}

impl Sqlite {
    /// Opens (creating) the file at `path`.
    pub fn open(path: &Path, shown: &str) -> Result<Self, StoreError> {
        let fail = |e: rusqlite::Error| StoreError::new(shown, e);
        let conn = Connection::open(path).map_err(fail)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(fail)?;
        // WAL: the run's writer never blocks a reader; NORMAL: a commit is
        // durable against a crash of trawl (not of the machine) without an
        // fsync each, which is what a per-target transaction can afford.
        // A larger WAL: a run writes much at once, and a checkpoint every
        // 1,000 pages (the default) would copy it twice.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA wal_autocheckpoint = 16384;",
        )
        .map_err(|e| StoreError::new(shown, e))?;
        Ok(Self { conn, shown: shown.to_owned() })
    }

    fn fail(&self, e: rusqlite::Error) -> StoreError {
        StoreError::new(&self.shown, e)
    }

    /// Runs a query and hands each row to `each` as SQLite steps to it, so
    /// a result of any size is read in bounded memory (`host diff`).
    pub fn query_each<E: From<StoreError>>(
        &mut self,
        sql: &str,
        params: &[SqlValue],
        mut each: impl FnMut(Vec<SqlValue>) -> Result<(), E>,
    ) -> Result<(), E> {
        let params: Vec<&dyn ToSql> = params.iter().map(|p| p as &dyn ToSql).collect();
        let mut statement = self.conn.prepare(sql).map_err(|e| self.fail(e))?;
        let width = statement.column_count();
        let mut rows = statement.query(&params[..]).map_err(|e| StoreError::new(&self.shown, e))?;
        while let Some(row) = rows.next().map_err(|e| StoreError::new(&self.shown, e))? {
            let values = (0..width)
                .map(|i| row.get_ref(i).map(read))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| StoreError::new(&self.shown, e))?;
            each(values)?;
        }
        Ok(())
    }
}

impl ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            SqlValue::Null => ToSqlOutput::Owned(Lite::Null),
            SqlValue::Integer(n) => ToSqlOutput::Owned(Lite::Integer(*n)),
            SqlValue::Real(n) => ToSqlOutput::Owned(Lite::Real(*n)),
            SqlValue::Boolean(b) => ToSqlOutput::Owned(Lite::Integer(i64::from(*b))),
            SqlValue::Timestamp(t) => ToSqlOutput::Owned(Lite::Text(timestamp_text(*t))),
            SqlValue::Json(s) | SqlValue::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn read(value: ValueRef<'_>) -> SqlValue {
    match value {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Integer(n) => SqlValue::Integer(n),
        ValueRef::Real(n) => SqlValue::Real(n),
        // Text stays text, even when it looks like a date: SQLite keeps no
        // column types to say otherwise, and callers parse what they need.
        ValueRef::Text(t) | ValueRef::Blob(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
    }
}

impl Db for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn begin(&mut self) -> Result<(), StoreError> {
        self.batch("BEGIN IMMEDIATE")
    }

    /// `BEGIN IMMEDIATE` already holds the database's one write lock.
    fn lock_schema(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.conn.execute_batch(sql).map_err(|e| self.fail(e))
    }

    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, StoreError> {
        let params: Vec<&dyn ToSql> = params.iter().map(|p| p as &dyn ToSql).collect();
        let mut statement = self.conn.prepare_cached(sql).map_err(|e| StoreError::new(&self.shown, e))?;
        statement.execute(&params[..]).map(|n| n as u64).map_err(|e| StoreError::new(&self.shown, e))
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>, StoreError> {
        let params: Vec<&dyn ToSql> = params.iter().map(|p| p as &dyn ToSql).collect();
        let mut statement = self.conn.prepare_cached(sql).map_err(|e| StoreError::new(&self.shown, e))?;
        let width = statement.column_count();
        let rows = statement
            .query_map(&params[..], |row| (0..width).map(|i| row.get_ref(i).map(read)).collect())
            .map_err(|e| StoreError::new(&self.shown, e))?;
        rows.collect::<Result<_, _>>().map_err(|e| StoreError::new(&self.shown, e))
    }

    fn columns(&mut self, table: &str) -> Result<Option<Vec<(String, ColumnType)>>, StoreError> {
        let mut statement = self
            .conn
            .prepare(&format!("SELECT name, type FROM pragma_table_info({})", sql_string(table)))
            .map_err(|e| StoreError::new(&self.shown, e))?;
        let columns: Vec<(String, ColumnType)> = statement
            .query_map([], |row| Ok((row.get::<_, String>(0)?, ColumnType::from_sql(&row.get::<_, String>(1)?))))
            .map_err(|e| StoreError::new(&self.shown, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::new(&self.shown, e))?;
        Ok((!columns.is_empty()).then(|| {
            columns.into_iter().filter(|(c, _)| !super::schema::FIXED_COLUMNS.contains(&c.as_str())).collect()
        }))
    }

    fn insert(
        &mut self,
        table: &str,
        columns: &[String],
        _types: &[ColumnType],
        rows: &[Vec<SqlValue>],
    ) -> Result<(), StoreError> {
        let names: Vec<String> = columns.iter().map(|c| quote(c)).collect();
        let slots: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let sql = format!("INSERT INTO {} ({}) VALUES ({})", quote(table), names.join(", "), slots.join(", "));
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| StoreError::new(&self.shown, e))?;
        for row in rows {
            let params: Vec<&dyn ToSql> = row.iter().map(|p| p as &dyn ToSql).collect();
            statement.execute(&params[..]).map_err(|e| StoreError::new(&self.shown, e))?;
        }
        Ok(())
    }
}

/// `s` as an SQL string literal.
fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
