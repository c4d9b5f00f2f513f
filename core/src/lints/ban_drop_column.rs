//! `ban-drop-column`: `ALTER TABLE t ... DROP COLUMN c` on a table the migration did not
//! create. The data is gone, and the running app may still select or insert `c`.
//! Only the explicit `DROP COLUMN` is read (`DROP DEFAULT`, `DROP NOT NULL` and
//! `DROP CONSTRAINT` are other actions).

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
        let drops = (i..statement.tokens.len()).any(|k| statement.words_at(k, &["DROP", "COLUMN"]));
        if !drops {
            return;
        }
        out.push(statement.finding(
            Lint::BanDropColumn,
            format!(
                "migration {} drops a column of `{table}`: its data is gone, and the version of \
                 the app still running during the deploy may still read or write it",
                statement.version
            ),
            "first deploy an app that no longer uses the column (Rails: ignored_columns), then \
             drop it in a later migration; `-- strata:allow(ban-drop-column)` once that is done",
        ));
    });
}
