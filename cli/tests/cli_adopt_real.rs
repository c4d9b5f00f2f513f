//! `strata adopt --from refinery | sqlx | diesel | dbmate` on histories the real tools wrote:
//! refinery 0.10, sqlx 0.8 and diesel 2.3 through `foreign/` (their own workspace, built
//! here on first use, so the main build never compiles them), dbmate 2.36 from its npm
//! package. Each on PostgreSQL and SQLite, through the same flow as cli_adopt.rs.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use support::adopt::{Case, adopt_flow};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `foreign/target/debug/strata-foreign`, built once per test run (its lock file pins the
/// tools' versions).
fn foreign_binary() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let manifest = repo().join("foreign/Cargo.toml");
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--locked", "--manifest-path"])
            .arg(&manifest)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_TARGET_DIR")
            .env_remove("RUSTFLAGS")
            .status()
            .expect("cargo build foreign/");
        assert!(
            status.success(),
            "building foreign/ (refinery, sqlx, diesel) failed"
        );
        repo().join("foreign/target/debug/strata-foreign")
    })
}

/// dbmate's binary from its npm package, installed once under foreign/npm.
fn dbmate_binary() -> &'static Path {
    static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let prefix = repo().join("foreign/npm");
        let binary = prefix.join("node_modules/@dbmate/linux-x64/bin/dbmate");
        if !binary.exists() {
            let status = Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(&prefix)
                .arg("dbmate@2.36.0")
                .status()
                .expect("npm");
            assert!(status.success(), "npm install dbmate failed");
        }
        binary
    })
}

/// Applies `files` with the real `tool` to `url` (a throwaway copy of the directory, so the
/// tool sees exactly the files strata will).
fn apply_with(tool: &str, url: &str, files: &[(&str, &str)]) {
    let scratch = support::project(files);
    let dir = scratch.path().join("migrations");
    let output = if tool == "dbmate" {
        Command::new(dbmate_binary())
            .env("DATABASE_URL", url)
            .arg("--migrations-dir")
            .arg(&dir)
            .args(["--no-dump-schema", "up"])
            .output()
    } else {
        Command::new(foreign_binary())
            .arg(tool)
            .arg(url)
            .arg(&dir)
            .output()
    }
    .expect("run the tool");
    assert!(
        output.status.success(),
        "{tool} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The tool's migrations (the files strata reads too), its table, and a new migration.
fn case(tool: &'static str, sqlite: bool) -> Case {
    let toml: &'static str = if sqlite {
        "dialect = \"sqlite\"\ndown = \"optional\"\n"
    } else {
        "down = \"optional\"\n"
    };
    let users = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n";
    let email = "ALTER TABLE users ADD COLUMN email TEXT;\n";
    let (files, table, new, new_version): (Vec<(&'static str, &'static str)>, _, _, _) = match tool
    {
        "refinery" => (
            vec![
                ("migrations/V1__users.sql", users),
                ("migrations/V2__users_email.sql", email),
            ],
            "refinery_schema_history",
            (
                "migrations/V3__posts.sql",
                "CREATE TABLE posts (id INTEGER PRIMARY KEY);\n",
            ),
            3,
        ),
        "sqlx" => (
            vec![
                ("migrations/0001_users.sql", users),
                ("migrations/0002_users_email.sql", email),
            ],
            "_sqlx_migrations",
            (
                "migrations/0003_posts.sql",
                "CREATE TABLE posts (id INTEGER PRIMARY KEY);\n",
            ),
            3,
        ),
        "diesel" => (
            vec![
                ("migrations/2024-10-25-112826_users/up.sql", users),
                (
                    "migrations/2024-10-25-112826_users/down.sql",
                    "DROP TABLE users;\n",
                ),
                ("migrations/2024-10-26-090000_users_email/up.sql", email),
                (
                    "migrations/2024-10-26-090000_users_email/down.sql",
                    "ALTER TABLE users DROP COLUMN email;\n",
                ),
            ],
            "__diesel_schema_migrations",
            (
                "migrations/2024-10-27-080000_posts/up.sql",
                "CREATE TABLE posts (id INTEGER PRIMARY KEY);\n",
            ),
            20241027080000,
        ),
        "dbmate" => (
            vec![
                (
                    "migrations/20250101000000_users.sql",
                    "-- migrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\n-- migrate:down\nDROP TABLE users;\n",
                ),
                (
                    "migrations/20250102000000_users_email.sql",
                    "-- migrate:up\nALTER TABLE users ADD COLUMN email TEXT;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN email;\n",
                ),
            ],
            "schema_migrations",
            (
                "migrations/20250103000000_posts.sql",
                "-- migrate:up\nCREATE TABLE posts (id INTEGER PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE posts;\n",
            ),
            20250103000000,
        ),
        other => panic!("no case for {other}"),
    };
    let mut files = files;
    files.push(("migrations/strata.toml", toml));
    Case {
        tool,
        files,
        history: String::new(),
        table,
        new,
        new_version,
    }
}

async fn on_postgres(tool: &'static str) {
    let db = common::TestDb::new(&format!("adopt_real_{tool}")).await;
    let case = case(tool, false);
    let url = if tool == "dbmate" {
        format!("{}?sslmode=disable", db.url)
    } else {
        db.url.clone()
    };
    let table = case.table;
    let plain = db.url.clone();
    tokio::task::spawn_blocking(move || {
        apply_with(tool, &url, &case.files);
        let dump = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(async {
                    let client = common::connect(&plain).await;
                    common::rows(
                        &client,
                        &format!("SELECT t::text FROM {table} t ORDER BY 1"),
                    )
                    .await
                })
        };
        adopt_flow(&case, &plain, &dump);
    })
    .await
    .expect("flow");
}

fn on_sqlite(tool: &'static str) {
    let case = case(tool, true);
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("app.db");
    let url = format!("sqlite:{}", file.display());
    apply_with(tool, &url, &case.files);
    let dump = || support::adopt::sqlite_rows(&file, case.table);
    adopt_flow(&case, &url, &dump);
}

#[tokio::test]
async fn refinery_on_postgres() {
    on_postgres("refinery").await;
}

#[test]
fn refinery_on_sqlite() {
    on_sqlite("refinery");
}

#[tokio::test]
async fn sqlx_on_postgres() {
    on_postgres("sqlx").await;
}

#[test]
fn sqlx_on_sqlite() {
    on_sqlite("sqlx");
}

#[tokio::test]
async fn diesel_on_postgres() {
    on_postgres("diesel").await;
}

#[test]
fn diesel_on_sqlite() {
    on_sqlite("diesel");
}

#[tokio::test]
async fn dbmate_on_postgres() {
    on_postgres("dbmate").await;
}

#[test]
fn dbmate_on_sqlite() {
    on_sqlite("dbmate");
}

#[test]
fn a_file_edited_after_sqlx_applied_it_is_refused() {
    // sqlx stores SHA-384 of each file: strata compares it with the file it would record.
    let case = case("sqlx", true);
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("app.db");
    let url = format!("sqlite:{}", file.display());
    apply_with("sqlx", &url, &case.files);
    let project = support::project(&case.files);
    std::fs::write(
        project.path().join("migrations/0002_users_email.sql"),
        "ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';\n",
    )
    .expect("edit");
    let (code, _, stderr) = support::strata(project.path(), &url, &["adopt", "--from", "sqlx"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("migrations/0002_users_email.sql changed since sqlx applied version 2"),
        "{stderr}"
    );
}
