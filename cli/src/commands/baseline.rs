//! `strata baseline --to VERSION`: record every migration up to VERSION as applied without
//! running it, for a database whose schema already exists.

use std::process::ExitCode;

use strata_runtime::Migrations;

use super::Result;
use crate::database::Database;

pub async fn run(db: &mut Database, migrations: &Migrations, to: i64) -> Result<ExitCode> {
    let report = migrations.baseline(db, to).await?;
    if report.applied.is_empty() {
        println!("every migration up to {to} is already recorded; nothing to do");
    } else {
        for step in &report.applied {
            println!(
                "recorded {} {} (baseline, not run)",
                step.version, step.name
            );
        }
        println!(
            "baseline at {to}: {} migration(s) recorded as applied",
            report.applied.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
