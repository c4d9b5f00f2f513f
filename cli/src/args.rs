//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "strata",
    version,
    about = "Lint, apply, roll back and inspect SQL migrations"
)]
pub struct Cli {
    /// Database URL: postgres://..., postgresql://..., mysql://..., mariadb://..., sqlite:path
    /// or sqlite://path.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// The migrations directory.
    #[arg(long, global = true, default_value = "migrations")]
    pub dir: PathBuf,

    /// Print only errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail.
    #[arg(long, short, global = true)]
    pub verbose: bool,

    /// The history table, `table` or `schema.table`, instead of strata.toml's `[history]`.
    #[arg(long, global = true, value_name = "[SCHEMA.]TABLE")]
    pub history_table: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

/// Debug output never shows the database password.
impl std::fmt::Debug for Cli {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cli")
            .field(
                "database_url",
                &self.database_url.as_deref().map(crate::database::redact),
            )
            .field("dir", &self.dir)
            .field("quiet", &self.quiet)
            .field("verbose", &self.verbose)
            .field("history_table", &self.history_table)
            .field("command", &self.command)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    Human,
    Json,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaFormat {
    /// The CREATE statements, in creation order.
    Sql,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemeArg {
    Sequential,
    Flyway,
    Timestamp,
    Paired,
    Directory,
}

/// Opt-outs of the checks `up` makes before anything runs (the library's `allow_*` methods).
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct CheckOptOuts {
    /// Apply although applied migrations changed since they ran (checksum differs).
    #[arg(long)]
    pub allow_divergent: bool,
    /// Apply although the database has migrations this directory lacks.
    #[arg(long)]
    pub allow_missing: bool,
    /// Apply pending migrations older than the newest applied one, in version order.
    #[arg(long)]
    pub allow_out_of_order: bool,
}

/// What `up --dry-run` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Each migration with its SQL, for reading.
    Human,
    /// The exact script a run would send: each migration in its transaction with its
    /// history row; apply it where strata cannot connect.
    Sql,
    /// A Cloudflare D1 script (`wrangler d1 execute --file`): no transaction control.
    D1,
}

/// `--from`: one of the tools `adopt` reads, by the names the runtime gives them.
fn tool_parser() -> impl clap::builder::TypedValueParser<Value = strata_runtime::Tool> {
    use clap::builder::TypedValueParser;
    use strata_runtime::Tool;
    clap::builder::PossibleValuesParser::new(Tool::ALL.map(Tool::name))
        .try_map(|name| Tool::from_name(&name).ok_or_else(|| format!("unknown tool `{name}`")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LockArg {
    /// PostgreSQL's session advisory lock (needs a session of its own).
    Advisory,
    /// A lease row beside the history table (works behind PgBouncer's transaction pooling).
    Table,
}

/// How runners exclude each other, and how long to wait for another one.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct LockWait {
    /// Give up waiting for another runner's lock after this long (`30s`, `500ms`, `2m`);
    /// default: wait as long as it works.
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub lock_timeout: Option<std::time::Duration>,
    /// The lock, instead of strata.toml's `lock`: `table` behind a transaction-pooling
    /// proxy such as PgBouncer (pool_mode = transaction).
    #[arg(long, value_enum)]
    pub lock: Option<LockArg>,
    /// How long the table lease lasts without renewal (default 30s): a runner killed while
    /// holding it blocks others this long. Renewed from a second connection while
    /// migrations run.
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub lease_ttl: Option<std::time::Duration>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the lints of `embed_migrations!` (exit 1 on any error).
    Lint {
        #[arg(long, value_enum, default_value = "human")]
        format: LintFormat,
        /// Exit 1 on warnings too (CI); the macro keeps warnings as warnings.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Apply pending migrations.
    Up {
        /// Apply only up to and including this version.
        #[arg(long = "to", visible_alias = "target", value_name = "VERSION")]
        to: Option<i64>,
        /// Print what would run, with the SQL, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// With --dry-run: `sql` prints the exact script (migrations and history rows), `d1`
        /// a Cloudflare D1 script without transaction control.
        #[arg(long, value_enum, default_value = "human", requires = "dry_run")]
        format: PlanFormat,
        #[command(flatten)]
        checks: CheckOptOuts,
        #[command(flatten)]
        wait: LockWait,
    },
    /// Roll back applied migrations (one by default).
    #[command(alias = "rollback")]
    Down {
        /// How many of the most recently applied migrations to roll back.
        #[arg(long, conflicts_with = "to")]
        steps: Option<usize>,
        /// Roll back every migration above this version.
        #[arg(long = "to")]
        to: Option<i64>,
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        wait: LockWait,
    },
    /// Roll back the most recent migration and apply it again.
    Redo {
        #[command(flatten)]
        wait: LockWait,
    },
    /// Every migration with its state, applied time and duration.
    Status {
        #[arg(long, value_enum, default_value = "human")]
        format: TableFormat,
    },
    /// Migrations not yet applied.
    Pending {
        #[arg(long, value_enum, default_value = "human")]
        format: TableFormat,
    },
    /// Migrations applied to the database.
    Executed {
        #[arg(long, value_enum, default_value = "human")]
        format: TableFormat,
    },
    /// Apply, roll back and re-apply every migration on a scratch database, comparing the
    /// schema at each step (exit 1 on a finding, 2 if it cannot run).
    Verify {
        /// Also run each UP a second time and require success and no schema change.
        #[arg(long)]
        idempotent: bool,
        #[arg(long, value_enum, default_value = "human")]
        format: LintFormat,
    },
    /// Print the schema the migrations build (SQLite: applied to an in-memory database),
    /// for code review and docs.
    Schema {
        /// Only the migrations up to this version.
        #[arg(long)]
        at: Option<i64>,
        #[arg(long, value_enum, default_value = "sql")]
        format: SchemaFormat,
    },
    /// Record another tool's applied migrations in strata's history (prints the plan;
    /// writes only with --yes; never runs their SQL or changes the tool's table).
    Adopt {
        /// The tool whose history to read.
        #[arg(long, value_parser = tool_parser())]
        from: strata_runtime::Tool,
        /// Its history table, `table` or `schema.table`, when not the tool's default.
        #[arg(long, value_name = "[SCHEMA.]TABLE")]
        table: Option<String>,
        /// Write what the plan says.
        #[arg(long)]
        yes: bool,
    },
    /// Record every migration up to VERSION as applied without running it (a database whose
    /// schema already exists).
    Baseline {
        #[arg(long = "to", value_name = "VERSION")]
        to: i64,
    },
    /// Say what needs repair; with an option, do one repair.
    Repair {
        /// Store the file's checksum for this applied, edited migration (the old one is
        /// kept).
        #[arg(long, value_name = "VERSION", group = "action")]
        accept_checksum: Option<i64>,
        /// Record this migration as applied without running it (a no-transaction migration
        /// that failed part-way and was finished by hand).
        #[arg(long, value_name = "VERSION", group = "action")]
        mark_applied: Option<i64>,
        /// Forget this migration's part-way failure (undone by hand; it stays pending).
        #[arg(long, value_name = "VERSION", group = "action")]
        forget: Option<i64>,
    },
    /// Connect, print the server version and the history table's state.
    Check,
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[test]
    fn debug_output_redacts_the_password() {
        let cli = super::Cli::parse_from([
            "strata",
            "--database-url",
            "postgres://app:hunter2@db/prod",
            "status",
        ]);
        let debug = format!("{cli:?}");
        assert!(
            !debug.contains("hunter2") && debug.contains("app:***@db"),
            "{debug}"
        );
    }
}
