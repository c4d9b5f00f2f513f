//! `transaction-nesting`: transaction control (`BEGIN`, `START TRANSACTION`, `COMMIT`, `END`,
//! `ROLLBACK`, `ABORT`) as a statement of a migration that strata already runs in a
//! transaction with its history row. A `COMMIT` there ends strata's transaction early: the
//! rest of the migration and its history row run outside it, so a later failure leaves the
//! migration half-applied and unrecorded. SQLite rejects the nested `BEGIN` outright.
//!
//! Only a statement's first word counts, so `BEGIN ... END` bodies of functions and
//! triggers (one statement with them) never do. `SAVEPOINT`, `RELEASE` and `ROLLBACK TO`
//! are left alone: inside a transaction they work as written. MySQL and generic SQL are not
//! checked (their `BEGIN` also opens compound statements the splitter may not see).

use crate::diagnostic::Diagnostic;
use strata_model::dialect::Dialect;
use crate::discover::{Directory, SourceFile};
use crate::lint_registry::Lint;
use strata_model::statements::StatementRange;

/// The statement's first two words, uppercased.
fn first_words(file: &SourceFile, statement: &StatementRange) -> (String, Option<String>) {
    let mut words = super::statement_words(file, &statement.range);
    let one = words.next().flatten().unwrap_or_default();
    (one, words.next().flatten())
}

/// Whether a statement starting with these words controls the transaction.
fn controls_transaction(first: &str, second: Option<&str>) -> bool {
    match first {
        "BEGIN" | "COMMIT" | "END" | "ABORT" => true,
        "START" => second == Some("TRANSACTION"),
        "ROLLBACK" => second != Some("TO"),
        _ => false,
    }
}

pub(crate) fn check(directory: &Directory, _: &super::Shared<'_>, out: &mut Vec<Diagnostic>) {
    if !matches!(directory.config.dialect, Dialect::Postgres | Dialect::Sqlite) {
        return;
    }
    for (version, file, statement) in super::transactional_statements(directory) {
        let (first, second) = first_words(file, statement);
        if !controls_transaction(&first, second.as_deref()) {
            continue;
        }
        out.push(
            Diagnostic::new(
                Lint::TransactionNesting,
                &file.path,
                format!(
                    "`{first}` in migration {version}, which strata already runs in a transaction \
                     with its history row: a COMMIT or ROLLBACK here ends that transaction \
                     early, so a later failure leaves the migration half-applied and \
                     unrecorded"
                ),
            )
            .at(super::first_word_span(file, &statement.range))
            .help(
                "remove it (each migration already commits with its history row), or \
                 add `-- strata:no-transaction` to manage transactions yourself",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::controls_transaction;

    #[test]
    fn only_transaction_boundaries_count() {
        for (first, second) in [
            ("BEGIN", None),
            ("BEGIN", Some("TRANSACTION")),
            ("START", Some("TRANSACTION")),
            ("COMMIT", None),
            ("END", None),
            ("ROLLBACK", None),
            ("ABORT", None),
        ] {
            assert!(controls_transaction(first, second), "{first} {second:?}");
        }
        for (first, second) in [
            ("ROLLBACK", Some("TO")),
            ("SAVEPOINT", Some("A")),
            ("RELEASE", Some("A")),
            ("START", None),
            ("CREATE", Some("TRIGGER")),
        ] {
            assert!(!controls_transaction(first, second), "{first} {second:?}");
        }
    }
}
