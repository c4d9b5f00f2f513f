//! `mixed-schemes`: one directory, one naming scheme. Entries in any other scheme than the
//! directory's most common one are reported.

use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

pub(crate) fn check(directory: &Directory, _: &super::Shared<'_>, out: &mut Vec<Diagnostic>) {
    let Some(scheme) = directory.scheme else {
        return;
    };
    for candidate in directory
        .candidates
        .iter()
        .filter(|c| c.name.scheme != scheme)
    {
        out.push(
            Diagnostic::new(
                Lint::MixedSchemes,
                &candidate.entry,
                format!(
                    "this migration uses {}, but the directory uses {}",
                    candidate.name.scheme.describe(),
                    scheme.describe()
                ),
            )
            .help("rename it to the directory's scheme: ordering across schemes is ambiguous"),
        );
    }
}
