static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/transaction-nesting");

fn main() {}
