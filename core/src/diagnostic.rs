//! Findings as data. Rendering lives in `render.rs`, so the macro, the CLI's human,
//! JSON and GitHub outputs all start from the same values.

// Re-exported from their former home here, so `strata_core::diagnostic::...` paths still work.
pub use crate::level::Level;
use crate::lint_registry::Lint;
pub use strata_model::position::{LineIndex, Span};

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
