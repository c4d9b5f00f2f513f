//! Round trips counted, not guessed: a loopback proxy between tokio-postgres and the real
//! PostgreSQL counts the client's `Query` messages (one round trip each under the simple
//! protocol) and `Sync` messages (one per extended-protocol round trip).

mod common;

use std::sync::atomic::Ordering;

use common::{CountingProxy, TestDb};
use strata::{Migrations, Target};

static SEQUENTIAL: Migrations = strata::embed_migrations!("tests/fixtures/pg/sequential");
static NO_TRANSACTION: Migrations = strata::embed_migrations!("tests/fixtures/pg/no-transaction");

#[tokio::test]
async fn one_round_trip_for_the_pending_migrations_and_one_for_a_no_op_start_up() {
    let db = TestDb::new("round_trips").await;
    let proxy = CountingProxy::start().await;
    let mut client = common::connect(&proxy.url(&db.url)).await;
    let counted = |before: usize| proxy.counts.round_trips() - before;

    // The very first run also creates the history table: read (42P01) + create-and-read,
    // lock-and-read + the check that this session holds it, 1 migration, unlock.
    let before = proxy.counts.round_trips();
    SEQUENTIAL
        .runner()
        .target(1)
        .run(&mut client)
        .await
        .expect("apply 1");
    assert_eq!(counted(before), 2 + 2 + 1 + 1);

    // Afterwards: read, lock-and-read + held, the pending migrations in one message, unlock.
    let before = proxy.counts.round_trips();
    let report = SEQUENTIAL.run(&mut client).await.expect("apply 2 and 3");
    assert_eq!(report.applied.len(), 2);
    assert_eq!(
        counted(before),
        1 + 2 + 1 + 1,
        "one round trip for every pending transactional migration together"
    );

    // A service starting with nothing pending: one round trip after connect.
    let mut fresh = common::connect(&proxy.url(&db.url)).await;
    let before = proxy.counts.round_trips();
    assert!(SEQUENTIAL.run(&mut fresh).await.expect("no-op").is_empty());
    assert_eq!(
        counted(before),
        1,
        "a start-up with nothing pending is one round trip"
    );

    let before = proxy.counts.round_trips();
    SEQUENTIAL.status(&mut fresh).await.expect("status");
    assert_eq!(counted(before), 1, "status is one round trip");

    // Rollback: read, lock-and-read + held, one per DOWN (with its history delete), unlock.
    let before = proxy.counts.round_trips();
    let report = SEQUENTIAL
        .rollback(&mut fresh, Target::Steps(2))
        .await
        .expect("rollback");
    assert_eq!(report.reverted.len(), 2);
    assert_eq!(
        counted(before),
        1 + 2 + 2 + 1,
        "one round trip per rolled-back migration"
    );

    assert_eq!(
        proxy.counts.syncs.load(Ordering::SeqCst),
        0,
        "no extended-protocol round trips"
    );
}

#[tokio::test]
async fn no_transaction_migrations_cost_one_round_trip_per_statement_plus_the_history_row() {
    let db = TestDb::new("round_trips_notx").await;
    let proxy = CountingProxy::start().await;
    let mut client = common::connect(&proxy.url(&db.url)).await;
    NO_TRANSACTION
        .runner()
        .target(1)
        .run(&mut client)
        .await
        .expect("apply 1");
    let before = proxy.counts.round_trips();
    NO_TRANSACTION
        .run(&mut client)
        .await
        .expect("apply the indexes");
    assert_eq!(proxy.counts.round_trips() - before, 1 + 2 + (2 + 1) + 1);
}
