//! `missing-down`: under `down = "required"` (the default) every migration needs a DOWN with
//! at least one statement, so rollback from admin code never finds nothing to run.

use crate::config::DownPolicy;
use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;
use crate::lints::section_position;

pub(crate) fn check(directory: &Directory, _: &super::Shared<'_>, out: &mut Vec<Diagnostic>) {
    if directory.config.down != DownPolicy::Required {
        return;
    }
    for candidate in &directory.candidates {
        let Some(main) = candidate.main else { continue };
        let file = directory.file(candidate.down_file.unwrap_or(main));
        let down = &file.sections.down;
        let message = match down {
            Some(_) if file.down_statements.is_empty() => {
                format!(
                    "the DOWN section of migration {} holds no statement",
                    candidate.name.version
                )
            }
            Some(_) => continue,
            None => format!("migration {} has no DOWN", candidate.name.version),
        };
        out.push(
            Diagnostic::new(Lint::MissingDown, &file.path, message)
                .at(section_position(file, down.as_ref()))
                .help("add a `-- DOWN` section (or DOWN file) that undoes the UP, or set `down = \"optional\"` in strata.toml"),
        );
    }
}
