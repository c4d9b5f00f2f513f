//! `adding-required-field`: `ALTER TABLE ... ADD COLUMN c type NOT NULL` without a `DEFAULT`
//! (and not generated) on a table the migration did not create. PostgreSQL refuses it as
//! soon as the table has a row (23502): fine on the developer's empty database, fails in
//! production.

use super::Shared;
use super::safety_scope::{actions, altered_existing_table, each_statement, has_words};
use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

pub(crate) fn check(_: &Directory, shared: &Shared<'_>, out: &mut Vec<Diagnostic>) {
    each_statement(shared, |_, statement, created| {
        let Some((table, first)) = altered_existing_table(statement, created) else {
            return;
        };
        for action in actions(statement, first) {
            if !statement.words_at(action.start, &["ADD", "COLUMN"]) {
                continue;
            }
            let required = has_words(statement, &action, &["NOT", "NULL"])
                && !has_words(statement, &action, &["DEFAULT"])
                && !has_words(statement, &action, &["GENERATED"]);
            if !required {
                continue;
            }
            out.push(statement.finding(
                Lint::AddingRequiredField,
                format!(
                    "migration {} adds a NOT NULL column without a DEFAULT to `{table}`: \
                     PostgreSQL refuses it once the table has a row, so it passes on an empty \
                     database and fails in production",
                    statement.version
                ),
                "give it a constant DEFAULT (no rewrite since PostgreSQL 11), or add it \
                 nullable, backfill, then `SET NOT NULL` in a later migration",
            ));
            return;
        }
    });
}
