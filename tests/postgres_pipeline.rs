//! Pending transactional migrations go to PostgreSQL in one message, each still its own
//! transaction with its history row. A failure in the first, a middle or the last migration
//! of the batch, with or without an error position, or a connection lost mid-batch: the
//! error names the failing migration at `file:line:col` and what committed before it, and
//! the history says exactly the same.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{CountingProxy, TestDb};
use strata::{Error, HistoryTable, Migrations};

/// Five migrations in a temporary directory; `failing` (1-based) gets `bad` as its body.
fn five(failing: Option<(usize, &str)>) -> (tempfile::TempDir, Migrations) {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("strata.toml"), "down = \"optional\"\n").expect("toml");
    for n in 1..=5usize {
        let body = match failing {
            Some((at, bad)) if at == n => bad.to_string(),
            _ => {
                format!("CREATE TABLE t{n} (id int PRIMARY KEY);\nINSERT INTO t{n} VALUES ({n});\n")
            }
        };
        std::fs::write(dir.path().join(format!("00{n}_m{n}.sql")), body).expect("write");
    }
    let loaded = strata_core::load(Path::new("/"), dir.path().to_str().expect("UTF-8"));
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    (
        dir,
        Migrations::from_vec(loaded.migrations, HistoryTable::default()),
    )
}

async fn tables(db: &TestDb) -> Vec<String> {
    let client = db.client().await;
    common::rows(
        &client,
        "SELECT relname::text FROM pg_class WHERE relkind = 'r' AND relname ~ '^t[0-9]$' ORDER BY 1",
    )
    .await
}

#[tokio::test]
async fn a_backlog_is_one_round_trip_and_a_failure_anywhere_in_it_is_reported_exactly() {
    for at in [1usize, 3, 5] {
        let db = TestDb::new(&format!("pipeline_fail_{at}")).await;
        let bad = "-- fails on line 3\nCREATE TABLE ok (id int);\nSELECT * FROM no_such_table;\n";
        let (_dir, list) = five(Some((at, bad)));
        let mut client = db.client().await;
        let error = list.run(&mut client).await.expect_err("fails");
        match &error {
            Error::Migration {
                version,
                location,
                committed,
                error: db_error,
                ..
            } => {
                assert_eq!(*version, at as i64, "{error}");
                assert_eq!(db_error.code, "42P01", "{error}");
                assert_eq!(
                    (location.line, location.column),
                    (Some(3), Some(15)),
                    "{error}"
                );
                assert!(
                    location.path.ends_with(&format!("00{at}_m{at}.sql")),
                    "{error}"
                );
                let before: Vec<i64> = (1..at as i64).collect();
                assert_eq!(committed, &before, "{error}");
            }
            other => panic!("{other:?}"),
        }
        let before: Vec<i64> = (1..at as i64).collect();
        assert_eq!(
            db.history_versions().await,
            before,
            "history agrees with the error"
        );
        let expected: Vec<String> = (1..at).map(|n| format!("t{n}")).collect();
        assert_eq!(
            tables(&db).await,
            expected,
            "schema agrees: nothing after it ran"
        );
        assert!(
            !db.has_relation("ok").await,
            "the failing migration left nothing"
        );
    }
}

#[tokio::test]
async fn a_failure_without_a_position_points_at_its_statement() {
    let db = TestDb::new("pipeline_no_position").await;
    let bad = "CREATE TABLE dup (id int PRIMARY KEY);\nINSERT INTO dup VALUES (1);\nINSERT INTO dup VALUES (1);\n";
    let (_dir, list) = five(Some((4, bad)));
    let mut client = db.client().await;
    match list.run(&mut client).await {
        Err(Error::Migration {
            version: 4,
            location,
            committed,
            error,
            ..
        }) => {
            assert_eq!(error.code, "23505");
            assert_eq!(location.line, Some(3), "the second INSERT");
            assert_eq!(committed, [1, 2, 3]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(db.history_versions().await, [1, 2, 3]);
}

#[tokio::test]
async fn a_backlog_costs_one_round_trip_and_every_row_vouches_for_the_next_start_up() {
    let db = TestDb::new("pipeline_round_trips").await;
    let proxy = CountingProxy::start().await;
    let (_dir, list) = five(None);
    let mut client = common::connect(&proxy.url(&db.url)).await;
    let before = proxy.counts.round_trips();
    let report = list.run(&mut client).await.expect("apply");
    assert_eq!(report.applied.len(), 5);
    // probe (42P01) + create-and-probe, lock-and-read + held, the five migrations, unlock.
    assert_eq!(proxy.counts.round_trips() - before, 2 + 2 + 1 + 1);
    let owner = db.client().await;
    assert_eq!(
        common::rows(
            &owner,
            "SELECT version || ':' || history_count FROM strata_migrations ORDER BY version"
        )
        .await,
        ["1:1", "2:2", "3:3", "4:4", "5:5"]
    );
    let mut fresh = common::connect(&proxy.url(&db.url)).await;
    let before = proxy.counts.round_trips();
    assert!(list.run(&mut fresh).await.expect("no-op").is_empty());
    assert_eq!(
        proxy.counts.round_trips() - before,
        1,
        "the top row vouches"
    );
}

#[tokio::test]
async fn a_connection_lost_mid_batch_reports_what_committed_and_the_history_agrees() {
    let db = TestDb::new("pipeline_lost").await;
    let slow = "CREATE TABLE t3 (id int);\nSELECT pg_sleep(30);\n";
    let (_dir, list) = five(Some((3, slow)));
    let list: &'static Migrations = Box::leak(Box::new(list));
    let mut client = db.client().await;
    let run = tokio::spawn(async move { list.run(&mut client).await });
    let admin = db.client().await;
    let started = Instant::now();
    loop {
        let sleeping = common::rows(
            &admin,
            "SELECT pid::text FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND pid <> pg_backend_pid()",
        )
        .await;
        if let [pid] = sleeping.as_slice() {
            common::rows(&admin, &format!("SELECT pg_terminate_backend({pid})::text")).await;
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "migration 3 never ran"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let outcome = run.await.expect("join");
    let history = db.history_versions().await;
    assert_eq!(
        history,
        [1, 2],
        "1 and 2 committed, 3 was cut off, 4 and 5 never ran"
    );
    match outcome {
        Err(Error::Migration {
            version: 3,
            error,
            committed,
            ..
        }) => {
            assert!(error.is_connection_lost(), "{error}");
            assert_eq!(committed, history, "the error and the history agree");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(tables(&db).await, ["t1", "t2"]);
}
