//! One file per subcommand.

use std::process::ExitCode;

use crate::args::{Cli, Command};

mod build_script;
mod lint;
mod new;

pub type Result<T> = std::result::Result<T, String>;

pub fn run(cli: &Cli) -> Result<ExitCode> {
    let dir = cli.dir.to_string_lossy().into_owned();
    match &cli.command {
        Command::Lint { format } => lint::run(&dir, *format, cli.quiet),
        Command::New { name, scheme } => new::run(&cli.dir, name, *scheme, cli.quiet),
        Command::BuildScript { write } => build_script::run(&dir, write.as_deref()),
    }
}
