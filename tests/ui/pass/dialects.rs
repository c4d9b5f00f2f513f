//! Valid SQL passes: PostgreSQL statements other parsers reject, and a Cloudflare D1 style
//! SQLite migration with a header, a trigger and a trailing verification SELECT.

static POSTGRES: strata::Migrations = strata::embed_migrations!("fixtures/postgres-valid");
static D1: strata::Migrations = strata::embed_migrations!("fixtures/sqlite-d1");

fn main() {
    assert!(POSTGRES.get(1).is_some_and(|m| m.up_statements().len() >= 12));
    let d1 = D1.get(1).expect("migration 1");
    assert_eq!(d1.up_statements().len(), 3, "table, trigger (one statement), verification SELECT");
    assert!(d1.down().is_none());
}
