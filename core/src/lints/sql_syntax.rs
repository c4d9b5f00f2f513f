//! `sql-syntax`: SQL the configured dialect does not accept, at the line and column of the file.

use crate::diagnostic::{Diagnostic, LineIndex};
use crate::discover::Directory;
use crate::lints::Lint;
use crate::syntax;

pub(crate) fn check(directory: &Directory, out: &mut Vec<Diagnostic>) {
    let dialect = directory.config.dialect;
    for file in &directory.files {
        let index = LineIndex::new(&file.text);
        let report = |offset: usize, end: usize, message: &str| {
            Diagnostic::new(Lint::SqlSyntax, &file.path, format!("{} syntax error: {message}", dialect.name()))
                .at(index.span(offset, end))
                .help(format!("the {} parser rejects this; `-- strata:allow(sql-syntax)` silences a false alarm", dialect.name()))
        };
        if let Some(error) = &file.lex_error {
            out.push(report(error.offset, error.offset + 1, &error.message));
            continue;
        }
        for section in [&file.sections.up, &file.sections.down].into_iter().flatten() {
            for error in syntax::check(dialect, &file.text, &file.tokens, section) {
                out.push(report(error.range.start, error.range.end, &error.message));
            }
        }
    }
}
