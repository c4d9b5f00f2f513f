//! One file per subcommand, plus what the database commands share.

use std::path::Path;
use std::process::ExitCode;

use strata_runtime::{HistoryTable, LockStrategy, Migrations, Target};

use crate::args::{Cli, Command, LockWait};
use crate::database::Database;
use crate::error::CliError;

mod adopt;
mod baseline;
mod build_script;
mod check;
mod lint;
mod migrate;
mod new;
mod repair;
mod schema;
mod schema_postgres;
mod status;
mod verify;

pub type Result<T> = std::result::Result<T, CliError>;

pub fn run(cli: &Cli) -> Result<ExitCode> {
    let dir = cli.dir.to_string_lossy().into_owned();
    let dir = dir.as_str();
    let quiet = cli.quiet;
    match &cli.command {
        Command::Lint {
            format,
            deny_warnings,
        } => lint::run(dir, *format, *deny_warnings, quiet),
        Command::New { name, scheme } => new::run(&cli.dir, name, *scheme, quiet),
        Command::BuildScript { write } => build_script::run(dir, write.as_deref()),
        Command::Verify { idempotent, format } => block_on(async {
            let (migrations, dialect) = load_with_dialect(cli, dir)?;
            let options = verify::Verify {
                url: cli.database_url.as_deref(),
                sqlite: dialect == strata_core::Dialect::Sqlite,
                idempotent: *idempotent,
                format: *format,
                quiet,
            };
            verify::run(&migrations, options).await
        }),
        Command::Schema { at, format } => block_on(async {
            let (migrations, dialect) = load_with_dialect(cli, dir)?;
            schema::run(&migrations, dir, dialect, *at, *format).await
        }),
        Command::Adopt { from, table, yes } => block_on(async {
            let (mut db, migrations) = open(cli, dir).await?;
            let table = table.as_deref().map(parse_table).transpose()?;
            adopt::run(&mut db, &migrations, *from, table, *yes).await
        }),
        Command::Baseline { to } => block_on(async {
            let (mut db, migrations) = open(cli, dir).await?;
            baseline::run(&mut db, &migrations, *to).await
        }),
        Command::Repair {
            accept_checksum,
            mark_applied,
            forget,
        } => block_on(async {
            let (mut db, migrations) = open(cli, dir).await?;
            let action = match (accept_checksum, mark_applied, forget) {
                (Some(version), _, _) => repair::Action::AcceptChecksum(*version),
                (_, Some(version), _) => repair::Action::MarkApplied(*version),
                (_, _, Some(version)) => repair::Action::Forget(*version),
                _ => repair::Action::Explain,
            };
            repair::run(&mut db, &migrations, action).await
        }),
        Command::Check => block_on(async {
            let mut db = connect(cli).await?;
            let table = history_table(cli, &strata_core::load(Path::new("."), dir))?;
            check::run(&mut db, table).await
        }),
        Command::Up {
            to,
            dry_run,
            format,
            checks,
            wait,
        } => block_on(async {
            let (mut db, migrations) = open_for_migrating(cli, dir, wait).await?;
            let up = migrate::Up {
                to: *to,
                dry_run: *dry_run,
                format: *format,
                checks: *checks,
                wait: *wait,
            };
            migrate::up(&mut db, &migrations, up, quiet).await
        }),
        Command::Down {
            steps,
            to,
            dry_run,
            wait,
        } => block_on(async {
            let (mut db, migrations) = open_for_migrating(cli, dir, wait).await?;
            let target = match to {
                Some(version) => Target::Version(*version),
                None => Target::Steps(steps.unwrap_or(1)),
            };
            migrate::down(&mut db, &migrations, target, *dry_run, *wait, quiet).await
        }),
        Command::Redo { wait } => block_on(async {
            let (mut db, migrations) = open_for_migrating(cli, dir, wait).await?;
            migrate::redo(&mut db, &migrations, *wait, quiet).await
        }),
        Command::Status { format } => block_on(async {
            let (mut db, migrations) = open(cli, dir).await?;
            status::run(&mut db, &migrations, status::Filter::All, *format).await
        }),
        Command::Pending { format } => block_on(async {
            let (mut db, migrations) = open(cli, dir).await?;
            status::run(&mut db, &migrations, status::Filter::Pending, *format).await
        }),
        Command::Executed { format } => block_on(async {
            let (mut db, migrations) = open(cli, dir).await?;
            status::run(&mut db, &migrations, status::Filter::Executed, *format).await
        }),
    }
}

/// Runs a database command on a single-threaded runtime.
fn block_on(command: impl Future<Output = Result<ExitCode>>) -> Result<ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::AsyncRuntime)?
        .block_on(command)
}

async fn connect(cli: &Cli) -> Result<Database> {
    let url = cli.database_url.as_deref().ok_or(CliError::NoDatabase)?;
    Database::connect(url).await
}

/// Connects (so a wrong URL is reported even for a broken directory), then loads the
/// directory's migrations.
async fn open(cli: &Cli, dir: &str) -> Result<(Database, Migrations)> {
    let db = connect(cli).await?;
    Ok((db, load(cli, dir)?))
}

/// [`open`], plus a second connection for the lease's heartbeat when the run will take the
/// table lease on PostgreSQL.
async fn open_for_migrating(
    cli: &Cli,
    dir: &str,
    wait: &LockWait,
) -> Result<(migrate::Connections, Migrations)> {
    let (db, migrations) = open(cli, dir).await?;
    let strategy = wait
        .lock
        .map_or(migrations.lock_strategy(), migrate::lock_strategy);
    let heartbeat = match (&db, strategy) {
        (Database::Postgres(_) | Database::Mysql(_), LockStrategy::Table) => {
            Some(connect(cli).await?)
        }
        _ => None,
    };
    Ok((migrate::Connections { db, heartbeat }, migrations))
}

/// `--history-table [schema.]table`, else strata.toml's `[history]`; validated either way.
fn history_table(cli: &Cli, loaded: &strata_core::Loaded) -> Result<HistoryTable> {
    Ok(match cli.history_table.as_deref() {
        Some(name) => parse_table(name)?,
        None => HistoryTable::try_from(&loaded.config.history)?,
    })
}

/// `table` or `schema.table`, validated.
fn parse_table(name: &str) -> Result<HistoryTable> {
    Ok(match name.split_once('.') {
        Some((schema, table)) => HistoryTable::new(Some(schema), table)?,
        None => HistoryTable::new(None, name)?,
    })
}

/// Loads the directory exactly as `embed_migrations!` does; refuses to touch a database with
/// a directory that would not compile.
fn load(cli: &Cli, dir: &str) -> Result<Migrations> {
    load_with_dialect(cli, dir).map(|(migrations, _)| migrations)
}

/// [`load`], and the directory's dialect from strata.toml.
fn load_with_dialect(cli: &Cli, dir: &str) -> Result<(Migrations, strata_core::Dialect)> {
    let loaded = strata_core::load(Path::new("."), dir);
    if loaded.has_errors() {
        for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!(
                "{}\n",
                strata_core::render::human(d, loaded.source(&d.file), false)
            );
        }
        return Err(CliError::LintErrors {
            dir: dir.to_string(),
        });
    }
    let history = history_table(cli, &loaded)?;
    let dialect = loaded.config.dialect;
    let migrations = Migrations::from_vec(loaded.migrations, history).with_lock(loaded.config.lock);
    Ok((migrations, dialect))
}
