static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/sql-syntax");

fn main() {}
