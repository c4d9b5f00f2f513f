//! SQLite through rusqlite (bundled SQLite, no system library needed).
//!
//! SQLite has no session lock, and none is needed: every transactional migration runs in
//! `BEGIN IMMEDIATE`, which takes the database's write lock (a second runner waits for it,
//! up to the busy timeout), re-checks inside that transaction that the version is still
//! unapplied, applies the statements one by one and inserts the history row before COMMIT.
//! Two runners on one file therefore apply each migration exactly once. A runner that
//! waits longer than the busy timeout fails with SQLite's "database is locked".

use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension};
use strata_core::model::Migration;

use crate::driver::{Applied, Driver, Recording, StepError, revert_statements};
use crate::error::{DbError, Error};
use crate::history::{AppliedMigration, HistoryTable};
use crate::plan::RevertStep;

/// How long a runner waits for another's write lock when no lock timeout is set.
const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(600);

fn db_error(error: &rusqlite::Error) -> DbError {
    let code = match error {
        rusqlite::Error::SqliteFailure(e, _) => format!("{:?}", e.code),
        _ => String::new(),
    };
    let mut message = error.to_string();
    if message.contains("database is locked") {
        message.push_str(" (another runner holds the write lock longer than the busy timeout; raise lock_timeout)");
    }
    DbError {
        code,
        message,
        position: None,
    }
}

fn create_table(table: &HistoryTable) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, \
         down_sql TEXT, transactional INTEGER NOT NULL, applied_at TEXT NOT NULL, execution_ms INTEGER NOT NULL)",
        table.quoted()
    )
}

fn read_rows(conn: &Connection, table: &HistoryTable) -> rusqlite::Result<Vec<AppliedMigration>> {
    let mut statement = conn.prepare(&format!(
        "SELECT version, name, checksum, down_sql, transactional, applied_at, execution_ms FROM {} ORDER BY version",
        table.quoted()
    ))?;
    let rows = statement.query_map([], |row| {
        Ok(AppliedMigration {
            version: row.get(0)?,
            name: row.get(1)?,
            checksum: row.get(2)?,
            down_sql: row.get(3)?,
            transactional: row.get::<_, i64>(4)? != 0,
            applied_at: row.get(5)?,
            execution_ms: row.get(6)?,
        })
    })?;
    rows.collect()
}

/// Runs one statement, draining any rows it returns (a verification `SELECT` at the end of a
/// migration is fine).
fn execute(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    let mut statement = conn.prepare(sql)?;
    let mut rows = statement.raw_query();
    while rows.next()?.is_some() {}
    Ok(())
}

fn one_by_one(conn: &Connection, statements: &[(usize, &str)]) -> Result<(), StepError> {
    for (index, (_, sql)) in statements.iter().enumerate() {
        if let Err(error) = execute(conn, sql) {
            return Err(StepError {
                statement: Some(index),
                completed: index,
                ..StepError::new(db_error(&error))
            });
        }
    }
    Ok(())
}

/// Runs `body` inside `BEGIN IMMEDIATE ... COMMIT`, rolling back on any error.
fn immediate<T>(
    conn: &Connection,
    body: impl FnOnce(&Connection) -> Result<T, StepError>,
) -> Result<T, StepError> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| StepError::new(db_error(&e)))?;
    match body(conn) {
        Ok(value) => match conn.execute_batch("COMMIT") {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(StepError::new(db_error(&e)))
            }
        },
        Err(error) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(error)
        }
    }
}

fn insert_row(
    conn: &Connection,
    table: &HistoryTable,
    migration: &Migration,
    execution_ms: i64,
) -> rusqlite::Result<usize> {
    conn.execute(
        &format!(
            "INSERT INTO {} (version, name, checksum, down_sql, transactional, applied_at, execution_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?6)",
            table.quoted()
        ),
        rusqlite::params![
            migration.version(),
            migration.name(),
            migration.checksum(),
            migration.down(),
            migration.transactional(),
            execution_ms
        ],
    )
}

fn is_applied(conn: &Connection, table: &HistoryTable, version: i64) -> rusqlite::Result<bool> {
    conn.query_row(
        &format!("SELECT 1 FROM {} WHERE version = ?1", table.quoted()),
        [version],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}

impl Driver for Connection {
    async fn read_history(
        &mut self,
        table: &HistoryTable,
    ) -> Result<Vec<AppliedMigration>, DbError> {
        self.execute_batch(&create_table(table))
            .map_err(|e| db_error(&e))?;
        read_rows(self, table).map_err(|e| db_error(&e))
    }

    async fn lock(
        &mut self,
        table: &HistoryTable,
        timeout: Option<Duration>,
    ) -> Result<Vec<AppliedMigration>, Error> {
        self.busy_timeout(timeout.unwrap_or(DEFAULT_BUSY_TIMEOUT))
            .map_err(|e| Error::Database(db_error(&e)))?;
        read_rows(self, table).map_err(|e| Error::Database(db_error(&e)))
    }

    async fn unlock(&mut self, _table: &HistoryTable) -> Result<(), DbError> {
        Ok(())
    }

    async fn apply(
        &mut self,
        table: &HistoryTable,
        migration: &Migration,
        _recording: Recording,
    ) -> Result<Applied, StepError> {
        let statements: Vec<(usize, &str)> = migration
            .up_section()
            .statement_texts()
            .map(|(s, sql)| (s.range().start, sql))
            .collect();
        let started = Instant::now();
        if !migration.transactional() {
            one_by_one(self, &statements)?;
            let execution_ms = started.elapsed().as_millis() as i64;
            insert_row(self, table, migration, execution_ms).map_err(|e| StepError {
                completed: statements.len(),
                recording: true,
                ..StepError::new(db_error(&e))
            })?;
            return Ok(Applied::Now { execution_ms });
        }
        immediate(self, |conn| {
            if is_applied(conn, table, migration.version())
                .map_err(|e| StepError::new(db_error(&e)))?
            {
                return Ok(Applied::Already);
            }
            one_by_one(conn, &statements).map_err(|e| StepError { completed: 0, ..e })?;
            let execution_ms = started.elapsed().as_millis() as i64;
            insert_row(conn, table, migration, execution_ms)
                .map_err(|e| StepError::new(db_error(&e)))?;
            Ok(Applied::Now { execution_ms })
        })
    }

    async fn revert(
        &mut self,
        table: &HistoryTable,
        step: &RevertStep<'_>,
    ) -> Result<(), StepError> {
        let statements = revert_statements(step);
        let delete = format!("DELETE FROM {} WHERE version = ?1", table.quoted());
        if !step.transactional {
            one_by_one(self, &statements)?;
            return self
                .execute(&delete, [step.version])
                .map(|_| ())
                .map_err(|e| StepError {
                    completed: statements.len(),
                    recording: true,
                    ..StepError::new(db_error(&e))
                });
        }
        immediate(self, |conn| {
            one_by_one(conn, &statements).map_err(|e| StepError { completed: 0, ..e })?;
            conn.execute(&delete, [step.version])
                .map(|_| ())
                .map_err(|e| StepError::new(db_error(&e)))
        })
    }
}
