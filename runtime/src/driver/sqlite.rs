//! SQLite through rusqlite (bundled SQLite, no system library needed).
//!
//! SQLite has no session lock, and none is needed: every transactional migration runs in
//! `BEGIN IMMEDIATE`, which takes the database's write lock (a second runner waits for it, up
//! to the busy timeout), and the runtime's guard re-checks inside that transaction that the
//! step is still to be done. Two runners on one file therefore apply each migration exactly
//! once. A runner that waits longer than the busy timeout fails with SQLite's "database is
//! locked".

use std::time::{Duration, Instant};

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::{
    Committed, Dialect, Driver, Failure, HistoryTable, ReadOnly, Row, SessionLockSql, StepError,
    Transaction, char_to_byte,
};
use crate::error::{DbError, DbErrorKind};

/// How long a runner waits for another's write lock when no lock timeout is set.
const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(600);

/// SQLite's error, classified, with rusqlite's error kept as the source.
fn db_error(error: rusqlite::Error) -> DbError {
    let code = match &error {
        rusqlite::Error::SqliteFailure(e, _) => format!("{:?}", e.code),
        rusqlite::Error::SqlInputError { error, .. } => format!("{:?}", error.code),
        _ => String::new(),
    };
    // A statement SQLite refused to prepare: its own message, and where (a byte offset,
    // turned into characters like every backend's position) instead of the SQL repeated.
    let (mut message, position) = match &error {
        rusqlite::Error::SqlInputError {
            msg, sql, offset, ..
        } => (
            msg.clone(),
            usize::try_from(*offset)
                .ok()
                .and_then(|bytes| sql.get(..bytes))
                .map(|before| before.chars().count()),
        ),
        _ => (error.to_string(), None),
    };
    // SQLite reports both as a generic error; its message is the only distinction.
    let read_only = matches!(
        &error,
        rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::ReadOnly
    ) || message.contains("attempt to write a readonly database");
    let kind = if read_only {
        DbErrorKind::ReadOnly
    } else if message.contains("no such table") {
        DbErrorKind::UndefinedTable
    } else if message.contains("no such column") {
        DbErrorKind::UndefinedColumn
    } else {
        DbErrorKind::Other
    };
    if message.contains("database is locked") {
        message.push_str(
            " (another runner holds the write lock longer than the busy timeout; raise lock_timeout)",
        );
    }
    DbError::new(code, message)
        .with_kind(kind)
        .with_position(position)
        .with_source(error)
}

fn text(value: ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(r) => Some(r.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

/// Runs one statement and returns its rows (a verification `SELECT` in a migration is fine).
fn execute(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<Row>> {
    let mut statement = conn.prepare(sql)?;
    let columns = statement.column_count();
    let mut rows = statement.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(
            (0..columns)
                .map(|i| row.get_ref(i).ok().and_then(text))
                .collect(),
        );
    }
    Ok(out)
}

/// Runs `body` inside `BEGIN IMMEDIATE ... COMMIT`, rolling back on any error.
fn immediate(
    conn: &Connection,
    body: impl FnOnce(&Connection) -> Result<Committed, StepError>,
) -> Result<Committed, StepError> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| StepError::new(db_error(e)))?;
    let outcome = body(conn).and_then(|committed| match committed {
        Committed::Skipped => Ok(Committed::Skipped),
        done => conn
            .execute_batch("COMMIT")
            .map(|()| done)
            .map_err(|e| StepError::new(db_error(e))),
    });
    if !matches!(outcome, Ok(Committed::Done(_))) {
        let _ = conn.execute_batch("ROLLBACK");
    }
    outcome
}

impl Driver for Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn run_batch(&mut self, statements: &[&str]) -> Result<Vec<Vec<Row>>, DbError> {
        statements
            .iter()
            .map(|sql| execute(self, sql).map_err(db_error))
            .collect()
    }

    async fn run_transaction(
        &mut self,
        transaction: &Transaction<'_>,
    ) -> Result<Committed, StepError> {
        immediate(self, |conn| {
            if let Some(guard) = transaction.guard {
                let rows = execute(conn, guard).map_err(|e| StepError::new(db_error(e)))?;
                if !rows.is_empty() {
                    return Ok(Committed::Skipped);
                }
            }
            let started = Instant::now();
            for (index, (start, sql)) in transaction.statements.iter().enumerate() {
                execute(conn, sql).map_err(|e| {
                    let error = db_error(e);
                    let offset = error
                        .position
                        .and_then(|chars| char_to_byte(sql, chars))
                        .map(|bytes| start + bytes);
                    StepError {
                        offset,
                        failure: Failure::Statement {
                            index: Some(index),
                            completed: 0,
                        },
                        ..StepError::new(error)
                    }
                })?;
            }
            let tail = (transaction.tail)(started.elapsed().max(Duration::from_nanos(1)));
            let mut last = Vec::new();
            for (index, sql) in tail.iter().enumerate() {
                last = execute(conn, sql).map_err(|e| StepError {
                    failure: Failure::Statement {
                        index: Some(transaction.statements.len() + index),
                        completed: 0,
                    },
                    ..StepError::new(db_error(e))
                })?;
            }
            Ok(Committed::Done(last))
        })
    }

    fn session_lock(&self, _table: &HistoryTable) -> Option<SessionLockSql> {
        None
    }

    async fn read_only(&mut self) -> Result<Option<ReadOnly>, DbError> {
        if self.is_readonly(rusqlite::MAIN_DB).map_err(db_error)? {
            return Ok(Some(ReadOnly::ReadOnlyFile));
        }
        let query_only: i64 = self
            .query_row("PRAGMA query_only", [], |row| row.get(0))
            .map_err(db_error)?;
        Ok((query_only != 0).then_some(ReadOnly::QueryOnly))
    }

    fn set_lock_wait(&mut self, timeout: Option<Duration>) -> Result<(), DbError> {
        self.busy_timeout(timeout.unwrap_or(DEFAULT_BUSY_TIMEOUT))
            .map_err(db_error)
    }
}
