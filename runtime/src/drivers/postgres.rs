//! PostgreSQL through tokio-postgres, using only the simple-query protocol so that each
//! batch below is one round trip.
//!
//! Protocol of a run:
//! 1. `SELECT <rows>`: one round trip; with nothing pending the run ends here. Only when the
//!    table does not exist yet: `DO $$ ... create it ... $$; SELECT <rows>` (concurrent first
//!    starts can race on creating it; the loser retries).
//! 2. `SELECT pg_try_advisory_lock(k); SELECT <lock holder>; SELECT <rows>`, repeated with
//!    back-off while another session holds the lock (logged at info with its pid and
//!    application_name). `k` is derived from the history table's schema and name.
//! 3. Per transactional migration: `BEGIN; <up>; INSERT <history row> RETURNING ...; COMMIT`,
//!    one round trip; execution time is measured by the server (`clock_timestamp() - now()`).
//!    On error, `ROLLBACK`. No-transaction migrations send one statement per round trip,
//!    then the history row.
//! 4. `SELECT pg_advisory_unlock(k)`, on success and on failure.
//!
//! The lock is a session lock: if the run's future is dropped mid-way, drop the client as
//! well; closing the session releases it.

use std::time::{Duration, Instant};

use strata_core::model::Migration;
use tokio_postgres::{Client, SimpleQueryMessage};
use tracing::info;

use crate::driver::{Applied, Driver, StepError, char_to_byte, revert_statements};
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
                Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some((*p as usize).saturating_sub(1)),
                _ => None,
            },
        },
        None => DbError { code: String::new(), message: error.to_string(), position: None },
    }
}

fn rows(messages: &[SimpleQueryMessage]) -> impl Iterator<Item = &tokio_postgres::SimpleQueryRow> {
    messages.iter().filter_map(|m| match m {
        SimpleQueryMessage::Row(row) => Some(row),
        _ => None,
    })
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
    let schema = table.schema().map(|s| format!("CREATE SCHEMA IF NOT EXISTS \"{s}\";")).unwrap_or_default();
    format!(
        "DO $strata$ BEGIN IF to_regclass('{quoted}') IS NULL THEN {schema} CREATE TABLE IF NOT EXISTS {quoted} (\
         version bigint PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, down_sql text, \
         transactional boolean NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), \
         execution_ms bigint NOT NULL); END IF; END $strata$;\n",
        quoted = table.quoted()
    )
}

fn parse_row(row: &tokio_postgres::SimpleQueryRow) -> Result<AppliedMigration, DbError> {
    let corrupt = |what: &str| DbError { code: String::new(), message: format!("unreadable history row: {what}"), position: None };
    let text = |i: usize| row.get(i).map(str::to_string);
    let version = text(0).and_then(|v| v.parse().ok()).ok_or_else(|| corrupt("version"))?;
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

fn parse_rows<'a>(rows: impl Iterator<Item = &'a tokio_postgres::SimpleQueryRow>) -> Result<Vec<AppliedMigration>, DbError> {
    rows.filter(|r| r.len() == 7).map(parse_row).collect()
}

fn history_insert(table: &HistoryTable, migration: &Migration, transactional: bool, execution: &str) -> String {
    let down = migration.down().map_or_else(|| "NULL".to_string(), literal);
    format!(
        "INSERT INTO {} (version, name, checksum, down_sql, transactional, applied_at, execution_ms) \
         VALUES ({}, {}, {}, {down}, {transactional}, now(), {execution}) RETURNING execution_ms",
        table.quoted(),
        migration.version(),
        literal(migration.name()),
        literal(migration.checksum()),
    )
}


/// Runs `batch` wrapped in BEGIN/COMMIT; on error rolls back and maps the position into `sql`.
async fn transaction(client: &Client, sql: &str, tail: &str) -> Result<Vec<SimpleQueryMessage>, StepError> {
    let batch = format!("{BEGIN}{sql}\n;\n{tail};\nCOMMIT;");
    match client.simple_query(&batch).await {
        Ok(messages) => Ok(messages),
        Err(error) => {
            let mut db = db_error(&error);
            let _ = client.simple_query("ROLLBACK").await;
            let offset = db
                .position
                .and_then(|p| p.checked_sub(BEGIN.len()))
                .filter(|p| *p < sql.chars().count())
                .and_then(|p| char_to_byte(sql, p));
            db.position = None;
            Err(StepError { error: db, offset, statement: None, completed: 0 })
        }
    }
}

/// Runs statements one by one (no transaction); says which failed and how many ran.
async fn one_by_one(client: &Client, statements: &[(usize, &str)]) -> Result<(), StepError> {
    for (index, (start, sql)) in statements.iter().enumerate() {
        if let Err(error) = client.simple_query(sql).await {
            let db = db_error(&error);
            let offset = db.position.and_then(|p| char_to_byte(sql, p)).map(|p| start + p);
            return Err(StepError { error: db, offset, statement: Some(index), completed: index });
        }
    }
    Ok(())
}

impl Driver for Client {
    async fn read_history(&mut self, table: &HistoryTable) -> Result<Vec<AppliedMigration>, DbError> {
        // The common case, every start-up after the first, is one plain SELECT.
        let select = select_rows(table);
        match self.simple_query(&select).await {
            Ok(messages) => return parse_rows(rows(&messages)),
            Err(error) if db_error(&error).code == UNDEFINED_TABLE => {}
            Err(error) => return Err(db_error(&error)),
        }
        let batch = format!("{}{select};", create_table(table));
        let mut attempts = 0;
        loop {
            match self.simple_query(&batch).await {
                Ok(messages) => return parse_rows(rows(&messages)),
                Err(error) => {
                    let db = db_error(&error);
                    // Two first runners creating the table at once: the loser sees a
                    // unique violation on the catalog or "already exists"; the table exists now.
                    let lost_race = db.code == "23505" || db.code == "42P07" || db.code == "42P06";
                    attempts += 1;
                    if !lost_race || attempts > 3 {
                        return Err(db);
                    }
                }
            }
        }
    }

    async fn lock(&mut self, table: &HistoryTable, timeout: Option<Duration>) -> Result<Vec<AppliedMigration>, Error> {
        let key = table.lock_key();
        let (class_id, object_id) = ((key >> 32) as u32, key as u32);
        let batch = format!(
            "SELECT pg_try_advisory_lock({key});\n\
             SELECT a.pid::text, coalesce(a.application_name, ''), 'holder' FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {class_id}::oid AND l.objid = {object_id}::oid AND l.objsubid = 1;\n\
             {};",
            select_rows(table)
        );
        let started = Instant::now();
        let mut delay = Duration::from_millis(20);
        let mut last_log: Option<Instant> = None;
        loop {
            let messages = self.simple_query(&batch).await.map_err(|e| Error::Database(db_error(&e)))?;
            let all: Vec<_> = rows(&messages).collect();
            let locked = all.first().and_then(|r| r.get(0)) == Some("t");
            if locked {
                return parse_rows(all.into_iter().skip(1)).map_err(Error::Database);
            }
            let holder = all
                .iter()
                .find(|r| r.len() == 3 && r.get(2) == Some("holder"))
                .map(|r| format!("pid {} ({})", r.get(0).unwrap_or("?"), r.get(1).filter(|n| !n.is_empty()).unwrap_or("no application_name")));
            if let Some(limit) = timeout
                && started.elapsed() >= limit
            {
                return Err(Error::LockTimeout { waited: started.elapsed(), holder });
            }
            if last_log.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
                info!(holder = holder.as_deref().unwrap_or("unknown"), "another runner holds the migration lock; waiting");
                last_log = Some(Instant::now());
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(500));
        }
    }

    async fn unlock(&mut self, table: &HistoryTable) -> Result<(), DbError> {
        self.simple_query(&format!("SELECT pg_advisory_unlock({})", table.lock_key())).await.map(|_| ()).map_err(|e| db_error(&e))
    }

    async fn apply(&mut self, table: &HistoryTable, migration: &Migration) -> Result<Applied, StepError> {
        if migration.transactional() {
            let execution = "(extract(epoch from (clock_timestamp() - now())) * 1000)::bigint";
            let insert = history_insert(table, migration, true, execution);
            let messages = transaction(self, migration.up(), &insert).await?;
            let execution_ms = rows(&messages).last().and_then(|r| r.get(0)).and_then(|v| v.parse().ok()).unwrap_or(0);
            return Ok(Applied::Now { execution_ms });
        }
        let started = Instant::now();
        let statements: Vec<(usize, &str)> =
            migration.up_section().statement_texts().map(|(s, sql)| (s.range().start, sql)).collect();
        one_by_one(self, &statements).await?;
        let execution_ms = started.elapsed().as_millis() as i64;
        let insert = history_insert(table, migration, false, &execution_ms.to_string());
        self.simple_query(&insert).await.map_err(|e| StepError {
            completed: statements.len(),
            ..StepError::new(db_error(&e))
        })?;
        Ok(Applied::Now { execution_ms })
    }

    async fn revert(&mut self, table: &HistoryTable, step: &RevertStep<'_>) -> Result<(), StepError> {
        let delete = format!("DELETE FROM {} WHERE version = {}", table.quoted(), step.version);
        if step.transactional {
            transaction(self, &step.sql, &delete).await?;
            return Ok(());
        }
        let statements = revert_statements(step);
        one_by_one(self, &statements).await?;
        self.simple_query(&delete).await.map(|_| ()).map_err(|e| StepError::new(db_error(&e)))
    }
}
