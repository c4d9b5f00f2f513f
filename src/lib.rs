//! # strata
//!
//! SQL schema migrations that are checked when your crate compiles and applied safely when it
//! runs.
//!
//! ```ignore
//! static MIGRATIONS: strata::Migrations = strata::embed_migrations!("migrations");
//! ```
//!
//! `embed_migrations!` reads the directory (relative to `CARGO_MANIFEST_DIR`) at compile time,
//! lints every file and fails the build with errors that point at `file:line:col` inside the
//! SQL. See the README for naming schemes, sections, directives and `strata.toml`.

pub use strata_core::build;
pub use strata_core::model::{Migration, Section, Statement};
pub use strata_macros::embed_migrations;
pub use strata_runtime::Migrations;
