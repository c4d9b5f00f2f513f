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
