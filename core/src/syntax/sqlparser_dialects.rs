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

pub(super) fn check(
    dialect: Dialect,
    text: &str,
    statements: &[StatementRange],
) -> Vec<SyntaxError> {
    let parser_dialect = crate::lexer::parser_dialect(dialect);
    let mut errors = Vec::new();
    for statement in statements {
        let sql = &text[statement.range.clone()];
        let Err(error) = Parser::parse_sql(parser_dialect.as_ref(), sql) else {
            continue;
        };
        let full = error.to_string();
        let full = full.strip_prefix("sql parser error: ").unwrap_or(&full);
        let (offset, message) = match position_in_message(full) {
            Some((line, column, message)) => (LineIndex::new(sql).offset_of(line, column), message),
            None => (0, full),
        };
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
        let statements = strata_model::statements::split(sql, &tokens, &(0..sql.len()));
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
