static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/replay-pg-duplicate-object");

fn main() {}
