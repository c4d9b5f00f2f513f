//! `adding-field-with-default`: `ALTER TABLE ... ADD COLUMN ... DEFAULT <volatile>` on a table
//! the migration did not create. Since PostgreSQL 11 a constant (or stable) default costs
//! nothing, but a volatile one (`gen_random_uuid()`, `clock_timestamp()`, `random()`, ...)
//! must be computed per row: the whole table is rewritten under an ACCESS EXCLUSIVE lock.
//! Only functions known to be volatile count; an unknown function is left alone. Below
//! PostgreSQL 11 (`postgres-version` in strata.toml) every default rewrites the table.

use super::Shared;
use super::safety_scope::{actions, altered_existing_table, each_statement};
use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

/// Built-in and extension functions PostgreSQL marks volatile that migrations use as defaults.
const VOLATILE: &[&str] = &[
    "GEN_RANDOM_UUID",
    "UUID_GENERATE_V1",
    "UUID_GENERATE_V1MC",
    "UUID_GENERATE_V4",
    "UUIDV7",
    "CLOCK_TIMESTAMP",
    "TIMEOFDAY",
    "RANDOM",
    "NEXTVAL",
    "TXID_CURRENT",
];

pub(crate) fn check(directory: &Directory, shared: &Shared<'_>, out: &mut Vec<Diagnostic>) {
    each_statement(shared, |_, statement, created| {
        let Some((table, first)) = altered_existing_table(statement, created) else {
            return;
        };
        for action in actions(statement, first) {
            if !statement.words_at(action.start, &["ADD", "COLUMN"]) {
                continue;
            }
            let Some(default) = action.clone().find(|&i| statement.word(i) == Some("DEFAULT"))
            else {
                continue;
            };
            let volatile = (default + 1..action.end).find_map(|i| {
                let word = statement.word(i)?;
                let called = statement.tokens.get(i + 1).map(|t| t.text) == Some("(");
                (called && VOLATILE.contains(&word)).then(|| statement.tokens[i].text)
            });
            let why = match volatile {
                Some(function) => format!("whose DEFAULT calls `{function}()`, which is volatile"),
                None if directory.config.postgres_version < 11 => format!(
                    "with a DEFAULT, on PostgreSQL {} (postgres-version)",
                    directory.config.postgres_version
                ),
                None => continue,
            };
            out.push(statement.finding(
                Lint::AddingFieldWithDefault,
                format!(
                    "migration {} adds a column to `{table}` {why}: PostgreSQL rewrites every \
                     row under an ACCESS EXCLUSIVE lock, and reads and writes wait for the whole \
                     rewrite",
                    statement.version
                ),
                "add the column without a default (or with a constant one), set the volatile \
                 DEFAULT for new rows with `ALTER COLUMN ... SET DEFAULT`, and backfill \
                 existing rows in batches",
            ));
            return;
        }
    });
}
