//! PostgreSQL through tokio-postgres. Only the simple-query protocol is used, so every call
//! below is exactly one round trip (one `Query` message, one `ReadyForQuery`), except a
//! guarded transaction, which never happens here: the advisory lock serializes runners.
//!
//! - [`Driver::run_batch`]: the statements joined into one simple query; the server runs them in
//!   order, each in its own implicit transaction, and stops at the first error.
//! - [`Driver::run_transaction`]: `BEGIN; <section as written>; <tail>; COMMIT;` in one message.
//!   If anything fails the server skips the rest and a `ROLLBACK` follows (failure path only).
//!   The section is sent whole, so the server's error position indexes into it after the
//!   `BEGIN` prefix. Many errors carry no position (a unique violation): the reply is read as
//!   a stream, so the number of commands completed before the failure says which statement
//!   failed, and the runtime points at its start.
//! - [`Driver::run_transactions`]: all of them in one message (several past
//!   [`PIPELINE_BYTES`]), each `BEGIN; <section>; <tail>; COMMIT;` followed by a marker row
//!   whose arrival confirms that commit. The server stops at the first error and skips the
//!   rest of the message.
//! - The session lock is `pg_try_advisory_lock(k)`, `k` being [`HistoryTable::lock_key`], with
//!   the holder read from `pg_locks` and `pg_stat_activity`.
//!
//! PostgreSQL reports an error's `position` as a 1-based *character* offset into the query
//! string; this backend hands the runtime a byte offset inside the section, which
//! `Section::file_position` maps to the file's `line:col`.
//!
//! # Dropped futures
//!
//! The advisory lock is a session lock and is not released by a transaction ending. If the
//! future of a run is dropped between two round trips (a timeout around `run`, say), the
//! session keeps the lock, and if it is dropped while a batch is in flight the server still
//! executes the whole batch (commit included, or an aborted transaction left open). Such a
//! client is unusable for migrations: drop it. Closing the session releases the lock, so the
//! next runner proceeds.

use std::time::Duration;

use futures_util::StreamExt;
use tokio_postgres::{Client, SimpleQueryMessage};
use tracing::debug;

use super::{
    Committed, Dialect, Driver, Failure, HistoryTable, ReadOnly, Row, SessionLockSql, StepError,
    Transaction, char_to_byte,
};
use crate::error::{DbError, DbErrorKind};

pub(super) const BEGIN: &str = "BEGIN;\n";

/// The server's error, classified, with tokio-postgres's error kept as the source.
pub(super) fn db_error(error: tokio_postgres::Error) -> DbError {
    if let Some(db) = error.as_db_error() {
        let code = db.code().code();
        let kind = match code {
            "42P01" => DbErrorKind::UndefinedTable,
            "42703" => DbErrorKind::UndefinedColumn,
            "25006" => DbErrorKind::ReadOnly,
            "42501" => DbErrorKind::InsufficientPrivilege,
            c if c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03") => {
                DbErrorKind::ConnectionLost
            }
            _ => DbErrorKind::Other,
        };
        let position = match db.position() {
            Some(tokio_postgres::error::ErrorPosition::Original(p)) => {
                Some((*p as usize).saturating_sub(1))
            }
            _ => None,
        };
        return DbError::new(code, db.message())
            .with_kind(kind)
            .with_position(position)
            .with_source(error);
    }
    // tokio-postgres's own text is only the kind ("connection closed", "error communicating
    // with the server"); the cause is in the source chain, which the message spells out for
    // readers that print only the top error.
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    let io = std::error::Error::source(&error).is_some_and(|s| s.is::<std::io::Error>());
    let (code, kind) = if error.is_closed() || io {
        (DbError::CONNECTION_FAILURE, DbErrorKind::ConnectionLost)
    } else {
        ("", DbErrorKind::Other)
    };
    DbError::new(code, message)
        .with_kind(kind)
        .with_source(error)
}

/// The replies of one simple query: a result set per completed statement, or the error with
/// the number of statements that completed before it (the server skipped the rest).
async fn batch(
    client: &Client,
    sql: &str,
) -> Result<Vec<Vec<Row>>, (tokio_postgres::Error, usize)> {
    let stream = client.simple_query_raw(sql).await.map_err(|e| (e, 0))?;
    let mut stream = std::pin::pin!(stream);
    let mut sets = Vec::new();
    let mut current = Vec::new();
    while let Some(message) = stream.next().await {
        match message {
            Ok(SimpleQueryMessage::Row(row)) => {
                current.push(values(&row));
            }
            Ok(SimpleQueryMessage::CommandComplete(_)) => sets.push(std::mem::take(&mut current)),
            Ok(_) => {}
            Err(error) => return Err((error, sets.len())),
        }
    }
    Ok(sets)
}

/// A row's values as text, NULL as `None`.
pub(super) fn values(row: &tokio_postgres::SimpleQueryRow) -> Row {
    (0..row.len())
        .map(|i| row.get(i).map(str::to_string))
        .collect()
}

/// Ends a transaction the server aborted. If the session is gone, there is nothing to end.
async fn rollback(client: &Client) {
    if let Err(error) = client.simple_query("ROLLBACK").await {
        debug!(%error, "ROLLBACK after a failed migration failed");
    }
}

/// One transaction as one message: `prefix` (BEGIN, unless a guard already began it), the
/// section as written, the tail, COMMIT.
pub(super) fn transaction_text(prefix: &str, transaction: &Transaction<'_>) -> String {
    let tail = (transaction.tail)(Duration::ZERO);
    format!(
        "{prefix}{}\n;\n{};\nCOMMIT;",
        transaction.sql,
        tail.join(";\n")
    )
}

/// A committed [`transaction_text`]: the rows of the tail's last statement, the one before
/// COMMIT.
pub(super) fn committed(mut sets: Vec<Vec<Row>>) -> Committed {
    Committed::Done(
        sets.len()
            .checked_sub(2)
            .map(|i| sets.swap_remove(i))
            .unwrap_or_default(),
    )
}

/// The server's error position (characters into a [`transaction_text`] sent with `prefix`),
/// taken out of `error` and turned into a byte offset into the section's `sql`.
pub(super) fn section_offset(error: &mut DbError, prefix: &str, sql: &str) -> Option<usize> {
    error
        .position
        .take()
        .and_then(|p| p.checked_sub(prefix.len()))
        .and_then(|p| char_to_byte(sql, p))
        .filter(|p| *p < sql.len())
}

/// What a read-only session asks the server: in recovery, read-only by default, read-only now.
pub(super) const READ_ONLY_QUERY: &str = "SELECT pg_is_in_recovery(), \
     current_setting('default_transaction_read_only'), current_setting('transaction_read_only')";

/// The reason [`READ_ONLY_QUERY`]'s row gives.
pub(super) fn read_only_reason(sets: Vec<Vec<Row>>) -> Option<ReadOnly> {
    let row = sets.into_iter().flatten().next().unwrap_or_default();
    let on = |i: usize| matches!(row.get(i).and_then(|v| v.as_deref()), Some("t" | "on"));
    if on(0) {
        Some(ReadOnly::Replica)
    } else if on(1) {
        Some(ReadOnly::ReadOnlyByDefault)
    } else if on(2) {
        Some(ReadOnly::ReadOnlySession)
    } else {
        None
    }
}

/// The advisory lock on `table`'s key, [`HistoryTable::lock_key`].
pub(super) fn advisory_lock(table: &HistoryTable) -> SessionLockSql {
    let key = table.lock_key();
    SessionLockSql {
        try_lock: format!("SELECT pg_try_advisory_lock({key})"),
        holder: format!(
            "SELECT 'pid ' || l.pid || ' (' || \
             coalesce(nullif(a.application_name, ''), 'no application_name') || ')' \
             FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE {} AND l.pid <> pg_backend_pid()",
            lock_rows(key)
        ),
        held: format!(
            "SELECT EXISTS (SELECT 1 FROM pg_locks l WHERE {} AND l.pid = pg_backend_pid())",
            lock_rows(key)
        ),
        unlock: format!("SELECT pg_advisory_unlock({key})"),
    }
}

/// The `pg_locks` rows of the granted advisory lock `key` in this database.
fn lock_rows(key: i64) -> String {
    // pg_locks shows a bigint advisory key as classid (high half), objid (low half), objsubid 1;
    // advisory locks are per database, and pg_locks lists every database's.
    let (class_id, object_id) = ((key >> 32) as u32, key as u32);
    format!(
        "l.locktype = 'advisory' AND l.granted \
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND l.classid = {class_id}::oid AND l.objid = {object_id}::oid AND l.objsubid = 1"
    )
}

/// The most SQL sent in one message when transactions are pipelined. The server parses a
/// whole message before running it and the client holds it in memory; a few MB keeps both
/// small while a backlog of ordinary migrations (a few KB each) still goes in one round trip.
/// A single transaction larger than this is sent alone.
pub const PIPELINE_BYTES: usize = 4 << 20;

/// The row each pipelined transaction's marker returns: `SELECT` of this and the
/// transaction's index, right after its `COMMIT`, so its arrival confirms the commit.
const MARKER: &str = "strata:committed";

/// One transaction's text in a pipelined message: BEGIN, the section, the tail, COMMIT and
/// the marker; and how many characters precede the section in it.
struct Piece {
    text: String,
    chars: usize,
}

fn piece(index: usize, transaction: &Transaction<'_>) -> Piece {
    let tail = (transaction.tail)(Duration::ZERO);
    let text = format!(
        "{BEGIN}{}\n;\n{};\nCOMMIT;\nSELECT '{MARKER}', {index};\n",
        transaction.sql,
        tail.join(";\n")
    );
    Piece {
        chars: text.chars().count(),
        text,
    }
}

/// Whether the last result set is transaction `index`'s marker.
fn is_marker(set: &[Row], index: usize) -> bool {
    let expected = index.to_string();
    matches!(set, [row] if row.len() == 2
        && row[0].as_deref() == Some(MARKER)
        && row[1].as_deref() == Some(expected.as_str()))
}

/// Sends `pieces` (transactions `first..`) as one message and reads the replies as they
/// stream in: a transaction's marker row confirms its commit, which is reported at once. On
/// an error the server skipped the rest of the message: the failing transaction is the one
/// after the last confirmed, and the result sets since its BEGIN say which statement failed.
async fn pipeline(
    client: &Client,
    transactions: &[Transaction<'_>],
    pieces: &[Piece],
    first: usize,
    committed: &mut (dyn FnMut(usize, Committed) + Send),
) -> Result<(), (usize, StepError)> {
    let message: String = pieces.iter().map(|p| p.text.as_str()).collect();
    let mut current = first;
    let mut sets: Vec<Vec<Row>> = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    let failed = |index: usize, sets: usize, error: tokio_postgres::Error| {
        let mut error = db_error(error);
        let before: usize = pieces[..index - first].iter().map(|p| p.chars).sum();
        let sql = transactions[index].sql;
        let offset = error
            .position
            .take()
            .and_then(|p| p.checked_sub(before + BEGIN.len()))
            .and_then(|p| char_to_byte(sql, p))
            .filter(|p| *p < sql.len());
        StepError {
            error,
            offset,
            // Commands completed since this transaction's BEGIN, less the BEGIN.
            failure: Failure::Statement {
                index: sets.checked_sub(1),
                completed: 0,
            },
        }
    };
    let stream = match client.simple_query_raw(&message).await {
        Ok(stream) => stream,
        Err(error) => return Err((current, failed(current, 0, error))),
    };
    let mut stream = std::pin::pin!(stream);
    while let Some(message) = stream.next().await {
        match message {
            Ok(SimpleQueryMessage::Row(row)) => {
                rows.push(values(&row));
            }
            Ok(SimpleQueryMessage::CommandComplete(_)) => {
                sets.push(std::mem::take(&mut rows));
                if sets.last().is_some_and(|set| is_marker(set, current)) {
                    // [.., tail's last, COMMIT, marker]
                    let tail = sets
                        .len()
                        .checked_sub(3)
                        .map(|i| std::mem::take(&mut sets[i]))
                        .unwrap_or_default();
                    committed(current, Committed::Done(tail));
                    current += 1;
                    sets.clear();
                }
            }
            Ok(_) => {}
            // Every commit of the message was confirmed before the connection failed: nothing
            // of it is in doubt (the next statement on this connection reports the failure).
            Err(_) if current == first + pieces.len() => return Ok(()),
            Err(error) => {
                let error = failed(current, sets.len(), error);
                rollback(client).await;
                return Err((current, error));
            }
        }
    }
    if current < first + pieces.len() {
        // The server answered without confirming every commit: never report it as done.
        let error = DbError::new(
            "",
            "the server ended the reply before confirming every commit of the message",
        );
        return Err((current, StepError::new(error)));
    }
    Ok(())
}

impl Driver for Client {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn run_batch(&mut self, statements: &[&str]) -> Result<Vec<Vec<Row>>, DbError> {
        batch(self, &statements.join(";\n"))
            .await
            .map_err(|(error, _)| db_error(error))
    }

    async fn run_transaction(
        &mut self,
        transaction: &Transaction<'_>,
    ) -> Result<Committed, StepError> {
        let mut prefix = BEGIN;
        if let Some(guard) = transaction.guard {
            match batch(self, &format!("{BEGIN}{guard}")).await {
                Ok(sets) if sets.iter().flatten().next().is_some() => {
                    rollback(self).await;
                    return Ok(Committed::Skipped);
                }
                Ok(_) => prefix = "",
                Err((error, _)) => {
                    rollback(self).await;
                    return Err(StepError::new(db_error(error)));
                }
            }
        }
        match batch(self, &transaction_text(prefix, transaction)).await {
            Ok(sets) => Ok(committed(sets)),
            Err((error, completed)) => {
                let mut error = db_error(error);
                rollback(self).await;
                let offset = section_offset(&mut error, prefix, transaction.sql);
                // Commands completed before the failure, less the BEGIN.
                let index = if prefix.is_empty() {
                    Some(completed)
                } else {
                    completed.checked_sub(1)
                };
                Err(StepError {
                    error,
                    offset,
                    failure: Failure::Statement {
                        index,
                        completed: 0,
                    },
                })
            }
        }
    }

    async fn read_only(&mut self) -> Result<Option<ReadOnly>, DbError> {
        let sets = batch(self, READ_ONLY_QUERY)
            .await
            .map_err(|(error, _)| db_error(error))?;
        Ok(read_only_reason(sets))
    }

    /// Pipelined: every transaction in one message (several past [`PIPELINE_BYTES`]), so a
    /// run's backlog costs one round trip; each still commits on its own.
    async fn run_transactions(
        &mut self,
        transactions: &[Transaction<'_>],
        committed: &mut (dyn FnMut(usize, Committed) + Send),
    ) -> Result<(), (usize, StepError)> {
        if transactions.len() < 2 || transactions.iter().any(|t| t.guard.is_some()) {
            return super::one_at_a_time(self, transactions, committed).await;
        }
        let pieces: Vec<Piece> = transactions
            .iter()
            .enumerate()
            .map(|(i, t)| piece(i, t))
            .collect();
        let mut first = 0;
        while first < pieces.len() {
            let mut end = first + 1;
            let mut bytes = pieces[first].text.len();
            while end < pieces.len() && bytes + pieces[end].text.len() <= PIPELINE_BYTES {
                bytes += pieces[end].text.len();
                end += 1;
            }
            pipeline(self, transactions, &pieces[first..end], first, committed).await?;
            first = end;
        }
        Ok(())
    }

    fn session_lock(&self, table: &HistoryTable) -> Option<SessionLockSql> {
        Some(advisory_lock(table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_rows_split_the_key_like_pg_locks() {
        let query = lock_rows(0x0000_0001_0000_0002);
        assert!(
            query.contains("l.classid = 1::oid AND l.objid = 2::oid"),
            "{query}"
        );
        let negative = lock_rows(-1);
        assert!(
            negative.contains("l.classid = 4294967295::oid AND l.objid = 4294967295::oid"),
            "{negative}"
        );
    }
}
