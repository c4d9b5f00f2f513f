static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/orphan-down");

fn main() {}
