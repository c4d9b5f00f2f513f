//! End to end on the machine's MariaDB (`MYSQL_URL`, default `mysql://root@127.0.0.1:3306`):
//! apply, status, rollback and re-apply; what is atomic and what is not; error positions;
//! runners at once; the table lease.

mod common;

use std::sync::Arc;

use common::mysql::MysqlDb;
use strata::{Error, LockStrategy, State, Target};

static APP: strata::Migrations = strata::embed_migrations!("tests/fixtures/mysql/app");
static FAILING: strata::Migrations = strata::embed_migrations!("tests/fixtures/mysql/failing");
static PARTIAL: strata::Migrations = strata::embed_migrations!("tests/fixtures/mysql/partial");
static POSITIONS: strata::Migrations = strata::embed_migrations!("tests/fixtures/mysql/positions");
static VALID: strata::Migrations = strata::embed_migrations!("tests/ui/fixtures/mysql-valid");
static CORPUS: strata::Migrations = strata::embed_migrations!("tests/fixtures/mysql/corpus");

/// Whether a session holds strata's named lock for this database's default history table
/// (`GET_LOCK` is per server: the name holds the database and the table's key).
async fn lock_held(db: &MysqlDb) -> bool {
    let key = strata::HistoryTable::default().lock_key();
    db.rows(&format!(
        "SELECT IS_USED_LOCK(CONCAT('strata:', DATABASE(), ':', '{key:016x}')) IS NOT NULL"
    ))
    .await
        == ["1"]
}

#[tokio::test]
async fn apply_status_rollback_apply_again() {
    let db = MysqlDb::new("app").await;
    let mut conn = db.conn().await;

    // DML-only migrations run in one transaction with their row; DDL ones cannot.
    let plan = APP.dry_run(&mut conn).await.expect("dry run");
    let atomic: Vec<bool> = plan.steps.iter().map(|s| s.transactional).collect();
    assert_eq!(atomic, [false, true, false, true]);

    let report = APP.run(&mut conn).await.expect("apply");
    assert_eq!(report.applied.len(), 4);
    let first = db.schema().await;
    assert!(
        first
            .iter()
            .any(|l| l.starts_with("column users.post_count int(10) unsigned")),
        "{first:#?}"
    );
    assert!(
        first
            .iter()
            .any(|l| l.starts_with("trigger posts_after_insert")),
        "{first:#?}"
    );
    // The quote and the backslash arrive as written; the trigger counted the post.
    assert_eq!(
        db.rows("SELECT name, post_count FROM users").await,
        [r"It's \ admin! 1"]
    );
    assert!(
        APP.status(&mut conn)
            .await
            .expect("status")
            .iter()
            .all(|r| r.state == State::Applied)
    );
    let stored = db
        .rows("SELECT down_sql FROM strata_migrations WHERE version = 2")
        .await;
    assert_eq!(
        stored,
        ["DELETE FROM users WHERE email = 'admin@example.com';\n"]
    );
    assert!(APP.run(&mut conn).await.expect("again").is_empty());

    let rolled = APP
        .rollback(&mut conn, Target::Version(0))
        .await
        .expect("rollback all");
    let reverted: Vec<i64> = rolled.reverted.iter().map(|s| s.version).collect();
    assert_eq!(reverted, [4, 3, 2, 1]);
    assert!(db.schema().await.is_empty(), "{:#?}", db.schema().await);
    assert!(db.history_versions().await.is_empty());

    APP.run(&mut conn).await.expect("apply again");
    assert_eq!(db.schema().await, first);
    assert_eq!(db.history_versions().await, [1, 2, 3, 4]);
    assert!(!lock_held(&db).await, "the lock is released");
}

#[tokio::test]
async fn a_failing_dml_migration_leaves_nothing_behind() {
    let db = MysqlDb::new("dml").await;
    let mut conn = db.conn().await;
    let error = FAILING.run(&mut conn).await.expect_err("a duplicate key");
    let Error::Migration {
        version,
        location,
        error,
        committed,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!((*version, committed.as_slice()), (2, &[1][..]));
    assert_eq!(
        (location.path.as_str(), location.line),
        ("tests/fixtures/mysql/failing/002_seed.sql", Some(4))
    );
    assert_eq!(
        (error.code.as_str(), error.sqlstate()),
        ("1062", Some("23000"))
    );
    // The first INSERT rolled back with the second.
    assert!(db.rows("SELECT id FROM accounts").await.is_empty());
    assert_eq!(db.history_versions().await, [1]);
    assert!(!lock_held(&db).await, "the lock is released");
}

#[tokio::test]
async fn a_failing_ddl_migration_reports_what_ran() {
    let db = MysqlDb::new("ddl").await;
    let mut conn = db.conn().await;
    let error = PARTIAL.run(&mut conn).await.expect_err("no such table");
    let Error::PartiallyApplied {
        version,
        failed_statement,
        total,
        completed_lines,
        location,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(
        (
            *version,
            *failed_statement,
            *total,
            completed_lines.as_slice()
        ),
        (2, 3, 3, &[3, 4][..])
    );
    assert_eq!(location.line, Some(6));
    // What ran stays: MySQL committed each statement.
    assert_eq!(
        db.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'ledger' \
             AND table_schema = DATABASE() ORDER BY ordinal_position"
        )
        .await,
        ["id", "amount", "note"]
    );
    assert_eq!(db.history_versions().await, [1]);
    let failures = PARTIAL.partial_failures(&mut conn).await.expect("read");
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!((failures[0].version, failures[0].failed_statement), (2, 3));
}

#[tokio::test]
async fn a_server_syntax_error_points_at_its_file_line_and_column() {
    let db = MysqlDb::new("pos").await;
    let mut conn = db.conn().await;
    let error = POSITIONS.run(&mut conn).await.expect_err("a syntax error");
    let Error::Migration {
        version,
        location,
        error,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(*version, 2);
    assert_eq!(error.code, "1064");
    // `   SET label = 'x' WHERE WHERE id = 5;`: the second WHERE.
    assert_eq!(
        (location.line, location.column),
        (Some(4), Some(26)),
        "{error}"
    );
    assert!(db.rows("SELECT id FROM accounts").await.is_empty());
}

#[tokio::test]
async fn eight_runners_at_once_apply_each_migration_once() {
    let db = MysqlDb::new("eight").await;
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let mut conn = db.conn().await;
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            APP.run(&mut conn).await.map(|r| r.applied.len())
        }));
    }
    let mut applied = 0;
    for task in tasks {
        applied += task.await.expect("task").expect("run");
    }
    assert_eq!(applied, 4);
    assert_eq!(db.history_versions().await, [1, 2, 3, 4]);
    assert_eq!(db.rows("SELECT count(*) FROM posts").await, ["1"]);
    assert!(!lock_held(&db).await);
}

#[tokio::test]
async fn the_table_lease_applies_and_rolls_back() {
    let db = MysqlDb::new("lease").await;
    let mut conn = db.conn().await;
    let runner = APP.runner().lock(LockStrategy::Table);
    assert_eq!(runner.run(&mut conn).await.expect("apply").applied.len(), 4);
    assert!(
        db.rows("SELECT owner FROM strata_migrations_lease")
            .await
            .is_empty(),
        "the lease is released"
    );
    runner
        .rollback(&mut conn, Target::Steps(2))
        .await
        .expect("rollback");
    assert_eq!(db.history_versions().await, [1, 2]);
    // A lease another runner holds and has not let expire blocks, naming it.
    let mut other = db.conn().await;
    mysql_async::prelude::Queryable::query_drop(
        &mut other,
        "INSERT INTO strata_migrations_lease VALUES \
         (1, 'elsewhere:1:abc', UTC_TIMESTAMP(3), DATE_ADD(UTC_TIMESTAMP(3), INTERVAL 1 HOUR))",
    )
    .await
    .expect("a foreign lease");
    let error = APP
        .runner()
        .lock(LockStrategy::Table)
        .lock_timeout(std::time::Duration::from_millis(300))
        .run(&mut conn)
        .await
        .expect_err("the lease is held");
    let Error::LockTimeout { holder, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(
        holder
            .as_deref()
            .is_some_and(|h| h.starts_with("elsewhere:1:abc (lease taken ")),
        "{holder:?}"
    );
}

/// Every file of both sets was applied to MariaDB with its own client first; they compile
/// with no diagnostic (the build is the check) and strata applies them as the client did.
#[tokio::test]
async fn realistic_mysql_migrations_apply() {
    for (set, label) in [(&VALID, "valid"), (&CORPUS, "corpus")] {
        let db = MysqlDb::new(label).await;
        let mut conn = db.conn().await;
        let report = set
            .run(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(report.applied.len(), set.len(), "{label}");
        assert_eq!(db.history_versions().await.len(), set.len(), "{label}");
    }
    // The corpus's triggers, routines and events arrived whole: as many as it creates.
    let db = MysqlDb::new("corpus_objects").await;
    let mut conn = db.conn().await;
    CORPUS.run(&mut conn).await.expect("apply");
    let schema = db.schema().await;
    let triggers = schema.iter().filter(|l| l.starts_with("trigger ")).count();
    let routines = schema.iter().filter(|l| l.starts_with("routine ")).count();
    // (the mariadb client, applying the same files, made 6 of each)
    assert_eq!((triggers, routines), (6, 6));
}

static FORGETS_COLUMN: strata::Migrations =
    strata::embed_migrations!("tests/fixtures/mysql/forgets-column");

#[tokio::test]
async fn verify_round_trips_every_migration_and_names_what_a_down_forgets() {
    let db = MysqlDb::new("verify").await;
    let mut conn = db.conn().await;
    let report = APP
        .verifier()
        .idempotent(false)
        .verify(&mut conn)
        .await
        .expect("verify");
    assert!(report.passed(), "{report:?}");

    let db = MysqlDb::new("verify_bad").await;
    let mut conn = db.conn().await;
    let report = FORGETS_COLUMN.verify(&mut conn).await.expect("verify");
    assert!(!report.passed());
    let findings: Vec<String> = report
        .findings()
        .map(|(step, finding)| format!("{} {finding}", step.version))
        .collect();
    assert!(
        findings[0].contains("column users.last_seen (datetime default NULL #3) is still there"),
        "{findings:#?}"
    );
    // A database with migrations applied is not a scratch database.
    let error = APP.verify(&mut conn).await.expect_err("not scratch");
    assert!(matches!(error, Error::NotScratch { .. }), "{error:?}");
}

#[tokio::test]
async fn a_database_refinery_migrated_is_adopted_without_running_anything_again() {
    use mysql_async::prelude::Queryable;
    let db = MysqlDb::new("adopt").await;
    let mut conn = db.conn().await;
    // Migrations 1 and 2 applied by another tool: their schema and data are there.
    APP.runner()
        .target(2)
        .history_table(None, "elsewhere")
        .run(&mut conn)
        .await
        .expect("apply 1-2");
    conn.query_drop(
        "DROP TABLE elsewhere; \
         CREATE TABLE refinery_schema_history (version INT PRIMARY KEY, name VARCHAR(255), \
         applied_on VARCHAR(255), checksum VARCHAR(255)); \
         INSERT INTO refinery_schema_history VALUES \
         (1, 'users', '2024-01-01T00:00:00Z', '1'), (2, 'seed_admin', '2024-01-02T00:00:00Z', '2')",
    )
    .await
    .expect("refinery's table");
    let plan = APP
        .adopt_plan(&mut conn, strata::Tool::Refinery, None)
        .await
        .expect("plan");
    assert_eq!(plan.table, "`refinery_schema_history`");
    APP.adopt(&mut conn, &plan).await.expect("adopt");
    assert_eq!(db.history_versions().await, [1, 2]);
    let report = APP.run(&mut conn).await.expect("the rest");
    let applied: Vec<i64> = report.applied.iter().map(|s| s.version).collect();
    assert_eq!(applied, [3, 4]);
    assert_eq!(db.rows("SELECT count(*) FROM users").await, ["1"]);
}

static DELIMITER: strata::Migrations = strata::embed_migrations!("tests/fixtures/mysql/delimiter");

#[tokio::test]
async fn flyway_style_delimiters_around_bodies_apply_and_roll_back() {
    use mysql_async::prelude::Queryable;
    let db = MysqlDb::new("delimiter").await;
    let mut conn = db.conn().await;
    DELIMITER.run(&mut conn).await.expect("apply");
    conn.query_drop("CALL credit(1, -20)").await.expect("call");
    assert_eq!(
        db.rows("SELECT account_id, note FROM audit").await,
        ["1 overdrawn; check it"]
    );
    DELIMITER
        .rollback(&mut conn, Target::Version(1))
        .await
        .expect("rollback");
    assert!(
        !db.schema()
            .await
            .iter()
            .any(|l| l.starts_with("trigger") || l.starts_with("routine")),
        "{:#?}",
        db.schema().await
    );
    DELIMITER.run(&mut conn).await.expect("apply again");
}
