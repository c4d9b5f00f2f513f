//! strata-core: everything strata knows about a directory of SQL migrations without touching
//! a database: discovery of the five naming schemes, UP/DOWN sections and directives,
//! `strata.toml`, the lints, statement boundaries and checksums. The `embed_migrations!`
//! macro and the `strata` CLI both call [`load`], so they always agree.

pub mod build;
pub mod checksum;
pub mod config;
pub mod diagnostic;
pub mod directives;
pub mod discover;
pub mod embedded;
pub mod lexer;
pub mod lints;
mod load;
pub mod model;
pub mod naming;
pub mod render;
pub mod sections;
pub mod statements;
pub mod syntax;

pub use config::{Config, Dialect, DownPolicy};
pub use diagnostic::{Diagnostic, Level, Span};
pub use lints::Lint;
pub use load::{Loaded, load, set_prefix_digests};
pub use model::{Migration, Section, Statement};
pub use naming::Scheme;
