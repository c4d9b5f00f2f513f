//! `sql-syntax`: SQL the configured dialect does not accept, at the line and column of the file.

use crate::diagnostic::{Diagnostic, LineIndex};
use crate::discover::Directory;
use crate::lints::Lint;
use crate::syntax;

/// Past this many, more errors in one file only bury the first ones.
const MAX_PER_FILE: usize = 20;

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
        let sections = [(&file.sections.up, &file.up_statements), (&file.sections.down, &file.down_statements)];
        let errors: Vec<_> = sections
            .into_iter()
            .filter_map(|(section, statements)| Some((section.as_ref()?, statements)))
            .flat_map(|(section, statements)| syntax::check(dialect, &file.text, &file.tokens, section, statements))
            .collect();
        for error in errors.iter().take(MAX_PER_FILE) {
            out.push(report(error.range.start, error.range.end, &error.message));
        }
        if errors.len() > MAX_PER_FILE {
            let first_hidden = &errors[MAX_PER_FILE];
            out.push(
                Diagnostic::new(Lint::SqlSyntax, &file.path, format!("{} more syntax errors in this file are not shown", errors.len() - MAX_PER_FILE))
                    .at(index.span(first_hidden.range.start, first_hidden.range.end))
                    .help("fix the errors above first; is this file SQL in the configured dialect?"),
            );
        }
    }
}
