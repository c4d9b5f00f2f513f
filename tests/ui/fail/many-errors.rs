static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/many-errors");

fn main() {}
