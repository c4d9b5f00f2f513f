//! `strata up`'s check opt-outs on a real SQLite file: a refused run names the CLI flag, and
//! the flag makes the run apply (one of our users' sets has 008 pending after 009 applied).

mod support;

use std::fs;

use support::{project, strata};

const TOML: &str = "dialect = \"sqlite\"\ndown = \"optional\"\n[lints]\nversion-gap = \"allow\"\n";

/// A project with migrations 1 and 2, and the SQLite file (and URL) it is applied to.
fn two_migrations() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = project(&[
        ("migrations/strata.toml", TOML),
        ("migrations/001_a.sql", "CREATE TABLE a (id INTEGER);\n"),
        ("migrations/002_b.sql", "CREATE TABLE b (id INTEGER);\n"),
    ]);
    let path = dir.path().join("app.db");
    let url = format!("sqlite:{}", path.display());
    (dir, path, url)
}

#[test]
fn out_of_order_is_refused_naming_the_flag_and_applied_with_it() {
    let dir = project(&[
        ("migrations/strata.toml", TOML),
        ("migrations/007_a.sql", "CREATE TABLE a (id INTEGER);\n"),
        ("migrations/009_c.sql", "CREATE TABLE c (id INTEGER);\n"),
    ]);
    let url = format!("sqlite:{}", dir.path().join("app.db").display());
    let (code, _, stderr) = strata(dir.path(), &url, &["up", "--quiet"]);
    assert_eq!(code, 0, "{stderr}");

    fs::write(
        dir.path().join("migrations/008_b.sql"),
        "CREATE TABLE b (id INTEGER);\n",
    )
    .expect("write 008");
    let (code, _, stderr) = strata(dir.path(), &url, &["up"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("8 b"), "{stderr}");
    assert!(stderr.contains("--allow-out-of-order"), "{stderr}");

    let (code, stdout, stderr) = strata(dir.path(), &url, &["up", "--allow-out-of-order"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("applied 1 migration(s)"), "{stdout}");
    let (code, stdout, _) = strata(dir.path(), &url, &["pending"]);
    assert_eq!(code, 0);
    assert!(!stdout.contains("| 8 "), "{stdout}");
}

#[test]
fn divergent_is_refused_naming_the_flag_and_applied_with_it() {
    let dir = project(&[
        ("migrations/strata.toml", TOML),
        ("migrations/001_a.sql", "CREATE TABLE a (id INTEGER);\n"),
    ]);
    let url = format!("sqlite:{}", dir.path().join("app.db").display());
    assert_eq!(strata(dir.path(), &url, &["up", "--quiet"]).0, 0);
    fs::write(
        dir.path().join("migrations/001_a.sql"),
        "CREATE TABLE a (id INTEGER, b TEXT);\n",
    )
    .expect("edit 001");
    fs::write(
        dir.path().join("migrations/002_b.sql"),
        "CREATE TABLE b (id INTEGER);\n",
    )
    .expect("write 002");
    let (code, _, stderr) = strata(dir.path(), &url, &["up"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("--allow-divergent"), "{stderr}");
    let (code, stdout, stderr) = strata(dir.path(), &url, &["up", "--allow-divergent"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("applied 1 migration(s)"), "{stdout}");
}

#[test]
fn a_read_only_sqlite_url_reports_status_and_refuses_up() {
    let (dir, _, url) = two_migrations();
    assert_eq!(
        strata(dir.path(), &url, &["up", "--to", "1", "--quiet"]).0,
        0
    );
    let read_only = format!("{url}?mode=ro");
    let (code, stdout, stderr) = strata(dir.path(), &read_only, &["status"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("applied") && stdout.contains("pending"),
        "{stdout}"
    );
    let (code, _, stderr) = strata(dir.path(), &read_only, &["up"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("the SQLite database is open read-only"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was changed"), "{stderr}");
}

#[test]
fn history_table_target_and_lock_timeout_flags() {
    let (dir, path, url) = two_migrations();

    // --target is --to; --history-table replaces strata.toml's [history].
    let (code, _, stderr) = strata(
        dir.path(),
        &url,
        &[
            "up",
            "--target",
            "1",
            "--history-table",
            "main.ops_history",
            "--quiet",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let conn = rusqlite::Connection::open(&path).expect("open");
    let versions: Vec<i64> = conn
        .prepare("SELECT version FROM ops_history")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("the named table");
    assert_eq!(versions, [1]);
    let (_, stdout, _) = strata(
        dir.path(),
        &url,
        &["pending", "--history-table", "ops_history"],
    );
    assert!(
        stdout.contains("| 2 ") && !stdout.contains("| 1 "),
        "{stdout}"
    );
    let (_, stdout, _) = strata(dir.path(), &url, &["pending"]);
    assert!(
        stdout.contains("| 1 "),
        "the default table is another history: {stdout}"
    );
    let (code, _, stderr) = strata(dir.path(), &url, &["status", "--history-table", "a;b"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("invalid history table identifier"),
        "{stderr}"
    );

    // Another connection holds the write lock: the run gives up after --lock-timeout.
    conn.execute_batch("BEGIN IMMEDIATE")
        .expect("hold the write lock");
    let started = std::time::Instant::now();
    let (code, _, stderr) = strata(
        dir.path(),
        &url,
        &[
            "up",
            "--history-table",
            "ops_history",
            "--lock-timeout",
            "300ms",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("database is locked"), "{stderr}");
    // Not SQLite's default 5 s, nor strata's 10 minutes without a timeout.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    conn.execute_batch("ROLLBACK").expect("release");
    let (code, _, stderr) = strata(dir.path(), &url, &["up", "--lock-timeout", "soon"]);
    assert_eq!(code, 2, "a usage error: {stderr}");
}

#[test]
fn sqlite_takes_lock_table_as_its_own_write_lock() {
    // SQLite has no lease: its write lock already excludes other runners per migration.
    let (dir, path, url) = two_migrations();
    let (code, _, stderr) = strata(
        dir.path(),
        &url,
        &["up", "--lock", "table", "--lease-ttl", "5s"],
    );
    assert_eq!(code, 0, "{stderr}");
    let conn = rusqlite::Connection::open(&path).expect("open");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("tables");
    assert!(
        !tables.iter().any(|t| t.ends_with("_lease")),
        "no lease table on SQLite: {tables:?}"
    );
    let (code, _, stderr) = strata(dir.path(), &url, &["up", "--lock", "file"]);
    assert_eq!(code, 2, "an unknown lock is a usage error: {stderr}");
}
