//! Rendering findings for people: rustc-style snippets through annotate-snippets. The macro
//! and the CLI's human format share this, so they print the same thing.

use annotate_snippets::{AnnotationKind, Group, Level as SnippetLevel, Origin, Renderer, Snippet};

use crate::diagnostic::Diagnostic;
use crate::level::Level;
use strata_model::position::{Span, ceil_char_boundary, floor_char_boundary};

fn snippet_level(level: Level) -> SnippetLevel<'static> {
    match level {
        Level::Deny => SnippetLevel::ERROR,
        _ => SnippetLevel::WARNING,
    }
}

/// The line a span starts on, so a 50 MB file is neither copied nor scanned whole.
fn excerpt<'a>(source: &'a str, span: &Span) -> (usize, usize, &'a str) {
    let start = span.start.min(source.len());
    let from = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let to = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    (span.line as usize, from, &source[from..to])
}

fn elements<'a>(
    diagnostic: &'a Diagnostic,
    source: Option<&'a str>,
    group: Group<'a>,
) -> Group<'a> {
    let located = match (&diagnostic.span, source) {
        (Some(span), Some(source)) => {
            // One line is enough to show where; a range running on would draw a multi-line box.
            let (line, from, text) = excerpt(source, span);
            let start = floor_char_boundary(text, span.start.min(source.len()) - from);
            // At least one character wide, ending on a character boundary.
            let end = ceil_char_boundary(text, (span.end - from).max(start + 1)).max(start);
            group.element(
                Snippet::source(text)
                    .line_start(line)
                    .path(diagnostic.file.as_str())
                    .annotation(AnnotationKind::Primary.span(start..end)),
            )
        }
        _ => group.element(Origin::path(diagnostic.file.as_str())),
    };
    let located = match &diagnostic.help {
        Some(help) => located.element(SnippetLevel::HELP.message(help.as_str())),
        None => located,
    };
    located.element(SnippetLevel::NOTE.message(format!("strata lint `{}`", diagnostic.lint)))
}

/// `error[lint]: message`, the snippet and the help, as the CLI prints it.
pub fn human(diagnostic: &Diagnostic, source: Option<&str>, color: bool) -> String {
    let title = snippet_level(diagnostic.level)
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.lint.name());
    let group = elements(diagnostic, source, Group::with_title(title));
    renderer(color).render(&[group])
}

/// The snippet and help without the title line, for messages whose first line the compiler
/// writes itself (`error: <message>`).
pub fn body(diagnostic: &Diagnostic, source: Option<&str>) -> String {
    let group = elements(
        diagnostic,
        source,
        Group::with_level(snippet_level(diagnostic.level)),
    );
    renderer(false).render(&[group])
}

fn renderer(color: bool) -> Renderer {
    if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
}
