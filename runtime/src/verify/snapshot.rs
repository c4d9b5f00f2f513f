//! A schema snapshot: every object the catalog shows, by kind and name, with a description
//! that changes when the object does. Two databases holding the same schema give equal
//! snapshots (no OIDs, sizes or sequence positions), so a DOWN is checked by comparing the
//! snapshot after it with the one taken before its UP.

use std::collections::BTreeMap;
use std::fmt;

use crate::driver::{Dialect, Driver};
use crate::error::DbError;
use crate::history::HistoryTable;

const POSTGRES: &str = include_str!("catalog_postgres.sql");
const SQLITE: &str = include_str!("catalog_sqlite.sql");
const MYSQL: &str = include_str!("catalog_mysql.sql");

/// Objects by `(kind, name)`, each with its description.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Snapshot(BTreeMap<(String, String), String>);

/// One object that differs between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Difference {
    /// What kind of object: `table`, `column`, `index`, `constraint`, `function`, ...
    pub kind: String,
    /// Its name as the catalog gives it (`users.last_seen`; `public.` left out).
    pub name: String,
    /// Its description where it was expected (`None`: it should not exist).
    pub expected: Option<String>,
    /// Its description as found (`None`: it is missing).
    pub found: Option<String>,
}

impl Snapshot {
    /// Reads the schema of the database `conn` is connected to (one query), leaving out
    /// strata's own history and lease tables.
    pub(crate) async fn take<D: Driver>(
        conn: &mut D,
        history: &HistoryTable,
    ) -> Result<Snapshot, DbError> {
        let query = catalog_query(conn.dialect(), history);
        let rows = conn.run_batch(&[&query]).await?;
        let mut objects = BTreeMap::new();
        for row in rows.into_iter().flatten() {
            let mut values = row.into_iter().map(Option::unwrap_or_default);
            let (kind, name, detail) = (
                values.next().unwrap_or_default(),
                values.next().unwrap_or_default(),
                values.next().unwrap_or_default(),
            );
            objects.insert((kind, name), detail);
        }
        Ok(Snapshot(objects))
    }

    /// What differs in `found` from `self` (the expected state), by kind and name.
    pub(crate) fn differences(&self, found: &Snapshot) -> Vec<Difference> {
        let keys: std::collections::BTreeSet<_> = self.0.keys().chain(found.0.keys()).collect();
        keys.into_iter()
            .filter_map(|key| {
                let (expected, actual) = (self.0.get(key), found.0.get(key));
                (expected != actual).then(|| Difference {
                    kind: key.0.clone(),
                    name: key.1.clone(),
                    expected: expected.cloned(),
                    found: actual.cloned(),
                })
            })
            .collect()
    }
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
        _ => (SQLITE, history.table().to_string(), history.lease_table()),
    };
    template
        .replace("{history}", &literal(history_name))
        .replace("{lease}", &literal(lease_name))
}

/// One line of a description, shortened: function bodies and view queries are long.
fn brief(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 100 {
        let cut: String = flat.chars().take(97).collect();
        format!("{cut}...")
    } else {
        flat
    }
}

impl Difference {
    /// One line naming the object and how it differs, with `extra` / `missing` saying what
    /// an object that should not be there / should be there is (`is still there` / `is
    /// missing` after a DOWN; `was created` / `was dropped` for a second run).
    pub fn describe(&self, extra: &str, missing: &str) -> String {
        let object = format!("{} {}", self.kind, self.name);
        let detail = |text: &str| {
            if text.is_empty() {
                String::new()
            } else {
                format!(" ({})", brief(text))
            }
        };
        match (&self.expected, &self.found) {
            (None, Some(found)) => format!("{object}{} {extra}", detail(found)),
            (Some(expected), None) => format!("{object}{} {missing}", detail(expected)),
            (Some(expected), Some(found)) => format!(
                "{object} is `{}`, expected `{}`",
                brief(found),
                brief(expected)
            ),
            (None, None) => object,
        }
    }
}

impl fmt::Display for Difference {
    /// Compared with what should be there: `column users.last_seen (timestamp with time
    /// zone) is still there`, `index users_email_idx (CREATE ...) is missing`, `column
    /// users.name is `character varying(20)`, expected `text``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe("is still there", "is missing"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(objects: &[(&str, &str, &str)]) -> Snapshot {
        Snapshot(
            objects
                .iter()
                .map(|(k, n, d)| ((k.to_string(), n.to_string()), d.to_string()))
                .collect(),
        )
    }

    #[test]
    fn differences_name_what_is_extra_missing_or_changed() {
        let before = snapshot(&[("table", "users", ""), ("column", "users.name", "text")]);
        let after = snapshot(&[
            ("table", "users", ""),
            ("column", "users.name", "character varying(20)"),
            ("column", "users.last_seen", "timestamp with time zone"),
        ]);
        let text: Vec<String> = before
            .differences(&after)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            text,
            [
                "column users.last_seen (timestamp with time zone) is still there",
                "column users.name is `character varying(20)`, expected `text`",
            ]
        );
        let back: Vec<String> = after
            .differences(&before)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            back[0],
            "column users.last_seen (timestamp with time zone) is missing"
        );
        assert!(before.differences(&before.clone()).is_empty());
    }

    #[test]
    fn long_definitions_are_shortened_to_one_line() {
        let body = format!(
            "CREATE FUNCTION f()\n RETURNS int\nAS $$ {} $$",
            "x".repeat(200)
        );
        let shown = brief(&body);
        assert!(shown.len() <= 100 && shown.ends_with("...") && !shown.contains('\n'));
    }

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
