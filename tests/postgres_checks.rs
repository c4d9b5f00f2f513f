//! Checks made before anything runs (divergent, missing, out of order) and their opt-outs,
//! rollback from stored DOWN SQL, refusal without any DOWN, and dry runs, on a real
//! PostgreSQL. Each test creates and drops its own database.

mod common;

use common::TestDb;
use strata::{Direction, Error, Migrations, State, Target};

static SEQUENTIAL: Migrations = strata::embed_migrations!("tests/fixtures/pg/sequential");
static PAIRED: Migrations = strata::embed_migrations!("tests/fixtures/pg/paired");

fn versions(report: &strata::Report) -> Vec<i64> {
    report
        .applied
        .iter()
        .chain(&report.reverted)
        .map(|s| s.version)
        .collect()
}

#[tokio::test]
async fn divergent_is_refused_before_anything_runs_and_can_be_allowed() {
    let db = TestDb::new("divergent").await;
    let mut client = db.client().await;
    SEQUENTIAL
        .runner()
        .target(1)
        .run(&mut client)
        .await
        .expect("apply 1");
    client
        .simple_query("UPDATE strata_migrations SET checksum = 'edited' WHERE version = 1")
        .await
        .expect("edit");

    let divergent = SEQUENTIAL.run(&mut client).await;
    match &divergent {
        Err(Error::Divergent(list)) => {
            assert_eq!(list.len(), 1);
            assert_eq!(
                (list[0].version, list[0].applied_checksum.as_str()),
                (1, "edited")
            );
            assert_eq!(
                list[0].path,
                "tests/fixtures/pg/sequential/001_accounts.sql"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        divergent
            .expect_err("refused")
            .to_string()
            .contains("allow_divergent(true)")
    );
    assert_eq!(db.history_versions().await, [1], "nothing applied");
    assert!(!db.has_relation("posts").await);
    let states: Vec<State> = SEQUENTIAL
        .status(&mut client)
        .await
        .expect("status")
        .iter()
        .map(|r| r.state)
        .collect();
    assert_eq!(states, [State::Divergent, State::Pending, State::Pending]);

    let report = SEQUENTIAL
        .runner()
        .allow_divergent(true)
        .run(&mut client)
        .await
        .expect("opt-out");
    assert_eq!(versions(&report), [2, 3]);
}

#[tokio::test]
async fn missing_is_refused_before_anything_runs_and_can_be_allowed() {
    let db = TestDb::new("missing").await;
    let mut client = db.client().await;
    SEQUENTIAL
        .runner()
        .target(1)
        .run(&mut client)
        .await
        .expect("apply 1");
    client
        .simple_query(
            "INSERT INTO strata_migrations (version, name, checksum, down_sql, transactional, execution_ms) \
             VALUES (7, 'from_a_newer_binary', 'x', NULL, true, 0), (8, 'also_newer', 'y', NULL, true, 0)",
        )
        .await
        .expect("insert");

    let missing = SEQUENTIAL.run(&mut client).await;
    assert!(
        matches!(&missing, Err(Error::Missing(list)) if list.iter().map(|m| m.version).collect::<Vec<_>>() == [7, 8]),
        "{missing:?}"
    );
    assert_eq!(db.history_versions().await, [1, 7, 8], "nothing applied");
    let status = SEQUENTIAL.status(&mut client).await.expect("status");
    assert_eq!(
        status
            .iter()
            .filter(|r| r.state == State::Missing)
            .map(|r| r.version)
            .collect::<Vec<_>>(),
        [7, 8]
    );

    // Allowing missing alone is not enough: 2 and 3 are now older than the applied 8.
    let late = SEQUENTIAL
        .runner()
        .allow_missing(true)
        .run(&mut client)
        .await;
    assert!(
        matches!(
            late,
            Err(Error::OutOfOrder {
                highest_applied: 8,
                ..
            })
        ),
        "{late:?}"
    );
    let report = SEQUENTIAL
        .runner()
        .allow_missing(true)
        .allow_out_of_order(true)
        .run(&mut client)
        .await
        .expect("opt-outs");
    assert_eq!(versions(&report), [2, 3]);
}

#[tokio::test]
async fn out_of_order_is_refused_before_anything_runs_and_can_be_allowed() {
    let db = TestDb::new("out_of_order").await;
    let mut client = db.client().await;
    // Apply 1 and 3 (as if 3 was deployed before 2 was written): 2 is pending below 3.
    SEQUENTIAL
        .runner()
        .target(1)
        .run(&mut client)
        .await
        .expect("apply 1");
    let skip_two = Migrations::from_vec(
        SEQUENTIAL
            .iter()
            .filter(|m| m.version() != 2)
            .cloned()
            .collect(),
        Default::default(),
    );
    client
        .simple_query("CREATE TABLE posts (id bigint, account_id bigint)")
        .await
        .expect("what 3 needs");
    skip_two.run(&mut client).await.expect("apply 3");
    client
        .simple_query("DROP TABLE posts CASCADE")
        .await
        .expect("cleanup");

    let late = SEQUENTIAL.run(&mut client).await;
    match &late {
        Err(Error::OutOfOrder {
            highest_applied,
            pending,
        }) => {
            assert_eq!(*highest_applied, 3);
            assert_eq!(pending.iter().map(|m| m.version).collect::<Vec<_>>(), [2]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(db.history_versions().await, [1, 3], "nothing applied");
    let plan = SEQUENTIAL.runner().dry_run(&mut client).await;
    assert!(
        matches!(plan, Err(Error::OutOfOrder { .. })),
        "a dry run makes the same checks"
    );

    let report = SEQUENTIAL
        .runner()
        .allow_out_of_order(true)
        .run(&mut client)
        .await
        .expect("opt-out");
    assert_eq!(versions(&report), [2]);
    assert_eq!(db.history_versions().await, [1, 2, 3]);
}

/// The start-up shortcut trusts the top row's stored count; a binary that applies a migration
/// below it (out of order) must make that count unknown, or a binary that lacks that
/// migration would take the shortcut and never see it as missing.
#[tokio::test]
async fn an_out_of_order_apply_elsewhere_turns_the_start_up_shortcut_off() {
    let db = TestDb::new("shortcut_off").await;
    let mut client = db.client().await;
    let without_two = Migrations::from_vec(
        SEQUENTIAL
            .iter()
            .filter(|m| m.version() != 2)
            .cloned()
            .collect(),
        Default::default(),
    );
    client
        .simple_query("CREATE TABLE posts (id bigint, account_id bigint)")
        .await
        .expect("what 3 needs");
    without_two.run(&mut client).await.expect("apply 1 and 3");
    client
        .simple_query("DROP TABLE posts CASCADE")
        .await
        .expect("cleanup");
    assert!(
        without_two
            .run(&mut client)
            .await
            .expect("no-op")
            .applied
            .is_empty()
    );

    let report = SEQUENTIAL
        .runner()
        .allow_out_of_order(true)
        .run(&mut client)
        .await
        .expect("2, out of order");
    assert_eq!(versions(&report), [2]);
    let missing = without_two.run(&mut client).await;
    assert!(
        matches!(&missing, Err(Error::Missing(list)) if list.iter().map(|m| m.version).collect::<Vec<_>>() == [2]),
        "the binary without 2 must see it: {missing:?}"
    );
    assert!(
        SEQUENTIAL
            .run(&mut client)
            .await
            .expect("up to date")
            .applied
            .is_empty()
    );
}

#[tokio::test]
async fn targets_and_dry_runs() {
    let db = TestDb::new("targets").await;
    let mut client = db.client().await;
    let plan = SEQUENTIAL
        .runner()
        .target(2)
        .dry_run(&mut client)
        .await
        .expect("dry run");
    assert_eq!(
        plan.steps
            .iter()
            .map(|s| (s.version, s.direction))
            .collect::<Vec<_>>(),
        [(1, Direction::Up), (2, Direction::Up)]
    );
    assert!(plan.steps[0].sql.contains("CREATE TABLE accounts"));
    assert!(
        !db.has_relation("strata_migrations").await,
        "a dry run writes nothing, not even the history table"
    );

    assert_eq!(
        versions(
            &SEQUENTIAL
                .runner()
                .target(2)
                .run(&mut client)
                .await
                .expect("to 2")
        ),
        [1, 2]
    );
    let unknown = SEQUENTIAL.runner().target(99).run(&mut client).await;
    assert!(
        matches!(unknown, Err(Error::UnknownTarget(99))),
        "{unknown:?}"
    );
    assert_eq!(
        versions(&SEQUENTIAL.run(&mut client).await.expect("rest")),
        [3]
    );

    let plan = SEQUENTIAL
        .runner()
        .dry_run_rollback(&mut client, Target::Steps(2))
        .await
        .expect("dry rollback");
    assert_eq!(
        plan.steps.iter().map(|s| s.version).collect::<Vec<_>>(),
        [3, 2]
    );
    assert!(plan.steps.iter().all(|s| s.direction == Direction::Down));
    assert_eq!(db.history_versions().await, [1, 2, 3]);
    assert_eq!(
        versions(
            &SEQUENTIAL
                .rollback(&mut client, Target::Version(1))
                .await
                .expect("undo above 1")
        ),
        [3, 2]
    );
    assert_eq!(
        versions(
            &SEQUENTIAL
                .rollback(&mut client, Target::Version(1))
                .await
                .expect("nothing")
        ),
        Vec::<i64>::new()
    );
    assert_eq!(db.history_versions().await, [1]);
}

/// Starts from a database with PAIRED applied: `#[strata::test]` clones it from a template.
#[strata::test(migrations = PAIRED)]
async fn rollback_uses_the_stored_down_when_the_binary_lacks_it(
    mut client: tokio_postgres::Client,
) {
    let stored = common::rows(
        &client,
        "SELECT down_sql FROM strata_migrations WHERE version = 3",
    )
    .await;
    assert_eq!(
        stored,
        [PAIRED
            .get(3)
            .and_then(|m| m.down())
            .expect("DOWN")
            .to_string()]
    );

    // A binary that embeds only migration 1 rolls back 3 and 2 with the DOWN stored at apply time.
    let older = Migrations::from_vec(vec![PAIRED.get(1).expect("1").clone()], Default::default());
    let report = older
        .runner()
        .allow_missing(true)
        .rollback(&mut client, Target::Steps(2))
        .await
        .expect("rollback");
    assert_eq!(versions(&report), [3, 2]);
    assert_eq!(common::history_versions(&client).await, [1]);
    assert!(
        !common::has_relation(&client, "users_email_lower_idx").await
            && !common::has_relation(&client, "events").await
    );

    // Nothing to run a DOWN from: refused before anything runs, naming every offender.
    PAIRED.run(&mut client).await.expect("apply again");
    client
        .simple_query("UPDATE strata_migrations SET down_sql = NULL WHERE version IN (1, 2)")
        .await
        .expect("forget");
    let nothing = Migrations::from_vec(vec![PAIRED.get(3).expect("3").clone()], Default::default());
    let refused = nothing.rollback(&mut client, Target::Version(0)).await;
    assert!(
        matches!(&refused, Err(Error::NoDown(list)) if list.iter().map(|m| m.version).collect::<Vec<_>>() == [2, 1]),
        "{refused:?}"
    );
    assert_eq!(
        common::history_versions(&client).await,
        [1, 2, 3],
        "3 has a DOWN, but nothing ran"
    );
    assert!(common::has_relation(&client, "events").await);
}

#[tokio::test]
async fn a_failing_stored_down_points_into_the_stored_text() {
    let db = TestDb::new("stored_fail").await;
    let mut client = db.client().await;
    PAIRED
        .runner()
        .target(1)
        .run(&mut client)
        .await
        .expect("apply");
    client
        .simple_query("UPDATE strata_migrations SET down_sql = E'DROP TABLE users;\\nINSERT INTO no_such_table VALUES (1);' WHERE version = 1")
        .await
        .expect("edit");
    let none = Migrations::from_vec(Vec::new(), Default::default());
    let error = none
        .runner()
        .allow_missing(true)
        .rollback(&mut client, Target::Steps(1))
        .await
        .expect_err("fails");
    match &error {
        Error::Rollback {
            version: 1,
            location,
            error,
            ..
        } => {
            assert_eq!(
                location.to_string(),
                "\"strata_migrations\" version 1 down_sql:2:13"
            );
            assert_eq!(error.code, "42P01");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        db.has_relation("users").await,
        "the DOWN ran in a transaction: users is still there"
    );
    assert_eq!(db.history_versions().await, [1]);
}

/// `status`, `dry_run` and `dry_run_rollback` read only: on a fresh database they report
/// everything pending and leave the catalog exactly as it was (no table, no schema).
#[tokio::test]
async fn read_only_operations_leave_pg_class_unchanged() {
    let db = TestDb::new("read_only").await;
    let mut client = db.client().await;
    let catalog =
        "SELECT relname || ':' || relnamespace::regnamespace::text FROM pg_class ORDER BY 1";
    let before = common::rows(&client, catalog).await;
    let status = SEQUENTIAL.status(&mut client).await.expect("status");
    assert!(
        status.iter().all(|r| r.state == State::Pending),
        "{status:?}"
    );
    assert_eq!(status.len(), SEQUENTIAL.len());
    let plan = SEQUENTIAL.dry_run(&mut client).await.expect("dry run");
    assert_eq!(plan.steps.len(), SEQUENTIAL.len());
    let down = SEQUENTIAL
        .runner()
        .dry_run_rollback(&mut client, Target::Steps(1))
        .await
        .expect("dry rollback");
    assert!(down.steps.is_empty());
    let ops = SEQUENTIAL
        .runner()
        .history_table(Some("ops"), "history")
        .status(&mut client)
        .await
        .expect("status in a schema that does not exist");
    assert_eq!(ops.len(), SEQUENTIAL.len());
    assert_eq!(common::rows(&client, catalog).await, before);
}
