//! PostgreSQL through the `postgres` crate (rust-postgres' synchronous
//! client over tokio-postgres): one connection per sink, records written
//! with binary `COPY`, TLS through rustls (the host's one TLS stack).
//!
//! What the URL leaves out comes from libpq's variables (`PGHOST`,
//! `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`), as `psql`
//! reads them. Any `sslmode` but `disable` means TLS with the server's
//! certificate checked against the system's roots (stricter than libpq's
//! `require`, which checks nothing).

use std::error::Error;
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::config::SslMode;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::StoreError;
use super::schema::{ColumnType, Dialect, SqlValue, quote};
use super::writer::Db;

/// An open PostgreSQL connection.
pub struct Postgres {
    client: Client,
    shown: String,
}

impl Postgres {
    /// Connects to `url` (`shown` names it in messages).
    pub fn connect(url: &str, shown: &str) -> Result<Self, StoreError> {
        let mut config: Config = url.parse().map_err(|e| StoreError::new(shown, e))?;
        with_libpq_environment(&mut config);
        config.connect_timeout(Duration::from_secs(10));
        if config.get_application_name().is_none() {
            config.application_name("trawl");
        }
        if !url.contains("sslmode=")
            && let Ok(mode) = std::env::var("PGSSLMODE")
        {
            config.ssl_mode(match mode.as_str() {
                "disable" => SslMode::Disable,
                "allow" | "prefer" => SslMode::Prefer,
                _ => SslMode::Require,
            });
        }
        // `prefer` (the default) asks for TLS and goes on without it when
        // the server has none, as libpq does.
        let client = match config.get_ssl_mode() {
            SslMode::Disable => config.connect(NoTls),
            _ => config.connect(tls(shown)?),
        }
        .map_err(|e| StoreError::new(shown, describe(&e)))?;
        let mut db = Self { client, shown: shown.to_owned() };
        // A commit need not wait for the server's WAL flush: each batch is
        // still whole or absent, and a server crash loses at most its last
        // moments, after which the run is marked failed, never complete.
        // The same bargain as SQLite's `synchronous = NORMAL` here, and the
        // writer stops waiting on an fsync per batch.
        db.batch("SET synchronous_commit = off")?;
        Ok(db)
    }

    fn fail(&self, e: postgres::Error) -> StoreError {
        StoreError::new(&self.shown, describe(&e))
    }

    /// Runs a query and hands each row to `each` as the server sends it
    /// (the client reads no further ahead than `each` takes), so a result
    /// of any size is read in bounded memory (`host diff`).
    pub fn query_each<E: From<StoreError>>(
        &mut self,
        sql: &str,
        params: &[SqlValue],
        mut each: impl FnMut(Vec<SqlValue>) -> Result<(), E>,
    ) -> Result<(), E> {
        use postgres::fallible_iterator::FallibleIterator;
        let shown = self.shown.clone();
        let fail = |e: postgres::Error| StoreError::new(&shown, describe(&e));
        let params = params.iter().map(|p| p as &(dyn ToSql + Sync));
        let mut rows = self.client.query_raw(sql, params).map_err(fail)?;
        while let Some(row) = rows.next().map_err(fail)? {
            let values = (0..row.len()).map(|i| read(&row, i)).collect::<Result<Vec<_>, _>>().map_err(fail)?;
            each(values)?;
        }
        Ok(())
    }
}

/// libpq's `PG*` variables for what the URL did not say.
fn with_libpq_environment(config: &mut Config) {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if config.get_hosts().is_empty() {
        config.host(var("PGHOST").as_deref().unwrap_or("localhost"));
    }
    if config.get_ports().is_empty()
        && let Some(port) = var("PGPORT").and_then(|p| p.parse().ok())
    {
        config.port(port);
    }
    if config.get_user().is_none()
        && let Some(user) = var("PGUSER").or_else(|| var("USER"))
    {
        config.user(&user);
    }
    if config.get_password().is_none()
        && let Some(password) = var("PGPASSWORD")
    {
        config.password(password);
    }
    if config.get_dbname().is_none()
        && let Some(db) = var("PGDATABASE")
    {
        config.dbname(&db);
    }
}

/// rustls with the ring provider and the system's root certificates.
fn tls(shown: &str) -> Result<MakeRustlsConnect, StoreError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let config =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| StoreError::new(shown, e))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// The error with its cause (the driver's top line alone is often
/// `error connecting to server`, or `db error`).
fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_owned();
    }
    match e.source() {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

impl ToSql for SqlValue {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            SqlValue::Null => Ok(IsNull::Yes),
            SqlValue::Integer(n) if *ty == Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
            SqlValue::Integer(n) => n.to_sql(ty, out),
            SqlValue::Real(n) => n.to_sql(ty, out),
            SqlValue::Boolean(b) => b.to_sql(ty, out),
            SqlValue::Timestamp(t) => t.to_sql(ty, out),
            SqlValue::Json(text) if *ty == Type::JSONB => {
                // JSONB's binary form: a version byte, then the text.
                out.put_u8(1);
                out.put_slice(text.as_bytes());
                Ok(IsNull::No)
            }
            SqlValue::Json(text) | SqlValue::Text(text) => text.as_str().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn pg_type(ty: ColumnType) -> Type {
    match ty {
        ColumnType::Integer => Type::INT8,
        ColumnType::Real => Type::FLOAT8,
        ColumnType::Boolean => Type::BOOL,
        ColumnType::Timestamp => Type::TIMESTAMPTZ,
        ColumnType::Json => Type::JSONB,
        ColumnType::Text => Type::TEXT,
    }
}

/// A column of a result row as a [`SqlValue`].
fn read(row: &postgres::Row, i: usize) -> Result<SqlValue, postgres::Error> {
    let ty = row.columns()[i].type_().clone();
    Ok(match ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map_or(SqlValue::Null, SqlValue::Integer),
        Type::INT4 => row.try_get::<_, Option<i32>>(i)?.map_or(SqlValue::Null, |n| SqlValue::Integer(n.into())),
        Type::FLOAT8 => row.try_get::<_, Option<f64>>(i)?.map_or(SqlValue::Null, SqlValue::Real),
        Type::BOOL => row.try_get::<_, Option<bool>>(i)?.map_or(SqlValue::Null, SqlValue::Boolean),
        Type::TIMESTAMPTZ => {
            row.try_get::<_, Option<time::OffsetDateTime>>(i)?.map_or(SqlValue::Null, SqlValue::Timestamp)
        }
        Type::JSONB | Type::JSON => {
            row.try_get::<_, Option<serde_json::Value>>(i)?.map_or(SqlValue::Null, |v| SqlValue::Json(v.to_string()))
        }
        _ => row.try_get::<_, Option<String>>(i)?.map_or(SqlValue::Null, SqlValue::Text),
    })
}

impl Db for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn begin(&mut self) -> Result<(), StoreError> {
        self.batch("BEGIN")
    }

    fn lock_schema(&mut self) -> Result<(), StoreError> {
        // One number for "trawl's schema", held until the transaction ends.
        self.batch("SELECT pg_advisory_xact_lock(7316827200144)")
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.client.batch_execute(sql).map_err(|e| StoreError::new(&self.shown, describe(&e)))
    }

    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, StoreError> {
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.client.execute(sql, &params).map_err(|e| StoreError::new(&self.shown, describe(&e)))
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>, StoreError> {
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = self.client.query(sql, &params).map_err(|e| self.fail(e))?;
        rows.iter()
            .map(|row| (0..row.len()).map(|i| read(row, i)).collect::<Result<Vec<_>, _>>())
            .collect::<Result<_, _>>()
            .map_err(|e| self.fail(e))
    }

    fn columns(&mut self, table: &str) -> Result<Option<Vec<(String, ColumnType)>>, StoreError> {
        let rows = self
            .client
            .query(
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                &[&table],
            )
            .map_err(|e| self.fail(e))?;
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            rows.iter()
                .map(|r| (r.get::<_, String>(0), ColumnType::from_sql(&r.get::<_, String>(1))))
                .filter(|(c, _)| !super::schema::FIXED_COLUMNS.contains(&c.as_str()))
                .collect(),
        ))
    }

    fn insert(
        &mut self,
        table: &str,
        columns: &[String],
        types: &[ColumnType],
        rows: &[Vec<SqlValue>],
    ) -> Result<(), StoreError> {
        let names: Vec<String> = columns.iter().map(|c| quote(c)).collect();
        let sql = format!("COPY {} ({}) FROM STDIN (FORMAT binary)", quote(table), names.join(", "));
        let types: Vec<Type> = types.iter().map(|t| pg_type(*t)).collect();
        let sink = self.client.copy_in(&sql).map_err(|e| StoreError::new(&self.shown, describe(&e)))?;
        let mut writer = BinaryCopyInWriter::new(sink, &types);
        for row in rows {
            let values: Vec<&(dyn ToSql + Sync)> = row.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
            writer.write(&values).map_err(|e| StoreError::new(&self.shown, describe(&e)))?;
        }
        writer.finish().map(|_| ()).map_err(|e| StoreError::new(&self.shown, describe(&e)))
    }
}
