//! The CLI on the machine's MariaDB: `up`, `status`, `down` with `mysql://` and
//! `mariadb://` URLs, and `verify` on a scratch database it creates and drops.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::path::{Path, PathBuf};

use common::mysql::{MysqlDb, server_url, with_database};
use mysql_async::prelude::Queryable;
use serde_json::Value;
use support::strata;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

async fn database_exists(name: &str) -> bool {
    let mut admin = common::mysql::connect(&server_url()).await;
    let rows: Vec<String> = admin
        .query(format!(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name = '{name}'"
        ))
        .await
        .expect("schemata");
    !rows.is_empty()
}

#[tokio::test]
async fn up_status_down_with_a_mariadb_url() {
    let db = MysqlDb::new("cli").await;
    let url = db.url.replacen("mysql://", "mariadb://", 1);
    let dir = ["--dir", "tests/fixtures/mysql/app"];
    let run = |args: &[&str]| {
        let mut all = dir.to_vec();
        all.extend_from_slice(args);
        strata(&repo(), &url, &all)
    };
    let (code, stdout, stderr) = run(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("applied 4 migration(s)"), "{stdout}");

    let (code, stdout, stderr) = run(&["status", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let status: Value = serde_json::from_str(&stdout).expect("json");
    let states: Vec<&str> = status
        .as_array()
        .expect("rows")
        .iter()
        .map(|m| m["state"].as_str().expect("state"))
        .collect();
    assert_eq!(states, ["applied"; 4], "{stdout}");

    let (code, _, stderr) = run(&["down", "--to", "1"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(db.history_versions().await, [1]);
    let (code, _, stderr) = run(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(db.history_versions().await, [1, 2, 3, 4]);
}

#[tokio::test]
async fn verify_passes_reversible_migrations_and_drops_its_database() {
    let (code, stdout, stderr) = strata(
        &repo(),
        &with_database(&server_url(), "mysql"),
        &[
            "verify",
            "--dir",
            "tests/fixtures/mysql/app",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("json");
    let states: Vec<&str> = report["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| m["round_trip"].as_str().expect("state"))
        .collect();
    assert_eq!(states, ["verified"; 4], "{stdout}");
    let name = stderr
        .lines()
        .find_map(|l| l.strip_prefix("verifying on scratch database "))
        .expect("named")
        .trim()
        .to_string();
    assert!(!database_exists(&name).await, "{name} was dropped");
}

#[tokio::test]
async fn verify_names_the_column_a_down_leaves_behind() {
    let (code, stdout, stderr) = strata(
        &repo(),
        &server_url(),
        &["verify", "--dir", "tests/fixtures/mysql/forgets-column"],
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "tests/fixtures/mysql/forgets-column/002_last_seen.sql:6:1: migration 2: the DOWN \
             does not restore the schema before the UP: column users.last_seen (datetime default \
             NULL #3) is still there"
        ),
        "{stdout}"
    );
}

#[tokio::test]
async fn verify_drops_a_scratch_database_whose_owner_is_gone() {
    // What a run killed with SIGKILL leaves: a scratch-named database nobody holds.
    let abandoned = "strata_verify_1700000000_1_abcd";
    let mut admin = common::mysql::connect(&server_url()).await;
    admin
        .query_drop(format!("CREATE DATABASE IF NOT EXISTS `{abandoned}`"))
        .await
        .expect("create");
    // One that is in use: its owner session holds the named lock.
    let in_use = "strata_verify_1700000000_2_abcd";
    admin
        .query_drop(format!(
            "CREATE DATABASE IF NOT EXISTS `{in_use}`; \
             SELECT GET_LOCK('strata:scratch:{in_use}', 0)"
        ))
        .await
        .expect("create and hold");
    let (code, _, stderr) = strata(
        &repo(),
        &server_url(),
        &["verify", "--dir", "tests/fixtures/mysql/app"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(!database_exists(abandoned).await, "{stderr}");
    assert!(database_exists(in_use).await, "{stderr}");
    admin
        .query_drop(format!("DROP DATABASE `{in_use}`"))
        .await
        .expect("drop");
}

#[tokio::test]
async fn require_ssl_is_honoured() {
    let db = MysqlDb::new("tls").await;
    let mut admin = common::mysql::connect(&server_url()).await;
    let have_ssl: Option<(String, String)> = admin
        .query_first("SHOW VARIABLES LIKE 'have_ssl'")
        .await
        .expect("have_ssl");
    let server_has_tls = have_ssl.is_some_and(|(_, value)| value == "YES");
    let url = format!(
        "{}?require_ssl=true",
        db.url.replacen("root@", "root:hunter2@", 1)
    );
    let (code, _, stderr) = strata(
        &repo(),
        &url,
        &["status", "--dir", "tests/fixtures/mysql/app"],
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    if server_has_tls {
        // A password the server does not expect: refused after the TLS handshake, not before.
        assert!(
            !stderr.contains("does not have this capability"),
            "{stderr}"
        );
    } else {
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains("Client asked for SSL but server does not have this capability"),
            "{stderr}"
        );
    }
}
