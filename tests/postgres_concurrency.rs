//! Runners racing on one real PostgreSQL database: 8 at once, and a run whose future is
//! dropped mid-migration.
//! Each test creates and drops its own database.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::TestDb;
use strata::Migrations;

static SEQUENTIAL: Migrations = strata::embed_migrations!("tests/fixtures/pg/sequential");
static SLOW: Migrations = strata::embed_migrations!("tests/fixtures/pg/slow");

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_concurrent_runners_apply_each_migration_once() {
    let db = TestDb::new("concurrent").await;
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let mut runners = Vec::new();
    for _ in 0..8 {
        // Separate connections, all opened before any runner starts.
        let mut client = db.client().await;
        let barrier = Arc::clone(&barrier);
        runners.push(tokio::spawn(async move {
            barrier.wait().await;
            SEQUENTIAL.run(&mut client).await
        }));
    }
    let mut applied = Vec::new();
    for runner in runners {
        let report = runner.await.expect("join").expect("every runner succeeds");
        applied.extend(report.applied.iter().map(|s| s.version));
    }
    applied.sort_unstable();
    assert_eq!(
        applied,
        [1, 2, 3],
        "each migration applied by exactly one runner"
    );
    assert_eq!(db.history_versions().await, [1, 2, 3]);
    assert_eq!(db.advisory_locks().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_run_releases_the_lock_once_its_client_is_dropped() {
    let db = TestDb::new("dropped").await;
    let mut first = db.client().await;
    // The migration sleeps 1.5 s; give up on it after 300 ms, mid-batch.
    let timed_out = tokio::time::timeout(Duration::from_millis(300), SLOW.run(&mut first)).await;
    assert!(timed_out.is_err(), "the run was still going");
    // As documented: the client is unusable for migrations now; drop it.
    drop(first);

    let mut second = db.client().await;
    let report = SLOW
        .runner()
        .lock_timeout(Duration::from_secs(20))
        .run(&mut second)
        .await
        .expect("the lock comes free");
    // The first session's batch ran to its end (COMMIT included) before the session closed,
    // so either it applied the migration or the second runner did: exactly once, either way.
    assert!(report.applied.len() <= 1);
    assert_eq!(db.history_versions().await, [1]);
    assert!(db.has_relation("slow").await);
    assert!(SLOW.run(&mut second).await.expect("no-op").is_empty());
}
