static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/safety-renaming-column");

fn main() {}
