static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/duplicate-version");

fn main() {}
