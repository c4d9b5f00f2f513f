//! What a database backend implements: a handful of transport primitives. The runtime owns
//! every statement of the history protocol (its DDL, inserts, deletes, the start-up probe,
//! the lock's use) and builds it for the backend's [`Dialect`]; a backend only sends SQL and
//! reports what came back.
//!
//! Implemented for `tokio_postgres::Client` (feature `postgres`), `rusqlite::Connection`
//! (feature `sqlite`) and `mysql_async::Conn` (feature `mysql`), so
//! `MIGRATIONS.run(&mut client)` takes any of them directly. Code that picks a database at
//! run time (the CLI) wraps them in an enum implementing [`Driver`] by delegation.

use std::time::Duration;

pub use strata_model::Dialect;

pub use crate::error::{DbError, DbErrorKind};
pub use crate::history::HistoryTable;

#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "postgres-sync")]
pub mod postgres_sync;
#[cfg(feature = "sqlite")]
pub mod sqlite;

/// One row, every value as text (`None` for NULL), as PostgreSQL's simple-query protocol
/// returns it; other backends convert.
pub type Row = Vec<Option<String>>;

/// One migration's work in one transaction: optionally a guard, then the section's SQL, then
/// the runtime's history statements, committed together or not at all.
pub struct Transaction<'a> {
    /// Runs first, inside the transaction. If it returns a row, the backend rolls back and
    /// returns [`Committed::Skipped`]. The runtime uses it where no session lock serializes
    /// runners (SQLite): another runner may have done this step meanwhile.
    pub guard: Option<&'a str>,
    /// The section's SQL as written. A backend may send it whole (PostgreSQL: error
    /// positions then index into it) or run [`statements`](Self::statements) one by one.
    pub sql: &'a str,
    /// The section's statements: byte offset into `sql` and text.
    pub statements: &'a [(usize, &'a str)],
    /// The history statements to run after the SQL, given how long the SQL took as the
    /// backend measured it (backends that send everything at once pass zero; the runtime
    /// then lets the server measure). The rows of the last one are returned.
    pub tail: &'a (dyn Fn(Duration) -> Vec<String> + Sync),
}

/// What [`Driver::run_transaction`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Committed {
    /// Committed; the rows returned by the tail's last statement.
    Done(Vec<Row>),
    /// The guard returned a row: rolled back, nothing ran.
    Skipped,
}

/// Where a step failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// A statement failed. `index` is the 0-based statement of the section when known (past
    /// the section's statements: the runtime's own history statements); `completed`
    /// statements before it ran and stay in effect (always 0 in a transaction, which rolled
    /// back).
    Statement {
        /// 0-based index of the failing statement, when known.
        index: Option<usize>,
        /// Statements that ran and stay in effect.
        completed: usize,
    },
    /// Every statement ran (outside a transaction) and the history update failed.
    Recording {
        /// Statements that ran and stay in effect.
        completed: usize,
    },
}

/// How a step failed: the database's error, where in the section's SQL, and what ran.
#[derive(Debug, Clone, PartialEq)]
pub struct StepError {
    /// What the database said. Its `position` is ignored: backends put the translated
    /// position in `offset`.
    pub error: DbError,
    /// Byte offset into the section's SQL (not into what was sent) where the error is.
    pub offset: Option<usize>,
    /// Which statement failed, and what ran.
    pub failure: Failure,
}

impl StepError {
    /// A statement failure with no position and no statement information.
    pub fn new(error: DbError) -> Self {
        StepError {
            error,
            offset: None,
            failure: Failure::Statement {
                index: None,
                completed: 0,
            },
        }
    }
}

/// The statements of a backend's session lock (held until unlocked or the session ends), built
/// for one history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLockSql {
    /// Tries once without waiting; returns one row whose first value is true (`t`, `1` or
    /// `true`) when the lock was taken.
    pub try_lock: String,
    /// Who holds it: one row, one text value describing the holder (`pid 123 (app)`),
    /// when another session does.
    pub holder: String,
    /// One row whose first value is true when this very session holds it: false right after
    /// taking it means a proxy ran the two statements on different server connections.
    pub held: String,
    /// Releases it.
    pub unlock: String,
}

/// A database the runtime can drive. See the module documentation.
///
/// # Design: `async fn`, generic, not `dyn`
///
/// The methods are native `async fn`, so the trait is not dyn-compatible and the futures
/// carry no `Send` bound in the trait. For a concrete type the compiler sees the concrete
/// futures, so `tokio::spawn(async move { MIGRATIONS.run(&mut client).await })` works for
/// `tokio_postgres::Client`. A synchronous database (rusqlite) does its work on the first
/// poll, which blocks the executor thread for a migration: what a start-up run wants anyway.
#[allow(async_fn_in_trait)]
pub trait Driver {
    /// The SQL this backend speaks: the runtime builds the history protocol for it, and
    /// splits stored SQL with its lexer.
    fn dialect(&self) -> Dialect;

    /// Runs `statements` outside any transaction the runtime opened and returns one result
    /// set per statement, in order. A backend sends them in one round trip where it can
    /// (PostgreSQL's simple query runs them as one implicit transaction); the first failure
    /// stops the rest. A single statement's error position (`DbError::position`) is a
    /// character offset into it. A statement that must run outside any transaction block
    /// (`CREATE INDEX CONCURRENTLY`) is always sent alone.
    async fn run_batch(&mut self, statements: &[&str]) -> Result<Vec<Vec<Row>>, DbError>;

    /// Runs one [`Transaction`]: BEGIN, the guard, the SQL, the tail, COMMIT; on any error
    /// rolls back and says where it failed.
    async fn run_transaction(
        &mut self,
        transaction: &Transaction<'_>,
    ) -> Result<Committed, StepError>;

    /// Runs `transactions` in order, each committed on its own, in as few round trips as the
    /// backend can, stopping at the first failure: everything before it committed, nothing
    /// after it ran. `committed(i, outcome)` is called for each as its commit is confirmed, in
    /// order (so progress shows while the replies stream in). On failure returns the index
    /// of the transaction that failed and its error. The runtime hands over only
    /// transactions without a guard whose SQL holds no transaction control (`BEGIN`,
    /// `COMMIT`, ...), so a backend may find each one's end by its own `COMMIT`. The default
    /// runs them one by one with [`run_transaction`](Driver::run_transaction).
    async fn run_transactions(
        &mut self,
        transactions: &[Transaction<'_>],
        committed: &mut (dyn FnMut(usize, Committed) + Send),
    ) -> Result<(), (usize, StepError)> {
        one_at_a_time(self, transactions, committed).await
    }

    /// Runs `work` outside any transaction: its statements in order, each committed on its
    /// own, then its tail (the history statements, given how long the statements took, or
    /// zero when they go to the server with the tail), stopping at the first failure, which
    /// says how many statements ran ([`Failure::Statement`]) or that only the tail failed
    /// ([`Failure::Recording`]). Returns the rows of the tail's last statement. The guard is
    /// ignored. The default sends each statement alone (PostgreSQL's `CREATE INDEX
    /// CONCURRENTLY` must be), then the tail in one round trip.
    async fn run_in_order(&mut self, work: &Transaction<'_>) -> Result<Vec<Row>, StepError> {
        one_by_one(self, work).await
    }

    /// The session lock this backend offers for `table`, if any. Without one, the runtime
    /// serializes runners per migration with [`Transaction::guard`] and the database's own
    /// write lock.
    fn session_lock(&self, table: &HistoryTable) -> Option<SessionLockSql>;

    /// Why this session may not write, when it may not: asked only after a write failed with
    /// [`DbErrorKind::ReadOnly`], to say what the server is. `None` (the default): it may,
    /// or the backend cannot tell.
    async fn read_only(&mut self) -> Result<Option<ReadOnly>, DbError> {
        Ok(None)
    }

    /// Waits `delay` between attempts to take a busy session lock. The default sleeps on
    /// tokio's timer (feature `postgres`), else blocks the thread; a synchronous client
    /// blocks the thread.
    async fn pause(&mut self, delay: Duration) {
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        tokio::time::sleep(delay).await;
        #[cfg(not(any(feature = "postgres", feature = "mysql")))]
        std::thread::sleep(delay);
    }

    /// How long a write waits for another connection's write lock, for backends where that
    /// wait is a connection setting (SQLite's busy timeout; `None`: the backend's default).
    /// Backends with a session lock ignore it.
    fn set_lock_wait(&mut self, timeout: Option<Duration>) -> Result<(), DbError> {
        let _ = timeout;
        Ok(())
    }
}

/// Why a session may not write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadOnly {
    /// A hot standby: a read replica in recovery (`pg_is_in_recovery()`).
    Replica,
    /// `default_transaction_read_only` is on (for the role, the database or the server).
    ReadOnlyByDefault,
    /// This session's transactions are read-only (`SET SESSION CHARACTERISTICS ...`).
    ReadOnlySession,
    /// A SQLite database opened read-only (`?mode=ro`, or a file without write permission).
    ReadOnlyFile,
    /// SQLite's `PRAGMA query_only` is on.
    QueryOnly,
    /// A MySQL or MariaDB server running with `read_only` on (a replica, usually).
    ServerReadOnly,
    /// The database refused the write as read-only and said no more.
    Unknown,
}

impl ReadOnly {
    /// What to do about it.
    pub fn advice(self) -> &'static str {
        match self {
            ReadOnly::Replica => {
                "point `up` / `down` at the primary (this server replays the primary's changes)"
            }
            ReadOnly::ReadOnlyByDefault => {
                "connect as a role or to a database without `default_transaction_read_only = on`, \
                 or point at the primary if this is a read-only endpoint"
            }
            ReadOnly::ReadOnlySession => {
                "use a session whose transactions are read-write (`SET SESSION CHARACTERISTICS \
                 AS TRANSACTION READ WRITE`)"
            }
            ReadOnly::ReadOnlyFile => {
                "open the database read-write (without `?mode=ro`, with write permission on the \
                 file and its directory)"
            }
            ReadOnly::QueryOnly => "turn `PRAGMA query_only` off for this connection",
            ReadOnly::ServerReadOnly => {
                "point `up` / `down` at the primary, or turn `read_only` off on this server"
            }
            ReadOnly::Unknown => "point `up` / `down` at a database that accepts writes",
        }
    }
}

impl std::fmt::Display for ReadOnly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ReadOnly::Replica => "it is a hot standby, a read replica",
            ReadOnly::ReadOnlyByDefault => "default_transaction_read_only is on",
            ReadOnly::ReadOnlySession => "this session's transactions are read-only",
            ReadOnly::ReadOnlyFile => "the SQLite database is open read-only",
            ReadOnly::QueryOnly => "PRAGMA query_only is on",
            ReadOnly::ServerReadOnly => "the server runs with read_only on",
            ReadOnly::Unknown => "it refused the write as read-only",
        })
    }
}

/// [`Driver::run_transactions`] one round trip each: what backends without pipelining do,
/// and what a pipelining backend falls back to for guarded transactions.
pub async fn one_at_a_time<D: Driver + ?Sized>(
    driver: &mut D,
    transactions: &[Transaction<'_>],
    committed: &mut (dyn FnMut(usize, Committed) + Send),
) -> Result<(), (usize, StepError)> {
    for (index, transaction) in transactions.iter().enumerate() {
        let outcome = driver
            .run_transaction(transaction)
            .await
            .map_err(|error| (index, error))?;
        committed(index, outcome);
    }
    Ok(())
}

/// [`Driver::run_in_order`] one statement per round trip, then the tail in one.
pub async fn one_by_one<D: Driver + ?Sized>(
    driver: &mut D,
    work: &Transaction<'_>,
) -> Result<Vec<Row>, StepError> {
    let started = std::time::Instant::now();
    let statements = work.statements;
    for (index, (start, text)) in statements.iter().enumerate() {
        tracing::debug!(
            statement = index + 1,
            of = statements.len(),
            "running statement"
        );
        if let Err(mut error) = driver.run_batch(&[text]).await {
            let offset = error
                .position
                .take()
                .and_then(|p| char_to_byte(text, p))
                .map(|p| start + p);
            return Err(StepError {
                error,
                offset,
                failure: Failure::Statement {
                    index: Some(index),
                    completed: index,
                },
            });
        }
    }
    // Never zero: zero asks the server to measure, and the statements ran before the tail.
    let tail = (work.tail)(started.elapsed().max(Duration::from_nanos(1)));
    let texts: Vec<&str> = tail.iter().map(String::as_str).collect();
    let sets = driver.run_batch(&texts).await.map_err(|error| StepError {
        error,
        offset: None,
        failure: Failure::Recording {
            completed: statements.len(),
        },
    })?;
    Ok(sets.into_iter().last().unwrap_or_default())
}

/// Converts a 0-based character index into `text` to a byte offset (`None` past the end).
pub(crate) fn char_to_byte(text: &str, chars: usize) -> Option<usize> {
    text.char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .nth(chars)
}

/// Whether a value returned as text is SQL true (`t` from PostgreSQL, `1` from SQLite).
pub(crate) fn is_true(value: Option<&str>) -> bool {
    matches!(value, Some("t" | "1" | "true" | "TRUE"))
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
