//! SQLite, MySQL and generic SQL through sqlparser, statement by statement so that one bad
//! statement does not hide the next, and every error is placed in the file.

use sqlparser::parser::Parser;

use super::SyntaxError;
use strata_model::dialect::Dialect;
use strata_model::position::LineIndex;
use strata_model::statements::StatementRange;

/// sqlparser reports positions inside its message (`... at Line: 2, Column: 5`).
fn position_in_message(message: &str) -> Option<(u32, u32, &str)> {
    let at = message.rfind(" at Line: ")?;
    let (line, column) = message[at + " at Line: ".len()..].split_once(", Column: ")?;
    let column: String = column.chars().take_while(char::is_ascii_digit).collect();
    Some((
        line.trim().parse().ok()?,
        column.parse().ok()?,
        &message[..at],
    ))
}

/// `DELIMITER $$` inside a statement: the mysql client's command, which the splitter follows
/// only as the first word of a line (as the client does), so here it is not one.
fn is_client_delimiter(sql: &str) -> bool {
    sql.as_bytes().get(..10).is_some_and(|head| {
        head[..9].eq_ignore_ascii_case(b"DELIMITER") && head[9].is_ascii_whitespace()
    })
}

/// Every word a MySQL 8.4 or MariaDB 11 statement may begin with (their manuals' SQL
/// statement chapters; `DELIMITER` is handled before).
const MYSQL_STATEMENT_WORDS: &[&str] = &[
    "ALTER",
    "ANALYZE",
    "BACKUP",
    "BEGIN",
    "BINLOG",
    "CACHE",
    "CALL",
    "CHANGE",
    "CHECK",
    "CHECKSUM",
    "CLONE",
    "COMMIT",
    "CREATE",
    "DEALLOCATE",
    "DELETE",
    "DESC",
    "DESCRIBE",
    "DO",
    "DROP",
    "EXECUTE",
    "EXPLAIN",
    "FLUSH",
    "GET",
    "GRANT",
    "HANDLER",
    "HELP",
    "IMPORT",
    "INSERT",
    "INSTALL",
    "KILL",
    "LOAD",
    "LOCK",
    "OPTIMIZE",
    "PREPARE",
    "PURGE",
    "RELEASE",
    "RENAME",
    "REPAIR",
    "REPLACE",
    "RESET",
    "RESIGNAL",
    "RESTART",
    "REVOKE",
    "ROLLBACK",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "SHOW",
    "SHUTDOWN",
    "SIGNAL",
    "START",
    "STOP",
    "TABLE",
    "TRUNCATE",
    "UNINSTALL",
    "UNLOCK",
    "UPDATE",
    "USE",
    "VALUES",
    "WITH",
    "XA",
];

/// sqlparser's MySQL grammar misses much that MySQL and MariaDB accept (`PARTITION BY`,
/// `ZEROFILL`, `/*! ... */` executable comments, `DO`, `HANDLER`, ...), so the only
/// certain error is a statement that begins with a word no MySQL statement begins with
/// (`CRAETE TABLE`, a stray word): anything else the parser rejects may be a gap in the
/// parser, and a false error breaks a build. Measured on the MySQL sets in
/// `tests/ui/fixtures/mysql-valid` and `tests/fixtures/mysql/corpus`, each file applied to
/// MariaDB 10.11 first.
fn certain_for_mysql(sql: &str, offset: usize) -> bool {
    let first: String = sql
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    offset == 0
        && !first.is_empty()
        && !MYSQL_STATEMENT_WORDS
            .iter()
            .any(|word| word.eq_ignore_ascii_case(&first))
}

pub(super) fn check(
    dialect: Dialect,
    text: &str,
    statements: &[StatementRange],
) -> Vec<SyntaxError> {
    let parser_dialect = crate::lexer::parser_dialect(dialect);
    let mut errors = Vec::new();
    for statement in statements {
        let sql = &text[statement.range.clone()];
        if dialect == Dialect::Mysql && is_client_delimiter(sql) {
            errors.push(SyntaxError {
                range: statement.range.start..statement.range.start + "DELIMITER".len(),
                message: "`DELIMITER` is a command of the mysql client, not SQL: strata \
                          follows it only at the start of a line, after the previous \
                          statement's delimiter (or drop it: strata keeps a `BEGIN ... END` \
                          body whole, so `END;` ends a routine)"
                    .to_string(),
            });
            // What follows is split on the client's delimiter: nothing more to say.
            break;
        }
        let Err(error) = Parser::parse_sql(parser_dialect.as_ref(), sql) else {
            continue;
        };
        let full = error.to_string();
        let full = full.strip_prefix("sql parser error: ").unwrap_or(&full);
        let (offset, message) = match position_in_message(full) {
            Some((line, column, message)) => (LineIndex::new(sql).offset_of(line, column), message),
            None => (0, full),
        };
        if dialect == Dialect::Mysql && !certain_for_mysql(sql, offset) {
            continue;
        }
        let start = statement.range.start + offset.min(sql.len());
        errors.push(SyntaxError {
            range: start..(start + 1).min(text.len()).max(start),
            message: message.to_string(),
        });
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;

    fn errors(dialect: Dialect, sql: &str) -> Vec<(usize, String)> {
        let (tokens, _) = lex(dialect, sql);
        let statements = strata_model::statements::split(sql, &tokens, &(0..sql.len()), dialect);
        check(dialect, sql, &statements)
            .into_iter()
            .map(|e| (e.range.start, e.message))
            .collect()
    }

    #[test]
    fn accepts_sqlite_migrations() {
        let sql = "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE);\n\
                   CREATE INDEX idx_users_email ON users (email);\n\
                   CREATE TRIGGER t AFTER INSERT ON users BEGIN UPDATE users SET email = lower(NEW.email) WHERE id = NEW.id; END;\n\
                   SELECT count(*) FROM users;\n";
        assert_eq!(errors(Dialect::Sqlite, sql), Vec::new());
    }

    #[test]
    fn mysql_reports_only_what_is_certain() {
        // Valid on MariaDB 10.11, beyond sqlparser's MySQL grammar: silent.
        let valid = "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n\
                     CREATE TABLE e (id INT, d DATE) PARTITION BY RANGE (YEAR(d)) (PARTITION p VALUES LESS THAN MAXVALUE);\n\
                     CREATE TABLE z (r DECIMAL(10,4) UNSIGNED ZEROFILL);\n\
                     DO SLEEP(0);\n\
                     HANDLER z OPEN;\n\
                     (SELECT 1) UNION (SELECT 2);\n";
        assert_eq!(errors(Dialect::Mysql, valid), Vec::new());
        // A misspelled command is certain, in any case.
        for typo in ["CRAETE TABLE a (id INT);\n", "insret into a values (1);\n"] {
            assert_eq!(errors(Dialect::Mysql, typo).len(), 1, "{typo}");
        }
        // The client's DELIMITER on lines of its own is followed, as the client does.
        let delimiter = "DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$\nDELIMITER ;\n";
        assert_eq!(errors(Dialect::Mysql, delimiter), Vec::new());
        // Anywhere else it is not a command: one error that says so, at the word.
        let inline = "SELECT 1; DELIMITER $$ CREATE PROCEDURE p() BEGIN SELECT 1; END$$\n";
        let found = errors(Dialect::Mysql, inline);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("mysql client"), "{}", found[0].1);
    }

    #[test]
    fn places_each_error_in_the_file() {
        let sql =
            "CREATE TABLE a (id int);\nCREAT TABLE b (id int);\nSELECT 1;\nSELECT FROM WHERE;\n";
        let found = errors(Dialect::Sqlite, sql);
        assert_eq!(found.len(), 2, "{found:?}");
        let index = LineIndex::new(sql);
        assert_eq!(index.line(found[0].0), 2);
        assert_eq!(index.line(found[1].0), 4);
        assert!(!found[0].1.contains("Line:"), "{}", found[0].1);
    }
}
