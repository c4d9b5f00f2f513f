//! The safety lints through the whole pipeline (`strata_core::load` on a temporary
//! directory): each finding, the shapes it leaves alone, the exemption of what the same
//! migration created, `safety-since`, the `safety` group in `[lints]` and in
//! `strata:allow(...)`, and DOWN sections never checked.

use std::fs;
use std::path::Path;

use strata_core::lint_registry::Group;
use strata_core::{Level, Lint};

/// Safety lints found (name, level, line) for one migration `001_x.sql` holding `up` (and a
/// DOWN that undoes none of it: the schema lints' findings are left out), with `toml` as
/// strata.toml.
fn findings(up: &str, toml: &str) -> Vec<(String, Level, u32)> {
    let dir = tempfile::tempdir().expect("tmp");
    let migrations = dir.path().join("m");
    fs::create_dir_all(&migrations).expect("mkdir");
    fs::write(
        migrations.join("001_x.sql"),
        format!("-- UP\n{up}\n-- DOWN\nDROP TABLE gone;\nALTER TABLE t DROP COLUMN c;\n"),
    )
    .expect("write");
    fs::write(migrations.join("strata.toml"), toml).expect("toml");
    let loaded = strata_core::load(Path::new(dir.path()), "m");
    loaded
        .diagnostics
        .iter()
        .filter(|d| d.lint.group() != Group::Schema)
        .map(|d| {
            (
                d.lint.name().to_string(),
                d.level,
                d.span.as_ref().map_or(0, |s| s.line),
            )
        })
        .collect()
}

fn names(up: &str) -> Vec<String> {
    findings(up, "")
        .into_iter()
        .map(|(name, level, _)| {
            assert_eq!(level, Level::Warn, "{name}");
            name
        })
        .collect()
}

#[test]
fn each_lint_finds_its_statement() {
    for (sql, lint) in [
        (
            "ALTER TABLE users RENAME COLUMN email TO mail;",
            Lint::RenamingColumn,
        ),
        (
            "ALTER TABLE IF EXISTS ONLY users RENAME email TO mail;",
            Lint::RenamingColumn,
        ),
        ("ALTER TABLE users RENAME TO people;", Lint::RenamingTable),
        (
            "ALTER TABLE users ADD COLUMN a int, DROP COLUMN IF EXISTS b;",
            Lint::BanDropColumn,
        ),
        (
            "DROP TABLE IF EXISTS public.users, posts;",
            Lint::BanDropTable,
        ),
        ("TRUNCATE TABLE users CASCADE;", Lint::BanTruncateCascade),
        (
            "DROP INDEX users_email_idx;",
            Lint::RequireConcurrentIndexDeletion,
        ),
        ("VACUUM (FULL, ANALYZE) users;", Lint::BanVacuumFull),
        ("CLUSTER users USING users_pkey;", Lint::BanVacuumFull),
        (
            "CREATE INDEX users_email ON users (email);",
            Lint::RequireConcurrentIndexCreation,
        ),
        (
            "CREATE UNIQUE INDEX ON public.users (lower(email));",
            Lint::RequireConcurrentIndexCreation,
        ),
        (
            "ALTER TABLE posts ADD CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
            Lint::ConstraintMissingNotValid,
        ),
        (
            "ALTER TABLE posts ADD CHECK (length(title) > 0);",
            Lint::ConstraintMissingNotValid,
        ),
        (
            "ALTER TABLE posts ADD CONSTRAINT c CHECK (x > 0) NOT VALID;\nALTER TABLE posts VALIDATE CONSTRAINT c;",
            Lint::ConstraintMissingNotValid,
        ),
        (
            "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
            Lint::DisallowedUniqueConstraint,
        ),
        (
            "ALTER TABLE users ADD PRIMARY KEY (id);",
            Lint::DisallowedUniqueConstraint,
        ),
    ] {
        assert_eq!(names(sql), vec![lint.name().to_string()], "{sql}");
    }
}

#[test]
fn other_shapes_are_left_alone() {
    for sql in [
        "ALTER TABLE users RENAME CONSTRAINT a TO b;",
        "ALTER TABLE users ALTER COLUMN email DROP DEFAULT, ALTER COLUMN email DROP NOT NULL;",
        "ALTER TABLE users DROP CONSTRAINT users_email_key;",
        "TRUNCATE users;",
        "TRUNCATE users RESTRICT;",
        "VACUUM ANALYZE users;",
        "VACUUM (FULL false) users;",
        "SELECT 'DROP TABLE users';",
        "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ DROP TABLE users $$;",
        "CREATE INDEX measurements_t ON ONLY measurements (t);",
        "ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
        "ALTER TABLE posts VALIDATE CONSTRAINT fk;",
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;",
        "ALTER TABLE users ADD COLUMN nickname text CHECK (nickname <> '');",
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        "ALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 0;",
        "ALTER TABLE users ADD COLUMN seen timestamptz NOT NULL DEFAULT now();",
        "ALTER TABLE users ADD COLUMN total int GENERATED ALWAYS AS (a + b) STORED NOT NULL;",
        "ALTER TABLE users ADD COLUMN token uuid DEFAULT my_uuid();",
        "ALTER TABLE users ADD COLUMN note text DEFAULT 'random()';",
    ] {
        assert_eq!(names(sql), Vec::<String>::new(), "{sql}");
    }
}

#[test]
fn what_the_same_migration_created_is_exempt() {
    let sql = "CREATE TABLE IF NOT EXISTS staging (id int, c int);\n\
               CREATE INDEX staging_id ON staging (id);\n\
               ALTER TABLE staging RENAME COLUMN c TO d;\n\
               ALTER TABLE staging DROP COLUMN d;\n\
               DROP INDEX staging_id;\n\
               ALTER TABLE \"staging\" RENAME TO staged;\n\
               DROP TABLE staged;";
    // `staged` is a new name for a new table, but the lint does not follow renames: it says so.
    assert_eq!(names(sql), vec![Lint::BanDropTable.name().to_string()]);
    let sql = "CREATE TABLE staging (id int, parent int);\n\
               CREATE INDEX ON staging (parent);\n\
               ALTER TABLE staging ADD CONSTRAINT staging_parent FOREIGN KEY (parent) REFERENCES users (id);\n\
               ALTER TABLE staging ADD PRIMARY KEY (id);";
    assert_eq!(names(sql), Vec::<String>::new());
}

#[test]
fn no_transaction_migrations_prefer_robust_statements() {
    let toml = "";
    let robust = "-- strata:no-transaction\n\
                  CREATE INDEX CONCURRENTLY IF NOT EXISTS a ON users (email);\n\
                  DROP INDEX CONCURRENTLY IF EXISTS b;\n\
                  ALTER TABLE users ADD COLUMN IF NOT EXISTS c int;";
    assert_eq!(findings(robust, toml), Vec::new());
    let fragile = "-- strata:no-transaction\n\
                   CREATE INDEX CONCURRENTLY a ON users (email);\n\
                   DROP INDEX CONCURRENTLY b;\n\
                   ALTER TABLE users ADD COLUMN c int;";
    let found: Vec<String> = findings(fragile, toml).into_iter().map(|f| f.0).collect();
    assert_eq!(found, vec!["prefer-robust-stmts"; 3]);
    // In a transaction a failure rolls everything back: a retry starts clean.
    assert!(names("ALTER TABLE users ADD COLUMN c int;").is_empty());
}

#[test]
fn a_concurrent_index_in_its_own_migration_is_clean() {
    let found = findings(
        "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON users (email);",
        "",
    );
    assert_eq!(found, Vec::new());
}

#[test]
fn safety_since_the_group_and_allow_directives() {
    let sql = "DROP TABLE users;";
    assert!(findings(sql, "safety-since = 1\n").is_empty());
    assert_eq!(findings(sql, "safety-since = 0\n").len(), 1);
    let denied = findings(sql, "[lints]\nsafety = \"deny\"\n");
    assert_eq!(denied[0].1, Level::Deny);
    assert!(findings(sql, "[lints]\nsafety = \"allow\"\n").is_empty());
    assert!(findings(&format!("-- strata:allow(safety)\n{sql}"), "").is_empty());
    let wrong = findings(sql, "safety-since = \"3\"\n");
    assert!(
        wrong.iter().any(|(name, ..)| name == "invalid-config"),
        "{wrong:?}"
    );
}

#[test]
fn below_postgres_11_every_default_rewrites() {
    let sql = "ALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 0;";
    assert!(findings(sql, "").is_empty());
    assert!(findings(sql, "postgres-version = 15\n").is_empty());
    let old: Vec<String> = findings(sql, "postgres-version = 10\n")
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(old, vec![Lint::AddingFieldWithDefault.name().to_string()]);
    let wrong = findings(sql, "postgres-version = 1500\n");
    assert!(
        wrong.iter().any(|(name, ..)| name == "invalid-config"),
        "{wrong:?}"
    );
}

#[test]
fn findings_point_at_the_statement() {
    let found = findings("SELECT 1;\nDROP TABLE users;", "");
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].2, 3,
        "line 3 of the file: after `-- UP` and the SELECT"
    );
}

#[test]
fn other_dialects_are_not_checked() {
    assert!(findings("DROP TABLE users;", "dialect = \"sqlite\"\n").is_empty());
}
