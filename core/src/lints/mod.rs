//! The lints, one per file. Each takes the parsed directory and pushes findings; the
//! pipeline then applies levels from `strata.toml` and `strata:allow(...)` directives.

use crate::diagnostic::{Diagnostic, Level};
use crate::discover::Directory;

mod bad_name;
mod bad_section;
mod duplicate_version;
mod empty_up;
mod forbidden_down;
mod missing_down;
mod mixed_schemes;
mod orphan_down;
mod sql_syntax;
mod unknown_directive;
mod version_gap;

/// Every lint strata knows, with a stable kebab-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Lint {
    BadName,
    DuplicateVersion,
    VersionGap,
    MixedSchemes,
    MissingDown,
    ForbiddenDown,
    OrphanDown,
    EmptyUp,
    /// Markers that make a file's sections ambiguous, or SQL outside any section.
    BadSection,
    UnknownDirective,
    SqlSyntax,
    /// The migrations directory is not tracked by a build script, so added files go unseen.
    UntrackedDirectory,
    /// `strata.toml` is malformed. Always an error: a typo in config must not pass.
    InvalidConfig,
    /// A file or directory could not be read, or is not UTF-8. Always an error.
    UnreadableFile,
}

impl Lint {
    pub const ALL: [Lint; 14] = [
        Lint::BadName,
        Lint::DuplicateVersion,
        Lint::VersionGap,
        Lint::MixedSchemes,
        Lint::MissingDown,
        Lint::ForbiddenDown,
        Lint::OrphanDown,
        Lint::EmptyUp,
        Lint::BadSection,
        Lint::UnknownDirective,
        Lint::SqlSyntax,
        Lint::UntrackedDirectory,
        Lint::InvalidConfig,
        Lint::UnreadableFile,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Lint::BadName => "bad-name",
            Lint::DuplicateVersion => "duplicate-version",
            Lint::VersionGap => "version-gap",
            Lint::MixedSchemes => "mixed-schemes",
            Lint::MissingDown => "missing-down",
            Lint::ForbiddenDown => "forbidden-down",
            Lint::OrphanDown => "orphan-down",
            Lint::EmptyUp => "empty-up",
            Lint::BadSection => "bad-section",
            Lint::UnknownDirective => "unknown-directive",
            Lint::SqlSyntax => "sql-syntax",
            Lint::UntrackedDirectory => "untracked-directory",
            Lint::InvalidConfig => "invalid-config",
            Lint::UnreadableFile => "unreadable-file",
        }
    }

    pub fn from_name(name: &str) -> Option<Lint> {
        Lint::ALL.into_iter().find(|lint| lint.name() == name)
    }

    pub fn default_level(self) -> Level {
        match self {
            Lint::UnknownDirective | Lint::UntrackedDirectory => Level::Warn,
            _ => Level::Deny,
        }
    }

    /// Whether `strata.toml` or a directive may change the level. Broken input that makes
    /// the migration list itself unknowable can never be silenced.
    pub fn is_configurable(self) -> bool {
        !matches!(self, Lint::InvalidConfig | Lint::UnreadableFile)
    }

    pub fn description(self) -> &'static str {
        match self {
            Lint::BadName => "a .sql file or directory matches no naming scheme",
            Lint::DuplicateVersion => "two migrations share a version",
            Lint::VersionGap => "a sequential or Flyway-style version is skipped",
            Lint::MixedSchemes => "one directory uses more than one naming scheme",
            Lint::MissingDown => "no DOWN although `down = \"required\"`",
            Lint::ForbiddenDown => "a DOWN although `down = \"forbidden\"`",
            Lint::OrphanDown => "a DOWN file with no matching UP",
            Lint::EmptyUp => "the UP section holds no statement",
            Lint::BadSection => {
                "SQL outside any section, or a section marker repeated or misplaced"
            }
            Lint::UnknownDirective => "a `strata:` comment strata does not understand",
            Lint::SqlSyntax => "SQL the configured dialect does not accept",
            Lint::UntrackedDirectory => "no build script tracks the directory for added files",
            Lint::InvalidConfig => "strata.toml is malformed",
            Lint::UnreadableFile => "a file cannot be read or is not UTF-8",
        }
    }
}

impl std::fmt::Display for Lint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Runs every lint over a discovered directory.
pub(crate) fn run_all(directory: &Directory, out: &mut Vec<Diagnostic>) {
    bad_name::check(directory, out);
    bad_section::check(directory, out);
    mixed_schemes::check(directory, out);
    duplicate_version::check(directory, out);
    version_gap::check(directory, out);
    orphan_down::check(directory, out);
    missing_down::check(directory, out);
    forbidden_down::check(directory, out);
    empty_up::check(directory, out);
    unknown_directive::check(directory, out);
    sql_syntax::check(directory, out);
}

/// Where a section-level finding points: the section's first line, or the file's first line.
pub(crate) fn section_position(
    file: &crate::discover::SourceFile,
    section: Option<&std::ops::Range<usize>>,
) -> crate::diagnostic::Span {
    let index = crate::diagnostic::LineIndex::new(&file.text);
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
