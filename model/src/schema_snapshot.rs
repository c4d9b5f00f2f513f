//! A schema snapshot: every object a catalog shows, by kind and name, with a description
//! that changes when the object does. Two databases holding the same schema give equal
//! snapshots (no OIDs, sizes or sequence positions), so a DOWN is checked by comparing the
//! snapshot after it with the one taken before its UP. The runtime's `verify` fills it from
//! a live database; the build's SQLite replay from an in-memory one. The catalog queries
//! are here too, so both read the same thing.

use std::collections::BTreeMap;
use std::fmt;

/// SQLite's catalog as (kind, object, detail) rows; `{history}` and `{lease}` are SQL
/// literals naming tables to leave out.
pub const SQLITE_CATALOG: &str = include_str!("catalog_sqlite.sql");

/// Objects by `(kind, name)`, each with its description.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot(BTreeMap<(String, String), String>);

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
    /// A snapshot of catalog rows: (kind, name, description).
    pub fn from_rows(rows: impl IntoIterator<Item = (String, String, String)>) -> Self {
        Snapshot(
            rows.into_iter()
                .map(|(kind, name, detail)| ((kind, name), detail))
                .collect(),
        )
    }

    /// Whether it holds no object.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// What differs in `found` from `self` (the expected state), by kind and name.
    pub fn differences(&self, found: &Snapshot) -> Vec<Difference> {
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
}
