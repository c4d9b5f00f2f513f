//! Apply → status → rollback all → apply again, on a directory in each of the five naming
//! schemes, on a real PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres).
//! Each test creates and drops its own database.

mod common;

use common::TestDb;
use strata::{Migrations, State, Target};

static SEQUENTIAL: Migrations = strata::embed_migrations!("tests/fixtures/pg/sequential");
static FLYWAY: Migrations = strata::embed_migrations!("tests/fixtures/pg/flyway");
static TIMESTAMP: Migrations = strata::embed_migrations!("tests/fixtures/pg/timestamp");
static PAIRED: Migrations = strata::embed_migrations!("tests/fixtures/pg/paired");
static DIRECTORY: Migrations = strata::embed_migrations!("tests/fixtures/pg/directory");

async fn round_trip(label: &str, migrations: &'static Migrations, expected: &[i64]) {
    assert_eq!(
        migrations.iter().map(|m| m.version()).collect::<Vec<_>>(),
        expected,
        "{label}: discovered versions"
    );
    let db = TestDb::new(label).await;
    let mut client = db.client().await;
    assert!(db.schema().await.is_empty(), "{label}: a fresh database");

    let report = migrations.run(&mut client).await.expect("first apply");
    assert_eq!(
        report.applied.iter().map(|s| s.version).collect::<Vec<_>>(),
        expected,
        "{label}"
    );
    assert!(
        report
            .applied
            .iter()
            .all(|s| s.execution < std::time::Duration::from_secs(60))
    );
    let first = db.schema().await;
    assert!(!first.is_empty(), "{label}");

    let status = migrations.status(&mut client).await.expect("status");
    assert_eq!(
        status.iter().map(|r| r.version).collect::<Vec<_>>(),
        expected
    );
    for row in &status {
        assert_eq!(row.state, State::Applied, "{label}: {row:?}");
        assert!(
            // The server's clock, read back: this run, not the epoch or a misparsed date.
            row.applied_at.is_some_and(|at| std::time::SystemTime::now()
                .duration_since(at)
                .is_ok_and(|age| age < std::time::Duration::from_secs(3600))),
            "{label}: {row:?}"
        );
        assert!(row.execution.is_some(), "{label}: {row:?}");
        assert!(
            row.path
                .as_deref()
                .is_some_and(|p| p.starts_with("tests/fixtures/pg/")),
            "{label}: {row:?}"
        );
    }
    assert!(
        migrations.run(&mut client).await.expect("again").is_empty(),
        "{label}: nothing applied twice"
    );

    let rolled = migrations
        .rollback(&mut client, Target::Version(0))
        .await
        .expect("rollback all");
    let newest_first: Vec<i64> = expected.iter().rev().copied().collect();
    assert_eq!(
        rolled
            .reverted
            .iter()
            .map(|s| s.version)
            .collect::<Vec<_>>(),
        newest_first,
        "{label}"
    );
    assert_eq!(
        db.schema().await,
        Vec::<String>::new(),
        "{label}: rollback left objects behind"
    );
    assert!(db.history_versions().await.is_empty(), "{label}");
    let status = migrations.status(&mut client).await.expect("status");
    assert!(
        status
            .iter()
            .all(|r| r.state == State::Pending && r.applied_at.is_none()),
        "{label}: {status:?}"
    );

    let again = migrations.run(&mut client).await.expect("second apply");
    assert_eq!(again.applied.len(), expected.len(), "{label}");
    assert_eq!(
        db.schema().await,
        first,
        "{label}: the schema after the second apply differs"
    );
    assert_eq!(db.history_versions().await, expected, "{label}");
}

#[tokio::test]
async fn sequential_scheme_round_trip() {
    round_trip("sequential", &SEQUENTIAL, &[1, 2, 3]).await;
}

#[tokio::test]
async fn flyway_scheme_round_trip() {
    round_trip("flyway", &FLYWAY, &[1, 2]).await;
}

#[tokio::test]
async fn timestamp_scheme_round_trip() {
    round_trip("timestamp", &TIMESTAMP, &[20250210120000, 20250301080000]).await;
}

#[tokio::test]
async fn paired_scheme_round_trip() {
    round_trip("paired", &PAIRED, &[1, 2, 3]).await;
}

#[tokio::test]
async fn directory_scheme_round_trip() {
    // The second migration is run_in_transaction = false (metadata.toml): CREATE INDEX
    // CONCURRENTLY in both directions.
    assert!(
        !DIRECTORY
            .get(20241102090000)
            .expect("embedded")
            .transactional()
    );
    round_trip("directory", &DIRECTORY, &[20241025112826, 20241102090000]).await;
}

#[tokio::test]
async fn a_history_table_in_its_own_schema() {
    let db = TestDb::new("history_schema").await;
    let mut client = db.client().await;
    let runner = || {
        SEQUENTIAL
            .runner()
            .history_table(Some("ops"), "schema_history")
    };
    assert_eq!(
        runner()
            .run(&mut client)
            .await
            .expect("apply")
            .applied
            .len(),
        3
    );
    let rows = common::rows(
        &client,
        "SELECT version::text FROM ops.schema_history ORDER BY version",
    )
    .await;
    assert_eq!(rows, ["1", "2", "3"]);
    assert!(
        !db.has_relation("strata_migrations").await,
        "the default table is not created"
    );
    assert!(runner().run(&mut client).await.expect("no-op").is_empty());
    assert_eq!(
        runner()
            .rollback(&mut client, Target::Steps(2))
            .await
            .expect("rollback")
            .reverted
            .len(),
        2
    );
    let status = runner().status(&mut client).await.expect("status");
    assert_eq!(
        status.iter().map(|r| r.state).collect::<Vec<_>>(),
        [State::Applied, State::Pending, State::Pending]
    );

    let invalid = SEQUENTIAL
        .runner()
        .history_table(None, "history; DROP TABLE accounts")
        .run(&mut client)
        .await;
    assert!(
        matches!(invalid, Err(strata::Error::InvalidIdentifier(_))),
        "{invalid:?}"
    );
}
