static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/empty-up");

fn main() {}
