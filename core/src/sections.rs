//! Splitting a file into UP and DOWN on marker comments, and collecting its directives.

use std::ops::Range;

use crate::diagnostic::Diagnostic;
use crate::directives::Directives;
use crate::lexer::{Token, TokenKind, line_comment_body};
use crate::lint_registry::Lint;
use crate::naming::Role;
use strata_model::position::LineIndex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Up,
    Down,
}

/// Recognizes `-- UP`, `-- DOWN` (any case, text may follow), `-- +goose Up`,
/// `-- migrate:up` and their DOWN twins.
pub fn marker(body: &str) -> Option<Marker> {
    let lower = body.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("+goose")
        .map(str::trim_start)
        .or_else(|| lower.strip_prefix("migrate:"))
        .unwrap_or(&lower);
    let word_ends = |tail: &str| !tail.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
    if let Some(tail) = rest.strip_prefix("up") {
        return word_ends(tail).then_some(Marker::Up);
    }
    if let Some(tail) = rest.strip_prefix("down") {
        return word_ends(tail).then_some(Marker::Down);
    }
    None
}

/// The sections and directives of one file.
#[derive(Debug, Clone, Default)]
pub struct FileSections {
    /// Byte range of the UP SQL; always starts at the beginning of a line.
    pub up: Option<Range<usize>>,
    pub down: Option<Range<usize>>,
    pub directives: Directives,
    /// `bad-section` findings.
    pub problems: Vec<Diagnostic>,
}

fn has_sql(tokens: &[Token], range: &Range<usize>) -> bool {
    tokens
        .iter()
        .any(|t| !t.kind.is_trivia() && t.start >= range.start && t.start < range.end)
}

/// Splits `text` (already lexed into `tokens`) according to its role in the migration.
pub fn split(path: &str, text: &str, tokens: &[Token], role: Role) -> FileSections {
    let index = LineIndex::new(text);
    let mut out = FileSections::default();
    let mut markers: Vec<(Marker, Range<usize>)> = Vec::new();
    for token in tokens.iter().filter(|t| t.kind == TokenKind::LineComment) {
        let comment = text[token.start..token.end].trim_end();
        let body = line_comment_body(comment);
        let span = index.span(token.start, token.start + comment.len());
        out.directives.read(body, span);
        let line_start = index.line_start(index.line(token.start));
        let alone_on_line = text[line_start..token.start].trim().is_empty();
        if let Some(marker) = marker(body).filter(|_| alone_on_line) {
            let next_line = text[token.start..]
                .find('\n')
                .map_or(text.len(), |i| token.start + i + 1);
            markers.push((marker, line_start..next_line));
        }
    }
    let whole = 0..text.len();
    match role {
        Role::Up | Role::Down => {
            let (wrong, label) = match role {
                Role::Up => (Marker::Down, "UP"),
                _ => (Marker::Up, "DOWN"),
            };
            for (_, line) in markers.iter().filter(|(m, _)| *m == wrong) {
                out.problems.push(
                    Diagnostic::new(Lint::BadSection, path, format!("this file holds only the {label} SQL, but has a section marker for the other direction"))
                        .at(index.span(line.start, line.end.saturating_sub(1)))
                        .help("move that SQL into its own file; here it would run in the wrong direction"),
                );
            }
            if role == Role::Up {
                out.up = Some(whole);
            } else {
                out.down = Some(whole);
            }
        }
        Role::Sections => split_sections(path, text, tokens, &index, &markers, &mut out),
    }
    out
}

fn split_sections(
    path: &str,
    text: &str,
    tokens: &[Token],
    index: &LineIndex<'_>,
    markers: &[(Marker, Range<usize>)],
    out: &mut FileSections,
) {
    let Some((first_marker, first_line)) = markers.first() else {
        out.up = Some(0..text.len());
        return;
    };
    let header = 0..first_line.start;
    let only_down = markers.iter().all(|(m, _)| *m == Marker::Down);
    if has_sql(tokens, &header) {
        if *first_marker == Marker::Down && only_down {
            // `CREATE ...; -- DOWN ...` without an UP marker: what precedes DOWN is UP.
            out.up = Some(header);
        } else {
            let first_sql = tokens
                .iter()
                .find(|t| !t.kind.is_trivia())
                .map_or(0, |t| t.start);
            out.problems.push(
                Diagnostic::new(
                    Lint::BadSection,
                    path,
                    "SQL before the first `-- UP` marker belongs to no section",
                )
                .at(index.span(first_sql, first_sql + 1))
                .help("move it below `-- UP`, or turn it into a comment"),
            );
        }
    }
    for (i, (marker, line)) in markers.iter().enumerate() {
        let end = markers
            .get(i + 1)
            .map_or(text.len(), |(_, next)| next.start);
        let slot = match marker {
            Marker::Up => &mut out.up,
            Marker::Down => &mut out.down,
        };
        if slot.is_some() {
            let label = if *marker == Marker::Up { "UP" } else { "DOWN" };
            out.problems.push(
                Diagnostic::new(
                    Lint::BadSection,
                    path,
                    format!("second `-- {label}` marker in one file"),
                )
                .at(index.span(line.start, line.end.saturating_sub(1)))
                .help("a file has at most one UP and one DOWN section"),
            );
            continue;
        }
        *slot = Some(line.end..end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;
    use strata_model::dialect::Dialect;

    fn split_text(text: &str, role: Role) -> FileSections {
        let (tokens, _) = lex(Dialect::Postgres, text);
        split("m/1_x.sql", text, &tokens, role)
    }

    fn section<'a>(text: &'a str, range: &Option<Range<usize>>) -> &'a str {
        range.as_ref().map_or("<none>", |r| &text[r.clone()])
    }

    #[test]
    fn recognizes_marker_dialects() {
        for (body, want) in [
            ("UP", Some(Marker::Up)),
            ("up: create users", Some(Marker::Up)),
            ("Down", Some(Marker::Down)),
            ("+goose Up", Some(Marker::Up)),
            ("+goose Down", Some(Marker::Down)),
            ("migrate:up", Some(Marker::Up)),
            ("migrate:down", Some(Marker::Down)),
            ("update the users table", None),
            ("downgrade notes", None),
            ("+goose StatementBegin", None),
        ] {
            assert_eq!(marker(body), want, "{body}");
        }
    }

    #[test]
    fn splits_up_and_down_with_header() {
        let text = "-- header comment\n-- UP\nCREATE TABLE a (id int);\n-- DOWN\nDROP TABLE a;\n";
        let s = split_text(text, Role::Sections);
        assert_eq!(section(text, &s.up), "CREATE TABLE a (id int);\n");
        assert_eq!(section(text, &s.down), "DROP TABLE a;\n");
        assert!(s.problems.is_empty());
    }

    #[test]
    fn file_without_markers_is_all_up() {
        let text = "CREATE TABLE a (id int);\n";
        let s = split_text(text, Role::Sections);
        assert_eq!(section(text, &s.up), text);
        assert!(s.down.is_none());
    }

    #[test]
    fn markers_inside_literals_or_after_sql_do_not_count() {
        let text = "-- UP\nSELECT '\n-- DOWN\n'; SELECT 1; -- DOWN\n";
        let s = split_text(text, Role::Sections);
        assert!(s.down.is_none());
    }

    #[test]
    fn sql_before_down_marker_is_up() {
        let text = "CREATE TABLE a (id int);\n-- DOWN\nDROP TABLE a;\n";
        let s = split_text(text, Role::Sections);
        assert_eq!(section(text, &s.up), "CREATE TABLE a (id int);\n");
        assert_eq!(section(text, &s.down), "DROP TABLE a;\n");
    }

    #[test]
    fn stray_sql_and_duplicate_markers_are_reported() {
        let s = split_text(
            "SELECT 1;\n-- UP\nSELECT 2;\n-- UP\nSELECT 3;\n",
            Role::Sections,
        );
        let lines: Vec<u32> = s
            .problems
            .iter()
            .filter_map(|d| d.span.as_ref().map(|s| s.line))
            .collect();
        assert_eq!(lines, vec![1, 4]);
    }

    #[test]
    fn down_marker_in_an_up_file_is_reported() {
        let s = split_text(
            "CREATE TABLE a (id int);\n-- DOWN\nDROP TABLE a;\n",
            Role::Up,
        );
        assert_eq!(s.problems.len(), 1);
        assert_eq!(s.problems[0].lint, Lint::BadSection);
    }

    #[test]
    fn collects_directives() {
        let s = split_text(
            "-- strata:no-transaction\n-- strata:bogus\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
            Role::Sections,
        );
        assert!(s.directives.no_transaction);
        assert_eq!(s.directives.unknown.len(), 1);
        assert_eq!(s.directives.unknown[0].0.line, 2);
    }
}
