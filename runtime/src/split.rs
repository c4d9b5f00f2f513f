//! Statement boundaries of SQL that was not embedded (a DOWN stored in the history table),
//! found with the lexer of the backend's own dialect.

use strata_core::Dialect;

/// Each statement's byte offset into `sql` and its text (without the `;`).
pub(crate) fn statements(dialect: Dialect, sql: &str) -> Vec<(usize, &str)> {
    let (tokens, _) = strata_core::lexer::lex(dialect, sql);
    strata_core::statements::split(sql, &tokens, &(0..sql.len()))
        .into_iter()
        .filter_map(|s| Some((s.range.start, sql.get(s.range)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_dialect_splits_with_its_own_lexer() {
        // PostgreSQL's `$$` body keeps its `;`; SQLite's trigger body keeps its own.
        let sql = "SELECT $$a;b$$;\nSELECT 2;";
        assert_eq!(statements(Dialect::Postgres, sql).len(), 2);
        assert_eq!(statements(Dialect::Postgres, sql)[1], (16, "SELECT 2"));
        let sqlite = "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;\nSELECT 2;";
        assert_eq!(statements(Dialect::Sqlite, sqlite).len(), 2);
    }
}
