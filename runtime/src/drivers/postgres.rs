//! PostgreSQL through tokio-postgres. Only the simple-query protocol is used, so every
//! batch below is exactly one round trip (one `Query` message, one `ReadyForQuery`).
//!
//! # Protocol
//!
//! `k` is the advisory lock key, [`HistoryTable::lock_key`]: the first 8 bytes of SHA-256 over
//! the history table's schema and name, so runners on the same table (and only those) exclude
//! each other. `H` is the quoted history table.
//!
//! **`run`**
//! 1. Fingerprint, without the lock: `SELECT version, chain, history_count FROM H ORDER BY
//!    version DESC LIMIT 1`: one primary-key index probe, whatever the history's length, and
//!    nothing else for a fresh backend to resolve (a server-side `sha256(string_agg(..))`
//!    cost a new session 0.7 ms more in catalog look-ups, a `count(*)` 0.3 ms at 1,000 rows).
//!    `chain` is the prefix digest of the list that applied the row, `history_count` the row
//!    count, which the runner knows under the lock when the row goes on top; an out-of-order
//!    insert or any delete first sets it to NULL on the rows above (`UPDATE H SET
//!    history_count = NULL WHERE version > v`), so it is never trusted once unknown.
//!    Equal to the embedded list's: nothing to do, **a no-op start-up is one round trip**.
//!    Equal to a shorter prefix of it: only pending work, straight to step 2. Anything else
//!    (divergent, missing, an older binary, a NULL count) reads the history without the lock
//!    and plans first, so a failed check or nothing to do never waits for the lock.
//!    Only on a database where `H` does not exist yet (SQLSTATE 42P01) a second batch
//!    `DO $$ create schema and table if missing $$; SELECT ...` follows; first runners racing
//!    to create it retry on the catalog's unique violation.
//! 2. Lock and re-read: `SELECT pg_try_advisory_lock(k); SELECT <holder pid,
//!    application_name from pg_locks + pg_stat_activity>; SELECT <columns> FROM H`, one round
//!    trip. While another session holds `k` this repeats with back-off (20 ms doubling to
//!    500 ms) and logs at info who holds it, at most every 10 s; `lock_timeout` bounds the
//!    wait. The plan is recomputed from the rows read under the lock.
//! 3. Per transactional migration, one round trip:
//!    `BEGIN; <UP as written>; INSERT INTO H (...) VALUES (..., (clock_timestamp() - now()) in
//!    ms) RETURNING execution_ms; SET LOCAL synchronous_commit TO off; COMMIT;`, the `SET`
//!    left out for the run's last migration. `now()` is the transaction start, so the
//!    execution time is measured by the server. If anything fails, the server skips the rest
//!    of the batch and a `ROLLBACK` follows (failure path only): no trace is left.
//!    A no-transaction migration sends each statement of its UP as its own query (so
//!    `CREATE INDEX CONCURRENTLY` runs outside a transaction block), then the `INSERT`.
//!    The last commit waits for the WAL flush and so covers every earlier one: a run waits
//!    for the disk once, before `run` returns, where a flush per migration cost more than
//!    the round trip itself on a round-trip-bound set. (A failed run returns without that
//!    flush: its committed migrations reach the disk within PostgreSQL's `wal_writer_delay`,
//!    or a crash first loses them whole, as above.)
//! 4. `SELECT pg_advisory_unlock(k)`, on success and on failure.
//!
//! Applying N migrations therefore costs N + 3 round trips (N + 4 on the very first run,
//! which creates `H`), and nothing pending costs 1.
//!
//! **`rollback`**: the read of step 1 (refusing early when a DOWN is missing), the lock of
//! step 2, then per migration `BEGIN; <DOWN>; DELETE FROM H WHERE version = v; COMMIT;` in one
//! round trip (statement by statement for no-transaction ones), then the unlock.
//!
//! **`status` and dry runs**: the read of step 1 only; no lock.
//!
//! # Error positions
//!
//! PostgreSQL reports an error's `position` as a 1-based *character* offset into the query
//! string. The driver subtracts the `BEGIN;\n` prefix (or, statement by statement, adds the
//! statement's start), converts characters to bytes, and hands the runner a byte offset inside
//! the section, which `Section::file_position` maps to the file's `line:col`.
//! Many errors carry no position (a unique violation, "already exists"): the batch is read as a
//! stream, so the driver knows how many statements completed before the failing one, and the
//! error points at the start of the failing statement instead.
//!
//! # Dropped futures
//!
//! The lock is a session lock and is not released by a transaction ending. If the future of a
//! run is dropped between two round trips (a timeout around `run`, say), the session keeps
//! the lock, and if it is dropped while a batch is in flight the server still executes the
//! whole batch (commit included, or an aborted transaction left open). Such a client is
//! unusable for migrations: drop it. Closing the session releases the lock, so the next
//! runner proceeds.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use strata_core::model::Migration;
use tokio_postgres::{Client, SimpleQueryMessage};
use tracing::{debug, info};

use crate::driver::{Applied, Driver, Recording, StepError, char_to_byte, revert_statements};
use crate::error::{DbError, Error};
use crate::history::{AppliedMigration, HistoryTable, literal};
use crate::plan::RevertStep;

const BEGIN: &str = "BEGIN;\n";
const UNDEFINED_TABLE: &str = "42P01";

fn db_error(error: &tokio_postgres::Error) -> DbError {
    match error.as_db_error() {
        Some(db) => DbError {
            code: db.code().code().to_string(),
            message: db.message().to_string(),
            position: match db.position() {
                Some(tokio_postgres::error::ErrorPosition::Original(p)) => {
                    Some((*p as usize).saturating_sub(1))
                }
                _ => None,
            },
        },
        None => {
            // tokio-postgres's own text is only the kind ("connection closed", "error
            // communicating with the server"); the cause is in the source chain.
            let mut message = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            let io = std::error::Error::source(error).is_some_and(|s| s.is::<std::io::Error>());
            let code = if error.is_closed() || io {
                DbError::CONNECTION_FAILURE
            } else {
                ""
            };
            DbError {
                code: code.to_string(),
                message,
                position: None,
            }
        }
    }
}

fn rows(messages: &[SimpleQueryMessage]) -> impl Iterator<Item = &tokio_postgres::SimpleQueryRow> {
    messages.iter().filter_map(|m| match m {
        SimpleQueryMessage::Row(row) => Some(row),
        _ => None,
    })
}

/// The highest row's version, chain and history_count: one primary-key index probe, no row
/// when the table is empty. (`count(*)` instead of the stored count scanned every row and
/// cost a fresh session 0.3 ms at 1,000 rows.)
fn select_fingerprint(table: &HistoryTable) -> String {
    format!(
        "SELECT version, chain, history_count FROM {} ORDER BY version DESC LIMIT 1",
        table.quoted()
    )
}

/// Keeps the invariant the fingerprint relies on: the top row's `history_count`, when not
/// NULL, is the number of rows. A row is inserted or deleted below some row only out of
/// order (or when a rollback deletes an out-of-order row): every row above it stops
/// vouching for the count. A no-op for migrations applied and rolled back in order.
fn invalidate_above(table: &HistoryTable, version: i64) -> String {
    format!(
        "UPDATE {} SET history_count = NULL WHERE version > {version} AND history_count IS NOT NULL",
        table.quoted()
    )
}

fn select_rows(table: &HistoryTable) -> String {
    format!(
        "SELECT version, name, checksum, down_sql, transactional, \
         to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), execution_ms \
         FROM {} ORDER BY version",
        table.quoted()
    )
}

fn create_table(table: &HistoryTable) -> String {
    let schema = table
        .schema()
        .map(|s| format!("CREATE SCHEMA IF NOT EXISTS \"{s}\";"))
        .unwrap_or_default();
    format!(
        "DO $strata$ BEGIN IF to_regclass('{quoted}') IS NULL THEN {schema} CREATE TABLE IF NOT EXISTS {quoted} (\
         version bigint PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, down_sql text, \
         transactional boolean NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), \
         execution_ms bigint NOT NULL, chain text, history_count bigint); END IF; END $strata$;\n",
        quoted = table.quoted()
    )
}

fn parse_row(row: &tokio_postgres::SimpleQueryRow) -> Result<AppliedMigration, DbError> {
    let corrupt = |what: &str| DbError {
        code: String::new(),
        message: format!("unreadable history row: {what}"),
        position: None,
    };
    let text = |i: usize| row.get(i).map(str::to_string);
    let version = text(0)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| corrupt("version"))?;
    Ok(AppliedMigration {
        version,
        name: text(1).unwrap_or_default(),
        checksum: text(2).unwrap_or_default(),
        down_sql: text(3),
        transactional: row.get(4) != Some("f"),
        applied_at: text(5).unwrap_or_default(),
        execution_ms: text(6).and_then(|v| v.parse().ok()).unwrap_or(0),
    })
}

fn parse_rows<'a>(
    rows: impl Iterator<Item = &'a tokio_postgres::SimpleQueryRow>,
) -> Result<Vec<AppliedMigration>, DbError> {
    rows.filter(|r| r.len() == 7).map(parse_row).collect()
}

/// The history row. `history_count` is the row count the runner knows when the row goes on
/// top; a row applied out of order stores NULL and first makes the rows above it NULL too
/// ([`invalidate_above`]), so the fingerprint never trusts a count nobody kept.
fn history_insert(
    table: &HistoryTable,
    migration: &Migration,
    recording: Recording,
    execution: &str,
) -> String {
    let down = migration.down().map_or_else(|| "NULL".to_string(), literal);
    let chain = migration
        .prefix_digest()
        .map_or_else(|| "NULL".to_string(), literal);
    let (version, transactional) = (migration.version(), migration.transactional());
    let (invalidate, count) = match recording.history_count {
        Some(count) => (String::new(), count.to_string()),
        None => (
            format!("{};\n", invalidate_above(table, version)),
            "NULL".to_string(),
        ),
    };
    format!(
        "{invalidate}INSERT INTO {} (version, name, checksum, down_sql, transactional, applied_at, execution_ms, chain, history_count) \
         VALUES ({version}, {}, {}, {down}, {transactional}, now(), {execution}, {chain}, {count}) RETURNING execution_ms",
        table.quoted(),
        literal(migration.name()),
        literal(migration.checksum()),
    )
}

/// Sends one simple-query batch, collecting its messages; on error also says how many of
/// its statements completed before the failing one (the server skips the rest).
async fn batch(
    client: &Client,
    sql: &str,
) -> Result<Vec<SimpleQueryMessage>, (tokio_postgres::Error, usize)> {
    let stream = client.simple_query_raw(sql).await.map_err(|e| (e, 0))?;
    let mut stream = std::pin::pin!(stream);
    let mut messages = Vec::new();
    let mut completed = 0;
    while let Some(message) = stream.next().await {
        match message {
            Ok(message) => {
                completed += usize::from(matches!(message, SimpleQueryMessage::CommandComplete(_)));
                messages.push(message);
            }
            Err(error) => return Err((error, completed)),
        }
    }
    Ok(messages)
}

/// A commit that does not wait for the WAL flush. The run's last migration commits
/// synchronously (the session's default), and PostgreSQL flushes its WAL in order, so that
/// flush covers every earlier one. A server crash before it loses a tail of whole migrations,
/// each with its history row (same transaction), and anything written after them: history
/// and schema still agree, and a re-run applies them again.
const ASYNC_COMMIT: &str = "SET LOCAL synchronous_commit TO off;\n";

/// Runs `sql` and then `tail` between BEGIN and COMMIT in one batch (the commit asynchronous
/// unless `durable`, see [`ASYNC_COMMIT`]); on error rolls back and says where in `sql` it
/// failed: the server's position when it gives one, and always the 0-based index of the
/// failing statement (statements completed before it, minus `BEGIN`), which the runner maps
/// to the statement's line when there is no position. An index past the section's
/// statements means strata's own tail (history row, COMMIT) failed.
async fn transaction(
    client: &Client,
    sql: &str,
    tail: &str,
    durable: bool,
) -> Result<Vec<SimpleQueryMessage>, StepError> {
    let asynchronous = if durable { "" } else { ASYNC_COMMIT };
    let text = format!("{BEGIN}{sql}\n;\n{tail};\n{asynchronous}COMMIT;");
    match batch(client, &text).await {
        Ok(messages) => Ok(messages),
        Err((error, completed)) => {
            let mut db = db_error(&error);
            // The server skipped the rest of the batch; end the aborted transaction. If the
            // session is gone, there is nothing to end.
            if let Err(rollback) = client.simple_query("ROLLBACK").await {
                debug!(error = %rollback, "ROLLBACK after a failed migration failed");
            }
            let offset = db
                .position
                .and_then(|p| p.checked_sub(BEGIN.len()))
                .and_then(|p| char_to_byte(sql, p))
                .filter(|p| *p < sql.len());
            db.position = None;
            Err(StepError {
                offset,
                statement: completed.checked_sub(1),
                ..StepError::new(db)
            })
        }
    }
}

/// Runs statements one by one (no transaction); says which failed and how many ran.
async fn one_by_one(client: &Client, statements: &[(usize, &str)]) -> Result<(), StepError> {
    for (index, (start, sql)) in statements.iter().enumerate() {
        debug!(
            statement = index + 1,
            of = statements.len(),
            "running statement"
        );
        if let Err(error) = client.simple_query(sql).await {
            let mut db = db_error(&error);
            let offset = db
                .position
                .and_then(|p| char_to_byte(sql, p))
                .map(|p| start + p);
            db.position = None;
            return Err(StepError {
                offset,
                statement: Some(index),
                completed: index,
                ..StepError::new(db)
            });
        }
    }
    Ok(())
}

/// Statements succeeded, the history update after them failed.
fn unrecorded(error: &tokio_postgres::Error, completed: usize) -> StepError {
    StepError {
        completed,
        recording: true,
        ..StepError::new(db_error(error))
    }
}

fn holder_query(key: i64) -> String {
    // pg_locks shows a bigint advisory key as classid (high half), objid (low half), objsubid 1;
    // advisory locks are per database, and pg_locks lists every database's.
    let (class_id, object_id) = ((key >> 32) as u32, key as u32);
    format!(
        "SELECT l.pid::text, coalesce(a.application_name, ''), 'holder' FROM pg_locks l \
         LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid() \
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND l.classid = {class_id}::oid AND l.objid = {object_id}::oid AND l.objsubid = 1"
    )
}

/// Runs `select` on the history table; only when the table does not exist yet, creates it
/// and runs `select` again in the same batch. The common case, every start-up after the
/// first, is one plain query.
async fn select_creating(
    client: &Client,
    table: &HistoryTable,
    select: &str,
) -> Result<Vec<SimpleQueryMessage>, DbError> {
    match client.simple_query(select).await {
        Ok(messages) => return Ok(messages),
        Err(error) if db_error(&error).code == UNDEFINED_TABLE => {}
        Err(error) => return Err(db_error(&error)),
    }
    info!(table = %table.quoted(), "creating the history table");
    let batch = format!("{}{select};", create_table(table));
    let mut attempts = 0;
    loop {
        match client.simple_query(&batch).await {
            Ok(messages) => return Ok(messages),
            Err(error) => {
                let db = db_error(&error);
                // Two first runners creating the table at once: the loser sees a unique
                // violation on the catalog or "already exists" (42710: the table's row type);
                // the table exists now.
                let lost_race = matches!(db.code.as_str(), "23505" | "42P07" | "42P06" | "42710");
                attempts += 1;
                if !lost_race || attempts > 3 {
                    return Err(db);
                }
                debug!(code = %db.code, "lost the race to create the history table; reading again");
            }
        }
    }
}

impl Driver for Client {
    async fn fingerprint(
        &mut self,
        table: &HistoryTable,
    ) -> Result<Option<crate::driver::Fingerprint>, DbError> {
        let messages = select_creating(self, table, &select_fingerprint(table)).await?;
        let Some(row) = rows(&messages).next() else {
            return Ok(Some(crate::driver::Fingerprint {
                count: 0,
                max_version: 0,
                digest: String::new(),
            }));
        };
        let number = |i: usize| row.get(i).and_then(|v| v.parse::<i64>().ok());
        // NULL count or chain: the top row does not vouch for the history; read it all.
        Ok(match (number(2), number(0), row.get(1)) {
            (Some(count), Some(max_version), Some(digest)) => Some(crate::driver::Fingerprint {
                count,
                max_version,
                digest: digest.to_string(),
            }),
            _ => None,
        })
    }

    async fn read_history(
        &mut self,
        table: &HistoryTable,
    ) -> Result<Vec<AppliedMigration>, DbError> {
        let messages = select_creating(self, table, &select_rows(table)).await?;
        parse_rows(rows(&messages))
    }

    async fn lock(
        &mut self,
        table: &HistoryTable,
        timeout: Option<Duration>,
    ) -> Result<Vec<AppliedMigration>, Error> {
        let key = table.lock_key();
        let batch = format!(
            "SELECT pg_try_advisory_lock({key});\n{};\n{};",
            holder_query(key),
            select_rows(table)
        );
        let started = Instant::now();
        let mut delay = Duration::from_millis(20);
        let mut last_log: Option<Instant> = None;
        loop {
            let messages = match self.simple_query(&batch).await {
                Ok(messages) => messages,
                Err(error) => {
                    // The lock may have been taken before a later statement of the batch
                    // failed (the history table dropped meanwhile, say): a session lock
                    // survives the failed statement, so give it back before reporting.
                    if let Err(unlock) = self.unlock(table).await {
                        debug!(error = %unlock, "releasing the lock after a failed lock batch failed");
                    }
                    return Err(Error::Database(db_error(&error)));
                }
            };
            let all: Vec<_> = rows(&messages).collect();
            let locked = all.first().and_then(|r| r.get(0)) == Some("t");
            if locked {
                if last_log.is_some() {
                    info!(
                        waited_ms = started.elapsed().as_millis() as u64,
                        "took the migration lock"
                    );
                }
                return match parse_rows(all.into_iter().skip(1)) {
                    Ok(history) => Ok(history),
                    Err(error) => {
                        // The runner only unlocks what `lock` returned Ok for.
                        if let Err(unlock) = self.unlock(table).await {
                            debug!(error = %unlock, "releasing the lock after an unreadable history failed");
                        }
                        Err(Error::Database(error))
                    }
                };
            }
            let holder = all
                .iter()
                .find(|r| r.len() == 3 && r.get(2) == Some("holder"))
                .map(|r| {
                    format!(
                        "pid {} ({})",
                        r.get(0).unwrap_or("?"),
                        r.get(1)
                            .filter(|n| !n.is_empty())
                            .unwrap_or("no application_name")
                    )
                });
            if let Some(limit) = timeout
                && started.elapsed() >= limit
            {
                return Err(Error::LockTimeout {
                    waited: started.elapsed(),
                    holder,
                });
            }
            if last_log.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
                info!(
                    holder = holder.as_deref().unwrap_or("unknown"),
                    waited_ms = started.elapsed().as_millis() as u64,
                    "another runner holds the migration lock; waiting"
                );
                last_log = Some(Instant::now());
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(500));
        }
    }

    async fn unlock(&mut self, table: &HistoryTable) -> Result<(), DbError> {
        self.simple_query(&format!("SELECT pg_advisory_unlock({})", table.lock_key()))
            .await
            .map(|_| ())
            .map_err(|e| db_error(&e))
    }

    async fn apply(
        &mut self,
        table: &HistoryTable,
        migration: &Migration,
        recording: Recording,
    ) -> Result<Applied, StepError> {
        if migration.transactional() {
            let execution = "(extract(epoch from (clock_timestamp() - now())) * 1000)::bigint";
            let insert = history_insert(table, migration, recording, execution);
            let messages = transaction(self, migration.up(), &insert, recording.durable).await?;
            let execution_ms = rows(&messages)
                .last()
                .and_then(|r| r.get(0))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            return Ok(Applied::Now { execution_ms });
        }
        let started = Instant::now();
        let statements: Vec<(usize, &str)> = migration
            .up_section()
            .statement_texts()
            .map(|(s, sql)| (s.range().start, sql))
            .collect();
        one_by_one(self, &statements).await?;
        let execution_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let insert = history_insert(table, migration, recording, &execution_ms.to_string());
        self.simple_query(&insert)
            .await
            .map_err(|e| unrecorded(&e, statements.len()))?;
        Ok(Applied::Now { execution_ms })
    }

    async fn revert(
        &mut self,
        table: &HistoryTable,
        step: &RevertStep<'_>,
    ) -> Result<(), StepError> {
        let delete = format!(
            "DELETE FROM {} WHERE version = {};\n{}",
            table.quoted(),
            step.version,
            invalidate_above(table, step.version)
        );
        if step.transactional {
            transaction(self, &step.sql, &delete, true).await?;
            return Ok(());
        }
        let statements = revert_statements(step);
        one_by_one(self, &statements).await?;
        self.simple_query(&delete)
            .await
            .map(|_| ())
            .map_err(|e| unrecorded(&e, statements.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holder_query_splits_the_key_like_pg_locks() {
        let query = holder_query(0x0000_0001_0000_0002);
        assert!(
            query.contains("l.classid = 1::oid AND l.objid = 2::oid"),
            "{query}"
        );
        let negative = holder_query(-1);
        assert!(
            negative.contains("l.classid = 4294967295::oid AND l.objid = 4294967295::oid"),
            "{negative}"
        );
    }

    #[test]
    fn history_insert_quotes_every_value() {
        const UP: &str = "SELECT 1;";
        let up =
            strata_core::model::Section::from_file(UP, 0, UP.len() as u32, "m/1_x.sql", 1, &[]);
        let migration = Migration::from_static(1, "it's", up, None, "abc", true);
        let on_top = Recording {
            durable: true,
            history_count: Some(4),
        };
        let insert = history_insert(&HistoryTable::default(), &migration, on_top, "0");
        assert!(
            insert.starts_with("INSERT INTO \"strata_migrations\""),
            "{insert}"
        );
        assert!(
            insert.contains("VALUES (1, E'it''s', E'abc', NULL, true, now(), 0, NULL, 4)"),
            "{insert}"
        );
        let out_of_order = history_insert(
            &HistoryTable::default(),
            &migration,
            Recording {
                history_count: None,
                ..on_top
            },
            "0",
        );
        assert!(
            out_of_order.starts_with(
                "UPDATE \"strata_migrations\" SET history_count = NULL WHERE version > 1"
            ),
            "{out_of_order}"
        );
        assert!(
            out_of_order.contains("VALUES (1, E'it''s', E'abc', NULL, true, now(), 0, NULL, NULL)"),
            "{out_of_order}"
        );
    }
}
