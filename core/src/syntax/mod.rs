//! SQL syntax checking per dialect. PostgreSQL uses squawk's parser, which accepts what the
//! server accepts (DO blocks, REINDEX, CREATE STATISTICS, ...); the other dialects use sqlparser.

use std::ops::Range;

use crate::lexer::Token;
use strata_model::dialect::Dialect;
use strata_model::statements::StatementRange;

mod postgres;
mod sqlparser_dialects;

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
        _ => sqlparser_dialects::check(dialect, text, statements),
    }
}
