//! PostgreSQL through the synchronous `postgres` crate (feature `postgres-sync`), for
//! applications without an async runtime: the same simple-query protocol and round trips as
//! `tokio_postgres::Client`, one message per transaction (no pipelining: the synchronous
//! client returns a whole reply or an error). Its error replies do not say how many
//! statements completed, so an error without a server position points at the migration's
//! file rather than its statement.

use std::time::Duration;

use postgres::{Client, SimpleQueryMessage};

use super::postgres::{
    BEGIN, READ_ONLY_QUERY, advisory_lock, committed, db_error, read_only_reason, section_offset,
    transaction_text, values,
};
use super::{
    Committed, DbError, Dialect, Driver, HistoryTable, ReadOnly, Row, SessionLockSql, StepError,
    Transaction,
};

/// One simple query's result sets (one per completed statement).
fn batch(client: &mut Client, sql: &str) -> Result<Vec<Vec<Row>>, postgres::Error> {
    let mut sets = Vec::new();
    let mut current = Vec::new();
    for message in client.simple_query(sql)? {
        match message {
            SimpleQueryMessage::Row(row) => current.push(values(&row)),
            SimpleQueryMessage::CommandComplete(_) => sets.push(std::mem::take(&mut current)),
            _ => {}
        }
    }
    Ok(sets)
}

fn rollback(client: &mut Client) {
    if let Err(error) = client.simple_query("ROLLBACK") {
        tracing::debug!(%error, "ROLLBACK after a failed migration failed");
    }
}

impl Driver for Client {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn run_batch(&mut self, statements: &[&str]) -> Result<Vec<Vec<Row>>, DbError> {
        batch(self, &statements.join(";\n")).map_err(db_error)
    }

    async fn run_transaction(
        &mut self,
        transaction: &Transaction<'_>,
    ) -> Result<Committed, StepError> {
        let mut prefix = BEGIN;
        if let Some(guard) = transaction.guard {
            match batch(self, &format!("{BEGIN}{guard}")) {
                Ok(sets) if sets.iter().flatten().next().is_some() => {
                    rollback(self);
                    return Ok(Committed::Skipped);
                }
                Ok(_) => prefix = "",
                Err(error) => {
                    rollback(self);
                    return Err(StepError::new(db_error(error)));
                }
            }
        }
        match batch(self, &transaction_text(prefix, transaction)) {
            Ok(sets) => Ok(committed(sets)),
            Err(error) => {
                let mut error = db_error(error);
                rollback(self);
                let offset = section_offset(&mut error, prefix, transaction.sql);
                Err(StepError {
                    offset,
                    ..StepError::new(error)
                })
            }
        }
    }

    async fn read_only(&mut self) -> Result<Option<ReadOnly>, DbError> {
        Ok(read_only_reason(
            batch(self, READ_ONLY_QUERY).map_err(db_error)?,
        ))
    }

    fn session_lock(&self, table: &HistoryTable) -> Option<SessionLockSql> {
        Some(advisory_lock(table))
    }

    /// Blocks the thread: there is no async runtime to yield to.
    async fn pause(&mut self, delay: Duration) {
        std::thread::sleep(delay);
    }
}
