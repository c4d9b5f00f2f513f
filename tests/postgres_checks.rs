//! End-to-end on a real PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres).
//! Every test creates and drops its own database.

// Fixture directories are not tracked by a build script; the warning would only repeat.
#![allow(deprecated)]

mod common;

use common::{CountingProxy, TestDb};
use strata::{Error, State, Target};

static SEQUENTIAL: strata::Migrations = strata::embed_migrations!("tests/ui/fixtures/scheme-sequential");
static FLYWAY: strata::Migrations = strata::embed_migrations!("tests/ui/fixtures/scheme-flyway");
static TIMESTAMP: strata::Migrations = strata::embed_migrations!("tests/ui/fixtures/scheme-timestamp");
static PAIRED: strata::Migrations = strata::embed_migrations!("tests/ui/fixtures/scheme-paired");
static DIRECTORY: strata::Migrations = strata::embed_migrations!("tests/ui/fixtures/scheme-directory");
static FAILING: strata::Migrations = strata::embed_migrations!("tests/fixtures/pg/failing");
static NO_TRANSACTION: strata::Migrations = strata::embed_migrations!("tests/fixtures/pg/no-transaction");

#[tokio::test]
async fn every_scheme_applies_rolls_back_and_applies_again() {
    for (label, migrations) in [
        ("sequential", &SEQUENTIAL),
        ("flyway", &FLYWAY),
        ("timestamp", &TIMESTAMP),
        ("paired", &PAIRED),
        ("directory", &DIRECTORY),
    ] {
        let db = TestDb::new(label).await;
        let mut client = db.client().await;
        let report = migrations.run(&mut client).await.expect("first apply");
        assert_eq!(report.applied.len(), migrations.len(), "{label}");
        let status = migrations.status(&mut client).await.expect("status");
        assert!(status.iter().all(|r| r.state == State::Applied && r.applied_at.is_some()), "{label}: {status:?}");
        let first = db.schema().await;
        assert!(!first.is_empty(), "{label}");

        let rolled = migrations.rollback(&mut client, Target::Version(0)).await.expect("rollback all");
        assert_eq!(rolled.reverted.len(), migrations.len(), "{label}");
        assert!(db.schema().await.is_empty(), "{label}: rollback left {:?}", db.schema().await);
        assert!(migrations.status(&mut client).await.expect("status").iter().all(|r| r.state == State::Pending));

        migrations.run(&mut client).await.expect("second apply");
        assert_eq!(db.schema().await, first, "{label}: the schema after the second apply differs");
    }
}

#[tokio::test]
async fn eight_concurrent_runners_apply_each_migration_once() {
    let db = TestDb::new("concurrent").await;
    let mut runners = Vec::new();
    for _ in 0..8 {
        let mut client = db.client().await;
        runners.push(tokio::spawn(async move { PAIRED.run(&mut client).await }));
    }
    let mut applied = 0;
    for runner in runners {
        applied += runner.await.expect("join").expect("every runner succeeds").applied.len();
    }
    assert_eq!(applied, PAIRED.len(), "each migration applied by exactly one runner");
    assert_eq!(db.history_versions().await, [1, 2]);
}

#[tokio::test]
async fn a_failing_migration_leaves_no_trace_and_releases_the_lock() {
    let db = TestDb::new("failing").await;
    let mut client = db.client().await;
    let error = FAILING.run(&mut client).await.expect_err("migration 3 fails");
    match &error {
        Error::Migration { version, location, error, .. } => {
            assert_eq!(*version, 3);
            assert_eq!(location.to_string(), "tests/fixtures/pg/failing/003_three.sql:4:39");
            assert_eq!(error.code, "42P01");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(error.to_string().contains("tests/fixtures/pg/failing/003_three.sql:4"), "{error}");
    assert_eq!(db.history_versions().await, [1, 2], "earlier migrations stay applied");
    let tables = db.schema().await;
    assert!(!tables.iter().any(|t| t.contains(".three.")), "the failing migration left {tables:?}");

    // The lock is free: another session gets it at once and fails on the same migration.
    let mut second = db.client().await;
    let started = std::time::Instant::now();
    let again = FAILING.runner().lock_timeout(std::time::Duration::from_secs(2)).run(&mut second).await;
    assert!(matches!(again, Err(Error::Migration { version: 3, .. })), "{again:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[tokio::test]
async fn checks_run_before_anything_is_applied() {
    let db = TestDb::new("checks").await;
    let mut client = db.client().await;
    SEQUENTIAL.runner().target(1).run(&mut client).await.expect("apply 1");

    // Divergent: the applied checksum differs from the embedded one.
    client.simple_query("UPDATE strata_migrations SET checksum = 'edited' WHERE version = 1").await.expect("edit");
    let divergent = SEQUENTIAL.run(&mut client).await;
    assert!(matches!(&divergent, Err(Error::Divergent(list)) if list.len() == 1 && list[0].version == 1), "{divergent:?}");
    assert_eq!(db.history_versions().await, [1], "nothing applied");
    SEQUENTIAL.runner().allow_divergent(true).target(2).run(&mut client).await.expect("opt-out");
    client.simple_query(&format!("UPDATE strata_migrations SET checksum = '{}' WHERE version = 1", SEQUENTIAL.get(1).expect("1").checksum())).await.expect("restore");

    // Missing: the database has a migration the binary does not embed.
    client
        .simple_query("INSERT INTO strata_migrations VALUES (5, 'from_a_newer_binary', 'x', NULL, true, now(), 0)")
        .await
        .expect("insert");
    let missing = SEQUENTIAL.run(&mut client).await;
    assert!(matches!(&missing, Err(Error::Missing(list)) if list[0].version == 5), "{missing:?}");
    assert_eq!(db.history_versions().await, [1, 2, 5], "nothing applied");

    // Out of order: 10 is pending but older than the applied 5... and with it allowed, 10 applies.
    let out_of_order_db = TestDb::new("order").await;
    let mut other = out_of_order_db.client().await;
    SEQUENTIAL.runner().target(1).run(&mut other).await.expect("apply 1");
    let ten = SEQUENTIAL.get(10).expect("10");
    other
        .simple_query(&format!("CREATE TABLE tags (id bigint PRIMARY KEY); INSERT INTO strata_migrations VALUES (10, 'tags', '{}', NULL, true, now(), 0)", ten.checksum()))
        .await
        .expect("pretend 10 ran");
    let late = SEQUENTIAL.run(&mut other).await;
    assert!(matches!(&late, Err(Error::OutOfOrder { highest_applied: 10, pending }) if pending[0].version == 2), "{late:?}");
    assert_eq!(out_of_order_db.history_versions().await, [1, 10], "nothing applied");
    let report = SEQUENTIAL.runner().allow_out_of_order(true).run(&mut other).await.expect("opt-out");
    assert_eq!(report.applied.iter().map(|s| s.version).collect::<Vec<_>>(), [2]);

    // allow_missing lets the first database proceed.
    let report = SEQUENTIAL.runner().allow_missing(true).run(&mut client).await.expect("opt-out");
    assert_eq!(report.applied.iter().map(|s| s.version).collect::<Vec<_>>(), [10]);
}

#[tokio::test]
async fn no_transaction_migration_with_concurrent_indexes() {
    let db = TestDb::new("concurrently").await;
    let mut client = db.client().await;
    NO_TRANSACTION.run(&mut client).await.expect("apply");
    let schema = db.schema().await;
    assert!(schema.iter().any(|s| s.contains("t_a_idx")) && schema.iter().any(|s| s.contains("t_b_idx")), "{schema:?}");
    NO_TRANSACTION.rollback(&mut client, Target::Steps(1)).await.expect("roll back the indexes");
    assert!(!db.schema().await.iter().any(|s| s.contains("_idx")));
    assert_eq!(db.history_versions().await, [1]);
}

#[tokio::test]
async fn rollback_uses_the_stored_down_when_the_binary_lacks_it() {
    let db = TestDb::new("stored").await;
    let mut client = db.client().await;
    PAIRED.run(&mut client).await.expect("apply");
    // A binary that embeds only migration 1 rolls back 2 with the DOWN stored at apply time.
    let older = strata::Migrations::from_vec(vec![PAIRED.get(1).expect("1").clone()], &Default::default());
    let report = older.runner().allow_missing(true).rollback(&mut client, Target::Steps(1)).await.expect("rollback");
    assert_eq!(report.reverted[0].version, 2);
    assert_eq!(db.history_versions().await, [1]);
    // Nothing to run the DOWN from: refused before anything runs.
    client.simple_query("UPDATE strata_migrations SET down_sql = NULL").await.expect("forget downs");
    let nothing = strata::Migrations::from_vec(Vec::new(), &Default::default());
    let refused = nothing.rollback(&mut client, Target::Steps(1)).await;
    assert!(matches!(&refused, Err(Error::NoDown(list)) if list[0].version == 1), "{refused:?}");
    assert_eq!(db.history_versions().await, [1]);
}

#[tokio::test]
async fn round_trips_are_counted_not_guessed() {
    let db = TestDb::new("roundtrips").await;
    let proxy = CountingProxy::start(5432).await;
    let mut client = common::connect(&proxy.url(&db.url)).await;
    let counted = |before: usize| proxy.counts.round_trips() - before;

    // The very first run also creates the history table: read (fails), create + read, lock,
    // one per migration, unlock.
    let before = proxy.counts.round_trips();
    SEQUENTIAL.runner().target(1).run(&mut client).await.expect("apply 1");
    assert_eq!(counted(before), 2 + 1 + 1 + 1);

    // Afterwards: read, lock, one per migration, unlock.
    let before = proxy.counts.round_trips();
    let report = SEQUENTIAL.run(&mut client).await.expect("apply 2 and 10");
    assert_eq!(report.applied.len(), 2);
    assert_eq!(counted(before), 1 + 1 + 2 + 1, "one round trip per transactional migration");

    let before = proxy.counts.round_trips();
    assert!(SEQUENTIAL.run(&mut client).await.expect("no-op").is_empty());
    assert_eq!(counted(before), 1, "a start-up with nothing pending is one round trip");
    assert_eq!(proxy.counts.syncs.load(std::sync::atomic::Ordering::SeqCst), 0, "no extended-protocol round trips");
}

#[tokio::test]
async fn lock_waits_name_the_holder_and_time_out() {
    let db = TestDb::new("lockwait").await;
    let mut runner = db.client().await;
    PAIRED.runner().target(1).run(&mut runner).await.expect("apply 1");
    let holder = db.client().await;
    let key = strata_runtime_lock_key();
    holder.simple_query(&format!("SET application_name = 'holder-app'; SELECT pg_advisory_lock({key})")).await.expect("hold");
    let result = PAIRED.runner().lock_timeout(std::time::Duration::from_millis(300)).run(&mut runner).await;
    match result {
        Err(Error::LockTimeout { holder: Some(holder), .. }) => assert!(holder.contains("holder-app"), "{holder}"),
        other => panic!("{other:?}"),
    }
    holder.simple_query(&format!("SELECT pg_advisory_unlock({key})")).await.expect("release");
    PAIRED.run(&mut runner).await.expect("runs once the lock is free");
}

fn strata_runtime_lock_key() -> i64 {
    strata::HistoryTable::default().lock_key()
}
