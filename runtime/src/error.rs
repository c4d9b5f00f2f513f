//! Typed errors. Each names the migration (version and file) it concerns; database errors
//! carry SQLSTATE, message and the `file:line:col` inside the migration where possible.

use std::fmt;
use std::time::Duration;

/// A database error as reported by the server, without migration context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    /// SQLSTATE (PostgreSQL) or the SQLite extended result code name; empty when unknown.
    pub code: String,
    pub message: String,
    /// 0-based character offset into the SQL text that was executed, when the server says.
    pub position: Option<usize>,
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.code.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "[{}] {}", self.code, self.message)
        }
    }
}

/// Where in a migration file something happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "{}:{line}:{column}", self.path),
            (Some(line), None) => write!(f, "{}:{line}", self.path),
            _ => f.write_str(&self.path),
        }
    }
}

/// An applied migration whose checksum no longer matches the embedded one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    pub version: i64,
    pub name: String,
    pub path: String,
    pub applied_checksum: String,
    pub embedded_checksum: String,
}

/// A migration identified by version and name (and file, when the binary has it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationRef {
    pub version: i64,
    pub name: String,
}

fn list<T>(items: &[T], show: impl Fn(&T) -> String) -> String {
    items.iter().map(show).collect::<Vec<_>>().join(", ")
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Talking to the database failed outside any migration (connecting, the history table).
    #[error("database error: {0}")]
    Database(DbError),

    /// A migration's SQL failed. Nothing of it was applied (it ran in a transaction).
    #[error("migration {version} ({location}) failed: {error}")]
    Migration { version: i64, name: String, location: Location, error: DbError },

    /// A `no-transaction` migration failed part-way: statements before `failed_statement`
    /// are in effect, and the migration is NOT recorded as applied.
    #[error(
        "no-transaction migration {version} ({location}) failed at statement {failed_statement} of {total}: {error}; \
         statements 1..{failed_statement} ran and stay in effect, the migration is not recorded as applied"
    )]
    PartiallyApplied { version: i64, name: String, location: Location, failed_statement: usize, total: usize, error: DbError },

    /// Rolling back a migration failed; it stays applied.
    #[error("rolling back migration {version} ({location}) failed: {error}")]
    Rollback { version: i64, name: String, location: Location, error: DbError },

    #[error("applied migrations were changed since they ran (checksum differs): {}; restore them or opt out with allow_divergent(true)", list(.0, |d| format!("{} ({})", d.version, d.path)))]
    Divergent(Vec<Divergence>),

    #[error("the database has migrations this binary does not know: {}; deploy a binary that has them or opt out with allow_missing(true)", list(.0, |m| format!("{} {}", m.version, m.name)))]
    Missing(Vec<MigrationRef>),

    #[error("pending migrations are older than the newest applied one ({highest_applied}): {}; renumber them or opt out with allow_out_of_order(true)", list(.pending, |m| format!("{} {}", m.version, m.name)))]
    OutOfOrder { highest_applied: i64, pending: Vec<MigrationRef> },

    #[error("cannot roll back: no DOWN SQL, neither embedded nor stored, for migration(s) {}", list(.0, |m| format!("{} {}", m.version, m.name)))]
    NoDown(Vec<MigrationRef>),

    #[error("target version {0} is not a known migration")]
    UnknownTarget(i64),

    #[error("gave up waiting {waited:?} for the migration lock{}", .holder.as_ref().map(|h| format!(" held by {h}")).unwrap_or_default())]
    LockTimeout { waited: Duration, holder: Option<String> },

    #[error("invalid history table identifier `{0}`: must match [A-Za-z_][A-Za-z0-9_]{{0,62}}")]
    InvalidIdentifier(String),

    /// The history table holds a row strata cannot read (edited by hand?).
    #[error("unreadable history row: {0}")]
    CorruptHistory(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
