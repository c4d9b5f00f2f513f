//! Findings as data. Rendering lives in `render.rs`, so the macro, the CLI's human,
//! JSON and GitHub outputs all start from the same values.

use crate::lints::Lint;

/// How seriously a finding is taken. `Allow` findings are dropped before reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "allow" => Some(Level::Allow),
            "warn" => Some(Level::Warn),
            "deny" => Some(Level::Deny),
            _ => None,
        }
    }
}

/// A position in a file: byte range plus the 1-based line and character column of its start.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub line: u32,
    pub column: u32,
    pub start: usize,
    pub end: usize,
}

/// One finding of one lint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub lint: Lint,
    pub level: Level,
    /// Path relative to the crate's manifest directory, with `/` separators.
    pub file: String,
    /// `None` when the finding concerns a whole file or directory (no snippet to show).
    pub span: Option<Span>,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A finding at the default level of its lint; levels are resolved later by the pipeline.
    pub fn new(lint: Lint, file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            lint,
            level: lint.default_level(),
            file: file.into(),
            span: None,
            message: message.into(),
            help: None,
        }
    }

    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Deny
    }

    /// `file:line:col` (line and column 1 when the finding has no span).
    pub fn location(&self) -> String {
        let (line, column) = self.span.as_ref().map_or((1, 1), |s| (s.line, s.column));
        format!("{}:{}:{}", self.file, line, column)
    }

    /// Sort key: by file, then position, then lint and message, so output never depends on
    /// directory iteration order.
    pub(crate) fn sort_key(&self) -> (&str, u32, u32, &'static str, &str) {
        let (line, column) = self.span.as_ref().map_or((0, 0), |s| (s.line, s.column));
        (&self.file, line, column, self.lint.name(), &self.message)
    }
}

/// Sorts and de-duplicates findings deterministically.
pub fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup();
}

/// Byte offset -> line/column, for one file's text.
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, line_starts }
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> u32 {
        (self.line_starts.partition_point(|start| *start <= offset)) as u32
    }

    /// Byte offset where a 1-based line starts (clamped to the text).
    pub fn line_start(&self, line: u32) -> usize {
        let index = (line.max(1) - 1) as usize;
        self.line_starts
            .get(index)
            .copied()
            .unwrap_or(self.text.len())
    }

    pub fn span(&self, start: usize, end: usize) -> Span {
        let start = floor_char_boundary(self.text, start);
        let end = floor_char_boundary(self.text, end.max(start));
        let line = self.line(start);
        let line_start = self.line_start(line);
        let column = self.text[line_start..start].chars().count() as u32 + 1;
        Span {
            line,
            column,
            start,
            end,
        }
    }

    /// Byte offset of a 1-based line and character column (as sqlparser reports them).
    pub fn offset_of(&self, line: u32, column: u32) -> usize {
        let start = self.line_start(line);
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(column.max(1) as usize - 1)
            .map_or(self.text.len(), |(i, _)| start + i)
    }
}

/// The smallest char boundary at or above `offset` (clamped to the text).
pub(crate) fn ceil_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

/// The largest char boundary at or below `offset` (clamped to the text).
pub(crate) fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
