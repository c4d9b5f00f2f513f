//! Which statements end the open transaction by themselves. MySQL and MariaDB commit before
//! (and after) every DDL statement and a few others, so a migration holding one cannot be
//! atomic there; PostgreSQL and SQLite run DDL inside transactions.
//!
//! The test is by the statement's first words and errs one way only: a statement is
//! transaction-safe when it is known DML (`SELECT`, `INSERT`, `UPDATE`, `DELETE`,
//! `REPLACE`, `WITH`, `VALUES`, `TABLE`, `DO`) or a plain `SET` of variables; anything else
//! (DDL, `CALL` of a routine that may hold DDL, `LOCK TABLES`, `GRANT`, a mysqldump
//! `/*! ... */` that hides its statement) counts as committing. A DML statement counted as
//! DDL only runs outside a transaction, reported as such; the other mistake would claim an
//! atomicity MySQL does not give.

use crate::Dialect;

/// Whether `statement` commits the open transaction when `dialect`'s server runs it.
pub fn commits_implicitly(dialect: Dialect, statement: &str) -> bool {
    if dialect != Dialect::Mysql {
        return false;
    }
    let Some(code) = code_start(statement) else {
        // Only comments: nothing runs.
        return false;
    };
    if code.starts_with("/*") {
        // An executable comment (`/*!40101 ... */`): its statement is not known.
        return true;
    }
    let words: Vec<String> = code
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '@')
        .filter(|w| !w.is_empty())
        .take(3)
        .map(str::to_ascii_uppercase)
        .collect();
    let first = words.first().map_or("", String::as_str);
    match first {
        "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "WITH" | "VALUES" | "TABLE"
        | "DO" => false,
        // `SET @x = ...`, `SET NAMES`, `SET foreign_key_checks = 0`: session state. Not
        // `SET autocommit = 1` (commits), `SET PASSWORD`, `SET TRANSACTION`, roles.
        "SET" => words[1..].iter().any(|w| {
            let w = w.trim_start_matches('@');
            matches!(
                w,
                "AUTOCOMMIT" | "PASSWORD" | "TRANSACTION" | "ROLE" | "DEFAULT" | "GLOBAL"
            ) || w.ends_with("AUTOCOMMIT")
        }),
        _ => true,
    }
}

/// The statement's text after leading whitespace and ordinary comments (`--`, `#`,
/// `/* */`); an executable comment (`/*!`, MariaDB's `/*M!`) is code. `None` when nothing
/// but comments is left.
fn code_start(statement: &str) -> Option<&str> {
    let mut text = statement;
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix("--") {
            text = rest.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(rest) = text.strip_prefix('#') {
            text = rest.split_once('\n').map_or("", |(_, after)| after);
        } else if text.starts_with("/*!") || text.starts_with("/*M!") {
            return Some(text);
        } else if let Some(rest) = text.strip_prefix("/*") {
            text = rest.split_once("*/").map_or("", |(_, after)| after);
        } else {
            return (!text.is_empty()).then_some(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mysql(statement: &str) -> bool {
        commits_implicitly(Dialect::Mysql, statement)
    }

    #[test]
    fn ddl_commits_and_dml_does_not() {
        for ddl in [
            "CREATE TABLE t (id INT)",
            "alter table t add column x int",
            "DROP INDEX i ON t",
            "RENAME TABLE a TO b",
            "TRUNCATE t",
            "-- why\nCREATE INDEX i ON t (x)",
            "CALL migrate_things()",
            "LOCK TABLES t WRITE",
            "GRANT SELECT ON t TO u",
            "/*!40101 SET NAMES utf8 */",
            "SET autocommit = 1",
            "SET @@autocommit = 1",
            "SET PASSWORD = 'x'",
        ] {
            assert!(mysql(ddl), "{ddl}");
        }
        for dml in [
            "INSERT INTO t VALUES (1)",
            "  # seed\nupdate t set x = 1",
            "/* plain */ DELETE FROM t",
            "REPLACE INTO t VALUES (1)",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "SET @n = 1",
            "SET FOREIGN_KEY_CHECKS = 0",
            "SELECT 1",
            "-- only a comment",
        ] {
            assert!(!mysql(dml), "{dml}");
        }
    }

    #[test]
    fn other_dialects_keep_ddl_in_the_transaction() {
        assert!(!commits_implicitly(
            Dialect::Postgres,
            "CREATE TABLE t (id int)"
        ));
        assert!(!commits_implicitly(Dialect::Sqlite, "DROP TABLE t"));
    }
}
