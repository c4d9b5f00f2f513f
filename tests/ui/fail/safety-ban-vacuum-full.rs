static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/safety-ban-vacuum-full");

fn main() {}
