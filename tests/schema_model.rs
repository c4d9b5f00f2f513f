//! The PostgreSQL schema model checked against the real thing: every migration of the
//! project's PostgreSQL fixtures applied to a real server, and after each one the model's
//! tables, columns (type, nullability), indexes and constraints compared with the catalog.
//! Objects the model says it does not know are left out of the comparison; everything else
//! must be equal, both ways. SQLite's build-time replay (SQLite itself, in memory) is held
//! to a database the runtime migrated the same way: `sqlite_schema` and `pragma table_info`
//! after every migration.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use strata_core::schema_model::{Model, Relation, models, normal_type};
use tokio_postgres::Client;

/// The fixtures replayed, each a directory of PostgreSQL migrations.
const FIXTURES: &[&str] = &[
    "tests/fixtures/pg/model",
    "tests/fixtures/pg/paired",
    "tests/fixtures/pg/flyway",
    "tests/fixtures/pg/directory",
    "tests/fixtures/pg/timestamp",
    "tests/fixtures/pg/no-transaction",
    "tests/fixtures/verify/reversible",
    "tests/fixtures/verify/idempotent",
];

/// (schema, name) -> relkind, for the user's relations.
async fn catalog_relations(client: &Client) -> BTreeMap<(String, String), String> {
    let rows = client
        .query(
            "SELECT n.nspname::text, c.relname::text, c.relkind::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') \
               AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%' \
               AND c.relkind IN ('r', 'p', 'i', 'I', 'S', 'v', 'm') \
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')",
            &[],
        )
        .await
        .expect("relations");
    rows.iter()
        .map(|row| ((row.get(0), row.get(1)), row.get(2)))
        .collect()
}

fn kind_code(relation: &Relation) -> &'static [&'static str] {
    match relation {
        Relation::Table(_) => &["r", "p"],
        Relation::View {
            materialized: false,
        } => &["v"],
        Relation::View { materialized: true } => &["m"],
        Relation::Index { .. } => &["i", "I"],
        Relation::Sequence { .. } => &["S"],
    }
}

/// Compares the model with the catalog; the differences, described.
async fn compare(client: &Client, model: &Model) -> Vec<String> {
    let mut problems = Vec::new();
    let catalog = catalog_relations(client).await;
    let unknown = |key: &(String, String)| model.is_unknown(&key.1) || model.is_unknown(&key.0);
    for (key, kind) in &catalog {
        match model.relations.get(key) {
            Some(relation) if !kind_code(relation).contains(&kind.as_str()) => problems.push(
                format!("{key:?}: model says {}, catalog {kind}", relation.kind()),
            ),
            None if !unknown(key) => {
                problems.push(format!("{key:?} ({kind}) missing from the model"))
            }
            _ => {}
        }
    }
    for (key, relation) in &model.relations {
        if !catalog.contains_key(key) && !unknown(key) {
            problems.push(format!(
                "{key:?} ({}) is in the model, not in the catalog",
                relation.kind()
            ));
        }
    }
    for (key, relation) in &model.relations {
        let Relation::Table(Some(table)) = relation else {
            continue;
        };
        if unknown(key) || !catalog.contains_key(key) {
            continue;
        }
        let oid = format!("\"{}\".\"{}\"", key.0, key.1);
        let columns: Vec<(String, String, bool)> = client
            .query(
                "SELECT attname::text, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute \
                 WHERE attrelid = $1::text::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                &[&oid],
            )
            .await
            .expect("columns")
            .iter()
            .map(|row| {
                let ty: String = row.get(1);
                // format_type qualifies a type outside the search path; the model keeps
                // names as written.
                let ty = ty.strip_prefix("public.").unwrap_or(&ty).to_string();
                (row.get(0), normal_type(&ty), row.get(2))
            })
            .collect();
        let modelled: Vec<(String, String, bool)> = table
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.ty.clone(), c.not_null))
            .collect();
        if columns != modelled {
            problems.push(format!(
                "{key:?} columns: catalog {columns:?}, model {modelled:?}"
            ));
        }
        let mut constraints: Vec<(String, String)> = client
            .query(
                "SELECT conname::text, contype::text FROM pg_constraint WHERE conrelid = $1::text::regclass",
                &[&oid],
            )
            .await
            .expect("constraints")
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect();
        constraints.sort();
        let mut modelled: Vec<(String, String)> = table
            .constraints
            .iter()
            .map(|c| (c.name.clone(), c.kind.code().to_string()))
            .collect();
        modelled.sort();
        if constraints != modelled {
            problems.push(format!(
                "{key:?} constraints: catalog {constraints:?}, model {modelled:?}"
            ));
        }
        let mut indexes: Vec<String> = client
            .query(
                "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 WHERE i.indrelid = $1::text::regclass",
                &[&oid],
            )
            .await
            .expect("indexes")
            .iter()
            .map(|row| row.get(0))
            .collect();
        indexes.sort();
        let mut modelled: Vec<String> = model
            .relations
            .iter()
            .filter(|((schema, _), relation)| {
                *schema == key.0
                    && matches!(relation, Relation::Index { table, .. } if *table == key.1)
            })
            .map(|((_, name), _)| name.clone())
            .collect();
        modelled.sort();
        if indexes != modelled {
            problems.push(format!(
                "{key:?} indexes: catalog {indexes:?}, model {modelled:?}"
            ));
        }
    }
    problems
}

#[tokio::test]
async fn the_model_equals_the_catalog_after_every_migration() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut compared_tables = 0;
    // STRATA_MODEL_CORPUS=dir1:dir2 (absolute) adds migration sets of your own: real projects'
    // migrations are the best test of the model.
    let extra = std::env::var("STRATA_MODEL_CORPUS").unwrap_or_default();
    let fixtures: Vec<&str> = FIXTURES
        .iter()
        .copied()
        .chain(extra.split(':').filter(|d| !d.is_empty()))
        .collect();
    for fixture in fixtures {
        let mut diagnostics = Vec::new();
        let directory = strata_core::discover::discover(root, fixture, &mut diagnostics);
        let steps = models(&directory, None);
        assert!(!steps.is_empty(), "{fixture}: no migrations replayed");
        let db = common::TestDb::new("model_catalog").await;
        for (version, model) in &steps {
            let candidate = directory
                .candidates
                .iter()
                .find(|c| c.name.version == *version)
                .expect("candidate");
            // A fresh session per migration: each starts on the default search_path, as the
            // model assumes.
            let client = db.client().await;
            // One simple query (one implicit transaction, as strata runs it), or statement by
            // statement for a no-transaction migration.
            let mut batches = Vec::new();
            for file in candidate.files().map(|i| directory.file(i)) {
                for statement in &file.up_statements {
                    batches.push(format!("{};", &file.text[statement.range.clone()]));
                }
            }
            if candidate.transactional(&directory) {
                batches = vec![batches.join("\n")];
            }
            for sql in &batches {
                client
                    .batch_execute(sql)
                    .await
                    .unwrap_or_else(|e| panic!("{fixture} migration {version}: {sql}: {e:?}"));
            }
            let problems = compare(&client, model).await;
            assert!(
                problems.is_empty(),
                "{fixture} after migration {version}:\n{}",
                problems.join("\n")
            );
            compared_tables += model
                .relations
                .iter()
                .filter(|(key, r)| {
                    matches!(r, Relation::Table(Some(_))) && !model.is_unknown(&key.1)
                })
                .count();
        }
    }
    // The comparison must have had something to compare.
    assert!(
        compared_tables > 20,
        "only {compared_tables} known tables compared"
    );
}

static SQLITE_MODEL: strata::Migrations = strata::embed_migrations!("tests/fixtures/sqlite/model");

/// SQLite's catalog as the runtime's database holds it, strata's own tables left out.
fn sqlite_catalog(conn: &rusqlite::Connection) -> Vec<strata_core::schema_model::CatalogObject> {
    let mut objects = conn
        .prepare(
            "SELECT type, name, tbl_name FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND tbl_name NOT LIKE 'strata\\_%' ESCAPE '\\' \
             ORDER BY type, name",
        )
        .expect("catalog");
    let objects: Vec<(String, String, String)> = objects
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .expect("objects")
        .map(|row| row.expect("object"))
        .collect();
    objects
        .into_iter()
        .map(|object| {
            let columns = if object.0 == "table" {
                let mut info = conn
                    .prepare(&format!("PRAGMA table_info(\"{}\")", object.1))
                    .expect("table_info");
                info.query_map([], |row| {
                    Ok((
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                    ))
                })
                .expect("columns")
                .map(|row| row.expect("column"))
                .collect()
            } else {
                Vec::new()
            };
            (object, columns)
        })
        .collect()
}

#[tokio::test]
async fn the_sqlite_replay_equals_a_migrated_database_after_every_migration() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut diagnostics = Vec::new();
    let directory =
        strata_core::discover::discover(root, "tests/fixtures/sqlite/model", &mut diagnostics);
    let steps = strata_core::schema_model::sqlite_schemas(&directory);
    assert_eq!(steps.len(), 5, "every migration replayed");
    let dir = tempfile::tempdir().expect("tmp");
    let mut conn = rusqlite::Connection::open(dir.path().join("app.db")).expect("open");
    for (version, replayed) in steps {
        SQLITE_MODEL
            .runner()
            .target(version)
            .run(&mut conn)
            .await
            .expect("migrate");
        let migrated = sqlite_catalog(&conn);
        assert!(!migrated.is_empty());
        assert_eq!(replayed, migrated, "after migration {version}");
    }
}
