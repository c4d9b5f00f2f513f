//! `Migrations::verify` from a user's own tests: the same report as `strata verify`, on a
//! database the test created (PostgreSQL) or in memory (SQLite), and refused on a database
//! where migrations are already applied.

mod common;

use common::TestDb;
use strata::{Error, Finding, Migrations, RoundTrip};

static REVERSIBLE: Migrations = strata::embed_migrations!("tests/fixtures/verify/reversible");
static FORGETS_INDEX: Migrations = strata::embed_migrations!("tests/fixtures/verify/forgets-index");
static EXAMPLE: Migrations = strata::embed_migrations!("migrations");

#[tokio::test]
async fn verify_passes_leaves_everything_applied_and_refuses_to_run_twice() {
    let db = TestDb::new("verify_lib").await;
    let mut client = db.client().await;
    let report = REVERSIBLE.verify(&mut client).await.expect("verify");
    assert!(report.passed(), "{report:#?}");
    let trips: Vec<RoundTrip> = report.steps.iter().map(|s| s.round_trip).collect();
    assert_eq!(
        trips,
        [
            RoundTrip::Verified,
            RoundTrip::Verified,
            RoundTrip::Verified,
            RoundTrip::Verified,
            RoundTrip::NoDown,
            RoundTrip::Verified
        ]
    );
    assert_eq!(db.history_versions().await, [1, 2, 3, 4, 5, 6]);

    match REVERSIBLE.verify(&mut client).await {
        Err(Error::NotScratch { applied: 6 }) => {}
        other => panic!("expected NotScratch, got {other:?}"),
    }
}

#[tokio::test]
async fn a_forgotten_index_is_a_finding_with_the_index() {
    let db = TestDb::new("verify_lib_index").await;
    let mut client = db.client().await;
    let report = FORGETS_INDEX.verify(&mut client).await.expect("verify");
    assert!(!report.passed());
    let (step, finding) = report.findings().next().expect("a finding");
    assert_eq!(step.version, 2);
    match finding {
        Finding::DownIncomplete {
            location,
            differences,
        } => {
            assert_eq!(
                location.to_string(),
                "tests/fixtures/verify/forgets-index/002_email_lookup.sql:6"
            );
            assert_eq!(differences.len(), 1, "{differences:?}");
            assert_eq!(
                (differences[0].kind.as_str(), differences[0].name.as_str()),
                ("index", "users_email_idx")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn sqlite_in_memory_with_a_second_run_of_each_up() {
    let mut conn = rusqlite::Connection::open_in_memory().expect("sqlite");
    let report = EXAMPLE.verify(&mut conn).await.expect("verify");
    assert!(report.passed(), "{report:#?}");

    let mut conn = rusqlite::Connection::open_in_memory().expect("sqlite");
    let report = EXAMPLE
        .verifier()
        .idempotent(true)
        .verify(&mut conn)
        .await
        .expect("verify");
    let kinds: Vec<&str> = report.findings().map(|(_, f)| f.kind()).collect();
    assert_eq!(kinds, ["not-idempotent"; 3], "{report:#?}");
    // A failed second run of a transactional UP is rolled back: the round trips still ran.
    assert_eq!(
        conn.query_row("SELECT count(*) FROM strata_migrations", [], |r| r
            .get::<_, i64>(0))
            .expect("history"),
        3
    );
}
