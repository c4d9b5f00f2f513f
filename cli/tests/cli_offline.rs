//! The built `strata` binary on commands that need no database: lint, new, build-script.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

fn strata(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("strata").expect("strata binary");
    command.current_dir(dir).env_remove("DATABASE_URL");
    command
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let full = dir.join(path);
        fs::create_dir_all(full.parent().expect("parent")).expect("dirs");
        fs::write(full, text).expect("write");
    }
}

const OK: &str = "-- UP\nCREATE TABLE t (id int);\n-- DOWN\nDROP TABLE t;\n";

#[test]
fn lint_clean_directory_exits_zero() {
    let tmp = tempfile::tempdir().expect("tmp");
    write(tmp.path(), &[("migrations/001_a.sql", OK)]);
    let out = strata(tmp.path()).arg("lint").output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("1 migration(s) checked: 0 error(s), 0 warning(s)")
    );
}

#[test]
fn lint_broken_directory_prints_locations_and_exits_one() {
    let tmp = tempfile::tempdir().expect("tmp");
    write(
        tmp.path(),
        &[
            ("db/001_a.sql", OK),
            (
                "db/002_b.sql",
                "-- UP\nCREATE TABLE b (id int);\nCREAT TABLE c (id int);\n-- DOWN\nDROP TABLE b;\n",
            ),
            ("db/004_d.sql", OK),
        ],
    );
    let out = strata(tmp.path())
        .args(["--dir", "db", "lint"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("--> db/002_b.sql:3:1"), "{stdout}");
    assert!(stdout.contains("error[sql-syntax]"), "{stdout}");
    assert!(stdout.contains("missing version 3"), "{stdout}");
}

#[test]
fn lint_json_shape() {
    let tmp = tempfile::tempdir().expect("tmp");
    write(
        tmp.path(),
        &[
            ("migrations/001_a.sql", "-- strata:bogus\nSELECT 1;\n"),
            ("migrations/003_c.sql", OK),
        ],
    );
    let out = strata(tmp.path())
        .args(["lint", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["migrations"], 2);
    assert_eq!(json["errors"], 2, "{json:#}");
    assert_eq!(json["warnings"], 1, "{json:#}");
    let list = json["diagnostics"].as_array().expect("list");
    let first = list
        .iter()
        .find(|d| d["lint"] == "unknown-directive")
        .expect("the directive warning");
    assert_eq!(first["level"], "warning");
    assert_eq!(first["file"], "migrations/001_a.sql");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(first["help"].is_string());
}

#[test]
fn lint_github_annotations() {
    let tmp = tempfile::tempdir().expect("tmp");
    write(
        tmp.path(),
        &[(
            "migrations/001_a.sql",
            "-- UP\nCREAT TABLE a (id int);\n-- DOWN\nSELECT 1;\n",
        )],
    );
    let out = strata(tmp.path())
        .args(["lint", "--format", "github"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(
            "::error file=migrations/001_a.sql,line=2,col=1,title=strata sql-syntax::"
        ),
        "{stdout}"
    );
}

#[test]
fn usage_errors_exit_two() {
    let tmp = tempfile::tempdir().expect("tmp");
    assert_eq!(
        strata(tmp.path())
            .args(["lint", "--format", "xml"])
            .output()
            .expect("run")
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        strata(tmp.path())
            .arg("frobnicate")
            .output()
            .expect("run")
            .status
            .code(),
        Some(2)
    );
}

/// Files already in the directory, and the files `strata new` must create.
type NewCase<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);

#[test]
fn new_creates_the_next_file_in_each_scheme() {
    let cases: &[NewCase<'_>] = &[
        (
            &[
                ("m/001_a.sql", OK),
                (
                    "m/002_b.sql",
                    "-- UP\nCREATE TABLE u (id int);\n-- DOWN\nDROP TABLE u;\n",
                ),
            ],
            &["m/003_add_users.sql"],
        ),
        (
            &[("m/V1__a.sql", "SELECT 1;"), ("m/U1__a.sql", "SELECT 1;")],
            &["m/V2__add_users.sql", "m/U2__add_users.sql"],
        ),
        (
            &[
                ("m/0007_a.up.sql", "SELECT 1;"),
                ("m/0007_a.down.sql", "SELECT 1;"),
            ],
            &["m/0008_add_users.up.sql", "m/0008_add_users.down.sql"],
        ),
    ];
    for (existing, expected) in cases {
        let tmp = tempfile::tempdir().expect("tmp");
        write(tmp.path(), existing);
        let out = strata(tmp.path())
            .args(["--dir", "m", "new", "add users"])
            .output()
            .expect("run");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for path in *expected {
            assert!(tmp.path().join(path).is_file(), "{path} not created");
        }
        // The new files keep the directory clean for the lints, apart from their empty UP.
        let lint = strata(tmp.path())
            .args(["--dir", "m", "lint", "--format", "json"])
            .output()
            .expect("run");
        let json: serde_json::Value = serde_json::from_slice(&lint.stdout).expect("JSON");
        let lints: Vec<&str> = json["diagnostics"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|d| d["lint"].as_str())
            .collect();
        assert!(
            lints
                .iter()
                .all(|l| *l == "empty-up" || *l == "missing-down"),
            "{lints:?}"
        );
    }
    let tmp = tempfile::tempdir().expect("tmp");
    write(tmp.path(), &[("m/20250210120000_a.sql", OK)]);
    strata(tmp.path())
        .args(["--dir", "m", "new", "x"])
        .assert()
        .success();
    let names: Vec<String> = fs::read_dir(tmp.path().join("m"))
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.len() == "20250210120000_x.sql".len()
            && n.ends_with("_x.sql")
            && n.as_str() > "20250210120000_a.sql"),
        "{names:?}"
    );
}

#[test]
fn build_script_prints_and_writes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = strata(tmp.path())
        .args(["--dir", "db/migrations", "build-script"])
        .output()
        .expect("run");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("strata_build::track(\"db/migrations\");")
    );
    strata(tmp.path())
        .args(["build-script", "--write", "."])
        .assert()
        .success();
    assert!(
        fs::read_to_string(tmp.path().join("build.rs"))
            .expect("build.rs")
            .contains("track(\"migrations\")")
    );
    assert_eq!(
        strata(tmp.path())
            .args(["build-script", "--write", "."])
            .output()
            .expect("run")
            .status
            .code(),
        Some(1),
        "never overwrites"
    );
}

#[test]
fn deny_warnings_fails_on_a_safety_warning() {
    let tmp = tempfile::tempdir().expect("tmp");
    write(
        tmp.path(),
        &[
            ("migrations/001_a.sql", OK),
            (
                "migrations/002_b.sql",
                "-- UP\nALTER TABLE t RENAME COLUMN id TO key;\n-- DOWN\nALTER TABLE t RENAME COLUMN key TO id;\n",
            ),
        ],
    );
    let out = strata(tmp.path()).arg("lint").output().expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a warning alone passes: {stdout}"
    );
    assert!(stdout.contains("renaming-column"), "{stdout}");
    assert!(stdout.contains("0 error(s), 1 warning(s)"), "{stdout}");
    let out = strata(tmp.path())
        .args(["lint", "--deny-warnings"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    // safety-since puts the migrations a project already applied out of scope.
    write(
        tmp.path(),
        &[("migrations/strata.toml", "safety-since = 2\n")],
    );
    let out = strata(tmp.path())
        .args(["lint", "--deny-warnings"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `strata schema` with `args` in `dir`, no database configured: its output (it must
/// succeed).
fn schema(dir: &Path, args: &[&str]) -> String {
    let out = strata(dir)
        .env_remove("DATABASE_URL")
        .arg("schema")
        .args(args)
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The example application's migrations, as `strata schema` sees them.
fn example(dir: &Path) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let target = dir.join("migrations");
    std::fs::create_dir_all(&target).expect("dir");
    for entry in std::fs::read_dir(repo).expect("read") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, target.join(path.file_name().expect("name"))).expect("copy");
    }
}

#[test]
fn schema_prints_what_the_migrations_build_without_a_database() {
    let tmp = tempfile::tempdir().expect("tmp");
    example(tmp.path());
    let sql = schema(tmp.path(), &[]);
    assert!(
        sql.starts_with("-- strata schema: 3 migration(s) applied, through version 3"),
        "{sql}"
    );
    let users = sql.find("CREATE TABLE users").expect("users");
    let index = sql.find("CREATE INDEX posts_user_id_idx").expect("index");
    assert!(users < index, "creation order: {sql}");
    assert!(sql.contains("display_name TEXT"), "{sql}");
    assert!(!sql.contains("strata_migrations"), "{sql}");
    assert!(!tmp.path().join("strata.db").exists());

    let out = schema(tmp.path(), &["--at", "1", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(json["applied_through"], 1);
    let names: Vec<&str> = json["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| o["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["users"]);
}

#[test]
fn schema_of_a_postgres_directory_is_the_build_time_model() {
    let tmp = tempfile::tempdir().expect("tmp");
    write(
        tmp.path(),
        &[
            (
                "migrations/001_users.sql",
                "-- UP\nCREATE TABLE users (id bigserial PRIMARY KEY, email varchar(320) NOT NULL UNIQUE);\n\
                 -- DOWN\nDROP TABLE users;\n",
            ),
            (
                "migrations/002_posts.sql",
                "-- UP\nCREATE TABLE posts (id int, author bigint REFERENCES users (id));\n\
                 CREATE TABLE copy AS SELECT * FROM users;\n\
                 -- DOWN\nDROP TABLE copy;\nDROP TABLE posts;\n",
            ),
        ],
    );
    let sql = schema(tmp.path(), &[]);
    assert!(sql.contains("through version 2"), "{sql}");
    assert!(
        sql.contains("CREATE TABLE users (\n    id bigint NOT NULL DEFAULT nextval('users_id_seq'::regclass),\n    email varchar(320) NOT NULL,"),
        "{sql}"
    );
    assert!(
        sql.contains("CONSTRAINT users_email_key UNIQUE (email)"),
        "{sql}"
    );
    assert!(
        sql.contains("CONSTRAINT posts_author_fkey FOREIGN KEY (author) REFERENCES users (id)"),
        "{sql}"
    );
    assert!(
        sql.contains("-- table copy: its columns are not known"),
        "{sql}"
    );

    let out = schema(tmp.path(), &["--at", "1", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(json["applied_through"], 1);
    let tables: Vec<&str> = json["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(tables, ["users"]);
    assert_eq!(json["tables"][0]["columns"][1]["type"], "varchar(320)");
    // Deterministic: the same output on every run.
    let again = schema(tmp.path(), &["--at", "1", "--format", "json"]);
    assert_eq!(out, again);
}

#[test]
fn schema_of_a_mysql_directory_says_what_it_cannot_do() {
    let tmp = tempfile::tempdir().expect("tmp");
    write(
        tmp.path(),
        &[
            ("migrations/strata.toml", "dialect = \"mysql\"\n"),
            (
                "migrations/001_a.sql",
                "-- UP\nCREATE TABLE a (id int);\n-- DOWN\nDROP TABLE a;\n",
            ),
        ],
    );
    let out = strata(tmp.path()).arg("schema").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has neither yet"),
        "{out:?}"
    );
}
