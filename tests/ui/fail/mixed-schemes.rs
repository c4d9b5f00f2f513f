static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/mixed-schemes");

fn main() {}
