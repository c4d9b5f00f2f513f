static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/safety-renaming-table");

fn main() {}
