//! `ban-drop-table`: `DROP TABLE` of a table the migration did not create: its data is gone.

use super::Shared;
use super::safety_scope::each_statement;
use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

pub(crate) fn check(_: &Directory, shared: &Shared<'_>, out: &mut Vec<Diagnostic>) {
    each_statement(shared, |_, statement, created| {
        if !statement.words_at(0, &["DROP", "TABLE"]) {
            return;
        }
        let i = statement.skip(2, &[&["IF", "EXISTS"]]);
        let existing = statement.existing_at(i, &created.tables);
        if existing.is_empty() {
            return;
        }
        out.push(statement.finding(
            Lint::BanDropTable,
            format!(
                "migration {} drops table `{}`: its data is gone, and the version of the app \
                 still running during the deploy may still use it",
                statement.version,
                existing.join("`, `")
            ),
            "deploy an app that no longer uses the table first, keep a backup, then drop it; \
             `-- strata:allow(ban-drop-table)` on this migration once that is done",
        ));
    });
}
