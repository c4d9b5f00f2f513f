//! The built `strata` binary against a real SQLite file and a real PostgreSQL database:
//! every database subcommand, exit codes and JSON output.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::fs;
use std::path::Path;

use serde_json::Value;
use support::strata;

const MIGRATIONS: &[(&str, &str)] = &[
    (
        "migrations/001_users.sql",
        "-- UP\nCREATE TABLE users (id bigint PRIMARY KEY);\n-- DOWN\nDROP TABLE users;\n",
    ),
    (
        "migrations/002_posts.sql",
        "-- UP\nCREATE TABLE posts (id bigint PRIMARY KEY);\n-- DOWN\nDROP TABLE posts;\n",
    ),
    (
        "migrations/003_tags.sql",
        "-- UP\nCREATE TABLE tags (id bigint PRIMARY KEY);\n-- DOWN\nDROP TABLE tags;\n",
    ),
];

fn project() -> tempfile::TempDir {
    support::project(MIGRATIONS)
}

fn json(dir: &Path, url: &str, args: &[&str]) -> Vec<Value> {
    let (code, stdout, stderr) = strata(dir, url, args);
    assert_eq!(code, 0, "{args:?}: {stderr}");
    serde_json::from_str::<Value>(&stdout)
        .expect("JSON")
        .as_array()
        .expect("array")
        .clone()
}

fn states(rows: &[Value]) -> Vec<(i64, String)> {
    rows.iter()
        .map(|r| {
            (
                r["version"].as_i64().unwrap_or(-1),
                r["state"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The same scenario on any backend.
fn every_subcommand(dir: &Path, url: &str) {
    let (code, stdout, stderr) = strata(dir, url, &["up", "--to", "2"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("applied 2 migration(s)"), "{stdout}");
    assert!(
        stderr.contains("name=\"users\"") && stderr.contains("execution_ms="),
        "one line per migration: {stderr}"
    );

    let pending = json(dir, url, &["pending", "--format", "json"]);
    assert_eq!(states(&pending), [(3, "pending".to_string())]);
    assert_eq!(pending[0]["file"], "migrations/003_tags.sql");

    let (code, stdout, _) = strata(dir, url, &["up", "--dry-run"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("-- up 3 tags") && stdout.contains("CREATE TABLE tags"),
        "{stdout}"
    );
    assert_eq!(
        states(&json(dir, url, &["pending", "--format", "json"])).len(),
        1,
        "dry run changed nothing"
    );

    assert_eq!(strata(dir, url, &["up"]).0, 0);
    let executed = json(dir, url, &["executed", "--format", "json"]);
    assert_eq!(executed.len(), 3);
    assert!(
        executed
            .iter()
            .all(|r| r["applied_at"].is_string() && r["execution_ms"].is_i64())
    );

    let (code, stdout, _) = strata(dir, url, &["status"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("| version | name "), "{stdout}");
    assert_eq!(stdout.lines().count(), 5, "{stdout}");

    let (code, stdout, _) = strata(dir, url, &["down", "--to", "1", "--dry-run"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("DROP TABLE tags") && stdout.contains("DROP TABLE posts"),
        "{stdout}"
    );

    assert_eq!(strata(dir, url, &["down"]).0, 0);
    assert_eq!(
        states(&json(dir, url, &["pending", "--format", "json"])),
        [(3, "pending".to_string())]
    );
    assert_eq!(
        strata(dir, url, &["rollback", "--steps", "1"]).0,
        0,
        "rollback is an alias"
    );
    assert_eq!(strata(dir, url, &["up"]).0, 0);

    let (code, stdout, _) = strata(dir, url, &["redo"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("rolled back 1") && stdout.contains("applied 1"),
        "{stdout}"
    );

    let (code, stdout, _) = strata(dir, url, &["check"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("connected: ") && stdout.contains("3 applied, latest 3 tags"),
        "{stdout}"
    );

    assert_eq!(strata(dir, url, &["down", "--to", "0"]).0, 0);
    assert_eq!(json(dir, url, &["executed", "--format", "json"]).len(), 0);

    // A directory that does not lint is never applied.
    fs::write(
        dir.join("migrations/005_gap.sql"),
        "CREATE TABLE gap (id int);\n-- DOWN\nDROP TABLE gap;\n",
    )
    .expect("write");
    let (code, _, stderr) = strata(dir, url, &["up"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("missing version 4"), "{stderr}");
    fs::remove_file(dir.join("migrations/005_gap.sql")).expect("remove");

    // A migration without DOWN is refused before anything runs.
    fs::write(dir.join("migrations/strata.toml"), "down = \"optional\"\n").expect("write");
    fs::write(
        dir.join("migrations/004_seed.sql"),
        "INSERT INTO users (id) VALUES (1);\n",
    )
    .expect("write");
    assert_eq!(strata(dir, url, &["up"]).0, 0);
    let (code, _, stderr) = strata(dir, url, &["down", "--steps", "2"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no DOWN"), "{stderr}");
    assert_eq!(
        json(dir, url, &["executed", "--format", "json"]).len(),
        4,
        "nothing rolled back"
    );
}

#[test]
fn sqlite_every_subcommand() {
    let dir = project();
    every_subcommand(dir.path(), "sqlite:app.db");
    assert!(dir.path().join("app.db").is_file());
    let (code, _, stderr) = strata(dir.path(), "sqlite://app.db", &["check"]);
    assert_eq!(code, 0, "{stderr}");
}

#[tokio::test]
async fn postgres_every_subcommand() {
    let db = common::TestDb::new("cli").await;
    let dir = project();
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || every_subcommand(dir.path(), &url))
        .await
        .expect("scenario");
}

#[test]
fn failures_exit_one_and_never_print_a_password() {
    let dir = project();
    let url = "postgres://app:hunter2@127.0.0.1:1/nowhere";
    for args in [&["check"][..], &["up"], &["status", "--format", "json"]] {
        let (code, stdout, stderr) = strata(dir.path(), url, args);
        assert_eq!(code, 1, "{args:?}");
        assert!(
            !stdout.contains("hunter2") && !stderr.contains("hunter2"),
            "{stderr}"
        );
        assert!(stderr.contains("app:***@127.0.0.1:1"), "{stderr}");
    }
    let (code, _, stderr) = strata(dir.path(), "oracle://x", &["status"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("unsupported database URL"), "{stderr}");
    // MySQL URLs are read as MySQL's, and their passwords hidden the same way.
    let (code, _, stderr) = strata(dir.path(), "mysql://app:hunter2@127.0.0.1:1/x", &["status"]);
    assert_eq!(code, 1);
    assert!(
        !stderr.contains("hunter2") && stderr.contains("app:***@127.0.0.1:1"),
        "{stderr}"
    );
}
