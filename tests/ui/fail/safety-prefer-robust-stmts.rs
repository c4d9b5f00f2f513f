static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/safety-prefer-robust-stmts");

fn main() {}
