//! `strata`: the same lints as `embed_migrations!`, and the same runtime, from a shell.
//!
//! Exit codes: 0 success, 1 failure (lint errors, database errors, refused operations),
//! 2 usage error (and, for `verify`, a verification that could not run).

// CliError carries the runtime's error on the cold path; boxing it would only make the
// conversions clumsier.
#![allow(clippy::result_large_err)]

mod args;
mod commands;
mod database;
mod error;
mod output;
mod time;
mod tls;

use std::process::ExitCode;

use clap::Parser;

/// One line per migration as it runs (the runtime's tracing events) on stderr, coloured only
/// on a terminal; `--quiet` shows only warnings, `--verbose` everything strata logs.
fn progress(cli: &args::Cli) {
    use std::io::IsTerminal;
    // verify reports every failure itself; the runs inside it are its means, not its news.
    let verifying = matches!(cli.command, args::Command::Verify { .. });
    let level = if verifying && !cli.verbose {
        "error"
    } else if cli.quiet {
        "warn"
    } else if cli.verbose {
        "strata_runtime=debug,info"
    } else {
        "strata_runtime=info,warn"
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("STRATA_LOG").unwrap_or_else(|_| level.into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .with_target(false)
        .with_level(cli.verbose)
        .compact()
        .init();
}

fn main() -> ExitCode {
    // A missing .env is normal; a malformed one is reported by the commands that need it.
    let _ = dotenvy::dotenv();
    let cli = args::Cli::parse();
    progress(&cli);
    match commands::run(&cli) {
        Ok(code) => code,
        Err(error) => {
            let code = error.exit_code();
            // Errors can quote what the user passed; never let a password through.
            let error = error.to_string();
            let error = match &cli.database_url {
                Some(url) => error.replace(url.as_str(), &database::redact(url)),
                None => error,
            };
            eprintln!("error: {error}");
            ExitCode::from(code)
        }
    }
}
