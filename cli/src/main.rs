//! `strata`: the same lints as `embed_migrations!`, and the same runtime, from a shell.
//!
//! Exit codes: 0 success, 1 failure (lint errors, database errors, refused operations),
//! 2 usage error.

mod args;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A missing .env is normal; a malformed one is reported by the commands that need it.
    let _ = dotenvy::dotenv();
    let cli = args::Cli::parse();
    match commands::run(&cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}
