//! `adding-not-nullable-field`: `ALTER TABLE ... ALTER COLUMN c SET NOT NULL` on a table the
//! migration did not create. PostgreSQL scans the whole table to check for NULLs while it
//! holds an ACCESS EXCLUSIVE lock. Since PostgreSQL 12 a validated `CHECK (c IS NOT NULL)`
//! proves it instead, and the scan is skipped: such a column is exempt. A table the
//! migrations do not show for certain (the schema model says it does not know) is left
//! alone. The replay calls it before it applies each UP statement above `safety-since`.

use super::replay::postgres::model::Model;
use super::safety_scope::{Created, Statement, actions, altered_column, altered_existing_table};
use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

/// Checks one UP statement against the schema the earlier statements built.
pub(crate) fn check_statement(
    directory: &Directory,
    statement: &Statement<'_>,
    created: &Created,
    facts: &Model,
    out: &mut Vec<Diagnostic>,
) {
    let check_skips_scan = directory.config.postgres_version >= 12;
    {
        let Some((table, first)) = altered_existing_table(statement, created) else {
            return;
        };
        for action in actions(statement, first) {
            let Some((column, k)) = altered_column(statement, action.start) else {
                continue;
            };
            if !statement.words_at(k, &["SET", "NOT", "NULL"]) {
                continue;
            }
            // Already NOT NULL: PostgreSQL does nothing.
            if facts.is_not_null(&table, &column) != Some(false) {
                continue;
            }
            match facts.has_validated_not_null_check(&table, &column) {
                // Not known for certain: say nothing.
                None => continue,
                Some(true) if check_skips_scan => continue,
                Some(_) => {}
            }
            out.push(statement.finding(
                Lint::AddingNotNullableField,
                format!(
                    "migration {} sets `{table}.{column}` NOT NULL: PostgreSQL scans the whole \
                     table for NULLs under an ACCESS EXCLUSIVE lock, so every read and write of \
                     `{table}` waits for the scan",
                    statement.version
                ),
                &format!(
                    "add `CHECK ({column} IS NOT NULL) NOT VALID` now, `VALIDATE CONSTRAINT` it \
                     in a later migration (no lock against writes), then `SET NOT NULL`: \
                     PostgreSQL 12+ uses the validated CHECK and skips the scan (drop the CHECK \
                     afterwards)"
                ),
            ));
            return;
        }
    }
}
