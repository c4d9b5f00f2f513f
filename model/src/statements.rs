//! Statement boundaries inside a section, from the token stream: `;` at parenthesis depth 0,
//! except inside `BEGIN ... END` bodies of triggers, routines and `BEGIN ATOMIC` functions,
//! whose inner `;` belong to the one statement.
//!
//! MySQL files may also use the `mysql` client's `DELIMITER` command, as Flyway-style
//! scripts do around routine bodies: a line `DELIMITER $$` makes `$$` end statements until
//! `DELIMITER ;`. The command lines belong to no statement (the server never sees them).

use std::ops::Range;

use crate::dialect::Dialect;
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
    Alter,
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
    } else if is("ALTER") {
        Keyword::Alter
    } else if is("TRIGGER") || is("FUNCTION") || is("PROCEDURE") || is("EVENT") {
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

/// Whether the statement begun by these words may hold a `BEGIN ... END` body: `CREATE`
/// of a trigger, function, procedure or event (`ALTER EVENT ... DO BEGIN` too).
fn may_have_body(words: &[Keyword]) -> bool {
    matches!(words.first(), Some(Keyword::Create | Keyword::Alter))
        && words.contains(&Keyword::Routine)
}

/// Whether the word after an `END` makes it the end of a MySQL / MariaDB flow-control
/// statement (`END IF`, `END LOOP`, ...) rather than of a `BEGIN` or `CASE` block.
fn ends_flow_control(text: &str, token: &Token) -> bool {
    token.kind == TokenKind::Word
        && ["IF", "LOOP", "WHILE", "REPEAT", "FOR"]
            .iter()
            .any(|k| text[token.start..token.end].eq_ignore_ascii_case(k))
}

/// A `DELIMITER <d>` command at `token`, the first word of a line and of a statement: the
/// new delimiter (`None` for `;`) and where the command's line ends.
fn delimiter_command(
    text: &str,
    token: &Token,
    section_end: usize,
) -> Option<(Option<String>, usize)> {
    if token.kind != TokenKind::Word
        || !text[token.start..token.end].eq_ignore_ascii_case("DELIMITER")
    {
        return None;
    }
    let line_start = text[..token.start].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..token.start].trim().is_empty() {
        return None;
    }
    let line_end = text[token.end..section_end]
        .find('\n')
        .map_or(section_end, |i| token.end + i);
    let delimiter = text[token.end..line_end].split_whitespace().next()?;
    Some(((delimiter != ";").then(|| delimiter.to_string()), line_end))
}

/// Where `delimiter` begins in `token`, when it does: at its start, or inside a word
/// (`END$$`); never inside a literal or a quoted name.
fn delimiter_in(text: &str, token: &Token, delimiter: &str) -> Option<usize> {
    let rest = &text[token.start..];
    if rest.starts_with(delimiter) {
        return Some(token.start);
    }
    let own = &text[token.start..token.end];
    if token.kind == TokenKind::Word {
        return own.find(delimiter).map(|i| token.start + i);
    }
    None
}

pub fn split(
    text: &str,
    tokens: &[Token],
    section: &Range<usize>,
    dialect: Dialect,
) -> Vec<StatementRange> {
    let mut statements = Vec::new();
    let mut current: Option<Range<usize>> = None;
    let mut parens = 0usize;
    let mut blocks = 0usize;
    let mut words: Vec<Keyword> = Vec::new();
    let mut previous_word: Option<Keyword> = None;
    // An `END` inside a body whose block is known only from the next word (`END IF` closes
    // no block).
    let mut pending_end = false;
    // The mysql client's delimiter when it is not `;`, and text skipped up to an offset (a
    // DELIMITER line, a delimiter just consumed).
    let mut delimiter: Option<String> = None;
    let mut skip_to = 0usize;
    let in_section = tokens
        .iter()
        .filter(|t| t.start >= section.start && t.end <= section.end);
    for token in in_section {
        if token.kind.is_trivia() || token.end <= skip_to {
            continue;
        }
        if dialect == Dialect::Mysql
            && current.is_none()
            && let Some((new, line_end)) = delimiter_command(text, token, section.end)
        {
            delimiter = new;
            skip_to = line_end;
            continue;
        }
        if let Some(d) = &delimiter {
            // Only the client's delimiter ends a statement; `;` and bodies are the server's.
            let at = delimiter_in(text, token, d).filter(|at| *at >= skip_to);
            if let Some(at) = at {
                // The statement ends at the delimiter, taking in what precedes it inside this
                // token when it cuts one (`END$$`).
                let open = current.take();
                let range = if token.start < at {
                    Some(open.map_or(token.start, |range| range.start)..at)
                } else {
                    open
                };
                if let Some(range) = range.filter(|r| !text[r.clone()].trim().is_empty()) {
                    statements.push(StatementRange { range });
                }
                skip_to = at + d.len();
                // What follows the delimiter in the same token begins the next statement.
                if token.end > skip_to {
                    current = Some(skip_to..token.end);
                }
                continue;
            }
            let range = current.get_or_insert(token.start..token.end);
            range.end = token.end;
            continue;
        }
        if pending_end {
            pending_end = false;
            if !ends_flow_control(text, token) {
                blocks = blocks.saturating_sub(1);
            }
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
                Keyword::End if blocks > 0 => pending_end = true,
                // MariaDB's anonymous block, `BEGIN NOT ATOMIC ... END`, at the top level.
                Keyword::Other
                    if words == [Keyword::Begin, Keyword::Other]
                        && text[token.start..token.end].eq_ignore_ascii_case("NOT") =>
                {
                    blocks += 1
                }
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
        split(text, &tokens, &(0..text.len()), dialect)
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
    fn mysql_flow_control_ends_no_block() {
        let routine = "CREATE PROCEDURE p(n INT)\nBEGIN\n  DECLARE i INT DEFAULT 0;\n\
                       IF n > 0 THEN SET i = 1; ELSEIF n < 0 THEN SET i = 2; ELSE SET i = 3; END IF;\n\
                       counter: WHILE i > 0 DO SET i = i - 1; END WHILE counter;\n\
                       l: LOOP LEAVE l; END LOOP;\n\
                       REPEAT SET i = i + 1; UNTIL i > 3 END REPEAT;\n\
                       CASE i WHEN 1 THEN SET i = 2; ELSE BEGIN END; END CASE;\n\
                       SELECT CASE WHEN i > 0 THEN 1 END;\n\
                       inner_block: BEGIN SELECT 1; END inner_block;\nEND;\nSELECT 2;";
        let got = texts(Dialect::Mysql, routine);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got[0].ends_with("END inner_block;\nEND"), "{}", got[0]);
        let event = "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN\n  IF 1 THEN DELETE FROM a; END IF;\nEND;\n\
                     ALTER EVENT e DO BEGIN DELETE FROM b; END;\n\
                     BEGIN NOT ATOMIC\n  DECLARE x INT; IF 1 THEN SET x = 1; END IF;\nEND;\n\
                     BEGIN;\nCOMMIT;";
        let got = texts(Dialect::Mysql, event);
        assert_eq!(got.len(), 5, "{got:#?}");
        assert!(got[2].starts_with("BEGIN NOT ATOMIC") && got[2].ends_with("END"));
        // MariaDB's executable comment is code, not a comment to drop.
        let comment = "/*M!100100 CREATE TABLE t (id INT) */;\nSELECT 1;";
        assert_eq!(texts(Dialect::Mysql, comment).len(), 2);
    }

    #[test]
    fn follows_the_mysql_clients_delimiter() {
        let sql = "DELIMITER $$\n\
                   CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW\n\
                   BEGIN\n  SET NEW.x = 1;\n  SET NEW.y = 2;\nEND$$\n\
                   CREATE PROCEDURE p() BEGIN SELECT 1; END $$\n\
                   delimiter //\n\
                   CREATE FUNCTION f() RETURNS INT RETURN 1//\n\
                   DELIMITER ;\n\
                   SELECT 'a;b';\nSELECT 2;";
        let got = texts(Dialect::Mysql, sql);
        assert_eq!(
            got,
            vec![
                "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW\nBEGIN\n  SET NEW.x = 1;\n  SET NEW.y = 2;\nEND",
                "CREATE PROCEDURE p() BEGIN SELECT 1; END",
                "CREATE FUNCTION f() RETURNS INT RETURN 1",
                "SELECT 'a;b'",
                "SELECT 2",
            ]
        );
        // A delimiter inside a literal is text; only MySQL files have the command.
        let quoted = "DELIMITER $$\nSELECT '$$' $$\nDELIMITER ;\n";
        assert_eq!(texts(Dialect::Mysql, quoted), vec!["SELECT '$$'"]);
        assert_eq!(texts(Dialect::Postgres, "DELIMITER x;\nSELECT 1;").len(), 2);
    }

    #[test]
    fn comment_only_sections_have_no_statements() {
        assert!(texts(Dialect::Postgres, "-- nothing here\n/* nor here */\n").is_empty());
    }
}
