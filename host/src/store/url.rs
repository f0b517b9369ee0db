//! Where runs are stored: `sqlite:PATH` or a PostgreSQL URL, parsed, and
//! shown with any password removed.

use std::fmt;
use std::path::PathBuf;

/// A database a run is written into (`--into`).
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// An SQLite file (`sqlite:` alone means `trawl.db` here).
    Sqlite(PathBuf),
    /// A PostgreSQL server: `postgres://` or `postgresql://`, with libpq's
    /// `PG*` variables for what the URL leaves out.
    Postgres(String),
}

/// The file `sqlite:` alone names.
pub const DEFAULT_SQLITE_FILE: &str = "trawl.db";

impl std::str::FromStr for StoreUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(path) = s.strip_prefix("sqlite:") {
            // `sqlite:///abs/path` and `sqlite://rel` as other tools write it.
            let path = path.strip_prefix("//").unwrap_or(path);
            let path = if path.is_empty() { DEFAULT_SQLITE_FILE } else { path };
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            s.parse::<postgres::Config>().map_err(|e| format!("{}: {e}", redact(s)))?;
            return Ok(Self::Postgres(s.to_owned()));
        }
        Err(format!(
            "{:?} is not a database URL: give sqlite:PATH (sqlite: alone is ./{DEFAULT_SQLITE_FILE}) or postgres://USER@HOST:PORT/DB",
            redact(s)
        ))
    }
}

impl fmt::Display for StoreUrl {
    /// The URL as it may be shown: never with a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Self::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `scheme://user:secret@host/...` as `scheme://user:***@host/...`, and a
/// `password=` query parameter masked too.
pub fn redact(url: &str) -> String {
    let mut shown = url.to_owned();
    if let Some(scheme_end) = shown.find("://") {
        let rest = &shown[scheme_end + 3..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@')
            && let Some(colon) = rest[..at].find(':')
        {
            let start = scheme_end + 3 + colon + 1;
            shown.replace_range(start..scheme_end + 3 + at, "***");
        }
    }
    if let Some(at) = shown.find("password=") {
        let end = shown[at..].find('&').map_or(shown.len(), |e| at + e);
        shown.replace_range(at + "password=".len()..end, "***");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_never_show_a_password() {
        assert_eq!("sqlite:".parse::<StoreUrl>().unwrap(), StoreUrl::Sqlite("trawl.db".into()));
        assert_eq!("sqlite:runs/a.db".parse::<StoreUrl>().unwrap(), StoreUrl::Sqlite("runs/a.db".into()));
        assert_eq!("sqlite:///tmp/a.db".parse::<StoreUrl>().unwrap(), StoreUrl::Sqlite("/tmp/a.db".into()));
        let pg: StoreUrl = "postgres://trawl:s3cret@127.0.0.1:5433/audit?sslmode=disable".parse().unwrap();
        assert_eq!(pg.to_string(), "postgres://trawl:***@127.0.0.1:5433/audit?sslmode=disable");
        assert_eq!(format!("{pg:?}"), pg.to_string());
        assert_eq!(redact("postgresql://u@h/db?password=p4ss&x=1"), "postgresql://u@h/db?password=***&x=1");
        let e = "mysql://root:hunter2@db/x".parse::<StoreUrl>().unwrap_err();
        assert!(e.contains("not a database URL") && !e.contains("hunter2"), "{e}");
        let e = "postgres://u:hunter2@h:notaport/db".parse::<StoreUrl>().unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
