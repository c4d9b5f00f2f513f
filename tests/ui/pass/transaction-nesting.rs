// Function bodies, DO blocks, savepoints, and BEGIN/COMMIT in a no-transaction migration.
static MIGRATIONS: strata::Migrations =
    strata::embed_migrations!("fixtures/transaction-nesting-safe");

fn main() {
    assert_eq!(MIGRATIONS.len(), 2);
    assert!(!MIGRATIONS.get(2).expect("2").transactional());
}
