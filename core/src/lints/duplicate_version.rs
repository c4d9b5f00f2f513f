//! `duplicate-version`: two migrations with the same version (`001_a.sql` and `1_b.sql`).

use std::collections::BTreeMap;

use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

pub(crate) fn check(directory: &Directory, _: &super::Shared<'_>, out: &mut Vec<Diagnostic>) {
    let mut first_by_version: BTreeMap<i64, &str> = BTreeMap::new();
    for candidate in &directory.candidates {
        let version = candidate.name.version;
        match first_by_version.get(&version) {
            Some(first) => out.push(
                Diagnostic::new(
                    Lint::DuplicateVersion,
                    &candidate.entry,
                    format!(
                        "version {version} is used by both `{first}` and `{}`",
                        candidate.entry
                    ),
                )
                .help("give one of them the next free version"),
            ),
            None => {
                first_by_version.insert(version, &candidate.entry);
            }
        }
    }
}
