//! `sql-syntax`: SQL the configured dialect does not accept, at the line and column of the file.

use crate::diagnostic::Diagnostic;
use strata_model::position::LineIndex;
use crate::discover::{Directory, SourceFile};
use crate::lint_registry::Lint;
use crate::syntax;

/// Past this many, more errors in one file only bury the first ones.
const MAX_PER_FILE: usize = 20;

/// Files are parsed on every core when there is enough SQL to pay for the threads (parsing is
/// nearly all of a lint run); the findings keep file order either way.
pub(crate) const PARALLEL_BYTES: usize = 256 * 1024;

pub(crate) fn check(directory: &Directory, _: &super::Shared<'_>, out: &mut Vec<Diagnostic>) {
    let files = &directory.files;
    let bytes: usize = files.iter().map(|f| f.text.len()).sum();
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(files.len());
    if bytes < PARALLEL_BYTES || threads < 2 {
        files
            .iter()
            .for_each(|file| check_file(directory, file, out));
        return;
    }
    let chunk = files.len().div_ceil(threads);
    let found: Vec<Vec<Diagnostic>> = std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut found = Vec::new();
                    part.iter()
                        .for_each(|file| check_file(directory, file, &mut found));
                    found
                })
            })
            .collect();
        // A worker that panicked would lose its files' findings: re-raise, never drop them.
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    out.extend(found.into_iter().flatten());
}

fn check_file(directory: &Directory, file: &SourceFile, out: &mut Vec<Diagnostic>) {
    let dialect = directory.config.dialect;
    let index = LineIndex::new(&file.text);
    let report = |offset: usize, end: usize, message: &str| {
        Diagnostic::new(
            Lint::SqlSyntax,
            &file.path,
            format!("{} syntax error: {message}", dialect.name()),
        )
        .at(index.span(offset, end))
        .help(format!(
            "the {} parser rejects this; `-- strata:allow(sql-syntax)` silences a false alarm",
            dialect.name()
        ))
    };
    if let Some(error) = &file.lex_error {
        out.push(report(error.offset, error.offset + 1, &error.message));
        return;
    }
    let sections = [
        (&file.sections.up, &file.up_statements),
        (&file.sections.down, &file.down_statements),
    ];
    let parse = || -> Vec<_> {
        sections
            .into_iter()
            .filter_map(|(section, statements)| Some((section.as_ref()?, statements)))
            .flat_map(|(section, statements)| {
                syntax::check(dialect, &file.text, &file.tokens, section, statements)
            })
            .collect()
    };
    let errors = match &directory.syntax_cache {
        Some(cache) => {
            let bounds = format!("{:?} {:?}", file.sections.up, file.sections.down);
            cache.errors(dialect, &file.text, &bounds, parse)
        }
        None => parse(),
    };
    for error in errors.iter().take(MAX_PER_FILE) {
        out.push(report(error.range.start, error.range.end, &error.message));
    }
    if errors.len() > MAX_PER_FILE {
        let first_hidden = &errors[MAX_PER_FILE];
        out.push(
            Diagnostic::new(
                Lint::SqlSyntax,
                &file.path,
                format!(
                    "{} more syntax errors in this file are not shown",
                    errors.len() - MAX_PER_FILE
                ),
            )
            .at(index.span(first_hidden.range.start, first_hidden.range.end))
            .help("fix the errors above first; is this file SQL in the configured dialect?"),
        );
    }
}
