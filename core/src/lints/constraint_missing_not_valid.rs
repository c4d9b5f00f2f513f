//! `constraint-missing-not-valid`: `ALTER TABLE ... ADD [CONSTRAINT c] FOREIGN KEY | CHECK`
//! without `NOT VALID` on a table the migration did not create: PostgreSQL scans the whole
//! table to validate it while holding a lock that blocks writes (and for a foreign key, a
//! SHARE ROW EXCLUSIVE lock on the referenced table too). Also `VALIDATE CONSTRAINT` in the
//! same migration that added the constraint `NOT VALID`: the two then share one
//! transaction, and the lock of the ADD is held through the scan.

use super::Shared;
use super::safety_scope::{actions, altered_table, each_statement, has_words};
use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

pub(crate) fn check(_: &Directory, shared: &Shared<'_>, out: &mut Vec<Diagnostic>) {
    let mut not_valid: Vec<(i64, String)> = Vec::new();
    each_statement(shared, |candidate, statement, created| {
        let Some((table, first)) = altered_table(statement) else {
            return;
        };
        for action in actions(statement, first) {
            // A table constraint (`ADD CONSTRAINT`, `ADD FOREIGN KEY`, `ADD CHECK`), not a
            // column definition with constraints of its own.
            let table_constraint = statement.word(action.start) == Some("ADD")
                && matches!(
                    statement.word(action.start + 1),
                    Some("CONSTRAINT" | "FOREIGN" | "CHECK")
                );
            let constraint = table_constraint
                && (has_words(statement, &action, &["FOREIGN", "KEY"])
                    || has_words(statement, &action, &["CHECK"]));
            if constraint {
                let name = statement
                    .words_at(action.start + 1, &["CONSTRAINT"])
                    .then(|| statement.name_at(action.start + 2).map(|(n, _)| n))
                    .flatten();
                if has_words(statement, &action, &["NOT", "VALID"]) {
                    if let Some(name) = name {
                        not_valid.push((candidate.name.version, name));
                    }
                    continue;
                }
                if created.tables.contains(&table) {
                    continue;
                }
                out.push(statement.finding(
                    Lint::ConstraintMissingNotValid,
                    format!(
                        "migration {} adds a constraint to `{table}` without NOT VALID: \
                         PostgreSQL checks every existing row while holding a lock that blocks \
                         writes to the table (and, for a foreign key, to the table it references)",
                        statement.version
                    ),
                    "add it `NOT VALID` (new rows are checked at once), then \
                     `ALTER TABLE ... VALIDATE CONSTRAINT ...` in a later migration: validation \
                     takes a lock that lets reads and writes go on",
                ));
                return;
            }
            if statement.words_at(action.start, &["VALIDATE", "CONSTRAINT"])
                && let Some((name, _)) = statement.name_at(action.start + 2)
                && not_valid.contains(&(candidate.name.version, name.clone()))
            {
                out.push(statement.finding(
                    Lint::ConstraintMissingNotValid,
                    format!(
                        "migration {} validates `{name}` in the migration that added it NOT \
                         VALID: both run in one transaction, so the ADD's lock is held through \
                         the whole scan",
                        statement.version
                    ),
                    "move `VALIDATE CONSTRAINT` to a later migration",
                ));
                return;
            }
        }
    });
}
