//! Valid SQL passes: PostgreSQL statements other parsers reject, and a Cloudflare D1 style
//! SQLite migration with a header, a trigger and a trailing verification SELECT, and one with
//! what only SQLite's own parser accepts.

static POSTGRES: strata::Migrations = strata::embed_migrations!("fixtures/postgres-valid");
static D1: strata::Migrations = strata::embed_migrations!("fixtures/sqlite-d1");

fn main() {
    assert!(POSTGRES.get(1).is_some_and(|m| m.up_statements().len() >= 12));
    let d1 = D1.get(1).expect("migration 1");
    assert_eq!(d1.up_statements().len(), 3, "table, trigger (one statement), verification SELECT");
    assert!(d1.down().is_none());
    // STRICT, WITHOUT ROWID, a generated column, CREATE TRIGGER IF NOT EXISTS (which
    // sqlparser's SQLite grammar refused), INSERT OR IGNORE, an upsert: SQLite's own parser.
    let d1 = D1.get(2).expect("migration 2");
    assert_eq!(d1.up_statements().len(), 5);
}
