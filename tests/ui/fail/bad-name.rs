static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/bad-name");

fn main() {}
