//! The history table: its name (validated, then quoted) and the rows read from it.

use strata_core::config::{DEFAULT_HISTORY_TABLE, is_valid_identifier};

use crate::error::{Error, Result};

/// A validated, quotable history table name (default `strata_migrations`, no schema).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryTable {
    schema: Option<String>,
    table: String,
}

impl Default for HistoryTable {
    fn default() -> Self {
        HistoryTable {
            schema: None,
            table: DEFAULT_HISTORY_TABLE.to_string(),
        }
    }
}

impl HistoryTable {
    /// Validates both identifiers before any SQL is built with them.
    pub fn new(schema: Option<&str>, table: &str) -> Result<Self> {
        for name in schema.into_iter().chain([table]) {
            if !is_valid_identifier(name) {
                return Err(Error::InvalidIdentifier(name.to_string()));
            }
        }
        Ok(HistoryTable {
            schema: schema.map(str::to_string),
            table: table.to_string(),
        })
    }

    /// The schema, if one is configured (else the connection's `search_path` decides).
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// `"schema"."table"` or `"table"`; safe because both were validated.
    pub fn quoted(&self) -> String {
        match &self.schema {
            Some(schema) => format!("\"{schema}\".\"{}\"", self.table),
            None => format!("\"{}\"", self.table),
        }
    }

    /// A stable 64-bit key for PostgreSQL's advisory lock: the first 8 bytes (big-endian) of
    /// SHA-256 over `strata:<schema>.<table>`, the same in every process and version.
    pub fn lock_key(&self) -> i64 {
        use sha2::{Digest, Sha256};
        let name = format!(
            "strata:{}.{}",
            self.schema.as_deref().unwrap_or(""),
            self.table
        );
        let digest = Sha256::digest(name.as_bytes());
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        i64::from_be_bytes(bytes)
    }
}

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// Primary key.
    pub version: i64,
    /// The name at apply time.
    pub name: String,
    /// The checksum at apply time (hex SHA-256 over the SQL tokens).
    pub checksum: String,
    /// The DOWN SQL at apply time, so a binary that lacks the migration can still roll it back.
    pub down_sql: Option<String>,
    /// Whether it ran in a transaction (a stored DOWN runs the same way).
    pub transactional: bool,
    /// UTC, RFC 3339 (`2026-11-22T20:24:25.123Z`).
    pub applied_at: String,
    /// How long the UP took.
    pub execution_ms: i64,
}

/// A SQL string literal (`E'...'`), escaping quotes and backslashes, for simple-query
/// batches that cannot carry parameters.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn literal(text: &str) -> String {
    format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_validated_before_quoting() {
        assert_eq!(
            HistoryTable::new(Some("ops"), "history")
                .expect("valid")
                .quoted(),
            "\"ops\".\"history\""
        );
        assert!(matches!(
            HistoryTable::new(None, "x\"; DROP TABLE users; --"),
            Err(Error::InvalidIdentifier(_))
        ));
        assert!(matches!(
            HistoryTable::new(Some("a b"), "t"),
            Err(Error::InvalidIdentifier(_))
        ));
    }

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        let a = HistoryTable::default().lock_key();
        assert_eq!(a, HistoryTable::default().lock_key());
        assert_ne!(
            a,
            HistoryTable::new(Some("other"), "strata_migrations")
                .expect("valid")
                .lock_key()
        );
    }

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(literal(r"it's a \ test"), r"E'it''s a \\ test'");
    }
}
