//! `orphan-down`: a DOWN file (`U3__x.sql`, `0003_x.down.sql`, `down.sql`) with no UP.

use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

pub(crate) fn check(directory: &Directory, _: &super::Shared<'_>, out: &mut Vec<Diagnostic>) {
    for candidate in directory.candidates.iter().filter(|c| c.main.is_none()) {
        let Some(down) = candidate.down_file else {
            continue;
        };
        let path = &directory.file(down).path;
        out.push(
            Diagnostic::new(
                Lint::OrphanDown,
                path,
                format!("`{path}` is a DOWN migration with no matching UP"),
            )
            .help("add the UP file with the same version and name, or delete this file"),
        );
    }
}
