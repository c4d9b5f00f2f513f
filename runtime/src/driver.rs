//! The `Driver` trait: the few operations the runner needs from a database.

use std::time::Duration;

use strata_core::model::Migration;

use crate::error::{DbError, Error};
use crate::history::{AppliedMigration, HistoryTable};
use crate::plan::RevertStep;

/// How a step failed: the database error, with its position as a byte offset into the
/// section's SQL when known, and for statement-by-statement runs which statement failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    /// What the database said. Its `position` is ignored by the runner: drivers put the
    /// translated position in `offset`.
    pub error: DbError,
    /// Byte offset into the section's SQL (not into the batch sent) where the error is.
    pub offset: Option<usize>,
    /// 0-based index of the failing statement, when known (statement-by-statement runs, and
    /// PostgreSQL batches, which report how many statements completed). Used for the line
    /// when the server gives no position.
    pub statement: Option<usize>,
    /// Statements that ran and stay in effect (no-transaction runs only).
    pub completed: usize,
    /// Every statement ran and the history update (insert on apply, delete on revert)
    /// failed. Only possible for no-transaction steps.
    pub recording: bool,
}

impl StepError {
    /// A failure with no position and no statement information.
    pub fn new(error: DbError) -> Self {
        StepError {
            error,
            offset: None,
            statement: None,
            completed: 0,
            recording: false,
        }
    }
}

/// Result of applying one migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Applied and recorded.
    Now {
        /// Execution time in milliseconds (measured by the server where it can).
        execution_ms: i64,
    },
    /// Another runner applied it between planning and applying (SQLite, which has no
    /// session lock, re-checks inside the migration's own write transaction).
    Already,
}

/// What a no-op start-up compares, all stored in the history's top row: its version; its
/// `chain`, the [`Migration::prefix_digest`] (SHA-256 of `"v1:c1,v2:c2,..."` up to that
/// migration) of the list that applied it; and `history_count`, the number of rows, which
/// every insert and delete keeps (and sets to NULL on the rows above an out-of-order insert
/// or delete). Equal to the embedded migration at the same count, it shows the database
/// holds exactly the embedded list up to there, checksums included: the row was written by a
/// list that agreed up to its version, with all of that list applied below it, and the count
/// rules out rows added or removed since. Rows edited by hand are not detected here; any
/// difference falls through to the full read and its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Rows in the history table (as the top row records it).
    pub count: i64,
    /// The highest applied version (0 when empty).
    pub max_version: i64,
    /// The highest row's `chain` (empty when there are no rows).
    pub digest: String,
}

/// What the runner, holding the lock and the history it read under it, tells
/// [`Driver::apply`] about the row to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recording {
    /// The commit must wait until it is on disk: `true` for the run's last migration only.
    /// The ones before may commit without waiting, since a database that writes its log in
    /// order (PostgreSQL's WAL) makes the last commit's flush cover them, and a crash before
    /// it loses whole migrations, each with its history row.
    pub durable: bool,
    /// The number of history rows once this one is recorded, when it becomes the top row
    /// (applied above every recorded version): stored for [`Fingerprint::count`]. `None`
    /// for a migration applied out of order, whose rows above must then stop vouching for
    /// the count.
    pub history_count: Option<i64>,
}

/// A database the runner can drive: implemented for `tokio_postgres::Client` (feature
/// `postgres`) and `rusqlite::Connection` (feature `sqlite`), so `MIGRATIONS.run(&mut client)`
/// takes either directly, with no trait import at the call site.
///
/// The runner calls, in order: [`read_history`](Driver::read_history) (start-up: one round
/// trip when nothing is pending), then only if something is to be done
/// [`lock`](Driver::lock), [`apply`](Driver::apply) or [`revert`](Driver::revert) once per
/// migration, and [`unlock`](Driver::unlock) on every path out of the locked section.
/// Planning (what to run, what is wrong) is not the driver's business; see [`crate::plan_up`].
///
/// # Design: `async fn`, generic, not `dyn`
///
/// The methods are native `async fn` (Rust 1.75+), so the trait is not dyn-compatible, and
/// the futures carry no `Send` bound in the trait. For a concrete type (`Client`,
/// `Connection`, or an enum of them) the compiler sees the concrete futures, so
/// `tokio::spawn(async move { MIGRATIONS.run(&mut client).await })` works for
/// `tokio_postgres::Client`. Code that picks a database at run time (the CLI) wraps the
/// drivers in an enum that implements `Driver` by delegating each method; that keeps every
/// call statically dispatched and avoids boxing a future per round trip.
///
/// A synchronous database (rusqlite) implements the methods without awaiting anything: the
/// work happens on the first poll. That blocks the executor thread for the duration of a
/// migration, which is what a migration run at start-up wants anyway.
#[allow(async_fn_in_trait)]
pub trait Driver {
    /// Reads the history table, ordered by version, creating it first if it does not exist.
    async fn read_history(
        &mut self,
        table: &HistoryTable,
    ) -> Result<Vec<AppliedMigration>, DbError>;

    /// The history's [`Fingerprint`], read from its top row, for a start-up with nothing to do
    /// in one small round trip. `Ok(None)` (the default) when the driver does not keep one or
    /// the top row does not vouch for it (NULL count or chain); the runner then reads the
    /// whole history.
    async fn fingerprint(&mut self, table: &HistoryTable) -> Result<Option<Fingerprint>, DbError> {
        let _ = table;
        Ok(None)
    }

    /// Serializes runners until [`Driver::unlock`]: waits for the lock (logging at info who
    /// holds it), gives up after `timeout` with [`Error::LockTimeout`], and returns the
    /// history as read under the lock. The history table exists when this is called.
    async fn lock(
        &mut self,
        table: &HistoryTable,
        timeout: Option<Duration>,
    ) -> Result<Vec<AppliedMigration>, Error>;

    /// Releases what [`Driver::lock`] took. Called on success and on failure.
    async fn unlock(&mut self, table: &HistoryTable) -> Result<(), DbError>;

    /// Runs the UP and records the history row, atomically for transactional migrations;
    /// no-transaction migrations run statement by statement (from
    /// `Section::statement_texts`) and record the row after the last one.
    /// `recording` says how (see [`Recording`]).
    async fn apply(
        &mut self,
        table: &HistoryTable,
        migration: &Migration,
        recording: Recording,
    ) -> Result<Applied, StepError>;

    /// Runs a DOWN and deletes the history row, atomically for transactional migrations.
    async fn revert(
        &mut self,
        table: &HistoryTable,
        step: &RevertStep<'_>,
    ) -> Result<(), StepError>;
}

/// Statement texts of a DOWN with their byte offsets: from the embedded boundaries, else
/// split now (stored SQL).
pub(crate) fn revert_statements<'a>(step: &'a RevertStep<'_>) -> Vec<(usize, &'a str)> {
    match step.section {
        Some(section) => section
            .statement_texts()
            .map(|(s, sql)| (s.range().start, sql))
            .collect(),
        None => {
            let sql: &str = &step.sql;
            let (tokens, _) = strata_core::lexer::lex(strata_core::Dialect::Postgres, sql);
            strata_core::statements::split(sql, &tokens, &(0..sql.len()))
                .into_iter()
                .filter_map(|s| Some((s.range.start, sql.get(s.range)?)))
                .collect()
        }
    }
}

/// Converts a 0-based character index into `text` to a byte offset (`None` past the end).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn char_to_byte(text: &str, chars: usize) -> Option<usize> {
    text.char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .nth(chars)
}

#[cfg(test)]
mod tests {
    use super::char_to_byte;

    #[test]
    fn character_offsets_become_byte_offsets() {
        let text = "é🎉x";
        assert_eq!(char_to_byte(text, 0), Some(0));
        assert_eq!(char_to_byte(text, 1), Some(2));
        assert_eq!(char_to_byte(text, 2), Some(6));
        assert_eq!(char_to_byte(text, 3), Some(7));
        assert_eq!(char_to_byte(text, 4), None);
    }
}
