//! `bad-section`: SQL outside any section, a repeated marker, or a marker for the other
//! direction inside a file that holds only one. Found while splitting; reported here.

use crate::diagnostic::Diagnostic;
use crate::discover::Directory;

pub(crate) fn check(directory: &Directory, _: &super::Shared<'_>, out: &mut Vec<Diagnostic>) {
    for file in &directory.files {
        out.extend(file.sections.problems.iter().cloned());
    }
}
