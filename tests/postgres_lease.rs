//! The table lease from the library (`runner().lock(LockStrategy::Table)`), on a real
//! PostgreSQL in a database of its own: the lease table is created on first use and left
//! empty; rollback takes it too; and when another runner takes the lease while a migration
//! runs, the migration's history write hits the fence: the migration rolls back and the run
//! stops with `Error::LeaseLost`, so nothing is applied by a runner that no longer holds it.

mod common;

use std::time::Duration;

use common::TestDb;
use strata::{Error, LockStrategy, Migrations, Target};

static SEQUENTIAL: Migrations = strata::embed_migrations!("tests/fixtures/pg/sequential");
static SLOW: Migrations = strata::embed_migrations!("tests/fixtures/pg/slow");

async fn lease_rows(db: &TestDb) -> Vec<String> {
    common::rows(
        &db.client().await,
        "SELECT owner FROM strata_migrations_lease",
    )
    .await
}

#[tokio::test]
async fn runs_and_rollbacks_take_the_lease_and_leave_it_free() {
    let db = TestDb::new("lease_lib").await;
    let mut client = db.client().await;
    let report = SEQUENTIAL
        .runner()
        .lock(LockStrategy::Table)
        .run(&mut client)
        .await
        .expect("apply with the lease");
    assert_eq!(report.applied.len(), 3);
    assert!(db.has_relation("strata_migrations_lease").await);
    assert_eq!(lease_rows(&db).await, Vec::<String>::new());
    assert_eq!(db.advisory_locks().await, 0, "no advisory lock was used");
    let mut heartbeat = db.client().await;
    let report = SEQUENTIAL
        .runner()
        .lock(LockStrategy::Table)
        .rollback_with_heartbeat(&mut client, &mut heartbeat, Target::Steps(2))
        .await
        .expect("roll back with the lease");
    assert_eq!(report.reverted.len(), 2);
    assert_eq!(db.history_versions().await, vec![1]);
    assert_eq!(lease_rows(&db).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_run_whose_lease_is_taken_stops_at_the_fence_and_rolls_the_migration_back() {
    let db = TestDb::new("lease_fence").await;
    let mut client = db.client().await;
    let thief = db.client().await;
    let runner = SLOW
        .runner()
        .lock(LockStrategy::Table)
        .lease_ttl(Duration::from_secs(60));
    let run = runner.run(&mut client);
    let steal = async {
        // While the 1.5 s migration sleeps, another owner takes the row over.
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let taken = thief
                .simple_query(
                    "UPDATE strata_migrations_lease SET owner = 'thief', \
                     expires_at = clock_timestamp() + interval '1 minute' RETURNING 1",
                )
                .await;
            if let Ok(messages) = taken
                && messages
                    .iter()
                    .any(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(_)))
            {
                return;
            }
        }
    };
    let (outcome, ()) = tokio::join!(run, steal);
    match outcome {
        Err(Error::LeaseLost { next }) => assert_eq!(next, 1),
        other => panic!("expected LeaseLost, got {other:?}"),
    }
    assert_eq!(db.history_versions().await, Vec::<i64>::new());
    assert!(!db.has_relation("slow").await, "the migration rolled back");
    assert_eq!(lease_rows(&db).await, vec!["thief".to_string()]);
}
