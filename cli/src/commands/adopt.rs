//! `strata adopt --from <tool>`: print what would be recorded from another tool's history,
//! and with `--yes` record it (without running any migration's SQL; the other tool's table is
//! only read).

use std::process::ExitCode;

use strata_runtime::{AdoptPlan, HistoryTable, MigrationRef, Migrations, Tool};

use super::Result;
use crate::database::Database;

pub async fn run(
    db: &mut Database,
    migrations: &Migrations,
    tool: Tool,
    table: Option<HistoryTable>,
    yes: bool,
) -> Result<ExitCode> {
    let plan = migrations.adopt_plan(db, tool, table.as_ref()).await?;
    print!("{}", describe(&plan));
    if plan.record.is_empty() {
        println!("nothing to record");
        return Ok(ExitCode::SUCCESS);
    }
    if !yes {
        println!("nothing written: run again with --yes to record these");
        return Ok(ExitCode::SUCCESS);
    }
    let report = migrations.adopt(db, &plan).await?;
    println!(
        "recorded {} migration(s) as applied, adopted from {tool}; {}'s table is unchanged",
        report.applied.len(),
        tool
    );
    Ok(ExitCode::SUCCESS)
}

fn list(migrations: &[MigrationRef]) -> String {
    migrations
        .iter()
        .map(|m| format!("  {} {}\n", m.version, m.name))
        .collect()
}

/// The plan, section by section.
pub fn describe(plan: &AdoptPlan) -> String {
    let mut out = format!("{} history in {}:\n", plan.tool, plan.table);
    if !plan.record.is_empty() {
        out.push_str(&format!(
            "to record as applied (no SQL runs), {}:\n{}",
            plan.record.len(),
            list(&plan.record)
        ));
    }
    if !plan.already.is_empty() {
        out.push_str(&format!(
            "already in strata's history, {}:\n{}",
            plan.already.len(),
            list(&plan.already)
        ));
    }
    if !plan.not_applied.is_empty() {
        out.push_str(&format!(
            "not applied by {}, left for `strata up`, {}:\n{}",
            plan.tool,
            plan.not_applied.len(),
            list(&plan.not_applied)
        ));
        if plan.leaves_gaps() {
            out.push_str(
                "  some are older than migrations recorded here: `strata up --allow-out-of-order` applies them\n",
            );
        }
    }
    if !plan.foreign_only.is_empty() {
        out.push_str(&format!(
            "in {}'s history but not in this directory (not recorded; `strata up` reports them \
             missing unless --allow-missing), {}:\n",
            plan.tool,
            plan.foreign_only.len()
        ));
        for m in &plan.foreign_only {
            out.push_str(&format!(
                "  {}{}\n",
                m.version,
                m.name
                    .as_deref()
                    .map(|n| format!(" {n}"))
                    .unwrap_or_default()
            ));
        }
    }
    for note in &plan.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out
}
