//! Reading a [`Snapshot`] from a live database: one catalog query per dialect (the SQL is
//! in `catalog_*.sql`; SQLite's lives in strata-model, shared with the build's replay).

use strata_model::schema_snapshot::SQLITE_CATALOG;
pub use strata_model::schema_snapshot::{Difference, Snapshot};

use crate::driver::{Dialect, Driver};
use crate::error::DbError;
use crate::history::HistoryTable;

const POSTGRES: &str = include_str!("catalog_postgres.sql");
const MYSQL: &str = include_str!("catalog_mysql.sql");

/// Reads the schema of the database `conn` is connected to (one query), leaving out
/// strata's own history and lease tables.
pub(crate) async fn take<D: Driver>(
    conn: &mut D,
    history: &HistoryTable,
) -> Result<Snapshot, DbError> {
    let query = catalog_query(conn.dialect(), history);
    let rows = conn.run_batch(&[&query]).await?;
    Ok(Snapshot::from_rows(rows.into_iter().flatten().map(|row| {
        let mut values = row.into_iter().map(Option::unwrap_or_default);
        (
            values.next().unwrap_or_default(),
            values.next().unwrap_or_default(),
            values.next().unwrap_or_default(),
        )
    })))
}

/// The catalog query for `dialect`, with the history and lease tables' names as literals.
fn catalog_query(dialect: Dialect, history: &HistoryTable) -> String {
    let literal = |name: String| format!("'{}'", name.replace('\'', "''"));
    let (template, history_name, lease_name) = match dialect {
        // to_regclass resolves the quoted, possibly schema-qualified names as the runtime does.
        Dialect::Postgres => (
            POSTGRES,
            history.quoted(),
            history.lease_quoted(Dialect::Postgres),
        ),
        // SQLite's and MySQL's catalogs hold bare names (MySQL's: in the current database).
        Dialect::Mysql => (MYSQL, history.table().to_string(), history.lease_table()),
        _ => (
            SQLITE_CATALOG,
            history.table().to_string(),
            history.lease_table(),
        ),
    };
    template
        .replace("{history}", &literal(history_name))
        .replace("{lease}", &literal(lease_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_and_lease_tables_are_named_as_literals() {
        let table = HistoryTable::new(Some("ops"), "history").unwrap();
        let pg = catalog_query(Dialect::Postgres, &table);
        assert!(pg.contains(r#"to_regclass('"ops"."history"')"#), "{pg}");
        assert!(pg.contains(r#"to_regclass('"ops"."history_lease"')"#));
        let sqlite = catalog_query(Dialect::Sqlite, &HistoryTable::new(None, "h").unwrap());
        assert!(sqlite.contains("NOT IN ('h', 'h_lease')"), "{sqlite}");
    }
}
