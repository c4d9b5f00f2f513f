//! strata-core: everything strata knows about a directory of SQL migrations without touching
//! a database: discovery of the five naming schemes, UP/DOWN sections and directives,
//! `strata.toml`, the lints, statement boundaries and checksums. The `embed_migrations!`
//! macro and the `strata` CLI both call [`load`], so they always agree.
//!
//! Modules form layers; each imports only from its own layer or those above it in this list,
//! and `tests/module_cycles.rs` fails on any import cycle.

// Vocabulary: what every layer talks about (leaf modules).
pub mod diagnostic;
pub mod dialect;
pub mod level;
pub mod lint_registry;
pub mod position;

// Lexing and parsing one file's text.
pub mod checksum;
pub mod lexer;
pub mod statements;
pub mod syntax;

// Discovery: a directory -> names, files, sections, directives, config, candidates.
pub mod config;
pub mod directives;
pub mod discover;
pub mod naming;
pub mod sections;

// Lints over the discovered directory.
pub mod lints;

// The pipeline and what it produces: the migration list, its embedded form, rendered findings.
pub mod embedded;
mod load;
pub mod model;
pub mod render;

// For build scripts; depends on nothing.
/// The build-script helper, re-exported: it lives in `strata-build`, which has no
/// dependencies, so a build script need not compile the parsers.
pub use strata_build as build;

pub use config::{Config, DownPolicy};
pub use diagnostic::{Diagnostic, Span};
pub use dialect::Dialect;
pub use level::Level;
pub use lint_registry::Lint;
pub use load::{Loaded, load, set_prefix_digests};
pub use model::{Migration, Section, Statement};
pub use naming::Scheme;

/// Constructors for other crates' unit tests (feature `test-support`, which only
/// dev-dependencies enable); not public API: real lists come from `load` or the macro.
#[cfg(feature = "test-support")]
pub mod test_support {
    use std::borrow::Cow;

    use crate::model::{Migration, Section, Statement};

    /// A statement at `start..end` of its section, starting on file line `line`.
    pub const fn statement(start: u32, end: u32, line: u32) -> Statement {
        Statement::new(start, end, line)
    }

    /// `file[start..end]` as a section of `path` beginning on file line `line`.
    pub const fn section(
        file: &'static str,
        start: u32,
        end: u32,
        path: &'static str,
        line: u32,
        statements: &'static [Statement],
    ) -> Section {
        Section::in_file(file, start, end, path, line, Cow::Borrowed(statements))
    }

    /// A migration without a prefix digest.
    pub const fn migration(
        version: i64,
        name: &'static str,
        up: Section,
        down: Option<Section>,
        checksum: &'static str,
        transactional: bool,
    ) -> Migration {
        Migration::from_parts(version, name, up, down, checksum, transactional)
    }
}
