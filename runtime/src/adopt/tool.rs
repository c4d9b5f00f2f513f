//! The tools whose histories `adopt` reads: where each keeps its history, how to read it,
//! and what each calls a state it cannot be adopted from.
//!
//! Layouts, as each tool creates its table (read from the tools' sources and docs):
//! - refinery (`refinery_schema_history`): version int4 primary key, name, applied_on,
//!   checksum; one row per applied migration.
//! - sqlx (`_sqlx_migrations`): version bigint primary key, description, installed_on,
//!   success, checksum, execution_time; `success = false` is a failed migration.
//! - diesel (`__diesel_schema_migrations`): version varchar primary key (the directory's
//!   timestamp without separators), run_on.
//! - Flyway (`flyway_schema_history`): installed_rank primary key, version (NULL for
//!   repeatable migrations), description, type (`SQL`, `JDBC`, `BASELINE`, `UNDO_SQL`,
//!   `DELETE`, `SCHEMA`, ...), script, checksum, installed_by, installed_on, execution_time,
//!   success; the state of a version is its last row by rank.
//!   <https://documentation.red-gate.com/fd/flyway-schema-history-table-273973417.html>
//! - goose (`goose_db_version`): id serial primary key, version_id, is_applied, tstamp; a row
//!   per up (and, before goose v3.?, per down with `is_applied = false`); version 0 is
//!   goose's own first row. pressly/goose `internal/dialect/dialectquery/{postgres,sqlite3}.go`.
//! - dbmate (`schema_migrations`): version varchar(128) primary key; one row per applied
//!   migration.
//! - golang-migrate (`schema_migrations`): version bigint primary key, dirty boolean; one row,
//!   the last version applied (every lower one is applied too); `dirty = true` is a migration
//!   that failed part-way. golang-migrate `database/postgres/postgres.go` (SetVersion).
//! - Cloudflare D1 / wrangler (`d1_migrations`): id autoincrement primary key, name unique
//!   (the file name, `0001_create_users.sql`), applied_at. workers-sdk
//!   `packages/wrangler/src/d1/migrations/helpers.ts`.

use std::fmt;

use crate::driver::Dialect;

/// Another migration tool whose history `adopt` takes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Tool {
    /// refinery.
    Refinery,
    /// sqlx (`sqlx migrate`, `sqlx::migrate!`).
    Sqlx,
    /// diesel (`diesel migration run`).
    Diesel,
    /// Flyway.
    Flyway,
    /// goose.
    Goose,
    /// dbmate.
    Dbmate,
    /// golang-migrate (`migrate`).
    GolangMigrate,
    /// Cloudflare D1's `wrangler d1 migrations apply`.
    D1,
}

impl Tool {
    /// Every tool, in the order `strata adopt --help` lists them.
    pub const ALL: [Tool; 8] = [
        Tool::Refinery,
        Tool::Sqlx,
        Tool::Diesel,
        Tool::Flyway,
        Tool::Goose,
        Tool::Dbmate,
        Tool::GolangMigrate,
        Tool::D1,
    ];

    /// The name `--from` takes.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Refinery => "refinery",
            Tool::Sqlx => "sqlx",
            Tool::Diesel => "diesel",
            Tool::Flyway => "flyway",
            Tool::Goose => "goose",
            Tool::Dbmate => "dbmate",
            Tool::GolangMigrate => "golang-migrate",
            Tool::D1 => "d1",
        }
    }

    /// The tool named `name` (as [`Tool::name`] gives it).
    pub fn from_name(name: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|tool| tool.name() == name)
    }

    /// The table the tool keeps its history in unless configured otherwise.
    pub fn default_table(self) -> &'static str {
        match self {
            Tool::Refinery => "refinery_schema_history",
            Tool::Sqlx => "_sqlx_migrations",
            Tool::Diesel => "__diesel_schema_migrations",
            Tool::Flyway => "flyway_schema_history",
            Tool::Goose => "goose_db_version",
            Tool::Dbmate | Tool::GolangMigrate => "schema_migrations",
            Tool::D1 => "d1_migrations",
        }
    }

    /// The query reading its history (`table` quoted) on `dialect`: text values, in the
    /// order the tool wrote them.
    pub(crate) fn query(self, table: &str, dialect: Dialect) -> String {
        let flag = |column: &str| format!("CASE WHEN {column} THEN 1 ELSE 0 END");
        match self {
            Tool::Refinery => format!("SELECT version, name FROM {table} ORDER BY version"),
            // sqlx's checksum is SHA-384 of the file: compared with the file here.
            Tool::Sqlx => format!(
                "SELECT version, description, {}, {} FROM {table} ORDER BY version",
                flag("success"),
                match dialect {
                    Dialect::Postgres => "encode(checksum, 'hex')",
                    _ => "lower(hex(checksum))",
                }
            ),
            Tool::Diesel | Tool::Dbmate => format!("SELECT version FROM {table} ORDER BY version"),
            Tool::Flyway => format!(
                "SELECT version, description, type, {} FROM {table} ORDER BY installed_rank",
                flag("success")
            ),
            Tool::Goose => format!(
                "SELECT version_id, {} FROM {table} ORDER BY id",
                flag("is_applied")
            ),
            Tool::GolangMigrate => format!("SELECT version, {} FROM {table}", flag("dirty")),
            Tool::D1 => format!("SELECT name FROM {table} ORDER BY id"),
        }
    }

    /// Whether its rows name the migration (then names must match too).
    pub(crate) fn stores_names(self) -> bool {
        matches!(self, Tool::Refinery | Tool::Sqlx | Tool::Flyway | Tool::D1)
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
