static MIGRATIONS: strata::Migrations = strata::embed_migrations!("fixtures/replay-down-not-inverse");

fn main() {}
