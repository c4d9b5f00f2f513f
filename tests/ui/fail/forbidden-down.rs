static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/forbidden-down");

fn main() {}
