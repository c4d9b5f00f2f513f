//! Discovery, lints and checksums through the public `load` pipeline, on real directories.

use std::fs;
use std::path::Path;

use strata_core::{Level, Lint, Loaded, load};

/// Writes `files` (relative path, contents) under a fresh directory and loads `migrations/`.
fn load_files(files: &[(&str, &[u8])]) -> Loaded {
    let base = tempfile::tempdir().expect("temp dir");
    write_all(base.path(), files);
    load(base.path(), "migrations")
}

fn write_all(base: &Path, files: &[(&str, &[u8])]) {
    fs::create_dir_all(base.join("migrations")).expect("migrations dir");
    for (path, text) in files {
        let full = base.join("migrations").join(path);
        fs::create_dir_all(full.parent().expect("parent")).expect("dirs");
        fs::write(full, text).expect("write");
    }
}

// Each migration only reads: the files are interchangeable without the schema lints objecting.
const OK: &[u8] = b"-- UP\nSELECT 1;\n-- DOWN\nSELECT 2;\n";

fn findings(loaded: &Loaded, lint: Lint) -> Vec<String> {
    loaded
        .diagnostics
        .iter()
        .filter(|d| d.lint == lint)
        .map(|d| format!("{}: {}", d.location(), d.message))
        .collect()
}

#[test]
fn clean_directory_has_no_findings_and_numeric_order() {
    let loaded = load_files(&[
        ("1_a.sql", OK),
        ("2_b.sql", OK),
        ("10_c.sql", OK),
        ("3_c.sql", OK),
        ("4_d.sql", OK),
        ("5_e.sql", OK),
        ("6_f.sql", OK),
        ("7_g.sql", OK),
        ("8_h.sql", OK),
        ("9_i.sql", OK),
    ]);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let versions: Vec<i64> = loaded.migrations.iter().map(|m| m.version()).collect();
    assert_eq!(versions, (1..=10).collect::<Vec<_>>());
}

#[test]
fn non_sql_files_hidden_files_and_plain_directories_are_not_migrations() {
    let loaded = load_files(&[
        ("001_a.sql", OK),
        ("README.md", b"# notes"),
        ("strata.toml", b""),
        (".#001_a.sql", b"editor lock"),
        ("docs/diagram.png", b"png"),
    ]);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    assert_eq!(loaded.migrations.len(), 1);
}

#[test]
fn bad_name_for_unmatched_sql_and_directories_hiding_sql() {
    let loaded = load_files(&[
        ("001_a.sql", OK),
        ("schema.sql", OK),
        ("seeds/data.sql", OK),
        ("002_b.SQL", OK),
    ]);
    let found = findings(&loaded, Lint::BadName);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found.iter().any(|f| f.contains("migrations/schema.sql")));
    assert!(found.iter().any(|f| f.contains("migrations/seeds")));
    assert!(found.iter().any(|f| f.contains("upper-case")));
}

#[test]
fn duplicate_version_names_both_files() {
    let loaded = load_files(&[("001_a.sql", OK), ("1_b.sql", OK)]);
    let found = findings(&loaded, Lint::DuplicateVersion);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].contains("migrations/001_a.sql") && found[0].contains("migrations/1_b.sql"),
        "{}",
        found[0]
    );
}

#[test]
fn version_gap_names_the_missing_version() {
    let loaded = load_files(&[("001_a.sql", OK), ("002_b.sql", OK), ("004_d.sql", OK)]);
    let found = findings(&loaded, Lint::VersionGap);
    assert_eq!(
        found,
        vec![
            "migrations/004_d.sql:1:1: missing version 3 between `migrations/002_b.sql` and `migrations/004_d.sql`"
        ]
    );
    assert!(loaded.has_errors());
}

#[test]
fn version_gap_applies_to_flyway_but_not_timestamps() {
    let flyway = load_files(&[("V1__a.sql", OK), ("V3__c.sql", OK)]);
    assert_eq!(findings(&flyway, Lint::VersionGap).len(), 1);
    let timestamps = load_files(&[("20250101000000_a.sql", OK), ("20250210120000_b.sql", OK)]);
    assert!(
        timestamps.diagnostics.is_empty(),
        "{:?}",
        timestamps.diagnostics
    );
}

#[test]
fn mixed_schemes_flags_the_minority() {
    let loaded = load_files(&[("001_a.sql", OK), ("002_b.sql", OK), ("V3__c.sql", OK)]);
    let found = findings(&loaded, Lint::MixedSchemes);
    assert_eq!(found.len(), 1);
    assert!(found[0].starts_with("migrations/V3__c.sql"), "{}", found[0]);
}

#[test]
fn down_policy_lints() {
    let no_down = b"CREATE TABLE t (id int);\n";
    let empty_down = b"-- UP\nCREATE TABLE t (id int);\n-- DOWN\n-- irreversible\n";
    let required = load_files(&[("001_a.sql", no_down), ("002_b.sql", empty_down)]);
    let found = findings(&required, Lint::MissingDown);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[1].contains("holds no statement"));
    assert!(
        required.migrations[1].down().is_none(),
        "an empty DOWN is no DOWN"
    );

    let optional = load_files(&[
        ("strata.toml", b"down = \"optional\""),
        ("001_a.sql", no_down),
    ]);
    assert!(
        optional.diagnostics.is_empty(),
        "{:?}",
        optional.diagnostics
    );

    let forbidden = load_files(&[
        ("strata.toml", b"down = \"forbidden\""),
        ("001_a.sql", OK),
        ("002_b.sql", no_down),
    ]);
    assert_eq!(
        findings(&forbidden, Lint::ForbiddenDown),
        vec!["migrations/001_a.sql:3:1: migration 1 has a DOWN, but strata.toml forbids them"]
    );
}

#[test]
fn orphan_down_files() {
    let loaded = load_files(&[
        ("0001_a.up.sql", b"CREATE TABLE a (id int);"),
        ("0001_a.down.sql", b"DROP TABLE a;"),
        ("0002_b.down.sql", b"DROP TABLE b;"),
    ]);
    assert_eq!(findings(&loaded, Lint::OrphanDown).len(), 1);
    let flyway = load_files(&[
        ("V1__a.sql", b"CREATE TABLE a (id int);"),
        ("U1__a.sql", b"DROP TABLE a;"),
        ("U2__b.sql", b"DROP TABLE b;"),
    ]);
    assert_eq!(
        findings(&flyway, Lint::OrphanDown),
        vec![
            "migrations/U2__b.sql:1:1: `migrations/U2__b.sql` is a DOWN migration with no matching UP"
        ]
    );
    assert_eq!(flyway.migrations.len(), 1);
    assert_eq!(flyway.migrations[0].down(), Some("DROP TABLE a;"));
}

#[test]
fn empty_up_for_comment_only_empty_and_missing_up() {
    let loaded = load_files(&[
        ("strata.toml", b"down = \"optional\""),
        ("001_a.sql", b"-- nothing yet\n"),
        ("002_b.sql", b""),
        ("003_c.sql", b"-- UP\n-- DOWN\nDROP TABLE c;\n"),
    ]);
    assert_eq!(
        findings(&loaded, Lint::EmptyUp).len(),
        3,
        "{:?}",
        loaded.diagnostics
    );
    let directory = load_files(&[
        ("2024-10-25-112826_users/down.sql", b"DROP TABLE users;"),
        ("2024-10-26-000000_posts/notes.txt", b""),
    ]);
    let found = findings(&directory, Lint::EmptyUp);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(findings(&directory, Lint::OrphanDown).len(), 1);
}

#[test]
fn unknown_directive_is_a_warning() {
    let loaded = load_files(&[(
        "001_a.sql",
        b"-- strata:no-transactoin\nCREATE TABLE a (id int);\n-- DOWN\nDROP TABLE a;\n",
    )]);
    let d = &loaded.diagnostics[0];
    assert_eq!(
        (d.lint, d.level, d.location()),
        (
            Lint::UnknownDirective,
            Level::Warn,
            "migrations/001_a.sql:1:1".to_string()
        )
    );
    assert!(!loaded.has_errors());
}

#[test]
fn sql_syntax_points_at_the_file_line() {
    let loaded = load_files(&[("001_a.sql", b"-- header\n-- UP\nCREATE TABLE a (id int);\nCREAT TABLE b (id int);\n-- DOWN\nDROP TABLE a;\n")]);
    assert_eq!(
        findings(&loaded, Lint::SqlSyntax),
        vec!["migrations/001_a.sql:4:1: postgres syntax error: expected command, found `CREAT`"]
    );
}

#[test]
fn bad_section_for_stray_sql() {
    let loaded = load_files(&[(
        "001_a.sql",
        b"SELECT 1;\n-- UP\nCREATE TABLE a (id int);\n-- DOWN\nDROP TABLE a;\n",
    )]);
    assert_eq!(findings(&loaded, Lint::BadSection).len(), 1);
}

#[test]
fn levels_come_from_config_and_directives() {
    let gap = [("002_b.sql", OK), ("004_d.sql", OK)];
    let warned = load_files(&[
        gap[0],
        gap[1],
        ("strata.toml", b"[lints]\nversion-gap = \"warn\"\n"),
    ]);
    assert_eq!(warned.diagnostics.len(), 1);
    assert_eq!(warned.diagnostics[0].level, Level::Warn);
    let allowed = load_files(&[
        gap[0],
        (
            "004_d.sql",
            b"-- strata:allow(version-gap)\n-- UP\nSELECT 1;\n-- DOWN\nSELECT 1;\n",
        ),
    ]);
    assert!(allowed.diagnostics.is_empty(), "{:?}", allowed.diagnostics);
}

#[test]
fn invalid_config_is_an_error_that_cannot_be_allowed() {
    let loaded = load_files(&[
        ("001_a.sql", OK),
        ("strata.toml", b"[lints]\ninvalid-config = \"allow\"\n"),
    ]);
    assert_eq!(
        findings(&loaded, Lint::InvalidConfig),
        vec!["migrations/strata.toml:2:1: lint `invalid-config` cannot be configured"]
    );
}

#[test]
fn diagnostics_are_sorted_and_complete() {
    let loaded = load_files(&[
        ("003_c.sql", b"CREAT TABLE c (id int);"),
        ("001_a.sql", b"CREAT TABLE a (id int);"),
        ("zzz.sql", b""),
    ]);
    let files: Vec<&str> = loaded.diagnostics.iter().map(|d| d.file.as_str()).collect();
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted);
    assert!(findings(&loaded, Lint::SqlSyntax).len() == 2);
    assert!(findings(&loaded, Lint::VersionGap).len() == 1);
    assert!(findings(&loaded, Lint::BadName).len() == 1);
}

#[test]
fn unreadable_inputs_are_reported_never_skipped() {
    let loaded = load_files(&[
        ("001_a.sql", OK),
        ("002_b.sql", b"-- UP\nSELECT '\xff';\n-- DOWN\nSELECT 1;\n"),
    ]);
    assert_eq!(
        findings(&loaded, Lint::UnreadableFile),
        vec![
            "migrations/002_b.sql:1:1: `migrations/002_b.sql` is not valid UTF-8 (invalid byte at line 2, column 9)"
        ]
    );
    let missing = load(Path::new("/nonexistent-base"), "migrations");
    assert_eq!(missing.diagnostics.len(), 1);
    assert_eq!(missing.diagnostics[0].lint, Lint::UnreadableFile);
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links_are_reported() {
    let base = tempfile::tempdir().expect("temp dir");
    write_all(base.path(), &[("001_a.sql", OK)]);
    let dir = base.path().join("migrations");
    std::os::unix::fs::symlink(dir.join("002_loop.sql"), dir.join("002_loop.sql"))
        .expect("symlink");
    std::os::unix::fs::symlink(dir.join("missing.sql"), dir.join("003_dangling.sql"))
        .expect("symlink");
    let loaded = load(base.path(), "migrations");
    assert_eq!(
        findings(&loaded, Lint::UnreadableFile).len(),
        2,
        "{:?}",
        loaded.diagnostics
    );
}

#[test]
fn bom_and_crlf_keep_the_checksum_and_string_edits_change_it() {
    let base = b"-- UP\nCREATE TABLE t (name text DEFAULT 'a');\n-- DOWN\nDROP TABLE t;\n";
    let crlf = String::from_utf8_lossy(base).replace('\n', "\r\n");
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(base);
    let recommented = b"-- UP: the t table\n  CREATE TABLE t (name text   DEFAULT 'a'); -- why\n-- DOWN\n\tDROP TABLE t;\n";
    let edited = b"-- UP\nCREATE TABLE t (name text DEFAULT 'b');\n-- DOWN\nDROP TABLE t;\n";
    let sum = |text: &[u8]| {
        load_files(&[("001_a.sql", text)]).migrations[0]
            .checksum()
            .to_string()
    };
    let original = sum(base);
    assert_eq!(original, sum(crlf.as_bytes()));
    assert_eq!(original, sum(&bom));
    assert_eq!(original, sum(recommented));
    assert_ne!(original, sum(edited));
}

#[test]
fn statement_lines_are_file_lines() {
    let loaded = load_files(&[("001_a.sql", b"-- header\n\n-- UP\nCREATE TABLE a (id int);\n\nCREATE TABLE b (\n  id int\n);\n-- DOWN\nDROP TABLE b;\nDROP TABLE a;\n")]);
    let m = &loaded.migrations[0];
    let lines: Vec<u32> = m.up_statements().iter().map(|s| s.line()).collect();
    assert_eq!(lines, vec![4, 6]);
    assert_eq!(m.up_section().line(), 4);
    let down: Vec<u32> = m
        .down_section()
        .expect("down")
        .statements()
        .iter()
        .map(|s| s.line())
        .collect();
    assert_eq!(down, vec![10, 11]);
    let second = m.up_statements()[1];
    assert_eq!(
        m.up_section().file_position(second.range().start + 19),
        (7, 3)
    );
}

/// Over 256 KB of SQL the syntax check runs on every core: every file's findings still come
/// back, in order, the same as from a small directory.
#[test]
fn a_large_directory_reports_every_files_syntax_errors_in_order() {
    let filler = format!(
        "-- UP\n{}CREAT TABLE broken (id int);\n-- DOWN\nSELECT 1;\n",
        "SELECT 1;\n".repeat(200)
    );
    let names: Vec<String> = (1..=150).map(|n| format!("{n:03}_m.sql")).collect();
    let files: Vec<(&str, &[u8])> = names
        .iter()
        .map(|n| (n.as_str(), filler.as_bytes()))
        .collect();
    let loaded = load_files(&files);
    assert!(files.len() * filler.len() > 256 * 1024);
    let expected: Vec<String> = names
        .iter()
        .map(|n| format!("migrations/{n}:202:1"))
        .collect();
    let found: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.lint == Lint::SqlSyntax)
        .map(|d| d.location())
        .collect();
    assert_eq!(found, expected);
}
