//! `strata up --dry-run --format sql | d1`: the exact script a run would send, each pending
//! migration's SQL followed by the history statements the runner would write for it, for
//! review or for databases strata cannot connect to (Cloudflare D1 through
//! `wrangler d1 execute --file`). Applying the script leaves the history exactly as a run
//! would, so a later `strata up` or start-up sees the database up to date.

use std::fmt::Write as _;

use strata_model::migration::Migration;

use crate::driver::{Dialect, Driver};
use crate::error::{Error, Result};
use crate::history::sql::{Execution, HistorySql};
use crate::plan;
use crate::protocol::{self, Read};
use crate::runner::{Runner, history_counts};

/// The shape of a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScriptFormat {
    /// Each transactional migration between `BEGIN;` and `COMMIT;` with its history row, as
    /// a run sends it; a no-transaction one statement by statement, then its row.
    Sql,
    /// Cloudflare D1 (SQLite): no transaction control at all (wrangler rejects it), every
    /// migration followed by its history row.
    D1,
}

impl Runner<'_> {
    /// The script [`Runner::run`] would send now: the history table's creation (a no-op
    /// where it exists), then each pending migration with its history statements. Reads the
    /// history only; writes nothing and takes no lock. [`ScriptFormat::D1`] needs a SQLite
    /// connection ([`Error::ScriptDialect`] otherwise).
    pub async fn script<D: Driver>(&self, conn: &mut D, format: ScriptFormat) -> Result<String> {
        let dialect = conn.dialect();
        if format == ScriptFormat::D1 && dialect != Dialect::Sqlite {
            return Err(Error::ScriptDialect {
                dialect: dialect.name(),
            });
        }
        let table = self.table()?;
        let sql = HistorySql::new(table, dialect);
        let history = protocol::read(conn, &sql, Read::Look).await?;
        let pending = plan::plan_up(
            self.embedded(),
            &history,
            self.checks(),
            self.target_version(),
        )?;
        let counts = history_counts(&history, &pending, false);
        let mut out = format!(
            "-- strata: {} pending migration(s), history table {}\n{};\n",
            pending.len(),
            sql.quoted(),
            sql.create().join(";\n")
        );
        for (migration, count) in pending.iter().zip(counts) {
            let atomic = protocol::up_is_atomic(migration, dialect);
            let execution = if dialect == Dialect::Postgres && atomic {
                Execution::Server
            } else {
                Execution::Measured(std::time::Duration::ZERO)
            };
            let record = sql.insert(migration, count, execution).join(";\n");
            write_migration(&mut out, migration, &record, format, atomic);
        }
        Ok(out)
    }
}

fn write_migration(
    out: &mut String,
    migration: &Migration,
    record: &str,
    format: ScriptFormat,
    atomic: bool,
) {
    let transaction = format == ScriptFormat::Sql && atomic;
    let _ = writeln!(
        out,
        "\n-- {} {} ({}){}",
        migration.version(),
        migration.name(),
        migration.up_section().path(),
        if atomic { "" } else { ", no transaction" }
    );
    if transaction {
        out.push_str("BEGIN;\n");
    }
    // The section's last statement may end without a `;` (or with a comment after it).
    let up = migration.up().trim_end();
    let end = if up.ends_with(';') { "" } else { "\n;" };
    let _ = write!(out, "{up}{end}\n{record};\n");
    if transaction {
        out.push_str("COMMIT;\n");
    }
}
