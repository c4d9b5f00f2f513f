//! `strata up --dry-run --format sql | d1`: the script, applied by another client (as a DBA or
//! `wrangler d1 execute --file` would), leaves the database exactly as `strata up` would:
//! `status` shows every migration applied, `up` finds nothing to do, and a later migration's
//! script holds only it. On a real PostgreSQL database and a SQLite file.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::fs;
use std::path::Path;

use serde_json::Value;
use support::strata;

const FIRST: &[(&str, &str)] = &[
    (
        "migrations/001_users.sql",
        "-- UP\nCREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n-- DOWN\nDROP TABLE users;\n",
    ),
    (
        "migrations/002_users_email.sql",
        "-- strata:no-transaction\n-- UP\nCREATE UNIQUE INDEX users_email ON users (email);\n-- DOWN\nDROP INDEX users_email;\n",
    ),
];

const THIRD: (&str, &str) = (
    "migrations/003_posts.sql",
    "-- UP\nCREATE TABLE posts (id bigint PRIMARY KEY, author bigint REFERENCES users (id));\n-- DOWN\nDROP TABLE posts;\n",
);

fn applied(dir: &Path, url: &str) -> Vec<i64> {
    let (code, stdout, stderr) = strata(dir, url, &["status", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let rows: Vec<Value> = serde_json::from_str(&stdout).expect("status JSON");
    rows.iter()
        .filter(|r| r["state"] == "applied")
        .filter_map(|r| r["version"].as_i64())
        .collect()
}

fn script(dir: &Path, url: &str, format: &str) -> String {
    let (code, stdout, stderr) = strata(dir, url, &["up", "--dry-run", "--format", format]);
    assert_eq!(code, 0, "{stderr}");
    stdout
}

#[tokio::test]
async fn a_postgres_script_applied_elsewhere_is_a_run() {
    let db = common::TestDb::new("cli_script").await;
    let project = support::project(FIRST);
    let text = script(project.path(), &db.url, "sql");
    assert!(text.contains("BEGIN;\nCREATE TABLE users"), "{text}");
    assert!(
        !text.contains("BEGIN;\nCREATE UNIQUE INDEX"),
        "no transaction: {text}"
    );
    let client = db.client().await;
    client.batch_execute(&text).await.expect("apply the script");
    assert_eq!(applied(project.path(), &db.url), vec![1, 2]);
    let (code, stdout, _) = strata(project.path(), &db.url, &["up"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("nothing to do"), "{stdout}");

    fs::write(project.path().join(THIRD.0), THIRD.1).expect("add 003");
    let text = script(project.path(), &db.url, "sql");
    assert!(text.contains("1 pending migration(s)"), "{text}");
    assert!(!text.contains("CREATE TABLE users"), "{text}");
    client.batch_execute(&text).await.expect("apply 003");
    assert_eq!(applied(project.path(), &db.url), vec![1, 2, 3]);
    // The rows vouch for the start-up shortcut: counts as a run writes them.
    let counts = common::rows(
        &client,
        "SELECT string_agg(version || ':' || history_count, ',' ORDER BY version) FROM strata_migrations",
    )
    .await;
    assert_eq!(counts, vec!["1:1,2:2,3:3".to_string()]);
    let (code, _, stderr) = strata(
        project.path(),
        &db.url,
        &["up", "--dry-run", "--format", "d1"],
    );
    assert_eq!(code, 1, "D1 scripts are SQLite only");
    assert!(stderr.contains("--format sql"), "{stderr}");
}

#[test]
fn a_d1_script_has_no_transaction_control_and_is_a_run() {
    let project = support::project(FIRST);
    let file = project.path().join("app.db");
    let url = format!("sqlite:{}", file.display());
    let text = script(project.path(), &url, "d1");
    for control in ["BEGIN", "COMMIT", "ROLLBACK"] {
        assert!(!text.contains(control), "{control} in {text}");
    }
    let conn = rusqlite::Connection::open(&file).expect("open");
    conn.execute_batch(&text).expect("apply the D1 script");
    drop(conn);
    assert_eq!(applied(project.path(), &url), vec![1, 2]);
    let (code, stdout, _) = strata(project.path(), &url, &["up"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("nothing to do"), "{stdout}");
}
