//! Failing migrations on a real PostgreSQL: a failure in the middle of five, error positions
//! mapped to `file:line:col` through multi-byte text, and no-transaction migrations (two
//! `CREATE INDEX CONCURRENTLY` applied and rolled back; a partial failure). Each test creates
//! and drops its own database.

mod common;

use std::time::{Duration, Instant};

use common::TestDb;
use strata::{Direction, Error, Migrations, Target};

static FAILING: Migrations = strata::embed_migrations!("tests/fixtures/pg/failing");
static POSITIONS: Migrations = strata::embed_migrations!("tests/fixtures/pg/positions");
static NO_TRANSACTION: Migrations = strata::embed_migrations!("tests/fixtures/pg/no-transaction");
static PARTIAL: Migrations = strata::embed_migrations!("tests/fixtures/pg/no-transaction-partial");
static NO_POSITION: Migrations = strata::embed_migrations!("tests/fixtures/pg/no-position");

#[tokio::test]
async fn a_failing_migration_in_the_middle_of_five() {
    let db = TestDb::new("failing").await;
    let mut client = db.client().await;
    assert_eq!(FAILING.len(), 5);
    let error = FAILING
        .run(&mut client)
        .await
        .expect_err("migration 3 fails");
    match &error {
        Error::Migration {
            version,
            name,
            location,
            error,
            committed,
        } => {
            assert_eq!((*version, name.as_str()), (3, "three"));
            assert_eq!(committed, &[1, 2], "what this run committed before it");
            assert_eq!(
                location.to_string(),
                "tests/fixtures/pg/failing/003_three.sql:4:39"
            );
            assert_eq!(error.code, "42P01");
            assert!(error.message.contains("no_such_table"), "{error}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "migration 3 (tests/fixtures/pg/failing/003_three.sql:4:39) failed: [42P01] relation \"no_such_table\" does not exist; \
         this run applied migrations 1, 2 before it (committed)"
    );
    assert_eq!(
        db.history_versions().await,
        [1, 2],
        "earlier migrations stay applied"
    );
    assert!(db.has_relation("one").await && db.has_relation("two").await);
    assert!(
        !db.has_relation("three").await,
        "the failing migration left no trace (its CREATE TABLE rolled back)"
    );
    assert!(
        !db.has_relation("four").await && !db.has_relation("five").await,
        "nothing after it ran"
    );

    // The same client is usable (the aborted transaction was rolled back) ...
    assert_eq!(common::rows(&client, "SELECT 1").await, ["1"]);
    // ... and the lock is free: another session takes it at once and fails on the same migration.
    let mut second = db.client().await;
    let started = Instant::now();
    let again = FAILING
        .runner()
        .lock_timeout(Duration::from_secs(5))
        .run(&mut second)
        .await;
    assert!(
        matches!(again, Err(Error::Migration { version: 3, .. })),
        "{again:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(db.advisory_locks().await, 0, "no advisory lock left behind");
}

#[tokio::test]
async fn error_positions_count_characters_not_bytes() {
    let db = TestDb::new("positions").await;
    let mut client = db.client().await;
    let error = POSITIONS.run(&mut client).await.expect_err("fails");
    match &error {
        Error::Migration {
            version: 1,
            location,
            error,
            ..
        } => {
            // Line 4: `INSERT INTO naïve (id, label) VALUES (1, 'déjà vu 🎉'), (2, missing_column);`
            // missing_column starts at character 60 (byte 66).
            assert_eq!(
                location.to_string(),
                "tests/fixtures/pg/positions/001_names.sql:4:60"
            );
            assert_eq!(error.code, "42703");
        }
        other => panic!("{other:?}"),
    }
    assert!(!db.has_relation("naïve").await);
}

#[tokio::test]
async fn errors_without_a_position_point_at_the_failing_statement() {
    let db = TestDb::new("no_position").await;
    let mut client = db.client().await;
    let error = NO_POSITION
        .run(&mut client)
        .await
        .expect_err("duplicate key");
    match &error {
        Error::Migration {
            version: 1,
            location,
            error,
            ..
        } => {
            // The unique violation has no position; the third statement starts at line 5.
            assert_eq!(
                location.to_string(),
                "tests/fixtures/pg/no-position/001_duplicate.sql:5:1"
            );
            assert_eq!(error.code, "23505");
        }
        other => panic!("{other:?}"),
    }
    assert!(!db.has_relation("a").await);
}

#[tokio::test]
async fn no_transaction_migration_with_two_concurrent_indexes_applies_and_rolls_back() {
    let db = TestDb::new("concurrently").await;
    let mut client = db.client().await;
    assert!(!NO_TRANSACTION.get(2).expect("2").transactional());
    assert_eq!(NO_TRANSACTION.get(2).expect("2").up_statements().len(), 2);
    let report = NO_TRANSACTION.run(&mut client).await.expect("apply");
    assert_eq!(report.applied.len(), 2);
    let valid = common::rows(
        &client,
        "SELECT c.relname || ' ' || i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE c.relname IN ('t_a_idx', 't_b_idx') ORDER BY 1",
    )
    .await;
    assert_eq!(valid, ["t_a_idx true", "t_b_idx true"]);
    let stored = common::rows(
        &client,
        "SELECT transactional::text FROM strata_migrations ORDER BY version",
    )
    .await;
    assert_eq!(stored, ["true", "false"]);

    let report = NO_TRANSACTION
        .rollback(&mut client, Target::Steps(1))
        .await
        .expect("roll back the indexes");
    assert_eq!(report.reverted[0].version, 2);
    assert!(!db.has_relation("t_a_idx").await && !db.has_relation("t_b_idx").await);
    assert_eq!(db.history_versions().await, [1]);
    NO_TRANSACTION.run(&mut client).await.expect("apply again");
    assert!(db.has_relation("t_a_idx").await && db.has_relation("t_b_idx").await);
}

#[tokio::test]
async fn a_partial_no_transaction_failure_says_what_ran_and_what_failed() {
    let db = TestDb::new("partial").await;
    let mut client = db.client().await;
    let error = PARTIAL
        .run(&mut client)
        .await
        .expect_err("statement 2 fails");
    match &error {
        Error::PartiallyApplied {
            version,
            direction,
            location,
            failed_statement,
            total,
            completed_lines,
            error,
            ..
        } => {
            assert_eq!((*version, *direction), (2, Direction::Up));
            assert_eq!((*failed_statement, *total), (2, 3));
            assert_eq!(completed_lines, &[3]);
            // PostgreSQL gives no position for an index column error: the failing statement's start.
            assert_eq!(
                location.to_string(),
                "tests/fixtures/pg/no-transaction-partial/002_indexes.sql:4:1"
            );
            assert_eq!(error.code, "42703");
        }
        other => panic!("{other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("statement 2 of 3") && message.contains("line 3 ran"),
        "{message}"
    );
    assert!(
        db.has_relation("t_a_idx").await,
        "statement 1 ran and stays"
    );
    assert!(!db.has_relation("t_b_idx").await, "statement 3 never ran");
    assert_eq!(db.history_versions().await, [1], "not recorded as applied");
    assert_eq!(db.advisory_locks().await, 0, "lock released");
}
