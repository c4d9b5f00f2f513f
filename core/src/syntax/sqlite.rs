//! SQLite through SQLite itself: each statement is prepared (parsed, never run) on an empty
//! in-memory database. Only what SQLite's parser rejects is a syntax error; everything it
//! rejects after parsing (`no such table`: the database is empty) is left alone. So what
//! SQLite runs is never refused, as sqlparser's SQLite grammar refused
//! `CREATE TRIGGER IF NOT EXISTS ... BEGIN ... END` (Cloudflare D1 migrations are SQLite).

use std::cell::RefCell;

use super::SyntaxError;
use strata_model::statements::StatementRange;

thread_local! {
    /// One empty database per thread: the lint may run on several.
    static EMPTY: RefCell<Option<rusqlite::Connection>> = const { RefCell::new(None) };
}

/// Whether SQLite's message is its parser's (the statement is not SQL it knows), not a
/// later check against the (empty) schema.
fn is_parse_error(message: &str) -> bool {
    message.ends_with("syntax error")
        || message.starts_with("incomplete input")
        || message.starts_with("unrecognized token")
        || message.contains("syntax error")
}

/// The parse error of `sql`, if SQLite's parser rejects it: (byte offset, message).
fn parse_error(conn: &rusqlite::Connection, sql: &str) -> Option<(usize, String)> {
    match conn.prepare(sql) {
        Ok(_) => None,
        Err(rusqlite::Error::SqlInputError { msg, offset, .. }) if is_parse_error(&msg) => {
            Some((usize::try_from(offset).unwrap_or(0).min(sql.len()), msg))
        }
        Err(rusqlite::Error::SqliteFailure(_, Some(msg))) if is_parse_error(&msg) => {
            // No position: at the end for incomplete input, else at the start.
            let at = if msg.starts_with("incomplete input") {
                sql.len()
            } else {
                0
            };
            Some((at, msg))
        }
        Err(_) => None,
    }
}

pub(super) fn check(text: &str, statements: &[StatementRange]) -> Vec<SyntaxError> {
    EMPTY.with(|empty| {
        let mut empty = empty.borrow_mut();
        if empty.is_none() {
            // Without a database there is nothing to check with: say nothing rather than
            // something wrong.
            *empty = rusqlite::Connection::open_in_memory().ok();
        }
        let Some(conn) = empty.as_ref() else {
            return Vec::new();
        };
        statements
            .iter()
            .filter_map(|statement| {
                let sql = text.get(statement.range.clone())?;
                let (offset, message) = parse_error(conn, sql)?;
                // At the end of input the error points just past the statement.
                let start =
                    (statement.range.start + offset).min(statement.range.end.saturating_sub(1));
                Some(SyntaxError {
                    range: start..(start + 1).min(text.len()).max(start),
                    message,
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;
    use strata_model::dialect::Dialect;

    fn errors(sql: &str) -> Vec<(usize, String)> {
        let (tokens, _) = lex(Dialect::Sqlite, sql);
        let statements =
            strata_model::statements::split(sql, &tokens, &(0..sql.len()), Dialect::Sqlite);
        check(sql, &statements)
            .into_iter()
            .map(|e| (e.range.start, e.message))
            .collect()
    }

    #[test]
    fn what_sqlite_runs_is_accepted() {
        let sql = "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE) STRICT;\n\
                   CREATE TRIGGER IF NOT EXISTS users_touch AFTER UPDATE ON users BEGIN UPDATE users SET email = lower(NEW.email) WHERE id = NEW.id; END;\n\
                   INSERT INTO users (email) VALUES ('a') ON CONFLICT (email) DO UPDATE SET email = excluded.email;\n\
                   CREATE INDEX idx_missing ON not_created_yet (x);\n";
        assert_eq!(errors(sql), Vec::<(usize, String)>::new());
    }

    #[test]
    fn parse_errors_are_placed_in_the_statement() {
        let sql = "CREATE TABLE a (id INTEGER);\nCREAT TABLE b (id INTEGER);\nSELECT 1;\nSELECT FROM WHERE;\n";
        let found = errors(sql);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(&sql[found[0].0..found[0].0 + 5], "CREAT");
        assert!(found[0].1.contains("syntax error"), "{}", found[0].1);
        assert_eq!(&sql[found[1].0..found[1].0 + 4], "FROM");
    }
}
