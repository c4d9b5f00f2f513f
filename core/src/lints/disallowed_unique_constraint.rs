//! `disallowed-unique-constraint`: `ALTER TABLE ... ADD [CONSTRAINT c] UNIQUE | PRIMARY KEY`
//! without `USING INDEX` on a table the migration did not create: PostgreSQL builds the
//! index under an ACCESS EXCLUSIVE lock, so reads and writes wait for the whole build.

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
            // ADD [CONSTRAINT name] UNIQUE | PRIMARY KEY, not ADD COLUMN ... UNIQUE.
            let mut i = action.start + 1;
            if statement.word(action.start) != Some("ADD") {
                continue;
            }
            if statement.word(i) == Some("CONSTRAINT") {
                let Some((_, next)) = statement.name_at(i + 1) else {
                    continue;
                };
                i = next;
            }
            let unique = statement.word(i) == Some("UNIQUE")
                || statement.words_at(i, &["PRIMARY", "KEY"]);
            if !unique || has_words(statement, &action, &["USING", "INDEX"]) {
                continue;
            }
            out.push(statement.finding(
                Lint::DisallowedUniqueConstraint,
                format!(
                    "migration {} adds a unique or primary key constraint to `{table}` without \
                     USING INDEX: PostgreSQL builds its index under an ACCESS EXCLUSIVE lock, so \
                     every read and write of the table waits for the build",
                    statement.version
                ),
                "build the index first with `CREATE UNIQUE INDEX CONCURRENTLY` (no-transaction \
                 migration), then `ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX ...`",
            ));
            return;
        }
    });
}
