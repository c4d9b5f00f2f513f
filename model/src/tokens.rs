//! The token kinds every lexer of strata produces: the precise ones of `strata-core` (the
//! parsers' own lexers, at build time) and [`crate::light_lexer`] (stored SQL, at run time).
//! Statement splitting, sections and checksums read only these.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Whitespace,
    LineComment,
    BlockComment,
    Semicolon,
    OpenParen,
    CloseParen,
    /// A keyword or unquoted identifier.
    Word,
    /// Literals, quoted identifiers, operators, punctuation.
    Other,
}

impl TokenKind {
    pub fn is_trivia(self) -> bool {
        matches!(
            self,
            TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}
