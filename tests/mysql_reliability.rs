//! Reliability on the machine's MariaDB: runner processes started at once on an empty
//! database, and a runner killed with SIGKILL at a random moment. The normal suite runs a
//! short version; `STRATA_RELIABILITY_TRIALS=N` runs N trials of each (see RELIABILITY.md).
//!
//! The set (tests/fixtures/mysql/reliability, 80 migrations) mixes the three shapes a MySQL
//! migration takes: DML only (one transaction with its history row: `ledger` holds its row
//! and `counter` counts it iff it is recorded), one DDL statement, and two DDL statements
//! (run one by one; the second may be cut off, so they are written to run again).

mod common;

use std::collections::HashSet;
use std::process::Child;
use std::time::{Duration, Instant};

use common::mysql::MysqlDb;
use common::processes::{applied_at_once, jitter, spawn_child, trials};

static SET: strata::Migrations = strata::embed_migrations!("tests/fixtures/mysql/reliability");

/// Starts this test binary as a runner process (see `child_runner`).
fn spawn_runner(url: &str) -> Child {
    spawn_child("child_runner", &[("STRATA_CHILD_URL", url)])
}

/// The runner process: applies the set to the database in STRATA_CHILD_URL and prints how
/// many migrations it applied.
#[tokio::test]
#[ignore = "a child process of the tests in this file"]
async fn child_runner() {
    let Ok(url) = std::env::var("STRATA_CHILD_URL") else {
        return;
    };
    let mut conn = common::mysql::connect(&url).await;
    let report = SET
        .runner()
        .lock_timeout(Duration::from_secs(120))
        .run(&mut conn)
        .await;
    match report {
        Ok(report) => println!("CHILD-APPLIED {}", report.applied.len()),
        Err(error) => {
            println!("CHILD-ERROR {error}");
            std::process::exit(1);
        }
    }
}

/// What the database holds: recorded versions, and per migration whether all / some of
/// its effects are there. Read in one REPEATABLE READ snapshot (the catalog included).
struct State {
    recorded: Vec<i64>,
    ledger: HashSet<i64>,
    counter: i64,
    tables: HashSet<String>,
    columns: HashSet<String>,
}

async fn state(db: &MysqlDb) -> State {
    let lines = |rows: Vec<String>| rows.into_iter().collect::<HashSet<_>>();
    let history = db
        .rows(&format!(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = '{}' \
             AND table_name = 'strata_migrations'",
            db.name
        ))
        .await;
    let recorded = if history.is_empty() {
        Vec::new()
    } else {
        db.history_versions().await
    };
    let ledger_exists = !db
        .rows(&format!(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = '{}' AND table_name = 'counter'",
            db.name
        ))
        .await
        .is_empty();
    let (ledger, counter) = if ledger_exists {
        let ledger = db
            .rows("SELECT m FROM ledger")
            .await
            .iter()
            .map(|m| m.parse().expect("m"))
            .collect();
        let counter = db
            .rows("SELECT COALESCE(MAX(n), -1) FROM counter")
            .await
            .first()
            .and_then(|n| n.parse().ok())
            .unwrap_or(-1);
        (ledger, counter)
    } else {
        (HashSet::new(), -1)
    };
    let tables = lines(
        db.rows(&format!(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = '{}'",
            db.name
        ))
        .await,
    );
    let columns = lines(
        db.rows(&format!(
            "SELECT CONCAT(table_name, '.', column_name) FROM information_schema.columns \
             WHERE table_schema = '{}' AND column_name = 'w'",
            db.name
        ))
        .await,
    );
    State {
        recorded,
        ledger,
        counter,
        tables,
        columns,
    }
}

/// Whether migration `v`'s effects are all there, and whether any of them is.
fn effects(state: &State, v: i64) -> (bool, bool) {
    match v {
        1 => {
            let all = state.tables.contains("ledger")
                && state.tables.contains("counter")
                && state.counter >= 0;
            (all, state.tables.contains("ledger"))
        }
        v if v % 3 == 0 => {
            let done = state.ledger.contains(&v);
            (done, done)
        }
        v if v % 3 == 1 => {
            let table = state.tables.contains(&format!("r{v}"));
            (table && state.columns.contains(&format!("r{v}.w")), table)
        }
        v => {
            let table = state.tables.contains(&format!("s{v}"));
            (table, table)
        }
    }
}

/// Checks what the docs promise after any interruption: history is a prefix of the set; a
/// recorded migration has all its effects; a DML-only migration is recorded iff its effects
/// are there (and the counter counts exactly those); of the unrecorded ones only the first
/// may have begun (a DDL migration cut between statements).
fn check(state: &State, context: &str) {
    let expected: Vec<i64> = (1..=state.recorded.len() as i64).collect();
    assert_eq!(state.recorded, expected, "{context}: history is a prefix");
    let recorded_dml = state.recorded.iter().filter(|v| **v % 3 == 0).count() as i64;
    if state.counter >= 0 {
        assert_eq!(state.counter, recorded_dml, "{context}: counter");
    }
    for migration in SET.iter() {
        let v = migration.version();
        let (all, any) = effects(state, v);
        let recorded = state.recorded.contains(&v);
        if recorded {
            assert!(all, "{context}: {v} recorded without all its effects");
        } else if v % 3 == 0 {
            assert!(
                !any,
                "{context}: DML-only {v} has effects but is not recorded"
            );
        } else if v > state.recorded.len() as i64 + 1 {
            assert!(!any, "{context}: {v} began before {} was recorded", v - 1);
        }
    }
}

/// Waits until no other session is connected to the test database (the killed runner's
/// session ends when the server notices; its named lock goes with it).
async fn settle(db: &MysqlDb) {
    for _ in 0..200 {
        let others = db
            .rows(&format!(
                "SELECT COUNT(*) FROM information_schema.processlist WHERE db = '{}' \
                 AND id <> CONNECTION_ID()",
                db.name
            ))
            .await;
        if others == ["0"] {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the killed runner's session never ended");
}

#[tokio::test]
async fn eight_runner_processes_on_one_empty_mysql_database() {
    for trial in 0..trials(1) {
        let db = MysqlDb::new("eight_proc").await;
        let (total, elapsed) = applied_at_once(8, || spawn_runner(&db.url));
        assert_eq!(
            total,
            SET.len(),
            "trial {trial}: each migration applied once"
        );
        let state = state(&db).await;
        check(&state, &format!("trial {trial}"));
        assert_eq!(state.recorded.len(), SET.len(), "trial {trial}");
        assert!(
            elapsed < Duration::from_secs(60),
            "trial {trial}: {elapsed:?}"
        );
    }
}

#[tokio::test]
async fn kill_nine_at_random_moments_leaves_what_the_docs_promise() {
    for trial in 0..trials(3) {
        let db = MysqlDb::new("kill").await;
        let mut child = spawn_runner(&db.url);
        // A whole run takes about 0.7 s here, process start included: most kills land in it.
        let delay = 100 + jitter(700);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        settle(&db).await;
        let context = format!("trial {trial} (killed after {delay} ms)");
        let killed = state(&db).await;
        check(&killed, &context);
        eprintln!(
            "{context}: {} of {} recorded at the kill",
            killed.recorded.len(),
            SET.len()
        );

        // The killed runner's named lock does not block the next runner, and a DDL
        // migration it cut off runs again from its first statement.
        let mut conn = db.conn().await;
        let started = Instant::now();
        SET.runner()
            .lock_timeout(Duration::from_secs(30))
            .run(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{context}: re-run: {e}"));
        assert!(started.elapsed() < Duration::from_secs(30));
        let state = state(&db).await;
        check(&state, &context);
        assert_eq!(state.recorded.len(), SET.len(), "{context}");
    }
}
