//! `Runner`: the options of a run (target, check opt-outs, lock timeout, history table) and
//! the run itself: read history, plan, lock, re-plan, apply or revert, unlock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use strata_core::model::{Migration, Section};
use tracing::{Instrument, info, info_span, warn};

use crate::driver::{Applied, Driver, StepError};
use crate::error::{Error, Location, Result};
use crate::history::{AppliedMigration, HistoryTable};
use crate::migrations::Migrations;
use crate::plan::{self, Checks, RevertStep, Target};
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
/// # static MIGRATIONS: strata::Migrations = strata::Migrations::from_static(&[], None, "strata_migrations");
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
///     tracing::info!(step.version, step.name, step.execution_ms, "applied");
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
    history: Option<(Option<String>, String)>,
}

/// 1-based `(line, column)` of a byte offset inside `text`, the column in characters.
fn text_position(text: &str, offset: usize) -> (u32, u32) {
    let offset = (0..=offset.min(text.len()))
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    let before = &text[..offset];
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// The SQL a step ran, for mapping error offsets: an embedded section (file positions) or
/// a DOWN stored in the history table (positions inside the stored text).
#[derive(Clone, Copy)]
enum Source<'a> {
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
            Source::Stored { sql, .. } => text_position(sql, offset),
        }
    }

    fn location(&self, offset: Option<usize>) -> Location {
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
    if error.recording {
        return Error::Unrecorded {
            version,
            name,
            direction,
            path: source.path().to_string(),
            error: error.error,
        };
    }
    // Where the error is, else where the failing statement starts.
    let offset = error.offset.or_else(|| {
        error
            .statement
            .and_then(|i| statement_starts.get(i).copied())
    });
    let location = source.location(offset);
    match error.statement {
        Some(failed) if failed > 0 && !transactional => {
            let completed_lines = statement_starts
                .iter()
                .take(error.completed.min(failed))
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
            }
        }
        _ => match direction {
            Direction::Up => Error::Migration {
                version,
                name,
                location,
                error: error.error,
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

fn starts(section: &Section) -> Vec<usize> {
    section
        .statements()
        .iter()
        .map(|s| s.range().start)
        .collect()
}

fn elapsed_ms(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}

impl<'m> Runner<'m> {
    pub(crate) fn new(migrations: &'m Migrations) -> Self {
        Runner {
            migrations,
            checks: Checks::default(),
            target: None,
            lock_timeout: None,
            history: None,
        }
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

    /// Overrides the history table from `strata.toml`'s `[history]`. Both identifiers are
    /// validated when the run starts ([`Error::InvalidIdentifier`]), then quoted.
    pub fn history_table(mut self, schema: Option<&str>, table: &str) -> Self {
        self.history = Some((schema.map(str::to_string), table.to_string()));
        self
    }

    /// The check opt-outs this runner was configured with.
    pub fn checks(&self) -> Checks {
        self.checks
    }

    fn table(&self) -> Result<HistoryTable> {
        match &self.history {
            Some((schema, table)) => HistoryTable::new(schema.as_deref(), table),
            None => HistoryTable::new(
                self.migrations.history_schema(),
                self.migrations.history_table(),
            ),
        }
    }

    fn embedded(&self) -> &'m [Migration] {
        self.migrations.as_slice()
    }

    /// Applies every pending migration (up to the target), in version order.
    ///
    /// First reads the history without the lock and plans; with nothing pending that is the
    /// whole run (one round trip on PostgreSQL), and a failed check returns before any lock
    /// is taken. Otherwise it takes the lock, re-reads the history and re-plans under it
    /// (another runner may have applied some meanwhile), applies each migration in one round
    /// trip, and releases the lock on every path, failure included.
    ///
    /// If this future is dropped mid-way, the session may still hold the lock and be inside
    /// a transaction: drop the connection too (closing the session releases both).
    pub async fn run<D: Driver>(&self, conn: &mut D) -> Result<Report> {
        let table = self.table()?;
        let shortcut = conn
            .fingerprint(&table)
            .await
            .map_err(Error::Database)?
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
                let history = conn.read_history(&table).await.map_err(Error::Database)?;
                if plan::plan_up(self.embedded(), &history, self.checks, self.target)?.is_empty() {
                    info!(applied = history.len(), "migrations are up to date");
                    return Ok(Report::default());
                }
            }
        }
        let history = conn.lock(&table, self.lock_timeout).await?;
        let outcome = self.apply_locked(conn, &table, &history).await;
        let unlocked = conn.unlock(&table).await;
        let report = outcome?;
        unlocked.map_err(Error::Database)?;
        Ok(report)
    }

    /// What the fingerprint tells without reading the history: the database holds exactly
    /// the embedded migrations up to the target (checksums included), or exactly a shorter
    /// prefix of them, or something else.
    fn shortcut(&self, fingerprint: &crate::driver::Fingerprint) -> Shortcut {
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
        table: &HistoryTable,
        history: &[AppliedMigration],
    ) -> Result<Report> {
        let pending = plan::plan_up(self.embedded(), history, self.checks, self.target)?;
        info!(pending = pending.len(), "applying migrations");
        let mut report = Report::default();
        let last = pending.len().saturating_sub(1);
        // Under the lock nobody else writes the history: its row count and top are known.
        let mut count = history.len() as i64;
        let mut top = history.iter().map(|a| a.version).max();
        for (index, migration) in pending.into_iter().enumerate() {
            let on_top = top.is_none_or(|top| migration.version() > top);
            let recording = crate::driver::Recording {
                durable: index == last,
                history_count: on_top.then_some(count + 1),
            };
            let (version, name) = (migration.version(), migration.name());
            let span = info_span!(
                "migration",
                version,
                name,
                path = migration.path(),
                transactional = migration.transactional()
            );
            match conn
                .apply(table, migration, recording)
                .instrument(span.clone())
                .await
            {
                Ok(Applied::Now { execution_ms }) => {
                    count += 1;
                    top = top.max(Some(version));
                    span.in_scope(|| info!(execution_ms, "applied"));
                    report.applied.push(Step {
                        version,
                        name: name.to_string(),
                        execution_ms,
                    });
                }
                Ok(Applied::Already) => {
                    span.in_scope(|| info!("already applied by another runner"))
                }
                Err(error) => {
                    let up = migration.up_section();
                    let error = step_error(
                        version,
                        name,
                        Direction::Up,
                        migration.transactional(),
                        Source::Section(up),
                        &starts(up),
                        error,
                    );
                    span.in_scope(|| warn!(%error, "migration failed"));
                    return Err(error);
                }
            }
        }
        Ok(report)
    }

    /// Rolls back to `target`, newest first: each DOWN with its history delete in one
    /// transaction (one round trip on PostgreSQL). The DOWN comes from the binary, else from
    /// the copy stored at apply time. Refuses before running anything ([`Error::NoDown`]) if
    /// any chosen migration has neither. Holds the lock throughout, like [`Runner::run`].
    pub async fn rollback<D: Driver>(&self, conn: &mut D, target: Target) -> Result<Report> {
        let table = self.table()?;
        // Plan without the lock first, like `run`: nothing to undo, or a migration without
        // any DOWN, ends here (and the read creates the table on a fresh database).
        let history = conn.read_history(&table).await.map_err(Error::Database)?;
        if plan::plan_down(self.embedded(), &history, target)?.is_empty() {
            info!("nothing to roll back");
            return Ok(Report::default());
        }
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
        info!(steps = steps.len(), "rolling back migrations");
        let mut report = Report::default();
        for step in &steps {
            let origin = step.origin(&table.quoted());
            let span = info_span!("rollback", version = step.version, name = %step.name, path = %origin, transactional = step.transactional);
            let started = Instant::now();
            if let Err(error) = conn.revert(table, step).instrument(span.clone()).await {
                let (source, statement_starts) = match step.section {
                    Some(section) => (Source::Section(section), starts(section)),
                    None => {
                        let starts = crate::driver::revert_statements(step)
                            .iter()
                            .map(|(start, _)| *start)
                            .collect();
                        (
                            Source::Stored {
                                sql: &step.sql,
                                origin: &origin,
                            },
                            starts,
                        )
                    }
                };
                let error = step_error(
                    step.version,
                    &step.name,
                    Direction::Down,
                    step.transactional,
                    source,
                    &statement_starts,
                    error,
                );
                span.in_scope(|| warn!(%error, "rollback failed"));
                return Err(error);
            }
            let execution_ms = elapsed_ms(started);
            span.in_scope(|| info!(execution_ms, "rolled back"));
            report.reverted.push(Step {
                version: step.version,
                name: step.name.clone(),
                execution_ms,
            });
        }
        Ok(report)
    }

    /// Every embedded and every applied migration with its state, by version. Reads the
    /// history only (one round trip on PostgreSQL once the table exists).
    pub async fn status<D: Driver>(&self, conn: &mut D) -> Result<Vec<StatusRow>> {
        let table = self.table()?;
        let history = conn.read_history(&table).await.map_err(Error::Database)?;
        Ok(status_rows(self.embedded(), &history))
    }

    /// What [`Runner::run`] would apply, with the SQL, after the same checks (a failed
    /// check is returned as the same error). Reads the history only; takes no lock.
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

    /// What [`Runner::rollback`] would run for `target`, with the SQL (embedded or stored
    /// DOWN). Reads the history only; takes no lock.
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
                applied_at: applied.map(|a| a.applied_at.clone()),
                execution_ms: applied.map(|a| a.execution_ms),
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
                applied_at: Some(a.applied_at.clone()),
                execution_ms: Some(a.execution_ms),
                path: None,
            }),
    );
    rows.sort_by_key(|r| r.version);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DbError;

    fn db() -> DbError {
        DbError {
            code: "42703".into(),
            message: "boom".into(),
            position: None,
        }
    }

    #[test]
    fn positions_in_stored_text_count_characters() {
        let sql = "DROP TABLE a;\n-- é\nDROP TABLE ébc;";
        let offset = sql.find("ébc").expect("present");
        assert_eq!(text_position(sql, offset), (3, 12));
        assert_eq!(text_position(sql, 0), (1, 1));
        assert_eq!(
            text_position(sql, offset + 1),
            (3, 12),
            "inside a character: its start"
        );
        assert_eq!(text_position(sql, 10_000), (3, 16));
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
            statement: Some(2),
            completed: 2,
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
            statement: Some(0),
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
            completed: 3,
            recording: true,
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
