static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/bad-section");

fn main() {}
