static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/safety-adding-not-nullable-field");

fn main() {}
