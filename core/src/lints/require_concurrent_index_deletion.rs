//! `require-concurrent-index-deletion`: `DROP INDEX` without `CONCURRENTLY` takes an ACCESS
//! EXCLUSIVE lock on the index's table: reads and writes wait until it is done. An index the
//! same migration created is exempt.

use super::Shared;
use super::safety_scope::each_statement;
use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

pub(crate) fn check(_: &Directory, shared: &Shared<'_>, out: &mut Vec<Diagnostic>) {
    each_statement(shared, |_, statement, created| {
        if !statement.words_at(0, &["DROP", "INDEX"]) || statement.word(2) == Some("CONCURRENTLY")
        {
            return;
        }
        let i = statement.skip(2, &[&["IF", "EXISTS"]]);
        let existing = statement.existing_at(i, &created.indexes);
        if existing.is_empty() {
            return;
        }
        out.push(statement.finding(
            Lint::RequireConcurrentIndexDeletion,
            format!(
                "migration {} drops index `{}` without CONCURRENTLY: that takes an ACCESS \
                 EXCLUSIVE lock on its table, so every read and write of the table waits",
                statement.version,
                existing.join("`, `")
            ),
            "use `DROP INDEX CONCURRENTLY IF EXISTS ...` in a migration of its own marked \
             `-- strata:no-transaction`",
        ));
    });
}
