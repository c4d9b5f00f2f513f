//! Statement boundaries inside a section, from the token stream: `;` at parenthesis depth 0,
//! except inside `BEGIN ... END` bodies of triggers, routines and `BEGIN ATOMIC` functions,
//! whose inner `;` belong to the one statement.

use std::ops::Range;

use crate::tokens::{Token, TokenKind};

/// A statement's byte range in the file (without its `;`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRange {
    pub range: Range<usize>,
}

/// The keywords the splitter cares about; every other word is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keyword {
    Create,
    Routine,
    Begin,
    Case,
    End,
    Other,
}

fn keyword(text: &str, token: &Token) -> Option<Keyword> {
    if token.kind != TokenKind::Word {
        return None;
    }
    let word = &text[token.start..token.end];
    let is = |k: &str| word.eq_ignore_ascii_case(k);
    Some(if is("CREATE") {
        Keyword::Create
    } else if is("TRIGGER") || is("FUNCTION") || is("PROCEDURE") {
        Keyword::Routine
    } else if is("BEGIN") {
        Keyword::Begin
    } else if is("CASE") {
        Keyword::Case
    } else if is("END") {
        Keyword::End
    } else {
        Keyword::Other
    })
}

/// Whether the statement begun by these words may hold a `BEGIN ... END` body.
fn may_have_body(words: &[Keyword]) -> bool {
    words.first() == Some(&Keyword::Create) && words.contains(&Keyword::Routine)
}

pub fn split(text: &str, tokens: &[Token], section: &Range<usize>) -> Vec<StatementRange> {
    let mut statements = Vec::new();
    let mut current: Option<Range<usize>> = None;
    let mut parens = 0usize;
    let mut blocks = 0usize;
    let mut words: Vec<Keyword> = Vec::new();
    let mut previous_word: Option<Keyword> = None;
    let in_section = tokens
        .iter()
        .filter(|t| t.start >= section.start && t.end <= section.end);
    for token in in_section {
        if token.kind.is_trivia() {
            continue;
        }
        match token.kind {
            TokenKind::OpenParen => parens += 1,
            TokenKind::CloseParen => parens = parens.saturating_sub(1),
            TokenKind::Semicolon if parens == 0 && blocks == 0 => {
                if let Some(range) = current.take() {
                    statements.push(StatementRange { range });
                }
                words.clear();
                previous_word = None;
                continue;
            }
            _ => {}
        }
        let this_word = keyword(text, token);
        if let Some(w) = this_word {
            if words.len() < 8 {
                words.push(w);
            }
            let after_end = previous_word == Some(Keyword::End);
            match w {
                Keyword::Begin | Keyword::Case
                    if !after_end && (may_have_body(&words) || blocks > 0) =>
                {
                    blocks += 1
                }
                Keyword::End if blocks > 0 => blocks -= 1,
                _ => {}
            }
        }
        previous_word = this_word;
        let range = current.get_or_insert(token.start..token.end);
        range.end = token.end;
    }
    if let Some(range) = current {
        statements.push(StatementRange { range });
    }
    statements
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;
    use crate::light_lexer::lex;

    fn texts(dialect: Dialect, text: &str) -> Vec<String> {
        let tokens = lex(dialect, text);
        split(text, &tokens, &(0..text.len()))
            .into_iter()
            .map(|s| text[s.range].to_string())
            .collect()
    }

    #[test]
    fn splits_on_semicolons_outside_literals_and_comments() {
        let got = texts(
            Dialect::Postgres,
            "-- a;\nCREATE TABLE a (x text default ';');\n/* ; */ SELECT $$;$$ ;\nSELECT 1",
        );
        assert_eq!(
            got,
            vec![
                "CREATE TABLE a (x text default ';')",
                "SELECT $$;$$",
                "SELECT 1"
            ]
        );
    }

    #[test]
    fn keeps_trigger_bodies_together() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = CASE WHEN 1 THEN 2 END;\n  DELETE FROM c;\nEND;\nSELECT 1;";
        let got = texts(Dialect::Sqlite, sql);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].ends_with("END"));
    }

    #[test]
    fn keeps_begin_atomic_bodies_together() {
        let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\nBEGIN;\nCOMMIT;";
        let got = texts(Dialect::Postgres, sql);
        assert_eq!(got.len(), 3, "{got:?}");
    }

    #[test]
    fn comment_only_sections_have_no_statements() {
        assert!(texts(Dialect::Postgres, "-- nothing here\n/* nor here */\n").is_empty());
    }
}
