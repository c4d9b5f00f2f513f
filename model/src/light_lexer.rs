//! A small lexer for SQL that was not embedded: a DOWN read back from the history table.
//!
//! The build lexes with the parsers' own lexers (squawk's for PostgreSQL, sqlparser's for the
//! others), which the runtime must not compile. Splitting needs far less: where comments,
//! string literals, quoted identifiers and dollar-quoted bodies begin and end, and the `;`,
//! parentheses and words between them. This lexer knows exactly that, per dialect, and
//! `core/tests/light_lexer.rs` checks that it splits every fixture and thousands of generated
//! texts exactly like the build-time lexers. Unterminated constructs run to the end of the
//! text (the build already rejected such SQL, so stored SQL has none).

use crate::dialect::Dialect;
use crate::tokens::{Token, TokenKind};

/// What differs between the dialects' lexical rules.
struct Rules {
    /// `/* /* */ */` nests (PostgreSQL, sqlparser's generic dialect).
    nested_comments: bool,
    /// `#` starts a line comment (MySQL).
    hash_comments: bool,
    /// `--` starts a comment only when followed by whitespace (MySQL).
    dash_comment_needs_space: bool,
    /// `\` escapes inside `'...'` (and MySQL's `"..."` strings).
    backslash_escapes: bool,
    /// `$tag$ ... $tag$` bodies (MySQL's `$` belongs to identifiers).
    dollar_quotes: bool,
    /// `[name]` is a quoted identifier (SQLite).
    bracket_identifiers: bool,
    /// `` `name` `` is a quoted identifier.
    backtick_identifiers: bool,
    /// Bytes that begin a word, and that continue one.
    word_start: fn(u8) -> bool,
    word_part: fn(u8) -> bool,
}

/// PostgreSQL's rules; the others are stated as differences from them.
const POSTGRES: Rules = Rules {
    nested_comments: true,
    hash_comments: false,
    dash_comment_needs_space: false,
    backslash_escapes: false,
    dollar_quotes: true,
    bracket_identifiers: false,
    backtick_identifiers: false,
    word_start: is_word_start,
    word_part: |b| is_word_start(b) || b.is_ascii_digit() || b == b'$',
};

fn rules(dialect: Dialect) -> Rules {
    match dialect {
        Dialect::Postgres => POSTGRES,
        Dialect::Sqlite => Rules {
            nested_comments: false,
            dollar_quotes: false,
            bracket_identifiers: true,
            backtick_identifiers: true,
            word_part: |b| is_word_start(b) || b.is_ascii_digit(),
            ..POSTGRES
        },
        Dialect::Mysql => Rules {
            nested_comments: false,
            hash_comments: true,
            dash_comment_needs_space: true,
            backslash_escapes: true,
            dollar_quotes: false,
            backtick_identifiers: true,
            word_start: |b| is_word_start(b) || b == b'$' || b == b'@',
            word_part: |b| is_word_start(b) || b.is_ascii_digit() || b == b'$' || b == b'@',
            ..POSTGRES
        },
        // No backend speaks it, so the runtime never splits in it; sqlparser's generic rules.
        Dialect::Generic => Rules {
            backtick_identifiers: true,
            word_start: |b| is_word_start(b) || b == b'#' || b == b'@',
            word_part: |b| is_word_start(b) || b.is_ascii_digit() || b"$#@".contains(&b),
            ..POSTGRES
        },
    }
}

/// The tokens of `text`, covering it from the first byte to the last.
pub fn lex(dialect: Dialect, text: &str) -> Vec<Token> {
    let rules = rules(dialect);
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let (kind, end) = next(&rules, dialect, bytes, at);
        // Every arm consumes at least one byte; keep char boundaries for slicing callers.
        let end = ceil_boundary(text, end.max(at + 1));
        tokens.push(Token {
            kind,
            start: at,
            end,
        });
        at = end;
    }
    tokens
}

fn next(rules: &Rules, dialect: Dialect, bytes: &[u8], at: usize) -> (TokenKind, usize) {
    let byte = bytes[at];
    let following = bytes.get(at + 1).copied();
    match byte {
        // A byte-order mark is whitespace to squawk; the others never see one in stored SQL.
        0xEF if dialect == Dialect::Postgres && bytes[at..].starts_with("\u{feff}".as_bytes()) => {
            (TokenKind::Whitespace, at + 3)
        }
        b if b.is_ascii_whitespace() => (
            TokenKind::Whitespace,
            scan_while(bytes, at, |b| b.is_ascii_whitespace()),
        ),
        b'-' if following == Some(b'-')
            && (!rules.dash_comment_needs_space
                || bytes.get(at + 2).is_some_and(|b| b.is_ascii_whitespace())) =>
        {
            (TokenKind::LineComment, line_end(bytes, at))
        }
        b'#' if rules.hash_comments => (TokenKind::LineComment, line_end(bytes, at)),
        // sqlparser's `#-` operator (SQLite): its `-` never starts a `--` comment.
        b'#' if dialect == Dialect::Sqlite && following == Some(b'-') => (TokenKind::Other, at + 2),
        // MySQL runs what is inside `/*! ... */` (mysqldump's version-gated statements),
        // MariaDB also what is inside `/*M! ... */`.
        b'/' if following == Some(b'*')
            && dialect == Dialect::Mysql
            && (bytes.get(at + 2) == Some(&b'!')
                || bytes.get(at + 2..at + 4) == Some(b"M!".as_slice())) =>
        {
            (TokenKind::Other, block_comment_end(bytes, at, false))
        }
        b'/' if following == Some(b'*') => (
            TokenKind::BlockComment,
            block_comment_end(bytes, at, rules.nested_comments),
        ),
        b';' => (TokenKind::Semicolon, at + 1),
        b'(' => (TokenKind::OpenParen, at + 1),
        b')' => (TokenKind::CloseParen, at + 1),
        b'\'' => (
            TokenKind::Other,
            quoted_end(bytes, at, b'\'', rules.backslash_escapes),
        ),
        b'"' => {
            // MySQL's `"..."` is a string, with the same escapes as `'...'`.
            let escapes = rules.backslash_escapes && dialect == Dialect::Mysql;
            (TokenKind::Other, quoted_end(bytes, at, b'"', escapes))
        }
        b'`' if rules.backtick_identifiers => {
            (TokenKind::Other, quoted_end(bytes, at, b'`', false))
        }
        b'[' if rules.bracket_identifiers => (
            TokenKind::Other,
            bytes[at..]
                .iter()
                .position(|&b| b == b']')
                .map_or(bytes.len(), |i| at + i + 1),
        ),
        // A parameter (`$1`), with any letters glued to it as squawk reads them (`$1E'..'`).
        b'$' if rules.dollar_quotes && following.is_some_and(|b| b.is_ascii_digit()) => {
            (TokenKind::Other, scan_while(bytes, at + 1, rules.word_part))
        }
        // SQLite's `$name` parameter is one token, `$` included wherever it appears.
        b'$' if dialect == Dialect::Sqlite => (
            TokenKind::Other,
            scan_while(bytes, at + 1, |b| (rules.word_part)(b) || b == b'$'),
        ),
        b'$' if rules.dollar_quotes => match dollar_tag(bytes, at) {
            Some(tag_end) => (TokenKind::Other, dollar_body_end(bytes, at, tag_end)),
            None => (TokenKind::Other, at + 1),
        },
        b if (rules.word_start)(b) => {
            let end = scan_while(bytes, at, rules.word_part);
            // PostgreSQL's E'...' string: backslash escapes, whatever the dialect's default.
            let escape_string = dialect == Dialect::Postgres
                && end == at + 1
                && (b == b'E' || b == b'e')
                && bytes.get(end) == Some(&b'\'');
            if escape_string {
                (TokenKind::Other, quoted_end(bytes, end, b'\'', true))
            } else {
                (TokenKind::Word, end)
            }
        }
        b if b.is_ascii_digit() => (TokenKind::Other, number_end(bytes, at)),
        _ => (TokenKind::Other, at + 1),
    }
}

/// Digits, then an exponent marker as squawk reads it (`1E'..'` is the number `1E`, then a
/// plain string); other letters after digits are a word of their own (`1BEGIN$$;$$` holds
/// the word `BEGIN$$`, not a dollar body), and a `$` may open a body (`1$$;$$`).
fn number_end(bytes: &[u8], at: usize) -> usize {
    let end = scan_while(bytes, at, |b| b.is_ascii_digit() || b == b'_' || b == b'.');
    if !matches!(bytes.get(end), Some(b'e' | b'E')) {
        return end;
    }
    let sign = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
    scan_while(bytes, end + 1 + sign, |b| b.is_ascii_digit())
}

fn is_word_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80
}

fn scan_while(bytes: &[u8], at: usize, keep: impl Fn(u8) -> bool) -> usize {
    bytes[at..]
        .iter()
        .position(|&b| !keep(b))
        .map_or(bytes.len(), |i| at + i)
}

/// The end of a line comment: its newline is whitespace, as the build-time lexers have it.
fn line_end(bytes: &[u8], at: usize) -> usize {
    bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| at + i)
}

fn block_comment_end(bytes: &[u8], at: usize, nested: bool) -> usize {
    let mut depth = 0usize;
    let mut i = at;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') if depth == 0 || nested => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The end of a literal or quoted identifier opened by `quote` at `at`: a doubled quote
/// stands for itself, and with `escapes` a backslash escapes the next byte.
fn quoted_end(bytes: &[u8], at: usize, quote: u8, escapes: bool) -> usize {
    let mut i = at + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if escapes => i += 2,
            b if b == quote => {
                if bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The end of `$tag$` at `at` when it opens a dollar-quoted body (`$1` does not).
fn dollar_tag(bytes: &[u8], at: usize) -> Option<usize> {
    let tag = &bytes[at + 1..];
    let length = tag
        .iter()
        .position(|&b| !(is_word_start(b) || b.is_ascii_digit()))
        .unwrap_or(tag.len());
    let starts_well = length == 0 || is_word_start(tag[0]);
    (starts_well && tag.get(length) == Some(&b'$')).then_some(at + 1 + length + 1)
}

fn dollar_body_end(bytes: &[u8], at: usize, tag_end: usize) -> usize {
    let tag = &bytes[at..tag_end];
    bytes[tag_end..]
        .windows(tag.len())
        .position(|w| w == tag)
        .map_or(bytes.len(), |i| tag_end + i + tag.len())
}

fn ceil_boundary(text: &str, mut offset: usize) -> usize {
    while offset < text.len() && !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset.min(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(dialect: Dialect, text: &str) -> Vec<(TokenKind, &str)> {
        lex(dialect, text)
            .into_iter()
            .filter(|t| t.kind != TokenKind::Whitespace)
            .map(|t| (t.kind, &text[t.start..t.end]))
            .collect()
    }

    #[test]
    fn tokens_cover_the_text() {
        let text = "SELECT 'é;x', \"a\"\"b\" -- c\n/* d */ $$e;$$;";
        let tokens = lex(Dialect::Postgres, text);
        assert_eq!(tokens.first().map(|t| t.start), Some(0));
        assert_eq!(tokens.last().map(|t| t.end), Some(text.len()));
        assert!(tokens.windows(2).all(|w| w[0].end == w[1].start));
    }

    #[test]
    fn postgres_literals_comments_and_dollar_bodies() {
        let got = kinds(
            Dialect::Postgres,
            "E'a\\';' $f$ ; $$ ; $f$ /* /* ; */ ; */ a$b $1;",
        );
        assert_eq!(
            got,
            vec![
                (TokenKind::Other, "E'a\\';'"),
                (TokenKind::Other, "$f$ ; $$ ; $f$"),
                (TokenKind::BlockComment, "/* /* ; */ ; */"),
                (TokenKind::Word, "a$b"),
                (TokenKind::Other, "$1"),
                (TokenKind::Semicolon, ";"),
            ]
        );
    }

    #[test]
    fn mysql_hash_comments_escapes_and_dash_rule() {
        let got = kinds(Dialect::Mysql, "# a;\n'it\\'s;' \"b\\\";\" --x;");
        assert_eq!(got[0], (TokenKind::LineComment, "# a;"));
        assert_eq!(got[1], (TokenKind::Other, "'it\\'s;'"));
        assert_eq!(got[2], (TokenKind::Other, "\"b\\\";\""));
        // `--x` is two minus signs in MySQL, so the `;` ends a statement.
        assert_eq!(got.last(), Some(&(TokenKind::Semicolon, ";")));
    }

    #[test]
    fn sqlite_brackets_and_backticks_are_identifiers() {
        let got = kinds(Dialect::Sqlite, "[a;b] `c;d` 'e\\';");
        assert_eq!(got[0], (TokenKind::Other, "[a;b]"));
        assert_eq!(got[1], (TokenKind::Other, "`c;d`"));
        // No backslash escapes in SQLite: 'e\' is the whole literal.
        assert_eq!(got[2], (TokenKind::Other, "'e\\'"));
        assert_eq!(got[3], (TokenKind::Semicolon, ";"));
    }

    #[test]
    fn unterminated_constructs_run_to_the_end() {
        for text in ["'abc", "/* abc", "$$ abc", "\"abc"] {
            let tokens = lex(Dialect::Postgres, text);
            assert_eq!(tokens.len(), 1, "{text}");
            assert_eq!(tokens[0].end, text.len());
        }
    }
}
