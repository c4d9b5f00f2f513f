//! `up`, `down` (`rollback`), `redo`.

use std::process::ExitCode;

use strata_runtime::{LockStrategy, Migrations, Plan, Report, Runner, ScriptFormat, Target};

use super::Result;
use crate::args::{CheckOptOuts, LockArg, LockWait, PlanFormat};
use crate::database::Database;

fn print_plan(plan: &Plan) {
    if plan.steps.is_empty() {
        println!("nothing to do");
    }
    for step in &plan.steps {
        let direction = match step.direction {
            strata_runtime::Direction::Up => "up",
            strata_runtime::Direction::Down => "down",
        };
        let transaction = if step.transactional {
            ""
        } else {
            " (no transaction)"
        };
        println!(
            "-- {direction} {} {}{transaction}\n{}\n",
            step.version,
            step.name,
            step.sql.trim_end()
        );
    }
}

/// The summary on stdout; each migration was already reported on stderr as it finished.
fn print_report(report: &Report, quiet: bool) {
    if quiet {
        return;
    }
    let total = |steps: &[strata_runtime::Step]| {
        steps
            .iter()
            .map(|s| s.execution)
            .sum::<std::time::Duration>()
            .as_millis()
    };
    if !report.applied.is_empty() {
        println!(
            "applied {} migration(s) in {} ms",
            report.applied.len(),
            total(&report.applied)
        );
    }
    if !report.reverted.is_empty() {
        println!(
            "rolled back {} migration(s) in {} ms",
            report.reverted.len(),
            total(&report.reverted)
        );
    }
    if report.is_empty() {
        println!("nothing to do");
    }
}

/// What `strata up` was asked.
pub struct Up {
    pub to: Option<i64>,
    pub dry_run: bool,
    pub format: PlanFormat,
    pub checks: CheckOptOuts,
    pub wait: LockWait,
}

/// A runner with the lock options that were given.
fn runner<'m>(migrations: &'m Migrations, wait: LockWait) -> Runner<'m> {
    let mut runner = migrations.runner();
    if let Some(timeout) = wait.lock_timeout {
        runner = runner.lock_timeout(timeout);
    }
    if let Some(lock) = wait.lock {
        runner = runner.lock(lock_strategy(lock));
    }
    if let Some(ttl) = wait.lease_ttl {
        runner = runner.lease_ttl(ttl);
    }
    runner
}

pub fn lock_strategy(lock: LockArg) -> LockStrategy {
    match lock {
        LockArg::Advisory => LockStrategy::Advisory,
        LockArg::Table => LockStrategy::Table,
    }
}

/// The run's connection, and a second one that renews the table lease while migrations run
/// (only when the run holds a lease).
pub struct Connections {
    pub db: Database,
    pub heartbeat: Option<Database>,
}

impl Connections {
    async fn run(&mut self, runner: &Runner<'_>) -> strata_runtime::Result<Report> {
        match &mut self.heartbeat {
            Some(heartbeat) => runner.run_with_heartbeat(&mut self.db, heartbeat).await,
            None => runner.run(&mut self.db).await,
        }
    }

    async fn rollback(
        &mut self,
        runner: &Runner<'_>,
        target: Target,
    ) -> strata_runtime::Result<Report> {
        match &mut self.heartbeat {
            Some(heartbeat) => {
                runner
                    .rollback_with_heartbeat(&mut self.db, heartbeat, target)
                    .await
            }
            None => runner.rollback(&mut self.db, target).await,
        }
    }
}

pub async fn up(
    db: &mut Connections,
    migrations: &Migrations,
    up: Up,
    quiet: bool,
) -> Result<ExitCode> {
    let mut runner = runner(migrations, up.wait)
        .allow_divergent(up.checks.allow_divergent)
        .allow_missing(up.checks.allow_missing)
        .allow_out_of_order(up.checks.allow_out_of_order);
    if let Some(to) = up.to {
        runner = runner.target(to);
    }
    if up.dry_run {
        match up.format {
            PlanFormat::Human => print_plan(&runner.dry_run(&mut db.db).await?),
            PlanFormat::Sql => print!("{}", runner.script(&mut db.db, ScriptFormat::Sql).await?),
            PlanFormat::D1 => print!("{}", runner.script(&mut db.db, ScriptFormat::D1).await?),
        }
    } else {
        print_report(&db.run(&runner).await?, quiet);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn down(
    db: &mut Connections,
    migrations: &Migrations,
    target: Target,
    dry_run: bool,
    wait: LockWait,
    quiet: bool,
) -> Result<ExitCode> {
    let runner = runner(migrations, wait);
    if dry_run {
        print_plan(&runner.dry_run_rollback(&mut db.db, target).await?);
    } else {
        print_report(&db.rollback(&runner, target).await?, quiet);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn redo(
    db: &mut Connections,
    migrations: &Migrations,
    wait: LockWait,
    quiet: bool,
) -> Result<ExitCode> {
    let reverted = db
        .rollback(&runner(migrations, wait), Target::Steps(1))
        .await?;
    let Some(step) = reverted.reverted.first() else {
        println!("nothing to redo");
        return Ok(ExitCode::SUCCESS);
    };
    print_report(&reverted, quiet);
    let applied = db
        .run(&runner(migrations, wait).target(step.version))
        .await?;
    print_report(&applied, quiet);
    Ok(ExitCode::SUCCESS)
}
