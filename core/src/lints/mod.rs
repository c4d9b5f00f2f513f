//! The lints, one per file. Each takes the parsed directory and pushes findings; the
//! pipeline then applies levels from `strata.toml` and `strata:allow(...)` directives.
//! Which lints exist, and which file checks each, is the registry (`lint_registry.rs`).

use crate::diagnostic::Diagnostic;
use crate::discover::{Directory, SourceFile};
use crate::level::Level;
// Re-exported from its former home here, so `strata_core::lints::Lint` still works.
pub use crate::lint_registry::Lint;
use strata_model::position::{LineIndex, Span};

/// A lint's pass over the discovered directory: pushes its findings at default level.
type Check = fn(&Directory, &Shared<'_>, &mut Vec<Diagnostic>);

/// What several lints read, made once per run on first use: the safety lints' statements
/// (tokens, words), which each of them would otherwise rebuild for every file.
pub(crate) struct Shared<'d> {
    directory: &'d Directory,
    safety: std::cell::OnceCell<Vec<safety_scope::Prepared<'d>>>,
}

impl<'d> Shared<'d> {
    fn new(directory: &'d Directory) -> Self {
        Shared {
            directory,
            safety: std::cell::OnceCell::new(),
        }
    }

    /// The UP statements the safety lints read, in version order.
    pub(crate) fn safety_statements(&self) -> &[safety_scope::Prepared<'d>] {
        self.safety
            .get_or_init(|| safety_scope::prepare(self.directory))
    }
}

/// Expands the registry's rows into one module per `Check(module)` row and [`CHECKS`].
macro_rules! define_checks {
    ($(
        $id:ident { name: $name:literal, detected: $detected:ident $(($module:ident))?, $($rest:tt)* }
    )*) => {
        $($(mod $module;)?)*

        /// The lints that run over the directory, in registry order.
        const CHECKS: &[(Lint, Check)] = &[$($((Lint::$id, $module::check),)?)*];
    };
}
crate::lint_registry::lint_registry!(define_checks);

// What the safety lints share (not lints of their own).
pub(crate) mod pg_types;
mod safety_scope;
// Safety lints that read the schema model, called by the replay statement by statement.
mod adding_not_nullable_field;
mod changing_column_type;
// The schema replay, run once for the lints it serves.
pub(crate) mod replay;

/// Runs every lint over a discovered directory, except those strata.toml sets to `allow`:
/// their findings would all be dropped, and some (sql-syntax) cost a parse of every file.
/// A `strata:allow(...)` directive silences one migration only, so the lint still runs.
pub(crate) fn run_all(directory: &Directory, out: &mut Vec<Diagnostic>) {
    let shared = Shared::new(directory);
    let run = |checks: &[(Lint, Check)], shared: &Shared<'_>, out: &mut Vec<Diagnostic>| {
        for &(lint, check) in checks {
            if directory.config.level(lint) != Level::Allow {
                check(directory, shared, out);
            }
        }
    };
    let bytes: usize = directory.files.iter().map(|f| f.text.len()).sum();
    if bytes < sql_syntax::PARALLEL_BYTES {
        run(CHECKS, &shared, out);
        replay::run(directory, shared.safety_statements(), out);
        return;
    }
    // On a large directory the three costly passes run at once: the syntax check (which
    // parses on every core), the schema replay, and the other lints, none reading what
    // another makes. Their findings are appended in registry order whatever finishes first.
    let split = CHECKS
        .iter()
        .position(|(lint, _)| *lint == Lint::SqlSyntax)
        .unwrap_or(CHECKS.len());
    let (before, from_syntax) = CHECKS.split_at(split);
    let (syntax, after) = from_syntax.split_at(from_syntax.len().min(1));
    std::thread::scope(|scope| {
        // The syntax check reads nothing shared: its thread gets a Shared of its own.
        let parsed = scope.spawn(|| {
            let mut found = Vec::new();
            run(syntax, &Shared::new(directory), &mut found);
            found
        });
        // The UP statements, tokenized once for the safety lints and the replay alike (made
        // while the syntax check parses).
        let statements = shared.safety_statements();
        let replayed = scope.spawn(move || {
            let mut found = Vec::new();
            replay::run(directory, statements, &mut found);
            found
        });
        run(before, &shared, out);
        let mut later = Vec::new();
        run(after, &shared, &mut later);
        for job in [parsed, replayed] {
            match job.join() {
                Ok(found) => out.extend(found),
                Err(panic) => std::panic::resume_unwind(panic),
            }
            if !later.is_empty() {
                out.append(&mut later);
            }
        }
    });
}

/// A statement's tokens in order, trivia skipped.
pub(crate) fn statement_tokens<'f>(
    file: &'f SourceFile,
    statement: &std::ops::Range<usize>,
) -> impl Iterator<Item = &'f crate::lexer::Token> + 'f {
    let first = file.tokens.partition_point(|t| t.start < statement.start);
    let end = statement.end;
    file.tokens[first..]
        .iter()
        .take_while(move |t| t.end <= end)
        .filter(|t| !t.kind.is_trivia())
}

/// A statement's tokens in order, trivia skipped: each word uppercased, `None` for anything
/// else (literals, quoted names, punctuation).
pub(crate) fn statement_words<'f>(
    file: &'f SourceFile,
    statement: &std::ops::Range<usize>,
) -> impl Iterator<Item = Option<String>> + 'f {
    statement_tokens(file, statement).map(|t| {
        (t.kind == crate::lexer::TokenKind::Word)
            .then(|| file.text[t.start..t.end].to_ascii_uppercase())
    })
}

/// Where a finding about a statement points: its first word.
pub(crate) fn first_word_span(file: &SourceFile, statement: &std::ops::Range<usize>) -> Span {
    let text = &file.text[statement.clone()];
    let end = statement.start + text.find(char::is_whitespace).unwrap_or(text.len());
    LineIndex::new(&file.text).span(statement.start, end)
}

/// Every UP and DOWN statement of the migrations strata runs in a transaction, with the
/// migration's version: what lints about transaction blocks read.
pub(crate) fn transactional_statements(
    directory: &Directory,
) -> impl Iterator<Item = (i64, &SourceFile, &strata_model::statements::StatementRange)> {
    directory
        .candidates
        .iter()
        .filter(|candidate| candidate.transactional(directory))
        .flat_map(move |candidate| {
            candidate
                .files()
                .map(|i| directory.file(i))
                .flat_map(move |file| {
                    file.up_statements
                        .iter()
                        .chain(&file.down_statements)
                        .map(move |statement| (candidate.name.version, file, statement))
                })
        })
}

/// Where a section-level finding points: the section's first line, or the file's first line.
pub(crate) fn section_position(
    file: &SourceFile,
    section: Option<&std::ops::Range<usize>>,
) -> Span {
    let index = LineIndex::new(&file.text);
    // A section starts on the line after its marker; point at the marker when there is one.
    let start = section.map_or(0, |range| {
        if range.start == 0 {
            0
        } else {
            index.line_start(index.line(range.start - 1))
        }
    });
    let line_end = file.text[start..]
        .find('\n')
        .map_or(file.text.len(), |i| start + i);
    index.span(
        start,
        line_end.max(start + 1).min(file.text.len().max(start)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::discover;
    use crate::lint_registry::{Detected, REGISTRY};

    #[test]
    fn every_check_row_has_a_check_and_only_those() {
        let checked: Vec<Lint> = CHECKS.iter().map(|(lint, _)| *lint).collect();
        let rows: Vec<Lint> = REGISTRY
            .iter()
            .filter(|row| row.detected == Detected::Check)
            .map(|row| row.lint)
            .collect();
        assert_eq!(checked, rows);
    }

    /// The raw findings of `run_all` (before levels are applied) for a directory whose one
    /// migration has a syntax error, with the given strata.toml and migration header.
    fn raw_syntax_findings(config: &str, header: &str) -> usize {
        let base = tempfile::tempdir().expect("temp dir");
        let dir = base.path().join("m");
        std::fs::create_dir(&dir).expect("dir");
        std::fs::write(dir.join("strata.toml"), config).expect("config");
        let sql = format!("{header}-- UP\nCREAT TABLE a (id int);\n-- DOWN\nDROP TABLE a;\n");
        std::fs::write(dir.join("1_a.sql"), sql).expect("migration");
        let mut out = Vec::new();
        let directory = discover(base.path(), "m", &mut out);
        assert!(out.is_empty(), "{out:?}");
        run_all(&directory, &mut out);
        out.iter().filter(|d| d.lint == Lint::SqlSyntax).count()
    }

    #[test]
    fn a_lint_allowed_in_strata_toml_does_not_run() {
        // The check pushes a finding for every error it parses, so none means it never ran.
        assert_eq!(raw_syntax_findings("", ""), 1);
        assert_eq!(
            raw_syntax_findings("[lints]\nsql-syntax = \"warn\"\n", ""),
            1
        );
        assert_eq!(
            raw_syntax_findings("[lints]\nsql-syntax = \"allow\"\n", ""),
            0
        );
        // A directive silences one migration later; the lint still runs for the others.
        assert_eq!(raw_syntax_findings("", "-- strata:allow(sql-syntax)\n"), 1);
    }
}
