//! One file per subcommand, plus what the database commands share.

use std::path::Path;
use std::process::ExitCode;

use strata_runtime::Migrations;

use crate::args::{Cli, Command};
use crate::database::Database;

mod build_script;
mod check;
mod lint;
mod migrate;
mod new;
mod status;

pub type Result<T> = std::result::Result<T, String>;

pub fn run(cli: &Cli) -> Result<ExitCode> {
    let dir = cli.dir.to_string_lossy().into_owned();
    match &cli.command {
        Command::Lint { format } => lint::run(&dir, *format, cli.quiet),
        Command::New { name, scheme } => new::run(&cli.dir, name, *scheme, cli.quiet),
        Command::BuildScript { write } => build_script::run(&dir, write.as_deref()),
        command => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the async runtime: {e}"))?;
            runtime.block_on(database_command(cli, &dir, command))
        }
    }
}

async fn database_command(cli: &Cli, dir: &str, command: &Command) -> Result<ExitCode> {
    let url = cli
        .database_url
        .as_deref()
        .ok_or("no database: pass --database-url or set DATABASE_URL (a .env file works too)")?;
    let mut db = Database::connect(url).await?;
    if let Command::Check = command {
        return check::run(&mut db, dir).await;
    }
    let migrations = load(dir)?;
    match command {
        Command::Up { to, dry_run } => {
            migrate::up(&mut db, &migrations, *to, *dry_run, cli.quiet).await
        }
        Command::Down { steps, to, dry_run } => {
            migrate::down(&mut db, &migrations, *steps, *to, *dry_run, cli.quiet).await
        }
        Command::Redo => migrate::redo(&mut db, &migrations, cli.quiet).await,
        Command::Status { format } => {
            status::run(&mut db, &migrations, status::Filter::All, *format).await
        }
        Command::Pending { format } => {
            status::run(&mut db, &migrations, status::Filter::Pending, *format).await
        }
        Command::Executed { format } => {
            status::run(&mut db, &migrations, status::Filter::Executed, *format).await
        }
        _ => Err("unreachable command".to_string()),
    }
}

/// Loads the directory exactly as `embed_migrations!` does; refuses to touch a database with
/// a directory that would not compile.
fn load(dir: &str) -> Result<Migrations> {
    let loaded = strata_core::load(Path::new("."), dir);
    if loaded.has_errors() {
        for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!(
                "{}\n",
                strata_core::render::human(d, loaded.source(&d.file), false)
            );
        }
        return Err(format!(
            "{dir} has lint errors (see above); `strata lint` lists them"
        ));
    }
    Ok(Migrations::from_vec(
        loaded.migrations,
        &loaded.config.history,
    ))
}
