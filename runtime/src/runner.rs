//! `Runner`: the options of a run (target, check opt-outs, lock timeout, history table) and
//! the run itself: read history, plan, lock, re-plan, apply or revert, unlock.

use std::collections::HashMap;
use std::task::Poll;
use std::time::{Duration, Instant};

use strata_model::history_table::LockStrategy;
use strata_model::migration::{Migration, Section};
use tracing::{Instrument, info, info_span, warn};

use crate::driver::{DbErrorKind, Driver, Failure, ReadOnly, StepError};
use crate::error::{DbError, Error, Location, Result};
use crate::history::sql::{Count, HistorySql};
use crate::history::{AppliedMigration, HistoryTable};
use crate::lock::{self, Lock, LockOptions};
use crate::migrations::Migrations;
use crate::plan::{self, Checks, RevertStep, Target};
use crate::protocol::{self, Applied, Fingerprint, Pending, Read};
use crate::report::{Direction, Plan, PlannedStep, Report, State, StatusRow, Step};

/// See [`Runner::shortcut`].
enum Shortcut {
    UpToDate,
    Behind,
    Unknown,
}

/// Builder for a run with options. Get one from [`Migrations::runner`]; finish it with
/// [`run`](Runner::run), [`rollback`](Runner::rollback), [`status`](Runner::status),
/// [`dry_run`](Runner::dry_run) or [`dry_run_rollback`](Runner::dry_run_rollback).
///
/// ```no_run
/// # use strata_runtime as strata;
/// # static MIGRATIONS: strata::Migrations = strata::Migrations::empty();
/// # async fn example(client: &mut tokio_postgres::Client) -> Result<(), strata::Error> {
/// // static MIGRATIONS: strata::Migrations = strata::embed_migrations!("migrations");
/// let report = MIGRATIONS
///     .runner()
///     .target(20250210120000)                        // apply up to and including this version
///     .allow_out_of_order(true)                      // opt out of one check
///     .lock_timeout(std::time::Duration::from_secs(60))
///     .history_table(Some("ops"), "schema_history")  // instead of strata.toml's [history]
///     .run(client)
///     .await?;
/// for step in &report.applied {
///     tracing::info!(step.version, step.name, ms = step.execution.as_millis() as u64, "applied");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Runner<'m> {
    migrations: &'m Migrations,
    checks: Checks,
    target: Option<i64>,
    lock_timeout: Option<Duration>,
    /// An override of the list's lock strategy.
    lock: Option<LockStrategy>,
    lease_ttl: Duration,
    /// An override of the list's table; invalid names are reported when the run starts.
    history: Option<Result<HistoryTable, String>>,
    /// Rows this run inserts are marked so (the day-2 operations, which record migrations
    /// without running them).
    origin: Option<String>,
}

/// The SQL a step ran, for mapping error offsets: an embedded section (file positions) or
/// a DOWN stored in the history table (positions inside the stored text).
#[derive(Clone, Copy)]
pub(crate) enum Source<'a> {
    Section(&'a Section),
    Stored { sql: &'a str, origin: &'a str },
}

impl Source<'_> {
    fn path(&self) -> &str {
        match self {
            Source::Section(section) => section.path(),
            Source::Stored { origin, .. } => origin,
        }
    }

    fn position(&self, offset: usize) -> (u32, u32) {
        match self {
            Source::Section(section) => section.file_position(offset),
            Source::Stored { sql, .. } => strata_model::position::line_column(sql, offset),
        }
    }

    pub(crate) fn location(&self, offset: Option<usize>) -> Location {
        let (line, column) = match offset {
            Some(offset) => {
                let (line, column) = self.position(offset);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        Location {
            path: self.path().to_string(),
            line,
            column,
        }
    }
}

/// Turns a driver's [`StepError`] into an [`Error`] naming the migration and the place in
/// its file. `statement_starts` are the byte offsets of the section's statements.
fn step_error(
    version: i64,
    name: &str,
    direction: Direction,
    transactional: bool,
    source: Source<'_>,
    statement_starts: &[usize],
    error: StepError,
) -> Error {
    let name = name.to_string();
    let (index, completed) = match error.failure {
        Failure::Recording { .. } => {
            return Error::Unrecorded {
                version,
                name,
                direction,
                path: source.path().to_string(),
                error: error.error,
            };
        }
        Failure::Statement { index, completed } => (index, completed),
    };
    // Where the error is, else where the failing statement starts.
    let offset = error
        .offset
        .or_else(|| index.and_then(|i| statement_starts.get(i).copied()));
    let location = source.location(offset);
    match index {
        Some(failed) if failed > 0 && !transactional => {
            let completed_lines = statement_starts
                .iter()
                .take(completed.min(failed))
                .map(|start| source.position(*start).0)
                .collect();
            Error::PartiallyApplied {
                version,
                name,
                direction,
                location,
                failed_statement: failed + 1,
                total: statement_starts.len(),
                completed_lines,
                error: error.error,
                committed: Vec::new(),
            }
        }
        _ => match direction {
            Direction::Up => Error::Migration {
                version,
                name,
                location,
                error: error.error,
                committed: Vec::new(),
            },
            Direction::Down => Error::Rollback {
                version,
                name,
                location,
                error: error.error,
            },
        },
    }
}

/// Renews the table lease when due, before migration `next` starts; [`Error::LeaseLost`]
/// when another runner has it.
async fn keep_lease<D: Driver>(conn: &mut D, lock: &Lock, next: i64) -> Result<()> {
    match lock {
        Lock::Lease(lease) if !lease.renew_if_due(conn).await => Err(Error::LeaseLost { next }),
        _ => Ok(()),
    }
}

/// What each history row of `pending` records, worked out in order as if every migration
/// succeeds: a failure stops a run, so the rows written are a prefix of these. When one
/// runner alone writes the history (a session lock, a lease, a script), its row count and
/// top are known; otherwise (`guarded`) each insert counts inside its own transaction.
pub(crate) fn history_counts(
    history: &[AppliedMigration],
    pending: &[&Migration],
    guarded: bool,
) -> Vec<Count> {
    let mut count = history.len() as i64;
    let mut top = history.iter().map(|a| a.version).max();
    pending
        .iter()
        .map(|migration| {
            let on_top = top.is_none_or(|top| migration.version() > top);
            count += 1;
            top = top.max(Some(migration.version()));
            match (guarded, on_top) {
                (true, _) => Count::InSql,
                (false, true) => Count::Known(count),
                (false, false) => Count::OutOfOrder,
            }
        })
        .collect()
}

/// The history SQL of a run that holds `lock`: fenced by the lease when it is one.
fn fenced(sql: HistorySql, lock: &Lock) -> HistorySql {
    match lock {
        Lock::Lease(lease) => sql.fenced(&lease.sql.fence),
        _ => sql,
    }
}

/// [`Error::LeaseLost`] when a step failed at the lease's fence (division by zero) because
/// another runner took the lease; `None` for any other failure, a migration's own division
/// by zero included (the lease is still ours then).
async fn lease_lost<D: Driver>(
    conn: &mut D,
    lock: &Lock,
    error: &StepError,
    next: i64,
) -> Option<Error> {
    let Lock::Lease(lease) = lock else {
        return None;
    };
    if error.error.code != lease.sql.fence_code {
        return None;
    }
    lease.renew(conn).await;
    lease.is_lost().then_some(Error::LeaseLost { next })
}

/// Runs `work`, renewing the lease from `heartbeat` meanwhile when the run holds one. The
/// heartbeat never finishes on its own: it is polled after `work` and dropped with it.
async fn with_heartbeat<T, H: Driver>(
    lock: &Lock,
    heartbeat: Option<&mut H>,
    work: impl Future<Output = T>,
) -> T {
    let (Lock::Lease(lease), Some(heartbeat)) = (lock, heartbeat) else {
        return work.await;
    };
    let mut work = std::pin::pin!(work);
    let mut beat = std::pin::pin!(lease.heartbeat(heartbeat));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = work.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        let _ = beat.as_mut().poll(cx);
        Poll::Pending
    })
    .await
}

fn starts(section: &Section) -> Vec<usize> {
    section
        .statements()
        .iter()
        .map(|s| s.range().start)
        .collect()
}

impl<'m> Runner<'m> {
    pub(crate) fn new(migrations: &'m Migrations) -> Self {
        Runner {
            migrations,
            checks: Checks::default(),
            target: None,
            lock_timeout: None,
            lock: None,
            lease_ttl: crate::lease::DEFAULT_TTL,
            history: None,
            origin: None,
        }
    }

    /// Marks the rows this run inserts with `origin` (which needs the admin columns).
    pub(crate) fn recording_as(mut self, origin: &str) -> Self {
        self.origin = Some(origin.to_string());
        self
    }

    /// Apply only up to and including this version (which must be embedded, else
    /// [`Error::UnknownTarget`]).
    pub fn target(mut self, version: i64) -> Self {
        self.target = Some(version);
        self
    }

    /// Apply even when applied migrations changed since (their checksum differs).
    /// Default `false`: [`Error::Divergent`].
    pub fn allow_divergent(mut self, allow: bool) -> Self {
        self.checks.allow_divergent = allow;
        self
    }

    /// Apply even when the database has migrations this binary does not embed.
    /// Default `false`: [`Error::Missing`].
    pub fn allow_missing(mut self, allow: bool) -> Self {
        self.checks.allow_missing = allow;
        self
    }

    /// Apply pending migrations older than the newest applied one (in version order).
    /// Default `false`: [`Error::OutOfOrder`].
    pub fn allow_out_of_order(mut self, allow: bool) -> Self {
        self.checks.allow_out_of_order = allow;
        self
    }

    /// Give up waiting for another runner's lock after this long ([`Error::LockTimeout`]).
    /// Default: wait as long as the other runner works.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = Some(timeout);
        self
    }

    /// How runners exclude each other, instead of `strata.toml`'s `lock`: PostgreSQL's
    /// session advisory lock (the default), or [`LockStrategy::Table`], a lease row that
    /// works when each statement may run on another server connection (PgBouncer's
    /// transaction pooling). SQLite serializes writers itself and ignores this.
    pub fn lock(mut self, strategy: LockStrategy) -> Self {
        self.lock = Some(strategy);
        self
    }

    /// How long the table lease lasts without renewal (default 30 s): a runner killed while
    /// holding it blocks others this long. The run renews it between migrations, and every
    /// third of it from a second connection with [`Runner::run_with_heartbeat`]; without
    /// one, a single migration (or pipelined group) longer than this may lose it
    /// ([`Error::LeaseLost`]).
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl.max(Duration::from_millis(300));
        self
    }

    fn lock_options(&self) -> LockOptions {
        LockOptions {
            strategy: self.lock.unwrap_or(self.migrations.lock_strategy()),
            timeout: self.lock_timeout,
            lease_ttl: self.lease_ttl,
        }
    }

    /// Overrides the history table from `strata.toml`'s `[history]`. Both identifiers are
    /// validated when the run starts ([`Error::InvalidIdentifier`]), then quoted.
    pub fn history_table(mut self, schema: Option<&str>, table: &str) -> Self {
        self.history = Some(
            HistoryTable::new(schema, table).map_err(|error| match error {
                Error::InvalidIdentifier(name) => name,
                other => other.to_string(),
            }),
        );
        self
    }

    /// The check opt-outs this runner was configured with.
    pub fn checks(&self) -> Checks {
        self.checks
    }

    /// The history table, validated once (by `strata.toml`'s check, or by
    /// [`Runner::history_table`]).
    pub(crate) fn table(&self) -> Result<&HistoryTable> {
        match &self.history {
            Some(Ok(table)) => Ok(table),
            Some(Err(name)) => Err(Error::InvalidIdentifier(name.clone())),
            None => Ok(self.migrations.history()),
        }
    }

    /// The table and its SQL for this backend.
    fn history_sql<D: Driver>(&self, conn: &D) -> Result<(&HistoryTable, HistorySql)> {
        let table = self.table()?;
        let sql = HistorySql::new(table, conn.dialect()).with_origin(self.origin.as_deref());
        Ok((table, sql))
    }

    pub(crate) fn embedded(&self) -> &'m [Migration] {
        self.migrations.as_slice()
    }

    /// The version a run stops at, if one was set.
    pub(crate) fn target_version(&self) -> Option<i64> {
        self.target
    }

    /// Applies every pending migration (up to the target), in version order.
    ///
    /// First reads the history's top row (one round trip on PostgreSQL); when it shows the
    /// database holds exactly the embedded list, that is the whole run. When it is exactly a
    /// shorter prefix, the run goes straight to the lock. Otherwise it reads the history and
    /// plans without the lock, so a failed check returns before any lock is taken. Under the
    /// lock it re-reads the history and re-plans (another runner may have applied some
    /// meanwhile), applies each migration in one round trip, and releases the lock on every
    /// path, failure included.
    ///
    /// If this future is dropped mid-way, the session may still hold the lock and be inside
    /// a transaction: drop the connection too (closing the session releases both).
    pub async fn run<D: Driver>(&self, conn: &mut D) -> Result<Report> {
        let outcome = self.run_unexplained(conn, None::<&mut D>).await;
        explain_read_only(conn, outcome).await
    }

    /// [`Runner::run`], renewing the table lease from `heartbeat` (a second connection to
    /// the same database) while migrations run, so one migration longer than the lease
    /// keeps it. With the advisory lock, or on SQLite, `heartbeat` is not used.
    pub async fn run_with_heartbeat<D: Driver, H: Driver>(
        &self,
        conn: &mut D,
        heartbeat: &mut H,
    ) -> Result<Report> {
        let outcome = self.run_unexplained(conn, Some(heartbeat)).await;
        explain_read_only(conn, outcome).await
    }

    async fn run_unexplained<D: Driver, H: Driver>(
        &self,
        conn: &mut D,
        heartbeat: Option<&mut H>,
    ) -> Result<Report> {
        let (table, sql) = self.history_sql(conn)?;
        // Every write of the run, creating the history table included, waits this long.
        conn.set_lock_wait(self.lock_timeout)
            .map_err(Error::Database)?;
        let shortcut = protocol::probe(conn, &sql)
            .await?
            .map(|f| (self.shortcut(&f), f.count));
        match shortcut {
            Some((Shortcut::UpToDate, applied)) => {
                info!(applied, "migrations are up to date");
                return Ok(Report::default());
            }
            // The history is exactly a prefix of the embedded list: only pending work, no
            // check can fail. The lock re-reads it and plans under it, as always.
            Some((Shortcut::Behind, _)) => {}
            // Divergent, missing, ahead of this binary, or unknown: plan without the lock, so
            // a failed check or an older binary with nothing to do never waits for it.
            Some((Shortcut::Unknown, _)) | None => {
                let history = protocol::read(conn, &sql, Read::Create).await?;
                if plan::plan_up(self.embedded(), &history, self.checks, self.target)?.is_empty() {
                    info!(applied = history.len(), "migrations are up to date");
                    return Ok(Report::default());
                }
            }
        }
        let (lock, history) = lock::acquire(conn, table, &sql, self.lock_options()).await?;
        let sql = fenced(sql, &lock);
        let outcome = with_heartbeat(
            &lock,
            heartbeat,
            self.apply_locked(conn, &sql, &lock, &history),
        )
        .await;
        let unlocked = lock::release(conn, &lock).await;
        let report = outcome?;
        unlocked?;
        Ok(report)
    }

    /// What the fingerprint tells without reading the history: the database holds exactly
    /// the embedded migrations up to the target (checksums included), or exactly a shorter
    /// prefix of them, or something else.
    fn shortcut(&self, fingerprint: &Fingerprint) -> Shortcut {
        let (upto, _) = self.migrations.tip(self.target);
        let prefix = match usize::try_from(fingerprint.count) {
            Ok(0) => true,
            Ok(count) if count <= upto => {
                self.migrations.entry(count - 1)
                    == Some((fingerprint.max_version, Some(fingerprint.digest.as_str())))
            }
            _ => false,
        };
        match (prefix, fingerprint.count == upto as i64) {
            (true, true) => Shortcut::UpToDate,
            (true, false) => Shortcut::Behind,
            (false, _) => Shortcut::Unknown,
        }
    }

    async fn apply_locked<D: Driver>(
        &self,
        conn: &mut D,
        sql: &HistorySql,
        lock: &Lock,
        history: &[AppliedMigration],
    ) -> Result<Report> {
        let pending = plan::plan_up(self.embedded(), history, self.checks, self.target)?;
        info!(pending = pending.len(), "applying migrations");
        let guarded = lock.guarded();
        let last = pending.len().saturating_sub(1);
        let counts = history_counts(history, &pending, guarded);
        let planned: Vec<Pending<'_>> = pending
            .into_iter()
            .zip(counts)
            .enumerate()
            .map(|(index, (migration, count))| Pending {
                migration,
                count,
                durable: index == last,
            })
            .collect();
        let mut report = Report::default();
        let mut index = 0;
        while index < planned.len() {
            keep_lease(conn, lock, planned[index].migration.version()).await?;
            // Consecutive transactional migrations go to the backend together (one message
            // on PostgreSQL); a no-transaction one runs on its own, statement by statement.
            let end = (index..planned.len())
                .find(|&j| !protocol::pipelinable(planned[j].migration, guarded, sql.dialect()))
                .unwrap_or(planned.len());
            if end - index >= 2 {
                let group = &planned[index..end];
                let mut steps = Vec::new();
                let outcome = protocol::apply_group(conn, sql, group, &mut |i, execution| {
                    let migration = group[i].migration;
                    migration_span(migration, sql.dialect())
                        .in_scope(|| info!(execution_ms = execution.as_millis() as u64, "applied"));
                    steps.push(Step::new(migration.version(), migration.name(), execution));
                })
                .await;
                report.applied.extend(steps);
                if let Err((failed, error)) = outcome {
                    let migration = group[failed].migration;
                    if let Some(lost) = lease_lost(conn, lock, &error, migration.version()).await {
                        return Err(lost);
                    }
                    return Err(up_failure(conn, sql, &report, migration, error).await);
                }
                index = end;
                continue;
            }
            let pending = &planned[index];
            let migration = pending.migration;
            let span = migration_span(migration, sql.dialect());
            let applied = protocol::apply(
                conn,
                sql,
                migration,
                pending.count,
                pending.durable,
                guarded,
            )
            .instrument(span.clone())
            .await;
            match applied {
                Ok(Applied::Now(execution)) => {
                    let execution_ms = execution.as_millis() as u64;
                    span.in_scope(|| info!(execution_ms, "applied"));
                    let step = Step::new(migration.version(), migration.name(), execution);
                    report.applied.push(step);
                }
                Ok(Applied::Already) => {
                    span.in_scope(|| info!("already applied by another runner"))
                }
                Err(error) => {
                    if let Some(lost) = lease_lost(conn, lock, &error, migration.version()).await {
                        return Err(lost);
                    }
                    return Err(up_failure(conn, sql, &report, migration, error).await);
                }
            }
            index += 1;
        }
        Ok(report)
    }

    /// Rolls back to `target`, newest first: each DOWN with its history delete in one
    /// transaction (one round trip on PostgreSQL). The DOWN comes from the binary, else from
    /// the copy stored at apply time. Refuses before running anything ([`Error::NoDown`]) if
    /// any chosen migration has neither. Holds the lock throughout, like [`Runner::run`].
    pub async fn rollback<D: Driver>(&self, conn: &mut D, target: Target) -> Result<Report> {
        let outcome = self
            .rollback_unexplained(conn, None::<&mut D>, target)
            .await;
        explain_read_only(conn, outcome).await
    }

    /// [`Runner::rollback`], renewing the table lease from `heartbeat` like
    /// [`Runner::run_with_heartbeat`].
    pub async fn rollback_with_heartbeat<D: Driver, H: Driver>(
        &self,
        conn: &mut D,
        heartbeat: &mut H,
        target: Target,
    ) -> Result<Report> {
        let outcome = self
            .rollback_unexplained(conn, Some(heartbeat), target)
            .await;
        explain_read_only(conn, outcome).await
    }

    async fn rollback_unexplained<D: Driver, H: Driver>(
        &self,
        conn: &mut D,
        heartbeat: Option<&mut H>,
        target: Target,
    ) -> Result<Report> {
        let (table, sql) = self.history_sql(conn)?;
        conn.set_lock_wait(self.lock_timeout)
            .map_err(Error::Database)?;
        // Plan without the lock first, like `run`: nothing to undo, or a migration without
        // any DOWN, ends here. An older layout is upgraded before anything is written.
        let history = protocol::read(conn, &sql, Read::Upgrade).await?;
        if plan::plan_down(self.embedded(), &history, target)?.is_empty() {
            info!("nothing to roll back");
            return Ok(Report::default());
        }
        let (lock, history) = lock::acquire(conn, table, &sql, self.lock_options()).await?;
        let sql = fenced(sql, &lock);
        let outcome = with_heartbeat(
            &lock,
            heartbeat,
            self.revert_locked(conn, &sql, &lock, &history, target),
        )
        .await;
        let unlocked = lock::release(conn, &lock).await;
        let report = outcome?;
        unlocked?;
        Ok(report)
    }

    async fn revert_locked<D: Driver>(
        &self,
        conn: &mut D,
        sql: &HistorySql,
        lock: &Lock,
        history: &[AppliedMigration],
        target: Target,
    ) -> Result<Report> {
        let steps = plan::plan_down(self.embedded(), history, target)?;
        info!(steps = steps.len(), "rolling back migrations");
        let mut report = Report::default();
        for step in &steps {
            keep_lease(conn, lock, step.version).await?;
            let origin = step.origin(sql.quoted());
            let span = info_span!("rollback", version = step.version, name = %step.name, path = %origin, transactional = step.transactional);
            let started = Instant::now();
            match protocol::revert(conn, sql, step, lock.guarded())
                .instrument(span.clone())
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    span.in_scope(|| info!("already rolled back by another runner"));
                    continue;
                }
                Err(error)
                    if error.error.kind == DbErrorKind::ReadOnly && report.reverted.is_empty() =>
                {
                    return Err(read_only(conn, error.error).await);
                }
                Err(error) => {
                    if let Some(lost) = lease_lost(conn, lock, &error, step.version).await {
                        return Err(lost);
                    }
                    let statements = protocol::revert_statements(step, conn.dialect());
                    let statement_starts: Vec<usize> =
                        statements.iter().map(|(start, _)| *start).collect();
                    let atomic = protocol::atomic(
                        step.transactional,
                        statements.iter().map(|(_, text)| *text),
                        conn.dialect(),
                    );
                    let source = match step.section {
                        Some(section) => Source::Section(section),
                        None => Source::Stored {
                            sql: &step.sql,
                            origin: &origin,
                        },
                    };
                    let error = step_error(
                        step.version,
                        &step.name,
                        Direction::Down,
                        atomic,
                        source,
                        &statement_starts,
                        error,
                    );
                    span.in_scope(|| warn!(%error, "rollback failed"));
                    return Err(error);
                }
            }
            let execution = started.elapsed();
            let execution_ms = execution.as_millis() as u64;
            span.in_scope(|| info!(execution_ms, "rolled back"));
            report
                .reverted
                .push(Step::new(step.version, &step.name, execution));
        }
        Ok(report)
    }

    /// The history table's rows, by version. Reads only and writes nothing: without a
    /// history table, there are none.
    pub async fn applied<D: Driver>(&self, conn: &mut D) -> Result<Vec<AppliedMigration>> {
        let (_, sql) = self.history_sql(conn)?;
        protocol::read(conn, &sql, Read::Look).await
    }

    /// Every embedded and every applied migration with its state, by version. Reads the
    /// history only (one round trip on PostgreSQL) and writes nothing: without a history
    /// table, everything is pending.
    pub async fn status<D: Driver>(&self, conn: &mut D) -> Result<Vec<StatusRow>> {
        let (_, sql) = self.history_sql(conn)?;
        let history = protocol::read(conn, &sql, Read::Look).await?;
        Ok(status_rows(self.embedded(), &history))
    }

    /// What [`Runner::run`] would apply, with the SQL, after the same checks (a failed
    /// check is returned as the same error). Reads the history only; writes nothing and
    /// takes no lock.
    pub async fn dry_run<D: Driver>(&self, conn: &mut D) -> Result<Plan> {
        let (_, sql) = self.history_sql(conn)?;
        let history = protocol::read(conn, &sql, Read::Look).await?;
        let pending = plan::plan_up(self.embedded(), &history, self.checks, self.target)?;
        let steps = pending
            .into_iter()
            .map(|m| PlannedStep {
                version: m.version(),
                name: m.name().to_string(),
                direction: Direction::Up,
                transactional: protocol::up_is_atomic(m, sql.dialect()),
                sql: m.up().to_string(),
            })
            .collect();
        Ok(Plan { steps })
    }

    /// What [`Runner::rollback`] would run for `target`, with the SQL (embedded or stored
    /// DOWN). Reads the history only; writes nothing and takes no lock.
    pub async fn dry_run_rollback<D: Driver>(&self, conn: &mut D, target: Target) -> Result<Plan> {
        let (_, sql) = self.history_sql(conn)?;
        let history = protocol::read(conn, &sql, Read::Look).await?;
        let steps = plan::plan_down(self.embedded(), &history, target)?
            .iter()
            .map(|s: &RevertStep<'_>| PlannedStep {
                version: s.version,
                name: s.name.clone(),
                direction: Direction::Down,
                transactional: protocol::atomic(
                    s.transactional,
                    protocol::revert_statements(s, sql.dialect())
                        .iter()
                        .map(|(_, text)| *text),
                    sql.dialect(),
                ),
                sql: s.sql.to_string(),
            })
            .collect();
        Ok(Plan { steps })
    }
}

/// `transactional`: whether it runs in one transaction with its history row on this
/// backend (not on MySQL when it holds DDL).
fn migration_span(migration: &Migration, dialect: strata_model::Dialect) -> tracing::Span {
    info_span!(
        "migration",
        version = migration.version(),
        name = migration.name(),
        path = migration.path(),
        transactional = protocol::up_is_atomic(migration, dialect)
    )
}

/// The error for `migration`'s failed UP, naming what this run committed before it. Refused
/// as read-only before anything was applied: what the server is, instead.
async fn up_failure<D: Driver>(
    conn: &mut D,
    sql: &HistorySql,
    report: &Report,
    migration: &Migration,
    error: StepError,
) -> Error {
    if error.error.kind == DbErrorKind::ReadOnly && report.applied.is_empty() {
        return read_only(conn, error.error).await;
    }
    let up = migration.up_section();
    let mut error = step_error(
        migration.version(),
        migration.name(),
        Direction::Up,
        protocol::up_is_atomic(migration, sql.dialect()),
        Source::Section(up),
        &starts(up),
        error,
    );
    if let Error::Migration { committed, .. } | Error::PartiallyApplied { committed, .. } =
        &mut error
    {
        *committed = report.applied.iter().map(|s| s.version).collect();
    }
    migration_span(migration, sql.dialect()).in_scope(|| warn!(%error, "migration failed"));
    // A partial UP is settled later with `strata repair`, which reads what ran from here.
    crate::admin::failure::record(conn, sql, &error).await;
    error
}

/// [`Error::ReadOnly`], with what the database says about why.
async fn read_only<D: Driver>(conn: &mut D, error: DbError) -> Error {
    let reason = match conn.read_only().await {
        Ok(Some(reason)) => reason,
        Ok(None) | Err(_) => ReadOnly::Unknown,
    };
    Error::ReadOnly { reason, error }
}

/// A protocol statement (creating or upgrading the history table) refused as read-only is
/// the first write of a run: nothing was changed, and the error says why.
async fn explain_read_only<D: Driver, T>(conn: &mut D, outcome: Result<T>) -> Result<T> {
    match outcome {
        Err(Error::Database(error)) if error.kind == DbErrorKind::ReadOnly => {
            Err(read_only(conn, error).await)
        }
        other => other,
    }
}

/// Merges the embedded list and the history into status rows, by version: embedded ones
/// are applied, pending or divergent; applied ones this binary lacks are missing.
pub fn status_rows(embedded: &[Migration], history: &[AppliedMigration]) -> Vec<StatusRow> {
    let by_version: HashMap<i64, &AppliedMigration> =
        history.iter().map(|a| (a.version, a)).collect();
    let mut rows: Vec<StatusRow> = embedded
        .iter()
        .map(|m| {
            let applied = by_version.get(&m.version()).copied();
            let state = match applied {
                None => State::Pending,
                Some(a) if a.checksum != m.checksum() => State::Divergent,
                Some(_) => State::Applied,
            };
            StatusRow {
                version: m.version(),
                name: m.name().to_string(),
                state,
                applied_at: applied.map(|a| a.applied_at),
                execution: applied.map(|a| a.execution),
                path: Some(m.path().to_string()),
            }
        })
        .collect();
    rows.extend(
        history
            .iter()
            .filter(|a| !plan::embeds(embedded, a.version))
            .map(|a| StatusRow {
                version: a.version,
                name: a.name.clone(),
                state: State::Missing,
                applied_at: Some(a.applied_at),
                execution: Some(a.execution),
                path: None,
            }),
    );
    rows.sort_by_key(|r| r.version);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> DbError {
        DbError::new("42703", "boom")
    }

    #[test]
    fn stored_down_failures_point_into_the_stored_text() {
        let sql = "DROP TABLE a;\nDROP TABLE b;";
        let origin = "stored DOWN of 7";
        let step = StepError {
            offset: Some(25),
            ..StepError::new(db())
        };
        let error = step_error(
            7,
            "x",
            Direction::Down,
            true,
            Source::Stored { sql, origin },
            &[0, 14],
            step,
        );
        assert_eq!(
            error.to_string(),
            "rolling back migration 7 (stored DOWN of 7:2:12) failed: [42703] boom"
        );
    }

    #[test]
    fn partial_no_transaction_failures_list_what_ran() {
        let sql =
            "DROP INDEX CONCURRENTLY a;\nDROP INDEX CONCURRENTLY b;\nDROP INDEX CONCURRENTLY c;";
        let origin = "stored";
        let step = StepError {
            failure: Failure::Statement {
                index: Some(2),
                completed: 2,
            },
            ..StepError::new(db())
        };
        match step_error(
            3,
            "x",
            Direction::Down,
            false,
            Source::Stored { sql, origin },
            &[0, 27, 54],
            step,
        ) {
            Error::PartiallyApplied {
                failed_statement,
                total,
                completed_lines,
                location,
                direction,
                ..
            } => {
                assert_eq!(
                    (failed_statement, total, completed_lines),
                    (3, 3, vec![1, 2])
                );
                assert_eq!(location.to_string(), "stored:3:1");
                assert_eq!(direction, Direction::Down);
            }
            other => panic!("{other:?}"),
        }
        // The first statement failing is a plain failure: nothing ran.
        let first = StepError {
            failure: Failure::Statement {
                index: Some(0),
                completed: 0,
            },
            ..StepError::new(db())
        };
        assert!(matches!(
            step_error(
                3,
                "x",
                Direction::Up,
                false,
                Source::Stored { sql, origin },
                &[0, 27, 54],
                first
            ),
            Error::Migration { .. }
        ));
        let recording = StepError {
            failure: Failure::Recording { completed: 3 },
            ..StepError::new(db())
        };
        assert!(matches!(
            step_error(
                3,
                "x",
                Direction::Up,
                false,
                Source::Stored { sql, origin },
                &[0, 27, 54],
                recording
            ),
            Error::Unrecorded { .. }
        ));
    }
}
