//! trawl's tables in SQLite and PostgreSQL: the DDL, its forward-only
//! migrations, the names and SQL types of plugin tables, and how a JSON
//! value becomes a typed SQL value.
//!
//! Names that come from a plugin (its name, its columns) are always
//! quoted identifiers, sanitised to a safe length; they are never spliced
//! into SQL as anything else, so a plugin whose column is named
//! `x"); DROP TABLE trawl_runs; --` gets a column of that name and nothing
//! more.

use serde_json::Value;
use sha2::{Digest, Sha256};
use time::format_description::BorrowedFormatItem;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// The two databases trawl writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (embedded, `rusqlite` with its bundled library).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The schema version this host writes; `trawl_schema` holds the
/// database's. A newer database is refused, an older one migrated.
pub const SCHEMA_VERSION: i64 = 1;

/// The migration from version `i` to `i + 1` is `migrations(d)[i]`.
pub fn migrations(dialect: Dialect) -> Vec<String> {
    let t = |pg: &'static str, lite: &'static str| if dialect == Dialect::Postgres { pg } else { lite };
    let (time, json, int) = (t("TIMESTAMPTZ", "TEXT"), t("JSONB", "TEXT"), t("BIGINT", "INTEGER"));
    vec![format!(
        "CREATE TABLE trawl_runs (
            run_id TEXT PRIMARY KEY,
            started_at {time} NOT NULL,
            ended_at {time},
            state TEXT NOT NULL,
            backend TEXT NOT NULL,
            endpoint TEXT,
            plugins {json} NOT NULL,
            plugin_set TEXT NOT NULL,
            shard_count {int} NOT NULL,
            verdict TEXT,
            summary {json}
        );
        CREATE INDEX trawl_runs_by_plugin_set ON trawl_runs (plugin_set, started_at);
        CREATE TABLE trawl_run_shards (
            run_id TEXT NOT NULL REFERENCES trawl_runs (run_id) ON DELETE CASCADE,
            shard {int} NOT NULL,
            state TEXT NOT NULL,
            started_at {time} NOT NULL,
            ended_at {time},
            heartbeat_at {time} NOT NULL,
            host TEXT NOT NULL,
            pid {int} NOT NULL,
            verdict TEXT,
            summary {json},
            PRIMARY KEY (run_id, shard)
        );
        CREATE TABLE trawl_targets (
            run_id TEXT NOT NULL REFERENCES trawl_runs (run_id) ON DELETE CASCADE,
            shard {int} NOT NULL,
            plugin TEXT NOT NULL,
            account_id TEXT NOT NULL,
            account_name TEXT NOT NULL,
            region TEXT NOT NULL,
            status TEXT NOT NULL,
            error_code TEXT,
            error_message TEXT,
            totals {json} NOT NULL,
            records {int} NOT NULL,
            elapsed_ms {int} NOT NULL,
            finished_at {time} NOT NULL,
            PRIMARY KEY (run_id, plugin, account_id, region)
        );"
    )]
}

/// `identifier` as a quoted SQL identifier: `"` doubled inside quotes is
/// the one escape both databases define.
pub fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// PostgreSQL cuts identifiers at 63 bytes, silently; longer names are
/// shortened here, keeping them distinct with a hash of the whole.
const MAX_IDENTIFIER: usize = 63;

fn bounded(name: &str) -> String {
    if name.len() <= MAX_IDENTIFIER {
        return name.to_owned();
    }
    let hash = hex::encode(&Sha256::digest(name.as_bytes())[..4]);
    let mut cut = MAX_IDENTIFIER - hash.len() - 1;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{hash}", &name[..cut])
}

/// The table of a plugin's records: its name (plugin names are already
/// `a-z0-9-_`), or `plugin_NAME` for a name that would be trawl's own.
pub fn table_name(plugin: &str) -> String {
    if plugin.starts_with("trawl_") { bounded(&format!("plugin_{plugin}")) } else { bounded(plugin) }
}

/// The columns every plugin table starts with, and `record` at its end.
pub const FIXED_COLUMNS: [&str; 6] = ["run_id", "account_id", "account_name", "region", "collected_at", "record"];

/// The column a declared record field is stored in: its own name, or
/// `value_NAME` where it would collide with a fixed column (the Health
/// collector's `region` is the event's, not the target's).
pub fn column_name(field: &str) -> String {
    if FIXED_COLUMNS.contains(&field) || field.starts_with("value_") && FIXED_COLUMNS.contains(&&field[6..]) {
        bounded(&format!("value_{field}"))
    } else {
        bounded(field)
    }
}

/// The DDL that creates a plugin's table: the fixed columns, the
/// plugin's `columns` (already named with [`column_name`]), `record`.
pub fn create_plugin_table(dialect: Dialect, table: &str, columns: &[(String, ColumnType)]) -> String {
    let (time, json) = match dialect {
        Dialect::Postgres => ("TIMESTAMPTZ", "JSONB"),
        Dialect::Sqlite => ("TEXT", "TEXT"),
    };
    let t = quote(table);
    // A run's rows (the newest run, two runs compared, retention), and a
    // place's rows across runs (an account's history).
    let (by_run, by_place) =
        (quote(&bounded(&format!("{table}_by_run"))), quote(&bounded(&format!("{table}_by_place"))));
    let declared: String = columns.iter().map(|(name, ty)| format!("{} {}, ", quote(name), ty.sql(dialect))).collect();
    format!(
        "CREATE TABLE IF NOT EXISTS {t} (run_id TEXT NOT NULL, account_id TEXT NOT NULL, account_name TEXT NOT NULL, \
         region TEXT NOT NULL, collected_at {time} NOT NULL, {declared}record {json} NOT NULL);
         CREATE INDEX IF NOT EXISTS {by_run} ON {t} (run_id);
         CREATE INDEX IF NOT EXISTS {by_place} ON {t} (account_id, region);"
    )
}

/// The SQL type a declared column gets, from the values it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Whole numbers.
    Integer,
    /// Numbers with a fraction (or whole and fractional mixed).
    Real,
    /// true/false.
    Boolean,
    /// RFC 3339 date-times.
    Timestamp,
    /// Objects and arrays, as JSON.
    Json,
    /// Any text, and anything mixed.
    Text,
}

impl ColumnType {
    /// The type of one value; None for null (it fits any column).
    pub fn of(value: &Value) -> Option<Self> {
        Some(match value {
            Value::Null => return None,
            Value::Bool(_) => Self::Boolean,
            Value::Number(n) if n.is_i64() => Self::Integer,
            Value::Number(_) => Self::Real,
            Value::String(s) if parse_timestamp(s).is_some() => Self::Timestamp,
            Value::String(_) => Self::Text,
            Value::Array(_) | Value::Object(_) => Self::Json,
        })
    }

    /// The type that holds values of both.
    pub fn widen(self, other: Self) -> Self {
        match (self, other) {
            (a, b) if a == b => a,
            (Self::Integer, Self::Real) | (Self::Real, Self::Integer) => Self::Real,
            _ => Self::Text,
        }
    }

    /// Whether a column of this type holds a value of type `other`.
    pub fn holds(self, other: Self) -> bool {
        self == other || self == Self::Text || (self == Self::Real && other == Self::Integer)
    }

    /// The SQL type name in `dialect`.
    pub fn sql(self, dialect: Dialect) -> &'static str {
        match (self, dialect) {
            (Self::Integer, Dialect::Postgres) => "BIGINT",
            (Self::Real, Dialect::Postgres) => "DOUBLE PRECISION",
            (Self::Boolean, Dialect::Postgres) => "BOOLEAN",
            (Self::Timestamp, Dialect::Postgres) => "TIMESTAMPTZ",
            (Self::Json, Dialect::Postgres) => "JSONB",
            (Self::Text, Dialect::Postgres) => "TEXT",
            (Self::Integer, Dialect::Sqlite) => "INTEGER",
            (Self::Real, Dialect::Sqlite) => "REAL",
            (Self::Boolean, Dialect::Sqlite) => "BOOLEAN",
            (Self::Timestamp, Dialect::Sqlite) => "TIMESTAMP",
            (Self::Json, Dialect::Sqlite) => "JSON",
            (Self::Text, Dialect::Sqlite) => "TEXT",
        }
    }

    /// The type a column declared as `sql` has (as read back from the
    /// database's catalogue).
    pub fn from_sql(sql: &str) -> Self {
        match sql.to_ascii_lowercase().as_str() {
            "bigint" | "integer" | "int8" => Self::Integer,
            "double precision" | "real" | "float8" => Self::Real,
            "boolean" | "bool" => Self::Boolean,
            "timestamp with time zone" | "timestamptz" | "timestamp" => Self::Timestamp,
            "jsonb" | "json" => Self::Json,
            _ => Self::Text,
        }
    }
}

/// A value ready for a typed column.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// NULL (a missing field, or JSON null).
    Null,
    /// A whole number.
    Integer(i64),
    /// A number.
    Real(f64),
    /// true/false.
    Boolean(bool),
    /// A date-time.
    Timestamp(OffsetDateTime),
    /// JSON text.
    Json(String),
    /// Text.
    Text(String),
}

/// The `i`th (from 1) parameter placeholder: `$i` or `?i`.
pub fn param(dialect: Dialect, i: usize) -> String {
    match dialect {
        Dialect::Postgres => format!("${i}"),
        Dialect::Sqlite => format!("?{i}"),
    }
}

/// `s` as an SQL text value.
pub fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_owned())
}

impl SqlValue {
    /// This value as a date-time: PostgreSQL's timestamps, and the RFC
    /// 3339 text SQLite holds them as.
    pub fn as_timestamp(&self) -> Option<OffsetDateTime> {
        match self {
            Self::Timestamp(t) => Some(*t),
            Self::Text(t) => parse_timestamp(t),
            _ => None,
        }
    }

    /// `value` for a column of type `column` (a value the column does not
    /// hold as itself is stored as its text).
    pub fn for_column(value: Option<&Value>, column: ColumnType) -> Self {
        let Some(value) = value else { return Self::Null };
        match (column, value) {
            (_, Value::Null) => Self::Null,
            (ColumnType::Integer, Value::Number(n)) if n.is_i64() => Self::Integer(n.as_i64().unwrap_or_default()),
            (ColumnType::Real, Value::Number(n)) => Self::Real(n.as_f64().unwrap_or_default()),
            (ColumnType::Boolean, Value::Bool(b)) => Self::Boolean(*b),
            (ColumnType::Timestamp, Value::String(s)) => match parse_timestamp(s) {
                Some(t) => Self::Timestamp(t),
                None => Self::Text(s.clone()),
            },
            (ColumnType::Json, Value::Array(_) | Value::Object(_)) => Self::Json(value.to_string()),
            (_, Value::String(s)) => Self::Text(s.clone()),
            (_, other) => Self::Text(other.to_string()),
        }
    }
}

/// An RFC 3339 date-time (`2024-03-01T10:00:00.000Z`), the form AWS and
/// trawl's collectors use.
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    // A cheap shape check first: most strings are not dates.
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[10] != b'T' && b[10] != b't' {
        return None;
    }
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// `t` as RFC 3339 text in UTC with six fraction digits, how SQLite stores
/// date-times: one width and one offset, so text order is time order.
pub fn timestamp_text(t: OffsetDateTime) -> String {
    const UTC_MICROS: &[BorrowedFormatItem<'_>] =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    t.to_offset(UtcOffset::UTC).format(UTC_MICROS).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn stored_date_times_sort_as_text_in_time_order() {
        let times = [
            "2026-12-06T06:00:00Z",
            "2026-12-06T06:00:00.1Z",
            "2026-12-06T06:00:00.123456Z",
            "2026-12-06T08:00:01+02:00",
        ];
        let texts: Vec<String> = times.iter().map(|t| timestamp_text(parse_timestamp(t).unwrap())).collect();
        assert_eq!(texts[0], "2026-12-06T06:00:00.000000Z");
        assert_eq!(texts[3], "2026-12-06T06:00:01.000000Z");
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(sorted, texts);
        assert!(texts.iter().all(|t| parse_timestamp(t).is_some()));
    }

    #[test]
    fn names_from_plugins_are_quoted_bounded_and_kept_apart_from_ours() {
        assert_eq!(quote(r#"x"); DROP TABLE trawl_runs; --"#), r#""x""); DROP TABLE trawl_runs; --""#);
        assert_eq!(table_name("health-org"), "health-org");
        assert_eq!(table_name("trawl_runs"), "plugin_trawl_runs");
        assert_eq!(column_name("region"), "value_region");
        assert_eq!(column_name("value_region"), "value_value_region");
        assert_eq!(column_name("volume_id"), "volume_id");
        let long = "c".repeat(100);
        let (a, b) = (column_name(&long), column_name(&format!("{long}d")));
        assert!(a.len() <= 63 && b.len() <= 63 && a != b, "{a} {b}");
        let wide = "é".repeat(40);
        assert!(column_name(&wide).len() <= 63);
    }

    #[test]
    fn column_types_follow_the_values_and_widen_when_mixed() {
        let of = |v: Value| ColumnType::of(&v);
        assert_eq!(of(json!(3)), Some(ColumnType::Integer));
        assert_eq!(of(json!(3.5)), Some(ColumnType::Real));
        assert_eq!(of(json!(true)), Some(ColumnType::Boolean));
        assert_eq!(of(json!("2024-03-01T10:00:00.000Z")), Some(ColumnType::Timestamp));
        assert_eq!(of(json!("2024-03-01")), Some(ColumnType::Text));
        assert_eq!(of(json!({"a": 1})), Some(ColumnType::Json));
        assert_eq!(of(json!(null)), None);
        assert_eq!(ColumnType::Integer.widen(ColumnType::Real), ColumnType::Real);
        assert_eq!(ColumnType::Integer.widen(ColumnType::Text), ColumnType::Text);
        assert!(ColumnType::Real.holds(ColumnType::Integer) && !ColumnType::Integer.holds(ColumnType::Real));
        for t in [
            ColumnType::Integer,
            ColumnType::Real,
            ColumnType::Boolean,
            ColumnType::Timestamp,
            ColumnType::Json,
            ColumnType::Text,
        ] {
            assert_eq!(ColumnType::from_sql(t.sql(Dialect::Postgres)), t);
            assert_eq!(ColumnType::from_sql(t.sql(Dialect::Sqlite)), t);
        }
        assert_eq!(SqlValue::for_column(Some(&json!("x")), ColumnType::Integer), SqlValue::Text("x".into()));
        assert_eq!(SqlValue::for_column(None, ColumnType::Integer), SqlValue::Null);
    }
}
