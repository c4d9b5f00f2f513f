//! Where the runtime keeps its history: `[history]` in strata.toml, `--history-table` in the
//! CLI, the macro's `table = ...`; one validation for all of them.

pub const DEFAULT_HISTORY_TABLE: &str = "strata_migrations";

/// Where the runtime keeps its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub schema: Option<String>,
    pub table: String,
}

impl Default for History {
    fn default() -> Self {
        History {
            schema: None,
            table: DEFAULT_HISTORY_TABLE.to_string(),
        }
    }
}

/// Whether `name` is a safe SQL identifier for the history table or schema:
/// `[A-Za-z_][A-Za-z0-9_]{0,62}`.
pub fn is_valid_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 63
}

/// How runners exclude each other (`lock = "..."` in strata.toml, `--lock` in the CLI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockStrategy {
    /// PostgreSQL's session advisory lock: nothing to create, released when the session ends.
    /// Needs a session of its own (no transaction-pooling proxy in between).
    #[default]
    Advisory,
    /// A lease row in a table beside the history, taken and renewed by single statements, so
    /// every statement may run on another server connection (PgBouncer's transaction
    /// pooling, engines without advisory locks).
    Table,
}

impl LockStrategy {
    pub const ALL: [LockStrategy; 2] = [LockStrategy::Advisory, LockStrategy::Table];

    pub fn name(self) -> &'static str {
        match self {
            LockStrategy::Advisory => "advisory",
            LockStrategy::Table => "table",
        }
    }

    pub fn from_name(name: &str) -> Option<LockStrategy> {
        LockStrategy::ALL.into_iter().find(|l| l.name() == name)
    }
}
