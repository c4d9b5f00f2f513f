//! `--database-url`: which database, connected, behind one `Driver`. Passwords never leave
//! this file unredacted.

use std::time::Duration;

use strata_runtime::driver::{
    Committed, DbError, Dialect, Driver, HistoryTable, ReadOnly, Row, SessionLockSql, StepError,
    Transaction,
};

use crate::error::CliError;

/// A connection to either supported database.
pub enum Database {
    Postgres(tokio_postgres::Client),
    Sqlite(rusqlite::Connection),
    Mysql(mysql_async::Conn),
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

/// A SQLite path, with SQLite's URI parameters when it has a query (`app.db?mode=ro`).
fn open_sqlite(path: &str) -> rusqlite::Result<rusqlite::Connection> {
    if !path.contains('?') {
        return rusqlite::Connection::open(path);
    }
    use rusqlite::OpenFlags;
    rusqlite::Connection::open_with_flags(
        format!("file:{path}"),
        OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

impl Database {
    pub async fn connect(url: &str) -> Result<Database, CliError> {
        Database::connect_to(url, None).await
    }

    /// [`Database::connect`], to database `dbname` on the same PostgreSQL server instead of
    /// the URL's (`verify` connects to its scratch database so).
    pub async fn connect_to(url: &str, dbname: Option<&str>) -> Result<Database, CliError> {
        let connect = |reason: String| CliError::Connect {
            url: redact(url),
            reason,
        };
        if let Some(path) = sqlite_path(url) {
            let conn = open_sqlite(path).map_err(|e| connect(e.to_string()))?;
            return Ok(Database::Sqlite(conn));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // sslmode / sslrootcert follow libpq; tokio-postgres gets the URL without them.
            let (stripped, tls) = crate::tls::split_url(url, |name| std::env::var(name).ok())
                .map_err(|e| connect(e.to_string()))?;
            let mut config: tokio_postgres::Config = stripped
                .parse()
                .map_err(|e| connect(format!("invalid URL: {e}")))?;
            if let Some(dbname) = dbname {
                config.dbname(dbname);
            }
            let client = crate::tls::connect(config, &tls)
                .await
                .map_err(|e| connect(e.to_string()))?;
            return Ok(Database::Postgres(client));
        }
        if let Some(rest) = url
            .strip_prefix("mysql://")
            .or_else(|| url.strip_prefix("mariadb://"))
        {
            let opts = mysql_async::Opts::from_url(&format!("mysql://{rest}"))
                .map_err(|e| connect(format!("invalid URL: {e}")))?;
            let mut builder = mysql_async::OptsBuilder::from_opts(opts);
            if let Some(dbname) = dbname {
                builder = builder.db_name(Some(dbname));
            }
            let conn = mysql_async::Conn::new(builder)
                .await
                .map_err(|e| connect(e.to_string()))?;
            return Ok(Database::Mysql(conn));
        }
        Err(CliError::UnsupportedUrl(redact(url)))
    }

    /// Server version and a one-line description of the connection.
    pub async fn server_version(&mut self) -> Result<String, CliError> {
        match self {
            Database::Postgres(client) => {
                let messages = client
                    .simple_query("SHOW server_version")
                    .await
                    .map_err(|e| CliError::Query(e.to_string()))?;
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
            Database::Mysql(conn) => {
                let sets = conn
                    .run_batch(&["SELECT VERSION()"])
                    .await
                    .map_err(|e| CliError::Query(e.to_string()))?;
                let version = sets
                    .into_iter()
                    .flatten()
                    .next()
                    .and_then(|row| row.into_iter().next().flatten())
                    .unwrap_or_default();
                // MariaDB says so in its version (`10.11.19-MariaDB-0+deb12u1`).
                let flavour = if version.contains("MariaDB") {
                    "MariaDB"
                } else {
                    "MySQL"
                };
                Ok(format!("{flavour} {version}"))
            }
        }
    }
}

impl Driver for Database {
    fn dialect(&self) -> Dialect {
        match self {
            Database::Postgres(c) => c.dialect(),
            Database::Sqlite(c) => c.dialect(),
            Database::Mysql(c) => c.dialect(),
        }
    }

    async fn run_batch(&mut self, statements: &[&str]) -> Result<Vec<Vec<Row>>, DbError> {
        match self {
            Database::Postgres(c) => c.run_batch(statements).await,
            Database::Sqlite(c) => c.run_batch(statements).await,
            Database::Mysql(c) => c.run_batch(statements).await,
        }
    }

    async fn run_transaction(
        &mut self,
        transaction: &Transaction<'_>,
    ) -> Result<Committed, StepError> {
        match self {
            Database::Postgres(c) => c.run_transaction(transaction).await,
            Database::Sqlite(c) => c.run_transaction(transaction).await,
            Database::Mysql(c) => c.run_transaction(transaction).await,
        }
    }

    async fn run_transactions(
        &mut self,
        transactions: &[Transaction<'_>],
        committed: &mut (dyn FnMut(usize, Committed) + Send),
    ) -> Result<(), (usize, StepError)> {
        match self {
            Database::Postgres(c) => c.run_transactions(transactions, committed).await,
            Database::Sqlite(c) => c.run_transactions(transactions, committed).await,
            Database::Mysql(c) => c.run_transactions(transactions, committed).await,
        }
    }

    async fn run_in_order(&mut self, work: &Transaction<'_>) -> Result<Vec<Row>, StepError> {
        match self {
            Database::Postgres(c) => c.run_in_order(work).await,
            Database::Sqlite(c) => c.run_in_order(work).await,
            Database::Mysql(c) => c.run_in_order(work).await,
        }
    }

    fn session_lock(&self, table: &HistoryTable) -> Option<SessionLockSql> {
        match self {
            Database::Postgres(c) => c.session_lock(table),
            Database::Sqlite(c) => c.session_lock(table),
            Database::Mysql(c) => c.session_lock(table),
        }
    }

    async fn read_only(&mut self) -> Result<Option<ReadOnly>, DbError> {
        match self {
            Database::Postgres(c) => c.read_only().await,
            Database::Sqlite(c) => c.read_only().await,
            Database::Mysql(c) => c.read_only().await,
        }
    }

    fn set_lock_wait(&mut self, timeout: Option<Duration>) -> Result<(), DbError> {
        match self {
            Database::Postgres(c) => c.set_lock_wait(timeout),
            Database::Sqlite(c) => c.set_lock_wait(timeout),
            Database::Mysql(c) => c.set_lock_wait(timeout),
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
