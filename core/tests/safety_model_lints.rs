//! The safety lints that read what earlier migrations built (`adding-not-nullable-field`,
//! `changing-column-type`) and the opt-in `require-lock-timeout`, through `strata_core::load`
//! on a temporary directory of several migrations: each finding, each exemption (a table the
//! same migration created, a change PostgreSQL makes without a rewrite, a validated CHECK
//! before SET NOT NULL), and silence wherever the migrations do not show the table for
//! certain.

use std::fs;
use std::path::Path;

use strata_core::Level;

/// (lint, migration version) for every safety finding on `files` (`NNN_x.sql` -> UP text).
fn findings(files: &[(&str, &str)], toml: &str) -> Vec<(String, i64)> {
    let dir = tempfile::tempdir().expect("tmp");
    let migrations = dir.path().join("m");
    fs::create_dir_all(&migrations).expect("mkdir");
    for (name, up) in files {
        fs::write(migrations.join(name), format!("-- UP\n{up}\n")).expect("write");
    }
    fs::write(
        migrations.join("strata.toml"),
        format!("down = \"optional\"\n{toml}"),
    )
    .expect("toml");
    let loaded = strata_core::load(Path::new(dir.path()), "m");
    loaded
        .diagnostics
        .iter()
        .filter(|d| d.lint.group() == strata_core::lint_registry::Group::Safety)
        .map(|d| {
            assert_ne!(d.level, Level::Deny, "{d:?}");
            let version = d.file.rsplit('/').next().unwrap_or_default()[..3]
                .parse()
                .expect("version");
            (d.lint.name().to_string(), version)
        })
        .collect()
}

const USERS: &str = "CREATE TABLE users (id integer PRIMARY KEY, email varchar(255), name text, \
                     score numeric(10,2), net cidr);";

fn one(lint: &str, version: i64) -> Vec<(String, i64)> {
    vec![(lint.to_string(), version)]
}

#[test]
fn set_not_null_on_an_existing_column_is_found() {
    let files = [
        ("001_users.sql", USERS),
        (
            "002_x.sql",
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        ),
    ];
    assert_eq!(findings(&files, ""), one("adding-not-nullable-field", 2));
}

#[test]
fn a_validated_check_exempts_set_not_null_from_postgres_12() {
    let files = [
        ("001_users.sql", USERS),
        (
            "002_check.sql",
            "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;",
        ),
        (
            "003_validate.sql",
            "ALTER TABLE users VALIDATE CONSTRAINT email_nn;",
        ),
        (
            "004_x.sql",
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        ),
    ];
    assert_eq!(findings(&files, ""), vec![]);
    // Before 12 the CHECK does not spare the scan.
    assert_eq!(
        findings(&files, "postgres-version = 11\n"),
        one("adding-not-nullable-field", 4)
    );
    // Already NOT NULL (declared, a primary key, set before): nothing happens.
    for already in [
        "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);",
        "CREATE TABLE users (id int, email serial);",
        "CREATE TABLE users (id int, email text, PRIMARY KEY (id, email));",
        "CREATE TABLE users (id int, email text);\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
    ] {
        let files = [
            ("001_users.sql", already),
            (
                "002_x.sql",
                "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
            ),
        ];
        assert_eq!(findings(&files, ""), vec![], "{already}");
    }
    // Not validated: still a scan.
    let unvalidated = [files[0], files[1], files[3]];
    assert_eq!(
        findings(&unvalidated, ""),
        one("adding-not-nullable-field", 4)
    );
    // A CHECK in the CREATE TABLE is validated; a dropped one no longer counts.
    let inline = [
        (
            "001_users.sql",
            "CREATE TABLE users (id int, email text CHECK (email IS NOT NULL));",
        ),
        (
            "002_x.sql",
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        ),
    ];
    assert_eq!(findings(&inline, ""), vec![]);
    let dropped = [
        (
            "001_users.sql",
            "CREATE TABLE users (id int, email text, CONSTRAINT nn CHECK (email IS NOT NULL));",
        ),
        ("002_drop.sql", "ALTER TABLE users DROP CONSTRAINT nn;"),
        (
            "003_x.sql",
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        ),
    ];
    assert_eq!(findings(&dropped, ""), one("adding-not-nullable-field", 3));
}

#[test]
fn rewriting_type_changes_are_found_and_safe_ones_are_exempt() {
    let found = |change: &str| findings(&[("001_users.sql", USERS), ("002_x.sql", change)], "");
    for rewrite in [
        "ALTER TABLE users ALTER COLUMN id TYPE bigint;",
        "ALTER TABLE users ALTER COLUMN email TYPE varchar(100);",
        "ALTER TABLE users ALTER COLUMN score SET DATA TYPE numeric(12,3);",
        "ALTER TABLE users ALTER name TYPE integer USING name::integer;",
    ] {
        assert_eq!(found(rewrite), one("changing-column-type", 2), "{rewrite}");
    }
    for safe in [
        "ALTER TABLE users ALTER COLUMN email TYPE varchar(320);",
        "ALTER TABLE users ALTER COLUMN email TYPE character varying;",
        "ALTER TABLE users ALTER COLUMN email TYPE text;",
        "ALTER TABLE users ALTER COLUMN score TYPE numeric(14,2);",
        "ALTER TABLE users ALTER COLUMN score TYPE numeric;",
        "ALTER TABLE users ALTER COLUMN net TYPE inet;",
        // Cannot be told: a domain, the session's TimeZone.
        "ALTER TABLE users ALTER COLUMN name TYPE email_address;",
    ] {
        assert_eq!(found(safe), vec![], "{safe}");
    }
    // The type follows ALTER TYPE and RENAME COLUMN across migrations.
    let followed = [
        ("001_users.sql", USERS),
        (
            "002_widen.sql",
            "ALTER TABLE users ALTER COLUMN email TYPE varchar(320);",
        ),
        (
            "003_rename.sql",
            "ALTER TABLE users RENAME COLUMN email TO mail;",
        ),
        (
            "004_x.sql",
            "ALTER TABLE users ALTER COLUMN mail TYPE varchar(300);",
        ),
    ];
    assert_eq!(
        findings(&followed, ""),
        vec![
            ("renaming-column".to_string(), 3),
            ("changing-column-type".to_string(), 4)
        ]
    );
}

#[test]
fn triggers_policies_views_and_indexes_leave_the_columns_known() {
    let files = [
        (
            "001_users.sql",
            "CREATE TABLE users (id integer, email text);",
        ),
        (
            "002_objects.sql",
            "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();\n\
             CREATE POLICY users_own ON users USING (true);\n\
             CREATE OR REPLACE VIEW active_users AS SELECT id FROM users;\n\
             CREATE MATERIALIZED VIEW user_count AS SELECT count(*) FROM users;",
        ),
        (
            "003_x.sql",
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        ),
    ];
    assert_eq!(findings(&files, ""), one("adding-not-nullable-field", 3));
}

#[test]
fn a_table_the_migration_created_is_exempt() {
    let files = [(
        "001_users.sql",
        "CREATE TABLE users (id integer, email text);\n\
         ALTER TABLE users ALTER COLUMN id TYPE bigint;\n\
         ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
    )];
    assert_eq!(findings(&files, ""), vec![]);
}

#[test]
fn what_the_migrations_do_not_show_for_certain_is_left_alone() {
    let change = "ALTER TABLE users ALTER COLUMN id TYPE bigint;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;";
    for made in [
        // Not created by any migration.
        "SELECT 1;",
        // Made another way.
        "CREATE TABLE users AS SELECT 1 AS id, 'x'::text AS email;",
        "CREATE TABLE users (LIKE template_users);",
        "CREATE TABLE users (id integer, email text) INHERITS (people);",
        // Touched by what the lints do not model.
        "CREATE TABLE users (id integer, email text);\n\
         DO $$ BEGIN EXECUTE 'ALTER TABLE users ADD CONSTRAINT nn CHECK (email IS NOT NULL)'; END $$;",
        "CREATE TABLE users (id integer, email text);\nSELECT create_hypertable('users', 'id');",
        // Two tables of one name (another schema).
        "CREATE TABLE users (id integer, email text);\nCREATE TABLE archive.users (id bigint, email text);",
    ] {
        let files = [("001_users.sql", made), ("002_x.sql", change)];
        assert_eq!(findings(&files, ""), vec![], "{made}");
    }
}

#[test]
fn migrations_below_safety_since_build_the_tables_but_are_not_checked() {
    let files = [
        ("001_users.sql", USERS),
        (
            "002_old.sql",
            "ALTER TABLE users ALTER COLUMN id TYPE bigint;",
        ),
        (
            "003_x.sql",
            "ALTER TABLE users ALTER COLUMN id TYPE numeric;",
        ),
    ];
    assert_eq!(
        findings(&files, "safety-since = 2\n"),
        one("changing-column-type", 3)
    );
}

#[test]
fn require_lock_timeout_is_opt_in_and_satisfied_by_set_lock_timeout() {
    let files = [
        ("001_users.sql", USERS),
        (
            "002_x.sql",
            "ALTER TABLE users ADD COLUMN nickname text;\nDROP TABLE users;",
        ),
        (
            "003_safe.sql",
            "SET LOCAL lock_timeout = '5s';\nALTER TABLE users ADD COLUMN bio text;",
        ),
        ("004_weak.sql", "ALTER TABLE users VALIDATE CONSTRAINT c;"),
    ];
    assert!(
        !findings(&files, "")
            .iter()
            .any(|(lint, _)| lint == "require-lock-timeout"),
        "opt-in"
    );
    assert!(
        !findings(&files, "[lints]\nsafety = \"warn\"\n")
            .iter()
            .any(|(lint, _)| lint == "require-lock-timeout"),
        "the group does not switch it on"
    );
    let on: Vec<_> = findings(&files, "[lints]\nrequire-lock-timeout = \"warn\"\n")
        .into_iter()
        .filter(|(lint, _)| lint == "require-lock-timeout")
        .collect();
    assert_eq!(on, one("require-lock-timeout", 2), "once per migration");
}

#[test]
fn a_quoted_mixed_case_table_mentioned_where_it_cannot_be_followed_is_unknown() {
    // The DO block makes `email` varchar(10); widening that to varchar(20) needs no
    // rewrite, so a finding would come only from stale facts (text -> varchar(20)).
    let files = [
        (
            "001_users.sql",
            "CREATE TABLE \"Users\" (id integer PRIMARY KEY, email text);",
        ),
        (
            "002_do.sql",
            "DO $$ BEGIN ALTER TABLE \"Users\" ALTER COLUMN email TYPE varchar(10); END $$;",
        ),
        (
            "003_widen.sql",
            "ALTER TABLE \"Users\" ALTER COLUMN email TYPE varchar(20);",
        ),
    ];
    assert_eq!(findings(&files, ""), Vec::new());
}
