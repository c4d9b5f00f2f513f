//! PostgreSQL syntax through squawk-syntax: a lossless parser built to accept real-world
//! migrations, so a valid migration never fails to compile because the checker is weaker
//! than the server.

use std::ops::Range;

use super::SyntaxError;
use crate::lexer::Token;
use strata_model::statements::StatementRange;

/// squawk names tokens by their kind (`R_PAREN`, `CREATE_KW`); say what a user would write.
fn token_name(kind: &str) -> String {
    let punctuation = match kind {
        "R_PAREN" => ")",
        "L_PAREN" => "(",
        "SEMICOLON" => ";",
        "COMMA" => ",",
        "DOT" => ".",
        "EQ" => "=",
        "R_BRACK" => "]",
        "L_BRACK" => "[",
        "IDENT" => return "an identifier".to_string(),
        _ => match kind.strip_suffix("_KW") {
            Some(keyword) => return format!("`{keyword}`"),
            None => return kind.to_string(),
        },
    };
    format!("`{punctuation}`")
}

/// The start of a token's text for a message: first line only, at most 40 characters,
/// control characters escaped (an unterminated literal runs to the end of the file).
fn excerpt(found: &str) -> String {
    let line = found.trim().lines().next().unwrap_or("");
    let mut short: String = line
        .chars()
        .take(40)
        .flat_map(char::escape_default)
        .collect();
    if line.chars().count() > 40 || found.trim().lines().nth(1).is_some() {
        short.push_str("...");
    }
    short
}

/// Rewrites squawk's kind names in a message, and shows the text found rather than its kind.
fn readable(message: &str, found: &str) -> String {
    let (expected, found_kind) = match message.split_once(", found ") {
        Some((expected, kind)) => (expected, Some(kind)),
        None => (message, None),
    };
    let expected = match expected.strip_prefix("expected ") {
        Some(kind) if kind.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') => {
            format!("expected {}", token_name(kind))
        }
        _ => expected.to_string(),
    };
    match found_kind {
        Some(_) if !found.trim().is_empty() => format!("{expected}, found `{}`", excerpt(found)),
        Some(kind) => format!("{expected}, found {}", token_name(kind)),
        None => expected,
    }
}

pub(super) fn check(
    text: &str,
    tokens: &[Token],
    section: &Range<usize>,
    statements: &[StatementRange],
) -> Vec<SyntaxError> {
    let sql = &text[section.clone()];
    // After an error the parser recovers token by token, reporting each; only the first error
    // of a statement is the user's mistake, the rest is the cascade. Errors come sorted.
    let mut last_statement: Option<Option<usize>> = None;
    let mut errors = Vec::new();
    for error in squawk_syntax::SourceFile::parse(sql).errors() {
        let range = error.range();
        let start = section.start + usize::from(range.start());
        let end = (section.start + usize::from(range.end())).max(start);
        // The statement whose range holds `start` (statements are sorted and disjoint).
        let after = statements.partition_point(|s| s.range.start <= start);
        let statement = after
            .checked_sub(1)
            .filter(|&i| start <= statements[i].range.end);
        if last_statement == Some(statement) {
            continue;
        }
        last_statement = Some(statement);
        let found_end = match tokens.binary_search_by_key(&start, |t| t.start) {
            Ok(i) => tokens[i].end,
            Err(_) => end,
        };
        let message = readable(error.message(), &text[start..found_end.min(text.len())]);
        errors.push(SyntaxError {
            range: start..end.max(start + 1).min(text.len().max(start)),
            message,
        });
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;
    use strata_model::dialect::Dialect;
    use strata_model::position::LineIndex;

    fn errors(sql: &str) -> Vec<(u32, String)> {
        let (tokens, _) = lex(Dialect::Postgres, sql);
        let index = LineIndex::new(sql);
        let whole = 0..sql.len();
        let statements = strata_model::statements::split(sql, &tokens, &whole, Dialect::Postgres);
        check(sql, &tokens, &whole, &statements)
            .into_iter()
            .map(|e| (index.line(e.range.start), e.message))
            .collect()
    }

    #[test]
    fn accepts_statements_other_parsers_reject() {
        let sql = include_str!("../../../tests/ui/fixtures/postgres-valid/001_everything.sql");
        assert_eq!(errors(sql), Vec::new());
    }

    #[test]
    fn rejects_typos_once_at_their_line() {
        for (sql, line) in [
            ("CREAT TABLE users (id int);", 1),
            ("CREATE TABLE a (id int)\nCREATE TABLE b (id int);", 1),
            (
                "CREATE TABLE a (\n  id int,\n  CHECK (id > 0\n);\nSELECT 1;",
                4,
            ),
        ] {
            let found = errors(sql);
            assert_eq!(found.len(), 1, "{sql}: {found:?}");
            assert_eq!(found[0].0, line, "{sql}: {found:?}");
        }
        assert_eq!(
            errors("CREAT TABLE users (id int);")[0].1,
            "expected command, found `CREAT`"
        );
        assert_eq!(readable("expected R_PAREN", ""), "expected `)`");
        assert_eq!(
            readable("expected command, found STRING", "'open\nstill open"),
            "expected command, found `\\'open...`"
        );
        assert_eq!(
            readable("expected TABLE_KW, found IDENT", "tabel"),
            "expected `TABLE`, found `tabel`"
        );
    }
}
