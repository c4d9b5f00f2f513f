static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/concurrently-in-transaction");

fn main() {}
