//! `adopt`: take over another tool's history. Its table is read (never written), matched
//! to this list by version (and by name where the tool stores one), and the matches are
//! recorded in strata's history, marked `adopted from <tool>`, without running any SQL of
//! the migrations.

mod history;
mod tool;

use history::{ForeignHistory, interpret, same_name};

pub use history::ForeignMigration;
pub use tool::Tool;

use crate::driver::Driver;
use crate::error::{DbErrorKind, Error, MigrationRef, Result};
use crate::history::HistoryTable;
use crate::history::sql::HistorySql;
use crate::migrations::Migrations;
use crate::protocol::{self, Read};
use crate::report::Report;

/// What `adopt` would record, and what it found; from [`Migrations::adopt_plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AdoptPlan {
    /// The tool.
    pub tool: Tool,
    /// Its history table, quoted.
    pub table: String,
    /// In the directory and applied by the tool: recorded as applied by `adopt`.
    pub record: Vec<MigrationRef>,
    /// In the directory, applied by the tool and already in strata's history.
    pub already: Vec<MigrationRef>,
    /// Applied by the tool, not in the directory (left alone; `up` will say they are
    /// missing unless allowed).
    pub foreign_only: Vec<ForeignMigration>,
    /// In the directory, not applied by the tool: the next `up` applies them.
    pub not_applied: Vec<MigrationRef>,
    /// What was read and skipped (Flyway baselines, repeatable migrations).
    pub notes: Vec<String>,
}

impl AdoptPlan {
    /// Whether applying the migrations `adopt` leaves unapplied needs
    /// `allow_out_of_order`: one of them is older than one it records.
    pub fn leaves_gaps(&self) -> bool {
        let top = self
            .record
            .iter()
            .chain(&self.already)
            .map(|m| m.version)
            .max();
        top.is_some_and(|top| self.not_applied.iter().any(|m| m.version < top))
    }
}

/// Hex SHA-384 of `text`: sqlx's checksum of a migration file.
fn sha384_hex(text: &str) -> String {
    use sha2::{Digest, Sha384};
    Sha384::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn reference(migration: &crate::Migration) -> MigrationRef {
    MigrationRef {
        version: migration.version(),
        name: migration.name().to_string(),
    }
}

impl Migrations {
    /// Reads `tool`'s history (in `table`, default [`Tool::default_table`]) and this list's
    /// strata history, and says what [`Migrations::adopt`] would record. Reads only.
    ///
    /// Refused: no such table ([`Error::ForeignHistoryMissing`]); a state the tool itself
    /// would not continue from ([`Error::ForeignDirty`], with the tool's remedy); a version
    /// strata cannot number, or a version whose name differs from the file's
    /// ([`Error::ForeignMismatch`]).
    pub async fn adopt_plan<D: Driver>(
        &self,
        conn: &mut D,
        tool: Tool,
        table: Option<&HistoryTable>,
    ) -> Result<AdoptPlan> {
        let default;
        let table = match table {
            Some(table) => table,
            None => {
                default = HistoryTable::new(None, tool.default_table())?;
                &default
            }
        };
        let foreign = read_foreign(conn, tool, table).await?;
        if let Some((what, remedy)) = foreign.dirty {
            return Err(Error::ForeignDirty {
                tool: tool.name(),
                what,
                remedy,
            });
        }
        let mut problems: Vec<String> = foreign
            .unreadable
            .iter()
            .map(|value| format!("version `{value}` is not a whole number, as strata versions are"))
            .collect();
        let sql = HistorySql::new(self.history(), conn.dialect());
        let ours = protocol::read(conn, &sql, Read::Look).await?;
        let mut plan = AdoptPlan {
            tool,
            table: table.quoted_in(conn.dialect()),
            record: Vec::new(),
            already: Vec::new(),
            foreign_only: Vec::new(),
            not_applied: Vec::new(),
            notes: foreign.notes.clone(),
        };
        for migration in self.iter() {
            let version = migration.version();
            if !foreign.covers(version) {
                plan.not_applied.push(reference(migration));
                continue;
            }
            if let Some(Some(theirs)) = foreign.applied.get(&version)
                && tool.stores_names()
                && !same_name(migration.name(), theirs)
            {
                problems.push(format!(
                    "version {version} is `{theirs}` in {tool}'s history but `{}` here ({})",
                    migration.name(),
                    migration.path()
                ));
                continue;
            }
            if let Some(theirs) = foreign.checksums.get(&version)
                && *theirs != sha384_hex(migration.up())
            {
                problems.push(format!(
                    "{} changed since {tool} applied version {version} ({tool}'s checksum of the \
                     file differs): restore the file as it was applied, or apply the change with \
                     {tool} first",
                    migration.path()
                ));
                continue;
            }
            if ours.iter().any(|row| row.version == version) {
                plan.already.push(reference(migration));
            } else {
                plan.record.push(reference(migration));
            }
        }
        plan.foreign_only = foreign
            .applied
            .iter()
            .filter(|(version, _)| self.get(**version).is_none())
            .map(|(version, name)| ForeignMigration {
                version: *version,
                name: name.clone(),
            })
            .collect();
        // golang-migrate's one version, when the directory lacks it.
        if let Some(top) = foreign.up_to.filter(|top| self.get(*top).is_none())
            && tool == Tool::GolangMigrate
        {
            plan.foreign_only.push(ForeignMigration {
                version: top,
                name: None,
            });
        }
        if !problems.is_empty() {
            return Err(Error::ForeignMismatch {
                tool: tool.name(),
                problems,
            });
        }
        Ok(plan)
    }

    /// Records `plan.record` in strata's history as applied, marked `adopted from <tool>`,
    /// through the normal runner (lock, checks), without running any of their SQL. The other
    /// tool's table is not touched.
    pub async fn adopt<D: Driver>(&self, conn: &mut D, plan: &AdoptPlan) -> Result<Report> {
        let Some(top) = plan.record.iter().map(|m| m.version).max() else {
            return Ok(Report::default());
        };
        let origin = format!("adopted from {}", plan.tool);
        let recorded = |version: i64| {
            plan.record
                .iter()
                .chain(&plan.already)
                .any(|m| m.version == version)
        };
        if self
            .iter()
            .filter(|m| m.version() <= top)
            .all(|m| recorded(m.version()))
        {
            // A prefix of this list: recorded with its own chain, so start-ups stay one probe.
            return self.record(conn, &origin, top).await;
        }
        // Gaps below the top: the list of what is recorded, and the next `up` applies the
        // rest out of order (which the plan says).
        let subset: Vec<crate::Migration> = self
            .iter()
            .filter(|m| recorded(m.version()))
            .cloned()
            .collect();
        let subset =
            Migrations::from_vec(subset, self.history().clone()).with_lock(self.lock_strategy());
        subset.record(conn, &origin, top).await
    }

    /// The tools whose history tables (under their default names) this database holds: what
    /// `status` suggests `adopt` for when strata's history is empty.
    pub async fn foreign_histories<D: Driver>(&self, conn: &mut D) -> Result<Vec<Tool>> {
        let mut found = Vec::new();
        for tool in Tool::ALL {
            let table = HistoryTable::new(None, tool.default_table())?;
            match read_foreign(conn, tool, &table).await {
                Ok(_) | Err(Error::ForeignDirty { .. }) => found.push(tool),
                Err(_) => {}
            }
        }
        Ok(found)
    }
}

/// Reads and interprets `tool`'s table. `schema_migrations` is dbmate's or golang-migrate's;
/// the `dirty` column tells which, and the wrong `--from` is refused naming the right one.
async fn read_foreign<D: Driver>(
    conn: &mut D,
    tool: Tool,
    table: &HistoryTable,
) -> Result<ForeignHistory> {
    let quoted = table.quoted_in(conn.dialect());
    let missing = || Error::ForeignHistoryMissing {
        tool: tool.name(),
        table: quoted.clone(),
    };
    let rows = match conn
        .run_batch(&[&tool.query(&quoted, conn.dialect())])
        .await
    {
        Ok(sets) => sets.into_iter().flatten().collect(),
        Err(error) if error.kind == DbErrorKind::UndefinedTable => return Err(missing()),
        Err(error) if error.kind == DbErrorKind::UndefinedColumn => {
            // The table is there with other columns: whose is it?
            let other = match tool {
                Tool::GolangMigrate => Some(Tool::Dbmate),
                Tool::Dbmate => Some(Tool::GolangMigrate),
                _ => None,
            };
            return Err(Error::ForeignMismatch {
                tool: tool.name(),
                problems: vec![match other {
                    Some(other) => {
                        format!("{quoted} has {other}'s layout, not {tool}'s: use `--from {other}`")
                    }
                    None => format!("{quoted} is not laid out as {tool} writes it ({error})"),
                }],
            });
        }
        Err(error) => return Err(Error::Database(error)),
    };
    if tool == Tool::Dbmate {
        // dbmate's table has no `dirty` column; golang-migrate's answers this.
        let probe = format!("SELECT dirty FROM {quoted} LIMIT 1");
        if conn.run_batch(&[&probe]).await.is_ok() {
            return Err(Error::ForeignMismatch {
                tool: tool.name(),
                problems: vec![format!(
                    "{quoted} has golang-migrate's layout (a `dirty` column), not dbmate's: use `--from golang-migrate`"
                )],
            });
        }
    }
    Ok(interpret(tool, &quoted, rows))
}
