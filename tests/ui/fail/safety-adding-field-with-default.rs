static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/safety-adding-field-with-default");

fn main() {}
