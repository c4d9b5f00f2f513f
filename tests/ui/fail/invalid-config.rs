static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/invalid-config");

fn main() {}
