static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/sql-syntax-sqlite");

fn main() {}
