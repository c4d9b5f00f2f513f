//! PostgreSQL syntax through squawk-syntax: a lossless parser built to accept real-world
//! migrations, so a valid migration never fails to compile because the checker is weaker
//! than the server.

use std::ops::Range;

use super::SyntaxError;

pub(super) fn check(text: &str, section: &Range<usize>) -> Vec<SyntaxError> {
    let sql = &text[section.clone()];
    squawk_syntax::SourceFile::parse(sql)
        .errors()
        .into_iter()
        .map(|error| {
            let range = error.range();
            let start = section.start + usize::from(range.start());
            let end = section.start + usize::from(range.end());
            SyntaxError { range: start..end.max(start + 1).min(text.len().max(start)), message: error.message().to_string() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(sql: &str) -> Vec<(usize, String)> {
        check(sql, &(0..sql.len())).into_iter().map(|e| (e.range.start, e.message)).collect()
    }

    #[test]
    fn accepts_statements_other_parsers_reject() {
        let sql = include_str!("../../tests/fixtures/postgres_valid.sql");
        assert_eq!(errors(sql), Vec::new());
    }

    #[test]
    fn rejects_typos() {
        for sql in [
            "CREAT TABLE users (id int);",
            "CREATE TABLE a (id int)\nCREATE TABLE b (id int);",
            "CREATE TABLE a (id int;",
        ] {
            assert!(!errors(sql).is_empty(), "accepted: {sql}");
        }
    }
}
