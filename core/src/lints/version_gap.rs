//! `version-gap`: sequential and Flyway-style versions count up one by one; a skipped
//! number usually means a migration was lost in a merge. Timestamps are exempt.

use crate::diagnostic::Diagnostic;
use crate::discover::Directory;
use crate::lint_registry::Lint;

/// Names every version in `from..to` (exclusive both ends), as a list or a range.
fn describe_missing(from: i64, to: i64) -> String {
    let count = to - from - 1;
    match count {
        1 => format!("version {}", from + 1),
        2..=10 => {
            let list: Vec<String> = (from + 1..to).map(|v| v.to_string()).collect();
            format!("versions {}", list.join(", "))
        }
        _ => format!(
            "versions {} through {} ({count} versions)",
            from + 1,
            to - 1
        ),
    }
}

pub(crate) fn check(directory: &Directory, _: &super::Shared<'_>, out: &mut Vec<Diagnostic>) {
    let mut counted: Vec<(i64, &str)> = directory
        .candidates
        .iter()
        .filter(|c| c.name.is_counted())
        .map(|c| (c.name.version, c.entry.as_str()))
        .collect();
    counted.sort();
    counted.dedup_by_key(|(version, _)| *version);
    for pair in counted.windows(2) {
        let [(low, low_entry), (high, high_entry)] = pair else {
            continue;
        };
        if high - low > 1 {
            out.push(
                Diagnostic::new(
                    Lint::VersionGap,
                    *high_entry,
                    format!("missing {} between `{low_entry}` and `{high_entry}`", describe_missing(*low, *high)),
                )
                .help("restore the missing migration or renumber; allow this with `-- strata:allow(version-gap)` if the gap is intended"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::describe_missing;

    #[test]
    fn names_every_missing_version() {
        assert_eq!(describe_missing(2, 4), "version 3");
        assert_eq!(describe_missing(2, 6), "versions 3, 4, 5");
        assert_eq!(
            describe_missing(1, 100),
            "versions 2 through 99 (98 versions)"
        );
    }
}
