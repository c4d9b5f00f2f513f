//! `require-concurrent-index-creation`: `CREATE INDEX` without `CONCURRENTLY` on a table the
//! migration did not create takes a SHARE lock: every write to the table waits until the
//! index is built. `ON ONLY` (a partitioned table's parent, which cannot be built
//! concurrently) is left alone.

use super::Shared;
use super::safety_scope::each_statement;
use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

pub(crate) fn check(_: &Directory, shared: &Shared<'_>, out: &mut Vec<Diagnostic>) {
    each_statement(shared, |_, statement, created| {
        let i = statement.skip(1, &[&["UNIQUE"]]);
        if statement.word(0) != Some("CREATE") || statement.word(i) != Some("INDEX") {
            return;
        }
        if statement.word(i + 1) == Some("CONCURRENTLY") {
            return;
        }
        let Some(on) = (i + 1..statement.tokens.len()).find(|&k| statement.word(k) == Some("ON"))
        else {
            return;
        };
        if statement.word(on + 1) == Some("ONLY") {
            return;
        }
        let Some((table, _)) = statement.name_at(on + 1) else {
            return;
        };
        if created.tables.contains(&table) {
            return;
        }
        out.push(statement.finding(
            Lint::RequireConcurrentIndexCreation,
            format!(
                "migration {} builds an index on `{table}` without CONCURRENTLY: that takes a \
                 SHARE lock, so every insert, update and delete on the table waits until the \
                 index is built",
                statement.version
            ),
            "use `CREATE INDEX CONCURRENTLY IF NOT EXISTS ...` in a migration of its own marked \
             `-- strata:no-transaction`",
        ));
    });
}
