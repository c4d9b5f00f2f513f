//! `changing-column-type`: `ALTER TABLE ... ALTER COLUMN c TYPE t` on a table the migration
//! did not create, when the change rewrites the table: PostgreSQL rebuilds it and its indexes
//! under an ACCESS EXCLUSIVE lock. Changes PostgreSQL makes without a rewrite are exempt
//! (`varchar(n)` to a longer `varchar` or `text`, a larger `numeric` precision with the same
//! scale, `cidr` to `inet`), and so is every change whose old type the migrations do not show
//! for certain, or whose types are not built in (a domain may be anything).

//!
//! It reads the PostgreSQL schema model at the statement: the replay calls it before it
//! applies each UP statement above `safety-since`.

use super::pg_types::{rewrites, type_text};
use super::replay::postgres::model::Model;
use super::safety_scope::{
    Created, Statement, actions, altered_column, altered_existing_table, new_type_tokens,
};
use crate::diagnostic::Diagnostic;
use crate::lint_registry::Lint;

/// Checks one UP statement against the schema the earlier statements built.
pub(crate) fn check_statement(
    statement: &Statement<'_>,
    created: &Created,
    facts: &Model,
    out: &mut Vec<Diagnostic>,
) {
    {
        let Some((table, first)) = altered_existing_table(statement, created) else {
            return;
        };
        for action in actions(statement, first) {
            let Some((column, k)) = altered_column(statement, action.start) else {
                continue;
            };
            let Some(tokens) = new_type_tokens(statement, k, action.end) else {
                continue;
            };
            let (Some(old), Some(new)) = (
                facts.column_type(&table, &column),
                type_text(statement, tokens),
            ) else {
                continue;
            };
            if rewrites(old, &new) != Some(true) {
                continue;
            }
            out.push(statement.finding(
                Lint::ChangingColumnType,
                format!(
                    "migration {} changes `{table}.{column}` from `{old}` to `{new}`: PostgreSQL \
                     rewrites the table and its indexes under an ACCESS EXCLUSIVE lock, so every \
                     read and write of `{table}` waits for the rewrite",
                    statement.version
                ),
                "add a column of the new type, backfill it in batches, move the app to it, then \
                 drop the old one; or, for `varchar`, only widen the limit (or change to `text`), \
                 which PostgreSQL does without a rewrite",
            ));
            return;
        }
    }
}
