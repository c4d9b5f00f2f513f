//! `strata verify` end to end on a real PostgreSQL server (scratch databases created and
//! dropped by the CLI) and on SQLite in memory: the fixtures in tests/fixtures/verify, a run
//! killed with SIGKILL and one interrupted with SIGINT.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::strata;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `strata verify --format json` on a fixture: (exit code, report, stderr).
fn verify(fixture: &str, extra: &[&str]) -> (i32, Value, String) {
    let dir = format!("tests/fixtures/verify/{fixture}");
    let mut args = vec!["verify", "--dir", &dir, "--format", "json"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = strata(&repo(), &common::server_url(), &args);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("JSON ({e}): {stdout}\nstderr: {stderr}"));
    (code, report, stderr)
}

/// The scratch database a run named on stderr.
fn scratch_name(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|line| line.strip_prefix("verifying on scratch database "))
        .unwrap_or_else(|| panic!("no scratch database named: {stderr}"))
        .trim()
        .to_string()
}

async fn database_exists(name: &str) -> bool {
    let admin = common::connect(&common::server_url()).await;
    let rows = common::rows(
        &admin,
        &format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
    )
    .await;
    !rows.is_empty()
}

fn states(report: &Value) -> Vec<(i64, String)> {
    report["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| {
            (
                m["version"].as_i64().expect("version"),
                m["round_trip"].as_str().expect("state").to_string(),
            )
        })
        .collect()
}

/// Every finding as `kind file:line message`.
fn findings(report: &Value) -> Vec<String> {
    report["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .flat_map(|m| m["findings"].as_array().expect("findings").iter())
        .map(|f| {
            format!(
                "{} {}:{} {}",
                f["kind"].as_str().unwrap_or_default(),
                f["file"].as_str().unwrap_or_default(),
                f["line"],
                f["message"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test]
async fn reversible_migrations_pass_and_the_scratch_database_is_dropped() {
    let (code, report, stderr) = verify("reversible", &[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(
        states(&report),
        [
            (1, "verified".to_string()),
            (2, "verified".to_string()),
            (3, "verified".to_string()),
            (4, "verified".to_string()),
            (5, "no down".to_string()),
            (6, "verified".to_string()),
        ]
    );
    assert!(!database_exists(&scratch_name(&stderr)).await);
}

#[tokio::test]
async fn a_down_that_forgets_a_column_is_reported_with_the_column() {
    let (code, report, stderr) = verify("forgets-column", &[]);
    assert_eq!(code, 1, "{report:#}");
    let found = findings(&report);
    assert!(
        found[0].starts_with(
            "down-incomplete tests/fixtures/verify/forgets-column/002_presence.sql:6 \
             the DOWN does not restore the schema before the UP: column users.last_seen \
             (timestamp with time zone) is still there"
        ),
        "{found:#?}"
    );
    // The column left behind also makes the UP fail when applied again; verification stops.
    assert!(found[1].starts_with("reapply-failed"), "{found:#?}");
    assert_eq!(states(&report)[2], (3, "not reached".to_string()));
    assert!(!database_exists(&scratch_name(&stderr)).await);
}

#[tokio::test]
async fn a_down_that_forgets_an_index_is_reported_with_the_index() {
    let (code, report, stderr) = verify("forgets-index", &[]);
    assert_eq!(code, 1, "{report:#}");
    let found = findings(&report);
    assert!(
        found[0].starts_with(
            "down-incomplete tests/fixtures/verify/forgets-index/002_email_lookup.sql:6 \
             the DOWN does not restore the schema before the UP: index users_email_idx"
        ),
        "{found:#?}"
    );
    let differences = &report["migrations"][1]["findings"][0]["differences"];
    assert_eq!(differences[0]["kind"], "index");
    assert_eq!(differences[0]["expected"], Value::Null);
    assert!(!database_exists(&scratch_name(&stderr)).await);
}

#[tokio::test]
async fn a_failing_down_is_reported_at_its_file_and_line() {
    let (code, report, stderr) = verify("down-fails", &[]);
    assert_eq!(code, 1, "{report:#}");
    let found = findings(&report);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].starts_with("down-failed tests/fixtures/verify/down-fails/002_profiles.sql:8 ")
            && found[0].contains("user_profiles"),
        "{found:#?}"
    );
    assert!(!database_exists(&scratch_name(&stderr)).await);
}

#[tokio::test]
async fn idempotent_migrations_run_twice_and_a_bare_create_table_does_not() {
    let (code, report, _) = verify("idempotent", &["--idempotent"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["idempotent"], true);

    let (code, report, stderr) = verify("not-idempotent", &["--idempotent"]);
    assert_eq!(code, 1, "{report:#}");
    let found = findings(&report);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0]
            .starts_with("not-idempotent tests/fixtures/verify/not-idempotent/002_sessions.sql:2 ")
            && found[0].contains("\"sessions\" already exists"),
        "{found:#?}"
    );
    // Without --idempotent the same set passes: the flag is what checks this.
    let (code, report, _) = verify("not-idempotent", &[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(!database_exists(&scratch_name(&stderr)).await);
}

#[test]
fn github_annotations_point_at_the_file_and_line() {
    let (code, stdout, _) = strata(
        &repo(),
        &common::server_url(),
        &[
            "verify",
            "--dir",
            "tests/fixtures/verify/forgets-column",
            "--format",
            "github",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with(
            "::error file=tests/fixtures/verify/forgets-column/002_presence.sql,line=6,col=1,\
             title=strata verify down-incomplete::migration 2: the DOWN does not restore"
        ),
        "{stdout}"
    );
}

#[test]
fn sqlite_verifies_in_memory_and_never_touches_the_file() {
    let project = support::project(&[
        ("migrations/strata.toml", "dialect = \"sqlite\"\n"),
        (
            "migrations/001_users.sql",
            "-- UP\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n-- DOWN\nDROP TABLE users;\n",
        ),
        (
            "migrations/002_presence.sql",
            "-- UP\nALTER TABLE users ADD COLUMN last_seen TEXT;\nCREATE INDEX users_email ON users (email);\n-- DOWN\nDROP INDEX users_email;\n",
        ),
    ]);
    let file = project.path().join("app.db");
    let url = format!("sqlite:{}", file.display());
    let (code, stdout, stderr) = strata(project.path(), &url, &["verify"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "migrations/002_presence.sql:5:1: migration 2: the DOWN does not restore the schema \
             before the UP: column users.last_seen (text) is still there"
        ),
        "{stdout}"
    );
    assert!(!file.exists(), "verify opened the URL's file");

    // The example application's migrations (SQLite) pass, and run twice cleanly or not.
    let (code, stdout, _) = strata(&repo(), "", &["verify", "--dir", "migrations"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("passed: 3 verified"), "{stdout}");
}

#[test]
fn no_server_is_exit_code_2_not_a_finding() {
    let (code, _, stderr) = strata(
        &repo(),
        "postgres://postgres@127.0.0.1:1/postgres",
        &["verify", "--dir", "tests/fixtures/verify/reversible"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot connect"), "{stderr}");
}

/// A project whose second migration sleeps, so a run can be stopped in the middle.
fn slow_project() -> tempfile::TempDir {
    support::project(&[
        (
            "migrations/001_users.sql",
            "-- UP\nCREATE TABLE users (id bigint PRIMARY KEY);\n-- DOWN\nDROP TABLE users;\n",
        ),
        (
            "migrations/002_slow.sql",
            "-- UP\nSELECT pg_sleep(60);\nALTER TABLE users ADD COLUMN name text;\n-- DOWN\nALTER TABLE users DROP COLUMN name;\n",
        ),
    ])
}

/// Starts `strata verify` in `dir` and waits until its scratch database exists.
async fn start_verify(dir: &Path) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(dir)
        .env("DATABASE_URL", common::server_url())
        .args(["verify"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn strata verify");
    let stderr = child.stderr.take().expect("stderr");
    // Read stderr to its end in the background: a closed pipe would fail the run's last words.
    let (named, name) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(name) = line.strip_prefix("verifying on scratch database ") {
                let _ = named.send(name.to_string());
            }
        }
    });
    let name = tokio::task::spawn_blocking(move || name.recv_timeout(Duration::from_secs(30)))
        .await
        .expect("reader")
        .expect("the run names its scratch database");
    // Until the sleeping migration is running.
    let admin = common::connect(&common::server_url()).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sleeping = common::rows(
            &admin,
            &format!(
                "SELECT 1 FROM pg_stat_activity WHERE datname = '{name}' AND query LIKE '%pg_sleep%'"
            ),
        )
        .await;
        if !sleeping.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the slow migration never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, name)
}

#[tokio::test]
async fn a_run_killed_with_sigkill_leaves_a_database_the_next_run_drops() {
    let project = slow_project();
    let (mut child, name) = start_verify(project.path()).await;
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    assert!(
        database_exists(&name).await,
        "killed before it could drop {name}"
    );

    // The next run (on another project) recognises the abandoned database and drops it.
    let (code, _, stderr) = verify("idempotent", &[]);
    assert_eq!(code, 0, "{stderr}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while database_exists(&name).await {
        // Another test's run may be the one that drops it; either way it must go.
        assert!(
            Instant::now() < deadline,
            "{name} is still there:\n{stderr}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_interrupted_run_drops_its_scratch_database() {
    let project = slow_project();
    let (child, name) = start_verify(project.path()).await;
    let pid = child.id().to_string();
    let status = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(130));
    assert!(!database_exists(&name).await, "{name} is still there");
}
