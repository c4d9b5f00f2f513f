//! Naming schemes: what a file or directory name says about the migration it holds.
//! Pure functions over names; discovery decides which entries to ask about.

/// The five ways a directory of migrations can be laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scheme {
    /// `001_add_users.sql`
    Sequential,
    /// `V3__add_users.sql`, undo `U3__add_users.sql`
    Flyway,
    /// `20250210120000_create_providers.sql`
    Timestamp,
    /// `0003_users.up.sql` + `0003_users.down.sql`
    Paired,
    /// `2024-10-25-112826_users/up.sql` + `down.sql`
    DirectoryPerMigration,
}

impl Scheme {
    pub fn describe(self) -> &'static str {
        match self {
            Scheme::Sequential => "sequential names (`001_add_users.sql`)",
            Scheme::Flyway => "Flyway-style names (`V1__add_users.sql`)",
            Scheme::Timestamp => "timestamp names (`20250210120000_add_users.sql`)",
            Scheme::Paired => "paired files (`0001_add_users.up.sql` + `.down.sql`)",
            Scheme::DirectoryPerMigration => {
                "a directory per migration (`2024-10-25-112826_add_users/up.sql`)"
            }
        }
    }
}

/// The most common scheme among migrations (one entry per migration, not per file); ties go
/// to the earlier scheme in [`Scheme`]'s order, so the answer never depends on listing order.
pub fn dominant_scheme(schemes: impl IntoIterator<Item = Scheme>) -> Option<Scheme> {
    let mut counts: Vec<(Scheme, usize)> = Vec::new();
    for scheme in schemes {
        match counts.iter_mut().find(|(s, _)| *s == scheme) {
            Some((_, n)) => *n += 1,
            None => counts.push((scheme, 1)),
        }
    }
    counts.sort_by(|(a, n), (b, m)| m.cmp(n).then(a.cmp(b)));
    counts.first().map(|(scheme, _)| *scheme)
}

/// Which part of a migration a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// One file with `-- UP` / `-- DOWN` sections (or only UP).
    Sections,
    Up,
    Down,
}

/// What a well-formed name says.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParsedName {
    pub scheme: Scheme,
    pub version: i64,
    /// The version exactly as written (`001`, `2024-10-25-112826`), for padding in `strata new`.
    pub version_text: String,
    pub name: String,
    pub role: Role,
}

impl ParsedName {
    /// Whether versions of this migration are counted one by one (gaps matter), as opposed to
    /// timestamps (gaps are expected).
    pub fn is_counted(&self) -> bool {
        match self.scheme {
            Scheme::Sequential | Scheme::Flyway => true,
            Scheme::Timestamp => false,
            Scheme::Paired | Scheme::DirectoryPerMigration => digit_count(&self.version_text) < 12,
        }
    }
}

/// Why a name was rejected, with advice.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BadName {
    pub message: String,
    pub help: String,
}

const EXPECTED: &str = "name migrations like `001_add_users.sql`, `V1__add_users.sql`, \
`20250210120000_add_users.sql`, `0001_add_users.up.sql` + `0001_add_users.down.sql`, \
or a directory `2024-10-25-112826_add_users/` holding `up.sql` and `down.sql`";

fn digit_count(text: &str) -> usize {
    text.bytes().filter(u8::is_ascii_digit).count()
}

fn bad(message: impl Into<String>) -> BadName {
    BadName {
        message: message.into(),
        help: EXPECTED.to_string(),
    }
}

/// Parses a version made of ASCII digits (and, for directories, dashes) into an i64.
fn parse_version(text: &str, file_name: &str) -> Result<i64, BadName> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    digits.parse::<i64>().map_err(|_| BadName {
        message: format!("version `{text}` of `{file_name}` does not fit in a 64-bit integer"),
        help: "versions are integers up to 9223372036854775807; use a shorter version".to_string(),
    })
}

/// Splits `<digits>_<name>` (or just `<digits>`) into its parts. dbmate also writes
/// `<digits>-<name>` (its pattern is `^(\d+).*\.sql$`), so a dash separates too.
fn split_version(stem: &str) -> Option<(&str, &str)> {
    let end = stem
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(stem.len());
    if end == 0 {
        return None;
    }
    let (version, rest) = stem.split_at(end);
    if rest.is_empty() {
        return Some((version, ""));
    }
    rest.strip_prefix('_')
        .or_else(|| rest.strip_prefix('-'))
        .map(|name| (version, name))
}

/// Classifies a `.sql` file name (the last path component).
pub fn parse_file_name(file_name: &str) -> Result<ParsedName, BadName> {
    let Some(stem) = file_name.strip_suffix(".sql") else {
        return Err(bad(format!("`{file_name}` is not a .sql file")));
    };
    if let Some((stem, role)) = stem
        .strip_suffix(".up")
        .map(|s| (s, Role::Up))
        .or_else(|| stem.strip_suffix(".down").map(|s| (s, Role::Down)))
    {
        let (version, name) = split_version(stem).ok_or_else(|| {
            bad(format!(
                "`{file_name}` looks like a paired file but does not start with a version"
            ))
        })?;
        return named(Scheme::Paired, version, name, role, file_name);
    }
    if let Some(rest) = stem.strip_prefix('R').filter(|r| r.starts_with("__")) {
        return Err(BadName {
            message: format!(
                "`{file_name}` is a Flyway repeatable migration (`R__{}`)",
                &rest[2..]
            ),
            help: "strata has no repeatable migrations; give it a version (`V<n>__...`)"
                .to_string(),
        });
    }
    for (prefix, role) in [('V', Role::Sections), ('U', Role::Down)] {
        let Some(rest) = stem
            .strip_prefix(prefix)
            .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        else {
            continue;
        };
        let Some((version, name)) = rest.split_once("__") else {
            return Err(bad(format!(
                "`{file_name}` starts like a Flyway name but has no `__` before its description"
            )));
        };
        if !version.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BadName {
                message: format!("Flyway version `{version}` of `{file_name}` is not an integer"),
                help:
                    "strata versions are integers compared numerically; rename it `V<integer>__...`"
                        .to_string(),
            });
        }
        return named(Scheme::Flyway, version, name, role, file_name);
    }
    let Some((version, name)) = split_version(stem) else {
        return Err(bad(format!(
            "`{file_name}` matches no migration naming scheme"
        )));
    };
    let scheme = if version.len() == 14 {
        Scheme::Timestamp
    } else {
        Scheme::Sequential
    };
    named(scheme, version, name, Role::Sections, file_name)
}

/// Classifies a directory name for the directory-per-migration scheme
/// (`2024-10-25-112826_users`, `2026-06-02-122008-0000_x`, `00000000000000_setup`).
/// `None` means the directory is not named like a migration at all.
pub fn parse_dir_name(dir_name: &str) -> Option<Result<ParsedName, BadName>> {
    let (version, name) = dir_name.split_once('_')?;
    let well_formed = version.starts_with(|c: char| c.is_ascii_digit())
        && version.chars().all(|c| c.is_ascii_digit() || c == '-');
    if !well_formed {
        return None;
    }
    Some(named(
        Scheme::DirectoryPerMigration,
        version,
        name,
        Role::Sections,
        dir_name,
    ))
}

fn named(
    scheme: Scheme,
    version: &str,
    name: &str,
    role: Role,
    file_name: &str,
) -> Result<ParsedName, BadName> {
    Ok(ParsedName {
        scheme,
        version: parse_version(version, file_name)?,
        version_text: version.to_string(),
        name: name.to_string(),
        role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dominant_scheme_counts_and_breaks_ties_by_scheme_order() {
        use Scheme::*;
        assert_eq!(dominant_scheme([]), None);
        assert_eq!(
            dominant_scheme([Timestamp, Sequential, Timestamp]),
            Some(Timestamp)
        );
        assert_eq!(dominant_scheme([Timestamp, Flyway]), Some(Flyway));
        assert_eq!(dominant_scheme([Flyway, Timestamp]), Some(Flyway));
    }

    fn ok(name: &str) -> ParsedName {
        parse_file_name(name).unwrap_or_else(|e| panic!("{name}: {}", e.message))
    }

    #[test]
    fn sequential_names() {
        let n = ok("001_add_users.sql");
        assert_eq!(
            (n.scheme, n.version, n.name.as_str(), n.role),
            (Scheme::Sequential, 1, "add_users", Role::Sections)
        );
        assert_eq!(n.version_text, "001");
        assert_eq!(
            ok("12_with spaces-and-dashes.sql").name,
            "with spaces-and-dashes"
        );
        assert_eq!(ok("7.sql").name, "");
    }

    #[test]
    fn flyway_names() {
        let n = ok("V3__add_index.sql");
        assert_eq!(
            (n.scheme, n.version, n.name.as_str(), n.role),
            (Scheme::Flyway, 3, "add_index", Role::Sections)
        );
        let u = ok("U3__add_index.sql");
        assert_eq!((u.scheme, u.role), (Scheme::Flyway, Role::Down));
        assert!(
            parse_file_name("V1_1__x.sql")
                .unwrap_err()
                .message
                .contains("not an integer")
        );
        assert!(parse_file_name("V2_x.sql").is_err());
        assert!(
            parse_file_name("R__views.sql")
                .unwrap_err()
                .message
                .contains("repeatable")
        );
    }

    #[test]
    fn timestamp_and_paired_names() {
        let t = ok("20250210120000_create_providers.sql");
        assert_eq!((t.scheme, t.version), (Scheme::Timestamp, 20250210120000));
        assert!(!t.is_counted());
        let p = ok("0003_users.up.sql");
        assert_eq!(
            (p.scheme, p.version, p.name.as_str(), p.role),
            (Scheme::Paired, 3, "users", Role::Up)
        );
        assert!(p.is_counted());
        assert_eq!(ok("20250210120000_users.down.sql").role, Role::Down);
        assert!(!ok("20250210120000_users.down.sql").is_counted());
    }

    #[test]
    fn directory_names() {
        let d = parse_dir_name("2024-10-25-112826_users").unwrap().unwrap();
        assert_eq!(
            (d.scheme, d.version, d.name.as_str()),
            (Scheme::DirectoryPerMigration, 20241025112826, "users")
        );
        let long = parse_dir_name("2026-06-02-122008-0000_add_x")
            .unwrap()
            .unwrap();
        assert_eq!(long.version, 202606021220080000);
        assert!(parse_dir_name("fixtures").is_none());
        assert!(parse_dir_name("seed_data").is_none());
    }

    #[test]
    fn dbmate_names_with_a_dash_are_timestamps() {
        let parsed = parse_file_name("20230503122557-add-categories-table.sql").expect("dbmate");
        assert_eq!(
            (parsed.scheme, parsed.version, parsed.name.as_str()),
            (Scheme::Timestamp, 20230503122557, "add-categories-table")
        );
        let sequential = parse_file_name("001-add.sql").expect("a dash after a number");
        assert_eq!(sequential.scheme, Scheme::Sequential);
    }

    #[test]
    fn rejects_unmatched_and_overflowing_names() {
        for name in ["add_users.sql", "schema.sql", "001add.sql", "v1__lower.sql"] {
            assert!(parse_file_name(name).is_err(), "{name}");
        }
        let err = parse_file_name("99999999999999999999_x.sql").unwrap_err();
        assert!(err.message.contains("64-bit"), "{}", err.message);
    }
}
