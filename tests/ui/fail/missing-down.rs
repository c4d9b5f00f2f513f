static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/missing-down");

fn main() {}
