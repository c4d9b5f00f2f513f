//! Machine-readable shapes. Field names are part of the CLI's interface (README: "JSON output").

use serde::Serialize;
use strata_core::{Diagnostic, Level};

#[derive(Serialize)]
pub struct JsonDiagnostic<'a> {
    pub lint: &'static str,
    /// `"error"` or `"warning"`.
    pub level: &'static str,
    pub file: &'a str,
    pub line: u32,
    pub column: u32,
    pub message: &'a str,
    pub help: Option<&'a str>,
}

pub fn level_word(level: Level) -> &'static str {
    if level == Level::Deny {
        "error"
    } else {
        "warning"
    }
}

impl<'a> From<&'a Diagnostic> for JsonDiagnostic<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        let (line, column) = d.span.as_ref().map_or((1, 1), |s| (s.line, s.column));
        JsonDiagnostic {
            lint: d.lint.name(),
            level: level_word(d.level),
            file: &d.file,
            line,
            column,
            message: &d.message,
            help: d.help.as_deref(),
        }
    }
}

/// Escapes a GitHub workflow command's data (`%`, CR, LF) or property (also `:` and `,`).
pub fn github_escape(text: &str, property: bool) -> String {
    let mut out = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn github_escaping() {
        assert_eq!(super::github_escape("a%b\nc", false), "a%25b%0Ac");
        assert_eq!(
            super::github_escape("dir/a:b,c.sql", true),
            "dir/a%3Ab%2Cc.sql"
        );
    }
}
