//! `renaming-table`: `ALTER TABLE t RENAME TO u` on a table the migration did not create.
//! During a rolling deploy the running version of the app still uses `t`, and fails.

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
        if !statement.words_at(i, &["RENAME", "TO"]) {
            return;
        }
        out.push(statement.finding(
            Lint::RenamingTable,
            format!(
                "migration {} renames table `{table}`: the version of the app still running \
                 during the deploy uses the old name and fails until it is replaced",
                statement.version
            ),
            "create the new table (or a view with the new name over the old one), move the app \
             to it, and drop the old name in a later migration",
        ));
    });
}
