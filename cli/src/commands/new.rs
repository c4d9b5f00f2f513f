//! `strata new NAME`: the next migration in the directory's own scheme.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use strata_core::naming::{self, ParsedName, Role, Scheme};

use super::Result;
use crate::args::SchemeArg;
use crate::error::CliError;

const SECTIONS: &str = "-- UP\n\n\n-- DOWN\n\n";

/// What exists in the directory: every well-formed name.
fn existing(dir: &Path) -> Result<Vec<ParsedName>> {
    let entries = std::fs::read_dir(dir).map_err(CliError::io("read", dir))?;
    let mut names = Vec::new();
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let parsed = if entry.path().is_dir() {
            naming::parse_dir_name(&name).and_then(|r| r.ok())
        } else {
            naming::parse_file_name(&name).ok()
        };
        names.extend(parsed);
    }
    Ok(names)
}

fn scheme_of(arg: SchemeArg) -> Scheme {
    match arg {
        SchemeArg::Sequential => Scheme::Sequential,
        SchemeArg::Flyway => Scheme::Flyway,
        SchemeArg::Timestamp => Scheme::Timestamp,
        SchemeArg::Paired => Scheme::Paired,
        SchemeArg::Directory => Scheme::DirectoryPerMigration,
    }
}

/// A file (or directory) to create, with its contents.
#[derive(Debug, PartialEq, Eq)]
pub struct NewFile {
    pub path: PathBuf,
    pub contents: String,
}

/// `name` as it goes into a file name: whitespace becomes `_`; separators are refused.
fn file_safe(name: &str) -> Result<String> {
    if name.trim().is_empty()
        || name.contains(['/', '\\', '.'])
        || name.chars().any(char::is_control)
    {
        return Err(CliError::Refused(format!(
            "`{name}` cannot be a migration name: use letters, digits, `_` and `-`"
        )));
    }
    Ok(name.split_whitespace().collect::<Vec<_>>().join("_"))
}

/// Plans the files for the next migration. `now` is a UTC `YYYYMMDDHHMMSS` timestamp.
pub fn plan(
    existing: &[ParsedName],
    fallback: Scheme,
    name: &str,
    now: i64,
) -> Result<Vec<NewFile>> {
    let name = file_safe(name)?;
    let scheme = majority(existing).unwrap_or(fallback);
    let same: Vec<&ParsedName> = existing.iter().filter(|n| n.scheme == scheme).collect();
    let max = same.iter().map(|n| n.version).max().unwrap_or(0);
    let width = same.iter().map(|n| n.version_text.len()).max();
    let counted = same.first().is_none_or(|n| n.is_counted());
    let next_count =
        |default_width: usize| format!("{:0w$}", max + 1, w = width.unwrap_or(default_width));
    let next_timestamp = now.max(max + 1);
    let file = |path: String, contents: &str| NewFile {
        path: PathBuf::from(path),
        contents: contents.to_string(),
    };
    Ok(match scheme {
        Scheme::Sequential => vec![file(format!("{}_{name}.sql", next_count(3)), SECTIONS)],
        Scheme::Timestamp => vec![file(format!("{next_timestamp}_{name}.sql"), SECTIONS)],
        Scheme::Flyway => {
            let v = max + 1;
            vec![
                file(format!("V{v}__{name}.sql"), "\n"),
                file(format!("U{v}__{name}.sql"), "\n"),
            ]
        }
        Scheme::Paired => {
            let version = if counted && fallback != Scheme::Timestamp {
                next_count(4)
            } else {
                next_timestamp.to_string()
            };
            vec![
                file(format!("{version}_{name}.up.sql"), "\n"),
                file(format!("{version}_{name}.down.sql"), "\n"),
            ]
        }
        Scheme::DirectoryPerMigration => {
            let t = next_timestamp.to_string();
            let version = if counted && !same.is_empty() {
                next_count(4)
            } else {
                format!("{}-{}-{}-{}", &t[0..4], &t[4..6], &t[6..8], &t[8..14])
            };
            let dir = format!("{version}_{name}");
            vec![
                file(format!("{dir}/up.sql"), "\n"),
                file(format!("{dir}/down.sql"), "\n"),
            ]
        }
    })
}

/// The directory's scheme, counted per migration (an undo or DOWN file is not one).
fn majority(existing: &[ParsedName]) -> Option<Scheme> {
    naming::dominant_scheme(
        existing
            .iter()
            .filter(|n| n.role != Role::Down)
            .map(|n| n.scheme),
    )
}

fn utc_now() -> i64 {
    chrono::Utc::now()
        .format("%Y%m%d%H%M%S")
        .to_string()
        .parse()
        .unwrap_or(0)
}

pub fn run(dir: &Path, name: &str, scheme: Option<SchemeArg>, quiet: bool) -> Result<ExitCode> {
    if !dir.is_dir() {
        std::fs::create_dir_all(dir).map_err(CliError::io("create", dir))?;
    }
    let existing = existing(dir)?;
    let fallback = scheme.map_or(Scheme::Sequential, scheme_of);
    let files = plan(&existing, fallback, name, utc_now())?;
    for file in &files {
        let path = dir.join(&file.path);
        if path.exists() {
            return Err(CliError::Refused(format!(
                "{} already exists",
                path.display()
            )));
        }
    }
    for file in files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(CliError::io("create", parent))?;
        }
        std::fs::write(&path, file.contents).map_err(CliError::io("write", &path))?;
        if !quiet {
            println!("created {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(files: &[&str]) -> Vec<ParsedName> {
        files
            .iter()
            .map(|f| match f.strip_suffix('/') {
                Some(dir) => naming::parse_dir_name(dir)
                    .and_then(|r| r.ok())
                    .expect("dir name"),
                None => naming::parse_file_name(f).expect("file name"),
            })
            .collect()
    }

    fn paths(existing: &[&str], fallback: Scheme) -> Vec<String> {
        plan(&names(existing), fallback, "add users", 20260102030405)
            .expect("plan")
            .into_iter()
            .map(|f| f.path.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn next_name_in_each_scheme() {
        assert_eq!(
            paths(&["001_a.sql", "002_b.sql"], Scheme::Sequential),
            ["003_add_users.sql"]
        );
        assert_eq!(
            paths(&["0009_a.sql"], Scheme::Sequential),
            ["0010_add_users.sql"]
        );
        assert_eq!(
            paths(&["V1__a.sql", "U1__a.sql", "V7__b.sql"], Scheme::Sequential),
            ["V8__add_users.sql", "U8__add_users.sql"]
        );
        assert_eq!(
            paths(&["20250210120000_a.sql"], Scheme::Sequential),
            ["20260102030405_add_users.sql"]
        );
        assert_eq!(
            paths(&["0003_a.up.sql", "0003_a.down.sql"], Scheme::Sequential),
            ["0004_add_users.up.sql", "0004_add_users.down.sql"]
        );
        assert_eq!(
            paths(&["20250210120000_a.up.sql"], Scheme::Sequential),
            [
                "20260102030405_add_users.up.sql",
                "20260102030405_add_users.down.sql"
            ]
        );
        assert_eq!(
            paths(&["2024-10-25-112826_users/"], Scheme::Sequential),
            [
                "2026-01-02-030405_add_users/up.sql",
                "2026-01-02-030405_add_users/down.sql"
            ]
        );
    }

    #[test]
    fn empty_directory_uses_the_requested_scheme() {
        assert_eq!(paths(&[], Scheme::Sequential), ["001_add_users.sql"]);
        assert_eq!(
            paths(&[], Scheme::Timestamp),
            ["20260102030405_add_users.sql"]
        );
        assert_eq!(
            paths(&[], Scheme::Flyway),
            ["V1__add_users.sql", "U1__add_users.sql"]
        );
        assert_eq!(
            paths(&[], Scheme::DirectoryPerMigration),
            [
                "2026-01-02-030405_add_users/up.sql",
                "2026-01-02-030405_add_users/down.sql"
            ]
        );
    }

    #[test]
    fn timestamps_never_go_backwards() {
        assert_eq!(
            paths(&["20990101000000_future.sql"], Scheme::Sequential),
            ["20990101000001_add_users.sql"]
        );
    }

    #[test]
    fn rejects_path_like_names() {
        assert!(plan(&[], Scheme::Sequential, "../evil", 0).is_err());
        assert!(plan(&[], Scheme::Sequential, "  ", 0).is_err());
    }
}
