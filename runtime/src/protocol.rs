//! The history protocol over a backend's primitives: the start-up probe (creating or
//! upgrading the table when it must), reading the rows, and applying or reverting one
//! migration together with its history row. The SQL comes from `history/sql.rs`; the
//! session lock from `lock.rs`.

use std::time::{Duration, Instant, SystemTime};

use strata_model::Dialect;
use strata_model::implicit_commit::commits_implicitly;
use strata_model::migration::Migration;
use tracing::{debug, info};

use crate::driver::{Committed, DbErrorKind, Driver, Row, StepError, Transaction};
use crate::error::{DbError, Error, Result};
use crate::history::AppliedMigration;
use crate::history::sql::{Count, Execution, HistorySql, LAYOUT, millis};
use crate::plan::RevertStep;

/// What a no-op start-up compares, all stored in the history's top row: its version; its
/// `chain`, the [`Migration::prefix_digest`] (SHA-256 of `"v1:c1,v2:c2,..."` up to that
/// migration) of the list that applied it; and `history_count`, the number of rows, which
/// every insert and delete keeps (and sets to NULL on the rows above an out-of-order insert
/// or delete). Equal to the embedded migration at the same count, it shows the database
/// holds exactly the embedded list up to there, checksums included. Rows edited by hand are
/// not detected here; any difference falls through to the full read and its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    /// Rows in the history table (as the top row records it).
    pub(crate) count: i64,
    /// The highest applied version (0 when empty).
    pub(crate) max_version: i64,
    /// The highest row's `chain` (empty when there are no rows).
    pub(crate) digest: String,
}

/// Runs one statement list and returns its result sets.
async fn query<D: Driver>(conn: &mut D, statements: &[&str]) -> Result<Vec<Vec<Row>>, DbError> {
    conn.run_batch(statements).await
}

/// The start-up probe: the top row's fingerprint, creating the table when it does not exist
/// and upgrading it when its layout is older. `None` when the top row does not vouch for the
/// history (a NULL count or chain): read it all.
pub(crate) async fn probe<D: Driver>(
    conn: &mut D,
    sql: &HistorySql,
) -> Result<Option<Fingerprint>> {
    let probe = sql.probe();
    let sets = match query(conn, &[&probe]).await {
        Ok(sets) => sets,
        Err(error) if error.kind == DbErrorKind::UndefinedTable => {
            create(conn, sql, &probe).await?
        }
        Err(error) if error.kind == DbErrorKind::UndefinedColumn => {
            upgrade(conn, sql).await?;
            query(conn, &[&probe]).await.map_err(Error::Database)?
        }
        Err(error) => return Err(Error::Database(error)),
    };
    let Some(row) = sets.into_iter().flatten().next() else {
        return Ok(Some(Fingerprint {
            count: 0,
            max_version: 0,
            digest: String::new(),
        }));
    };
    let number = |i: usize| row.get(i)?.as_deref()?.parse::<i64>().ok();
    if let Some(layout) = number(3).filter(|layout| *layout > LAYOUT) {
        return Err(Error::HistoryLayout {
            table: sql.quoted().to_string(),
            found: layout,
            supported: LAYOUT,
        });
    }
    Ok(
        match (number(2), number(0), row.get(1).cloned().flatten()) {
            (Some(count), Some(max_version), Some(digest)) => Some(Fingerprint {
                count,
                max_version,
                digest,
            }),
            _ => None,
        },
    )
}

/// Creates the history table and runs `then` on it, in one round trip; returns `then`'s
/// rows. Two first runners may race: the loser sees a unique violation on the catalog or
/// "already exists" (PostgreSQL), and the table exists either way.
async fn create<D: Driver>(conn: &mut D, sql: &HistorySql, then: &str) -> Result<Vec<Vec<Row>>> {
    info!(table = %sql.quoted(), "creating the history table");
    let create = sql.create();
    let batch: Vec<&str> = create.iter().map(String::as_str).chain([then]).collect();
    let mut attempts = 0;
    loop {
        match query(conn, &batch).await {
            Ok(mut sets) => return Ok(sets.split_off(create.len())),
            Err(error) if error.kind == DbErrorKind::InsufficientPrivilege => {
                return Err(Error::CannotCreateHistory {
                    table: sql.quoted().to_string(),
                    ddl: create.join(";\n"),
                    error,
                });
            }
            Err(error) => {
                let lost_race =
                    matches!(error.code.as_str(), "23505" | "42P07" | "42P06" | "42710");
                attempts += 1;
                if !lost_race || attempts > 3 {
                    return Err(Error::Database(error));
                }
                debug!(code = %error.code, "lost the race to create the history table; again");
            }
        }
    }
}

/// Brings a table of an older layout to this one, in place, keeping every row.
async fn upgrade<D: Driver>(conn: &mut D, sql: &HistorySql) -> Result<()> {
    let (guard, statements) = sql.upgrade();
    info!(table = %sql.quoted(), layout = LAYOUT, "upgrading the history table's layout");
    let texts: Vec<(usize, &str)> = statements.iter().map(|s| (0, s.as_str())).collect();
    let joined = statements.join(";\n");
    let tail = |_: Duration| Vec::new();
    let transaction = Transaction {
        guard: Some(&guard),
        sql: &joined,
        statements: &texts,
        tail: &tail,
    };
    match conn.run_transaction(&transaction).await {
        Ok(_) => Ok(()),
        Err(step) => Err(Error::Database(step.error)),
    }
}

/// How a read treats the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    /// Status and dry runs: write nothing; a missing table is an empty history, an older
    /// layout is read as it is.
    Look,
    /// Before writing: a missing table is an empty history; an older layout is upgraded.
    Upgrade,
    /// A run: a missing table is created, an older layout upgraded.
    Create,
}

/// Every row, by version, in one round trip when the table is there in this layout.
pub(crate) async fn read<D: Driver>(
    conn: &mut D,
    sql: &HistorySql,
    mode: Read,
) -> Result<Vec<AppliedMigration>> {
    let select = sql.select_rows(mode != Read::Look);
    match query(conn, &[&select]).await {
        Ok(sets) => parse_rows(sets.into_iter().flatten()),
        Err(error) => match (error.kind, mode) {
            (DbErrorKind::UndefinedTable, Read::Create) => {
                parse_rows(create(conn, sql, &select).await?.into_iter().flatten())
            }
            (DbErrorKind::UndefinedTable, _) => Ok(Vec::new()),
            (DbErrorKind::UndefinedColumn, Read::Upgrade | Read::Create) => {
                upgrade(conn, sql).await?;
                let sets = query(conn, &[&select]).await.map_err(Error::Database)?;
                parse_rows(sets.into_iter().flatten())
            }
            _ => Err(Error::Database(error)),
        },
    }
}

/// Rows as [`HistorySql::select_rows`] returns them.
pub(crate) fn parse_rows(rows: impl Iterator<Item = Row>) -> Result<Vec<AppliedMigration>> {
    rows.map(|row| parse_row(&row)).collect()
}

fn parse_row(row: &[Option<String>]) -> Result<AppliedMigration> {
    let text = |i: usize| row.get(i).cloned().flatten();
    let number = |i: usize| text(i).and_then(|v| v.parse::<i64>().ok());
    let version = number(0).ok_or_else(|| {
        Error::Database(DbError::new(
            "",
            format!("unreadable history row: version {:?}", text(0)),
        ))
    })?;
    let applied_ms = number(5).unwrap_or(0);
    Ok(AppliedMigration {
        version,
        name: text(1).unwrap_or_default(),
        checksum: text(2).unwrap_or_default(),
        down_sql: text(3),
        transactional: !matches!(text(4).as_deref(), Some("f" | "0" | "false")),
        applied_at: if applied_ms >= 0 {
            SystemTime::UNIX_EPOCH + Duration::from_millis(applied_ms.unsigned_abs())
        } else {
            SystemTime::UNIX_EPOCH - Duration::from_millis(applied_ms.unsigned_abs())
        },
        execution: Duration::from_millis(number(6).unwrap_or(0).max(0).unsigned_abs()),
    })
}

/// Result of applying one migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    /// Applied and recorded, taking this long.
    Now(Duration),
    /// Another runner applied it between planning and applying (no session lock: the
    /// transaction's guard saw its row).
    Already,
}

/// A section's statements with their byte offsets.
fn statements_of(section: &strata_model::migration::Section) -> Vec<(usize, &str)> {
    section
        .statement_texts()
        .map(|(s, sql)| (s.range().start, sql))
        .collect()
}

/// Whether a section runs in one transaction with its history row: its migration is
/// transactional and none of its statements commits by itself on this backend (MySQL's
/// DDL; see [`commits_implicitly`]). Otherwise it runs statement by statement, the row
/// written after the last, as a `no-transaction` migration does.
pub(crate) fn atomic<'a>(
    transactional: bool,
    mut statements: impl Iterator<Item = &'a str>,
    dialect: Dialect,
) -> bool {
    transactional && !statements.any(|text| commits_implicitly(dialect, text))
}

/// [`atomic`] for a migration's UP.
pub(crate) fn up_is_atomic(migration: &Migration, dialect: Dialect) -> bool {
    atomic(
        migration.transactional(),
        migration
            .up_section()
            .statement_texts()
            .map(|(_, text)| text),
        dialect,
    )
}

/// The `execution_ms` an INSERT ... RETURNING gave back.
fn returned_ms(rows: &[Row]) -> Option<Duration> {
    let ms = rows.last()?.first()?.as_deref()?.parse::<i64>().ok()?;
    Some(Duration::from_millis(ms.max(0).unsigned_abs()))
}

/// Runs the UP and records it: atomically for a transactional migration (guarded when no
/// session lock serializes runners), statement by statement otherwise, the row after the
/// last statement. `durable`: this commit waits for the disk (the run's last one).
pub(crate) async fn apply<D: Driver>(
    conn: &mut D,
    sql: &HistorySql,
    migration: &Migration,
    count: Count,
    durable: bool,
    guarded: bool,
) -> Result<Applied, StepError> {
    let statements = statements_of(migration.up_section());
    let started = Instant::now();
    if !up_is_atomic(migration, sql.dialect()) {
        let tail = |elapsed: Duration| {
            let execution = if elapsed.is_zero() {
                Execution::Server
            } else {
                Execution::Measured(elapsed)
            };
            sql.insert(migration, count, execution)
        };
        let work = Transaction {
            guard: None,
            sql: migration.up(),
            statements: &statements,
            tail: &tail,
        };
        let rows = conn.run_in_order(&work).await?;
        return Ok(Applied::Now(
            returned_ms(&rows).unwrap_or_else(|| started.elapsed()),
        ));
    }
    let guard = guarded.then(|| sql.recorded(migration.version()));
    let pending = Pending {
        migration,
        count,
        durable,
    };
    let tail = |elapsed: Duration| tail(sql, &pending, elapsed);
    let transaction = Transaction {
        guard: guard.as_deref(),
        sql: migration.up(),
        statements: &statements,
        tail: &tail,
    };
    match conn.run_transaction(&transaction).await? {
        Committed::Done(rows) => {
            Ok(Applied::Now(returned_ms(&rows).unwrap_or_else(|| {
                Duration::from_millis(millis(started.elapsed()).unsigned_abs())
            })))
        }
        Committed::Skipped => Ok(Applied::Already),
    }
}

/// Whether a statement controls the transaction (`BEGIN`, `START TRANSACTION`, `COMMIT`,
/// `END`, `ROLLBACK` but not `ROLLBACK TO`, `ABORT`): such a migration is never pipelined,
/// since a pipelining backend finds each transaction's end by its own COMMIT. (The
/// transaction-nesting lint denies these by default; this holds where it was allowed.)
fn controls_transaction(statement: &str) -> bool {
    let mut text = statement;
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix("--") {
            text = rest.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(rest) = text.strip_prefix("/*") {
            text = rest.split_once("*/").map_or("", |(_, after)| after);
        } else {
            break;
        }
    }
    let mut words = text
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase);
    match (words.next().as_deref(), words.next().as_deref()) {
        (Some("BEGIN" | "COMMIT" | "END" | "ABORT"), _) => true,
        (Some("START"), Some("TRANSACTION")) => true,
        (Some("ROLLBACK"), second) => second != Some("TO"),
        _ => false,
    }
}

/// Whether `migration` may go into one message with others: transactional, no guard needed
/// (a session lock serializes runners), and no transaction control of its own.
pub(crate) fn pipelinable(migration: &Migration, guarded: bool, dialect: Dialect) -> bool {
    up_is_atomic(migration, dialect)
        && !guarded
        && !migration
            .up_section()
            .statement_texts()
            .any(|(_, text)| controls_transaction(text))
}

/// One migration of a pipelined group: what its history row records.
pub(crate) struct Pending<'a> {
    pub(crate) migration: &'a Migration,
    pub(crate) count: Count,
    pub(crate) durable: bool,
}

/// Applies `group` (each [`pipelinable`]) through [`Driver::run_transactions`]: one message
/// on PostgreSQL, each migration still its own transaction with its history row.
/// `applied(i, execution)` is called as each commit is confirmed. On failure: the index of
/// the migration that failed; every one before it committed, none after it ran.
pub(crate) async fn apply_group<D: Driver>(
    conn: &mut D,
    sql: &HistorySql,
    group: &[Pending<'_>],
    applied: &mut (dyn FnMut(usize, Duration) + Send),
) -> Result<(), (usize, StepError)> {
    type Tail<'t> = Box<dyn Fn(Duration) -> Vec<String> + Send + Sync + 't>;
    let statements: Vec<Vec<(usize, &str)>> = group
        .iter()
        .map(|p| statements_of(p.migration.up_section()))
        .collect();
    let tails: Vec<Tail<'_>> = group
        .iter()
        .map(|p| -> Tail<'_> { Box::new(move |elapsed| tail(sql, p, elapsed)) })
        .collect();
    let transactions: Vec<Transaction<'_>> = group
        .iter()
        .zip(&statements)
        .zip(&tails)
        .map(|((p, statements), tail)| Transaction {
            guard: None,
            sql: p.migration.up(),
            statements,
            tail: tail.as_ref(),
        })
        .collect();
    let started = Instant::now();
    let mut confirmed = |index: usize, outcome: Committed| {
        let execution = match outcome {
            Committed::Done(rows) => returned_ms(&rows).unwrap_or_else(|| started.elapsed()),
            Committed::Skipped => Duration::ZERO,
        };
        applied(index, execution);
    };
    conn.run_transactions(&transactions, &mut confirmed).await
}

/// A migration's history statements: asynchronous commit unless it is the run's last, then
/// the row (measured by the server when the backend sends everything at once).
fn tail(sql: &HistorySql, pending: &Pending<'_>, elapsed: Duration) -> Vec<String> {
    let execution = if elapsed.is_zero() {
        Execution::Server
    } else {
        Execution::Measured(elapsed)
    };
    let mut tail: Vec<String> = sql
        .asynchronous_commit()
        .filter(|_| !pending.durable)
        .map(str::to_string)
        .into_iter()
        .collect();
    tail.extend(sql.insert(pending.migration, pending.count, execution));
    tail
}

/// Statement texts of a DOWN with their byte offsets: from the embedded boundaries, else
/// split now (stored SQL) with the backend's own dialect.
pub(crate) fn revert_statements<'a>(
    step: &'a RevertStep<'_>,
    dialect: strata_model::Dialect,
) -> Vec<(usize, &'a str)> {
    match step.section {
        Some(section) => statements_of(section),
        None => strata_model::split_stored(dialect, &step.sql),
    }
}

/// Runs a DOWN and deletes the history row, atomically for transactional migrations.
/// `false` when another runner rolled it back first (guarded runs only).
pub(crate) async fn revert<D: Driver>(
    conn: &mut D,
    sql: &HistorySql,
    step: &RevertStep<'_>,
    guarded: bool,
) -> Result<bool, StepError> {
    let statements = revert_statements(step, conn.dialect());
    let delete = sql.delete(step.version);
    let texts = statements.iter().map(|(_, text)| *text);
    let tail = |_: Duration| delete.clone();
    if !atomic(step.transactional, texts, conn.dialect()) {
        let work = Transaction {
            guard: None,
            sql: &step.sql,
            statements: &statements,
            tail: &tail,
        };
        conn.run_in_order(&work).await?;
        return Ok(true);
    }
    let guard = guarded.then(|| sql.not_recorded(step.version));
    let transaction = Transaction {
        guard: guard.as_deref(),
        sql: &step.sql,
        statements: &statements,
        tail: &tail,
    };
    Ok(conn.run_transaction(&transaction).await? != Committed::Skipped)
}

#[cfg(test)]
mod tests {
    use super::controls_transaction;

    #[test]
    fn transaction_control_is_the_first_word_after_comments() {
        for text in [
            "BEGIN",
            "begin transaction",
            "-- note\nCOMMIT",
            "/* x */ END",
            "START TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "ROLLBACK",
            "abort",
        ] {
            assert!(controls_transaction(text), "{text}");
        }
        for text in [
            "ROLLBACK TO SAVEPOINT a",
            "SAVEPOINT a",
            "CREATE TABLE begin_at (id int)",
            "START_AT",
            "SELECT 1",
            "-- COMMIT\nSELECT 1",
        ] {
            assert!(!controls_transaction(text), "{text}");
        }
    }
}
