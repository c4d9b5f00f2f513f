//! strata-core: everything strata knows about a directory of SQL migrations without touching
//! a database: discovery of the five naming schemes, UP/DOWN sections and directives,
//! `strata.toml`, the lints, statement boundaries and checksums. The `embed_migrations!`
//! macro and the `strata` CLI both call [`load`], so they always agree.
//!
//! Modules form layers; each imports only from its own layer or those above it in this list,
//! and `tests/module_cycles.rs` fails on any import cycle.

// From strata-model (what the runtime also needs), re-exported under their old names.
pub use strata_model::{dialect, embedded, migration as model, position, statements};

// Vocabulary: what every layer talks about (leaf modules).
pub mod diagnostic;
pub mod level;
pub mod lint_registry;

// Lexing and parsing one file's text.
pub mod checksum;
pub mod lexer;
pub mod syntax;

// Discovery: a directory -> names, files, sections, directives, config, candidates.
pub mod config;
pub mod directives;
pub mod discover;
pub mod naming;
pub mod sections;
pub mod toml_keys;

// Lints over the discovered directory.
pub mod lints;
/// The PostgreSQL schema model the build replays the migrations in (`strata schema`).
pub mod schema_model {
    pub use crate::lints::pg_types::normal_type;
    pub use crate::lints::replay::postgres::model::*;
    pub use crate::lints::replay::postgres::{model_at, models};
    /// SQLite's build-time replay, read back after each migration.
    #[cfg(feature = "sqlite-parser")]
    pub use crate::lints::replay::sqlite::{CatalogObject, schemas as sqlite_schemas};
}

// The pipeline and what it produces: the migration list and rendered findings.
mod load;
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
pub use load::{Loaded, load, load_with, set_prefix_digests};
pub use model::{Migration, Section, Statement};
pub use naming::Scheme;

/// Constructors for other crates' unit tests, re-exported (feature `test-support`).
#[cfg(feature = "test-support")]
pub use strata_model::test_support;
