//! `ban-vacuum-full`: `VACUUM FULL` and `CLUSTER` rewrite the whole table under an ACCESS
//! EXCLUSIVE lock: reads and writes wait for the rewrite.

use super::Shared;
use super::safety_scope::each_statement;
use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

pub(crate) fn check(_: &Directory, shared: &Shared<'_>, out: &mut Vec<Diagnostic>) {
    each_statement(shared, |_, statement, _| {
        let command = match statement.word(0) {
            // VACUUM FULL t, VACUUM (FULL, ANALYZE) t; not VACUUM (FULL false).
            Some("VACUUM") => {
                let full = statement.tokens.iter().position(|t| t.word == Some("FULL"));
                match full {
                    Some(k) if !matches!(statement.word(k + 1), Some("FALSE" | "OFF")) => "VACUUM FULL",
                    _ => return,
                }
            }
            Some("CLUSTER") => "CLUSTER",
            _ => return,
        };
        out.push(statement.finding(
            Lint::BanVacuumFull,
            format!(
                "migration {} runs `{command}`: it rewrites the table under an ACCESS EXCLUSIVE \
                 lock, so every read and write of the table waits for the whole rewrite",
                statement.version
            ),
            "run pg_repack (or pg_squeeze) outside migrations: it rebuilds the table without \
             holding the lock for the copy",
        ));
    });
}
