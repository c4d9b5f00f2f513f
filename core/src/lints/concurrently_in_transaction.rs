//! `concurrently-in-transaction`: a PostgreSQL statement that cannot run inside a
//! transaction block (`CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`,
//! `REINDEX ... CONCURRENTLY`, `ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY`) in a
//! migration strata runs in a transaction with its history row. PostgreSQL refuses it at run
//! time with `25001 ... cannot run inside a transaction block`, so the build says it first.
//! squawk calls the index-creation case `ban-concurrent-index-creation-in-transaction`.
//!
//! The words are read where PostgreSQL's grammar puts `CONCURRENTLY` (a keyword there, so
//! `CREATE INDEX concurrently ON t` is the concurrent, unnamed form); anything else is left
//! alone.

use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;
use strata_model::dialect::Dialect;

/// The statement's words (`None` for other tokens) name a command that must run outside a
/// transaction block: the command, for the message.
fn must_run_outside(words: &[Option<String>]) -> Option<&'static str> {
    let word = |i: usize| words.get(i).and_then(|w| w.as_deref());
    let concurrently = |i: usize| word(i) == Some("CONCURRENTLY");
    match (word(0), word(1)) {
        (Some("CREATE"), Some("INDEX")) if concurrently(2) => Some("CREATE INDEX CONCURRENTLY"),
        (Some("CREATE"), Some("UNIQUE")) if word(2) == Some("INDEX") && concurrently(3) => {
            Some("CREATE INDEX CONCURRENTLY")
        }
        (Some("DROP"), Some("INDEX")) if concurrently(2) => Some("DROP INDEX CONCURRENTLY"),
        // REINDEX [ ( options ) ] { INDEX | TABLE | SCHEMA | DATABASE | SYSTEM } CONCURRENTLY name
        (Some("REINDEX"), _) => {
            let kind = words.iter().position(|w| {
                matches!(
                    w.as_deref(),
                    Some("INDEX" | "TABLE" | "SCHEMA" | "DATABASE" | "SYSTEM")
                )
            })?;
            (concurrently(kind + 1) && words.len() > kind + 2).then_some("REINDEX CONCURRENTLY")
        }
        // ALTER TABLE ... DETACH PARTITION name CONCURRENTLY
        (Some("ALTER"), Some("TABLE")) => {
            let detach = words
                .windows(2)
                .position(|w| w[0].as_deref() == Some("DETACH") && w[1].as_deref() == Some("PARTITION"))?;
            (words.len() == detach + 4 && concurrently(detach + 3))
                .then_some("DETACH PARTITION ... CONCURRENTLY")
        }
        _ => None,
    }
}

pub(crate) fn check(directory: &Directory, _: &super::Shared<'_>, out: &mut Vec<Diagnostic>) {
    if directory.config.dialect != Dialect::Postgres {
        return;
    }
    for (version, file, statement) in super::transactional_statements(directory) {
        let words: Vec<Option<String>> = super::statement_words(file, &statement.range).collect();
        let Some(command) = must_run_outside(&words) else {
            continue;
        };
        out.push(
            Diagnostic::new(
                Lint::ConcurrentlyInTransaction,
                &file.path,
                format!(
                    "`{command}` cannot run inside a transaction block, and strata runs \
                     migration {version} in one with its history row: PostgreSQL would refuse \
                     it (25001)"
                ),
            )
            .at(super::first_word_span(file, &statement.range))
            .help(
                "add `-- strata:no-transaction` to this migration (its statements then run \
                 one by one and the history row is written after the last), and keep \
                 the other statements in a migration of their own",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::must_run_outside;

    fn words(sql: &str) -> Vec<Option<String>> {
        sql.split_whitespace()
            .map(|w| {
                w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
                    .then(|| w.to_ascii_uppercase())
            })
            .collect()
    }

    #[test]
    fn finds_the_commands_postgres_refuses_in_a_transaction() {
        for sql in [
            "CREATE INDEX CONCURRENTLY i ON t ( a )",
            "create unique index concurrently i on t ( a )",
            "CREATE INDEX concurrently ON t ( a )",
            "DROP INDEX CONCURRENTLY IF EXISTS i",
            "REINDEX INDEX CONCURRENTLY i",
            "REINDEX ( VERBOSE ) TABLE CONCURRENTLY t",
            "ALTER TABLE m DETACH PARTITION m_2024 CONCURRENTLY",
        ] {
            assert!(must_run_outside(&words(sql)).is_some(), "{sql}");
        }
    }

    #[test]
    fn leaves_everything_else_alone() {
        for sql in [
            "CREATE INDEX i ON t ( a )",
            "CREATE INDEX i ON concurrently ( a )",
            "DROP INDEX i",
            "REINDEX TABLE concurrently",
            "ALTER TABLE m DETACH PARTITION concurrently",
            "ALTER TABLE m DETACH PARTITION m_2024 FINALIZE",
            "SELECT concurrently FROM t",
        ] {
            assert!(must_run_outside(&words(sql)).is_none(), "{sql}");
        }
    }
}
