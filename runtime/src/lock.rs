//! How runners exclude each other. With a session lock (PostgreSQL's advisory lock) the
//! runner takes it once, reads the history under it in the same round trip, and releases it
//! on every path. Without one (SQLite) each migration's transaction takes the database's
//! write lock and its guard re-checks the history, so runners serialize per migration.

use std::time::{Duration, Instant};

use tracing::{debug, info};

use crate::driver::{Driver, SessionLockSql, is_true};
use crate::error::{Error, Result};
use crate::history::sql::HistorySql;
use crate::history::{AppliedMigration, HistoryTable};
use crate::protocol;

/// The lock a run holds.
#[derive(Debug)]
pub(crate) enum Lock {
    /// A session lock, released by [`release`].
    Session(SessionLockSql),
    /// None held: each migration's transaction is guarded.
    PerTransaction,
}

impl Lock {
    /// Whether migrations must re-check the history inside their transaction.
    pub(crate) fn guarded(&self) -> bool {
        matches!(self, Lock::PerTransaction)
    }
}

/// Takes the lock (waiting, logging the holder at info at most every 10 s, giving up after
/// `timeout` with [`Error::LockTimeout`]) and returns the history as read under it.
pub(crate) async fn acquire<D: Driver>(
    conn: &mut D,
    table: &HistoryTable,
    sql: &HistorySql,
    timeout: Option<Duration>,
) -> Result<(Lock, Vec<AppliedMigration>)> {
    let Some(lock) = conn.session_lock(table) else {
        conn.set_lock_wait(timeout).map_err(Error::Database)?;
        let history = protocol::read(conn, sql, protocol::Read::Create).await?;
        return Ok((Lock::PerTransaction, history));
    };
    let select = sql.select_rows(true);
    let batch = [
        lock.try_lock.as_str(),
        lock.holder.as_str(),
        select.as_str(),
    ];
    let started = Instant::now();
    let mut delay = Duration::from_millis(20);
    let mut last_log: Option<Instant> = None;
    loop {
        let sets = match conn.run_batch(&batch).await {
            Ok(sets) => sets,
            Err(error) => {
                // The lock may have been taken before a later statement failed (the history
                // table dropped meanwhile, say): a session lock survives that, so give it back.
                release_quietly(conn, &lock).await;
                return Err(Error::Database(error));
            }
        };
        let mut sets = sets.into_iter();
        let (taken, holder, rows) = (sets.next(), sets.next(), sets.next());
        let locked = taken
            .as_ref()
            .and_then(|rows| rows.first())
            .is_some_and(|row| is_true(row.first().and_then(|v| v.as_deref())));
        if locked {
            if last_log.is_some() {
                info!(
                    waited_ms = started.elapsed().as_millis() as u64,
                    "took the migration lock"
                );
            }
            return match protocol::parse_rows(rows.unwrap_or_default().into_iter()) {
                Ok(history) => Ok((Lock::Session(lock), history)),
                Err(error) => {
                    release_quietly(conn, &lock).await;
                    Err(error)
                }
            };
        }
        let holder = holder.and_then(|rows| rows.into_iter().next()).map(|row| {
            let value = |i: usize| row.get(i).cloned().flatten().filter(|v| !v.is_empty());
            format!(
                "pid {} ({})",
                value(0).unwrap_or_else(|| "?".to_string()),
                value(1).unwrap_or_else(|| "no application_name".to_string())
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
        conn.pause(delay).await;
        delay = (delay * 2).min(Duration::from_millis(500));
    }
}

/// Releases what [`acquire`] took.
pub(crate) async fn release<D: Driver>(conn: &mut D, lock: &Lock) -> Result<()> {
    match lock {
        Lock::Session(lock) => conn
            .run_batch(&[&lock.unlock])
            .await
            .map(|_| ())
            .map_err(Error::Database),
        Lock::PerTransaction => Ok(()),
    }
}

async fn release_quietly<D: Driver>(conn: &mut D, lock: &SessionLockSql) {
    if let Err(error) = conn.run_batch(&[&lock.unlock]).await {
        debug!(%error, "releasing the lock after a failed lock batch failed");
    }
}
