static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/version-gap");

fn main() {}
