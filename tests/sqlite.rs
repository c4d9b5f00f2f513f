//! End-to-end on real SQLite files.

// Fixture directories are not tracked by a build script; the warning would only repeat.
#![allow(deprecated)]

use std::process::Command;

use strata::{Error, State, Target};

static APP: strata::Migrations = strata::embed_migrations!("migrations");
static D1: strata::Migrations = strata::embed_migrations!("tests/ui/fixtures/sqlite-d1");

fn schema(conn: &rusqlite::Connection) -> Vec<String> {
    let mut statement = conn
        .prepare("SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'strata_%' AND name NOT LIKE 'sqlite_%' ORDER BY 1")
        .expect("prepare");
    statement
        .query_map([], |row| row.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[tokio::test]
async fn apply_status_rollback_all_apply_again() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut conn = rusqlite::Connection::open(dir.path().join("app.db")).expect("open");
    let report = APP.run(&mut conn).await.expect("apply");
    assert_eq!(report.applied.len(), APP.len());
    let first = schema(&conn);
    assert!(
        first.iter().any(|s| s.contains("display_name")),
        "{first:?}"
    );
    assert!(
        APP.status(&mut conn)
            .await
            .expect("status")
            .iter()
            .all(|r| r.state == State::Applied)
    );
    assert!(
        APP.run(&mut conn).await.expect("again").is_empty(),
        "nothing applied twice"
    );

    let rolled = APP
        .rollback(&mut conn, Target::Version(0))
        .await
        .expect("rollback all");
    assert_eq!(
        rolled
            .reverted
            .iter()
            .map(|s| s.version)
            .collect::<Vec<_>>(),
        [3, 2, 1]
    );
    assert!(schema(&conn).is_empty(), "{:?}", schema(&conn));
    assert!(
        APP.status(&mut conn)
            .await
            .expect("status")
            .iter()
            .all(|r| r.state == State::Pending)
    );

    APP.run(&mut conn).await.expect("apply again");
    assert_eq!(schema(&conn), first);
}

#[tokio::test]
async fn d1_style_migration_with_trigger_and_verification_select_runs() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut conn = rusqlite::Connection::open(dir.path().join("d1.db")).expect("open");
    D1.run(&mut conn).await.expect("apply");
    assert!(
        schema(&conn)
            .iter()
            .any(|s| s.starts_with("trigger providers_touch"))
    );
    // Migration 2: what only SQLite's own parser accepts (CREATE TRIGGER IF NOT EXISTS, STRICT,
    // WITHOUT ROWID, upserts) runs.
    assert!(
        schema(&conn)
            .iter()
            .any(|s| s.starts_with("trigger providers_audit"))
    );
    let refused = D1.rollback(&mut conn, Target::Steps(1)).await;
    assert!(
        matches!(&refused, Err(Error::NoDown(list)) if list[0].version == 2),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_failing_statement_is_named_and_rolled_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut conn = rusqlite::Connection::open(dir.path().join("fail.db")).expect("open");
    static FAILING: strata::Migrations = strata::embed_migrations!("tests/fixtures/pg/failing");
    let error = FAILING.run(&mut conn).await.expect_err("migration 3 fails");
    match &error {
        Error::Migration {
            version: 3,
            location,
            ..
        } => {
            assert_eq!(
                location.to_string(),
                "tests/fixtures/pg/failing/003_three.sql:4:1"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !schema(&conn).iter().any(|s| s.contains(" three ")),
        "rolled back: {:?}",
        schema(&conn)
    );
    assert_eq!(
        FAILING
            .status(&mut conn)
            .await
            .expect("status")
            .iter()
            .filter(|r| r.state == State::Applied)
            .count(),
        2
    );
}

/// Run by `two_processes_on_one_file` in child processes (ignored when run directly).
#[tokio::test]
#[ignore = "a child process of two_processes_on_one_file"]
async fn child_runner() {
    let Ok(path) = std::env::var("STRATA_CHILD_DB") else {
        return;
    };
    let mut conn = rusqlite::Connection::open(path).expect("open");
    let report = APP.run(&mut conn).await.expect("child run");
    println!("CHILD-APPLIED {}", report.applied.len());
}

#[test]
fn two_processes_on_one_file() {
    for trial in 0..5 {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("shared.db");
        let spawn = || {
            Command::new(std::env::current_exe().expect("test binary"))
                .args(["--exact", "child_runner", "--ignored", "--nocapture"])
                .env("STRATA_CHILD_DB", &db)
                .output()
        };
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(spawn);
            let b = s.spawn(spawn);
            (
                a.join().expect("join").expect("run"),
                b.join().expect("join").expect("run"),
            )
        });
        let mut applied = 0;
        for out in [&a, &b] {
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "trial {trial}: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = stdout
                .lines()
                .find_map(|l| l.strip_prefix("CHILD-APPLIED "))
                .expect("child output");
            applied += line.trim().parse::<usize>().expect("count");
        }
        assert_eq!(
            applied,
            APP.len(),
            "trial {trial}: each migration applied exactly once"
        );
        let conn = rusqlite::Connection::open(&db).expect("open");
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM strata_migrations", [], |r| r.get(0))
            .expect("count");
        assert_eq!(rows as usize, APP.len());
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity");
        assert_eq!(check, "ok");
    }
}
