//! The SQLite replay behind `undefined-object`, `duplicate-object` and `down-not-inverse`,
//! through `strata_core::load` on temporary directories: each finding with what it says,
//! and silence wherever the replay cannot be certain (a table no migration made, a
//! function the application registers, a constraint failing on data, a statement past the
//! time budget).

#![cfg(feature = "sqlite-parser")]

mod support;

/// (lint, file name, message) for every schema finding on `files` (name -> content).
fn findings(files: &[(&str, &str)]) -> Vec<(String, String, String)> {
    support::schema_findings("sqlite", files)
        .into_iter()
        .map(|(lint, file, _, message)| (lint, file, message))
        .collect()
}

const USERS: (&str, &str) = (
    "001_users.sql",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n",
);

#[test]
fn a_table_dropped_earlier_is_undefined_and_says_where() {
    let found = findings(&[
        USERS,
        ("002_drop.sql", "DROP TABLE users;\n"),
        (
            "003_use.sql",
            "SELECT 1;\nUPDATE users SET email = lower(email);\n",
        ),
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "undefined-object");
    assert_eq!(found[0].1, "003_use.sql");
    assert!(
        found[0].2.contains(
            "table `users` does not exist here: it was dropped by migration 2 (m/002_drop.sql:1)"
        ),
        "{}",
        found[0].2
    );
}

#[test]
fn a_column_the_table_does_not_have_is_undefined_with_a_suggestion() {
    let found = findings(&[
        USERS,
        (
            "002_typo.sql",
            "CREATE INDEX users_email ON users (emial);\n",
        ),
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "undefined-object");
    assert!(
        found[0].2.contains("no such column `emial`")
            && found[0].2.contains("did you mean `email`?"),
        "{}",
        found[0].2
    );
}

#[test]
fn creating_what_exists_is_a_duplicate_unless_if_not_exists() {
    let found = findings(&[
        USERS,
        (
            "002_again.sql",
            "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY);\n\
             CREATE INDEX IF NOT EXISTS users_email ON users (email);\n\
             CREATE INDEX IF NOT EXISTS users_email ON users (email);\n",
        ),
        (
            "003_column.sql",
            "ALTER TABLE users ADD COLUMN email TEXT;\n",
        ),
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "duplicate-object");
    assert!(
        found[0].2.contains("column `email` already exists"),
        "{}",
        found[0].2
    );

    let found = findings(&[
        USERS,
        (
            "002_index.sql",
            "CREATE INDEX i ON users (email);\nCREATE INDEX i ON users (id);\n",
        ),
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .2
            .contains("index `i` already exists: created by migration 2 (m/002_index.sql:1)"),
        "{}",
        found[0].2
    );
}

#[test]
fn the_replay_is_silent_where_it_cannot_be_certain() {
    let cases: [&[(&str, &str)]; 5] = [
        // A table no migration made: the database may have had it before strata.
        &[("001_legacy.sql", "INSERT INTO legacy (id) VALUES (1);\n")],
        // A function the application registers (D1, an extension): unknown from here on.
        &[
            USERS,
            (
                "002_fn.sql",
                "UPDATE users SET email = app_normalise(email);\n",
            ),
            ("003_after.sql", "DROP TABLE users;\nDROP TABLE users;\n"),
        ],
        // A constraint failing on the replay's rows says nothing of production's.
        &[
            USERS,
            (
                "002_seed.sql",
                "INSERT INTO users VALUES (1, 'a');\nINSERT INTO users VALUES (1, 'b');\n",
            ),
            ("003_after.sql", "CREATE TABLE users (id INTEGER);\n"),
        ],
        // A double-quoted name SQLite may take for a string.
        &[
            USERS,
            (
                "002_dq.sql",
                "UPDATE users SET email = \"unknown\" WHERE id = 1;\n",
            ),
        ],
        // Transaction control the replay's savepoints cannot hold.
        &[
            USERS,
            (
                "002_tx.sql",
                "-- strata:allow(transaction-nesting)\nBEGIN;\nDROP TABLE users;\nCOMMIT;\n",
            ),
            ("003_after.sql", "DROP TABLE users;\n"),
        ],
    ];
    for files in cases {
        assert_eq!(findings(files), Vec::new(), "{files:?}");
    }
}

#[test]
fn a_statement_past_the_time_budget_stops_the_replay_quietly() {
    let found = findings(&[
        USERS,
        (
            "002_forever.sql",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n;\n",
        ),
        ("003_after.sql", "DROP TABLE users;\nDROP TABLE users;\n"),
    ]);
    assert_eq!(found, Vec::new());
}

#[test]
fn a_down_that_leaves_a_column_behind_is_named() {
    let found = findings(&[
        (
            "001_users.sql",
            "-- UP\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n\
             CREATE TRIGGER users_touch AFTER UPDATE ON users BEGIN SELECT 1; END;\n\
             -- DOWN\nDROP TRIGGER users_touch;\nDROP TABLE users;\n",
        ),
        (
            "002_name.sql",
            "-- UP\nALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';\n\
             CREATE INDEX users_name ON users (name);\n-- DOWN\nDROP INDEX users_name;\n",
        ),
        // A DOWN may be incomplete; the replay goes on from the UP's state.
        (
            "003_more.sql",
            "-- UP\nCREATE INDEX users_email ON users (email);\n-- DOWN\nDROP INDEX users_email;\n",
        ),
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        ("down-not-inverse", "002_name.sql")
    );
    assert!(
        found[0]
            .2
            .contains("column users.name (text not null default '') is still there"),
        "{}",
        found[0].2
    );
}

#[test]
fn a_down_that_fails_is_reported_and_the_replay_goes_on() {
    let found = findings(&[
        USERS,
        (
            "002_index.sql",
            "-- UP\nCREATE INDEX users_email ON users (email);\n-- DOWN\nDROP INDEX user_email;\n",
        ),
        (
            "003_dup.sql",
            "-- UP\nCREATE INDEX users_email ON users (id);\n",
        ),
    ]);
    // The DOWN names an index no migration made: not certain, so silent; 003 is still
    // replayed from 002's UP and its duplicate found.
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        ("duplicate-object", "003_dup.sql")
    );
}

#[test]
fn a_down_that_rebuilds_the_table_in_other_words_restores_it() {
    let found = findings(&[
        USERS,
        (
            "002_rebuild.sql",
            "-- UP\nCREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);\n\
             INSERT INTO users_new SELECT id, email, NULL FROM users;\nDROP TABLE users;\n\
             ALTER TABLE users_new RENAME TO users;\n\
             -- DOWN\ncreate table users_old (id integer primary key, email text not null);\n\
             insert into users_old select id, email from users;\ndrop table users;\n\
             alter table users_old rename to users;\n",
        ),
    ]);
    assert_eq!(found, Vec::new());
}

#[test]
fn what_real_projects_showed_stays_silent() {
    // rtfblog: with foreign keys enforced (the bundled default), dropping a table that
    // another one still references fails naming the referenced one; SQLite's own default,
    // and the project's connections, leave them off.
    let found = findings(&[
        (
            "001_tags.sql",
            "CREATE TABLE post (id INTEGER PRIMARY KEY);\nCREATE TABLE tag (id INTEGER PRIMARY KEY);\n\
             CREATE TABLE tagmap (post_id INTEGER REFERENCES post(id) ON DELETE CASCADE, \
             tag_id INTEGER REFERENCES tag(id) ON DELETE CASCADE);\n",
        ),
        (
            "002_rebuild.sql",
            "ALTER TABLE post RENAME TO tmp_post;\nCREATE TABLE post (id INTEGER PRIMARY KEY, title TEXT);\n\
             INSERT INTO post SELECT id, NULL FROM tmp_post;\nDROP TABLE tmp_post;\n",
        ),
        (
            "003_drop_tag.sql",
            "ALTER TABLE tag RENAME TO tmp_tag;\nDROP TABLE tmp_tag;\n",
        ),
    ]);
    assert_eq!(found, Vec::new());
    // arcane: a rename and its DOWN renaming back; SQLite rewrites the index's SQL with the
    // table's name quoted, each way.
    let found = findings(&[
        (
            "001_c.sql",
            "-- UP\nCREATE TABLE containers_table (id INTEGER PRIMARY KEY, name TEXT);\n\
             CREATE INDEX idx_name ON containers_table(name);\n-- DOWN\nDROP TABLE containers_table;\n",
        ),
        (
            "002_rename.sql",
            "-- UP\nALTER TABLE containers_table RENAME TO containers;\n\
             -- DOWN\nALTER TABLE containers RENAME TO containers_table;\n",
        ),
    ]);
    assert_eq!(found, Vec::new());
}
