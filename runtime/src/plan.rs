//! What to apply or roll back, and what is wrong, as a pure function of the embedded
//! migrations and the history rows. No database here.

use std::borrow::Cow;
use std::collections::BTreeMap;

use strata_core::model::{Migration, Section};

use crate::error::{Divergence, Error, MigrationRef, Result};
use crate::history::AppliedMigration;

/// Opt-outs of the checks made before anything is applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checks {
    pub allow_divergent: bool,
    pub allow_missing: bool,
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
    pub version: i64,
    pub name: String,
    pub sql: Cow<'a, str>,
    /// The embedded DOWN section (for statement boundaries and error positions), if any.
    pub section: Option<&'a Section>,
    pub transactional: bool,
}

impl RevertStep<'_> {
    /// The file the DOWN came from, or where it was stored.
    pub fn origin(&self, table: &str) -> String {
        match self.section {
            Some(section) => section.path().to_string(),
            None => format!("DOWN stored in {table}"),
        }
    }
}

/// Whether `version` is embedded. Lists are sorted by version (the macro and `from_vec`
/// guarantee it), so this is a binary search, not a scan per applied row.
pub(crate) fn embeds(embedded: &[Migration], version: i64) -> bool {
    embedded.binary_search_by_key(&version, Migration::version).is_ok()
}

fn reference(version: i64, name: &str) -> MigrationRef {
    MigrationRef { version, name: name.to_string() }
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
    let applied_by_version: BTreeMap<i64, &AppliedMigration> = applied.iter().map(|a| (a.version, a)).collect();
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
            return Err(Error::OutOfOrder { highest_applied, pending: late });
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
    use strata_core::model::Statement;

    const UP: &str = "CREATE TABLE t (id int);";
    const DOWN: &str = "DROP TABLE t;";
    const STATEMENTS: &[Statement] = &[Statement { __start: 0, __end: 23, __line: 2 }];

    fn migration(version: i64, checksum: &'static str, down: bool) -> Migration {
        let up = Section::from_file(UP, 0, UP.len() as u32, "m/x.sql", 2, STATEMENTS);
        let down = down.then(|| Section::from_file(DOWN, 0, DOWN.len() as u32, "m/x.sql", 4, &[]));
        Migration::from_static(version, "x", up, down, checksum, true)
    }

    fn row(version: i64, checksum: &str, down_sql: Option<&str>) -> AppliedMigration {
        AppliedMigration {
            version,
            name: format!("m{version}"),
            checksum: checksum.to_string(),
            down_sql: down_sql.map(str::to_string),
            transactional: true,
            applied_at: String::new(),
            execution_ms: 1,
        }
    }

    fn versions(list: &[&Migration]) -> Vec<i64> {
        list.iter().map(|m| m.version()).collect()
    }

    #[test]
    fn pending_in_order_up_to_target() {
        let embedded = [migration(1, "a", true), migration(2, "b", true), migration(3, "c", true)];
        let applied = [row(1, "a", None)];
        assert_eq!(versions(&plan_up(&embedded, &applied, Checks::default(), None).expect("plan")), [2, 3]);
        assert_eq!(versions(&plan_up(&embedded, &applied, Checks::default(), Some(2)).expect("plan")), [2]);
        assert!(matches!(plan_up(&embedded, &applied, Checks::default(), Some(9)), Err(Error::UnknownTarget(9))));
        let all = [row(1, "a", None), row(2, "b", None), row(3, "c", None)];
        assert!(plan_up(&embedded, &all, Checks::default(), None).expect("plan").is_empty());
    }

    #[test]
    fn divergent_lists_every_offender_and_can_be_allowed() {
        let embedded = [migration(1, "a", true), migration(2, "b", true)];
        let applied = [row(1, "changed", None), row(2, "changed", None)];
        match plan_up(&embedded, &applied, Checks::default(), None) {
            Err(Error::Divergent(list)) => assert_eq!(list.iter().map(|d| d.version).collect::<Vec<_>>(), [1, 2]),
            other => panic!("{other:?}"),
        }
        let allow = Checks { allow_divergent: true, ..Checks::default() };
        assert!(plan_up(&embedded, &applied, allow, None).expect("allowed").is_empty());
    }

    #[test]
    fn missing_and_out_of_order() {
        let embedded = [migration(1, "a", true), migration(8, "h", true), migration(9, "i", true)];
        let with_unknown = [row(1, "a", None), row(5, "e", None)];
        assert!(matches!(plan_up(&embedded, &with_unknown, Checks::default(), None), Err(Error::Missing(ref m)) if m[0].version == 5));
        let allow_missing = Checks { allow_missing: true, ..Checks::default() };
        assert!(matches!(plan_up(&embedded, &with_unknown, allow_missing, None), Ok(ref p) if versions(p) == [8, 9]));

        let nine_applied = [row(1, "a", None), row(9, "i", None)];
        match plan_up(&embedded, &nine_applied, Checks::default(), None) {
            Err(Error::OutOfOrder { highest_applied: 9, pending }) => assert_eq!(pending[0].version, 8),
            other => panic!("{other:?}"),
        }
        let allow = Checks { allow_out_of_order: true, ..Checks::default() };
        assert_eq!(versions(&plan_up(&embedded, &nine_applied, allow, None).expect("allowed")), [8]);
    }

    #[test]
    fn rollback_steps_and_versions_newest_first() {
        let embedded = [migration(1, "a", true), migration(2, "b", true), migration(3, "c", true)];
        let applied = [row(1, "a", None), row(2, "b", None), row(3, "c", None)];
        let steps = plan_down(&embedded, &applied, Target::Steps(2)).expect("plan");
        assert_eq!(steps.iter().map(|s| s.version).collect::<Vec<_>>(), [3, 2]);
        let steps = plan_down(&embedded, &applied, Target::Version(1)).expect("plan");
        assert_eq!(steps.iter().map(|s| s.version).collect::<Vec<_>>(), [3, 2]);
        assert!(plan_down(&embedded, &applied, Target::Version(3)).expect("plan").is_empty());
        assert_eq!(plan_down(&embedded, &applied, Target::Steps(9)).expect("plan").len(), 3);
    }

    #[test]
    fn rollback_uses_stored_down_and_refuses_without_any() {
        let embedded = [migration(1, "a", false)];
        let applied = [row(1, "a", Some("DROP TABLE stored;")), row(2, "b", Some("DROP TABLE two;"))];
        let steps = plan_down(&embedded, &applied, Target::Steps(2)).expect("plan");
        assert_eq!(steps[0].sql, "DROP TABLE two;", "a migration the binary does not embed");
        assert_eq!(steps[1].sql, "DROP TABLE stored;");
        let no_down = [row(1, "a", None), row(2, "b", Some("DROP TABLE two;"))];
        match plan_down(&embedded, &no_down, Target::Steps(2)) {
            Err(Error::NoDown(list)) => assert_eq!(list.iter().map(|m| m.version).collect::<Vec<_>>(), [1]),
            other => panic!("{other:?}"),
        }
    }
}
