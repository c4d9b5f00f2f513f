//! `forbidden-down`: under `down = "forbidden"` a DOWN is an error (forward-only teams).

use crate::config::DownPolicy;
use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;
use crate::lints::section_position;

pub(crate) fn check(directory: &Directory, _: &super::Shared<'_>, out: &mut Vec<Diagnostic>) {
    if directory.config.down != DownPolicy::Forbidden {
        return;
    }
    for candidate in &directory.candidates {
        let file = directory.file(match candidate.down_file.or(candidate.main) {
            Some(index) => index,
            None => continue,
        });
        let Some(down) = &file.sections.down else {
            continue;
        };
        out.push(
            Diagnostic::new(
                Lint::ForbiddenDown,
                &file.path,
                format!(
                    "migration {} has a DOWN, but strata.toml forbids them",
                    candidate.name.version
                ),
            )
            .at(section_position(file, Some(down)))
            .help(
                "remove the DOWN (fix forward with a new migration), or set `down = \"optional\"`",
            ),
        );
    }
}
