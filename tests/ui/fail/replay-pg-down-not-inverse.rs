static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/replay-pg-down-not-inverse");

fn main() {}
