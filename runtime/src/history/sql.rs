//! Every statement of the history protocol, built for a backend's dialect. One layout for
//! every backend; only types, literals and the clock differ.
//!
//! Layout 2 (this one): `version` (primary key), `name`, `checksum`, `down_sql`,
//! `transactional`, `applied_at`, `execution_ms`, `chain` (the prefix digest of the list that
//! applied the row), `history_count` (the row count when the row went on top; NULL once
//! unknown), `layout` (the table's layout version, the column's default, so the start-up probe
//! reads it from the row it reads anyway). Layout 1 is what strata 0.1 created before the
//! layout had a version: PostgreSQL without `layout`, SQLite also without `chain` and
//! `history_count`. Each later change adds one step to [`HistorySql::upgrade`].

use std::time::Duration;

use strata_model::Dialect;
use strata_model::migration::Migration;

use super::HistoryTable;

/// The layout this runtime writes and reads.
pub(crate) const LAYOUT: i64 = 2;

/// What the inserted row stores as `history_count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    /// The runner holds the session lock and knows the count once this row is on top.
    Known(i64),
    /// Applied below a recorded version: NULL, and the rows above stop vouching too.
    OutOfOrder,
    /// No session lock (SQLite): the statement counts, inside the migration's transaction.
    InSql,
}

/// How the row's `execution_ms` is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Execution {
    /// By the server: from the transaction's start to now (PostgreSQL, whole-batch sends).
    Server,
    /// By the client.
    Measured(Duration),
}

/// The history protocol's SQL for one table on one dialect.
#[derive(Debug, Clone)]
pub(crate) struct HistorySql {
    table: HistoryTable,
    quoted: String,
    dialect: Dialect,
    /// Runs before every history write when the run holds a table lease (`lease.rs`).
    fence: Option<String>,
    /// How rows this run inserts came to be (`baseline`, `adopted from flyway`, ...), for
    /// runs that record migrations without running them; written to the `origin` column,
    /// which [`HistorySql::admin_columns`] adds.
    origin: Option<String>,
}

impl HistorySql {
    pub(crate) fn new(table: &HistoryTable, dialect: Dialect) -> Self {
        HistorySql {
            quoted: table.quoted_in(dialect),
            table: table.clone(),
            dialect,
            fence: None,
            origin: None,
        }
    }

    /// The same SQL, inserting rows marked with `origin`.
    pub(crate) fn with_origin(mut self, origin: Option<&str>) -> Self {
        self.origin = origin.map(str::to_string);
        self
    }

    /// The columns the day-2 operations write, beside layout 2 (which older runtimes keep
    /// reading and writing: they name their columns): `origin` (how a row came to be, NULL
    /// for a run) and `previous_checksum` (what `repair --accept-checksum` replaced). A
    /// guard returning a row when both exist, and the statements adding them.
    pub(crate) fn admin_columns(&self) -> (String, Vec<String>) {
        self.add_columns(&[
            ("origin", "text".into(), "TEXT".into()),
            ("previous_checksum", "text".into(), "TEXT".into()),
        ])
    }

    /// A guard returning a row when the last of `columns` (name, PostgreSQL and MySQL
    /// type, SQLite type) exists, and the statements adding those missing, in one
    /// transaction. `ADD COLUMN IF NOT EXISTS` makes two PostgreSQL runners at once
    /// harmless; SQLite's write lock serializes them and the second one's guard sees the
    /// column; on MySQL the session lock does.
    fn add_columns(&self, columns: &[(&str, String, String)]) -> (String, Vec<String>) {
        let q = &self.quoted;
        let last = columns.last().map_or("", |c| c.0);
        if self.dialect == Dialect::Mysql {
            let schema = self
                .table
                .schema()
                .map_or_else(|| "DATABASE()".to_string(), |s| format!("'{s}'"));
            let adds: Vec<String> = columns
                .iter()
                .map(|(name, ty, _)| format!("ADD COLUMN {name} {ty}"))
                .collect();
            return (
                format!(
                    "SELECT 1 FROM information_schema.columns WHERE table_schema = {schema} \
                     AND table_name = '{}' AND column_name = '{last}'",
                    self.table.table()
                ),
                vec![format!("ALTER TABLE {q} {}", adds.join(", "))],
            );
        }
        if self.dialect == Dialect::Postgres {
            let regclass = self.quoted.replace('\'', "''");
            let adds: Vec<String> = columns
                .iter()
                .map(|(name, ty, _)| format!("ADD COLUMN IF NOT EXISTS {name} {ty}"))
                .collect();
            (
                format!(
                    "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('{regclass}') \
                     AND attname = '{last}' AND NOT attisdropped"
                ),
                vec![format!("ALTER TABLE {q} {}", adds.join(", "))],
            )
        } else {
            let schema = self
                .table
                .schema()
                .map(|s| format!(", '{s}'"))
                .unwrap_or_default();
            (
                format!(
                    "SELECT 1 FROM pragma_table_info('{}'{schema}) WHERE name = '{last}'",
                    self.table.table()
                ),
                columns
                    .iter()
                    .map(|(name, _, ty)| format!("ALTER TABLE {q} ADD COLUMN {name} {ty}"))
                    .collect(),
            )
        }
    }

    /// The rows the day-2 operations marked: version, origin, previous_checksum. Fails on a
    /// table without those columns (nothing was ever marked).
    pub(crate) fn select_marks(&self) -> String {
        format!(
            "SELECT version, origin, previous_checksum FROM {} \
             WHERE origin IS NOT NULL OR previous_checksum IS NOT NULL ORDER BY version",
            self.quoted
        )
    }

    /// The dialect this SQL is built for.
    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// `<table>_lease`, quoted for this dialect.
    pub(crate) fn lease_quoted(&self) -> String {
        self.table.lease_quoted(self.dialect)
    }

    /// `<table>_failure`, quoted for this dialect.
    pub(crate) fn failure_quoted(&self) -> String {
        self.table.failure_quoted(self.dialect)
    }

    /// `parts` concatenated (MySQL's `||` is a logical OR).
    pub(crate) fn concat(&self, parts: &[&str]) -> String {
        if self.dialect == Dialect::Mysql {
            format!("CONCAT({})", parts.join(", "))
        } else {
            parts.join(" || ")
        }
    }

    /// The same SQL with `fence` before every history write: the statement that fails
    /// unless this run still holds its lease (and holds off a takeover until the write
    /// commits).
    pub(crate) fn fenced(&self, fence: &str) -> Self {
        HistorySql {
            fence: Some(fence.to_string()),
            ..self.clone()
        }
    }

    /// The quoted table name, as error messages show it.
    pub(crate) fn quoted(&self) -> &str {
        &self.quoted
    }

    /// A string literal. PostgreSQL's `E'...'` escapes backslashes too, whatever
    /// `standard_conforming_strings` says; elsewhere quotes are doubled. On MySQL a backslash
    /// means one thing or another depending on `NO_BACKSLASH_ESCAPES`, so text with one is
    /// sent as hex, which means the same bytes in every mode.
    pub(crate) fn literal(&self, text: &str) -> String {
        match self.dialect {
            Dialect::Postgres => {
                format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
            }
            Dialect::Mysql if text.contains('\\') => {
                let hex: String = text.bytes().map(|b| format!("{b:02x}")).collect();
                format!("CONVERT(X'{hex}' USING utf8mb4)")
            }
            _ => format!("'{}'", text.replace('\'', "''")),
        }
    }

    fn optional_literal(&self, text: Option<&str>) -> String {
        text.map_or_else(|| "NULL".to_string(), |t| self.literal(t))
    }

    /// The start-up probe: the top row's version, chain, count and layout, one primary-key
    /// index probe whatever the history's length; no row when the table is empty.
    pub(crate) fn probe(&self) -> String {
        format!(
            "SELECT version, chain, history_count, layout FROM {} ORDER BY version DESC LIMIT 1",
            self.quoted
        )
    }

    /// Every row, by version: version, name, checksum, down_sql, transactional, applied_at
    /// (milliseconds since the Unix epoch), execution_ms; with `layout`, that column last,
    /// so a table of an older layout fails the read (and gets upgraded) before a write.
    /// Without it only layout-1 columns are named, so a read-only look works on a table this
    /// runtime has not upgraded.
    pub(crate) fn select_rows(&self, layout: bool) -> String {
        let applied_at = match self.dialect {
            Dialect::Postgres => "(extract(epoch from applied_at) * 1000)::bigint",
            // DATETIME holds UTC (written with UTC_TIMESTAMP): no session time zone involved.
            Dialect::Mysql => "TIMESTAMPDIFF(MICROSECOND, '1970-01-01', applied_at) DIV 1000",
            _ => "CAST(round((julianday(applied_at) - 2440587.5) * 86400000.0) AS INTEGER)",
        };
        format!(
            "SELECT version, name, checksum, down_sql, transactional, {applied_at}, execution_ms{} \
             FROM {} ORDER BY version",
            if layout { ", layout" } else { "" },
            self.quoted
        )
    }

    /// Creates the table (and on PostgreSQL and MySQL its schema) when missing.
    pub(crate) fn create(&self) -> Vec<String> {
        if self.dialect == Dialect::Mysql {
            let schema = self
                .table
                .schema()
                .map(|s| format!("CREATE DATABASE IF NOT EXISTS `{s}`"));
            let table = format!(
                "CREATE TABLE IF NOT EXISTS {} (version BIGINT NOT NULL PRIMARY KEY, \
                 name TEXT NOT NULL, checksum TEXT NOT NULL, down_sql LONGTEXT, \
                 transactional BOOLEAN NOT NULL, applied_at DATETIME(3) NOT NULL, \
                 execution_ms BIGINT NOT NULL, chain TEXT, history_count BIGINT, \
                 layout SMALLINT NOT NULL DEFAULT {LAYOUT}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
                self.quoted
            );
            return schema.into_iter().chain([table]).collect();
        }
        vec![if self.dialect == Dialect::Postgres {
            let schema = self
                .table
                .schema()
                .map(|s| format!("CREATE SCHEMA IF NOT EXISTS \"{s}\";"))
                .unwrap_or_default();
            format!(
                "DO $strata$ BEGIN IF to_regclass('{quoted}') IS NULL THEN {schema} \
                 CREATE TABLE IF NOT EXISTS {quoted} (version bigint PRIMARY KEY, name text NOT NULL, \
                 checksum text NOT NULL, down_sql text, transactional boolean NOT NULL, \
                 applied_at timestamptz NOT NULL DEFAULT now(), execution_ms bigint NOT NULL, \
                 chain text, history_count bigint, layout smallint NOT NULL DEFAULT {LAYOUT}); \
                 END IF; END $strata$",
                quoted = self.quoted
            )
        } else {
            format!(
                "CREATE TABLE IF NOT EXISTS {} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, \
                 checksum TEXT NOT NULL, down_sql TEXT, transactional INTEGER NOT NULL, \
                 applied_at TEXT NOT NULL, execution_ms INTEGER NOT NULL, chain TEXT, \
                 history_count INTEGER, layout INTEGER NOT NULL DEFAULT {LAYOUT})",
                self.quoted
            )
        }]
    }

    /// From layout 1 to 2: a guard that returns a row when the table is already upgraded,
    /// and the statements, run in one transaction.
    pub(crate) fn upgrade(&self) -> (String, Vec<String>) {
        self.add_columns(&[
            ("chain", "text".into(), "TEXT".into()),
            ("history_count", "bigint".into(), "INTEGER".into()),
            (
                "layout",
                format!("smallint NOT NULL DEFAULT {LAYOUT}"),
                format!("INTEGER NOT NULL DEFAULT {LAYOUT}"),
            ),
        ])
    }

    /// Returns a row when `version` is recorded (a transaction's guard: another runner applied
    /// it meanwhile).
    pub(crate) fn recorded(&self, version: i64) -> String {
        format!("SELECT 1 FROM {} WHERE version = {version}", self.quoted)
    }

    /// Returns a row when `version` is not recorded (another runner rolled it back meanwhile).
    pub(crate) fn not_recorded(&self, version: i64) -> String {
        format!(
            "SELECT 1 FROM (SELECT 1 AS one) AS one WHERE NOT EXISTS \
             (SELECT 1 FROM {} WHERE version = {version})",
            self.quoted
        )
    }

    /// Keeps the invariant the start-up probe relies on: the top row's `history_count`, when
    /// not NULL, is the number of rows. A row is inserted or deleted below others only out of
    /// order: every row above it stops vouching for the count. A no-op in order.
    fn invalidate_above(&self, version: i64) -> String {
        format!(
            "UPDATE {} SET history_count = NULL WHERE version > {version} AND history_count IS NOT NULL",
            self.quoted
        )
    }

    /// PostgreSQL: this transaction's commit does not wait for the WAL flush. The run's last
    /// migration commits synchronously and PostgreSQL flushes its WAL in order, so that flush
    /// covers every earlier one; a crash before it loses a tail of whole migrations, each with
    /// its history row. Other backends: nothing.
    pub(crate) fn asynchronous_commit(&self) -> Option<&'static str> {
        (self.dialect == Dialect::Postgres).then_some("SET LOCAL synchronous_commit TO off")
    }

    /// Records `migration`: the statements to run, the last an INSERT returning
    /// `execution_ms`.
    pub(crate) fn insert(
        &self,
        migration: &Migration,
        count: Count,
        execution: Execution,
    ) -> Vec<String> {
        let version = migration.version();
        let mut statements: Vec<String> = self.fence.iter().cloned().collect();
        let count = match count {
            Count::Known(count) => count.to_string(),
            Count::OutOfOrder => {
                statements.push(self.invalidate_above(version));
                "NULL".to_string()
            }
            Count::InSql => {
                statements.push(self.invalidate_above(version));
                format!(
                    "CASE WHEN EXISTS (SELECT 1 FROM {q} WHERE version > {version}) THEN NULL \
                     ELSE (SELECT count(*) FROM {q}) + 1 END",
                    q = self.quoted
                )
            }
        };
        let execution = match (execution, self.dialect) {
            (Execution::Server, Dialect::Postgres) => {
                "(extract(epoch from (clock_timestamp() - now())) * 1000)::bigint".to_string()
            }
            // The MySQL backend sets @strata_started when its transaction starts.
            (Execution::Server, Dialect::Mysql) => {
                "COALESCE(TIMESTAMPDIFF(MICROSECOND, @strata_started, SYSDATE(6)) DIV 1000, 0)"
                    .to_string()
            }
            (Execution::Measured(elapsed), _) => millis(elapsed).to_string(),
            (Execution::Server, _) => "0".to_string(),
        };
        let now = match self.dialect {
            Dialect::Postgres => "now()",
            Dialect::Mysql => "UTC_TIMESTAMP(3)",
            _ => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        };
        // MySQL has no INSERT ... RETURNING (MariaDB does, MySQL 8 does not).
        let returning = if self.dialect == Dialect::Mysql {
            ""
        } else {
            " RETURNING execution_ms"
        };
        let (origin_column, origin) = match &self.origin {
            Some(origin) => (", origin", format!(", {}", self.literal(origin))),
            None => ("", String::new()),
        };
        statements.push(format!(
            "INSERT INTO {} (version, name, checksum, down_sql, transactional, applied_at, \
             execution_ms, chain, history_count, layout{origin_column}) \
             VALUES ({version}, {}, {}, {}, {}, {now}, {execution}, {}, {count}, {LAYOUT}{origin})\
             {returning}",
            self.quoted,
            self.literal(migration.name()),
            self.literal(migration.checksum()),
            self.optional_literal(migration.down()),
            if migration.transactional() {
                "TRUE"
            } else {
                "FALSE"
            },
            self.optional_literal(migration.prefix_digest()),
        ));
        statements
    }

    /// Forgets `version` (a rollback), and stops the rows above vouching for the count.
    pub(crate) fn delete(&self, version: i64) -> Vec<String> {
        let mut statements: Vec<String> = self.fence.iter().cloned().collect();
        statements.push(format!(
            "DELETE FROM {} WHERE version = {version}",
            self.quoted
        ));
        statements.push(self.invalidate_above(version));
        statements
    }
}

/// Whole milliseconds, saturating.
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {

    use super::*;

    fn migration() -> Migration {
        const UP: &str = "SELECT 1;";
        let up = strata_model::test_support::section(UP, 0, UP.len() as u32, "m/1_x.sql", 1, &[]);
        strata_model::test_support::migration(1, "it's", up, None, "abc", true)
    }

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        let pg = HistorySql::new(&HistoryTable::default(), Dialect::Postgres);
        assert_eq!(pg.literal(r"it's a \ test"), r"E'it''s a \\ test'");
        let sqlite = HistorySql::new(&HistoryTable::default(), Dialect::Sqlite);
        assert_eq!(sqlite.literal(r"it's a \ test"), r"'it''s a \ test'");
    }

    #[test]
    fn inserts_quote_every_value_and_keep_the_count() {
        let pg = HistorySql::new(&HistoryTable::default(), Dialect::Postgres);
        let on_top = pg.insert(
            &migration(),
            Count::Known(4),
            Execution::Measured(Duration::ZERO),
        );
        assert_eq!(on_top.len(), 1);
        assert!(
            on_top[0].starts_with("INSERT INTO \"strata_migrations\""),
            "{on_top:?}"
        );
        assert!(
            on_top[0].contains("VALUES (1, E'it''s', E'abc', NULL, TRUE, now(), 0, NULL, 4, 2)"),
            "{on_top:?}"
        );
        let out_of_order = pg.insert(&migration(), Count::OutOfOrder, Execution::Server);
        assert!(
            out_of_order[0].starts_with(
                "UPDATE \"strata_migrations\" SET history_count = NULL WHERE version > 1"
            ),
            "{out_of_order:?}"
        );
        assert!(
            out_of_order[1].contains("clock_timestamp()"),
            "{out_of_order:?}"
        );
        assert!(
            out_of_order[1].contains(", NULL, 2) RETURNING"),
            "{out_of_order:?}"
        );
        let sqlite = HistorySql::new(&HistoryTable::default(), Dialect::Sqlite);
        let counted = sqlite.insert(
            &migration(),
            Count::InSql,
            Execution::Measured(Duration::from_millis(7)),
        );
        assert!(counted[1].contains("strftime("), "{counted:?}");
        assert!(
            counted[1].contains(", 7, NULL, CASE WHEN EXISTS"),
            "{counted:?}"
        );
    }
}
