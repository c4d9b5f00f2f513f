//! The schema replay behind `undefined-object`, `duplicate-object` and `down-not-inverse`:
//! every migration applied in version order to a database the build makes, each DOWN run
//! right after its UP and compared. Run once for the three lints.
//!
//! SQLite replays in SQLite itself (bundled, in memory; feature `sqlite-parser`): what the
//! build reports is what SQLite does. PostgreSQL replays in strata's own schema model
//! (`postgres/`), which follows what it understands and stays silent on the rest. MySQL has
//! no replay yet: the lints say nothing there.
//!
//! Only what is certain is reported. The replay stops, silently, at the first statement it
//! cannot judge: a function, module or collation the application registers, a table no
//! migration made (the database may have had it before strata), a constraint failing on
//! data (production's rows are not the replay's), a syntax error (`sql-syntax` reports
//! those). Everything after such a statement is unknown, so nothing after it is reported.

use std::ops::Range;

use crate::diagnostic::Diagnostic;
use crate::discover::{Candidate, Directory, SourceFile};
use crate::level::Level;
use crate::lint_registry::{Detected, Lint, REGISTRY};

pub(crate) mod postgres;
#[cfg(feature = "sqlite-parser")]
pub(crate) mod sqlite;

/// Runs the replay for the dialect when one of its lints is not `allow`.
pub(crate) fn run(
    directory: &Directory,
    prepared: &[crate::lints::safety_scope::Prepared<'_>],
    out: &mut Vec<Diagnostic>,
) {
    let wanted = REGISTRY
        .iter()
        .filter(|row| row.detected == Detected::Replay)
        .any(|row| directory.config.level(row.lint) != Level::Allow);
    if !wanted {
        return;
    }
    let found: Vec<Diagnostic> = match directory.config.dialect {
        #[cfg(feature = "sqlite-parser")]
        strata_model::Dialect::Sqlite => sqlite::replay(directory),
        strata_model::Dialect::Postgres => postgres::replay(directory, prepared),
        _ => Vec::new(),
    };
    out.extend(
        found
            .into_iter()
            .filter(|d| directory.config.level(d.lint) != Level::Allow),
    );
}

/// How many schema differences a `down-not-inverse` finding lists.
const SHOWN_DIFFERENCES: usize = 5;

/// The migrations in version order; `None` when two share a version: their order is not
/// known (duplicate-version says so), and neither is the schema each finds.
pub(crate) fn in_version_order(directory: &Directory) -> Option<Vec<&Candidate>> {
    let mut candidates: Vec<&Candidate> = directory.candidates.iter().collect();
    candidates.sort_by_key(|candidate| candidate.name.version);
    let ambiguous = candidates
        .windows(2)
        .any(|pair| pair[0].name.version == pair[1].name.version);
    (!ambiguous).then_some(candidates)
}

/// A `down-not-inverse` finding at the DOWN's first statement (`file`, `statement`), listing
/// the first differences.
pub(crate) fn down_not_inverse(
    file: &SourceFile,
    statement: &Range<usize>,
    version: i64,
    differences: &[String],
    help: &str,
) -> Diagnostic {
    let shown: Vec<&str> = differences
        .iter()
        .take(SHOWN_DIFFERENCES)
        .map(String::as_str)
        .collect();
    let more = match differences.len().saturating_sub(SHOWN_DIFFERENCES) {
        0 => String::new(),
        more => format!(" (and {more} more)"),
    };
    Diagnostic::new(
        Lint::DownNotInverse,
        &file.path,
        format!(
            "migration {version}: the DOWN does not restore the schema its UP found: {}{more}",
            shown.join("; ")
        ),
    )
    .at(crate::lints::first_word_span(file, statement))
    .help(help.to_string())
}

/// What a failing statement means, when it is certain. (Only SQLite replays so far.)
#[cfg(feature = "sqlite-parser")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// It names something that is not there: `undefined-object`.
    Undefined(String),
    /// It creates something that is there: `duplicate-object`.
    Duplicate(String),
    /// Not certain: the replay stops here.
    Unknown,
}

/// The closest of `names` to `name` within two edits, for "did you mean".
pub(crate) fn closest<'n>(
    name: &str,
    names: impl IntoIterator<Item = &'n String>,
) -> Option<&'n String> {
    let name = name.to_ascii_lowercase();
    names
        .into_iter()
        .map(|candidate| {
            (
                edit_distance(&name, &candidate.to_ascii_lowercase()),
                candidate,
            )
        })
        .filter(|(distance, _)| *distance > 0 && *distance <= 2)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_near_names_only() {
        let names = ["users".to_string(), "orders".to_string()];
        assert_eq!(closest("user", &names), Some(&names[0]));
        assert_eq!(closest("ORDRES", &names), Some(&names[1]));
        assert_eq!(closest("invoices", &names), None);
        assert_eq!(closest("users", &names), None);
    }
}
