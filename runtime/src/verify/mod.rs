//! `verify`: every migration applied, rolled back and applied again on a scratch database,
//! with the schema compared from the catalog at each step; optionally each UP run twice.
//!
//! Each migration makes its own round trip right after it is applied: its DOWN is checked in
//! the state a rollback from the newest reaches when the later DOWNs are right, and a
//! forward-only migration in the middle does not stop the round trips of the ones after it.

mod report;
mod snapshot;

use strata_model::migration::{Migration, Section};

use crate::driver::{Driver, char_to_byte};
use crate::error::{Error, Location, Result};
use crate::migrations::Migrations;
use crate::plan::Target;
use crate::runner::Source;

pub use report::{Finding, RoundTrip, VerifyReport, VerifyStep};
pub use snapshot::Difference;
use snapshot::Snapshot;

/// Options for [`Migrations::verify`]; from [`Migrations::verifier`].
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Verifier<'m> {
    migrations: &'m Migrations,
    idempotent: bool,
}

impl<'m> Verifier<'m> {
    pub(crate) fn new(migrations: &'m Migrations) -> Self {
        Verifier {
            migrations,
            idempotent: false,
        }
    }

    /// Also run each UP a second time right after it is applied, and require that it
    /// succeeds and changes nothing. A transactional UP runs inside a transaction that is
    /// rolled back; a `no-transaction` UP (and on MySQL one with DDL, which commits by
    /// itself) runs for real, so a failure there ends the verification.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Verifies on the database `conn` is connected to, which must hold none of these
    /// migrations: each is applied through the normal runner, rolled back and applied
    /// again, and left applied. Objects the migrations do not touch are left alone, but run
    /// it on a scratch database (`strata verify` creates and drops one).
    ///
    /// Findings are in the report; `Err` is for what stops verification from starting or
    /// going on (a lost connection, a database with migrations already applied).
    pub async fn verify<D: Driver>(&self, conn: &mut D) -> Result<VerifyReport> {
        let runner = self.migrations.runner();
        let applied = runner.applied(conn).await?;
        if !applied.is_empty() {
            return Err(Error::NotScratch {
                applied: applied.len(),
            });
        }
        let mut report = VerifyReport {
            steps: Vec::new(),
            idempotent: self.idempotent,
        };
        let mut before = self.snapshot(conn).await?;
        let mut stopped = false;
        for migration in self.migrations.iter() {
            let mut step = VerifyStep {
                version: migration.version(),
                name: migration.name().to_string(),
                path: migration.path().to_string(),
                round_trip: RoundTrip::NotReached,
                findings: Vec::new(),
            };
            if !stopped {
                let outcome = self.round_trip(conn, migration, &before, &mut step).await?;
                match outcome {
                    Some(after) => before = after,
                    None => stopped = true,
                }
                step.round_trip = match (&step.findings[..], migration.down_section()) {
                    ([], None) => RoundTrip::NoDown,
                    ([], Some(_)) => RoundTrip::Verified,
                    _ => RoundTrip::Failed,
                };
            }
            report.steps.push(step);
        }
        Ok(report)
    }

    async fn snapshot<D: Driver>(&self, conn: &mut D) -> Result<Snapshot> {
        snapshot::take(conn, self.migrations.history())
            .await
            .map_err(Error::Database)
    }

    /// Applies `migration`, runs it twice if asked, then down and up again, recording
    /// findings in `step`. Returns the schema it leaves (the migration applied), or `None`
    /// when the database is in a state later migrations cannot be checked from.
    async fn round_trip<D: Driver>(
        &self,
        conn: &mut D,
        migration: &Migration,
        before: &Snapshot,
        step: &mut VerifyStep,
    ) -> Result<Option<Snapshot>> {
        let runner = self.migrations.runner().target(migration.version());
        if let Err(error) = runner.run(conn).await {
            step.findings.push(Finding::UpFailed(error));
            return Ok(None);
        }
        let after = self.snapshot(conn).await?;
        if self.idempotent && !self.second_run(conn, migration, &after, step).await? {
            return Ok(None);
        }
        let Some(down) = migration.down_section() else {
            return Ok(Some(after));
        };
        if let Err(error) = runner.rollback(conn, Target::Steps(1)).await {
            // A transactional DOWN rolled back: the migration is still applied, as after it.
            let partial = matches!(
                error,
                Error::PartiallyApplied { .. } | Error::Unrecorded { .. }
            );
            step.findings.push(Finding::DownFailed(error));
            return Ok((!partial).then_some(after));
        }
        let reverted = self.snapshot(conn).await?;
        let differences = before.differences(&reverted);
        if !differences.is_empty() {
            step.findings.push(Finding::DownIncomplete {
                location: section_start(down),
                differences,
            });
        }
        if let Err(error) = runner.run(conn).await {
            step.findings.push(Finding::ReapplyFailed(error));
            return Ok(None);
        }
        let again = self.snapshot(conn).await?;
        let differences = after.differences(&again);
        if !differences.is_empty() {
            step.findings.push(Finding::ReapplyDiffers {
                location: section_start(migration.up_section()),
                differences,
            });
        }
        Ok(Some(again))
    }

    /// Runs the UP's statements again (in a transaction rolled back afterwards, unless the
    /// migration is `no-transaction`) and compares the schema with `after`. Returns false
    /// when a `no-transaction` second run failed or changed something: the database no
    /// longer matches the history.
    async fn second_run<D: Driver>(
        &self,
        conn: &mut D,
        migration: &Migration,
        after: &Snapshot,
        step: &mut VerifyStep,
    ) -> Result<bool> {
        let history = self.migrations.history();
        let section = migration.up_section();
        // On MySQL a migration with DDL commits as it goes: it runs for real, like a
        // `no-transaction` one.
        let transactional = crate::protocol::up_is_atomic(migration, conn.dialect());
        if transactional {
            conn.run_batch(&["BEGIN"]).await.map_err(Error::Database)?;
        }
        let mut failed = None;
        for (statement, text) in section.statement_texts() {
            if let Err(error) = conn.run_batch(&[text]).await {
                let offset = error
                    .position
                    .and_then(|chars| char_to_byte(text, chars))
                    .unwrap_or(0);
                let location =
                    Source::Section(section).location(Some(statement.range().start + offset));
                failed = Some(Finding::NotIdempotent { location, error });
                break;
            }
        }
        let outcome = match failed {
            Some(finding) => {
                step.findings.push(finding);
                false
            }
            None => {
                let second = snapshot::take(conn, history).await;
                let differences = match second {
                    Ok(second) => after.differences(&second),
                    Err(error) => {
                        if transactional {
                            let _ = conn.run_batch(&["ROLLBACK"]).await;
                        }
                        return Err(Error::Database(error));
                    }
                };
                let unchanged = differences.is_empty();
                if !unchanged {
                    step.findings.push(Finding::SecondRunChanged {
                        location: section_start(section),
                        differences,
                    });
                }
                unchanged
            }
        };
        if transactional {
            conn.run_batch(&["ROLLBACK"])
                .await
                .map_err(Error::Database)?;
            return Ok(true);
        }
        Ok(outcome)
    }
}

/// The file and line a section starts on.
fn section_start(section: &Section) -> Location {
    Location {
        path: section.path().to_string(),
        line: Some(section.line()),
        column: None,
    }
}

impl Migrations {
    /// Verifies every migration on a scratch database: see [`Verifier::verify`]. Same as
    /// `verifier().verify(conn)`.
    ///
    /// ```no_run
    /// # use strata_runtime as strata;
    /// # static MIGRATIONS: strata::Migrations = strata::Migrations::empty();
    /// # async fn example(scratch: &mut tokio_postgres::Client) -> Result<(), strata::Error> {
    /// let report = MIGRATIONS.verify(scratch).await?;
    /// for (step, finding) in report.findings() {
    ///     eprintln!("{} {}: {finding}", step.version, step.path);
    /// }
    /// assert!(report.passed());
    /// # Ok(()) }
    /// ```
    pub async fn verify<D: Driver>(&self, conn: &mut D) -> Result<VerifyReport> {
        self.verifier().verify(conn).await
    }

    /// A [`Verifier`] with options (`idempotent`).
    pub fn verifier(&self) -> Verifier<'_> {
        Verifier::new(self)
    }
}
