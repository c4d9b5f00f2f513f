static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/safety-require-lock-timeout");

fn main() {}
