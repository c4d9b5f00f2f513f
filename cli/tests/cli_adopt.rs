//! `strata adopt --from <tool>` end to end, for the tools whose histories are written here
//! from their documented layouts (Flyway, goose, golang-migrate, dbmate, Cloudflare D1; the
//! layouts and where they were read are in runtime/src/adopt/tool.rs). refinery, sqlx,
//! diesel and dbmate's real binaries write theirs in cli_adopt_real.rs.
//!
//! Each case: the schema and the history as the tool leaves them -> `adopt` prints the plan
//! and writes nothing -> `adopt --yes` records -> `status` shows every migration applied,
//! adopted -> the tool's table is unchanged -> a new migration -> `up` applies exactly it.
//! Dirty or failed foreign states are refused with the tool's own remedy.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use support::adopt::{Case, adopt_flow};
use support::strata;

/// Every row of `table` on PostgreSQL, as text.
async fn pg_dump(url: &str, table: &str) -> Vec<String> {
    let client = common::connect(url).await;
    common::rows(
        &client,
        &format!("SELECT t::text FROM {table} t ORDER BY 1"),
    )
    .await
}

/// Runs `case` on a fresh PostgreSQL database.
async fn on_postgres(case: Case) {
    let db = common::TestDb::new(&format!("adopt_{}", case.tool.replace('-', "_"))).await;
    db.client()
        .await
        .batch_execute(&case.history)
        .await
        .expect("the tool's history");
    let url = db.url.clone();
    let table = case.table;
    tokio::task::spawn_blocking(move || {
        let dump = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(pg_dump(&url, table))
        };
        adopt_flow(&case, &url, &dump);
    })
    .await
    .expect("flow");
}

/// Runs `case` on a fresh SQLite file.
fn on_sqlite(case: Case) {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("app.db");
    let conn = rusqlite::Connection::open(&file).expect("sqlite");
    conn.execute_batch(&case.history)
        .expect("the tool's history");
    drop(conn);
    let url = format!("sqlite:{}", file.display());
    let dump = || support::adopt::sqlite_rows(&file, case.table);
    adopt_flow(&case, &url, &dump);
}

const USERS: &str = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);";
const POSTS: &str =
    "CREATE TABLE posts (id bigint PRIMARY KEY, author bigint REFERENCES users (id));";

fn flyway(postgres: bool) -> Case {
    let (boolean, now) = if postgres {
        ("boolean", "now()")
    } else {
        ("BOOLEAN", "CURRENT_TIMESTAMP")
    };
    Case {
        tool: "flyway",
        files: vec![
            ("migrations/V1__users.sql", "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n"),
            ("migrations/V2__posts.sql", "CREATE TABLE posts (id bigint PRIMARY KEY, author bigint REFERENCES users (id));\n"),
            ("migrations/strata.toml", if postgres { "down = \"optional\"\n" } else { "dialect = \"sqlite\"\ndown = \"optional\"\n" }),
        ],
        history: format!(
            "{USERS} {POSTS}
             CREATE TABLE flyway_schema_history (installed_rank integer NOT NULL PRIMARY KEY,
               version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL,
               script varchar(1000) NOT NULL, checksum integer, installed_by varchar(100) NOT NULL,
               installed_on timestamp NOT NULL DEFAULT {now}, execution_time integer NOT NULL,
               success {boolean} NOT NULL);
             INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES
               (1, '1', 'users', 'SQL', 'V1__users.sql', 1234, 'app', 5, TRUE),
               (2, '2', 'posts', 'SQL', 'V2__posts.sql', 5678, 'app', 4, TRUE),
               (3, NULL, 'refresh views', 'SQL', 'R__refresh_views.sql', 42, 'app', 1, TRUE);"
        ),
        table: "flyway_schema_history",
        new: ("migrations/V3__comments.sql", "CREATE TABLE comments (id bigint PRIMARY KEY);\n"),
        new_version: 3,
    }
}

fn goose(postgres: bool) -> Case {
    let create = if postgres {
        "CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, \
         is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id));"
    } else {
        "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, \
         is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));"
    };
    let (t, f) = if postgres {
        ("true", "false")
    } else {
        ("1", "0")
    };
    Case {
        tool: "goose",
        files: vec![
            ("migrations/00001_users.sql", "-- +goose Up\nCREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n-- +goose Down\nDROP TABLE users;\n"),
            ("migrations/00002_posts.sql", "-- +goose Up\nCREATE TABLE posts (id bigint PRIMARY KEY, author bigint REFERENCES users (id));\n-- +goose Down\nDROP TABLE posts;\n"),
            ("migrations/strata.toml", if postgres { "" } else { "dialect = \"sqlite\"\n" }),
        ],
        // goose's own row 0, both applied, and 2 rolled back and applied again (older goose
        // wrote a row with is_applied = false for a down).
        history: format!(
            "{USERS} {POSTS} {create}
             INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, {t}), (1, {t}), (2, {t}), (2, {f}), (2, {t});"
        ),
        table: "goose_db_version",
        new: ("migrations/00003_comments.sql", "-- +goose Up\nCREATE TABLE comments (id bigint PRIMARY KEY);\n-- +goose Down\nDROP TABLE comments;\n"),
        new_version: 3,
    }
}

fn golang_migrate(postgres: bool) -> Case {
    let create = if postgres {
        "CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null);"
    } else {
        "CREATE TABLE schema_migrations (version uint64, dirty bool); CREATE UNIQUE INDEX version_unique ON schema_migrations (version);"
    };
    Case {
        tool: "golang-migrate",
        files: vec![
            (
                "migrations/000001_users.up.sql",
                "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n",
            ),
            ("migrations/000001_users.down.sql", "DROP TABLE users;\n"),
            (
                "migrations/000002_posts.up.sql",
                "CREATE TABLE posts (id bigint PRIMARY KEY, author bigint REFERENCES users (id));\n",
            ),
            ("migrations/000002_posts.down.sql", "DROP TABLE posts;\n"),
            // The new migration comes without its .down.sql.
            (
                "migrations/strata.toml",
                if postgres {
                    "down = \"optional\"\n"
                } else {
                    "dialect = \"sqlite\"\ndown = \"optional\"\n"
                },
            ),
        ],
        history: format!(
            "{USERS} {POSTS} {create} INSERT INTO schema_migrations (version, dirty) VALUES (2, {});",
            if postgres { "false" } else { "0" }
        ),
        table: "schema_migrations",
        new: (
            "migrations/000003_comments.up.sql",
            "CREATE TABLE comments (id bigint PRIMARY KEY);\n",
        ),
        new_version: 3,
    }
}

fn dbmate(postgres: bool) -> Case {
    Case {
        tool: "dbmate",
        files: vec![
            (
                "migrations/20250101000000_users.sql",
                "-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n\n-- migrate:down\nDROP TABLE users;\n",
            ),
            (
                "migrations/20250102000000_posts.sql",
                "-- migrate:up\nCREATE TABLE posts (id bigint PRIMARY KEY, author bigint REFERENCES users (id));\n\n-- migrate:down\nDROP TABLE posts;\n",
            ),
            (
                "migrations/strata.toml",
                if postgres {
                    ""
                } else {
                    "dialect = \"sqlite\"\n"
                },
            ),
        ],
        history: format!(
            "{USERS} {POSTS} CREATE TABLE schema_migrations (version varchar(128) primary key);
             INSERT INTO schema_migrations (version) VALUES ('20250101000000'), ('20250102000000');"
        ),
        table: "schema_migrations",
        new: (
            "migrations/20250103000000_comments.sql",
            "-- migrate:up\nCREATE TABLE comments (id bigint PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE comments;\n",
        ),
        new_version: 20250103000000,
    }
}

fn d1() -> Case {
    Case {
        tool: "d1",
        files: vec![
            (
                "migrations/0001_users.sql",
                "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n",
            ),
            (
                "migrations/0002_posts.sql",
                "CREATE TABLE posts (id INTEGER PRIMARY KEY, author INTEGER REFERENCES users (id));\n",
            ),
            (
                "migrations/strata.toml",
                "dialect = \"sqlite\"\ndown = \"optional\"\n",
            ),
        ],
        history: format!(
            "{USERS} {POSTS} CREATE TABLE IF NOT EXISTS d1_migrations(
               id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE,
               applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);
             INSERT INTO d1_migrations (name) VALUES ('0001_users.sql'), ('0002_posts.sql');"
        ),
        table: "d1_migrations",
        new: (
            "migrations/0003_comments.sql",
            "CREATE TABLE comments (id INTEGER PRIMARY KEY);\n",
        ),
        new_version: 3,
    }
}

#[tokio::test]
async fn flyway_on_postgres() {
    on_postgres(flyway(true)).await;
}

#[test]
fn flyway_on_sqlite() {
    on_sqlite(flyway(false));
}

#[tokio::test]
async fn goose_on_postgres() {
    on_postgres(goose(true)).await;
}

#[test]
fn goose_on_sqlite() {
    on_sqlite(goose(false));
}

#[tokio::test]
async fn golang_migrate_on_postgres() {
    on_postgres(golang_migrate(true)).await;
}

#[test]
fn golang_migrate_on_sqlite() {
    on_sqlite(golang_migrate(false));
}

#[tokio::test]
async fn dbmate_layout_on_postgres() {
    on_postgres(dbmate(true)).await;
}

#[test]
fn dbmate_layout_on_sqlite() {
    on_sqlite(dbmate(false));
}

#[test]
fn d1_on_sqlite() {
    on_sqlite(d1());
}

/// Refused, naming the tool's remedy; nothing written to either history.
async fn refused(case: Case, corrupt: &str, expected: &[&str]) {
    let db = common::TestDb::new(&format!("adopt_dirty_{}", case.tool.replace('-', "_"))).await;
    let client = db.client().await;
    client.batch_execute(&case.history).await.expect("history");
    client.batch_execute(corrupt).await.expect("dirty it");
    let before = pg_dump(&db.url, case.table).await;
    let project = support::project(&case.files);
    let url = db.url.clone();
    let tool = case.tool;
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || {
        strata(project.path(), &url, &["adopt", "--from", tool, "--yes"])
    })
    .await
    .expect("adopt");
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    for text in expected {
        assert!(stderr.contains(text), "missing `{text}` in: {stderr}");
    }
    assert_eq!(pg_dump(&db.url, case.table).await, before);
    assert!(
        !db.has_relation("strata_migrations").await,
        "strata wrote its history"
    );
}

#[tokio::test]
async fn a_dirty_golang_migrate_history_is_refused() {
    refused(
        golang_migrate(true),
        "UPDATE schema_migrations SET dirty = true",
        &[
            "golang-migrate marked version 2 dirty",
            "migrate force 2",
            "never changes golang-migrate's table",
        ],
    )
    .await;
}

#[tokio::test]
async fn a_failed_flyway_migration_is_refused() {
    refused(
        flyway(true),
        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, installed_by, execution_time, success) VALUES (4, '3', 'comments', 'SQL', 'V3__comments.sql', 'app', 1, FALSE)",
        &["Flyway recorded migration 3 (comments) as failed", "flyway repair"],
    )
    .await;
}

#[tokio::test]
async fn a_failed_sqlx_migration_is_refused() {
    let case = Case {
        tool: "sqlx",
        files: vec![
            ("migrations/0001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n"),
            ("migrations/strata.toml", "down = \"optional\"\n"),
        ],
        // sqlx's layout; sqlx 0.8 writes success = TRUE only, older versions wrote FALSE for
        // a failed migration, which sqlx still refuses to continue from.
        history: format!(
            "{USERS} CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
               installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL,
               checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL);
             INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
               VALUES (1, 'users', TRUE, sha384(convert_to('CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n', 'UTF8')), 1);"
        ),
        table: "_sqlx_migrations",
        new: ("", ""),
        new_version: 0,
    };
    refused(
        case,
        "UPDATE _sqlx_migrations SET success = FALSE",
        &[
            "sqlx recorded migration 1 (users) as failed",
            "DELETE FROM \"_sqlx_migrations\" WHERE version = 1",
        ],
    )
    .await;
}

#[tokio::test]
async fn the_wrong_schema_migrations_tool_is_named() {
    let db = common::TestDb::new("adopt_wrong_tool").await;
    let case = golang_migrate(true);
    db.client()
        .await
        .batch_execute(&case.history)
        .await
        .expect("history");
    let project = support::project(&case.files);
    let url = db.url.clone();
    let (code, _, stderr) = tokio::task::spawn_blocking(move || {
        strata(project.path(), &url, &["adopt", "--from", "dbmate"])
    })
    .await
    .expect("adopt");
    assert_eq!(code, 1);
    assert!(stderr.contains("use `--from golang-migrate`"), "{stderr}");
}

#[tokio::test]
async fn names_that_differ_are_refused_and_gaps_are_planned() {
    // refinery stores names: a version whose file is named otherwise is not the same
    // migration.
    let db = common::TestDb::new("adopt_names").await;
    db.client()
        .await
        .batch_execute(
            "CREATE TABLE refinery_schema_history (version int4 PRIMARY KEY, name varchar(255), applied_on varchar(255), checksum varchar(255));
             INSERT INTO refinery_schema_history VALUES (1, 'users', '2025-01-01', '1'), (2, 'orders', '2025-01-01', '2');",
        )
        .await
        .expect("history");
    let project = support::project(&[
        ("migrations/V1__users.sql", "SELECT 1;\n"),
        ("migrations/V2__posts.sql", "SELECT 2;\n"),
        ("migrations/strata.toml", "down = \"optional\"\n"),
    ]);
    let url = db.url.clone();
    let dir = project.path().to_path_buf();
    let (code, _, stderr) =
        tokio::task::spawn_blocking(move || strata(&dir, &url, &["adopt", "--from", "refinery"]))
            .await
            .expect("adopt");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("version 2 is `orders` in refinery's history but `posts` here"),
        "{stderr}"
    );
}

#[test]
fn a_history_kept_under_another_name_is_read_with_table() {
    // goose configured with `-table ops_migrations`.
    let mut case = goose(false);
    case.history = case.history.replace("goose_db_version", "ops_migrations");
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("app.db");
    rusqlite::Connection::open(&file)
        .expect("sqlite")
        .execute_batch(&case.history)
        .expect("history");
    let project = support::project(&case.files);
    let url = format!("sqlite:{}", file.display());
    let (code, _, stderr) = strata(project.path(), &url, &["adopt", "--from", "goose"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no goose history here: table \"goose_db_version\" does not exist")
            && stderr.contains("--table"),
        "{stderr}"
    );
    let (code, stdout, stderr) = strata(
        project.path(),
        &url,
        &[
            "adopt",
            "--from",
            "goose",
            "--table",
            "ops_migrations",
            "--yes",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("recorded 2 migration(s) as applied"),
        "{stdout}"
    );
}
