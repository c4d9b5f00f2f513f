//! The `Driver` trait: the few operations the runner needs from a database. Implemented
//! for `tokio_postgres::Client` and `rusqlite::Connection`, so `MIGRATIONS.run(&mut client)`
//! takes either directly.
//!
//! The methods are `async fn` (native in Rust 1.75+). The trait is not object safe; code that
//! picks a database at run time (the CLI) wraps the drivers in an enum that implements it.

use std::time::Duration;

use strata_core::model::Migration;

use crate::error::{DbError, Error};
use crate::history::{AppliedMigration, HistoryTable};
use crate::plan::RevertStep;

/// How a step failed: the database error, with its position as a byte offset into the
/// section's SQL when known, and for statement-by-statement runs which statement failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    pub error: DbError,
    /// Byte offset into the section's SQL (not the batch sent) where the error is.
    pub offset: Option<usize>,
    /// 0-based index of the failing statement when statements ran one by one.
    pub statement: Option<usize>,
    /// Statements that ran and stay in effect (no-transaction runs only).
    pub completed: usize,
}

impl StepError {
    pub fn new(error: DbError) -> Self {
        StepError { error, offset: None, statement: None, completed: 0 }
    }
}

/// Result of applying one migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Applied and recorded; execution time in milliseconds.
    Now { execution_ms: i64 },
    /// Another runner applied it between planning and applying (SQLite, which has no
    /// session lock, re-checks inside the migration's own write transaction).
    Already,
}

#[allow(async_fn_in_trait)]
pub trait Driver {
    /// Creates the history table if needed and reads it, ordered by version.
    async fn read_history(&mut self, table: &HistoryTable) -> Result<Vec<AppliedMigration>, DbError>;

    /// Serializes runners until [`Driver::unlock`]: waits for the lock (logging who holds
    /// it), gives up after `timeout`, and returns the history as read under the lock.
    async fn lock(&mut self, table: &HistoryTable, timeout: Option<Duration>) -> Result<Vec<AppliedMigration>, Error>;

    async fn unlock(&mut self, table: &HistoryTable) -> Result<(), DbError>;

    /// Runs the UP and records the history row, atomically for transactional migrations.
    async fn apply(&mut self, table: &HistoryTable, migration: &Migration) -> Result<Applied, StepError>;

    /// Runs a DOWN and deletes the history row, atomically for transactional migrations.
    async fn revert(&mut self, table: &HistoryTable, step: &RevertStep<'_>) -> Result<(), StepError>;
}

/// Statement texts of a DOWN: from the embedded boundaries, else split now (stored SQL).
pub(crate) fn revert_statements<'a>(step: &'a RevertStep<'_>) -> Vec<(usize, &'a str)> {
    match step.section {
        Some(section) => section.statement_texts().map(|(s, sql)| (s.range().start, sql)).collect(),
        None => {
            let sql: &str = &step.sql;
            let (tokens, _) = strata_core::lexer::lex(strata_core::Dialect::Postgres, sql);
            strata_core::statements::split(sql, &tokens, &(0..sql.len()))
                .into_iter()
                .map(|s| (s.range.start, &sql[s.range]))
                .collect()
        }
    }
}

/// Converts a 0-based character index into `text` to a byte offset.
pub(crate) fn char_to_byte(text: &str, chars: usize) -> Option<usize> {
    text.char_indices().map(|(i, _)| i).chain([text.len()]).nth(chars)
}
