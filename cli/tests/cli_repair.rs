//! `strata baseline` and `strata repair` end to end on PostgreSQL and SQLite: a baseline is
//! recorded without running anything and status shows it; an edited applied migration is
//! refused until `--accept-checksum`, which keeps the old checksum; a no-transaction
//! migration that failed part-way is explained and settled with `--mark-applied` or
//! `--forget`.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::path::Path;

use serde_json::Value;
use support::{project, strata};

fn status(dir: &Path, url: &str) -> Vec<Value> {
    let (code, stdout, stderr) = strata(dir, url, &["status", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).expect("status JSON")
}

fn states(dir: &Path, url: &str) -> Vec<(i64, String, Option<String>)> {
    status(dir, url)
        .iter()
        .map(|r| {
            (
                r["version"].as_i64().expect("version"),
                r["state"].as_str().expect("state").to_string(),
                r["origin"].as_str().map(str::to_string),
            )
        })
        .collect()
}

const USERS: &str = "-- UP\nCREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n-- DOWN\nDROP TABLE users;\n";
const POSTS: &str = "-- UP\nCREATE TABLE posts (id bigint PRIMARY KEY, author bigint REFERENCES users (id));\n-- DOWN\nDROP TABLE posts;\n";
const COMMENTS: &str = "-- UP\nCREATE TABLE comments (id bigint PRIMARY KEY, post bigint REFERENCES posts (id));\n-- DOWN\nDROP TABLE comments;\n";

/// The schema of 001 and 002 made by hand; baseline at 2; `up` applies only 3.
fn baseline_flow(dir: &Path, url: &str) {
    let (code, stdout, stderr) = strata(dir, url, &["baseline", "--to", "2"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("recorded 1 users (baseline, not run)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("baseline at 2: 2 migration(s) recorded"),
        "{stdout}"
    );
    let baseline = Some("baseline".to_string());
    assert_eq!(
        states(dir, url),
        [
            (1, "applied".to_string(), baseline.clone()),
            (2, "applied".to_string(), baseline.clone()),
            (3, "pending".to_string(), None),
        ]
    );
    let (_, stdout, _) = strata(dir, url, &["status"]);
    assert!(stdout.contains("applied (baseline)"), "{stdout}");

    // Again: nothing to do. Up: 3 only (running 1 or 2 would fail: their tables exist).
    let (code, stdout, _) = strata(dir, url, &["baseline", "--to", "2"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("already recorded"), "{stdout}");
    let (code, stdout, stderr) = strata(dir, url, &["up"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("applied 1 migration(s)"), "{stdout}");

    // An unknown version is refused; so is a baseline over a migration recorded with another
    // checksum (the file was edited since it was recorded), naming it.
    let (code, _, stderr) = strata(dir, url, &["baseline", "--to", "7"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("target version 7 is not a known migration"),
        "{stderr}"
    );
    std::fs::write(
        dir.join("migrations/001_users.sql"),
        "-- UP\nCREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name text);\n-- DOWN\nDROP TABLE users;\n",
    )
    .expect("edit 001");
    let (code, _, stderr) = strata(dir, url, &["baseline", "--to", "3"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("already recorded with another checksum than the file (edited since): 1 (migrations/001_users.sql)")
            && stderr.contains("strata repair --accept-checksum VERSION"),
        "{stderr}"
    );
}

#[tokio::test]
async fn baseline_on_postgres() {
    let db = common::TestDb::new("baseline").await;
    db.client()
        .await
        .batch_execute(
            "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
             CREATE TABLE posts (id bigint PRIMARY KEY, author bigint REFERENCES users (id));",
        )
        .await
        .expect("the existing schema");
    let dir = project(&[
        ("migrations/001_users.sql", USERS),
        ("migrations/002_posts.sql", POSTS),
        ("migrations/003_comments.sql", COMMENTS),
    ]);
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || baseline_flow(dir.path(), &url))
        .await
        .expect("flow");
}

#[test]
fn baseline_on_sqlite() {
    let dir = project(&[
        ("migrations/strata.toml", "dialect = \"sqlite\"\n"),
        ("migrations/001_users.sql", USERS),
        ("migrations/002_posts.sql", POSTS),
        ("migrations/003_comments.sql", COMMENTS),
    ]);
    let file = dir.path().join("app.db");
    rusqlite::Connection::open(&file)
        .expect("sqlite")
        .execute_batch(
            "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
             CREATE TABLE posts (id bigint PRIMARY KEY, author bigint REFERENCES users (id));",
        )
        .expect("the existing schema");
    baseline_flow(dir.path(), &format!("sqlite:{}", file.display()));
}

/// 1 and 2 applied, then 1 edited on purpose: refused, explained, accepted.
fn accept_checksum_flow(dir: &Path, url: &str) -> (String, String) {
    assert_eq!(strata(dir, url, &["up", "--quiet"]).0, 0);
    let before = status(dir, url);
    std::fs::write(
        dir.join("migrations/001_users.sql"),
        "-- UP\nCREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name text);\n-- DOWN\nDROP TABLE users;\n",
    )
    .expect("edit 001");
    let (code, _, stderr) = strata(dir, url, &["up"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("--allow-divergent"), "{stderr}");

    let (code, stdout, _) = strata(dir, url, &["repair"]);
    assert_eq!(code, 0);
    assert!(
        stdout
            .contains("migration 1 users (migrations/001_users.sql) changed since it was applied")
            && stdout.contains("strata repair --accept-checksum 1"),
        "{stdout}"
    );
    let (code, _, stderr) = strata(dir, url, &["repair", "--accept-checksum", "2"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("cannot repair migration 2: its checksum already matches"),
        "{stderr}"
    );

    let (code, stdout, stderr) = strata(dir, url, &["repair", "--accept-checksum", "1"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let after = status(dir, url);
    assert!(after.iter().all(|r| r["state"] == "applied"), "{after:?}");
    let (code, stdout, _) = strata(dir, url, &["repair"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("nothing to repair"), "{stdout}");
    let (code, stdout, stderr) = strata(dir, url, &["up"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("nothing to do"), "{stdout}");
    (
        before[0]["applied_at"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        after[0]["applied_at"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[tokio::test]
async fn accept_checksum_on_postgres_keeps_the_old_one() {
    let db = common::TestDb::new("accept_checksum").await;
    let dir = project(&[
        ("migrations/001_users.sql", USERS),
        ("migrations/002_posts.sql", POSTS),
    ]);
    let url = db.url.clone();
    let path = dir.path().to_path_buf();
    let (before, after) = tokio::task::spawn_blocking(move || accept_checksum_flow(&path, &url))
        .await
        .expect("flow");
    assert_eq!(before, after, "applied_at is history, not rewritten");
    let client = db.client().await;
    let rows = common::rows(
        &client,
        "SELECT (previous_checksum IS NOT NULL AND previous_checksum <> checksum)::text FROM strata_migrations WHERE version = 1",
    )
    .await;
    assert_eq!(rows, ["true"]);
    // The start-up probe vouches again: the top row's chain is the list's digest.
    let chains = common::rows(
        &client,
        "SELECT (chain IS NOT NULL)::text FROM strata_migrations ORDER BY version",
    )
    .await;
    assert_eq!(chains, ["true", "true"]);
    drop(dir);
}

#[test]
fn accept_checksum_on_sqlite() {
    let dir = project(&[
        ("migrations/strata.toml", "dialect = \"sqlite\"\n"),
        ("migrations/001_users.sql", USERS),
        ("migrations/002_posts.sql", POSTS),
    ]);
    let file = dir.path().join("app.db");
    accept_checksum_flow(dir.path(), &format!("sqlite:{}", file.display()));
    let previous: Option<String> = rusqlite::Connection::open(&file)
        .expect("sqlite")
        .query_row(
            "SELECT previous_checksum FROM strata_migrations WHERE version = 1",
            [],
            |r| r.get(0),
        )
        .expect("row");
    assert!(
        previous.is_some_and(|p| p.len() == 64),
        "the old checksum is kept"
    );
}

const PARTIAL: &str = "-- strata:no-transaction\n-- UP\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_nickname ON users (nickname);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_id ON users (email, id);\n-- DOWN\nDROP INDEX CONCURRENTLY IF EXISTS users_email_id;\nDROP INDEX CONCURRENTLY IF EXISTS users_nickname;\nDROP INDEX CONCURRENTLY IF EXISTS users_email;\n";

#[tokio::test]
async fn a_partial_failure_is_explained_and_marked_applied_or_forgotten() {
    let db = common::TestDb::new("partial_repair").await;
    let dir = project(&[
        ("migrations/001_users.sql", USERS),
        ("migrations/002_indexes.sql", PARTIAL),
        // The index on a column that does not exist is the failure under test.
        (
            "migrations/strata.toml",
            "[lints]\nsafety = \"allow\"\nundefined-object = \"allow\"\n",
        ),
    ]);
    let url = db.url.clone();
    let path = dir.path().to_path_buf();
    let client = db.client().await;

    // Statement 2 fails (no such column): statement 1 ran and stays.
    let (code, _, stderr) = {
        let (path, url) = (path.clone(), url.clone());
        tokio::task::spawn_blocking(move || strata(&path, &url, &["up"]))
            .await
            .expect("up")
    };
    assert_eq!(code, 1);
    assert!(stderr.contains("statement 2 of 3"), "{stderr}");
    let (path2, url2) = (path.clone(), url.clone());
    let (status_text, repair_text, refused) = tokio::task::spawn_blocking(move || {
        let status = strata(&path2, &url2, &["status"]).1;
        let repair = strata(&path2, &url2, &["repair"]).1;
        let refused = strata(&path2, &url2, &["repair", "--mark-applied", "1"]).2;
        (status, repair, refused)
    })
    .await
    .expect("status");
    assert!(
        status_text.contains("pending (failed part-way at statement 2 of 3: strata repair)"),
        "{status_text}"
    );
    assert!(
        repair_text.contains("migration 2 indexes failed part-way outside a transaction")
            && repair_text.contains("the statements at lines 3 ran and stay in effect")
            && repair_text.contains("strata repair --mark-applied 2")
            && repair_text.contains("strata repair --forget 2"),
        "{repair_text}"
    );
    assert!(refused.contains("it is already applied"), "{refused}");

    // Forgotten: undone by hand, the column added, and `up` runs it again from the start.
    client
        .batch_execute("DROP INDEX users_email")
        .await
        .expect("undo");
    let (path3, url3) = (path.clone(), url.clone());
    let out =
        tokio::task::spawn_blocking(move || strata(&path3, &url3, &["repair", "--forget", "2"]))
            .await
            .expect("forget");
    assert_eq!(out.0, 0, "{}", out.2);
    let (path4, url4) = (path.clone(), url.clone());
    let status_text = tokio::task::spawn_blocking(move || strata(&path4, &url4, &["status"]).1)
        .await
        .expect("status");
    assert!(!status_text.contains("failed part-way"), "{status_text}");

    // Fails again; this time finished by hand and marked applied.
    let (path5, url5) = (path.clone(), url.clone());
    let code = tokio::task::spawn_blocking(move || strata(&path5, &url5, &["up"]).0)
        .await
        .expect("up");
    assert_eq!(code, 1);
    client
        .batch_execute(
            "ALTER TABLE users ADD COLUMN nickname text;
             CREATE INDEX users_nickname ON users (nickname);
             CREATE INDEX users_email_id ON users (email, id);",
        )
        .await
        .expect("finish by hand");
    let (path6, url6) = (path.clone(), url.clone());
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || {
        strata(&path6, &url6, &["repair", "--mark-applied", "2"])
    })
    .await
    .expect("mark");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let (path7, url7) = (path.clone(), url.clone());
    let rows = tokio::task::spawn_blocking(move || states(&path7, &url7))
        .await
        .expect("status");
    assert_eq!(
        rows,
        [
            (1, "applied".to_string(), None),
            (
                2,
                "applied".to_string(),
                Some("marked applied by repair".to_string())
            ),
        ]
    );
    let (path8, url8) = (path.clone(), url.clone());
    let repair_text = tokio::task::spawn_blocking(move || strata(&path8, &url8, &["repair"]).1)
        .await
        .expect("repair");
    assert!(repair_text.contains("nothing to repair"), "{repair_text}");
    drop(dir);
}

#[tokio::test]
async fn a_partial_failure_retried_by_up_leaves_nothing_to_repair() {
    let db = common::TestDb::new("partial_retry").await;
    let dir = project(&[
        ("migrations/001_users.sql", USERS),
        ("migrations/002_indexes.sql", PARTIAL),
        // The index on a column that does not exist is the failure under test.
        (
            "migrations/strata.toml",
            "[lints]\nsafety = \"allow\"\nundefined-object = \"allow\"\n",
        ),
    ]);
    let url = db.url.clone();
    let path = dir.path().to_path_buf();
    let (first, status) = {
        let (path, url) = (path.clone(), url.clone());
        tokio::task::spawn_blocking(move || {
            let first = strata(&path, &url, &["up"]).0;
            (first, strata(&path, &url, &["status"]).1)
        })
        .await
        .expect("up")
    };
    assert_eq!(first, 1);
    assert!(status.contains("failed part-way"), "{status}");
    // Its statements can run again (IF NOT EXISTS): once the column exists, `up` applies it,
    // and the record of the failure no longer counts.
    db.client()
        .await
        .batch_execute("ALTER TABLE users ADD COLUMN nickname text")
        .await
        .expect("fix");
    let (code, status, repair) = tokio::task::spawn_blocking(move || {
        let code = strata(&path, &url, &["up"]).0;
        (
            code,
            strata(&path, &url, &["status"]).1,
            strata(&path, &url, &["repair"]).1,
        )
    })
    .await
    .expect("retry");
    assert_eq!(code, 0);
    assert!(!status.contains("failed part-way"), "{status}");
    assert!(repair.contains("nothing to repair"), "{repair}");
    drop(dir);
}
