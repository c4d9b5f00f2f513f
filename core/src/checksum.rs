//! Checksums cover what runs and nothing else: SHA-256 over the UP and DOWN token streams,
//! comments and layout dropped, CRLF inside tokens read as LF. Rewording a comment,
//! re-indenting or a CRLF checkout keeps the checksum; any token change alters it.

use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::lexer::Token;

/// Feeds the tokens of one section into the hash, each length-prefixed so that `a b` and
/// `ab` differ.
fn feed(
    hasher: &mut Sha256,
    label: &[u8],
    text: &str,
    tokens: &[Token],
    section: Option<&Range<usize>>,
) {
    hasher.update(label);
    let Some(section) = section else {
        hasher.update([0]);
        return;
    };
    hasher.update([1]);
    for token in tokens
        .iter()
        .filter(|t| !t.kind.is_trivia() && t.start >= section.start && t.end <= section.end)
    {
        let raw = &text[token.start..token.end];
        let normalized = if raw.contains('\r') {
            std::borrow::Cow::Owned(raw.replace("\r\n", "\n"))
        } else {
            raw.into()
        };
        hasher.update((normalized.len() as u64).to_le_bytes());
        hasher.update(normalized.as_bytes());
    }
}

/// One section's worth of input: the file text, its tokens and the section's byte range.
pub struct ChecksumInput<'a> {
    pub text: &'a str,
    pub tokens: &'a [Token],
    pub section: Option<&'a Range<usize>>,
}

/// Hex SHA-256 of a migration's UP and DOWN.
pub fn checksum(up: ChecksumInput<'_>, down: ChecksumInput<'_>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"strata-checksum-v1");
    feed(&mut hasher, b"up", up.text, up.tokens, up.section);
    feed(&mut hasher, b"down", down.text, down.tokens, down.section);
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;
    use strata_model::dialect::Dialect;

    fn sum(text: &str) -> String {
        let (tokens, _) = lex(Dialect::Postgres, text);
        let whole = 0..text.len();
        let input = || ChecksumInput {
            text,
            tokens: &tokens,
            section: Some(&whole),
        };
        checksum(
            input(),
            ChecksumInput {
                text,
                tokens: &tokens,
                section: None,
            },
        )
    }

    const BASE: &str = "-- create users\nCREATE TABLE users (\n    id bigint PRIMARY KEY,\n    name text DEFAULT 'a b'\n);\n";

    #[test]
    fn comments_indentation_and_crlf_do_not_change_it() {
        let base = sum(BASE);
        assert_eq!(base.len(), 64);
        assert_eq!(
            base,
            sum(&BASE.replace("-- create users", "-- the users table, reworded"))
        );
        assert_eq!(base, sum(&BASE.replace("    ", "\t\t")));
        assert_eq!(base, sum(&BASE.replace('\n', "\r\n")));
        assert_eq!(base, sum(&format!("/* block */{BASE}")));
    }

    #[test]
    fn any_token_change_changes_it() {
        let base = sum(BASE);
        assert_ne!(base, sum(&BASE.replace("'a b'", "'a  b'")));
        assert_ne!(base, sum(&BASE.replace("bigint", "int")));
        assert_ne!(sum("SELECT $$a b$$;"), sum("SELECT $$a  b$$;"));
        assert_ne!(sum("SELECT a b;"), sum("SELECT ab;"));
    }

    #[test]
    fn up_and_down_are_distinguished() {
        let text = "SELECT 1;";
        let (tokens, _) = lex(Dialect::Postgres, text);
        let whole = 0..text.len();
        let some = ChecksumInput {
            text,
            tokens: &tokens,
            section: Some(&whole),
        };
        let none = ChecksumInput {
            text,
            tokens: &tokens,
            section: None,
        };
        let as_up = checksum(some, none);
        let some = ChecksumInput {
            text,
            tokens: &tokens,
            section: Some(&whole),
        };
        let none = ChecksumInput {
            text,
            tokens: &tokens,
            section: None,
        };
        assert_ne!(as_up, checksum(none, some));
    }
}
