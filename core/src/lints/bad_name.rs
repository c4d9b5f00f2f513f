//! `bad-name`: a `.sql` file or a directory holding SQL that matches no naming scheme.

use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

pub(crate) fn check(directory: &Directory, _: &super::Shared<'_>, out: &mut Vec<Diagnostic>) {
    for entry in &directory.bad_entries {
        out.push(
            Diagnostic::new(Lint::BadName, &entry.path, &entry.problem.message)
                .help(&entry.problem.help),
        );
    }
}
