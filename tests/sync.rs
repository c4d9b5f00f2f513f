//! The synchronous API: `run_blocking`, `status_blocking`, `rollback_blocking`,
//! `dry_run_blocking` on `rusqlite::Connection` and on the synchronous `postgres::Client`,
//! with no async runtime anywhere in the calling thread.

mod common;

use std::time::{Duration, Instant};

use strata::{State, Target};

static APP: strata::Migrations = strata::embed_migrations!("migrations");
static SEQUENTIAL: strata::Migrations = strata::embed_migrations!("tests/fixtures/pg/sequential");

/// A test database, made and dropped with a runtime of its own on another thread, so the
/// test's thread never has one.
fn database(label: &str) -> common::TestDb {
    let label = label.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(common::TestDb::new(&label))
    })
    .join()
    .expect("create the test database")
}

#[test]
fn sqlite_without_a_runtime() {
    assert!(
        tokio::runtime::Handle::try_current().is_err(),
        "no runtime here"
    );
    let dir = tempfile::tempdir().expect("tmp");
    let mut conn = rusqlite::Connection::open(dir.path().join("app.db")).expect("open");
    assert_eq!(
        APP.dry_run_blocking(&mut conn)
            .expect("dry run")
            .steps
            .len(),
        APP.len()
    );
    let report = APP.run_blocking(&mut conn).expect("apply");
    assert_eq!(report.applied.len(), APP.len());
    assert!(APP.run_blocking(&mut conn).expect("no-op").is_empty());
    let status = APP.status_blocking(&mut conn).expect("status");
    assert!(status.iter().all(|r| r.state == State::Applied));
    let report = APP
        .rollback_blocking(&mut conn, Target::Steps(1))
        .expect("rollback");
    assert_eq!(report.reverted.len(), 1);
}

#[test]
fn synchronous_postgres_client_without_a_runtime_waits_for_the_lock_by_blocking() {
    let db = database("sync");
    assert!(
        tokio::runtime::Handle::try_current().is_err(),
        "no runtime here"
    );
    let mut client = postgres::Client::connect(&db.url, postgres::NoTls).expect("connect");
    let report = SEQUENTIAL.run_blocking(&mut client).expect("apply");
    assert_eq!(report.applied.len(), SEQUENTIAL.len());
    let status = SEQUENTIAL.status_blocking(&mut client).expect("status");
    assert!(status.iter().all(|r| r.state == State::Applied));

    // Another session holds the migration lock for a while: the rollback waits (sleeping
    // the thread, no runtime) and then proceeds.
    let key = strata::HistoryTable::default().lock_key();
    let mut holder = postgres::Client::connect(&db.url, postgres::NoTls).expect("connect");
    holder
        .simple_query(&format!("SELECT pg_advisory_lock({key})"))
        .expect("hold the lock");
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        holder
            .simple_query(&format!("SELECT pg_advisory_unlock({key})"))
            .expect("release");
    });
    let started = Instant::now();
    let report = SEQUENTIAL
        .rollback_blocking(&mut client, Target::Steps(1))
        .expect("rollback after the wait");
    assert!(started.elapsed() >= Duration::from_millis(250), "it waited");
    assert_eq!(report.reverted.len(), 1);
    release.join().expect("holder");

    // Runner options work the same way.
    let plan = SEQUENTIAL
        .runner()
        .lock_timeout(Duration::from_secs(5))
        .dry_run_blocking(&mut client)
        .expect("dry run");
    assert_eq!(plan.steps.len(), 1);
    drop(client);
    drop(db);
}
