//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "strata", version, about = "Lint, apply, roll back and inspect SQL migrations")]
pub struct Cli {
    /// The migrations directory.
    #[arg(long, global = true, default_value = "migrations")]
    pub dir: PathBuf,

    /// Print only errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail.
    #[arg(long, short, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    Human,
    Json,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemeArg {
    Sequential,
    Flyway,
    Timestamp,
    Paired,
    Directory,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the lints of `embed_migrations!` (exit 1 on any error).
    Lint {
        #[arg(long, value_enum, default_value = "human")]
        format: LintFormat,
    },
    /// Create the next migration file in the directory's own naming scheme.
    New {
        /// Descriptive name, e.g. `add_users`.
        name: String,
        /// The scheme for an empty directory (otherwise the directory's scheme is used).
        #[arg(long, value_enum)]
        scheme: Option<SchemeArg>,
    },
    /// Print (or write) the build.rs that makes added migration files trigger a rebuild.
    BuildScript {
        /// Write build.rs into this directory instead of printing it.
        #[arg(long)]
        write: Option<PathBuf>,
    },
}
