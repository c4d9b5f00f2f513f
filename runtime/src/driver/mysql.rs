//! MySQL and MariaDB through mysql_async (tokio), on the text protocol with multi-statement
//! queries, so each call below is one round trip:
//!
//! - [`Driver::run_batch`]: the statements joined into one query; the server runs them in
//!   order and stops at the first error.
//! - [`Driver::run_transaction`]: `START TRANSACTION`, the section's statements, the tail
//!   and `COMMIT` in one query; on an error the server skips the rest and a `ROLLBACK`
//!   follows (failure path only). The runtime hands a migration to a transaction only when
//!   none of its statements commits implicitly ([`commits_implicitly`]); one with DDL runs
//!   statement by statement (below), like a `no-transaction` migration elsewhere.
//! - [`Driver::run_in_order`] (a migration that cannot be atomic): its statements, then the
//!   history row in a transaction, in one query; the server stops at the first error, and
//!   the result sets before it say how many statements ran.
//! - The session lock is `GET_LOCK(name, 0)`, tried in the runtime's back-off loop (so its
//!   timeout is the runner's), released with `RELEASE_LOCK`; the server releases it when the
//!   session ends.
//!
//! MySQL reports where a syntax error is as `near '<text>' at line N` of the query; this
//! backend turns that into a character offset inside the failing statement, which the
//! runtime maps to the file's `line:col`. The error number and SQLSTATE are both kept.
//!
//! [`commits_implicitly`]: strata_model::implicit_commit::commits_implicitly

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Value};
use tracing::debug;

use super::{
    Committed, Dialect, Driver, Failure, HistoryTable, ReadOnly, Row, SessionLockSql, StepError,
    Transaction,
};
use crate::error::{DbError, DbErrorKind};

/// Starts every transaction: the start time is what the history row's `execution_ms` is
/// measured from when the SQL and the row go in one query (see `history/sql.rs`).
const BEGIN: &str = "START TRANSACTION";
const STARTED: &str = "SET @strata_started = SYSDATE(6)";

/// The server's error, classified, with mysql_async's error kept as the source.
pub(super) fn db_error(error: mysql_async::Error) -> DbError {
    if let mysql_async::Error::Server(server) = &error {
        let kind = match server.code {
            1146 | 1051 => DbErrorKind::UndefinedTable,
            1054 => DbErrorKind::UndefinedColumn,
            // --read-only / --super-read-only, a read-only transaction.
            1290 | 1792 | 1836 => DbErrorKind::ReadOnly,
            1044 | 1142 | 1143 | 1227 => DbErrorKind::InsufficientPrivilege,
            // Server shutdown, connection killed.
            1053 | 1927 | 4031 => DbErrorKind::ConnectionLost,
            _ => DbErrorKind::Other,
        };
        return DbError::new(server.code.to_string(), server.message.clone())
            .with_sqlstate(&server.state)
            .with_kind(kind)
            .with_source(error);
    }
    let kind = match &error {
        mysql_async::Error::Io(_) => DbErrorKind::ConnectionLost,
        mysql_async::Error::Driver(mysql_async::DriverError::ConnectionClosed) => {
            DbErrorKind::ConnectionLost
        }
        _ => DbErrorKind::Other,
    };
    let code = if kind == DbErrorKind::ConnectionLost {
        DbError::CONNECTION_FAILURE
    } else {
        ""
    };
    DbError::new(code, error.to_string())
        .with_kind(kind)
        .with_source(error)
}

/// A row's values as text, NULL as `None` (the text protocol sends every value as bytes).
fn values(row: mysql_async::Row) -> Row {
    row.unwrap_raw()
        .into_iter()
        .map(|value| match value {
            None | Some(Value::NULL) => None,
            Some(Value::Bytes(bytes)) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Some(Value::Int(i)) => Some(i.to_string()),
            Some(Value::UInt(u)) => Some(u.to_string()),
            Some(Value::Float(f)) => Some(f.to_string()),
            Some(Value::Double(d)) => Some(d.to_string()),
            Some(other) => Some(other.as_sql(true)),
        })
        .collect()
}

/// `statements` as one multi-statement query.
fn join(statements: &[&str]) -> String {
    statements.join(";\n")
}

/// Runs `statements` as one query: a result set per statement, or the error with how many
/// statements completed before it (the server ran none after it).
async fn batch(
    conn: &mut Conn,
    statements: &[&str],
) -> Result<Vec<Vec<Row>>, (mysql_async::Error, usize)> {
    let text = join(statements);
    let mut result = conn.query_iter(text).await.map_err(|e| (e, 0))?;
    let mut sets = Vec::with_capacity(statements.len());
    loop {
        // A later statement's error is kept by the client until the result is read on:
        // it surfaces at the start of the next read, the statement after the last set.
        let rows: Vec<mysql_async::Row> = result.collect().await.map_err(|e| (e, sets.len()))?;
        sets.push(rows.into_iter().map(values).collect());
        if result.is_empty() {
            // Also true when an error is what comes next: read it.
            result.next().await.map_err(|e| (e, sets.len()))?;
            break;
        }
    }
    Ok(sets)
}

/// Where a syntax error is: MySQL says `near '<text>' at line N`, N counted from the start
/// of the failing statement (`''`: at its end). Returns a character offset into
/// `statement`.
fn near(message: &str, statement: &str) -> Option<usize> {
    let (before, line) = message.rsplit_once(" at line ")?;
    let line: usize = line.trim().parse().ok()?;
    let quoted = before.rsplit_once("near '")?.1;
    let snippet = quoted.strip_suffix('\'')?;
    let at = if snippet.is_empty() {
        statement.trim_end().len()
    } else {
        let line_start = match line {
            0 | 1 => 0,
            n => statement
                .match_indices('\n')
                .nth(n - 2)
                .map_or(0, |(i, _)| i + 1),
        };
        // The server cuts long snippets, and they run on into what was sent after this
        // statement (`;` and a newline, as `join` puts them): the first line, less that
        // `;`, is a prefix of the statement's text from there.
        let first_line = snippet.split('\n').next().unwrap_or(snippet);
        let first_line = first_line.strip_suffix(';').unwrap_or(first_line);
        let probe: String = first_line.chars().take(40).collect();
        line_start + statement.get(line_start..)?.find(&probe)?
    };
    Some(statement[..at].chars().count())
}

/// The failing statement's error with its position, when the server gave one.
fn statement_error(error: mysql_async::Error, statement: &str) -> DbError {
    let error = db_error(error);
    let position = near(&error.message, statement);
    error.with_position(position)
}

/// A failure at the section's statement `index` (when it is one of them): the server's
/// position turned into a byte offset in the section; `completed` statements ran and stay.
fn section_error(
    error: mysql_async::Error,
    statements: &[(usize, &str)],
    index: Option<usize>,
    completed: usize,
) -> StepError {
    let (error, offset) = match index.and_then(|i| statements.get(i)) {
        Some((start, text)) => {
            let mut error = statement_error(error, text);
            let offset = error
                .position
                .take()
                .and_then(|p| super::char_to_byte(text, p))
                .map(|p| start + p);
            (error, offset)
        }
        None => (db_error(error), None),
    };
    StepError {
        error,
        offset,
        failure: Failure::Statement { index, completed },
    }
}

async fn rollback(conn: &mut Conn) {
    if let Err(error) = conn.query_drop("ROLLBACK").await {
        debug!(%error, "ROLLBACK after a failed migration failed");
    }
}

impl Driver for Conn {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    async fn run_batch(&mut self, statements: &[&str]) -> Result<Vec<Vec<Row>>, DbError> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        batch(self, statements).await.map_err(|(error, failed)| {
            statement_error(error, statements.get(failed).copied().unwrap_or(""))
        })
    }

    async fn run_transaction(
        &mut self,
        transaction: &Transaction<'_>,
    ) -> Result<Committed, StepError> {
        let mut prefix = vec![BEGIN, STARTED];
        if let Some(guard) = transaction.guard {
            prefix.push(guard);
            let sets = match batch(self, &prefix).await {
                Ok(sets) => sets,
                Err((error, _)) => {
                    rollback(self).await;
                    return Err(StepError::new(db_error(error)));
                }
            };
            if sets.last().is_some_and(|rows| !rows.is_empty()) {
                rollback(self).await;
                return Ok(Committed::Skipped);
            }
            prefix.clear();
        }
        let tail = (transaction.tail)(std::time::Duration::ZERO);
        let section: Vec<&str> = transaction.statements.iter().map(|(_, s)| *s).collect();
        let statements: Vec<&str> = prefix
            .iter()
            .copied()
            .chain(section.iter().copied())
            .chain(tail.iter().map(String::as_str))
            .chain(["COMMIT"])
            .collect();
        match batch(self, &statements).await {
            Ok(mut sets) => {
                // [prefix.., section.., tail.., COMMIT]: the tail's last statement's rows.
                let last = sets.len().checked_sub(2).map(|i| sets.swap_remove(i));
                Ok(Committed::Done(last.unwrap_or_default()))
            }
            Err((error, completed)) => {
                rollback(self).await;
                let index = completed.checked_sub(prefix.len());
                Err(section_error(error, transaction.statements, index, 0))
            }
        }
    }

    /// One query: the statements (each committed by the server as it goes), then the tail
    /// in a transaction of its own (a lease's fence holds its lock until the row is in).
    async fn run_in_order(&mut self, work: &Transaction<'_>) -> Result<Vec<Row>, StepError> {
        let tail = (work.tail)(std::time::Duration::ZERO);
        let body_end = 1 + work.statements.len();
        let statements: Vec<&str> = [STARTED]
            .into_iter()
            .chain(work.statements.iter().map(|(_, s)| *s))
            .chain([BEGIN])
            .chain(tail.iter().map(String::as_str))
            .chain(["COMMIT"])
            .collect();
        let (error, failed) = match batch(self, &statements).await {
            Ok(mut sets) => {
                // [.., tail's last, COMMIT]
                let last = sets.len().checked_sub(2).map(|i| sets.swap_remove(i));
                return Ok(last.unwrap_or_default());
            }
            Err(failure) => failure,
        };
        let completed = failed.saturating_sub(1).min(work.statements.len());
        if failed >= body_end {
            rollback(self).await;
            return Err(StepError {
                error: db_error(error),
                offset: None,
                failure: Failure::Recording { completed },
            });
        }
        Err(section_error(
            error,
            work.statements,
            failed.checked_sub(1),
            completed,
        ))
    }

    fn session_lock(&self, table: &HistoryTable) -> Option<SessionLockSql> {
        Some(named_lock(table))
    }

    async fn read_only(&mut self) -> Result<Option<ReadOnly>, DbError> {
        let sets = self.run_batch(&["SELECT @@global.read_only"]).await?;
        let on = sets
            .into_iter()
            .flatten()
            .next()
            .and_then(|row| row.into_iter().next().flatten());
        Ok(match on.as_deref() {
            Some("1") => Some(ReadOnly::ServerReadOnly),
            _ => Some(ReadOnly::Unknown),
        })
    }
}

/// `GET_LOCK` on a name derived from [`HistoryTable::lock_key`] (names are at most 64
/// characters, so the table's own name may not fit). Locks are per server, not per
/// database: the key covers the schema, and the database is named too, so two databases
/// on one server never wait for each other.
pub(super) fn named_lock(table: &HistoryTable) -> SessionLockSql {
    let name = format!(
        "CONCAT('strata:', LEFT(COALESCE(DATABASE(), ''), 32), ':', '{:016x}')",
        table.lock_key()
    );
    SessionLockSql {
        try_lock: format!("SELECT GET_LOCK({name}, 0)"),
        holder: format!(
            "SELECT CONCAT('connection ', id, ' (', user, '@', host, ')') \
             FROM information_schema.processlist WHERE id = IS_USED_LOCK({name}) \
             AND id <> CONNECTION_ID()"
        ),
        held: format!("SELECT COALESCE(IS_USED_LOCK({name}) = CONNECTION_ID(), 0)"),
        unlock: format!("SELECT RELEASE_LOCK({name})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_point_into_the_statement() {
        let statement = "CREATE TABLE t (\n  id INTT,\n  id2 INTT\n)";
        let message = "You have an error in your SQL syntax; check the manual that corresponds \
                       to your MariaDB server version for the right syntax to use near 'INTT\n);\n\
                       INSERT INTO `strata_migrations` (ver...' at line 3";
        let at = near(message, statement).expect("a position");
        assert_eq!(&statement[at..], "INTT\n)");
        let end = "... to use near '' at line 4";
        assert_eq!(near(end, statement), Some(statement.chars().count()));
        assert_eq!(near("Table 't' doesn't exist", statement), None);
        // A snippet not found from its line: no position rather than a wrong one.
        assert_eq!(near("... near 'nowhere' at line 1", statement), None);
    }
}
