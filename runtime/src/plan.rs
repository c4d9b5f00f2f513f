//! What to apply or roll back, and what is wrong, as a pure function of the embedded
//! migrations and the history rows. No database here.

use std::borrow::Cow;
use std::collections::BTreeMap;

use strata_model::migration::{Migration, Section};

use crate::error::{Divergence, Error, MigrationRef, Result};
use crate::history::AppliedMigration;

/// Opt-outs of the checks made before anything is applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checks {
    /// Proceed although applied migrations changed since (checksum differs).
    pub allow_divergent: bool,
    /// Proceed although the database has migrations the binary does not embed.
    pub allow_missing: bool,
    /// Apply pending migrations older than the newest applied one.
    pub allow_out_of_order: bool,
}

/// How far to roll back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Undo the n most recently applied migrations (highest versions first).
    Steps(usize),
    /// Undo every applied migration with a version above this one.
    Version(i64),
}

/// A DOWN to run: from the binary when it embeds the migration, else the SQL stored at apply time.
#[derive(Debug, Clone)]
pub struct RevertStep<'a> {
    /// The migration's version.
    pub version: i64,
    /// The migration's name (from the history row).
    pub name: String,
    /// The DOWN SQL to run.
    pub sql: Cow<'a, str>,
    /// The embedded DOWN section (for statement boundaries and error positions), if any.
    pub section: Option<&'a Section>,
    /// Whether to run it in a transaction with the history delete.
    pub transactional: bool,
}

impl RevertStep<'_> {
    /// The file the DOWN came from, or where it was stored
    /// (`<table> version <v> down_sql`, `table` as the caller spells it).
    pub fn origin(&self, table: &str) -> String {
        match self.section {
            Some(section) => section.path().to_string(),
            None => format!("{table} version {} down_sql", self.version),
        }
    }
}

/// Whether `version` is embedded. Lists are sorted by version (the macro and `from_vec`
/// guarantee it), so this is a binary search, not a scan per applied row.
pub(crate) fn embeds(embedded: &[Migration], version: i64) -> bool {
    embedded
        .binary_search_by_key(&version, Migration::version)
        .is_ok()
}

fn reference(version: i64, name: &str) -> MigrationRef {
    MigrationRef {
        version,
        name: name.to_string(),
    }
}

/// Verifies the history against the embedded list (divergent, missing, out of order, in
/// that order of precedence, each listing every offender) and returns what to apply, in
/// version order, up to `target` inclusive.
pub fn plan_up<'a>(
    embedded: &'a [Migration],
    applied: &[AppliedMigration],
    checks: Checks,
    target: Option<i64>,
) -> Result<Vec<&'a Migration>> {
    if let Some(target) = target
        && !embeds(embedded, target)
    {
        return Err(Error::UnknownTarget(target));
    }
    let applied_by_version: BTreeMap<i64, &AppliedMigration> =
        applied.iter().map(|a| (a.version, a)).collect();
    if !checks.allow_divergent {
        let divergent: Vec<Divergence> = embedded
            .iter()
            .filter_map(|m| {
                let row = applied_by_version.get(&m.version())?;
                (row.checksum != m.checksum()).then(|| Divergence {
                    version: m.version(),
                    name: m.name().to_string(),
                    path: m.path().to_string(),
                    applied_checksum: row.checksum.clone(),
                    embedded_checksum: m.checksum().to_string(),
                })
            })
            .collect();
        if !divergent.is_empty() {
            return Err(Error::Divergent(divergent));
        }
    }
    if !checks.allow_missing {
        let missing: Vec<MigrationRef> = applied
            .iter()
            .filter(|a| !embeds(embedded, a.version))
            .map(|a| reference(a.version, &a.name))
            .collect();
        if !missing.is_empty() {
            return Err(Error::Missing(missing));
        }
    }
    let pending: Vec<&Migration> = embedded
        .iter()
        .filter(|m| !applied_by_version.contains_key(&m.version()))
        .filter(|m| target.is_none_or(|t| m.version() <= t))
        .collect();
    if !checks.allow_out_of_order
        && let Some(highest_applied) = applied.iter().map(|a| a.version).max()
    {
        let late: Vec<MigrationRef> = pending
            .iter()
            .filter(|m| m.version() < highest_applied)
            .map(|m| reference(m.version(), m.name()))
            .collect();
        if !late.is_empty() {
            return Err(Error::OutOfOrder {
                highest_applied,
                pending: late,
            });
        }
    }
    Ok(pending)
}

/// What to roll back for `target`, newest first. Every step must have a DOWN, or nothing runs.
pub fn plan_down<'a>(
    embedded: &'a [Migration],
    applied: &'a [AppliedMigration],
    target: Target,
) -> Result<Vec<RevertStep<'a>>> {
    let mut newest_first: Vec<&AppliedMigration> = applied.iter().collect();
    newest_first.sort_by_key(|a| std::cmp::Reverse(a.version));
    let chosen: Vec<&AppliedMigration> = match target {
        Target::Steps(n) => newest_first.into_iter().take(n).collect(),
        Target::Version(v) => newest_first.into_iter().filter(|a| a.version > v).collect(),
    };
    let mut steps = Vec::with_capacity(chosen.len());
    let mut without_down = Vec::new();
    for row in chosen {
        let embedded = embedded
            .binary_search_by_key(&row.version, Migration::version)
            .ok()
            .map(|i| &embedded[i]);
        let section = embedded.and_then(Migration::down_section);
        let step = match (section, &row.down_sql) {
            (Some(section), _) => RevertStep {
                version: row.version,
                name: row.name.clone(),
                sql: Cow::Borrowed(section.sql()),
                section: Some(section),
                transactional: embedded.is_none_or(Migration::transactional),
            },
            (None, Some(stored)) if !stored.trim().is_empty() => RevertStep {
                version: row.version,
                name: row.name.clone(),
                sql: Cow::Borrowed(stored.as_str()),
                section: None,
                transactional: row.transactional,
            },
            _ => {
                without_down.push(reference(row.version, &row.name));
                continue;
            }
        };
        steps.push(step);
    }
    if !without_down.is_empty() {
        return Err(Error::NoDown(without_down));
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_model::migration::Statement;

    const UP: &str = "CREATE TABLE t (id int);";
    const DOWN: &str = "DROP TABLE t;";
    const STATEMENTS: &[Statement] = &[strata_model::test_support::statement(0, 23, 2)];

    fn migration(version: i64, checksum: &'static str, down: bool) -> Migration {
        let up =
            strata_model::test_support::section(UP, 0, UP.len() as u32, "m/x.sql", 2, STATEMENTS);
        let down = down.then(|| {
            strata_model::test_support::section(DOWN, 0, DOWN.len() as u32, "m/x.sql", 4, &[])
        });
        strata_model::test_support::migration(version, "x", up, down, checksum, true)
    }

    fn row(version: i64, checksum: &str, down_sql: Option<&str>) -> AppliedMigration {
        AppliedMigration {
            version,
            name: format!("m{version}"),
            checksum: checksum.to_string(),
            down_sql: down_sql.map(str::to_string),
            transactional: true,
            applied_at: std::time::SystemTime::UNIX_EPOCH,
            execution: std::time::Duration::from_millis(1),
        }
    }

    fn versions(list: &[&Migration]) -> Vec<i64> {
        list.iter().map(|m| m.version()).collect()
    }

    #[test]
    fn pending_in_order_up_to_target() {
        let embedded = [
            migration(1, "a", true),
            migration(2, "b", true),
            migration(3, "c", true),
        ];
        let applied = [row(1, "a", None)];
        assert_eq!(
            versions(&plan_up(&embedded, &applied, Checks::default(), None).expect("plan")),
            [2, 3]
        );
        assert_eq!(
            versions(&plan_up(&embedded, &applied, Checks::default(), Some(2)).expect("plan")),
            [2]
        );
        assert!(matches!(
            plan_up(&embedded, &applied, Checks::default(), Some(9)),
            Err(Error::UnknownTarget(9))
        ));
        let all = [row(1, "a", None), row(2, "b", None), row(3, "c", None)];
        assert!(
            plan_up(&embedded, &all, Checks::default(), None)
                .expect("plan")
                .is_empty()
        );
    }

    #[test]
    fn divergent_lists_every_offender_and_can_be_allowed() {
        let embedded = [migration(1, "a", true), migration(2, "b", true)];
        let applied = [row(1, "changed", None), row(2, "changed", None)];
        match plan_up(&embedded, &applied, Checks::default(), None) {
            Err(Error::Divergent(list)) => {
                assert_eq!(list.iter().map(|d| d.version).collect::<Vec<_>>(), [1, 2])
            }
            other => panic!("{other:?}"),
        }
        let allow = Checks {
            allow_divergent: true,
            ..Checks::default()
        };
        assert!(
            plan_up(&embedded, &applied, allow, None)
                .expect("allowed")
                .is_empty()
        );
    }

    #[test]
    fn missing_and_out_of_order() {
        let embedded = [
            migration(1, "a", true),
            migration(8, "h", true),
            migration(9, "i", true),
        ];
        let with_unknown = [row(1, "a", None), row(5, "e", None)];
        assert!(
            matches!(plan_up(&embedded, &with_unknown, Checks::default(), None), Err(Error::Missing(ref m)) if m[0].version == 5)
        );
        let allow_missing = Checks {
            allow_missing: true,
            ..Checks::default()
        };
        assert!(
            matches!(plan_up(&embedded, &with_unknown, allow_missing, None), Ok(ref p) if versions(p) == [8, 9])
        );

        let nine_applied = [row(1, "a", None), row(9, "i", None)];
        match plan_up(&embedded, &nine_applied, Checks::default(), None) {
            Err(Error::OutOfOrder {
                highest_applied: 9,
                pending,
            }) => assert_eq!(pending[0].version, 8),
            other => panic!("{other:?}"),
        }
        let allow = Checks {
            allow_out_of_order: true,
            ..Checks::default()
        };
        assert_eq!(
            versions(&plan_up(&embedded, &nine_applied, allow, None).expect("allowed")),
            [8]
        );
    }

    #[test]
    fn rollback_steps_and_versions_newest_first() {
        let embedded = [
            migration(1, "a", true),
            migration(2, "b", true),
            migration(3, "c", true),
        ];
        let applied = [row(1, "a", None), row(2, "b", None), row(3, "c", None)];
        let steps = plan_down(&embedded, &applied, Target::Steps(2)).expect("plan");
        assert_eq!(steps.iter().map(|s| s.version).collect::<Vec<_>>(), [3, 2]);
        let steps = plan_down(&embedded, &applied, Target::Version(1)).expect("plan");
        assert_eq!(steps.iter().map(|s| s.version).collect::<Vec<_>>(), [3, 2]);
        assert!(
            plan_down(&embedded, &applied, Target::Version(3))
                .expect("plan")
                .is_empty()
        );
        assert_eq!(
            plan_down(&embedded, &applied, Target::Steps(9))
                .expect("plan")
                .len(),
            3
        );
    }

    #[test]
    fn rollback_uses_stored_down_and_refuses_without_any() {
        let embedded = [migration(1, "a", false)];
        let applied = [
            row(1, "a", Some("DROP TABLE stored;")),
            row(2, "b", Some("DROP TABLE two;")),
        ];
        let steps = plan_down(&embedded, &applied, Target::Steps(2)).expect("plan");
        assert_eq!(
            steps[0].sql, "DROP TABLE two;",
            "a migration the binary does not embed"
        );
        assert_eq!(steps[1].sql, "DROP TABLE stored;");
        let no_down = [row(1, "a", None), row(2, "b", Some("DROP TABLE two;"))];
        match plan_down(&embedded, &no_down, Target::Steps(2)) {
            Err(Error::NoDown(list)) => {
                assert_eq!(list.iter().map(|m| m.version).collect::<Vec<_>>(), [1])
            }
            other => panic!("{other:?}"),
        }
    }

    fn no_transaction(version: i64, checksum: &'static str) -> Migration {
        let up =
            strata_model::test_support::section(UP, 0, UP.len() as u32, "m/x.sql", 2, STATEMENTS);
        let down =
            strata_model::test_support::section(DOWN, 0, DOWN.len() as u32, "m/x.sql", 4, &[]);
        strata_model::test_support::migration(version, "x", up, Some(down), checksum, false)
    }

    #[test]
    fn divergent_takes_precedence_and_nothing_is_planned_when_any_check_fails() {
        let embedded = [
            migration(1, "a", true),
            migration(2, "b", true),
            migration(4, "d", true),
        ];
        // 1 divergent, 3 missing, 2 pending below the applied 4: three problems at once.
        let applied = [row(1, "edited", None), row(3, "c", None), row(4, "d", None)];
        assert!(matches!(
            plan_up(&embedded, &applied, Checks::default(), None),
            Err(Error::Divergent(_))
        ));
        let allow_divergent = Checks {
            allow_divergent: true,
            ..Checks::default()
        };
        assert!(matches!(
            plan_up(&embedded, &applied, allow_divergent, None),
            Err(Error::Missing(_))
        ));
        let allow_two = Checks {
            allow_divergent: true,
            allow_missing: true,
            ..Checks::default()
        };
        assert!(matches!(
            plan_up(&embedded, &applied, allow_two, None),
            Err(Error::OutOfOrder {
                highest_applied: 4,
                ..
            })
        ));
        let allow_all = Checks {
            allow_divergent: true,
            allow_missing: true,
            allow_out_of_order: true,
        };
        assert_eq!(
            versions(&plan_up(&embedded, &applied, allow_all, None).expect("allowed")),
            [2]
        );
    }

    #[test]
    fn every_offender_is_listed() {
        let embedded = [
            migration(1, "a", true),
            migration(2, "b", true),
            migration(3, "c", true),
            migration(9, "i", true),
        ];
        let applied = [row(9, "i", None), row(10, "j", None), row(11, "k", None)];
        let allow_missing = Checks {
            allow_missing: true,
            ..Checks::default()
        };
        match plan_up(&embedded, &applied, allow_missing, None) {
            Err(Error::OutOfOrder {
                highest_applied: 11,
                pending,
            }) => {
                assert_eq!(
                    pending.iter().map(|m| m.version).collect::<Vec<_>>(),
                    [1, 2, 3]
                )
            }
            other => panic!("{other:?}"),
        }
        match plan_up(&embedded, &applied, Checks::default(), None) {
            Err(Error::Missing(list)) => {
                assert_eq!(list.iter().map(|m| m.version).collect::<Vec<_>>(), [10, 11])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn targets_and_versions_compare_as_integers() {
        let embedded = [
            migration(9, "i", true),
            migration(10, "j", true),
            migration(20250210120000, "t", true),
        ];
        assert_eq!(
            versions(&plan_up(&embedded, &[], Checks::default(), Some(10)).expect("plan")),
            [9, 10]
        );
        // An applied target is not an error, just nothing to do below it.
        let applied = [row(9, "i", None), row(10, "j", None)];
        assert!(
            plan_up(&embedded, &applied, Checks::default(), Some(9))
                .expect("plan")
                .is_empty()
        );
        assert_eq!(
            versions(&plan_up(&embedded, &applied, Checks::default(), None).expect("plan")),
            [20250210120000]
        );
        // Out of order is judged on what the target lets through.
        let late = [row(10, "j", None)];
        assert!(matches!(
            plan_up(&embedded, &late, Checks::default(), Some(9)),
            Err(Error::OutOfOrder { .. })
        ));
        assert!(matches!(
            plan_up(&embedded, &late, Checks::default(), Some(-1)),
            Err(Error::UnknownTarget(-1))
        ));
    }

    #[test]
    fn rollback_edges() {
        let embedded = [migration(1, "a", true), no_transaction(2, "b")];
        // History rows in any order; steps come out newest first.
        let applied = [row(2, "b", None), row(1, "a", None)];
        assert!(
            plan_down(&embedded, &applied, Target::Steps(0))
                .expect("plan")
                .is_empty()
        );
        assert!(
            plan_down(&embedded, &applied, Target::Version(99))
                .expect("plan")
                .is_empty()
        );
        assert!(
            plan_down(&embedded, &[], Target::Steps(3))
                .expect("plan")
                .is_empty()
        );
        let steps = plan_down(&embedded, &applied, Target::Version(i64::MIN)).expect("plan");
        assert_eq!(
            steps
                .iter()
                .map(|s| (s.version, s.transactional))
                .collect::<Vec<_>>(),
            [(2, false), (1, true)]
        );
        assert_eq!(steps[0].origin("h"), "m/x.sql");
        // A stored DOWN keeps the row's transactional flag; blank stored SQL is no DOWN.
        let stored = [
            row(5, "e", Some("DROP TABLE e;")),
            row(6, "f", Some("  \n ")),
            row(7, "g", None),
        ];
        let mut no_tx = stored.clone();
        no_tx[0].transactional = false;
        let steps = plan_down(&[], &no_tx[..1], Target::Steps(1)).expect("plan");
        assert!(!steps[0].transactional && steps[0].section.is_none());
        assert_eq!(steps[0].origin("\"h\""), "\"h\" version 5 down_sql");
        match plan_down(&[], &stored, Target::Steps(3)) {
            Err(Error::NoDown(list)) => {
                assert_eq!(list.iter().map(|m| m.version).collect::<Vec<_>>(), [7, 6])
            }
            other => panic!("{other:?}"),
        }
        // The binary's DOWN wins over the stored copy.
        let both = [row(1, "a", Some("DROP TABLE old;"))];
        assert_eq!(
            plan_down(&embedded, &both, Target::Steps(1)).expect("plan")[0].sql,
            DOWN
        );
    }
}
