//! Reliability under faults, on real PostgreSQL and SQLite: many runner processes started at
//! once, and runners killed with SIGKILL at random moments. The normal suite runs a short
//! version; `STRATA_RELIABILITY_TRIALS=N` runs N trials of each (see RELIABILITY.md).

mod common;

use std::process::Child;
use std::time::{Duration, Instant};

use common::TestDb;
use common::processes::{applied_at_once, jitter, spawn_child, trials};

static RELIABILITY: strata::Migrations = strata::embed_migrations!("tests/fixtures/reliability");
static APP: strata::Migrations = strata::embed_migrations!("migrations");

/// Starts this test binary as a runner process (see `child_runner`).
fn spawn_runner(url: &str, which: &str) -> Child {
    spawn_child(
        "child_runner",
        &[("STRATA_CHILD_URL", url), ("STRATA_CHILD_SET", which)],
    )
}

/// The runner process: applies one set to the database in STRATA_CHILD_URL and prints how
/// many migrations it applied.
#[tokio::test]
#[ignore = "a child process of the tests in this file"]
async fn child_runner() {
    let Ok(url) = std::env::var("STRATA_CHILD_URL") else {
        return;
    };
    let set = if std::env::var("STRATA_CHILD_SET").as_deref() == Ok("app") {
        &APP
    } else {
        &RELIABILITY
    };
    let report = if let Some(path) = url.strip_prefix("sqlite:") {
        let mut conn = rusqlite::Connection::open(path).expect("open");
        set.run(&mut conn).await
    } else {
        let mut client = common::connect(&url).await;
        set.runner()
            .lock_timeout(Duration::from_secs(120))
            .run(&mut client)
            .await
    };
    match report {
        Ok(report) => println!("CHILD-APPLIED {}", report.applied.len()),
        Err(error) => {
            println!("CHILD-ERROR {error}");
            std::process::exit(1);
        }
    }
}

#[tokio::test]
async fn sixteen_runner_processes_on_one_empty_postgres_database() {
    for trial in 0..trials(1) {
        let db = TestDb::new("sixteen").await;
        let (total, elapsed) = applied_at_once(16, || spawn_runner(&db.url, "reliability"));
        assert_eq!(
            total,
            RELIABILITY.len(),
            "trial {trial}: each migration applied exactly once across 16 processes"
        );
        assert_eq!(db.history_versions().await.len(), RELIABILITY.len());
        // Nobody waits longer than the work takes: the whole thing is one runner's work plus
        // process start-up, not 16 times it.
        assert!(
            elapsed < Duration::from_secs(60),
            "trial {trial}: {elapsed:?}"
        );
    }
}

#[test]
fn four_runner_processes_on_one_sqlite_file() {
    for trial in 0..trials(2) {
        let dir = tempfile::tempdir().expect("tmp");
        let url = format!("sqlite:{}", dir.path().join("four.db").display());
        let (total, _) = applied_at_once(4, || spawn_runner(&url, "app"));
        assert_eq!(total, APP.len(), "trial {trial}");
        let conn = rusqlite::Connection::open(dir.path().join("four.db")).expect("open");
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity");
        assert_eq!(check, "ok");
    }
}

/// Waits until no other session is connected to the test database.
async fn settle(db: &TestDb) {
    let client = db.client().await;
    for _ in 0..200 {
        let row = client
            .query_one("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", &[])
            .await
            .expect("activity");
        if row.get::<_, i64>(0) == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the killed runner's session never ended");
}

/// The recorded versions and whether each migration's effects exist, read in one snapshot.
async fn snapshot(db: &TestDb) -> (Vec<i64>, Vec<(i64, bool)>) {
    let mut client = db.client().await;
    let transaction = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .start()
        .await
        .expect("begin");
    let exists: bool = transaction
        .query_one("SELECT to_regclass('strata_migrations') IS NOT NULL", &[])
        .await
        .expect("regclass")
        .get(0);
    let recorded: Vec<i64> = if exists {
        let rows = transaction
            .query(
                "SELECT version FROM strata_migrations ORDER BY version",
                &[],
            )
            .await
            .expect("history");
        rows.iter().map(|r| r.get(0)).collect()
    } else {
        Vec::new()
    };
    let rows = transaction
        .query(
            "SELECT relname::text FROM pg_class WHERE relname ~ '^r[0-9]+(_id_idx|_v_idx)?$'",
            &[],
        )
        .await
        .expect("catalog");
    let names: std::collections::HashSet<String> = rows.iter().map(|r| r.get(0)).collect();
    let effects = RELIABILITY
        .iter()
        .map(|m| {
            let v = m.version();
            let done = if m.transactional() {
                names.contains(&format!("r{v}"))
            } else {
                names.contains(&format!("r{}_id_idx", v - 1))
                    && names.contains(&format!("r{}_v_idx", v - 1))
            };
            (v, done)
        })
        .collect();
    (recorded, effects)
}

#[tokio::test]
async fn kill_nine_at_random_moments_never_half_applies() {
    for trial in 0..trials(3) {
        let db = TestDb::new("kill").await;
        let mut child = spawn_runner(&db.url, "reliability");
        let delay = 300 + jitter(2500);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        // The server finishes (or aborts) the batch it already received from the killed
        // runner; judge the database once that backend is gone, in one snapshot.
        settle(&db).await;
        let (recorded, effects) = snapshot(&db).await;
        for (version, done) in effects {
            let is_recorded = recorded.contains(&version);
            let transactional = RELIABILITY.get(version).is_some_and(|m| m.transactional());
            if transactional {
                assert_eq!(
                    is_recorded, done,
                    "trial {trial} (killed after {delay} ms): migration {version} recorded={is_recorded} effects={done}"
                );
            } else {
                // A no-transaction migration may be cut between statements: its effects may be
                // partial, but it is recorded only after its last statement.
                assert!(
                    !is_recorded || done,
                    "trial {trial}: no-transaction {version} recorded without its effects"
                );
            }
        }

        // The killed runner's session lock does not block the next runner.
        let mut client = db.client().await;
        let started = Instant::now();
        RELIABILITY
            .runner()
            .lock_timeout(Duration::from_secs(30))
            .run(&mut client)
            .await
            .expect("re-run completes");
        assert!(started.elapsed() < Duration::from_secs(30));
        assert_eq!(
            db.history_versions().await.len(),
            RELIABILITY.len(),
            "trial {trial}"
        );
        assert!(
            snapshot(&db).await.1.iter().all(|(_, done)| *done),
            "trial {trial}"
        );
    }
}
