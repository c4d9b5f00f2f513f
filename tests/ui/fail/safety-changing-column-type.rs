static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/safety-changing-column-type");

fn main() {}
