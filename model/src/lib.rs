//! strata-model: what strata's runtime needs to know about migrations, and nothing that
//! parses SQL: the migration model, the compact form `embed_migrations!` expands to, byte
//! offset -> line/column, the history table's name, the prefix digests, and statement
//! boundaries of SQL read back from the history table (a lexer, not a parser).
//!
//! `strata-core` (build time: discovery, parsers, lints) builds on it and re-exports it, so
//! an application's normal dependency graph holds this crate and not the parsers.

// Vocabulary.
pub mod dialect;
pub mod history_table;
pub mod implicit_commit;
pub mod position;
pub mod tokens;

// Statement boundaries: the splitter, and the run-time lexer for stored SQL.
pub mod light_lexer;
pub mod statements;

// The model and its embedded form.
pub mod embedded;
pub mod migration;
pub mod prefix_digest;

// What a schema looks like to a catalog, compared between two moments.
pub mod schema_snapshot;

pub use dialect::Dialect;
pub use migration::{Migration, Section, Statement};

/// Statement texts of SQL that was not embedded, with their byte offsets (without the `;`).
pub fn split_stored(dialect: Dialect, sql: &str) -> Vec<(usize, &str)> {
    let tokens = light_lexer::lex(dialect, sql);
    statements::split(sql, &tokens, &(0..sql.len()), dialect)
        .into_iter()
        .filter_map(|s| Some((s.range.start, sql.get(s.range)?)))
        .collect()
}

/// Constructors for other crates' unit tests (feature `test-support`, which only
/// dev-dependencies enable); not public API: real lists come from `load` or the macro.
#[cfg(feature = "test-support")]
pub mod test_support {
    use std::borrow::Cow;

    use crate::migration::{Migration, Section, Statement};

    /// A statement at `start..end` of its section, starting on file line `line`.
    pub const fn statement(start: u32, end: u32, line: u32) -> Statement {
        Statement::new(start, end, line)
    }

    /// `file[start..end]` as a section of `path` beginning on file line `line`.
    pub const fn section(
        file: &'static str,
        start: u32,
        end: u32,
        path: &'static str,
        line: u32,
        statements: &'static [Statement],
    ) -> Section {
        Section::in_file(file, start, end, path, line, Cow::Borrowed(statements))
    }

    /// A migration without a prefix digest.
    pub const fn migration(
        version: i64,
        name: &'static str,
        up: Section,
        down: Option<Section>,
        checksum: &'static str,
        transactional: bool,
    ) -> Migration {
        Migration::from_parts(version, name, up, down, checksum, transactional)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_sql_splits_with_each_dialects_rules() {
        // PostgreSQL's `$$` body keeps its `;`; SQLite's trigger body keeps its own.
        let sql = "SELECT $$a;b$$;\nSELECT 2;";
        assert_eq!(split_stored(Dialect::Postgres, sql).len(), 2);
        assert_eq!(split_stored(Dialect::Postgres, sql)[1], (16, "SELECT 2"));
        let sqlite = "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;\nSELECT 2;";
        assert_eq!(split_stored(Dialect::Sqlite, sqlite).len(), 2);
    }
}
