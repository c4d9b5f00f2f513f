//! Another tool's rows, read as that tool reads them: which versions it considers applied,
//! and whether it is in a state it would itself refuse to go on from.

use std::collections::BTreeMap;

use super::tool::Tool;
use crate::driver::Row;

/// A migration another tool records as applied.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ForeignMigration {
    /// Its version, as strata numbers it (`V3__x.sql` and `0003_x.sql` are 3;
    /// `2024-10-25-112826_x/` is 20241025112826).
    pub version: i64,
    /// Its name, where the tool stores one (`add users` for sqlx and Flyway, which store the
    /// description with spaces).
    pub name: Option<String>,
}

/// What the other tool's table says.
#[derive(Debug, Default)]
pub(crate) struct ForeignHistory {
    /// Applied, by version.
    pub applied: BTreeMap<i64, Option<String>>,
    /// The checksum the tool stored, by version, where it is one strata can recompute from
    /// the file (sqlx: hex SHA-384 of the file).
    pub checksums: BTreeMap<i64, String>,
    /// Everything up to and including this version is applied (golang-migrate keeps only the
    /// last version; a Flyway baseline covers the versions below it).
    pub up_to: Option<i64>,
    /// A state the tool itself would refuse to continue from: what, and the tool's remedy.
    pub dirty: Option<(String, String)>,
    /// Values that are not strata versions (`1.1` from Flyway).
    pub unreadable: Vec<String>,
    /// What was skipped and why.
    pub notes: Vec<String>,
}

impl ForeignHistory {
    /// Whether `version` is applied by this history.
    pub(crate) fn covers(&self, version: i64) -> bool {
        self.applied.contains_key(&version) || self.up_to.is_some_and(|top| version <= top)
    }
}

fn text(row: &Row, index: usize) -> Option<&str> {
    row.get(index).and_then(|value| value.as_deref())
}

fn flag(row: &Row, index: usize) -> bool {
    text(row, index) == Some("1")
}

/// Reads `rows` (from [`Tool::query`]) as `tool` does.
pub(crate) fn interpret(tool: Tool, table: &str, rows: Vec<Row>) -> ForeignHistory {
    let mut history = ForeignHistory::default();
    let version_of = |value: Option<&str>, history: &mut ForeignHistory| -> Option<i64> {
        let value = value.unwrap_or_default().trim();
        match value.parse::<i64>() {
            Ok(version) => Some(version),
            Err(_) => {
                history.unreadable.push(value.to_string());
                None
            }
        }
    };
    match tool {
        Tool::Refinery | Tool::Diesel | Tool::Dbmate => {
            for row in &rows {
                if let Some(version) = version_of(text(row, 0), &mut history) {
                    let name = text(row, 1).map(str::to_string);
                    history.applied.insert(version, name);
                }
            }
        }
        Tool::Sqlx => {
            for row in &rows {
                let Some(version) = version_of(text(row, 0), &mut history) else {
                    continue;
                };
                let name = text(row, 1).unwrap_or_default().to_string();
                if !flag(row, 2) {
                    history.dirty = Some((
                        format!(
                            "sqlx recorded migration {version} ({name}) as failed (success = false)"
                        ),
                        format!(
                            "sqlx refuses to go on from this too: fix what the migration left by hand, \
                             delete its row (`DELETE FROM {table} WHERE version = {version}`) and run \
                             `sqlx migrate run` until it succeeds"
                        ),
                    ));
                }
                if let Some(checksum) = text(row, 3) {
                    history
                        .checksums
                        .insert(version, checksum.to_ascii_lowercase());
                }
                history.applied.insert(version, Some(name));
            }
        }
        Tool::Flyway => {
            for row in &rows {
                let description = text(row, 1).unwrap_or_default().to_string();
                let kind = text(row, 2).unwrap_or_default().to_ascii_uppercase();
                let Some(raw) = text(row, 0) else {
                    if kind != "SCHEMA" && kind != "DELETE" {
                        history.notes.push(format!(
                            "repeatable migration `{description}` ignored: strata has no repeatable migrations"
                        ));
                    }
                    continue;
                };
                if kind == "SCHEMA" {
                    continue;
                }
                let Some(version) = version_of(Some(raw), &mut history) else {
                    continue;
                };
                if !flag(row, 3) {
                    history.dirty = Some((
                        format!("Flyway recorded migration {version} ({description}) as failed (success = false)"),
                        "fix what it left, then run `flyway repair` (it removes failed entries) and \
                         `flyway migrate` until it succeeds"
                            .to_string(),
                    ));
                    continue;
                }
                if kind.starts_with("UNDO") || kind == "DELETE" {
                    history.applied.remove(&version);
                } else if kind.contains("BASELINE") {
                    history.up_to = Some(history.up_to.map_or(version, |top| top.max(version)));
                    history
                        .notes
                        .push(format!("Flyway baseline at version {version}: every migration up to it counts as applied"));
                } else {
                    history.applied.insert(version, Some(description));
                }
            }
        }
        Tool::Goose => {
            for row in &rows {
                let Some(version) = version_of(text(row, 0), &mut history) else {
                    continue;
                };
                // Version 0 is goose's own first row, not a migration.
                if version == 0 {
                    continue;
                }
                // The last row of a version says whether it is applied now.
                if flag(row, 1) {
                    history.applied.insert(version, None);
                } else {
                    history.applied.remove(&version);
                }
            }
        }
        Tool::GolangMigrate => {
            for row in &rows {
                let Some(version) = version_of(text(row, 0), &mut history) else {
                    continue;
                };
                if flag(row, 1) {
                    history.dirty = Some((
                        format!(
                            "golang-migrate marked version {version} dirty: that migration failed part-way"
                        ),
                        format!(
                            "fix what it left by hand, then `migrate force {version}` if its changes are \
                             complete (or `migrate force <the version before it>` and `migrate up`)"
                        ),
                    ));
                }
                history.up_to = Some(version);
            }
        }
        Tool::D1 => {
            for row in &rows {
                let file = text(row, 0).unwrap_or_default();
                let stem = file.strip_suffix(".sql").unwrap_or(file);
                let digits: String = stem.chars().take_while(char::is_ascii_digit).collect();
                let name = stem[digits.len()..].trim_start_matches('_').to_string();
                if let Some(version) = version_of(Some(&digits), &mut history) {
                    history.applied.insert(version, Some(name));
                }
            }
        }
    }
    history
}

/// Names compared as the tools write them: sqlx and Flyway turn `add_users` into
/// `add users`; case and separators do not count.
pub(crate) fn same_name(ours: &str, theirs: &str) -> bool {
    let normal = |name: &str| {
        name.to_lowercase()
            .split(|c: char| c == '_' || c == '-' || c.is_whitespace())
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    normal(ours) == normal(theirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(values: &[&[Option<&str>]]) -> Vec<Row> {
        values
            .iter()
            .map(|row| row.iter().map(|v| v.map(str::to_string)).collect())
            .collect()
    }

    #[test]
    fn goose_keeps_the_last_row_of_each_version_and_skips_zero() {
        let history = interpret(
            Tool::Goose,
            "goose_db_version",
            rows(&[
                &[Some("0"), Some("1")],
                &[Some("1"), Some("1")],
                &[Some("2"), Some("1")],
                &[Some("2"), Some("0")],
                &[Some("3"), Some("1")],
            ]),
        );
        assert_eq!(history.applied.keys().copied().collect::<Vec<_>>(), [1, 3]);
        assert!(history.dirty.is_none());
    }

    #[test]
    fn flyway_follows_undo_baseline_and_failures() {
        let history = interpret(
            Tool::Flyway,
            "flyway_schema_history",
            rows(&[
                &[
                    Some("0"),
                    Some("<< Flyway Schema Creation >>"),
                    Some("SCHEMA"),
                    Some("1"),
                ],
                &[
                    Some("2"),
                    Some("<< Flyway Baseline >>"),
                    Some("BASELINE"),
                    Some("1"),
                ],
                &[Some("3"), Some("add users"), Some("SQL"), Some("1")],
                &[None, Some("views"), Some("SQL"), Some("1")],
                &[Some("4"), Some("add index"), Some("SQL"), Some("1")],
                &[Some("4"), Some("add index"), Some("UNDO_SQL"), Some("1")],
            ]),
        );
        assert_eq!(history.up_to, Some(2));
        assert_eq!(history.applied.keys().copied().collect::<Vec<_>>(), [3]);
        assert!(history.covers(1) && history.covers(3) && !history.covers(4));
        assert_eq!(history.notes.len(), 2, "{:?}", history.notes);

        let failed = interpret(
            Tool::Flyway,
            "flyway_schema_history",
            rows(&[&[Some("5"), Some("x"), Some("SQL"), Some("0")]]),
        );
        assert!(
            failed
                .dirty
                .is_some_and(|(what, how)| what.contains("5") && how.contains("flyway repair"))
        );
        let dotted = interpret(
            Tool::Flyway,
            "flyway_schema_history",
            rows(&[&[Some("1.1"), Some("x"), Some("SQL"), Some("1")]]),
        );
        assert_eq!(dotted.unreadable, ["1.1"]);
    }

    #[test]
    fn golang_migrate_covers_everything_up_to_its_version() {
        let history = interpret(
            Tool::GolangMigrate,
            "schema_migrations",
            rows(&[&[Some("7"), Some("0")]]),
        );
        assert!(history.covers(1) && history.covers(7) && !history.covers(8));
        let dirty = interpret(
            Tool::GolangMigrate,
            "schema_migrations",
            rows(&[&[Some("7"), Some("1")]]),
        );
        assert!(
            dirty
                .dirty
                .is_some_and(|(_, how)| how.contains("migrate force 7"))
        );
    }

    #[test]
    fn d1_names_are_file_names() {
        let history = interpret(
            Tool::D1,
            "d1_migrations",
            rows(&[&[Some("0002_add_users.sql")]]),
        );
        assert_eq!(
            history.applied.get(&2),
            Some(&Some("add_users".to_string()))
        );
    }

    #[test]
    fn names_compare_as_the_tools_write_them() {
        assert!(same_name("add_users", "add users"));
        assert!(same_name("Add-Users", "add_users"));
        assert!(!same_name("add_users", "add_posts"));
    }
}
