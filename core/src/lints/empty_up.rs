//! `empty-up`: a migration whose UP runs nothing (only comments, or no `up.sql` at all).

use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;
use crate::lints::section_position;

pub(crate) fn check(directory: &Directory, _: &super::Shared<'_>, out: &mut Vec<Diagnostic>) {
    for candidate in &directory.candidates {
        let Some(main) = candidate.main else {
            if candidate.down_file.is_none() {
                out.push(
                    Diagnostic::new(
                        Lint::EmptyUp,
                        &candidate.entry,
                        format!("migration directory `{}` has no up.sql", candidate.entry),
                    )
                    .help("add `up.sql` with the migration's SQL"),
                );
            }
            continue;
        };
        let file = directory.file(main);
        if file.up_statements.is_empty() {
            out.push(
                Diagnostic::new(
                    Lint::EmptyUp,
                    &file.path,
                    format!(
                        "the UP of migration {} holds no statement",
                        candidate.name.version
                    ),
                )
                .at(section_position(file, file.sections.up.as_ref()))
                .help("write the migration's SQL, or delete the file"),
            );
        }
    }
}
