static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/safety-adding-required-field");

fn main() {}
