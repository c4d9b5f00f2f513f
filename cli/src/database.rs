//! `--database-url`: which database, connected, behind one `Driver`. Passwords never leave
//! this file unredacted.

use std::time::Duration;

use strata_core::model::Migration;
use strata_runtime::{
    AppliedMigration, DbError, Driver, Error, HistoryTable, RevertStep, StepError,
};

/// A connection to either supported database.
pub enum Database {
    Postgres(tokio_postgres::Client),
    Sqlite(rusqlite::Connection),
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, None), |(a, p)| (a, Some(p)));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_string(),
    };
    let mut redacted = format!("{scheme}://{authority}");
    if let Some(path) = path {
        redacted.push('/');
        redacted.push_str(&redact_query(path));
    }
    redacted
}

/// `?password=...` in a query string.
fn redact_query(path: &str) -> String {
    let Some((before, query)) = path.split_once('?') else {
        return path.to_string();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{before}?{}", pairs.join("&"))
}

/// The SQLite path of `sqlite:path` / `sqlite://path`, if that is what the URL names.
fn sqlite_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
}

impl Database {
    pub async fn connect(url: &str) -> Result<Database, String> {
        if let Some(path) = sqlite_path(url) {
            let conn = rusqlite::Connection::open(path)
                .map_err(|e| format!("cannot open SQLite database {path}: {e}"))?;
            return Ok(Database::Sqlite(conn));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // sslmode / sslrootcert follow libpq; tokio-postgres gets the URL without them.
            let (stripped, tls) = crate::tls::split_url(url, |name| std::env::var(name).ok())
                .map_err(|e| format!("database URL {}: {e}", redact(url)))?;
            let config: tokio_postgres::Config = stripped
                .parse()
                .map_err(|e| format!("invalid database URL {}: {e}", redact(url)))?;
            let client = crate::tls::connect(config, &tls)
                .await
                .map_err(|e| format!("cannot connect to {}: {e}", redact(url)))?;
            return Ok(Database::Postgres(client));
        }
        Err(format!(
            "unsupported database URL {}: use postgres://..., postgresql://..., sqlite:path or sqlite://path",
            redact(url)
        ))
    }

    /// Server version and a one-line description of the connection.
    pub async fn server_version(&mut self) -> Result<String, String> {
        match self {
            Database::Postgres(client) => {
                let messages = client
                    .simple_query("SHOW server_version")
                    .await
                    .map_err(|e| e.to_string())?;
                let version = messages.iter().find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
                    _ => None,
                });
                // What the server sees of this session's encryption, when it says.
                let tls = match client
                    .simple_query("SELECT CASE WHEN ssl THEN version || ', ' || cipher END FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                    .await
                {
                    Ok(messages) => match messages.iter().find_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(row) => Some(row.get(0).map(str::to_string)),
                        _ => None,
                    }) {
                        Some(Some(tls)) => format!(" over TLS ({tls})"),
                        Some(None) => " without TLS".to_string(),
                        None => String::new(),
                    },
                    Err(_) => String::new(),
                };
                Ok(format!("PostgreSQL {}{tls}", version.unwrap_or_default()))
            }
            Database::Sqlite(_) => Ok(format!("SQLite {}", rusqlite::version())),
        }
    }
}

impl Driver for Database {
    async fn read_history(
        &mut self,
        table: &HistoryTable,
    ) -> Result<Vec<AppliedMigration>, DbError> {
        match self {
            Database::Postgres(c) => c.read_history(table).await,
            Database::Sqlite(c) => c.read_history(table).await,
        }
    }

    async fn fingerprint(
        &mut self,
        table: &HistoryTable,
    ) -> Result<Option<strata_runtime::Fingerprint>, DbError> {
        match self {
            Database::Postgres(c) => c.fingerprint(table).await,
            Database::Sqlite(c) => c.fingerprint(table).await,
        }
    }

    async fn lock(
        &mut self,
        table: &HistoryTable,
        timeout: Option<Duration>,
    ) -> Result<Vec<AppliedMigration>, Error> {
        match self {
            Database::Postgres(c) => c.lock(table, timeout).await,
            Database::Sqlite(c) => c.lock(table, timeout).await,
        }
    }

    async fn unlock(&mut self, table: &HistoryTable) -> Result<(), DbError> {
        match self {
            Database::Postgres(c) => c.unlock(table).await,
            Database::Sqlite(c) => c.unlock(table).await,
        }
    }

    async fn apply(
        &mut self,
        table: &HistoryTable,
        migration: &Migration,
        recording: strata_runtime::Recording,
    ) -> Result<strata_runtime::Applied, StepError> {
        match self {
            Database::Postgres(c) => c.apply(table, migration, recording).await,
            Database::Sqlite(c) => c.apply(table, migration, recording).await,
        }
    }

    async fn revert(
        &mut self,
        table: &HistoryTable,
        step: &RevertStep<'_>,
    ) -> Result<(), StepError> {
        match self {
            Database::Postgres(c) => c.revert(table, step).await,
            Database::Sqlite(c) => c.revert(table, step).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/prod"),
            "postgres://app:***@db:5432/prod"
        );
        assert_eq!(
            redact("postgresql://app@db/prod?sslmode=require&password=s3cret"),
            "postgresql://app@db/prod?sslmode=require&password=***"
        );
        assert_eq!(redact("postgres://db/prod"), "postgres://db/prod");
        assert_eq!(redact("sqlite:app.db"), "sqlite:app.db");
        assert_eq!(
            redact("postgres://u:p@ss:w@rd@host/db"),
            "postgres://u:***@host/db"
        );
    }
}
