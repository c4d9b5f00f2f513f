//! The PostgreSQL schema model behind `undefined-object`, `duplicate-object` and
//! `down-not-inverse`, through `strata_core::load` on temporary directories: each finding
//! with what it says and where, and silence wherever the model cannot be certain.

use std::fs;
use std::path::Path;

mod support;

/// (lint, file name, line, message) for every schema finding on `files` (name -> content).
fn findings(files: &[(&str, &str)]) -> Vec<(String, String, u32, String)> {
    support::schema_findings("postgres", files)
}

const USERS: (&str, &str) = (
    "001_users.sql",
    "CREATE TABLE users (\n  id bigserial PRIMARY KEY,\n  email text NOT NULL UNIQUE,\n  name text\n);\n",
);

fn one(found: &[(String, String, u32, String)], lint: &str, needle: &str) {
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, lint, "{found:#?}");
    assert!(found[0].3.contains(needle), "{found:#?}");
}

#[test]
fn a_misspelled_table_is_undefined_with_a_suggestion() {
    let found = findings(&[
        USERS,
        (
            "002_posts.sql",
            "CREATE TABLE posts (id int);\n\nALTER TABLE uesrs ADD COLUMN age int;\n",
        ),
    ]);
    one(&found, "undefined-object", "did you mean `users`?");
    assert_eq!((found[0].1.as_str(), found[0].2), ("002_posts.sql", 3));
}

#[test]
fn a_dropped_table_says_where_it_went() {
    let found = findings(&[
        USERS,
        ("002_drop.sql", "DROP TABLE users;\n"),
        ("003_use.sql", "UPDATE users SET name = 'x';\n"),
    ]);
    one(
        &found,
        "undefined-object",
        "dropped by migration 2 (m/002_drop.sql:1)",
    );
}

#[test]
fn a_renamed_table_says_its_new_name() {
    let found = findings(&[
        USERS,
        ("002_rename.sql", "ALTER TABLE users RENAME TO accounts;\n"),
        ("003_use.sql", "INSERT INTO users (email) VALUES ('a');\n"),
    ]);
    one(&found, "undefined-object", "renamed to `accounts`");
}

#[test]
fn misspelled_columns_are_undefined_wherever_they_are_named() {
    let cases = [
        "INSERT INTO users (emial) VALUES ('a');",
        "UPDATE users SET nmae = 'x';",
        "CREATE INDEX users_mail ON users (emial);",
        "ALTER TABLE users ALTER COLUMN nmae SET NOT NULL;",
        "ALTER TABLE users DROP COLUMN nmae;",
        "ALTER TABLE users RENAME COLUMN nmae TO full_name;",
        "COMMENT ON COLUMN users.nmae IS 'x';",
        "CREATE TABLE posts (id int, author bigint REFERENCES users (uid));",
    ];
    for case in cases {
        let found = findings(&[USERS, ("002_x.sql", case)]);
        one(
            &found,
            "undefined-object",
            "of table `users` does not exist",
        );
    }
}

#[test]
fn a_dropped_column_says_where_it_went() {
    let found = findings(&[
        USERS,
        ("002_drop.sql", "ALTER TABLE users DROP COLUMN name;\n"),
        ("003_use.sql", "UPDATE users SET name = 'x';\n"),
    ]);
    one(&found, "undefined-object", "dropped by migration 2");
}

#[test]
fn creating_what_exists_is_a_duplicate() {
    let cases = [
        (
            "CREATE TABLE users (id int);",
            "table `users` already exists: created by migration 1",
        ),
        (
            "ALTER TABLE users ADD COLUMN email text;",
            "column `email` of table `users` already exists",
        ),
        (
            "CREATE INDEX users_email_key ON users (email);",
            "index `users_email_key` already exists",
        ),
        (
            "ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (id);",
            "primary key of table `users`",
        ),
        ("CREATE SCHEMA public;", "schema `public` already exists"),
        (
            "CREATE TYPE users AS ENUM ('a');",
            "type `users` already exists",
        ),
        (
            "CREATE SEQUENCE users_id_seq;",
            "sequence `users_id_seq` already exists",
        ),
    ];
    for (case, needle) in cases {
        let found = findings(&[USERS, ("002_x.sql", case)]);
        one(&found, "duplicate-object", needle);
    }
}

#[test]
fn if_exists_and_if_not_exists_are_quiet() {
    let found = findings(&[
        USERS,
        (
            "002_x.sql",
            "CREATE TABLE IF NOT EXISTS users (id int);\n\
             ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;\n\
             CREATE INDEX IF NOT EXISTS users_email_key ON users (email);\n\
             DROP TABLE IF EXISTS uesrs;\n\
             ALTER TABLE users DROP COLUMN IF EXISTS nmae;\n\
             ALTER TABLE IF EXISTS uesrs ADD COLUMN x int;\n\
             ALTER TABLE users DROP CONSTRAINT IF EXISTS nope;\n",
        ),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn an_index_is_not_a_constraint() {
    let found = findings(&[
        USERS,
        (
            "002_index.sql",
            "CREATE UNIQUE INDEX users_name_idx ON users (name);\n",
        ),
        (
            "003_drop.sql",
            "ALTER TABLE users DROP CONSTRAINT users_name_idx;\n",
        ),
    ]);
    one(
        &found,
        "undefined-object",
        "`users_name_idx` is an index (on `users`), not a constraint",
    );
}

#[test]
fn the_names_postgres_chooses_are_followed() {
    // users_pkey, users_email_key, users_id_seq are PostgreSQL's names for the unnamed key,
    // unique constraint and serial sequence; each is dropped or renamed without a finding.
    let found = findings(&[
        USERS,
        (
            "002_x.sql",
            "ALTER TABLE users DROP CONSTRAINT users_email_key;\n\
             ALTER TABLE users RENAME CONSTRAINT users_pkey TO users_key;\n\
             ALTER SEQUENCE users_id_seq RENAME TO users_seq;\n\
             CREATE INDEX ON users (name);\n\
             DROP INDEX users_name_idx;\n",
        ),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_set_relying_on_objects_from_elsewhere_reports_no_never_made_name() {
    // `legacy_orders` was never made here: the database had it before the migrations, so
    // `uesrs` may be one of its tables too.
    let found = findings(&[
        USERS,
        (
            "002_x.sql",
            "ALTER TABLE legacy_orders ADD COLUMN note text;\nALTER TABLE uesrs ADD COLUMN age int;\n",
        ),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn what_a_statement_it_does_not_follow_mentions_is_unknown() {
    let found = findings(&[
        USERS,
        (
            "002_do.sql",
            "DO $$ BEGIN\n  EXECUTE 'CREATE TABLE audit (id int)';\nEND $$;\n\
             SELECT create_hypertable('users', 'id');\n",
        ),
        (
            "003_use.sql",
            "ALTER TABLE audit ADD COLUMN at timestamptz;\nALTER TABLE users ADD COLUMN email text;\n",
        ),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_down_that_does_not_restore_is_a_warning() {
    let found = findings(&[
        USERS,
        (
            "002_age.sql",
            "-- UP\nALTER TABLE users ADD COLUMN age int;\nALTER TABLE users ADD COLUMN bio text;\n\
             -- DOWN\nALTER TABLE users DROP COLUMN age;\n",
        ),
    ]);
    one(
        &found,
        "down-not-inverse",
        "column `users.bio` is still there",
    );
}

#[test]
fn a_down_that_restores_is_quiet() {
    let found = findings(&[
        USERS,
        (
            "002_posts.sql",
            "-- UP\nCREATE TABLE posts (id serial PRIMARY KEY, author bigint REFERENCES users (id));\n\
             CREATE INDEX ON posts (author);\nALTER TABLE users ADD COLUMN age int CHECK (age > 0);\n\
             -- DOWN\nALTER TABLE users DROP COLUMN age;\nDROP TABLE posts;\n",
        ),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn enum_labels_are_followed() {
    let found = findings(&[
        ("001_mood.sql", "CREATE TYPE mood AS ENUM ('sad', 'ok');\n"),
        (
            "002_add.sql",
            "ALTER TYPE mood ADD VALUE 'happy' AFTER 'okay';\n",
        ),
    ]);
    one(
        &found,
        "undefined-object",
        "'okay' is not a label of enum `mood`",
    );
    let found = findings(&[
        ("001_mood.sql", "CREATE TYPE mood AS ENUM ('sad', 'ok');\n"),
        ("002_add.sql", "ALTER TYPE mood ADD VALUE 'ok';\n"),
    ]);
    one(&found, "duplicate-object", "label 'ok' of enum `mood`");
}

#[test]
fn every_prefix_of_the_model_fixture_replays_without_panic() {
    // Each file of the must-show fixture cut at every character, after the whole of the
    // files before it: statements the model reads, stopped anywhere.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/pg/model");
    let mut names: Vec<String> = fs::read_dir(&fixture)
        .expect("fixture")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    let texts: Vec<String> = names
        .iter()
        .map(|n| fs::read_to_string(fixture.join(n)).expect("read"))
        .collect();
    for (i, text) in texts.iter().enumerate() {
        let cuts: Vec<usize> = text.char_indices().map(|(at, _)| at).step_by(3).collect();
        for cut in cuts {
            let mut files: Vec<(&str, &str)> = names[..i]
                .iter()
                .zip(&texts[..i])
                .map(|(n, t)| (n.as_str(), t.as_str()))
                .collect();
            files.push((names[i].as_str(), &text[..cut]));
            let _ = findings(&files);
        }
    }
}

#[test]
fn what_a_called_function_may_make_is_unknown() {
    // setup() makes `audits` when it is called; `audit` is one edit from it, but the call
    // makes every name in the function's body unknown.
    let found = findings(&[
        USERS,
        (
            "002_setup.sql",
            "CREATE FUNCTION setup() RETURNS void LANGUAGE plpgsql AS $$\n\
             BEGIN CREATE TABLE audit (id int); END $$;\n\
             CREATE TABLE audits (id int);\n\
             SELECT setup();\n",
        ),
        (
            "003_use.sql",
            "ALTER TABLE audit ADD COLUMN at timestamptz;\n",
        ),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_table_made_by_select_into_is_not_reported() {
    let found = findings(&[
        USERS,
        // `user_s` is one edit from `users`: made by SELECT INTO, it must not be taken for
        // a typo.
        ("002_copy.sql", "SELECT * INTO user_s FROM users;\n"),
        ("003_use.sql", "ALTER TABLE user_s ADD COLUMN x int;\n"),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_set_that_starts_by_naming_what_it_did_not_make_reports_no_never_made_name() {
    // The first statement changes a table from before the migrations.
    let found = findings(&[
        (
            "001_legacy.sql",
            "ALTER TABLE user_role ADD COLUMN note text;\n",
        ),
        ("002_roles.sql", "CREATE TABLE user_roles (id int);\n"),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}
