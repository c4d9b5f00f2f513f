//! `#[strata::test]`: each test gets a fresh database with the migrations applied
//! (PostgreSQL: cloned from a template built once per set of migrations; SQLite: in memory).
//! The tests that need a failing test, a missing server or several test processes run this
//! binary's own `#[ignore]`d tests as child processes.

mod common;

use std::process::{Command, Output};

use strata::Migrations;
use tokio_postgres::Client;

static SEQUENTIAL: Migrations = strata::embed_migrations!("tests/fixtures/pg/sequential");
static EXAMPLE: Migrations = strata::embed_migrations!("migrations");
/// Only `race_member` uses this set with `#[strata::test]`, so dropping its template
/// disturbs no other test.
static FLYWAY: Migrations = strata::embed_migrations!("tests/fixtures/pg/flyway");

async fn one(client: &Client, sql: &str) -> String {
    common::rows(client, sql).await.join(",")
}

#[strata::test(migrations = SEQUENTIAL)]
async fn each_test_gets_a_migrated_database_of_its_own(client: Client) {
    assert_eq!(
        one(
            &client,
            "SELECT string_agg(version::text, ',' ORDER BY version) FROM strata_migrations"
        )
        .await,
        "1,2,3"
    );
    let name = one(&client, "SELECT current_database()").await;
    assert!(name.starts_with("strata_testdb_"), "{name}");
    client
        .batch_execute("INSERT INTO accounts (email) VALUES ('a@example.com')")
        .await
        .expect("insert");
}

#[strata::test(migrations = SEQUENTIAL)]
async fn another_test_sees_none_of_the_first_tests_rows(
    client: Client,
) -> Result<(), tokio_postgres::Error> {
    assert_eq!(one(&client, "SELECT count(*) FROM accounts").await, "0");
    client
        .batch_execute("INSERT INTO accounts (email) VALUES ('a@example.com')")
        .await?;
    Ok(())
}

#[strata::test(migrations = EXAMPLE)]
fn sqlite_tests_get_an_in_memory_database(conn: rusqlite::Connection) {
    let applied: i64 = conn
        .query_row("SELECT count(*) FROM strata_migrations", [], |r| r.get(0))
        .expect("history");
    assert_eq!(applied, 3);
    conn.execute(
        "INSERT INTO users (id, email) VALUES (1, 'a@example.com')",
        [],
    )
    .expect("insert");
}

#[strata::test(migrations = EXAMPLE)]
async fn async_sqlite_tests_too(conn: rusqlite::Connection) {
    let users: i64 = conn
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .expect("count");
    assert_eq!(users, 0, "another test's row leaked into this database");
}

/// Fails on purpose; run by `a_failed_tests_database_is_kept_only_when_asked`.
#[strata::test(migrations = SEQUENTIAL)]
#[ignore = "fails on purpose; run as a child process"]
async fn fails_on_purpose(client: Client) {
    eprintln!(
        "database={}",
        one(&client, "SELECT current_database()").await
    );
    panic!("on purpose");
}

/// Run by `several_test_processes_share_one_template` in several processes at once.
#[strata::test(migrations = FLYWAY)]
#[ignore = "run as a child process"]
async fn race_member(client: Client) {
    let applied = one(&client, "SELECT count(*) FROM strata_migrations").await;
    assert_eq!(applied, FLYWAY.len().to_string());
}

/// This test binary running only `test` (an ignored one), with `envs`.
fn child(test: &str, envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command.args([
        "--ignored",
        "--exact",
        test,
        "--nocapture",
        "--test-threads=1",
    ]);
    command.env_remove("STRATA_TEST_KEEP");
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().expect("run the test binary")
}

fn database_named(stderr: &str, prefix: &str) -> String {
    let at = stderr
        .find(prefix)
        .unwrap_or_else(|| panic!("no `{prefix}` in: {stderr}"));
    stderr[at + prefix.len()..]
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .expect("a name")
        .to_string()
}

async fn exists(name: &str) -> bool {
    let admin = common::connect(&common::server_url()).await;
    !common::rows(
        &admin,
        &format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
    )
    .await
    .is_empty()
}

#[tokio::test]
async fn a_failed_tests_database_is_kept_only_when_asked() {
    let kept = child("fails_on_purpose", &[("STRATA_TEST_KEEP", "1")]);
    assert!(!kept.status.success());
    let stderr = String::from_utf8_lossy(&kept.stderr);
    let name = database_named(&stderr, "database=");
    assert!(
        stderr.contains(
            "strata::test: kept the database of failed test strata_test::fails_on_purpose: postgres://"
        ) && stderr.contains(&format!("/{name}")),
        "{stderr}"
    );
    assert!(exists(&name).await, "{name} was not kept");
    let admin = common::connect(&common::server_url()).await;
    admin
        .batch_execute(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .await
        .expect("drop the kept database");

    let dropped = child("fails_on_purpose", &[]);
    assert!(!dropped.status.success());
    let stderr = String::from_utf8_lossy(&dropped.stderr);
    let name = database_named(&stderr, "database=");
    assert!(!stderr.contains("kept the database"), "{stderr}");
    assert!(
        !exists(&name).await,
        "{name} was kept without STRATA_TEST_KEEP"
    );
}

#[test]
fn a_missing_server_is_one_clear_error() {
    let output = child(
        "race_member",
        &[("DATABASE_URL", "postgres://postgres@127.0.0.1:1/postgres")],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "strata::test: cannot connect to PostgreSQL at postgres://postgres@127.0.0.1:1/postgres (DATABASE_URL): "
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked at"), "{stderr}");
}

#[tokio::test]
async fn several_test_processes_share_one_template() {
    // The template for FLYWAY is rebuilt by whichever process takes the lock first.
    let template = strata::__private::testing::template_name(&FLYWAY);
    let admin = common::connect(&common::server_url()).await;
    let lock = i64::from_str_radix(&template["strata_tpl_".len()..][..15], 16).expect("key");
    for sql in [
        format!("SELECT pg_advisory_lock({lock})"),
        format!("DROP DATABASE IF EXISTS \"{template}\" WITH (FORCE)"),
        format!("SELECT pg_advisory_unlock({lock})"),
    ] {
        admin.simple_query(&sql).await.expect(&sql);
    }
    let children: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| child("race_member", &[])))
        .collect();
    for handle in children {
        let output = handle.join().expect("child");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(exists(&template).await);
}

static MYSQL_APP: Migrations = strata::embed_migrations!("tests/fixtures/mysql/app");

/// Rows of `sql` on a MySQL connection, one line each.
async fn mysql_rows(conn: &mut mysql_async::Conn, sql: &str) -> Vec<String> {
    use mysql_async::prelude::Queryable;
    conn.query::<String, _>(sql).await.expect("query")
}

#[strata::test(migrations = MYSQL_APP)]
async fn a_mysql_test_gets_a_migrated_database_of_its_own(mut conn: mysql_async::Conn) {
    let name = mysql_rows(&mut conn, "SELECT DATABASE()").await;
    assert!(name[0].starts_with("strata_testdb_"), "{name:?}");
    assert_eq!(
        mysql_rows(
            &mut conn,
            "SELECT CAST(GROUP_CONCAT(version ORDER BY version) AS CHAR) FROM strata_migrations"
        )
        .await,
        ["1,2,3,4"]
    );
    mysql_rows(&mut conn, "DELETE FROM posts").await;
}

#[strata::test(migrations = MYSQL_APP)]
async fn another_mysql_test_sees_none_of_the_first_tests_changes(
    mut conn: mysql_async::Conn,
) -> Result<(), mysql_async::Error> {
    use mysql_async::prelude::Queryable;
    let posts: Vec<String> = conn.query("SELECT title FROM posts").await?;
    assert_eq!(posts, ["hello"]);
    Ok(())
}
