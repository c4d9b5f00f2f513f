//! The history table: its name (validated once, then quoted), its rows, and the SQL of the
//! protocol that keeps it (`sql.rs`), for every backend alike.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use strata_model::Dialect;
use strata_model::history_table::{DEFAULT_HISTORY_TABLE, History, is_valid_identifier};

use crate::error::{Error, Result};

pub(crate) mod sql;

/// A validated history table name (default `strata_migrations`, no schema): both identifiers
/// match `[A-Za-z_][A-Za-z0-9_]{0,62}`, so quoting them is safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryTable {
    schema: Option<Cow<'static, str>>,
    table: Cow<'static, str>,
}

impl Default for HistoryTable {
    fn default() -> Self {
        HistoryTable {
            schema: None,
            table: Cow::Borrowed(DEFAULT_HISTORY_TABLE),
        }
    }
}

impl HistoryTable {
    /// Validates both identifiers before any SQL is built with them
    /// ([`Error::InvalidIdentifier`]).
    pub fn new(schema: Option<&str>, table: &str) -> Result<Self> {
        for name in schema.into_iter().chain([table]) {
            if !is_valid_identifier(name) {
                return Err(Error::InvalidIdentifier(name.to_string()));
            }
        }
        Ok(HistoryTable {
            schema: schema.map(|s| Cow::Owned(s.to_string())),
            table: Cow::Owned(table.to_string()),
        })
    }

    /// What `embed_migrations!` expands to: names `strata.toml` gave, which the macro's
    /// config check validated with the same rule at build time.
    #[doc(hidden)]
    pub const fn from_validated(schema: Option<&'static str>, table: &'static str) -> Self {
        let schema = match schema {
            Some(schema) => Some(Cow::Borrowed(schema)),
            None => None,
        };
        HistoryTable {
            schema,
            table: Cow::Borrowed(table),
        }
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
        self.quoted_in(Dialect::Postgres)
    }

    /// The name quoted as `dialect` quotes identifiers: MySQL's backticks (its double
    /// quotes are strings unless `ANSI_QUOTES` is set), standard double quotes elsewhere.
    pub fn quoted_in(&self, dialect: Dialect) -> String {
        self.quoted_beside(&self.table, dialect)
    }

    /// `name` quoted in the history table's schema (or none).
    fn quoted_beside(&self, name: &str, dialect: Dialect) -> String {
        let quote = if dialect == Dialect::Mysql { '`' } else { '"' };
        match &self.schema {
            Some(schema) => format!("{quote}{schema}{quote}.{quote}{name}{quote}"),
            None => format!("{quote}{name}{quote}"),
        }
    }

    /// The lease table beside the history (`lock = "table"`): `<table>_lease`, same schema.
    pub(crate) fn lease_quoted(&self, dialect: Dialect) -> String {
        self.quoted_beside(&self.lease_table(), dialect)
    }

    /// The lease table's bare name: `<table>_lease`.
    pub(crate) fn lease_table(&self) -> String {
        self.sibling("lease")
    }

    /// The table of part-way failures beside the history: `<table>_failure`, quoted.
    pub(crate) fn failure_quoted(&self, dialect: Dialect) -> String {
        self.quoted_beside(&self.sibling("failure"), dialect)
    }

    /// `<table>_<suffix>`: PostgreSQL cuts names at 63 bytes, so a long table name is
    /// shortened first and the sibling never becomes the history table itself (names are
    /// ASCII, validated).
    fn sibling(&self, suffix: &str) -> String {
        let keep = 63usize.saturating_sub(suffix.len() + 1);
        format!("{}_{suffix}", &self.table[..self.table.len().min(keep)])
    }

    /// A stable 64-bit key for a session lock: the first 8 bytes (big-endian) of SHA-256 over
    /// `strata:<schema>.<table>`, the same in every process and version.
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

impl TryFrom<&History> for HistoryTable {
    type Error = Error;

    /// `strata.toml`'s `[history]`, validated.
    fn try_from(history: &History) -> Result<Self> {
        HistoryTable::new(history.schema.as_deref(), &history.table)
    }
}

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// When it was applied (the server's clock), to the millisecond.
    pub applied_at: SystemTime,
    /// How long the UP took.
    pub execution: Duration,
}

impl AppliedMigration {
    /// A row as read from a history table (tests and tools that build histories by hand).
    pub fn new(version: i64, name: &str, checksum: &str) -> Self {
        AppliedMigration {
            version,
            name: name.to_string(),
            checksum: checksum.to_string(),
            down_sql: None,
            transactional: true,
            applied_at: SystemTime::UNIX_EPOCH,
            execution: Duration::ZERO,
        }
    }

    /// The same row with this stored DOWN.
    pub fn with_down_sql(mut self, down_sql: Option<&str>) -> Self {
        self.down_sql = down_sql.map(str::to_string);
        self
    }
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
        let config = History {
            schema: None,
            table: "bad name".into(),
        };
        assert!(HistoryTable::try_from(&config).is_err());
    }

    #[test]
    fn the_lease_table_is_never_the_history_table() {
        let long = "t".repeat(63);
        let table = HistoryTable::new(Some("ops"), &long).expect("valid");
        let lease = table.lease_quoted(Dialect::Postgres);
        assert_eq!(lease, format!("\"ops\".\"{}_lease\"", "t".repeat(57)));
        assert_ne!(lease, table.quoted());
        assert_eq!(
            HistoryTable::default().lease_quoted(Dialect::Postgres),
            "\"strata_migrations_lease\""
        );
        let failure = table.failure_quoted(Dialect::Postgres);
        assert_eq!(failure, format!("\"ops\".\"{}_failure\"", "t".repeat(55)));
        assert_eq!(
            HistoryTable::default().failure_quoted(Dialect::Mysql),
            "`strata_migrations_failure`"
        );
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
        assert_eq!(
            HistoryTable::from_validated(None, "strata_migrations").lock_key(),
            a
        );
    }
}
