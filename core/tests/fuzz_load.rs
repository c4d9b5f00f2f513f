//! Property test of the whole compile-time pipeline on hostile directories: random names in
//! and out of every scheme, contents built from markers, directives, unterminated literals,
//! BOMs, CRLFs and invalid UTF-8. It must never panic, and what it returns must hold together.
//! `PROPTEST_CASES=100000 cargo test -p strata-core --release --test fuzz_load` runs it long.

use std::fs;

use proptest::prelude::*;
use strata_core::load;

const FRAGMENTS: &[&[u8]] = &[
    b"-- UP\n",
    b"-- DOWN\n",
    b"-- +goose Up\n",
    b"-- migrate:down\n",
    b"-- up: with text\n",
    b"CREATE TABLE t (id int);\n",
    b"CREAT TABLE t (id int);\n",
    b"SELECT 'a;b', \"q\"\"x\";\n",
    b"'unterminated",
    b"\"unterminated",
    b"$$ body; $$;\n",
    b"$tag$ open",
    b"/* open comment",
    b"/* nested /* */ */",
    b"\r\n",
    b"\xEF\xBB\xBF",
    b"\xFF\xFE",
    b"\xC3",
    b"\xC3\xA9",
    b"-- strata:allow(version-gap, missing-down)\n",
    b"-- strata:allow(\n",
    b"-- strata:no-transaction\n",
    b"-- strata:bogus\n",
    b"CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END;\n",
    b"BEGIN ATOMIC SELECT 1; END;",
    b"END; END; CASE",
    b"((((",
    b"))))",
    b";;;;",
    b"",
    b"\0",
    b"# mysql comment\n",
    // What the PostgreSQL schema model reads, whole and cut short.
    b"CREATE TABLE t (id serial PRIMARY KEY, a text UNIQUE REFERENCES t (id), CHECK (a <> ''));\n",
    b"ALTER TABLE t ADD COLUMN b int, DROP COLUMN a CASCADE, RENAME COLUMN b TO c;\n",
    b"ALTER TABLE t RENAME TO u;\nALTER TABLE \"T\".\"u\" SET SCHEMA s;\n",
    b"ALTER TABLE t ADD CONSTRAINT c UNIQUE USING INDEX i;\n",
    b"ALTER TABLE t DROP CONSTRAINT t_pkey;\nALTER TABLE t RENAME CONSTRAINT",
    b"CREATE UNIQUE INDEX ON t (lower(a)) WHERE a IS NOT NULL;\n",
    b"CREATE INDEX i ON ONLY",
    b"DROP TABLE IF EXISTS t, u CASCADE;\nDROP INDEX i;\n",
    b"CREATE TYPE e AS ENUM ('a', 'b');\nALTER TYPE e ADD VALUE 'c' BEFORE 'z';\n",
    b"ALTER TYPE e RENAME VALUE 'a' TO",
    b"COMMENT ON COLUMN s.t.c IS 'x';\nCOMMENT ON COLUMN c IS",
    b"UPDATE t SET (a, b) = (1, 2), c[1] = 3 FROM u WHERE",
    b"INSERT INTO t AS x (a, \"B\") VALUES (1);\n",
    b"SET LOCAL search_path TO s, \"$user\", public;\n",
    b"CREATE SCHEMA s;\nCREATE TRIGGER g BEFORE UPDATE ON t EXECUTE FUNCTION f();\n",
    b"DROP FUNCTION f(int), g;\nDROP SCHEMA s CASCADE;\n",
    b"DO $$ BEGIN EXECUTE format('CREATE TABLE %I ()', 'x'); END $$;\n",
    b"CREATE TABLE t (LIKE u INCLUDING ALL);\nCREATE TABLE",
];

fn contents() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..12).prop_map(|parts| parts.concat())
}

fn name() -> impl Strategy<Value = String> {
    let word = "[a-z _-]{0,6}";
    let digits = "[0-9]{1,20}";
    prop_oneof![
        (digits, word).prop_map(|(d, w)| format!("{d}_{w}.sql")),
        (digits, word).prop_map(|(d, w)| format!("V{d}__{w}.sql")),
        (digits, word).prop_map(|(d, w)| format!("U{d}__{w}.sql")),
        (digits, word).prop_map(|(d, w)| format!("{d}_{w}.up.sql")),
        (digits, word).prop_map(|(d, w)| format!("{d}_{w}.down.sql")),
        (
            "[0-9-]{1,22}",
            word,
            prop::sample::select(vec!["up.sql", "down.sql", "metadata.toml", "x.sql"])
        )
            .prop_map(|(d, w, f)| format!("{d}_{w}/{f}")),
        "[A-Za-z0-9_.-]{1,12}".prop_map(|n| n.to_string()),
        Just("strata.toml".to_string()),
    ]
}

fn config() -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(vec![
        &b"dialect = \"sqlite\"\n"[..],
        b"dialect = \"mysql\"\ndown = \"optional\"\n",
        b"dialect = \"generic\"\ndown = \"forbidden\"\n",
        b"[lints]\nsql-syntax = \"warn\"\n",
        b"dialect = ",
        b"[history]\ntable = \"x y\"\n",
        b"run_in_transaction = \"maybe\"",
        b"",
    ])
    .prop_map(<[u8]>::to_vec)
}

proptest! {
    // 64 cases in the normal suite; PROPTEST_CASES sets more for a long run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn load_never_panics_and_stays_consistent(
        files in prop::collection::vec((name(), contents()), 0..8),
        toml in config(),
    ) {
        let base = tempfile::tempdir().expect("temp dir");
        let root = base.path().join("migrations");
        fs::create_dir_all(&root).expect("dir");
        for (name, text) in &files {
            let path = root.join(name);
            if let Some(parent) = path.parent() {
                let _ = fs::create_dir_all(parent);
            }
            let text = if name.ends_with(".toml") { &toml } else { text };
            let _ = fs::write(&path, text);
        }
        let loaded = load(base.path(), "migrations");
        for d in &loaded.diagnostics {
            prop_assert!(d.file.starts_with("migrations"), "{}", d.file);
            if let (Some(span), Some(source)) = (&d.span, loaded.source(&d.file)) {
                prop_assert!(span.start <= span.end && span.end <= source.len());
                let rendered = strata_core::render::human(d, Some(source), false);
                prop_assert!(rendered.contains(d.lint.name()), "{:?}\n{}", d.message, rendered);
            }
        }
        let positions: Vec<(&str, u32, u32)> = loaded
            .diagnostics
            .iter()
            .map(|d| (d.file.as_str(), d.span.as_ref().map_or(0, |s| s.line), d.span.as_ref().map_or(0, |s| s.column)))
            .collect();
        let mut sorted = positions.clone();
        sorted.sort();
        prop_assert_eq!(positions, sorted);
        let versions: Vec<i64> = loaded.migrations.iter().map(|m| m.version()).collect();
        prop_assert!(versions.windows(2).all(|w| w[0] <= w[1]));
        for m in &loaded.migrations {
            prop_assert_eq!(m.checksum().len(), 64);
            for section in std::iter::once(m.up_section()).chain(m.down_section()) {
                for (statement, sql) in section.statement_texts() {
                    prop_assert!(!sql.is_empty());
                    let (line, column) = section.file_position(statement.range().start);
                    prop_assert!(line >= section.line() && column >= 1);
                }
            }
        }
    }
}
