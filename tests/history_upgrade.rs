//! A history table written by strata 0.1 (layout 1, before the layout had a version) is
//! upgraded in place on first use, keeping every row, and then runs, rolls back and reports
//! correctly, on PostgreSQL and SQLite. The fixtures are SQL dumps of what that version
//! created and stored (tests/fixtures/history-layout-1).

mod common;

use std::time::{Duration, SystemTime};

use common::TestDb;
use strata::{Error, Migrations, State, Target};

static SEQUENTIAL: Migrations = strata::embed_migrations!("tests/fixtures/pg/sequential");
static APP: Migrations = strata::embed_migrations!("migrations");

const PG_DUMP: &str = include_str!("fixtures/history-layout-1/postgres.sql");
const SQLITE_DUMP: &str = include_str!("fixtures/history-layout-1/sqlite.sql");

/// 2026-11-20T10:00:00.250Z, when the dump says migration 1 was applied.
fn first_applied_at() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_168_800_250)
}

/// A layout-1 history read as it is, before any upgrade: 1 and 2 applied (the first with the
/// dump's time), 3 pending.
fn read_as_is(status: &[strata::StatusRow]) {
    assert_eq!(
        states(status),
        [
            (1, State::Applied),
            (2, State::Applied),
            (3, State::Pending)
        ]
    );
    assert_eq!(status[0].applied_at, Some(first_applied_at()));
}

fn states(rows: &[strata::StatusRow]) -> Vec<(i64, State)> {
    rows.iter().map(|r| (r.version, r.state)).collect()
}

/// After the upgrade, on either backend: every row reads as applied (the old ones with their
/// times), nothing is pending, two rollbacks go through the rows the old version wrote (its
/// stored DOWN text included) and the same two apply again.
async fn runs_rolls_back_and_reports<D: strata::driver::Driver>(
    migrations: &Migrations,
    conn: &mut D,
) {
    let status = migrations.status(conn).await.expect("status");
    assert!(
        status.iter().all(|r| r.state == State::Applied),
        "{status:?}"
    );
    assert_eq!(
        status[0].applied_at,
        Some(first_applied_at()),
        "old rows kept"
    );
    assert!(migrations.run(conn).await.expect("no-op").is_empty());

    let report = migrations
        .rollback(conn, Target::Steps(2))
        .await
        .expect("rollback");
    let reverted: Vec<i64> = report.reverted.iter().map(|s| s.version).collect();
    assert_eq!(reverted, [3, 2]);
    let status = migrations.status(conn).await.expect("status");
    assert_eq!(
        states(&status),
        [
            (1, State::Applied),
            (2, State::Pending),
            (3, State::Pending)
        ]
    );
    let report = migrations.run(conn).await.expect("again");
    let applied: Vec<i64> = report.applied.iter().map(|s| s.version).collect();
    assert_eq!(
        applied,
        [2, 3],
        "the DOWNs ran: the tables could be made again"
    );
}

#[tokio::test]
async fn postgres_layout_1_is_upgraded_in_place_and_then_runs_rolls_back_and_reports() {
    let db = TestDb::new("upgrade").await;
    let mut client = db.client().await;
    client.batch_execute(PG_DUMP).await.expect("layout-1 dump");
    let layout_column = "SELECT count(*)::text FROM pg_attribute WHERE attrelid = 'strata_migrations'::regclass AND attname = 'layout'";

    // A look reads the old layout as it is and changes nothing.
    let status = SEQUENTIAL.status(&mut client).await.expect("status");
    read_as_is(&status);
    assert_eq!(status[0].execution, Some(Duration::from_millis(3)));
    assert_eq!(common::rows(&client, layout_column).await, ["0"]);

    // A run upgrades, then applies exactly the pending migration.
    let report = SEQUENTIAL.run(&mut client).await.expect("run");
    assert_eq!(
        report.applied.iter().map(|s| s.version).collect::<Vec<_>>(),
        [3]
    );
    assert_eq!(common::rows(&client, layout_column).await, ["1"]);
    assert_eq!(
        common::rows(
            &client,
            "SELECT version || ':' || layout FROM strata_migrations ORDER BY 1"
        )
        .await,
        ["1:2", "2:2", "3:2"]
    );
    runs_rolls_back_and_reports(&SEQUENTIAL, &mut client).await;

    // A table a newer strata upgraded is refused, not misread.
    client
        .batch_execute("UPDATE strata_migrations SET layout = 3")
        .await
        .expect("pretend a newer layout");
    let refused = SEQUENTIAL.run(&mut client).await;
    assert!(
        matches!(
            refused,
            Err(Error::HistoryLayout {
                found: 3,
                supported: 2,
                ..
            })
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn sqlite_layout_1_is_upgraded_in_place_and_then_runs_rolls_back_and_reports() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut conn = rusqlite::Connection::open(dir.path().join("app.db")).expect("open");
    conn.execute_batch(SQLITE_DUMP).expect("layout-1 dump");
    let columns = |conn: &rusqlite::Connection| -> Vec<String> {
        let mut statement = conn
            .prepare("SELECT name FROM pragma_table_info('strata_migrations') ORDER BY cid")
            .expect("prepare");
        statement
            .query_map([], |row| row.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    assert_eq!(columns(&conn).len(), 7);

    let status = APP.status(&mut conn).await.expect("status");
    read_as_is(&status);
    assert_eq!(columns(&conn).len(), 7, "status changes nothing");

    let report = APP.run(&mut conn).await.expect("run");
    assert_eq!(
        report.applied.iter().map(|s| s.version).collect::<Vec<_>>(),
        [3]
    );
    assert_eq!(columns(&conn)[7..], ["chain", "history_count", "layout"]);
    let top: (i64, Option<String>, Option<i64>, i64) = conn
        .query_row(
            "SELECT version, chain, history_count, layout FROM strata_migrations ORDER BY version DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("top row");
    assert_eq!(
        top,
        (
            3,
            APP.get(3)
                .and_then(|m| m.prefix_digest())
                .map(str::to_string),
            Some(3),
            2
        ),
        "the new top row vouches for the whole history"
    );
    runs_rolls_back_and_reports(&APP, &mut conn).await;
}
