//! `prefer-robust-stmts`: in a no-transaction migration, a statement that has an
//! `IF [NOT] EXISTS` form written without it. Such a migration is not atomic: when it fails
//! half-way, what ran stays, nothing is recorded, and the retry runs every statement again,
//! so each must be safe to repeat. Only statements PostgreSQL can make idempotent this way
//! are read: `CREATE TABLE` / `CREATE INDEX` (named) / `ADD COLUMN` without `IF NOT EXISTS`,
//! `DROP TABLE` / `DROP INDEX` / `DROP COLUMN` without `IF EXISTS`.

use super::Shared;
use super::safety_scope::{Statement, actions, altered_table, each_statement};
use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

/// The command written without its `IF [NOT] EXISTS`, if any.
fn not_robust(statement: &Statement<'_>) -> Option<&'static str> {
    let create = statement.skip(1, &[&["UNIQUE"]]);
    match statement.word(0)? {
        "CREATE" if statement.word(create) == Some("TABLE") => {
            (!statement.words_at(create + 1, &["IF", "NOT", "EXISTS"])).then_some("CREATE TABLE")
        }
        "CREATE" if statement.word(create) == Some("INDEX") => {
            let i = statement.skip(create + 1, &[&["CONCURRENTLY"]]);
            // An unnamed index has no IF NOT EXISTS form.
            let named = statement.word(i) != Some("ON");
            (named && !statement.words_at(i, &["IF", "NOT", "EXISTS"])).then_some("CREATE INDEX")
        }
        "DROP" if statement.word(1) == Some("TABLE") => {
            (!statement.words_at(2, &["IF", "EXISTS"])).then_some("DROP TABLE")
        }
        "DROP" if statement.word(1) == Some("INDEX") => {
            let i = statement.skip(2, &[&["CONCURRENTLY"]]);
            (!statement.words_at(i, &["IF", "EXISTS"])).then_some("DROP INDEX")
        }
        "ALTER" => {
            let (_, first) = altered_table(statement)?;
            actions(statement, first).into_iter().find_map(|action| {
                let at = action.start;
                if statement.words_at(at, &["ADD", "COLUMN"]) {
                    (!statement.words_at(at + 2, &["IF", "NOT", "EXISTS"])).then_some("ADD COLUMN")
                } else if statement.words_at(at, &["DROP", "COLUMN"]) {
                    (!statement.words_at(at + 2, &["IF", "EXISTS"])).then_some("DROP COLUMN")
                } else {
                    None
                }
            })
        }
        _ => None,
    }
}

pub(crate) fn check(directory: &Directory, shared: &Shared<'_>, out: &mut Vec<Diagnostic>) {
    each_statement(shared, |candidate, statement, _| {
        if candidate.transactional(directory) {
            return;
        }
        let Some(command) = not_robust(statement) else {
            return;
        };
        out.push(statement.finding(
            Lint::PreferRobustStmts,
            format!(
                "`{command}` without IF [NOT] EXISTS in no-transaction migration {}: if the \
                 migration fails half-way, what ran stays and the retry runs this again, and \
                 fails",
                statement.version
            ),
            "write it with `IF NOT EXISTS` / `IF EXISTS`, so the migration can be run again \
             after a partial failure",
        ));
    });
}
