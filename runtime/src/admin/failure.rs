//! What a failed `no-transaction` migration left: recorded beside the history (in
//! `<table>_failure`) when it fails part-way, so that `status` and `repair` can say later what
//! ran, and `repair --mark-applied` / `--forget` can settle it. Written only on that failure
//! path; a run that succeeds never touches the table.

use crate::driver::{Dialect, Driver};
use crate::error::{Error, Result};
use crate::history::sql::HistorySql;

/// A `no-transaction` migration that failed part-way and is not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FailureRecord {
    /// The migration's version.
    pub version: i64,
    /// Its name.
    pub name: String,
    /// 1-based number of the statement that failed.
    pub failed_statement: i64,
    /// Statements in its UP.
    pub total: i64,
    /// File lines of the statements that ran and stay in effect.
    pub completed_lines: Vec<u32>,
    /// What the database said.
    pub error: String,
    /// When (the server's clock).
    pub failed_at: String,
}

fn create(sql: &HistorySql) -> String {
    let q = sql.failure_quoted();
    match sql.dialect() {
        Dialect::Postgres => format!(
            "CREATE TABLE IF NOT EXISTS {q} (version bigint PRIMARY KEY, name text NOT NULL, \
             failed_statement integer NOT NULL, total integer NOT NULL, completed_lines text NOT NULL, \
             error text NOT NULL, failed_at timestamptz NOT NULL DEFAULT now())"
        ),
        Dialect::Mysql => format!(
            "CREATE TABLE IF NOT EXISTS {q} (version BIGINT NOT NULL PRIMARY KEY, name TEXT NOT NULL, \
             failed_statement INT NOT NULL, total INT NOT NULL, completed_lines TEXT NOT NULL, \
             error TEXT NOT NULL, failed_at DATETIME(3) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        ),
        _ => format!(
            "CREATE TABLE IF NOT EXISTS {q} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, \
             failed_statement INTEGER NOT NULL, total INTEGER NOT NULL, completed_lines TEXT NOT NULL, \
             error TEXT NOT NULL, failed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"
        ),
    }
}

/// Records `error` when it is a partial UP. Best effort: the failure is what the caller
/// reports; a failure to record it (a lost connection, a read-only role) is only logged.
pub(crate) async fn record<D: Driver>(conn: &mut D, sql: &HistorySql, error: &Error) {
    let Error::PartiallyApplied {
        version,
        name,
        direction: crate::Direction::Up,
        failed_statement,
        total,
        completed_lines,
        error: cause,
        ..
    } = error
    else {
        return;
    };
    let q = sql.failure_quoted();
    let lines = completed_lines
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    let columns = [
        "name",
        "failed_statement",
        "total",
        "completed_lines",
        "error",
        "failed_at",
    ];
    let (now, conflict, value): (_, _, fn(&str) -> String) = match sql.dialect() {
        Dialect::Postgres => ("now()", "ON CONFLICT (version) DO UPDATE SET", |c| {
            format!("excluded.{c}")
        }),
        Dialect::Mysql => ("UTC_TIMESTAMP(3)", "ON DUPLICATE KEY UPDATE", |c| {
            format!("VALUES({c})")
        }),
        _ => (
            "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            "ON CONFLICT (version) DO UPDATE SET",
            |c| format!("excluded.{c}"),
        ),
    };
    let updates: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} = {}", value(c)))
        .collect();
    let upsert = format!(
        "INSERT INTO {q} (version, {}) \
         VALUES ({version}, {}, {failed_statement}, {total}, {}, {}, {now}) {conflict} {}",
        columns.join(", "),
        sql.literal(name),
        sql.literal(&lines),
        sql.literal(&cause.to_string()),
        updates.join(", "),
    );
    if let Err(error) = conn.run_batch(&[&create(sql), &upsert]).await {
        tracing::warn!(%error, version, "could not record the partial failure for `strata repair`");
    }
}

/// The recorded failures of migrations not applied, by version (none when the table does
/// not exist).
pub(crate) async fn read<D: Driver>(conn: &mut D, sql: &HistorySql) -> Result<Vec<FailureRecord>> {
    // A record whose migration has been applied since is stale: left out by the query.
    let select = format!(
        "SELECT version, name, failed_statement, total, completed_lines, error, {} FROM {} f \
         WHERE NOT EXISTS (SELECT 1 FROM {} h WHERE h.version = f.version) ORDER BY version",
        match sql.dialect() {
            Dialect::Postgres => {
                "to_char(failed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
            }
            Dialect::Mysql => "DATE_FORMAT(failed_at, '%Y-%m-%dT%H:%i:%sZ')",
            _ => "failed_at",
        },
        sql.failure_quoted(),
        sql.quoted()
    );
    let rows = match conn.run_batch(&[&select]).await {
        Ok(sets) => sets.into_iter().flatten(),
        Err(error) if error.kind == crate::DbErrorKind::UndefinedTable => return Ok(Vec::new()),
        Err(error) => return Err(Error::Database(error)),
    };
    let number =
        |value: &Option<String>| value.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0);
    Ok(rows
        .map(|row| FailureRecord {
            version: number(&row[0]),
            name: row[1].clone().unwrap_or_default(),
            failed_statement: number(&row[2]),
            total: number(&row[3]),
            completed_lines: row[4]
                .as_deref()
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|l| l.parse().ok())
                .collect(),
            error: row[5].clone().unwrap_or_default(),
            failed_at: row[6].clone().unwrap_or_default(),
        })
        .collect())
}

/// Deletes the record of `version` (settled by `repair`, or applied since).
pub(crate) fn delete(sql: &HistorySql, version: i64) -> String {
    format!(
        "DELETE FROM {} WHERE version = {version}",
        sql.failure_quoted()
    )
}
