//! Read-only databases and roles: status works and writes nothing; `up` / `down` fail
//! before changing anything, saying what the server is; a role that may use an existing
//! history table works, one that may not create it gets the DDL to hand to an owner.

mod common;

use std::path::Path;

use common::TestDb;
use strata::{Error, HistoryTable, Migrations, State, Target};
use tokio_postgres::{Client, NoTls};

static SEQUENTIAL: Migrations = strata::embed_migrations!("tests/fixtures/pg/sequential");
static APP: Migrations = strata::embed_migrations!("migrations");

/// A login role for one test, dropped after the database the test made (declare it first).
struct Role {
    name: String,
}

impl Role {
    async fn create(db: &TestDb) -> Role {
        let name = format!("{}_role", db.name);
        let admin = db.client().await;
        admin
            .batch_execute(&format!(
                "CREATE ROLE \"{name}\" LOGIN; GRANT CONNECT ON DATABASE \"{}\" TO \"{name}\";",
                db.name
            ))
            .await
            .expect("create role");
        Role { name }
    }

    async fn connect(&self, db: &TestDb) -> Client {
        let mut config: tokio_postgres::Config = db.url.parse().expect("url");
        config.user(&self.name);
        let (client, connection) = config.connect(NoTls).await.expect("connect as the role");
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        common::cleanup(format!("DROP ROLE IF EXISTS \"{}\"", self.name));
    }
}

#[tokio::test]
async fn default_transaction_read_only_allows_status_and_refuses_up_and_down() {
    let db = TestDb::new("read_only_default").await;
    let admin = db.client().await;
    let mut writer = db.client().await;
    SEQUENTIAL
        .runner()
        .target(2)
        .run(&mut writer)
        .await
        .expect("apply 1 and 2");
    admin
        .batch_execute(&format!(
            "ALTER DATABASE \"{}\" SET default_transaction_read_only = on",
            db.name
        ))
        .await
        .expect("read-only by default");
    let mut client = db.client().await;

    let status = SEQUENTIAL.status(&mut client).await.expect("status");
    assert_eq!(
        status.iter().map(|r| r.state).collect::<Vec<_>>(),
        [State::Applied, State::Applied, State::Pending]
    );
    let refused = SEQUENTIAL.run(&mut client).await;
    match &refused {
        Err(error @ Error::ReadOnly { reason, .. }) => {
            assert_eq!(*reason, strata::driver::ReadOnly::ReadOnlyByDefault);
            let text = error.to_string();
            assert!(
                text.contains("default_transaction_read_only is on"),
                "{text}"
            );
            assert!(text.contains("nothing was changed"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    let refused = SEQUENTIAL.rollback(&mut client, Target::Steps(1)).await;
    assert!(
        matches!(refused, Err(Error::ReadOnly { .. })),
        "{refused:?}"
    );
    assert_eq!(db.history_versions().await, [1, 2], "nothing changed");
    assert!(!db.has_relation("account_posts").await);
}

#[tokio::test]
async fn a_role_without_create_gets_the_ddl_and_one_with_table_rights_works() {
    let db = TestDb::new("read_only_roles").await;
    let role = Role::create(&db).await;
    let mut as_role = role.connect(&db).await;

    // PostgreSQL 15: only the schema's owner may create in `public`.
    let status = SEQUENTIAL.status(&mut as_role).await.expect("status");
    assert!(status.iter().all(|r| r.state == State::Pending));
    match SEQUENTIAL.run(&mut as_role).await {
        Err(error @ Error::CannotCreateHistory { .. }) => {
            let text = error.to_string();
            assert!(text.contains("[42501]"), "{text}");
            assert!(
                text.contains("CREATE TABLE IF NOT EXISTS \"strata_migrations\""),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!db.has_relation("strata_migrations").await);

    // The owner creates the table (and the data table) once; the role may use both.
    let dir = tempfile::tempdir().expect("tmp");
    let files = [
        ("001_t.sql", "CREATE TABLE t (id int);\n"),
        ("002_row.sql", "INSERT INTO t VALUES (1);\n"),
    ];
    for (name, sql) in files {
        std::fs::write(dir.path().join(name), sql).expect("write");
    }
    std::fs::write(dir.path().join("strata.toml"), "down = \"optional\"\n").expect("toml");
    let loaded = strata_core::load(Path::new("/"), dir.path().to_str().expect("UTF-8"));
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let list = Migrations::from_vec(loaded.migrations, HistoryTable::default());
    let mut owner = db.client().await;
    list.runner()
        .target(1)
        .run(&mut owner)
        .await
        .expect("owner applies 1");
    owner
        .batch_execute(&format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON strata_migrations, t TO \"{}\"",
            role.name
        ))
        .await
        .expect("grant");
    let report = list.run(&mut as_role).await.expect("the role applies 2");
    assert_eq!(report.applied.len(), 1);
    assert!(list.run(&mut as_role).await.expect("no-op").is_empty());
    assert_eq!(common::rows(&owner, "SELECT count(*) FROM t").await, ["1"]);
    drop(as_role);
    drop(db);
    drop(role);
}

#[tokio::test]
async fn sqlite_opened_read_only_allows_status_and_refuses_up() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("app.db");
    let mut conn = rusqlite::Connection::open(&path).expect("open");
    APP.runner()
        .target(1)
        .run(&mut conn)
        .await
        .expect("apply 1");
    drop(conn);

    let mut read_only =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open read-only");
    let status = APP.status(&mut read_only).await.expect("status");
    assert_eq!(status[0].state, State::Applied);
    assert!(status[1..].iter().all(|r| r.state == State::Pending));
    match APP.run(&mut read_only).await {
        Err(Error::ReadOnly { reason, .. }) => {
            assert_eq!(reason, strata::driver::ReadOnly::ReadOnlyFile)
        }
        other => panic!("{other:?}"),
    }

    let mut query_only = rusqlite::Connection::open(&path).expect("open");
    query_only
        .execute_batch("PRAGMA query_only = ON")
        .expect("query_only");
    match APP.run(&mut query_only).await {
        Err(Error::ReadOnly { reason, .. }) => {
            assert_eq!(reason, strata::driver::ReadOnly::QueryOnly)
        }
        other => panic!("{other:?}"),
    }
    // A fresh file opened read-only: status reports everything pending, and creates nothing.
    let empty = dir.path().join("empty.db");
    drop(rusqlite::Connection::open(&empty).expect("create the file"));
    let mut empty_ro =
        rusqlite::Connection::open_with_flags(&empty, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open read-only");
    let status = APP.status(&mut empty_ro).await.expect("status");
    assert!(status.iter().all(|r| r.state == State::Pending));
    assert!(matches!(
        APP.run(&mut empty_ro).await,
        Err(Error::ReadOnly { .. })
    ));
}
