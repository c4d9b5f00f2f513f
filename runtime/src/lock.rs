//! How runners exclude each other. With a session lock (PostgreSQL's advisory lock) the
//! runner takes it once, reads the history under it in the same round trip, checks that its
//! session really holds it (a transaction-pooling proxy would hand the next statement to
//! another server connection), and releases it on every path. With the table lease
//! (`lease.rs`) the same loop takes a row instead, and the run renews it. Without either
//! (SQLite) each migration's transaction takes the database's write lock and its guard
//! re-checks the history, so runners serialize per migration.

use std::time::{Duration, Instant};

use strata_model::history_table::LockStrategy;
use tracing::{debug, info, warn};

use crate::driver::{DbErrorKind, Driver, Row, SessionLockSql, is_true};
use crate::error::{Error, Result};
use crate::history::sql::HistorySql;
use crate::history::{AppliedMigration, HistoryTable};
use crate::lease::{Lease, LeaseSql, owner_id};
use crate::protocol;

/// The lock a run holds.
#[derive(Debug)]
pub(crate) enum Lock {
    /// A session lock, released by [`release`].
    Session(SessionLockSql),
    /// A lease row, renewed while the run lasts and deleted by [`release`].
    Lease(Lease),
    /// None held: each migration's transaction is guarded.
    PerTransaction,
}

/// What a run asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LockOptions {
    pub(crate) strategy: LockStrategy,
    pub(crate) timeout: Option<Duration>,
    pub(crate) lease_ttl: Duration,
}

/// The statements of one attempt to take a lock: take, holder, and whether a failed batch
/// may have left it taken (a session lock survives its transaction's rollback; a lease row
/// does not).
struct Attempt<'a> {
    /// The last statement's first row says whether the lock is taken.
    take: &'a [String],
    holder: &'a str,
    release_on_error: Option<&'a str>,
}

impl Lock {
    /// Whether migrations must re-check the history inside their transaction.
    pub(crate) fn guarded(&self) -> bool {
        matches!(self, Lock::PerTransaction)
    }
}

/// Takes the lock (waiting, logging the holder at info at most every 10 s, giving up after
/// the timeout with [`Error::LockTimeout`]) and returns the history as read under it.
pub(crate) async fn acquire<D: Driver>(
    conn: &mut D,
    table: &HistoryTable,
    sql: &HistorySql,
    options: LockOptions,
) -> Result<(Lock, Vec<AppliedMigration>)> {
    if options.strategy == LockStrategy::Table
        && let Some(lease) =
            LeaseSql::new(table, sql, conn.dialect(), &owner_id(), options.lease_ttl)
    {
        return acquire_lease(conn, sql, lease, options).await;
    }
    let Some(lock) = conn.session_lock(table) else {
        conn.set_lock_wait(options.timeout)
            .map_err(Error::Database)?;
        let history = protocol::read(conn, sql, protocol::Read::Create).await?;
        return Ok((Lock::PerTransaction, history));
    };
    let try_lock = [lock.try_lock.clone()];
    let attempt = Attempt {
        take: &try_lock,
        holder: &lock.holder,
        release_on_error: Some(&lock.unlock),
    };
    let history = wait_for(conn, sql, &attempt, options.timeout).await?;
    // A second round trip: does this session still hold what it just took? Behind a
    // transaction-pooling proxy it may already be another server connection.
    let held = conn.run_batch(&[&lock.held]).await;
    if !says_true(held.as_ref().ok().and_then(|sets| sets.first())) {
        // The lock sits on a pooled server connection; each unlock may land on another one.
        for _ in 0..4 {
            let unlocked = conn.run_batch(&[&lock.unlock]).await;
            if says_true(unlocked.as_ref().ok().and_then(|sets| sets.first())) {
                break;
            }
        }
        return Err(Error::SessionLockNotHeld);
    }
    Ok((Lock::Session(lock), history))
}

async fn acquire_lease<D: Driver>(
    conn: &mut D,
    sql: &HistorySql,
    lease: LeaseSql,
    options: LockOptions,
) -> Result<(Lock, Vec<AppliedMigration>)> {
    let attempt = Attempt {
        take: &lease.take,
        holder: &lease.holder,
        release_on_error: None,
    };
    let history = match wait_for(conn, sql, &attempt, options.timeout).await {
        Err(Error::Database(error)) if error.kind == DbErrorKind::UndefinedTable => {
            // The first lease on this database: create its table (another runner may be
            // doing the same: `IF NOT EXISTS` may still lose that race, so try twice).
            debug!("creating the lease table");
            if conn.run_batch(&[&lease.create]).await.is_err() {
                conn.run_batch(&[&lease.create])
                    .await
                    .map_err(Error::Database)?;
            }
            wait_for(conn, sql, &attempt, options.timeout).await?
        }
        other => other?,
    };
    Ok((Lock::Lease(Lease::taken(lease, options.lease_ttl)), history))
}

/// Tries `attempt` with the history read in the same round trip until it takes the lock.
async fn wait_for<D: Driver>(
    conn: &mut D,
    sql: &HistorySql,
    attempt: &Attempt<'_>,
    timeout: Option<Duration>,
) -> Result<Vec<AppliedMigration>> {
    let select = sql.select_rows(true);
    let batch: Vec<&str> = attempt
        .take
        .iter()
        .map(String::as_str)
        .chain([attempt.holder, select.as_str()])
        .collect();
    let started = Instant::now();
    let mut delay = Duration::from_millis(20);
    let mut last_log: Option<Instant> = None;
    loop {
        let sets = match conn.run_batch(&batch).await {
            Ok(sets) => sets,
            Err(error) => {
                // The lock may have been taken before a later statement failed (the history
                // table dropped meanwhile, say): a session lock survives that, so give it back.
                if let Some(unlock) = attempt.release_on_error {
                    release_quietly(conn, unlock).await;
                }
                return Err(Error::Database(error));
            }
        };
        let mut sets = sets.into_iter().skip(attempt.take.len() - 1);
        let (taken, holder, rows) = (sets.next(), sets.next(), sets.next());
        if says_true(taken.as_ref()) {
            if last_log.is_some() {
                info!(
                    waited_ms = started.elapsed().as_millis() as u64,
                    "took the migration lock"
                );
            }
            return match protocol::parse_rows(rows.unwrap_or_default().into_iter()) {
                Ok(history) => Ok(history),
                Err(error) => {
                    if let Some(unlock) = attempt.release_on_error {
                        release_quietly(conn, unlock).await;
                    }
                    Err(error)
                }
            };
        }
        let holder = holder
            .and_then(|rows| rows.into_iter().next())
            .and_then(|row| row.into_iter().next().flatten());
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
    let statement = match lock {
        Lock::Session(lock) => &lock.unlock,
        Lock::Lease(lease) => &lease.sql.release,
        Lock::PerTransaction => return Ok(()),
    };
    let sets = conn
        .run_batch(&[statement])
        .await
        .map_err(Error::Database)?;
    // `pg_advisory_unlock` says false: another session had the lock.
    if let Lock::Session(_) = lock
        && !says_true(sets.first())
    {
        warn!(
            "this session did not hold the advisory lock when releasing it: is a \
             transaction-pooling proxy in between? Use lock = \"table\""
        );
    }
    Ok(())
}

/// Whether a result set's first row begins with SQL true (a lock statement's answer).
fn says_true(rows: Option<&Vec<Row>>) -> bool {
    rows.and_then(|rows| rows.first())
        .is_some_and(|row| is_true(row.first().and_then(|v| v.as_deref())))
}

async fn release_quietly<D: Driver>(conn: &mut D, unlock: &str) {
    if let Err(error) = conn.run_batch(&[unlock]).await {
        debug!(%error, "releasing the lock after a failed lock batch failed");
    }
}
