//! Typed errors. Each names the migration (version and file) it concerns; database errors
//! carry SQLSTATE, message and the `file:line:col` inside the migration where possible.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::report::Direction;

/// What kind of database error, as the backend classified it: the runtime reacts to some
/// (creating a missing history table, upgrading an old one) and explains others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DbErrorKind {
    /// A relation does not exist (PostgreSQL 42P01, SQLite "no such table").
    UndefinedTable,
    /// A column does not exist (PostgreSQL 42703, SQLite "no such column").
    UndefinedColumn,
    /// The connection broke, or the server ended the session (SQLSTATE class 08, 57P01-03).
    ConnectionLost,
    /// The session may not write (PostgreSQL 25006: a standby or a read-only transaction;
    /// SQLite's SQLITE_READONLY).
    ReadOnly,
    /// The role lacks a privilege (PostgreSQL 42501).
    InsufficientPrivilege,
    /// Anything else.
    #[default]
    Other,
}

/// A database error as reported by the server, without migration context. The client
/// library's error is kept as the [`source`](std::error::Error::source), so callers can
/// downcast it (to `tokio_postgres::Error` or `rusqlite::Error`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DbError {
    /// SQLSTATE (PostgreSQL), the error number (MySQL: its SQLSTATE is in
    /// [`sqlstate`](Self::sqlstate)) or the SQLite extended result code name; empty when
    /// unknown (a broken connection without a server error, say).
    pub code: String,
    /// The SQLSTATE, where it is not the code itself (MySQL): five ASCII characters, kept
    /// inline so that errors stay small. Read it with [`DbError::sqlstate`].
    sqlstate: Option<[u8; 5]>,
    /// The server's message (or the client library's, for connection errors).
    pub message: String,
    /// 0-based character offset into the SQL text that was executed, when the server says.
    /// Backends translate it into a byte offset inside the migration before it reaches an
    /// [`Error`], so on errors returned by the runner it is `None`.
    pub position: Option<usize>,
    /// The backend's classification.
    pub kind: DbErrorKind,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl DbError {
    /// SQLSTATE of a connection that broke without a server error (the socket closed).
    pub const CONNECTION_FAILURE: &str = "08006";

    /// An error with this code and message, of kind [`DbErrorKind::Other`], no position and
    /// no source.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        DbError {
            code: code.into(),
            sqlstate: None,
            message: message.into(),
            position: None,
            kind: DbErrorKind::Other,
            source: None,
        }
    }

    /// Sets the SQLSTATE beside an error number (ignored unless it is five ASCII
    /// characters, as every SQLSTATE is).
    pub fn with_sqlstate(mut self, sqlstate: &str) -> Self {
        self.sqlstate = sqlstate
            .as_bytes()
            .try_into()
            .ok()
            .filter(|bytes: &[u8; 5]| bytes.is_ascii());
        self
    }

    /// The SQLSTATE, where the code is an error number (MySQL).
    pub fn sqlstate(&self) -> Option<&str> {
        self.sqlstate
            .as_ref()
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
    }

    /// Sets the backend's classification.
    pub fn with_kind(mut self, kind: DbErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// Sets the position (a 0-based character offset into the SQL sent).
    pub fn with_position(mut self, position: Option<usize>) -> Self {
        self.position = position;
        self
    }

    /// Keeps the client library's error as the source.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// The connection broke, or the server ended the session while shutting down or
    /// restarting.
    pub fn is_connection_lost(&self) -> bool {
        self.kind == DbErrorKind::ConnectionLost
            || self.code.starts_with("08")
            || matches!(self.code.as_str(), "57P01" | "57P02" | "57P03")
    }
}

impl PartialEq for DbError {
    /// Equal when code, message, position and kind are; the source is not compared.
    fn eq(&self, other: &Self) -> bool {
        (&self.code, &self.message, self.position, self.kind)
            == (&other.code, &other.message, other.position, other.kind)
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code.as_str(), self.sqlstate()) {
            ("", _) => write!(f, "{}", self.message),
            (code, Some(state)) => write!(f, "[{code}, SQLSTATE {state}] {}", self.message),
            (code, None) => write!(f, "[{code}] {}", self.message),
        }
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// What a lost connection means for the migration in flight.
fn lost(error: &DbError) -> &'static str {
    if error.is_connection_lost() {
        "; the connection was lost: re-run once the database is back (the history table says \
         whether the migration committed before the loss; a transaction that did not commit \
         left nothing)"
    } else {
        ""
    }
}

/// Where in a migration file something happened: `path:line:col` when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, relative to the manifest directory, or where a stored DOWN came from.
    pub path: String,
    /// 1-based line in the file.
    pub line: Option<u32>,
    /// 1-based column, counted in characters.
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
    /// The migration's version.
    pub version: i64,
    /// The migration's name.
    pub name: String,
    /// The embedded file.
    pub path: String,
    /// The checksum recorded when it was applied.
    pub applied_checksum: String,
    /// The checksum of the file this binary embeds.
    pub embedded_checksum: String,
}

/// A migration identified by version and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationRef {
    /// The migration's version.
    pub version: i64,
    /// The migration's name.
    pub name: String,
}

fn list<T>(items: &[T], show: impl Fn(&T) -> String) -> String {
    items.iter().map(show).collect::<Vec<_>>().join(", ")
}

fn lines(lines: &[u32]) -> String {
    match lines {
        [] => "no statement ran".to_string(),
        [line] => format!("the statement at line {line} ran and stays in effect"),
        _ => format!(
            "the statements at lines {} ran and stay in effect",
            list(lines, u32::to_string)
        ),
    }
}

/// What a failed run had committed before the failure.
fn before(committed: &[i64]) -> String {
    match committed {
        [] => String::new(),
        [one] => format!("; this run applied migration {one} before it (committed)"),
        many => format!(
            "; this run applied migrations {} before it (committed)",
            list(many, i64::to_string)
        ),
    }
}

fn section_name(direction: &Direction) -> &'static str {
    match direction {
        Direction::Up => "UP",
        Direction::Down => "DOWN",
    }
}

/// Everything `run`, `rollback`, `status` and `dry_run` can fail with.
///
/// Variants that concern one migration name its version and its file (`path:line:col` for
/// database errors, mapped from the server's error position). The checks made before
/// anything runs ([`Error::Divergent`], [`Error::Missing`], [`Error::OutOfOrder`],
/// [`Error::NoDown`]) list every offender at once.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Talking to the database failed outside any migration (connecting, the history table,
    /// the lock).
    #[error("database error: {0}")]
    Database(#[source] DbError),

    /// A migration's UP failed. Nothing of it was applied: it ran in a transaction with its
    /// history row (or, for a no-transaction migration, its first statement failed). One
    /// exception, said in the message: when the connection was lost
    /// ([`DbError::is_connection_lost`]) the COMMIT may have reached the server first.
    #[error("migration {version} ({location}) failed: {error}{}{}", lost(.error), before(.committed))]
    Migration {
        /// The migration's version.
        version: i64,
        /// The migration's name.
        name: String,
        /// The file, line and column of the failure.
        location: Location,
        /// What the database said.
        #[source]
        error: DbError,
        /// The migrations this run applied and committed before it, in order (recorded in
        /// the history; they stay applied). Empty for a rollback.
        committed: Vec<i64>,
    },

    /// A migration run outside a transaction (`no-transaction`, or on MySQL one whose
    /// statements commit by themselves) failed part-way, applying (UP) or rolling back (DOWN):
    /// the statements before `failed_statement` ran and stay in effect, and the history is
    /// unchanged (an UP is not recorded as applied; a DOWN leaves it recorded).
    #[error(
        "migration {version} {name}, run outside a transaction: {dir} statement {failed_statement} of {total} ({location}) failed: {error}; \
         {ran}; the history table is unchanged{}",
        before(.committed),
        dir = section_name(.direction),
        ran = lines(.completed_lines)
    )]
    PartiallyApplied {
        /// The migration's version.
        version: i64,
        /// The migration's name.
        name: String,
        /// Which section was running.
        direction: Direction,
        /// The file, line and column of the failure.
        location: Location,
        /// 1-based number of the statement that failed.
        failed_statement: usize,
        /// Number of statements in the section.
        total: usize,
        /// File lines of the statements that ran (and stay in effect), in order.
        completed_lines: Vec<u32>,
        /// The migrations this run applied and committed before it, in order. Empty for a
        /// rollback.
        committed: Vec<i64>,
        /// What the database said.
        #[source]
        error: DbError,
    },

    /// Every statement of a migration run outside a transaction ran, but recording it (UP: inserting
    /// the history row; DOWN: deleting it) failed. The schema changed; the history did not.
    #[error(
        "migration {version} {name} ({path}), run outside a transaction: every {dir} statement ran but updating the history table failed: {error}",
        dir = section_name(.direction)
    )]
    Unrecorded {
        /// The migration's version.
        version: i64,
        /// The migration's name.
        name: String,
        /// Which section ran.
        direction: Direction,
        /// The migration's file.
        path: String,
        /// What the database said.
        #[source]
        error: DbError,
    },

    /// `adopt`: the other tool's history table is not there.
    #[error(
        "no {tool} history here: table {table} does not exist (name it with `--table [schema.]table` if {tool} was configured with another)"
    )]
    ForeignHistoryMissing {
        /// The tool.
        tool: &'static str,
        /// The table looked for, quoted.
        table: String,
    },

    /// `adopt`: the other tool's history is in a state the tool itself would not go on from.
    #[error(
        "{tool}'s history is not clean: {what}; {remedy}. strata adopts only a clean history and never changes {tool}'s table"
    )]
    ForeignDirty {
        /// The tool.
        tool: &'static str,
        /// What is wrong.
        what: String,
        /// The tool's own remedy.
        remedy: String,
    },

    /// `adopt`: the other tool's history does not match this directory (names differ,
    /// versions strata cannot number, another tool's layout).
    #[error("{tool}'s history does not match the migrations here: {}", .problems.join("; "))]
    ForeignMismatch {
        /// The tool.
        tool: &'static str,
        /// Each problem.
        problems: Vec<String>,
    },

    /// `baseline` / `adopt` / `repair --mark-applied` would record migrations as applied,
    /// but some are recorded already with another checksum than their files (edited since).
    #[error("cannot record migrations as applied: already recorded with another checksum than the file (edited since): {}; restore the files, or accept each edit with `strata repair --accept-checksum VERSION` (library: `accept_checksum`)", list(.0, |d| format!("{} ({})", d.version, d.path)))]
    RecordedDifferently(Vec<Divergence>),

    /// `repair` refused: the migration is not in the state the repair is for.
    #[error("cannot repair migration {version}: {reason}")]
    Repair {
        /// The migration's version.
        version: i64,
        /// Why, and what to do instead.
        reason: String,
    },

    /// `verify` was pointed at a database where migrations are already applied: it applies
    /// and rolls back every migration, so it runs only on a scratch database.
    #[error(
        "verify applies and rolls back every migration, so it needs a database where none is applied; this one has {applied} applied: point it at a scratch database (`strata verify` creates and drops one)"
    )]
    NotScratch {
        /// How many migrations the history table records.
        applied: usize,
    },

    /// Rolling back a migration failed; it stays applied.
    #[error("rolling back migration {version} ({location}) failed: {error}")]
    Rollback {
        /// The migration's version.
        version: i64,
        /// The migration's name.
        name: String,
        /// The file (or stored DOWN), line and column of the failure.
        location: Location,
        /// What the database said.
        #[source]
        error: DbError,
    },

    /// Applied migrations whose file changed since (checksum differs). Nothing ran.
    #[error("applied migrations were changed since they ran (checksum differs): {}; restore them, or opt out with `allow_divergent(true)` (CLI: `--allow-divergent`)", list(.0, |d| format!("{} ({})", d.version, d.path)))]
    Divergent(Vec<Divergence>),

    /// Applied migrations this binary does not embed. Nothing ran.
    #[error("the database has migrations this binary does not know: {}; deploy a binary that has them, or opt out with `allow_missing(true)` (CLI: `--allow-missing`)", list(.0, |m| format!("{} {}", m.version, m.name)))]
    Missing(Vec<MigrationRef>),

    /// Pending migrations older than the newest applied one. Nothing ran.
    #[error("pending migrations are older than the newest applied one ({highest_applied}): {}; renumber them, or opt out with `allow_out_of_order(true)` (CLI: `--allow-out-of-order`)", list(.pending, |m| format!("{} {}", m.version, m.name)))]
    OutOfOrder {
        /// The highest applied version.
        highest_applied: i64,
        /// Every pending migration below it.
        pending: Vec<MigrationRef>,
    },

    /// Migrations chosen for rollback have no DOWN, neither embedded nor stored. Nothing ran.
    #[error("cannot roll back: no DOWN SQL, neither embedded nor stored, for migration(s) {}", list(.0, |m| format!("{} {}", m.version, m.name)))]
    NoDown(Vec<MigrationRef>),

    /// `runner().target(v)` names a version this binary does not embed.
    #[error("target version {0} is not a known migration")]
    UnknownTarget(i64),

    /// Another runner held the migration lock longer than `lock_timeout`.
    #[error("gave up waiting {waited:?} for the migration lock{}", .holder.as_ref().map(|h| format!(" held by {h}")).unwrap_or_default())]
    LockTimeout {
        /// How long this runner waited.
        waited: Duration,
        /// Who held it (`pid 123 (application_name)`), when the server said.
        holder: Option<String>,
    },

    /// The advisory lock was taken, and the next statement found this session did not hold
    /// it: a proxy ran them on different server connections (PgBouncer's transaction
    /// pooling, say), so the lock cannot exclude other runners. Nothing was migrated.
    #[error(
        "took the advisory lock but the next statement ran in a session that does not hold it: \
         a transaction-pooling proxy (PgBouncer with pool_mode = transaction, ...) is between \
         this runner and PostgreSQL, where a session lock cannot work; nothing was migrated. \
         Use the table lease: lock = \"table\" in strata.toml, --lock table in the CLI, or \
         Runner::lock(LockStrategy::Table)"
    )]
    SessionLockNotHeld,

    /// `--format d1` (a Cloudflare D1 script) asked of a database that is not SQLite.
    #[error("a D1 script is SQLite: this connection is {dialect}; use --format sql")]
    ScriptDialect {
        /// The connection's dialect.
        dialect: &'static str,
    },

    /// The migration lease expired and another runner took it before this run finished.
    /// Migrations this run applied stay applied and recorded; `next` did not start.
    #[error(
        "the migration lease expired and another runner took it; stopped before migration \
         {next}. A migration outlasted the lease: raise the lease length (--lease-ttl, \
         Runner::lease_ttl) or renew it from a second connection (Runner::run_with_heartbeat; \
         the CLI always does)"
    )]
    LeaseLost {
        /// The version that was about to run.
        next: i64,
    },

    /// The database does not accept writes, so `up` / `down` changed nothing: it is a read
    /// replica, or the session is read-only. Status and dry runs still work there.
    #[error("the database does not accept writes ({reason}: {error}); nothing was changed: {}", reason.advice())]
    ReadOnly {
        /// Why, as the database says.
        reason: crate::driver::ReadOnly,
        /// What the database said when the first write was tried.
        #[source]
        error: DbError,
    },

    /// The role may not create the history table. Nothing was changed. A role that may
    /// read and write an existing history table works: create it once as its owner.
    #[error(
        "cannot create the history table {table}: {error}; grant this role CREATE on the schema, or have the schema's owner create the table once:\n{ddl}"
    )]
    CannotCreateHistory {
        /// The quoted table.
        table: String,
        /// The statement that creates it, to run as a role that may.
        ddl: String,
        /// What the database said.
        #[source]
        error: DbError,
    },

    /// A history table schema or name that is not a plain identifier.
    #[error("invalid history table identifier `{0}`: must match [A-Za-z_][A-Za-z0-9_]{{0,62}}")]
    InvalidIdentifier(String),

    /// The history table has a newer layout than this runtime knows: a newer strata
    /// upgraded it. Nothing ran.
    #[error(
        "history table {table} has layout {found}, newer than this strata understands ({supported}); deploy a binary built with the strata that upgraded it"
    )]
    HistoryLayout {
        /// The quoted table.
        table: String,
        /// The layout found.
        found: i64,
        /// The newest layout this runtime knows.
        supported: i64,
    },
}

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The file, line and column the error is about, for the variants about one place in a
    /// migration (a failed statement; a rollback's DOWN).
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::Migration { location, .. }
            | Error::PartiallyApplied { location, .. }
            | Error::Rollback { location, .. } => Some(location),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> DbError {
        DbError::new("42703", "column \"nope\" does not exist")
    }

    #[test]
    fn partial_failures_say_what_ran_and_what_failed() {
        let error = Error::PartiallyApplied {
            version: 2,
            name: "indexes".into(),
            direction: Direction::Up,
            location: Location {
                path: "m/002_indexes.sql".into(),
                line: Some(4),
                column: Some(39),
            },
            failed_statement: 2,
            total: 3,
            completed_lines: vec![3],
            error: db(),
            committed: Vec::new(),
        };
        assert_eq!(
            error.to_string(),
            "migration 2 indexes, run outside a transaction: UP statement 2 of 3 (m/002_indexes.sql:4:39) failed: \
             [42703] column \"nope\" does not exist; the statement at line 3 ran and stays in effect; \
             the history table is unchanged"
        );
    }

    #[test]
    fn migration_errors_name_version_file_line_and_sqlstate() {
        let error = Error::Migration {
            version: 3,
            name: "three".into(),
            location: Location {
                path: "m/003_three.sql".into(),
                line: Some(4),
                column: Some(39),
            },
            error: db(),
            committed: vec![1, 2],
        };
        assert_eq!(
            error.to_string(),
            "migration 3 (m/003_three.sql:4:39) failed: [42703] column \"nope\" does not exist; \
             this run applied migrations 1, 2 before it (committed)"
        );
    }

    #[test]
    fn a_lost_connection_says_what_it_means_for_the_migration() {
        let lost = |code: &str| Error::Migration {
            version: 2,
            name: "in_flight".into(),
            location: Location {
                path: "m/002_in_flight.sql".into(),
                line: Some(5),
                column: Some(1),
            },
            error: DbError::new(code, "terminating connection"),
            committed: Vec::new(),
        };
        for code in ["57P01", DbError::CONNECTION_FAILURE, "08003"] {
            let text = lost(code).to_string();
            assert!(
                text.starts_with("migration 2 (m/002_in_flight.sql:5:1) failed: ["),
                "{text}"
            );
            assert!(text.contains("the connection was lost: re-run"), "{text}");
        }
        assert!(!lost("42703").to_string().contains("connection was lost"));
    }

    #[test]
    fn the_client_error_stays_reachable_as_the_source() {
        use std::error::Error as _;
        let io = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "socket closed");
        let error = Error::Database(DbError::new("08006", "connection closed").with_source(io));
        let db = error.source().expect("the DbError");
        let cause = db.source().expect("the client's error");
        assert_eq!(
            cause.downcast_ref::<std::io::Error>().map(|e| e.kind()),
            Some(std::io::ErrorKind::BrokenPipe)
        );
    }
}
