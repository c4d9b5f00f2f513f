//! The pipeline shared by the macro and the CLI: discover -> lint -> resolve levels -> build
//! the sorted migration list.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::checksum::{ChecksumInput, checksum};
use crate::config::Config;
use crate::diagnostic::{self, Diagnostic};
use crate::discover::{self, Candidate, Directory, SourceFile};
use crate::level::Level;
use crate::lint_registry::Lint;
use crate::lints;
use crate::naming::Scheme;
use crate::syntax::SyntaxCache;
use strata_model::migration::{Migration, Section, Statement};
use strata_model::position::LineIndex;
pub use strata_model::prefix_digest::set_prefix_digests;
use strata_model::statements::StatementRange;

/// Everything known about a migrations directory.
#[derive(Debug)]
pub struct Loaded {
    /// Sorted by version. Built even when there are errors, so tools can still show them.
    pub migrations: Vec<Migration>,
    /// Sorted, levels resolved, `allow`ed findings removed.
    pub diagnostics: Vec<Diagnostic>,
    pub config: Config,
    pub scheme: Option<Scheme>,
    /// The text of every file read, by relative path, for rendering snippets.
    pub sources: BTreeMap<String, String>,
    /// Every file the result depends on, absolute.
    pub tracked: Vec<PathBuf>,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn source(&self, path: &str) -> Option<&str> {
        self.sources.get(path).map(String::as_str)
    }
}

/// Loads `rel_dir`, resolved against `base` (the crate's manifest directory for the macro,
/// the working directory for the CLI). Paths in the result are `rel_dir/...`.
pub fn load(base: &Path, rel_dir: &str) -> Loaded {
    load_with(base, rel_dir, None)
}

/// [`load`], keeping each file's syntax errors in `syntax_cache` by content, so a file that
/// did not change is not parsed again (the macro passes one under the target directory).
pub fn load_with(base: &Path, rel_dir: &str, syntax_cache: Option<SyntaxCache>) -> Loaded {
    let mut diagnostics = Vec::new();
    let mut directory = discover::discover(base, rel_dir, &mut diagnostics);
    directory.syntax_cache = syntax_cache;
    lints::run_all(&directory, &mut diagnostics);
    resolve_levels(&directory, &mut diagnostics);
    anchor_file_findings(&directory, &mut diagnostics);
    diagnostic::sort(&mut diagnostics);
    let migrations = build_migrations(&directory);
    let Directory {
        config,
        scheme,
        files,
        tracked,
        toml_sources,
        ..
    } = directory;
    let sources = files
        .into_iter()
        .map(|f| (f.path, f.text))
        .chain(toml_sources)
        .collect();
    Loaded {
        migrations,
        diagnostics,
        config,
        scheme,
        sources,
        tracked,
    }
}

/// Applies `strata.toml` levels, then each migration's `strata:allow(...)`, and drops what is allowed.
fn resolve_levels(directory: &Directory, diagnostics: &mut Vec<Diagnostic>) {
    let mut allowed: BTreeMap<&str, Vec<Lint>> = BTreeMap::new();
    for candidate in &directory.candidates {
        let lints: Vec<Lint> = candidate
            .files()
            .flat_map(|i| {
                directory
                    .file(i)
                    .sections
                    .directives
                    .allowed
                    .iter()
                    .copied()
            })
            .collect();
        for path in candidate
            .files()
            .map(|i| directory.file(i).path.as_str())
            .chain([candidate.entry.as_str()])
        {
            allowed.entry(path).or_default().extend(&lints);
        }
    }
    for d in diagnostics.iter_mut().filter(|d| d.lint.is_configurable()) {
        d.level = directory.config.level(d.lint);
        if allowed
            .get(d.file.as_str())
            .is_some_and(|lints| lints.contains(&d.lint))
        {
            d.level = Level::Allow;
        }
    }
    diagnostics.retain(|d| d.level != Level::Allow);
}

/// Findings about a whole file (its name, its version) point at its first line, so every
/// finding on a file has a `file:line:col` and a snippet.
fn anchor_file_findings(directory: &Directory, diagnostics: &mut [Diagnostic]) {
    for d in diagnostics.iter_mut().filter(|d| d.span.is_none()) {
        let Some(file) = directory.files.iter().find(|f| f.path == d.file) else {
            continue;
        };
        let first_line_end = file.text.find('\n').unwrap_or(file.text.len());
        d.span =
            Some(LineIndex::new(&file.text).span(0, first_line_end.max(1).min(file.text.len())));
    }
}

fn section(
    file: &SourceFile,
    range: &std::ops::Range<usize>,
    found: &[StatementRange],
) -> Option<Section> {
    if found.is_empty() {
        return None;
    }
    let index = LineIndex::new(&file.text);
    let list = found
        .iter()
        .map(|s| {
            Statement::new(
                (s.range.start - range.start) as u32,
                (s.range.end - range.start) as u32,
                index.line(s.range.start),
            )
        })
        .collect();
    let raw_offset = range.start + if file.bom { 3 } else { 0 };
    let line = index.line(range.start);
    Some(Section::new(
        file.text[range.clone()].to_string(),
        file.path.clone(),
        line,
        list,
        raw_offset as u32,
    ))
}

fn build_migration(directory: &Directory, candidate: &Candidate) -> Option<Migration> {
    let main = directory.file(candidate.main?);
    let up_range = main
        .sections
        .up
        .clone()
        .unwrap_or(main.text.len()..main.text.len());
    let down_source = candidate.down_file.map_or(main, |i| directory.file(i));
    let down_range = down_source.sections.down.clone();
    let up = section(main, &up_range, &main.up_statements).unwrap_or_else(|| {
        Section::new(
            String::new(),
            main.path.clone(),
            main.text.lines().count() as u32 + 1,
            Vec::new(),
            0,
        )
    });
    let down = down_range
        .as_ref()
        .and_then(|range| section(down_source, range, &down_source.down_statements));
    let sum = checksum(
        ChecksumInput {
            text: &main.text,
            tokens: &main.tokens,
            section: Some(&up_range),
        },
        ChecksumInput {
            text: &down_source.text,
            tokens: &down_source.tokens,
            section: down.as_ref().and(down_range.as_ref()),
        },
    );
    Some(Migration::new(
        candidate.name.version,
        candidate.name.name.clone(),
        up,
        down,
        sum,
        candidate.transactional(directory),
    ))
}

fn build_migrations(directory: &Directory) -> Vec<Migration> {
    let mut migrations: Vec<Migration> = directory
        .candidates
        .iter()
        .filter_map(|c| build_migration(directory, c))
        .collect();
    migrations.sort_by(|a, b| {
        a.version()
            .cmp(&b.version())
            .then_with(|| a.path().cmp(b.path()))
    });
    set_prefix_digests(&mut migrations);
    migrations
}
