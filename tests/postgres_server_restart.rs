//! The PostgreSQL server restarts (`pg_ctl restart -m fast`) while a migration is in flight,
//! on a cluster this test owns: the run fails with a connection error naming that
//! migration, nothing of it is applied (history and schema agree), and a re-run on a new
//! connection completes.
//!
//! `STRATA_RESTART_TRIALS=n` repeats the scenario n times (default 1), each on a fresh
//! database of the same cluster.

mod cluster;
mod common;

use std::time::{Duration, Instant};

use cluster::PrivateCluster;
use strata::{Error, Migrations};
use tokio_postgres::Client;

static RESTART: Migrations = strata::embed_migrations!("tests/fixtures/pg/restart");

const IN_FLIGHT_FILE: &str = "tests/fixtures/pg/restart/002_in_flight.sql";

/// Waits until a session other than `observer`'s own is running the in-flight migration's
/// `pg_sleep` (so its transaction is open, its CREATE TABLE and INSERT done).
async fn wait_for_in_flight(observer: &Client, limit: Duration) {
    let started = Instant::now();
    loop {
        let active = common::rows(
            observer,
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() \
             AND state = 'active' AND wait_event = 'PgSleep'",
        )
        .await;
        if active == ["1"] {
            return;
        }
        assert!(
            started.elapsed() < limit,
            "the slow migration never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every table (outside the system schemas) and every history version, read in one snapshot.
async fn state(client: &Client) -> (Vec<String>, Vec<String>) {
    let tables = common::rows(
        client,
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' \
         AND tablename <> 'strata_migrations' ORDER BY 1",
    )
    .await;
    let versions = common::rows(
        client,
        "SELECT version::text FROM strata_migrations ORDER BY version",
    )
    .await;
    (tables, versions)
}

async fn one_trial(cluster: &PrivateCluster, trial: usize) {
    let database = format!("restart_{trial}");
    let admin = common::connect(&cluster.url()).await;
    admin
        .simple_query(&format!("CREATE DATABASE {database}"))
        .await
        .expect("create database");
    drop(admin);
    let url = common::with_database(&cluster.url(), &database);

    // The run, on its own connection, in the background.
    let mut client = common::connect(&url).await;
    let run = tokio::spawn(async move { RESTART.run(&mut client).await });

    let observer = common::connect(&url).await;
    wait_for_in_flight(&observer, Duration::from_secs(20)).await;
    drop(observer);
    let restarted_at = Instant::now();
    tokio::task::block_in_place(|| cluster.restart_fast());
    let restart_took = restarted_at.elapsed();

    let error = tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .expect("the run ends once its connection is gone")
        .expect("the run task does not panic")
        .expect_err("the run fails: its server went away mid-migration");
    let text = error.to_string();
    eprintln!("trial {trial}: restart took {restart_took:?}; the run failed with: {text}");
    match &error {
        Error::Migration {
            version,
            name,
            location,
            ..
        } => {
            assert_eq!((*version, name.as_str()), (2, "in_flight"), "{text}");
            assert_eq!(location.path, IN_FLIGHT_FILE, "{text}");
        }
        other => panic!("expected the in-flight migration's error, got {other:?}"),
    }
    assert!(
        text.contains("migration 2") && text.contains("002_in_flight.sql"),
        "names the migration in flight: {text}"
    );
    assert!(
        text.contains("the connection was lost: re-run"),
        "says it is a connection problem and what to do: {text}"
    );
    assert!(!text.contains("password"), "{text}");

    // After the restart: history and schema agree. 001 is recorded and its table exists;
    // 002's transaction (table created, row inserted, then the restart) left nothing.
    let client = common::connect(&url).await;
    let (tables, versions) = state(&client).await;
    assert_eq!(
        versions,
        ["1"],
        "only the migration before the restart is recorded"
    );
    assert_eq!(
        tables,
        ["restart_before"],
        "the in-flight migration left no table"
    );
    assert_eq!(
        common::rows(
            &client,
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
        )
        .await,
        ["0"],
        "the restart released the migration lock"
    );

    // A re-run on a new connection applies the rest.
    let mut rerun = common::connect(&url).await;
    let report = RESTART.run(&mut rerun).await.expect("the re-run completes");
    let applied: Vec<i64> = report.applied.iter().map(|m| m.version).collect();
    assert_eq!(applied, [2, 3], "{report:?}");
    let (tables, versions) = state(&client).await;
    assert_eq!(versions, ["1", "2", "3"]);
    assert_eq!(
        tables,
        ["restart_after", "restart_before", "restart_in_flight"]
    );
    assert_eq!(
        common::rows(&client, "SELECT count(*) FROM restart_in_flight").await,
        ["1"],
        "002 ran exactly once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_mid_migration_fails_cleanly_and_a_rerun_completes() {
    let cluster = tokio::task::block_in_place(PrivateCluster::start);
    let trials: usize = std::env::var("STRATA_RESTART_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    for trial in 0..trials {
        one_trial(&cluster, trial).await;
    }
}

static RELIABILITY: Migrations = strata::embed_migrations!("tests/fixtures/reliability");

/// Migrations commit without waiting for the WAL flush and the run waits once, at the end:
/// a server crash right after `run` returns must lose nothing. The last no-transaction
/// migration below the target is 174 (its autocommitted history row waits for the flush),
/// so 175..=198 are the asynchronous tail a missing final flush would lose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_right_after_a_run_loses_none_of_its_migrations() {
    let cluster = tokio::task::block_in_place(PrivateCluster::start);
    let admin = common::connect(&cluster.url()).await;
    admin
        .simple_query("CREATE DATABASE durable")
        .await
        .expect("create database");
    drop(admin);
    // The private cluster runs with synchronous_commit = off for speed; a service's database
    // has it on, and so does this session.
    let url = format!(
        "{}?options=-c%20synchronous_commit%3Don",
        common::with_database(&cluster.url(), "durable")
    );
    let mut client = common::connect(&url).await;
    assert_eq!(
        common::rows(&client, "SHOW synchronous_commit").await,
        ["on"]
    );
    let report = RELIABILITY
        .runner()
        .target(198)
        .run(&mut client)
        .await
        .expect("the run completes");
    assert_eq!(report.applied.len(), 198);
    drop(client);
    tokio::task::block_in_place(|| cluster.crash_restart());

    let client = common::connect(&url).await;
    let versions = common::rows(&client, "SELECT count(*) FROM strata_migrations").await;
    let tables = common::rows(
        &client,
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^r[0-9]+$'",
    )
    .await;
    // Each transactional migration creates its table r<version>; the others add indexes.
    let expected_tables = RELIABILITY
        .iter()
        .filter(|m| m.version() <= 198 && m.transactional())
        .count();
    assert_eq!(
        (versions, tables),
        (vec!["198".to_string()], vec![expected_tables.to_string()]),
        "every applied migration survived the crash"
    );
}
