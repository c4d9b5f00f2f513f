//! `Runner`: the options of a run (target, check opt-outs, lock timeout, history table) and
//! the run itself: read history, plan, lock, re-plan, apply or revert, unlock.

use std::time::Duration;

use strata_core::model::{Migration, Section};
use tracing::{info, info_span, warn};

use crate::driver::{Applied, Driver, StepError};
use crate::error::{Error, Location, Result};
use crate::history::{AppliedMigration, HistoryTable};
use crate::migrations::Migrations;
use crate::plan::{self, Checks, RevertStep, Target};
use crate::report::{Direction, Plan, PlannedStep, Report, State, StatusRow, Step};

/// Builder for a run. Get one from [`Migrations::runner`].
///
/// ```ignore
/// # async fn example(client: &mut tokio_postgres::Client) -> Result<(), strata::Error> {
/// static MIGRATIONS: strata::Migrations = strata::embed_migrations!("migrations");
/// let report = MIGRATIONS
///     .runner()
///     .target(2)
///     .lock_timeout(std::time::Duration::from_secs(60))
///     .run(client)
///     .await?;
/// println!("applied {} migrations", report.applied.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Runner<'m> {
    migrations: &'m Migrations,
    checks: Checks,
    target: Option<i64>,
    lock_timeout: Option<Duration>,
    history: Option<(Option<String>, String)>,
}

fn location(section: &Section, error: &StepError, statement_starts: &[usize]) -> Location {
    let offset = error.offset.or_else(|| error.statement.and_then(|i| statement_starts.get(i).copied()));
    let (line, column) = match offset {
        Some(offset) => {
            let (line, column) = section.file_position(offset);
            (Some(line), Some(column))
        }
        None => (None, None),
    };
    Location { path: section.path().to_string(), line, column }
}

impl<'m> Runner<'m> {
    pub(crate) fn new(migrations: &'m Migrations) -> Self {
        Runner { migrations, checks: Checks::default(), target: None, lock_timeout: None, history: None }
    }

    /// Apply only up to and including this version.
    pub fn target(mut self, version: i64) -> Self {
        self.target = Some(version);
        self
    }

    /// Apply even when applied migrations changed since (their checksum differs).
    pub fn allow_divergent(mut self, allow: bool) -> Self {
        self.checks.allow_divergent = allow;
        self
    }

    /// Apply even when the database has migrations this binary does not embed.
    pub fn allow_missing(mut self, allow: bool) -> Self {
        self.checks.allow_missing = allow;
        self
    }

    /// Apply pending migrations older than the newest applied one (instead of refusing).
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

    /// Overrides the history table from `strata.toml`. Validated when the run starts.
    pub fn history_table(mut self, schema: Option<&str>, table: &str) -> Self {
        self.history = Some((schema.map(str::to_string), table.to_string()));
        self
    }

    fn table(&self) -> Result<HistoryTable> {
        match &self.history {
            Some((schema, table)) => HistoryTable::new(schema.as_deref(), table),
            None => HistoryTable::new(self.migrations.history_schema(), self.migrations.history_table()),
        }
    }

    fn embedded(&self) -> &'m [Migration] {
        self.migrations.as_slice()
    }

    /// Applies every pending migration (up to the target). With nothing pending this is one
    /// round trip on PostgreSQL; otherwise the lock is taken, the history re-read and checked
    /// under it, and each migration applied in one round trip.
    pub async fn run<D: Driver>(&self, conn: &mut D) -> Result<Report> {
        let table = self.table()?;
        let history = conn.read_history(&table).await.map_err(Error::Database)?;
        if plan::plan_up(self.embedded(), &history, self.checks, self.target)?.is_empty() {
            info!(applied = history.len(), "migrations are up to date");
            return Ok(Report::default());
        }
        let history = conn.lock(&table, self.lock_timeout).await?;
        let outcome = self.apply_locked(conn, &table, &history).await;
        let unlocked = conn.unlock(&table).await;
        let report = outcome?;
        unlocked.map_err(Error::Database)?;
        Ok(report)
    }

    async fn apply_locked<D: Driver>(&self, conn: &mut D, table: &HistoryTable, history: &[AppliedMigration]) -> Result<Report> {
        let pending = plan::plan_up(self.embedded(), history, self.checks, self.target)?;
        let mut report = Report::default();
        for migration in pending {
            let span = info_span!("migration", version = migration.version(), name = migration.name());
            let _entered = span.enter();
            match conn.apply(table, migration).await {
                Ok(Applied::Now { execution_ms }) => {
                    info!(execution_ms, "applied");
                    report.applied.push(Step { version: migration.version(), name: migration.name().to_string(), execution_ms });
                }
                Ok(Applied::Already) => info!("already applied by another runner"),
                Err(error) => {
                    let up = migration.up_section();
                    let starts: Vec<usize> = up.statements().iter().map(|s| s.range().start).collect();
                    let location = location(up, &error, &starts);
                    warn!(version = migration.version(), %location, error = %error.error, "migration failed");
                    let (version, name) = (migration.version(), migration.name().to_string());
                    return Err(match error.statement {
                        Some(failed) if failed > 0 && !migration.transactional() => Error::PartiallyApplied {
                            version,
                            name,
                            location,
                            failed_statement: failed + 1,
                            total: up.statements().len(),
                            error: error.error,
                        },
                        _ => Error::Migration { version, name, location, error: error.error },
                    });
                }
            }
        }
        Ok(report)
    }

    /// Rolls back to `target`: each DOWN with its history delete in one transaction, newest
    /// first. Refuses before running anything if any chosen migration has no DOWN.
    pub async fn rollback<D: Driver>(&self, conn: &mut D, target: Target) -> Result<Report> {
        let table = self.table()?;
        let history = conn.lock(&table, self.lock_timeout).await?;
        let outcome = self.revert_locked(conn, &table, &history, target).await;
        let unlocked = conn.unlock(&table).await;
        let report = outcome?;
        unlocked.map_err(Error::Database)?;
        Ok(report)
    }

    async fn revert_locked<D: Driver>(
        &self,
        conn: &mut D,
        table: &HistoryTable,
        history: &[AppliedMigration],
        target: Target,
    ) -> Result<Report> {
        let steps = plan::plan_down(self.embedded(), history, target)?;
        let mut report = Report::default();
        for step in &steps {
            let span = info_span!("rollback", version = step.version, name = %step.name);
            let _entered = span.enter();
            let started = std::time::Instant::now();
            if let Err(error) = conn.revert(table, step).await {
                let location = match step.section {
                    Some(section) => {
                        let starts: Vec<usize> = section.statements().iter().map(|s| s.range().start).collect();
                        location(section, &error, &starts)
                    }
                    None => Location { path: step.origin(table.table()), line: None, column: None },
                };
                return Err(Error::Rollback { version: step.version, name: step.name.clone(), location, error: error.error });
            }
            let execution_ms = started.elapsed().as_millis() as i64;
            info!(execution_ms, "rolled back");
            report.reverted.push(Step { version: step.version, name: step.name.clone(), execution_ms });
        }
        Ok(report)
    }

    /// Every embedded and every applied migration with its state, by version.
    pub async fn status<D: Driver>(&self, conn: &mut D) -> Result<Vec<StatusRow>> {
        let table = self.table()?;
        let history = conn.read_history(&table).await.map_err(Error::Database)?;
        Ok(status_rows(self.embedded(), &history))
    }

    /// What `run` would apply, with the SQL, after the same checks. Reads history only.
    pub async fn dry_run<D: Driver>(&self, conn: &mut D) -> Result<Plan> {
        let table = self.table()?;
        let history = conn.read_history(&table).await.map_err(Error::Database)?;
        let pending = plan::plan_up(self.embedded(), &history, self.checks, self.target)?;
        let steps = pending
            .into_iter()
            .map(|m| PlannedStep {
                version: m.version(),
                name: m.name().to_string(),
                direction: Direction::Up,
                transactional: m.transactional(),
                sql: m.up().to_string(),
            })
            .collect();
        Ok(Plan { steps })
    }

    /// What `rollback(target)` would run, with the SQL. Reads history only.
    pub async fn dry_run_rollback<D: Driver>(&self, conn: &mut D, target: Target) -> Result<Plan> {
        let table = self.table()?;
        let history = conn.read_history(&table).await.map_err(Error::Database)?;
        let steps = plan::plan_down(self.embedded(), &history, target)?
            .iter()
            .map(|s: &RevertStep<'_>| PlannedStep {
                version: s.version,
                name: s.name.clone(),
                direction: Direction::Down,
                transactional: s.transactional,
                sql: s.sql.to_string(),
            })
            .collect();
        Ok(Plan { steps })
    }
}

/// Merges the embedded list and the history into status rows, by version.
pub fn status_rows(embedded: &[Migration], history: &[AppliedMigration]) -> Vec<StatusRow> {
    let by_version: std::collections::HashMap<i64, &AppliedMigration> = history.iter().map(|a| (a.version, a)).collect();
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
                applied_at: applied.map(|a| a.applied_at.clone()),
                execution_ms: applied.map(|a| a.execution_ms),
                path: Some(m.path().to_string()),
            }
        })
        .collect();
    rows.extend(history.iter().filter(|a| !plan::embeds(embedded, a.version)).map(|a| StatusRow {
        version: a.version,
        name: a.name.clone(),
        state: State::Missing,
        applied_at: Some(a.applied_at.clone()),
        execution_ms: Some(a.execution_ms),
        path: None,
    }));
    rows.sort_by_key(|r| r.version);
    rows
}
