static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/sql-syntax-missing-semicolon");

fn main() {}
