//! SQL syntax checking per dialect. PostgreSQL uses squawk's parser, which accepts what the
//! server accepts (DO blocks, REINDEX, CREATE STATISTICS, ...); SQLite uses SQLite's own parser
//! (feature `sqlite-parser`, else sqlparser); MySQL and generic SQL use sqlparser.

use std::ops::Range;

use crate::lexer::Token;
use strata_model::dialect::Dialect;
use strata_model::statements::StatementRange;

mod cache;
mod postgres;
#[cfg(feature = "sqlite-parser")]
mod sqlite;
mod sqlparser_dialects;

pub use cache::SyntaxCache;

/// A syntax error with its byte range in the whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub range: Range<usize>,
    pub message: String,
}

/// Checks one section of a file, given its statement boundaries.
pub fn check(
    dialect: Dialect,
    text: &str,
    tokens: &[Token],
    section: &Range<usize>,
    statements: &[StatementRange],
) -> Vec<SyntaxError> {
    match dialect {
        Dialect::Postgres => postgres::check(text, tokens, section, statements),
        #[cfg(feature = "sqlite-parser")]
        Dialect::Sqlite => sqlite::check(text, statements),
        _ => sqlparser_dialects::check(dialect, text, statements),
    }
}
