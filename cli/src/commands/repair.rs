//! `strata repair`: explicit, never silent. Without an action it says what needs repair and
//! how; `--accept-checksum`, `--mark-applied` and `--forget` each do one thing to one
//! migration.

use std::process::ExitCode;

use strata_runtime::{Migrations, State};

use super::Result;
use crate::database::Database;

/// What to repair.
pub enum Action {
    Explain,
    AcceptChecksum(i64),
    MarkApplied(i64),
    Forget(i64),
}

pub async fn run(db: &mut Database, migrations: &Migrations, action: Action) -> Result<ExitCode> {
    match action {
        Action::AcceptChecksum(version) => {
            migrations.accept_checksum(db, version).await?;
            println!(
                "migration {version}: the history now holds the file's checksum; the replaced one is kept in previous_checksum"
            );
        }
        Action::MarkApplied(version) => {
            migrations.mark_applied(db, version).await?;
            println!(
                "migration {version}: recorded as applied (not run), marked `marked applied by repair`"
            );
        }
        Action::Forget(version) => {
            migrations.forget_failure(db, version).await?;
            println!(
                "migration {version}: its failure record is gone; it stays pending and `strata up` runs it again from its first statement"
            );
        }
        Action::Explain => return explain(db, migrations).await,
    }
    Ok(ExitCode::SUCCESS)
}

/// Everything that needs a repair, each with the command that settles it.
async fn explain(db: &mut Database, migrations: &Migrations) -> Result<ExitCode> {
    let mut found = false;
    for row in migrations.status(db).await? {
        if row.state == State::Divergent {
            found = true;
            println!(
                "migration {} {} ({}) changed since it was applied (checksum differs).\n  \
                 if the edit was deliberate and the database already matches it: strata repair --accept-checksum {}\n  \
                 otherwise restore the file as it was applied",
                row.version,
                row.name,
                row.path.as_deref().unwrap_or("not in this directory"),
                row.version
            );
        }
    }
    for failure in migrations.partial_failures(db).await? {
        found = true;
        let ran = match failure.completed_lines.as_slice() {
            [] => "no statement ran before it".to_string(),
            lines => format!(
                "the statements at lines {} ran and stay in effect",
                lines
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        println!(
            "migration {} {} failed part-way outside a transaction at {}: statement {} of {} failed ({}); {ran}.\n  \
             if you finished the rest by hand: strata repair --mark-applied {}\n  \
             if you undid what ran: strata repair --forget {} (then `strata up` runs it again)\n  \
             if its statements can run again (IF NOT EXISTS): just run `strata up`",
            failure.version,
            failure.name,
            failure.failed_at,
            failure.failed_statement,
            failure.total,
            failure.error,
            failure.version,
            failure.version,
        );
    }
    if !found {
        println!(
            "nothing to repair: no applied migration changed and no no-transaction migration failed part-way"
        );
    }
    Ok(ExitCode::SUCCESS)
}
