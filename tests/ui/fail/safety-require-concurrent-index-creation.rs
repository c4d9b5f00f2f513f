static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/safety-require-concurrent-index-creation");

fn main() {}
