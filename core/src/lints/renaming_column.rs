//! `renaming-column`: `ALTER TABLE t RENAME [COLUMN] a TO b` on a table the migration did not
//! create. The rename takes an ACCESS EXCLUSIVE lock only briefly, but during a rolling
//! deploy the running version of the app still reads and writes `a`, and fails.

use super::Shared;
use super::safety_scope::{altered_existing_table, each_statement};
use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

pub(crate) fn check(_: &Directory, shared: &Shared<'_>, out: &mut Vec<Diagnostic>) {
    each_statement(shared, |_, statement, created| {
        let Some((table, i)) = altered_existing_table(statement, created) else {
            return;
        };
        // RENAME TO is the table; RENAME CONSTRAINT is neither.
        let renames_column = statement.word(i) == Some("RENAME")
            && !matches!(statement.word(i + 1), Some("TO" | "CONSTRAINT"));
        if !renames_column {
            return;
        }
        out.push(statement.finding(
            Lint::RenamingColumn,
            format!(
                "migration {} renames a column of `{table}`: the version of the app still \
                 running during the deploy uses the old name and fails until it is replaced",
                statement.version
            ),
            "add the new column, write both from the app, backfill, move reads, then drop the \
             old column in a later migration (or rename in a view the app reads)",
        ));
    });
}
