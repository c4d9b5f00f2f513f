//! `unknown-directive` (warn): a `-- strata:` comment that is misspelled or names an unknown
//! lint. It would otherwise do nothing, silently.

use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

pub(crate) fn check(directory: &Directory, _: &super::Shared<'_>, out: &mut Vec<Diagnostic>) {
    for file in &directory.files {
        for (span, message) in &file.sections.directives.unknown {
            out.push(
                Diagnostic::new(Lint::UnknownDirective, &file.path, message.clone())
                    .at(span.clone())
                    .help(
                        "known directives: `strata:no-transaction`, `strata:allow(lint-name, ...)`",
                    ),
            );
        }
    }
}
