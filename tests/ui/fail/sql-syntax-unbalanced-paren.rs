static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/sql-syntax-unbalanced-paren");

fn main() {}
