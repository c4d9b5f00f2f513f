//! One token stream for every dialect, so sections, directives, statement splitting and
//! checksums share a single view of what is a comment, a literal or a `;`.
//!
//! PostgreSQL uses squawk's lexer (the same one its parser uses); other dialects use
//! sqlparser's tokenizer with the configured dialect, so MySQL `#` comments and backslash
//! escapes are understood. Byte ranges always refer to the whole file's text.

use strata_model::dialect::Dialect;
use strata_model::position::LineIndex;

pub use strata_model::tokens::{Token, TokenKind};

/// A tokenizer error: where, and what. Tokens are still produced (by the PostgreSQL lexer,
/// which never fails) so the rest of the pipeline keeps working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    pub offset: usize,
    pub message: String,
}

pub fn lex(dialect: Dialect, text: &str) -> (Vec<Token>, Option<LexError>) {
    match dialect {
        Dialect::Postgres => (lex_postgres(text), None),
        _ => match lex_sqlparser(dialect, text) {
            Ok(tokens) => (tokens, None),
            Err(error) => (lex_postgres(text), Some(error)),
        },
    }
}

fn lex_postgres(text: &str) -> Vec<Token> {
    use squawk_lexer::TokenKind as K;
    let mut tokens = Vec::new();
    let mut start = 0;
    for token in squawk_lexer::tokenize(text) {
        let end = start + token.len as usize;
        let kind = match token.kind {
            K::Whitespace => TokenKind::Whitespace,
            K::LineComment => TokenKind::LineComment,
            K::BlockComment { .. } => TokenKind::BlockComment,
            K::Semi => TokenKind::Semicolon,
            K::OpenParen => TokenKind::OpenParen,
            K::CloseParen => TokenKind::CloseParen,
            K::Ident => TokenKind::Word,
            K::Eof => break,
            _ => TokenKind::Other,
        };
        tokens.push(Token { kind, start, end });
        start = end;
    }
    tokens
}

/// MySQL's executable comments (`/*!40101 SET ... */`, as mysqldump writes them; MariaDB's
/// `/*M!100100 ... */`): SQL the
/// server runs, which sqlparser's tokenizer misplaces. They are found with the run-time
/// lexer (which knows strings and comments), masked for sqlparser, and kept as one token.
fn executable_comments(dialect: Dialect, text: &str) -> Vec<std::ops::Range<usize>> {
    if dialect != Dialect::Mysql || !(text.contains("/*!") || text.contains("/*M!")) {
        return Vec::new();
    }
    strata_model::light_lexer::lex(dialect, text)
        .into_iter()
        .filter(|t| {
            let token = &text[t.start..t.end];
            token.starts_with("/*!") || token.starts_with("/*M!")
        })
        .map(|t| t.start..t.end)
        .collect()
}

fn lex_sqlparser(dialect: Dialect, text: &str) -> Result<Vec<Token>, LexError> {
    let regions = executable_comments(dialect, text);
    if regions.is_empty() {
        return lex_sqlparser_plain(dialect, text);
    }
    // Same length and lines, so every offset still holds.
    let mut masked = text.as_bytes().to_vec();
    for region in &regions {
        for byte in &mut masked[region.clone()] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
    }
    let masked = String::from_utf8(masked).unwrap_or_else(|_| text.to_string());
    let mut tokens = Vec::new();
    for token in lex_sqlparser_plain(dialect, &masked)? {
        // Only masked whitespace can overlap a region: keep what lies outside it.
        let mut pieces: Vec<std::ops::Range<usize>> =
            std::iter::once(token.start..token.end).collect();
        for region in &regions {
            pieces = pieces
                .into_iter()
                .flat_map(|p| {
                    [
                        p.start..p.end.min(region.start),
                        p.start.max(region.end)..p.end,
                    ]
                })
                .filter(|p| p.start < p.end)
                .collect();
        }
        tokens.extend(pieces.into_iter().map(|p| Token {
            kind: token.kind,
            start: p.start,
            end: p.end,
        }));
    }
    tokens.extend(regions.iter().map(|r| Token {
        kind: TokenKind::Other,
        start: r.start,
        end: r.end,
    }));
    tokens.sort_by_key(|t| t.start);
    Ok(tokens)
}

fn lex_sqlparser_plain(dialect: Dialect, text: &str) -> Result<Vec<Token>, LexError> {
    use sqlparser::tokenizer::{Token as T, Tokenizer, Whitespace as W};
    let index = LineIndex::new(text);
    let parser_dialect = parser_dialect(dialect);
    let spanned = Tokenizer::new(parser_dialect.as_ref(), text)
        .tokenize_with_location()
        .map_err(|e| LexError {
            offset: index.offset_of(e.location.line as u32, e.location.column as u32),
            message: e.message,
        })?;
    let starts: Vec<usize> = spanned
        .iter()
        .map(|t| index.offset_of(t.span.start.line as u32, t.span.start.column as u32))
        .collect();
    let mut tokens = Vec::with_capacity(spanned.len());
    for (i, token) in spanned.iter().enumerate() {
        let start = starts[i];
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        if end <= start {
            continue;
        }
        let kind = match &token.token {
            T::Whitespace(W::SingleLineComment { .. }) => TokenKind::LineComment,
            T::Whitespace(W::MultiLineComment(_)) => TokenKind::BlockComment,
            T::Whitespace(_) => TokenKind::Whitespace,
            T::SemiColon => TokenKind::Semicolon,
            T::LParen => TokenKind::OpenParen,
            T::RParen => TokenKind::CloseParen,
            T::Word(w) if w.quote_style.is_none() => TokenKind::Word,
            T::EOF => break,
            _ => TokenKind::Other,
        };
        tokens.push(Token { kind, start, end });
    }
    Ok(tokens)
}

/// sqlparser's dialect for ours; the syntax check parses with the same one.
pub(crate) fn parser_dialect(dialect: Dialect) -> Box<dyn sqlparser::dialect::Dialect> {
    use sqlparser::dialect::{GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
    match dialect {
        Dialect::Postgres => Box::new(PostgreSqlDialect {}),
        Dialect::Sqlite => Box::new(SQLiteDialect {}),
        Dialect::Mysql => Box::new(MySqlDialect {}),
        Dialect::Generic => Box::new(GenericDialect {}),
    }
}

/// The body of a line comment without its `--` (or `#`) prefix and surrounding whitespace.
pub fn line_comment_body(text: &str) -> &str {
    let text = text.trim();
    text.strip_prefix("--")
        .or_else(|| text.strip_prefix('#'))
        .unwrap_or(text)
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(dialect: Dialect, text: &str) -> Vec<(TokenKind, String)> {
        let (tokens, error) = lex(dialect, text);
        assert!(error.is_none(), "{error:?}");
        tokens
            .iter()
            .filter(|t| t.kind != TokenKind::Whitespace)
            .map(|t| (t.kind, text[t.start..t.end].trim_end().to_string()))
            .collect()
    }

    #[test]
    fn postgres_tokens_cover_the_text() {
        let text = "-- c\nSELECT 'a;b', $$x;y$$; /* z */";
        let (tokens, _) = lex(Dialect::Postgres, text);
        assert_eq!(tokens.first().map(|t| t.start), Some(0));
        assert_eq!(tokens.last().map(|t| t.end), Some(text.len()));
        let semis = tokens
            .iter()
            .filter(|t| t.kind == TokenKind::Semicolon)
            .count();
        assert_eq!(semis, 1);
    }

    #[test]
    fn sqlparser_tokens_have_byte_offsets() {
        let got = kinds(Dialect::Sqlite, "SELECT 'é;x'; -- done\n");
        assert_eq!(got[0], (TokenKind::Word, "SELECT".to_string()));
        assert_eq!(got[1], (TokenKind::Other, "'é;x'".to_string()));
        assert_eq!(got[2], (TokenKind::Semicolon, ";".to_string()));
        assert_eq!(got[3], (TokenKind::LineComment, "-- done".to_string()));
    }

    #[test]
    fn mysql_hash_comments_and_backslash_escapes() {
        let got = kinds(Dialect::Mysql, "# note\nSELECT 'it\\'s; fine';");
        assert_eq!(got[0].0, TokenKind::LineComment);
        assert_eq!(
            got.iter()
                .filter(|(k, _)| *k == TokenKind::Semicolon)
                .count(),
            1
        );
    }

    #[test]
    fn tokenizer_errors_fall_back_and_report() {
        let (tokens, error) = lex(Dialect::Sqlite, "SELECT 'unterminated");
        assert!(!tokens.is_empty());
        assert!(error.is_some());
    }
}
